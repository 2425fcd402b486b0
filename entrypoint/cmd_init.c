/*
 * flux init [postgres]: write flux.toml, the file both flux and
 * flux-migrations read (its content is valid INI too).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flux.h"
#include "log.h"

static const char template_toml[] =
	"# flux configuration, read by flux (the container) and flux-migrations.\n"
	"# Environment variables (FLUX_*) and flags override these values.\n"
	"\n"
	"[flux]\n"
	"backend = \"postgres\"\n"
	"migration_directory = \"migrations\"\n"
	"# log_level = \"info\"\n"
	"# apply_repeatable_on_undo = true\n"
	"\n"
	"[backend]\n"
	"# migrations_schema = \"public\"\n"
	"# migrations_table = \"_flux_migrations\"\n"
	"# migrations_lock_id = 3589\n";

int cmd_init(int argc, char **argv, struct flux_ctx *ctx)
{
	static const char *const existing[] = { "flux.ini", "flux.toml" };
	size_t i;
	int fd;
	ssize_t len = (ssize_t)strlen(template_toml);

	if (argc > 2)
		return front_fail(ctx, FLUX_EXIT_USAGE, "init: unexpected argument '%s'", argv[2]);
	if (argc == 2 && strcmp(argv[1], "postgres"))
		return front_fail(ctx, FLUX_EXIT_USAGE,
				  "init: unknown backend '%s': postgres is the only one built in", argv[1]);
	for (i = 0; i < sizeof(existing) / sizeof(existing[0]); i++)
		if (access(existing[i], F_OK) == 0)
			return front_fail(ctx, FLUX_EXIT_CONFIG,
					  "init: '%s' already exists: not overwriting it", existing[i]);
	fd = open("flux.toml", O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		return front_fail(ctx, FLUX_EXIT_CONFIG, "init: cannot create 'flux.toml': %s",
				  strerror(errno));
	if (write(fd, template_toml, (size_t)len) != len) {
		int e = errno;
		close(fd);
		unlink("flux.toml");
		return front_fail(ctx, FLUX_EXIT_CONFIG, "init: cannot write 'flux.toml': %s",
				  strerror(e));
	}
	close(fd);
	printf("created flux.toml\n");
	return 0;
}
