/*
 * flux goto ID [--dry-run]: apply or undo migrations so that ID is the last
 * applied one. Forward it is `apply --to ID`; backward it is a rollback of
 * every migration after ID and asks for approval as rollback does. The
 * plan is made under the lock, in the session that then runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flux.h"
#include "log.h"

int cmd_goto_parse(int argc, char **argv, struct flux_ctx *ctx)
{
	struct flux_args *a = &ctx->args;
	const struct opt opts[] = {
		{ .name = "--dry-run", .kind = OPT_FLAG, .out = &a->dry_run },
		{ .name = NULL },
	};
	const struct opt_spec spec = {
		.cmd = "goto",
		.opts = opts,
		.max_pos = 1,
		.hint = "expected one migration ID and --dry-run",
	};
	const char *pos[1];

	if (opt_parse(&spec, argc, argv, pos, &a->npos, &ctx->err))
		return ctx->err.code;
	if (!a->npos)
		return front_fail(
			ctx, FLUX_EXIT_USAGE,
			"goto needs the ID of the migration that should be the last applied one");
	a->id = pos[0];
	if (plan_check_target(&ctx->dir, a->id, &ctx->err))
		return ctx->err.code;
	return 0;
}

int cmd_goto(struct flux_ctx *ctx)
{
	struct run_session *s = &ctx->session;
	struct plan_steps steps;
	const char *id = ctx->args.id;
	bool dry_run = ctx->args.dry_run;
	int rc;

	memset(&steps, 0, sizeof(steps));
	if (plan_validate(&s->plan, &ctx->err) ||
	    plan_goto(&s->plan, id, &steps, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}

	if (steps.nundo) {
		bool rou = ctx->cfg.apply_repeatable_on_undo;

		if (!dry_run && !ctx->cfg.auto_approve && !isatty_stdin()) {
			rc = front_fail(
				ctx, FLUX_EXIT_USAGE,
				"goto refused: going back to '%s' undoes %zu migration%s and standard input is not a terminal; pass --auto-approve (-y) or FLUX_AUTO_APPROVE=true to confirm",
				id, steps.nundo, steps.nundo == 1 ? "" : "s");
			goto cleanup;
		}
		if (dry_run || !ctx->cfg.auto_approve) {
			front_print_plan(ctx, steps.undo, steps.nundo, "undo", rou);
			fflush(stdout);
		}
		if (dry_run) {
			log_info("plan",
				 "dry run: would undo %zu migration%s to go back to %s",
				 steps.nundo, steps.nundo == 1 ? "" : "s", id);
			front_outcome(ctx,
				      "dry run: would undo %zu migration%s to go back to %s",
				      steps.nundo, steps.nundo == 1 ? "" : "s", id);
			rc = 0;
			goto cleanup;
		}
		if (!ctx->cfg.auto_approve &&
		    !front_confirm(ctx, "undo these migrations?")) {
			rc = front_fail(ctx, FLUX_EXIT_USAGE,
					"goto not confirmed: nothing was undone");
			goto cleanup;
		}
		rc = run_batch(s, steps.undo, steps.nundo, true, rou, &ctx->err) ?
			ctx->err.code :
			0;
		if (!rc)
			front_outcome(ctx, "undid %zu migration%s (last applied now %s)",
				      steps.nundo, steps.nundo == 1 ? "" : "s", id);
		goto cleanup;
	}

	if (dry_run) {
		log_info("plan", "dry run: would apply %zu migration%s to go to %s",
			 steps.napply, steps.napply == 1 ? "" : "s", id);
		front_print_plan(ctx, steps.apply, steps.napply, "apply", true);
		front_outcome(ctx, "dry run: would apply %zu migration%s to go to %s",
			      steps.napply, steps.napply == 1 ? "" : "s", id);
		rc = 0;
		goto cleanup;
	}
	if (!s->history_exists && ctx->backend->history_create(s->db, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (!steps.napply)
		log_info("nothing",
			 "'%s' is already the last applied migration: nothing to do", id);
	rc = run_batch(s, steps.apply, steps.napply, false, true, &ctx->err) ?
		ctx->err.code :
		0;
	if (!rc && steps.napply)
		front_outcome(ctx, "applied %zu migration%s (last %s)", steps.napply,
			      steps.napply == 1 ? "" : "s", id);
	else if (!rc)
		front_outcome(ctx, "already at %s: nothing to do", id);
cleanup:
	plan_steps_release(&steps);
	return rc;
}
