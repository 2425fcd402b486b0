#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flux.h"
#include "log.h"

/* flux rollback (N | --to ID | --all) [--dry-run] */
int cmd_rollback_parse(int argc, char **argv, struct flux_ctx *ctx)
{
	struct flux_args *a = &ctx->args;
	const struct opt opts[] = {
		{ .name = "--dry-run", .kind = OPT_FLAG, .out = &a->dry_run },
		{ .name = "--all", .kind = OPT_FLAG, .out = &a->all },
		{ .name = "--to", .kind = OPT_VALUE, .out = &a->id, .nonempty = true },
		{ .name = NULL },
	};
	const struct opt_spec spec = {
		.cmd = "rollback",
		.opts = opts,
		.count = &a->count,
		.hint = "expected N, --to ID, --all or --dry-run",
	};

	if (opt_parse(&spec, argc, argv, NULL, NULL, &ctx->err))
		return ctx->err.code;
	if ((a->count >= 0) + (a->id != NULL) + a->all != 1)
		return front_fail(
			ctx, FLUX_EXIT_USAGE,
			"rollback needs exactly one of: N (undo the last N), --to ID (down to and including ID), --all (flux-migrations' bare rollback undid everything)");
	if (!a->dry_run && !ctx->cfg.auto_approve && !isatty_stdin())
		return front_fail(
			ctx, FLUX_EXIT_USAGE,
			"rollback refused: standard input is not a terminal; pass --auto-approve (-y) or FLUX_AUTO_APPROVE=true to confirm");
	return 0;
}

int cmd_rollback(struct flux_ctx *ctx)
{
	struct run_session *s = &ctx->session;
	const struct mdir_migration **list = NULL;
	const struct flux_args *a = &ctx->args;
	enum plan_rollback_mode mode = a->all ? PLAN_RB_ALL :
		a->id                         ? PLAN_RB_TO :
						PLAN_RB_COUNT;
	bool dry_run = a->dry_run;
	size_t n = 0;
	int rc;

	if (plan_validate(&s->plan, &ctx->err) ||
	    plan_rollback_list(&s->plan, mode, a->count < 0 ? 0 : (size_t)a->count, a->id,
			       &list, &n, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (dry_run || !ctx->cfg.auto_approve) {
		front_print_plan(ctx, list, n, "undo", ctx->cfg.apply_repeatable_on_undo);
		fflush(stdout);
	}
	if (dry_run) {
		log_info("plan", "dry run: would undo %zu migration%s", n,
			 n == 1 ? "" : "s");
		rc = 0;
		goto cleanup;
	}
	if (!ctx->cfg.auto_approve && n &&
	    !front_confirm(ctx, "undo these migrations?")) {
		rc = front_fail(ctx, FLUX_EXIT_USAGE,
				"rollback not confirmed: nothing was undone");
		goto cleanup;
	}
	if (!n)
		log_info("nothing", "no applied migrations to undo");
	rc = run_batch(s, list, n, true, ctx->cfg.apply_repeatable_on_undo, &ctx->err) ?
		ctx->err.code :
		0;
cleanup:
	free(list);
	return rc;
}
