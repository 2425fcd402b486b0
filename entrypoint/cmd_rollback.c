#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flux.h"
#include "log.h"

/* flux rollback (N | --to ID | --all) [--dry-run] */
int cmd_rollback(int argc, char **argv, struct flux_ctx *ctx)
{
	struct run_session s;
	const struct mdir_migration **list = NULL;
	size_t n = 0;
	long count = -1;
	const char *to = NULL;
	bool all = false, dry_run = false;
	enum plan_rollback_mode mode;
	int i, forms, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = argv[++i];
		else if (!strncmp(argv[i], "--to=", 5) && argv[i][5])
			to = argv[i] + 5;
		else if (count < 0 && (count = front_parse_count(argv[i])) >= 0)
			continue;
		else
			return front_fail(ctx, FLUX_EXIT_USAGE,
					  "rollback: unexpected argument '%s': expected N, --to ID, --all or --dry-run",
					  argv[i]);
	}
	forms = (count >= 0) + (to != NULL) + all;
	if (forms != 1)
		return front_fail(ctx, FLUX_EXIT_USAGE,
				  "rollback needs exactly one of: N (undo the last N), --to ID (down to and including ID), --all (flux-migrations' bare rollback undid everything)");
	mode = all ? PLAN_RB_ALL : to ? PLAN_RB_TO : PLAN_RB_COUNT;
	if (!dry_run && !ctx->cfg.auto_approve && !isatty_stdin())
		return front_fail(ctx, FLUX_EXIT_USAGE,
				  "rollback refused: standard input is not a terminal; pass --auto-approve (-y) or FLUX_AUTO_APPROVE=true to confirm");

	memset(&s, 0, sizeof(s));
	if (run_open(&s, ctx->backend, &ctx->cfg, &ctx->dir, !dry_run, &ctx->err) ||
	    plan_validate(&s.plan, &ctx->err) ||
	    plan_rollback_list(&s.plan, mode, count < 0 ? 0 : (size_t)count, to, &list, &n, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (dry_run || !ctx->cfg.auto_approve) {
		front_print_plan(ctx, list, n, "undo", ctx->cfg.apply_repeatable_on_undo);
		fflush(stdout);
	}
	if (dry_run) {
		log_info("plan", "dry run: would undo %zu migration%s", n, n == 1 ? "" : "s");
		rc = 0;
		goto cleanup;
	}
	if (!ctx->cfg.auto_approve && n && !front_confirm("undo these migrations?")) {
		rc = front_fail(ctx, FLUX_EXIT_USAGE, "rollback not confirmed: nothing was undone");
		goto cleanup;
	}
	if (!n)
		log_info("nothing", "no applied migrations to undo");
	rc = run_batch(&s, list, n, true, ctx->cfg.apply_repeatable_on_undo, &ctx->err) ? ctx->err.code : 0;
cleanup:
	free(list);
	run_close(&s, &ctx->err);
	if (!rc && ctx->err.msg)
		rc = ctx->err.code;
	return rc;
}
