#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

/*
 * 1000 migrations or 1 MiB of text a chunk: a thousand small migrations
 * are one round trip, a chunk in flight (the text and libpq's copy of it)
 * stays a few MiB whatever the batch, and so does what the server holds
 * of it (it parses the whole string first: five statements a migration).
 */
const struct run_limits run_default_limits = { RUN_MAX_ITEMS, 1u << 20 };

size_t run_chunk_len(const struct db_item *items, size_t n, const struct run_limits *lim)
{
	size_t i, bytes = 0;

	if (!n || db_item_no_transaction(&items[0]))
		return 0;
	if (db_item_ends_open(&items[0]))
		return 1;
	for (i = 0; i < n && i < lim->max_items; i++) {
		size_t size = db_item_size(&items[i]);
		if (db_item_no_transaction(&items[i]) || db_item_ends_open(&items[i]))
			break;
		if (i > 0 && bytes + size > lim->max_bytes)
			break;
		bytes += size;
	}
	return i;
}

int run_open(struct run_session *s, const struct db_backend *be,
	     const struct flux_config *cfg, const struct mdir *dir, bool lock,
	     struct flux_err *err)
{
	memset(s, 0, sizeof(*s));
	s->be = be;
	s->cfg = cfg;
	s->dir = dir;
	s->db = be->open(cfg, err);
	if (!s->db)
		return -1;
	if (be->start(s->db, lock, &s->history_exists, &s->rows, &s->nrows, err))
		return -1;
	plan_build(&s->plan, dir, s->rows, s->nrows);
	if (s->plan.nunverifiable)
		log_warn("python_applied",
			 "%zu applied Python migration(s) accepted by id: their hashes cannot be checked here",
			 s->plan.nunverifiable);
	return 0;
}

int run_guard(struct run_session *s, struct flux_err *err)
{
	return s->db ? s->be->guard(s->db, err) : 0;
}

void run_close(struct run_session *s, struct flux_err *err)
{
	if (s->db) {
		struct flux_err e = FLUX_ERR_INIT;
		if (s->be->unlock(s->db, &e) && !err->msg)
			err_move(err, &e);
		err_release(&e);
		s->be->close(s->db);
	}
	plan_release(&s->plan);
	plan_rows_free(s->rows, s->nrows);
	memset(s, 0, sizeof(*s));
}

/*
 * The texts of the next chunk, items[from..to), read while the server runs
 * the one before: items[from..next) are in buf, at off[k - from] up to
 * off[k - from + 1]. buf still holds the texts of the chunk in flight
 * until it has been sent, so it is emptied at the first idle call (fresh).
 */
struct ahead {
	struct db_item *items;
	size_t from, to, next;
	bool fresh;
	struct sb buf;
	size_t off[RUN_MAX_ITEMS + 1];
};

/* One phase of a batch: what it logs, and how far it got. */
struct phase {
	struct db_item *items;
	const char *event; /* "applied", "undone", "pre-apply", "post-apply" */
	size_t base;       /* the chunk in flight starts at items[base] */
	size_t done;
	struct ahead ahead;
};

static void log_done(void *arg, size_t index, long ms)
{
	struct phase *p = arg;
	const struct db_item *it = &p->items[p->base + index];
	struct log_fields f = LOG_FIELDS_INIT;

	f.id = it->m->id;
	f.ms = ms;
	if (it->op == DB_REPEATABLE)
		log_emit(LOG_INFO, p->event, &f, "ran %s %s in %ld ms", p->event,
			 it->m->id, ms);
	else
		log_emit(LOG_INFO, p->event, &f, "%s %s in %ld ms",
			 it->op == DB_UNDO ? "undid" : "applied", it->m->id, ms);
	p->done = p->base + index + 1;
}

/*
 * Plan to read ahead the chunk that starts at items[start] (of n): not a
 * no-transaction migration, which reads its own file, nor a text over the
 * chunk's size limit, which runs in pieces and is not held twice.
 */
static void ahead_plan(struct ahead *a, size_t start, size_t n)
{
	size_t len = start < n ?
		run_chunk_len(a->items + start, n - start, &run_default_limits) :
		0;

	if (len == 1 && db_item_size(&a->items[start]) > run_default_limits.max_bytes)
		len = 0;
	if (len > RUN_MAX_ITEMS)
		len = RUN_MAX_ITEMS;
	a->from = a->next = start;
	a->to = start + len;
	a->fresh = true;
}

/* db_events.idle: read one more file of the next chunk. */
static int ahead_idle(void *arg)
{
	struct ahead *a = &((struct phase *)arg)->ahead;
	const struct db_item *it;
	struct flux_err e = FLUX_ERR_INIT;

	if (a->fresh) {
		sb_reset(&a->buf);
		a->off[0] = 0;
		a->fresh = false;
	}
	if (a->next >= a->to)
		return 0;
	it = &a->items[a->next];
	if (mdir_load(it->m, it->op == DB_UNDO, &a->buf, &e)) {
		/* Read again when its turn comes, which reports the error then. */
		err_release(&e);
		a->to = a->next;
		return 0;
	}
	a->next++;
	a->off[a->next - a->from] = a->buf.len;
	return a->next < a->to;
}

/*
 * Hand the texts read ahead to items[i..i+len), or take them back (NULL).
 * Returns how many were handed over.
 */
static size_t ahead_attach(struct ahead *a, size_t i, size_t len, bool attach)
{
	size_t k, got = 0;

	for (k = i; k < i + len; k++) {
		bool have = attach && !a->fresh && k >= a->from && k < a->next;
		a->items[k].text = have ? a->buf.buf + a->off[k - a->from] : NULL;
		a->items[k].text_len =
			have ? a->off[k - a->from + 1] - a->off[k - a->from] : 0;
		got += have;
	}
	return got;
}

/* Did the migration fail on a lock it could not get within ddl_lock_timeout? */
static bool lock_timed_out(const struct run_session *s, const struct flux_err *err)
{
	return s->cfg->ddl_lock_timeout_ms > 0 && err->code == FLUX_EXIT_MIGRATION &&
		err->sqlstate && !strcmp(err->sqlstate, "55P03") && !db_interrupted;
}

/*
 * Before retry `attempt` (1-based) of a migration that timed out on a
 * lock: log who held it, then wait a jittered, growing while (250 ms
 * doubling to 8 s, each between half and all of it), so that the queue
 * behind the holder drains and several migrators do not retry in step.
 * -1 when a signal came meanwhile.
 */
static int wait_to_retry(struct run_session *s, const char *id, long attempt,
			 struct flux_err *err)
{
	struct sb who = SB_INIT;
	struct log_fields f = LOG_FIELDS_INIT;
	long full = 250L << (attempt - 1 < 5 ? attempt - 1 : 5);
	long wait;
	long long until;
	static bool seeded;

	if (!seeded) {
		srand((unsigned)clock_ms() ^ (unsigned)getpid());
		seeded = true;
	}
	wait = full / 2 + (long)((unsigned long)rand() % (unsigned long)(full / 2 + 1));
	s->be->lock_blockers(s->db, &who);
	f.id = id;
	log_emit(LOG_WARNING, "ddl_lock_retry", &f,
		 "migration '%s' waited %ld ms for a lock (ddl_lock_timeout) and was rolled back; "
		 "held by %s; retry %ld of %ld in %ld ms",
		 id, s->cfg->ddl_lock_timeout_ms, who.buf, attempt,
		 s->cfg->ddl_lock_retries, wait);
	sb_release(&who);
	until = clock_ms() + wait;
	while (clock_ms() < until) {
		if (db_interrupted)
			return err_set(err, db_interrupted_code(),
				       "interrupted while waiting to retry '%s'", id);
		clock_sleep_ms(50);
	}
	return 0;
}

/* The last retry failed too: say who held the lock. */
static void name_blocker(struct run_session *s, struct flux_err *err)
{
	struct sb msg = SB_INIT;

	sb_addf(&msg,
		"%s; after %ld retries (ddl_lock_timeout %ld ms) the lock was still held by ",
		err->msg, s->cfg->ddl_lock_retries, s->cfg->ddl_lock_timeout_ms);
	s->be->lock_blockers(s->db, &msg);
	free(err->msg);
	err->msg = sb_detach(&msg, NULL);
}

/*
 * Run items in order, chunk by chunk; a no-transaction item alone. A chunk
 * the server rejects unparsed holds a text it cannot parse: its first half
 * is sent alone, and whichever half holds the culprit is halved again, so
 * the items before the culprit are applied and the culprit reports its own
 * error in a chunk of one, after about log2(chunk) round trips rather than
 * one per item. Returns 0 or -1 with err; p->done counts the items that
 * committed.
 */
static int run_chunks(struct run_session *s, struct phase *p, size_t n,
		      struct flux_err *err)
{
	const struct db_item *items = p->items;
	struct db_events ev = { p, log_done, ahead_idle };
	size_t i = 0, len, ndone, got;
	size_t bad_end = 0; /* items[i..bad_end) hold the culprit of a rejected chunk */
	long retries = 0;
	long long t0;
	int rc;

	p->done = 0;
	while (i < n) {
		if (db_interrupted)
			return err_set(err, db_interrupted_code(),
				       "interrupted: stopped before '%s'",
				       items[i].m->id);
		len = run_chunk_len(items + i, n - i, &run_default_limits);
		p->base = i;
		if (!len) {
			t0 = clock_ms();
			if (s->be->run_one(s->db, &items[i], err))
				return -1;
			log_done(p, 0, (long)(clock_ms() - t0));
			i++;
			continue;
		}
		if (i >= bad_end)
			bad_end = 0;
		if (bad_end && len > (bad_end - i) / 2)
			len = (bad_end - i) / 2 ? (bad_end - i) / 2 : 1;
		got = ahead_attach(&p->ahead, i, len, true);
		log_debug("chunk",
			  "sending %zu migration%s from '%s' (%zu read while the chunk before ran)",
			  len, len == 1 ? "" : "s", items[i].m->id, got);
		ahead_plan(&p->ahead, i + len, n);
		rc = s->be->run_chunk(s->db, items + i, len, &ev, &ndone, err);
		ahead_attach(&p->ahead, i, len, false);
		if (rc == DB_CHUNK_UNPARSED) {
			log_debug("chunk",
				  "%zu migrations sent together did not parse; "
				  "sending half of them",
				  len);
			bad_end = i + len;
			continue;
		}
		if (rc && lock_timed_out(s, err)) {
			i += ndone;
			if (ndone)
				retries = 0;
			if (retries >= s->cfg->ddl_lock_retries) {
				name_blocker(s, err);
				return -1;
			}
			err_release(err);
			if (wait_to_retry(s, items[i].m->id, ++retries, err))
				return -1;
			continue;
		}
		if (rc)
			return -1;
		i += len;
		retries = 0;
	}
	return 0;
}

static int run_items(struct run_session *s, struct phase *p, size_t n,
		     struct flux_err *err)
{
	int rc;

	memset(&p->ahead, 0, sizeof(p->ahead));
	p->ahead.items = p->items;
	p->ahead.fresh = true;
	sb_init(&p->ahead.buf, 0);
	rc = run_chunks(s, p, n, err);
	sb_release(&p->ahead.buf);
	return rc;
}

/* The items of one phase: the migrations with what each does. */
static struct db_item *items_of(const struct mdir_migration *const *list,
				const struct mdir_migration *flat, size_t n,
				enum db_op op)
{
	struct db_item *v = xcalloc(n ? n : 1, sizeof(*v));
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].m = list ? list[i] : &flat[i];
		v[i].op = op;
	}
	return v;
}

static int run_repeatables(struct run_session *s, const struct mdir_migration *v,
			   size_t n, const char *event, struct flux_err *err)
{
	struct phase p;
	int rc;

	p.items = items_of(NULL, v, n, DB_REPEATABLE);
	p.event = event;
	rc = run_items(s, &p, n, err);
	free((void *)p.items);
	return rc;
}

int run_batch(struct run_session *s, const struct mdir_migration *const *list, size_t n,
	      bool undo, bool repeatables, struct flux_err *err)
{
	const char *verb = undo ? "undid" : "applied";
	long long t_batch = clock_ms();
	struct phase p;
	int rc;

	if (repeatables &&
	    run_repeatables(s, s->dir->pre, s->dir->npre, "pre-apply", err))
		return -1;
	p.items = items_of(list, NULL, n, undo ? DB_UNDO : DB_APPLY);
	p.event = undo ? "undone" : "applied";
	rc = run_items(s, &p, n, err);
	free((void *)p.items);
	if (repeatables && (!rc || err->code != FLUX_EXIT_UNAVAILABLE) &&
	    !db_interrupted) {
		struct flux_err post = FLUX_ERR_INIT;
		if (run_repeatables(s, s->dir->post, s->dir->npost, "post-apply",
				    rc ? &post : err)) {
			if (rc)
				log_error("error",
					  "post-apply after the failure also failed: %s",
					  post.msg);
			else
				rc = -1;
		}
		err_release(&post);
	}
	{
		struct log_fields f = LOG_FIELDS_INIT;
		f.ms = (long)(clock_ms() - t_batch);
		if (rc && p.done)
			log_emit(LOG_INFO, "summary", &f,
				 "%s %zu of %zu migration%s before the failure (%ld ms)",
				 verb, p.done, n, n == 1 ? "" : "s", f.ms);
		else if (!rc && n)
			log_emit(LOG_INFO, "summary", &f, "%s %zu migration%s in %ld ms",
				 verb, p.done, p.done == 1 ? "" : "s", f.ms);
	}
	return rc;
}
