/* flux wait: until the database accepts connections. */
#include "flux.h"
#include "log.h"

int cmd_wait(struct flux_ctx *ctx)
{
	if (db_wait(&ctx->cfg, &ctx->err))
		return ctx->err.code;
	log_info("ready", "database is accepting connections");
	return 0;
}
