/* flux wait: until the database accepts connections. */
#include "flux.h"
#include "log.h"

int cmd_wait(int argc, char **argv, struct flux_ctx *ctx)
{
	if (argc > 1)
		return front_fail(ctx, FLUX_EXIT_USAGE, "wait: unexpected argument '%s'", argv[1]);
	if (db_wait(&ctx->cfg, &ctx->err))
		return ctx->err.code;
	log_info("ready", "database is accepting connections");
	return 0;
}
