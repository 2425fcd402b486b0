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
#include "xalloc.h"

static void slugify(struct sb *out, int argc, const char *const *argv)
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
		return front_fail(ctx, FLUX_EXIT_DIRECTORY,
				  "cannot create directory '%s': %s", path,
				  strerror(errno));
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
		return front_fail(ctx, FLUX_EXIT_DIRECTORY, "cannot create '%s': %s",
				  path, strerror(errno));
	close(fd);
	printf("%s\n", path);
	return 0;
}

int cmd_new_parse(int argc, char **argv, struct flux_ctx *ctx)
{
	struct flux_args *a = &ctx->args;
	const struct opt opts[] = {
		{ .name = "--pre", .kind = OPT_FLAG, .out = &a->pre },
		{ .name = "--post", .kind = OPT_FLAG, .out = &a->post },
		{ .name = NULL },
	};
	/* The NAME may be several words, and a word after it may start with '-'. */
	const struct opt_spec spec = {
		.cmd = "new",
		.opts = opts,
		.max_pos = -1,
		.dashdash = true,
		.options_first = true,
		.unknown_option = true,
	};

	a->pos = xcalloc((size_t)argc + 1, sizeof(*a->pos));
	if (opt_parse(&spec, argc, argv, a->pos, &a->npos, &ctx->err))
		return ctx->err.code;
	if (a->pre && a->post)
		return front_fail(ctx, FLUX_EXIT_USAGE,
				  "new: --pre and --post exclude each other");
	return 0;
}

int cmd_new(struct flux_ctx *ctx)
{
	const struct flux_args *a = &ctx->args;
	const char *sub = a->pre ? "pre-apply" : a->post ? "post-apply" : NULL;
	struct sb dir = SB_INIT, slug = SB_INIT, prefix = SB_INIT, path = SB_INIT;
	char date[16];
	time_t now = time(NULL);
	struct tm tm;
	int nnn, rc = 0;

	slugify(&slug, a->npos, a->pos);
	if (!slug.len) {
		sb_release(&slug);
		return front_fail(ctx, FLUX_EXIT_USAGE,
				  "new: a migration NAME is required");
	}
	if (strchr(slug.buf, '/')) {
		rc = front_fail(ctx, FLUX_EXIT_USAGE,
				"new: invalid name '%s': it may not contain '/'",
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
		rc = front_fail(ctx, FLUX_EXIT_DIRECTORY,
				"new: no free number left for %s in '%s'", date, dir.buf);
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
