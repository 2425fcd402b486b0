/* flux apply [N | --to ID] [--dry-run] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flux.h"
#include "log.h"

int cmd_apply(int argc, char **argv, struct flux_ctx *ctx)
{
	struct run_session s;
	const struct mdir_migration **list = NULL;
	const struct plan_entry *target;
	size_t n = 0;
	long limit = -1; /* -1: all pending; 0 (as in flux-migrations): none */
	const char *to = NULL;
	bool dry_run = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else if (!strcmp(argv[i], "--to") && i + 1 == argc)
			return front_fail(ctx, FLUX_EXIT_USAGE, "apply: '--to' needs a migration ID");
		else if (!strcmp(argv[i], "--to") && !to)
			to = argv[++i];
		else if (!strncmp(argv[i], "--to=", 5) && !to)
			to = argv[i] + 5;
		else if (limit < 0 && (limit = front_parse_count(argv[i])) >= 0)
			continue;
		else
			return front_fail(ctx, FLUX_EXIT_USAGE,
					  "apply: unexpected argument '%s': expected a number of migrations, --to ID or --dry-run",
					  argv[i]);
	}
	if (to && limit >= 0)
		return front_fail(ctx, FLUX_EXIT_USAGE,
				  "apply takes a number of migrations or --to ID, not both");
	/* An ID that names no migration is a usage error before we connect. */
	if (to && plan_check_target(&ctx->dir, to, &ctx->err))
		return ctx->err.code;

	memset(&s, 0, sizeof(s));
	if (run_open(&s, ctx->backend, &ctx->cfg, &ctx->dir, !dry_run, &ctx->err) ||
	    plan_validate(&s.plan, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (to ? plan_apply_to_list(&s.plan, to, &list, &n, &ctx->err)
	       : limit != 0 && plan_apply_list(&s.plan, limit < 0 ? 0 : (size_t)limit,
					       &list, &n, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	target = to ? plan_find(&s.plan, to) : NULL;
	if (target && target->state != PLAN_PENDING)
		log_info("nothing", "'%s' is already applied: nothing to apply up to it (%zu applied, %zu pending)",
			 to, s.plan.napplied, s.plan.npending);
	if (dry_run) {
		log_info("plan", "dry run: would apply %zu of %zu pending migration%s", n,
			 s.plan.npending, s.plan.npending == 1 ? "" : "s");
		front_print_plan(ctx, list, n, "apply", true);
		front_outcome(ctx, "dry run: would apply %zu migration%s", n, n == 1 ? "" : "s");
		rc = 0;
		goto cleanup;
	}
	if (!s.history_exists && ctx->backend->history_create(s.db, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (!n && !target)
		log_info("nothing", "no pending migrations (%zu applied)", s.plan.napplied);
	rc = run_batch(&s, list, n, false, true, &ctx->err) ? ctx->err.code : 0;
	if (!rc && n)
		front_outcome(ctx, "applied %zu migration%s (last %s)", n, n == 1 ? "" : "s",
			      list[n - 1]->id);
	else if (!rc)
		front_outcome(ctx, "no migrations to apply (%zu applied)", s.plan.napplied);
cleanup:
	free(list);
	run_close(&s, &ctx->err);
	if (!rc && ctx->err.msg)
		rc = ctx->err.code;
	return rc;
}
