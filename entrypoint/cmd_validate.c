/* flux validate: the corruption check alone; read-only. */
#include "flux.h"
#include "log.h"

int cmd_validate(int argc, char **argv, struct flux_ctx *ctx)
{
	struct run_session s;
	int rc = 0;

	if (argc > 1)
		return front_fail(ctx, FLUX_EXIT_USAGE, "validate: unexpected argument '%s'", argv[1]);
	if (run_open(&s, ctx->backend, &ctx->cfg, &ctx->dir, false, &ctx->err) ||
	    plan_validate(&s.plan, &ctx->err)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (!s.history_exists)
		log_info("valid", "no history table yet: nothing applied, %zu pending", s.plan.npending);
	else
		log_info("valid", "migration history is valid: %zu applied, %zu pending",
			 s.plan.napplied, s.plan.npending);
cleanup:
	run_close(&s, &ctx->err);
	return rc;
}
