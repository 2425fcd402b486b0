/* flux apply [N] [--dry-run] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flux.h"
#include "log.h"

int cmd_apply(int argc, char **argv, struct flux_ctx *ctx)
{
	struct run_session s;
	const struct mdir_migration **list = NULL;
	size_t n = 0;
	long limit = -1; /* -1: all pending; 0 (as in flux-migrations): none */
	bool dry_run = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else if (limit < 0 && (limit = front_parse_count(argv[i])) >= 0)
			continue;
		else
			return front_fail(ctx, FLUX_EXIT_USAGE,
					  "apply: unexpected argument '%s': expected a number of migrations or --dry-run",
					  argv[i]);
	}

	memset(&s, 0, sizeof(s));
	if (run_open(&s, ctx->backend, &ctx->cfg, &ctx->dir, !dry_run, &ctx->err) ||
	    plan_validate(&s.plan, &ctx->err) ||
	    (limit != 0 && plan_apply_list(&s.plan, limit < 0 ? 0 : (size_t)limit,
					   &list, &n, &ctx->err))) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (dry_run) {
		log_info("plan", "dry run: would apply %zu of %zu pending migration%s", n,
			 s.plan.npending, s.plan.npending == 1 ? "" : "s");
		front_print_plan(ctx, list, n, "apply", true);
		rc = 0;
		goto cleanup;
	}
	if (!s.history_exists && ctx->backend->history_create(s.db, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (!n)
		log_info("nothing", "no pending migrations (%zu applied)", s.plan.napplied);
	rc = run_batch(&s, list, n, false, true, &ctx->err) ? ctx->err.code : 0;
cleanup:
	free(list);
	run_close(&s, &ctx->err);
	if (!rc && ctx->err.msg)
		rc = ctx->err.code;
	return rc;
}
