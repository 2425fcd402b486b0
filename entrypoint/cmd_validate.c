/* flux validate: the corruption check alone; read-only. */
#include "flux.h"
#include "log.h"

int cmd_validate(struct flux_ctx *ctx)
{
	const struct run_session *s = &ctx->session;

	if (plan_validate(&s->plan, &ctx->err))
		return ctx->err.code;
	if (!s->history_exists)
		log_info("valid", "no history table yet: nothing applied, %zu pending",
			 s->plan.npending);
	else
		log_info("valid", "migration history is valid: %zu applied, %zu pending",
			 s->plan.napplied, s->plan.npending);
	return 0;
}
