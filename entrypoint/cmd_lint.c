/*
 * flux lint [--format text|json] [PATH...]: dangerous DDL, without a
 * database. The rules are src/lint.c's; this file picks the files, reads
 * them as apply would (normalised, checked UTF-8, no BOM) and prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flux.h"
#include "lint.h"
#include "log.h"
#include "sb.h"
#include "xalloc.h"

/* As the migration directory reader's limit. */
#define LINT_MAX_FILE ((size_t)64 << 20)

struct lint_run {
	bool json;
	struct lint_options base;
	size_t files, findings, errors;
};

static void add_json_string(struct sb *out, const char *s)
{
	sb_addch(out, '"');
	sb_add_json(out, s);
	sb_addch(out, '"');
}

/* A message on one line: a quoted name may hold a newline or a tab. */
static void add_one_line(struct sb *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			sb_addf(out, "\\x%02x", c);
		else
			sb_addch(out, c);
	}
}

static void print_findings(const char *path, const struct lint_result *r, bool json)
{
	struct sb out = SB_INIT;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct lint_finding *fi = &r->findings[i];
		const struct lint_rule_info *rule = &lint_rules[fi->rule];

		if (json) {
			sb_adds(&out, "{\"file\":");
			add_json_string(&out, path);
			sb_addf(&out,
				",\"line\":%d,\"col\":%d,\"rule\":\"%s\",\"severity\":\"%s\","
				"\"message\":",
				fi->line, fi->col, rule->id,
				lint_severity_name(rule->severity));
			add_json_string(&out, fi->message);
			sb_adds(&out, ",\"hint\":");
			add_json_string(&out, rule->hint);
			sb_adds(&out, "}\n");
		} else {
			sb_addf(&out, "%s:%d:%d: %s: ", path, fi->line, fi->col,
				rule->id);
			add_one_line(&out, fi->message);
			sb_addf(&out, "\n    hint: %s\n", rule->hint);
		}
	}
	fwrite(out.buf, 1, out.len, stdout);
	sb_release(&out);
}

static int lint_text(struct flux_ctx *ctx, struct lint_run *run, const char *path,
		     const char *text, size_t len, bool no_transaction, bool undo)
{
	struct lint_result r = LINT_RESULT_INIT;
	struct lint_options opt = run->base;
	size_t i;

	opt.no_transaction = no_transaction;
	opt.undo = undo;
	if (lint_sql(text, len, &opt, &r, &ctx->err)) {
		char *why = ctx->err.msg;

		ctx->err.msg = NULL;
		err_set(&ctx->err, FLUX_EXIT_DIRECTORY, "cannot lint migration '%s': %s",
			path, why);
		free(why);
		return -1;
	}
	for (i = 0; i < r.nnotes; i++)
		log_warn("lint", "%s: %s", path, r.notes[i]);
	print_findings(path, &r, run->json);
	run->files++;
	run->findings += r.n;
	run->errors += lint_count_errors(&r);
	lint_result_release(&r);
	return 0;
}

static int lint_list(struct flux_ctx *ctx, struct lint_run *run,
		     const struct mdir_migration *list, size_t n)
{
	struct sb text = SB_INIT;
	size_t i;
	int rc = -1;

	/* One text at a time: the directory's texts are not kept in memory. */
	for (i = 0; i < n; i++) {
		const struct mdir_migration *m = &list[i];

		if (m->kind == MDIR_PY) {
			log_debug("lint", "skipping Python migration '%s'", m->path);
			continue;
		}
		sb_reset(&text);
		if (mdir_load(m, false, &text, &ctx->err) ||
		    lint_text(ctx, run, m->path, text.buf, text.len, m->no_transaction,
			      false))
			goto cleanup;
		if (!m->undo_path)
			continue;
		sb_reset(&text);
		if (mdir_load(m, true, &text, &ctx->err) ||
		    lint_text(ctx, run, m->undo_path, text.buf, text.len,
			      m->undo_no_transaction, true))
			goto cleanup;
	}
	rc = 0;
cleanup:
	sb_release(&text);
	return rc;
}

/* Every up, undo and repeatable migration: pre-apply, migrations, post-apply. */
static int lint_dir(struct flux_ctx *ctx, struct lint_run *run, const char *root)
{
	struct mdir dir;
	int rc = -1;

	memset(&dir, 0, sizeof(dir));
	if (mdir_read(&dir, root, &ctx->err))
		goto cleanup;
	if (lint_list(ctx, run, dir.pre, dir.npre) ||
	    lint_list(ctx, run, dir.migrations, dir.nmigrations) ||
	    lint_list(ctx, run, dir.post, dir.npost))
		goto cleanup;
	rc = 0;
cleanup:
	mdir_release(&dir);
	return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* One PATH: a file, or a directory read as a migration directory. */
static int lint_path(struct flux_ctx *ctx, struct lint_run *run, const char *path)
{
	struct sb raw = SB_INIT, text = SB_INIT;
	struct stat st;
	size_t skip = 0;
	int rc = -1, r;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return lint_dir(ctx, run, path);
	r = sb_read_file(&raw, path, LINT_MAX_FILE);
	if (r) {
		err_set(&ctx->err, FLUX_EXIT_DIRECTORY, "cannot read migration '%s': %s",
			path,
			r == -2 && errno == EFBIG ? "larger than 64 MiB" :
						    strerror(errno));
		goto cleanup;
	}
	if (mdir_normalise(raw.buf, raw.len, path, &text, &ctx->err))
		goto cleanup;
	if (text.len >= 3 && !memcmp(text.buf, "\xEF\xBB\xBF", 3))
		skip = 3;
	rc = lint_text(ctx, run, path, text.buf + skip, text.len - skip,
		       mdir_is_no_transaction(text.buf + skip, text.len - skip),
		       ends_with(path, ".undo.sql"));
cleanup:
	sb_release(&raw);
	sb_release(&text);
	return rc;
}

/*
 * Does libpq options text (PGOPTIONS, or a URL whose options= may be
 * percent-encoded) set a non-zero lock_timeout? "-c lock_timeout=5s",
 * "options=-c%20lock_timeout%3D5s".
 */
static bool sets_lock_timeout(const char *s)
{
	const char *p = s;

	while (p && (p = strstr(p, "lock_timeout"))) {
		p += strlen("lock_timeout");
		if (*p == '=')
			p++;
		else if (p[0] == '%' && p[1] == '3' && (p[2] == 'D' || p[2] == 'd'))
			p += 3;
		else
			continue;
		if (*p >= '1' && *p <= '9')
			return true;
	}
	return false;
}

int cmd_lint_parse(int argc, char **argv, struct flux_ctx *ctx)
{
	static const char *const formats[] = { "text", "json", NULL };
	struct flux_args *a = &ctx->args;
	const struct opt opts[] = {
		{ .name = "--format",
		  .kind = OPT_VALUE,
		  .out = &a->format,
		  .words = formats },
		{ .name = NULL },
	};
	const struct opt_spec spec = {
		.cmd = "lint",
		.opts = opts,
		.max_pos = -1,
		.dashdash = true,
		.dash_positional = true,
		.hint = "expected --format text|json and migration paths",
	};

	a->pos = xcalloc((size_t)argc + 1, sizeof(*a->pos));
	return opt_parse(&spec, argc, argv, a->pos, &a->npos, &ctx->err) ? ctx->err.code :
									   0;
}

int cmd_lint(struct flux_ctx *ctx)
{
	const struct flux_args *a = &ctx->args;
	struct lint_run run;
	const char *bad;
	size_t bad_len;
	int i;

	memset(&run, 0, sizeof(run));
	run.json = a->format && !strcmp(a->format, "json");
	/* cfg_set() checked the IDs; a failure here would be a bug, said as one. */
	if (lint_parse_rule_list(ctx->cfg.lint_ignore, &run.base.ignore, &bad, &bad_len))
		return front_fail(ctx, FLUX_EXIT_CONFIG,
				  "invalid lint_ignore rule '%.*s'", (int)bad_len, bad);
	/*
	 * missing-lock-timeout is for runs without a lock timeout of their
	 * own: a lock_timeout in PGOPTIONS or in the URL's options (the way the
	 * docs/OPERATIONS.md gives) is one, and so is ddl_lock_timeout (FLUX_DDL_LOCK_TIMEOUT).
	 */
	run.base.ddl_lock_timeout = ctx->cfg.ddl_lock_timeout_ms > 0 ||
		sets_lock_timeout(getenv("PGOPTIONS")) ||
		sets_lock_timeout(ctx->cfg.database_url);

	if (!a->npos && lint_dir(ctx, &run, ctx->cfg.migration_directory))
		return ctx->err.code;
	for (i = 0; i < a->npos; i++)
		if (lint_path(ctx, &run, a->pos[i]))
			return ctx->err.code;
	log_info("lint", "%zu file%s checked: %zu finding%s, %zu error%s", run.files,
		 run.files == 1 ? "" : "s", run.findings, run.findings == 1 ? "" : "s",
		 run.errors, run.errors == 1 ? "" : "s");
	return run.errors ? FLUX_EXIT_LINT : 0;
}
