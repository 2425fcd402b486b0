/*
 * flux new [--pre|--post] NAME: YYYYMMDD_NNN_slug.sql (+ .undo.sql), named
 * as flux-migrations names them: the local date, the first NNN from 001
 * that no file of that folder starts with, and the name lowercased with
 * runs of white space turned into '-'.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flux.h"
#include "sb.h"

static void slugify(struct sb *out, int argc, char **argv)
{
	bool gap = false;
	int i;

	for (i = 0; i < argc; i++) {
		const char *p;
		for (p = argv[i]; *p; p++) {
			if (isspace((unsigned char)*p)) {
				gap = out->len > 0;
				continue;
			}
			if (gap)
				sb_addch(out, '-');
			gap = false;
			sb_addch(out, tolower((unsigned char)*p));
		}
		gap = out->len > 0;
	}
}

static int make_dir(struct flux_ctx *ctx, const char *path)
{
	if (mkdir(path, 0777) && errno != EEXIST)
		return front_fail(ctx, FLUX_EXIT_DIRECTORY, "cannot create directory '%s': %s",
				  path, strerror(errno));
	return 0;
}

static bool prefix_taken(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool taken = false;

	if (!d)
		return false;
	while (!taken && (e = readdir(d)))
		taken = !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return taken;
}

static int create_empty(struct flux_ctx *ctx, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);

	if (fd < 0)
		return front_fail(ctx, FLUX_EXIT_DIRECTORY, "cannot create '%s': %s", path,
				  strerror(errno));
	close(fd);
	printf("%s\n", path);
	return 0;
}

int cmd_new(int argc, char **argv, struct flux_ctx *ctx)
{
	const char *sub = NULL;
	struct sb dir = SB_INIT, slug = SB_INIT, prefix = SB_INIT, path = SB_INIT;
	char date[16];
	time_t now = time(NULL);
	struct tm tm;
	int i, first = 1, nnn, rc = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *want = !strcmp(argv[i], "--pre") ? "pre-apply" :
				   !strcmp(argv[i], "--post") ? "post-apply" : NULL;

		if (want && sub && strcmp(want, sub))
			return front_fail(ctx, FLUX_EXIT_USAGE, "new: --pre and --post exclude each other");
		if (want)
			sub = want;
		else if (!strcmp(argv[i], "--"))
			break;
		else
			return front_fail(ctx, FLUX_EXIT_USAGE, "new: unknown option '%s'", argv[i]);
	}
	first = i < argc && !strcmp(argv[i], "--") ? i + 1 : i;
	slugify(&slug, argc - first, argv + first);
	if (!slug.len) {
		sb_release(&slug);
		return front_fail(ctx, FLUX_EXIT_USAGE, "new: a migration NAME is required");
	}
	if (strchr(slug.buf, '/')) {
		rc = front_fail(ctx, FLUX_EXIT_USAGE, "new: invalid name '%s': it may not contain '/'",
				slug.buf);
		goto cleanup;
	}

	sb_adds(&dir, ctx->cfg.migration_directory);
	if (make_dir(ctx, dir.buf)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (sub) {
		sb_addf(&dir, "/%s", sub);
		if (make_dir(ctx, dir.buf)) {
			rc = ctx->err.code;
			goto cleanup;
		}
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	for (nnn = 1; nnn < 1000; nnn++) {
		sb_reset(&prefix);
		sb_addf(&prefix, "%s_%03d", date, nnn);
		if (!prefix_taken(dir.buf, prefix.buf))
			break;
	}
	if (nnn == 1000) {
		rc = front_fail(ctx, FLUX_EXIT_DIRECTORY, "new: no free number left for %s in '%s'",
				date, dir.buf);
		goto cleanup;
	}
	sb_addf(&path, "%s/%s_%s.sql", dir.buf, prefix.buf, slug.buf);
	if (create_empty(ctx, path.buf)) {
		rc = ctx->err.code;
		goto cleanup;
	}
	if (!sub) {
		sb_reset(&path);
		sb_addf(&path, "%s/%s_%s.undo.sql", dir.buf, prefix.buf, slug.buf);
		if (create_empty(ctx, path.buf))
			rc = ctx->err.code;
	}
cleanup:
	sb_release(&dir);
	sb_release(&slug);
	sb_release(&prefix);
	sb_release(&path);
	return rc;
}
