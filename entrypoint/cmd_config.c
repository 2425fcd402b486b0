/* flux config: the effective settings and where each came from. */
#include <stdio.h>
#include <string.h>

#include "flux.h"
#include "sb.h"

int cmd_config(struct flux_ctx *ctx)
{
	struct sb value = SB_INIT;
	size_t i, w = 0;

	for (i = 0; i < CFG_NKEYS; i++)
		if (strlen(cfg_settings[i].name) > w)
			w = strlen(cfg_settings[i].name);
	printf("# config file: %s\n",
	       ctx->cfg.config_path ? ctx->cfg.config_path : "(none)");
	for (i = 0; i < CFG_NKEYS; i++) {
		sb_reset(&value);
		cfg_format_value(&ctx->cfg, cfg_settings[i].key, &value);
		printf("%-*s = %-30s # %s\n", (int)w, cfg_settings[i].name, value.buf,
		       ctx->cfg.where[i] ? ctx->cfg.where[i] :
					   cfg_source_name(ctx->cfg.source[i]));
	}
	sb_release(&value);
	return 0;
}
