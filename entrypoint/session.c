/*
 * The database session shared by apply, rollback, status and validate,
 * and small helpers of the front.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "flux.h"
#include "log.h"

int session_open(struct flux_ctx *ctx, struct session *s, bool lock)
{
	const struct db_backend *be = ctx->backend;

	memset(s, 0, sizeof(*s));
	s->db = be->open(&ctx->cfg, &ctx->err);
	if (!s->db)
		return -1;
	if (lock && be->lock(s->db, &ctx->err))
		return -1;
	if (be->history_exists(s->db, &s->history_exists, &ctx->err))
		return -1;
	if (s->history_exists &&
	    be->history_read(s->db, &s->rows, &s->nrows, &ctx->err))
		return -1;
	plan_build(&s->plan, &ctx->dir, s->rows, s->nrows);
	if (s->plan.nunverifiable)
		log_warn("python_applied",
			 "%zu applied Python migration(s) accepted by id: their hashes cannot be checked here",
			 s->plan.nunverifiable);
	return 0;
}

void session_close(struct flux_ctx *ctx, struct session *s)
{
	if (s->db) {
		struct flux_err err = FLUX_ERR_INIT;
		if (ctx->backend->unlock(s->db, &err) && !ctx->err.msg)
			err_move(&ctx->err, &err);
		err_release(&err);
		ctx->backend->close(s->db);
	}
	plan_release(&s->plan);
	plan_rows_free(s->rows, s->nrows);
	memset(s, 0, sizeof(*s));
}

int session_repeatables(struct flux_ctx *ctx, struct session *s,
			const struct mdir_migration *list, size_t n,
			const char *phase, struct flux_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct log_fields f = LOG_FIELDS_INIT;
		long long t0 = clock_ms();

		if (ctx->backend->run_repeatable(s->db, &list[i], err))
			return -1;
		f.id = list[i].id;
		f.ms = (long)(clock_ms() - t0);
		log_emit(LOG_INFO, phase, &f, "ran %s %s in %ld ms", phase, list[i].id, f.ms);
	}
	return 0;
}

long front_parse_count(const char *s)
{
	char *end;
	long n;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < 0)
		return -1;
	return n;
}

bool isatty_stdin(void)
{
	return isatty(STDIN_FILENO) == 1;
}

bool front_confirm(const char *question)
{
	char line[32];

	if (!isatty_stdin())
		return false;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return !strcmp(line, "y\n") || !strcmp(line, "yes\n") || !strcmp(line, "Y\n");
}

/*
 * pre-apply, the batch, post-apply. A failed migration stops the batch;
 * post-apply still runs (as in flux-migrations) unless the connection is
 * gone or we were interrupted. The first error is the one reported.
 */
int session_batch(struct flux_ctx *ctx, struct session *s,
		  const struct mdir_migration *const *list, size_t n, bool undo,
		  bool repeatables)
{
	const struct db_backend *be = ctx->backend;
	const char *verb = undo ? "undid" : "applied";
	long long t_batch = clock_ms();
	size_t i, done = 0;
	int rc = 0;

	if (repeatables && session_repeatables(ctx, s, ctx->dir.pre, ctx->dir.npre,
					       "pre-apply", &ctx->err))
		return ctx->err.code;
	for (i = 0; i < n; i++) {
		struct log_fields f = LOG_FIELDS_INIT;
		long long t0 = clock_ms();

		if (db_interrupted) {
			err_set(&ctx->err, db_interrupted == 2 ? FLUX_EXIT_SIGINT : FLUX_EXIT_SIGTERM,
				"interrupted: stopped before '%s'", list[i]->id);
			rc = ctx->err.code;
			break;
		}
		if ((undo ? be->undo : be->apply)(s->db, list[i], &ctx->err)) {
			rc = ctx->err.code;
			break;
		}
		f.id = list[i]->id;
		f.ms = (long)(clock_ms() - t0);
		log_emit(LOG_INFO, undo ? "undone" : "applied", &f, "%s %s in %ld ms", verb,
			 list[i]->id, f.ms);
		done++;
	}
	if (repeatables && rc != FLUX_EXIT_UNAVAILABLE && !db_interrupted) {
		struct flux_err post = FLUX_ERR_INIT;
		if (session_repeatables(ctx, s, ctx->dir.post, ctx->dir.npost, "post-apply",
					rc ? &post : &ctx->err)) {
			if (rc) {
				log_error("error", "post-apply after the failure also failed: %s", post.msg);
			} else {
				rc = ctx->err.code;
			}
		}
		err_release(&post);
	}
	{
		struct log_fields f = LOG_FIELDS_INIT;
		f.ms = (long)(clock_ms() - t_batch);
		if (rc && done)
			log_emit(LOG_INFO, "summary", &f, "%s %zu of %zu migration%s before the failure (%ld ms)",
				 verb, done, n, n == 1 ? "" : "s", f.ms);
		else if (!rc && n)
			log_emit(LOG_INFO, "summary", &f, "%s %zu migration%s in %ld ms", verb, done,
				 done == 1 ? "" : "s", f.ms);
	}
	return rc;
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
