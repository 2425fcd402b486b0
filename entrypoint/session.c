/* Small helpers shared by the commands of the front. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flux.h"
#include "log.h"

bool isatty_stdin(void)
{
	return isatty(STDIN_FILENO) == 1;
}

bool front_confirm(struct flux_ctx *ctx, const char *question)
{
	struct flux_err e = FLUX_ERR_INIT;
	char line[32];

	if (!isatty_stdin())
		return false;
	/* A connection lost meanwhile shows, with its exit code, when the work starts. */
	run_guard(&ctx->session, &e);
	err_release(&e);
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return !strcmp(line, "y\n") || !strcmp(line, "yes\n") || !strcmp(line, "Y\n");
}

void front_print_plan(const struct flux_ctx *ctx,
		      const struct mdir_migration *const *list, size_t n,
		      const char *verb, bool repeatables)
{
	size_t i;

	for (i = 0; repeatables && i < ctx->dir.npre; i++)
		printf("pre-apply %s\n", ctx->dir.pre[i].id);
	for (i = 0; i < n; i++)
		printf("%s %s\n", verb, list[i]->id);
	for (i = 0; repeatables && i < ctx->dir.npost; i++)
		printf("post-apply %s\n", ctx->dir.post[i].id);
}
