/*
 * flux init [BACKEND]: write flux.toml, the file both flux and
 * flux-migrations read (its content is valid INI too): [flux] here, the
 * [backend] section from the backend (its init_template).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flux.h"
#include "log.h"

static void add_template(struct sb *out, const struct db_backend *be)
{
	sb_adds(out, "# flux configuration, read by flux (the container) and flux-migrations.\n"
		     "# Environment variables (FLUX_*) and flags override these values.\n"
		     "\n"
		     "[flux]\n");
	sb_addf(out, "backend = \"%s\"\n", be->name);
	sb_adds(out, "migration_directory = \"migrations\"\n"
		     "# log_level = \"info\"\n"
		     "# apply_repeatable_on_undo = true\n"
		     "\n");
	sb_adds(out, be->init_template);
}

int cmd_init(int argc, char **argv, struct flux_ctx *ctx)
{
	static const char *const existing[] = { "flux.ini", "flux.toml" };
	const struct db_backend *be = db_backends[0];
	struct sb text = SB_INIT;
	size_t i;
	int fd, rc;
	ssize_t len;

	if (argc > 2)
		return front_fail(ctx, FLUX_EXIT_USAGE, "init: unexpected argument '%s'", argv[2]);
	if (argc == 2 && !(be = db_backend_find(argv[1]))) {
		db_backend_names(&text);
		rc = front_fail(ctx, FLUX_EXIT_USAGE, "init: unknown backend '%s': expected one of %s",
				argv[1], text.buf);
		sb_release(&text);
		return rc;
	}
	for (i = 0; i < sizeof(existing) / sizeof(existing[0]); i++)
		if (access(existing[i], F_OK) == 0)
			return front_fail(ctx, FLUX_EXIT_CONFIG,
					  "init: '%s' already exists: not overwriting it", existing[i]);
	fd = open("flux.toml", O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		return front_fail(ctx, FLUX_EXIT_CONFIG, "init: cannot create 'flux.toml': %s",
				  strerror(errno));
	add_template(&text, be);
	len = (ssize_t)text.len;
	if (write(fd, text.buf, text.len) != len) {
		int e = errno;
		close(fd);
		unlink("flux.toml");
		sb_release(&text);
		return front_fail(ctx, FLUX_EXIT_CONFIG, "init: cannot write 'flux.toml': %s",
				  strerror(e));
	}
	close(fd);
	sb_release(&text);
	printf("created flux.toml\n");
	return 0;
}
