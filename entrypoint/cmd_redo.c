/*
 * flux redo [--dry-run]: undo the last applied migration and apply it
 * again, in one session under one lock, as dbmate and goose have it. It is
 * destructive, so it asks for approval as rollback does. Each part runs as
 * its command would: the undo with pre-apply/post-apply when
 * apply_repeatable_on_undo, the apply with them always.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flux.h"
#include "log.h"

int cmd_redo_parse(int argc, char **argv, struct flux_ctx *ctx)
{
	struct flux_args *a = &ctx->args;
	const struct opt opts[] = {
		{ .name = "--dry-run", .kind = OPT_FLAG, .out = &a->dry_run },
		{ .name = NULL },
	};
	const struct opt_spec spec = {
		.cmd = "redo",
		.opts = opts,
		.hint = "redo takes only --dry-run (it redoes the last applied migration)",
	};

	if (opt_parse(&spec, argc, argv, NULL, NULL, &ctx->err))
		return ctx->err.code;
	if (!a->dry_run && !ctx->cfg.auto_approve && !isatty_stdin())
		return front_fail(
			ctx, FLUX_EXIT_USAGE,
			"redo refused: standard input is not a terminal; pass --auto-approve (-y) or FLUX_AUTO_APPROVE=true to confirm");
	return 0;
}

int cmd_redo(struct flux_ctx *ctx)
{
	struct run_session *s = &ctx->session;
	struct plan_steps steps;
	bool dry_run = ctx->args.dry_run, rou = ctx->cfg.apply_repeatable_on_undo;
	const char *id;
	int rc;

	memset(&steps, 0, sizeof(steps));
	if (plan_validate(&s->plan, &ctx->err) ||
	    plan_redo(&s->plan, &steps, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (!steps.nundo) {
		log_info("nothing", "no applied migrations: nothing to redo");
		front_outcome(ctx, "no applied migrations: nothing to redo");
		rc = 0;
		goto cleanup;
	}
	id = steps.undo[0]->id;
	if (dry_run || !ctx->cfg.auto_approve) {
		front_print_plan(ctx, steps.undo, steps.nundo, "undo", rou);
		front_print_plan(ctx, steps.apply, steps.napply, "apply", true);
		fflush(stdout);
	}
	if (dry_run) {
		log_info("plan", "dry run: would undo %s and apply it again", id);
		front_outcome(ctx, "dry run: would redo %s", id);
		rc = 0;
		goto cleanup;
	}
	if (!ctx->cfg.auto_approve &&
	    !front_confirm(ctx, "undo this migration and apply it again?")) {
		rc = front_fail(ctx, FLUX_EXIT_USAGE,
				"redo not confirmed: nothing was undone");
		goto cleanup;
	}
	rc = run_batch(s, steps.undo, steps.nundo, true, rou, &ctx->err) ? ctx->err.code :
									   0;
	if (!rc)
		rc = run_batch(s, steps.apply, steps.napply, false, true, &ctx->err) ?
			ctx->err.code :
			0;
	if (!rc) {
		log_info("redone", "redid %s", id);
		front_outcome(ctx, "redid %s (undone and applied again)", id);
	}
cleanup:
	plan_steps_release(&steps);
	return rc;
}
