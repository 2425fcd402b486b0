/*
 * flux init [BACKEND]: write flux.toml, the file both flux and
 * flux-migrations read (its content is valid INI too): the settings
 * table's [flux] section and the backend's own [backend] section.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flux.h"
#include "log.h"
#include "sb.h"

/* Above the settings, which cfg_template() writes from the settings table. */
static const char template_head[] =
	"# flux configuration, read by flux (the container) and flux-migrations.\n"
	"# Environment variables (FLUX_*) and flags override these values.\n"
	"\n";

int cmd_init_parse(int argc, char **argv, struct flux_ctx *ctx)
{
	const struct opt_spec spec = { .cmd = "init", .max_pos = 1, .no_options = true };
	const char *backend[1];
	int n;

	if (opt_parse(&spec, argc, argv, backend, &n, &ctx->err))
		return ctx->err.code;
	ctx->backend = n ? db_backend_find(backend[0]) : db_backends[0];
	if (!ctx->backend) {
		struct sb names = SB_INIT;
		int rc;

		db_backend_names(&names);
		rc = front_fail(ctx, FLUX_EXIT_USAGE,
				"init: unknown backend '%s': expected one of %s",
				backend[0], names.buf);
		sb_release(&names);
		return rc;
	}
	return 0;
}

int cmd_init(struct flux_ctx *ctx)
{
	static const char *const existing[] = { "flux.ini", "flux.toml" };
	struct sb text = SB_INIT;
	size_t i;
	int fd, rc = 0;

	for (i = 0; i < sizeof(existing) / sizeof(existing[0]); i++)
		if (access(existing[i], F_OK) == 0)
			return front_fail(ctx, FLUX_EXIT_CONFIG,
					  "init: '%s' already exists: not overwriting it",
					  existing[i]);
	fd = open("flux.toml", O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		return front_fail(ctx, FLUX_EXIT_CONFIG,
				  "init: cannot create 'flux.toml': %s", strerror(errno));
	sb_adds(&text, template_head);
	cfg_template(&text, ctx->backend->name, ctx->backend->init_template);
	if (write(fd, text.buf, text.len) != (ssize_t)text.len) {
		int e = errno;
		close(fd);
		unlink("flux.toml");
		rc = front_fail(ctx, FLUX_EXIT_CONFIG,
				"init: cannot write 'flux.toml': %s", strerror(e));
		goto cleanup;
	}
	close(fd);
	printf("created flux.toml\n");
cleanup:
	sb_release(&text);
	return rc;
}
