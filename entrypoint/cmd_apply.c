/* flux apply [N | --to ID] [--dry-run] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flux.h"
#include "log.h"

int cmd_apply_parse(int argc, char **argv, struct flux_ctx *ctx)
{
	struct flux_args *a = &ctx->args;
	const struct opt opts[] = {
		{ .name = "--dry-run", .kind = OPT_FLAG, .out = &a->dry_run },
		{ .name = "--to",
		  .kind = OPT_VALUE,
		  .out = &a->id,
		  .needs = "a migration ID",
		  .once = true },
		{ .name = NULL },
	};
	const struct opt_spec spec = {
		.cmd = "apply",
		.opts = opts,
		.count = &a->count,
		.hint = "expected a number of migrations, --to ID or --dry-run",
	};

	if (opt_parse(&spec, argc, argv, NULL, NULL, &ctx->err))
		return ctx->err.code;
	if (a->id && a->count >= 0)
		return front_fail(ctx, FLUX_EXIT_USAGE,
				  "apply takes a number of migrations or --to ID, not both");
	/* An ID that names no migration is a usage error before we connect. */
	if (a->id && plan_check_target(&ctx->dir, a->id, &ctx->err))
		return ctx->err.code;
	return 0;
}

int cmd_apply(struct flux_ctx *ctx)
{
	struct run_session *s = &ctx->session;
	const struct mdir_migration **list = NULL;
	const struct plan_entry *target;
	const char *to = ctx->args.id;
	long limit =
		ctx->args.count; /* -1: all pending; 0 (as in flux-migrations): none */
	bool dry_run = ctx->args.dry_run;
	size_t n = 0;
	int rc;

	if (plan_validate(&s->plan, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (to ? plan_apply_to_list(&s->plan, to, &list, &n, &ctx->err) :
		 limit != 0 &&
			    plan_apply_list(&s->plan, limit < 0 ? 0 : (size_t)limit,
					    &list, &n, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	target = to ? plan_find(&s->plan, to) : NULL;
	if (target && target->state != PLAN_PENDING)
		log_info("nothing",
			 "'%s' is already applied: nothing to apply up to it (%zu applied, %zu pending)",
			 to, s->plan.napplied, s->plan.npending);
	if (dry_run) {
		log_info("plan", "dry run: would apply %zu of %zu pending migration%s", n,
			 s->plan.npending, s->plan.npending == 1 ? "" : "s");
		front_print_plan(ctx, list, n, "apply", true);
		front_outcome(ctx, "dry run: would apply %zu migration%s", n,
			      n == 1 ? "" : "s");
		rc = 0;
		goto cleanup;
	}
	if (!s->history_exists && ctx->backend->history_create(s->db, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (!n && !target)
		log_info("nothing", "no pending migrations (%zu applied)",
			 s->plan.napplied);
	rc = run_batch(s, list, n, false, true, &ctx->err) ? ctx->err.code : 0;
	if (!rc && n)
		front_outcome(ctx, "applied %zu migration%s (last %s)", n,
			      n == 1 ? "" : "s", list[n - 1]->id);
	else if (!rc)
		front_outcome(ctx, "no migrations to apply (%zu applied)",
			      s->plan.napplied);
cleanup:
	free(list);
	return rc;
}
