/*
 * db: the database backend interface, its registry, and what every backend
 * shares.
 *
 * The compile-time counterpart of flux-migrations' backend plugins: each
 * backend is one struct db_backend of hooks (src/db_NAME.c), listed once in
 * src/db_backends.h and found by name (db_backend_find); docs/NEW-BACKEND.md
 * says what each hook must do. One struct db is one connection. Errors are
 * classified into FLUX_EXIT_UNAVAILABLE (6), FLUX_EXIT_REFUSED (7),
 * FLUX_EXIT_LOCK (8) or FLUX_EXIT_MIGRATION (1), with the server's message
 * parts in flux_err. Rows are copied out of the client library's results
 * before they are freed.
 * db.c (the registry, the interrupt flag, signal-time cancel dispatch) may
 * depend on the backends, mdir (types), sb and libc; a backend on cfg, mdir,
 * plan (types), split, clock, err, log, sb, xalloc and its client library.
 * cfg and url ask the registry for names and URL hooks only.
 */
#ifndef FLUX_DB_H
#define FLUX_DB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "err.h"
#include "mdir.h"
#include "plan.h"
#include "sb.h"

/*
 * One connection. It borrows the configuration: the struct flux_config
 * passed to open is read for the connection's whole life (schema, table,
 * timeouts) and must outlive it; close the db before releasing the config.
 */
struct db;

/*
 * Set by the front's signal handler: 1 after SIGTERM, 2 after SIGINT. Wait
 * and lock loops stop, and a cancelled statement is reported as 143/130.
 */
extern volatile sig_atomic_t db_interrupted;
/* The exit code of the signal that set db_interrupted: 130 or 143. */
enum flux_exit db_interrupted_code(void);

/*
 * Cancel the statement in flight on any open connection, without waiting:
 * asks each backend's cancel_from_signal. Returns 0 when no connection is
 * open (nothing to roll back), else 1. Async-signal-safe.
 */
int db_cancel_from_signal(void);

/* What one migration of a batch does besides running its text. */
enum db_op {
	DB_APPLY,     /* run the up text, insert the history row */
	DB_UNDO,      /* run the undo text (if any), delete the history row */
	DB_REPEATABLE /* run a pre-apply/post-apply text, no history */
};

struct db_item {
	const struct mdir_migration *m;
	enum db_op op;
	/*
	 * The item's text when the runner has read it already (while the
	 * chunk before it ran), else NULL and the backend reads it with
	 * mdir_load. Borrowed: valid until run_chunk returns.
	 */
	const char *text;
	size_t text_len;
};

/* Is the item's text run without a transaction (`-- flux:no-transaction`)? */
bool db_item_no_transaction(const struct db_item *item);
/*
 * Does the item's text end open (mdir's ends_open): then it goes in a
 * chunk of its own, so that nothing sent after it is read as part of it.
 */
bool db_item_ends_open(const struct db_item *item);
/* Bytes of the item's text (to size chunks). */
size_t db_item_size(const struct db_item *item);

/*
 * done: told as each item of a chunk commits, in order, with its duration.
 * idle (may be NULL): called, once the chunk is sent, while no result is
 * waiting, to do a little other work (read the next chunk's files) in
 * the time the server runs this one; it returns 0 when it has nothing
 * more to do and is not called again for this chunk.
 */
struct db_events {
	void *arg;
	void (*done)(void *arg, size_t index, long ms);
	int (*idle)(void *arg);
};

/* run_chunk's result when the server rejected the whole text unparsed. */
#define DB_CHUNK_UNPARSED (-2)

/*
 * One backend: a name and its hooks, all of them set. The hooks that take
 * a struct db are only called between a successful open and close; none is
 * called from two threads (flux has one).
 */
struct db_backend {
	const char *name; /* the value of `backend`: lowercase letters */

	/*
	 * The [backend] section of the flux.toml `flux init` writes (after
	 * [flux] with `backend = "<name>"`): TOML (and INI) comments and keys
	 * this backend reads, each line ending in a newline.
	 */
	const char *init_template;

	/*
	 * Database URLs. url_looks_like: does s start like one of this
	 * backend's URLs (its scheme)? It decides which argument of
	 * `flux apply URL 2` is the URL. url_check: normalise (e.g. drop
	 * SQLAlchemy's "+driver") and check that the client library accepts
	 * it; *out malloc'd; a failure is FLUX_EXIT_CONFIG with the value
	 * redacted and `where` (may be NULL) named. url_redact: a malloc'd
	 * copy of a URL or connection string with every password "***".
	 * url_redact_text: the same for free text that may hold URLs or
	 * connection strings anywhere (every message quoting a user value
	 * goes through it). url_scrub: overwrite the password bytes of s in
	 * place (flux's own argv). None may print; NULL in gives "".
	 */
	bool (*url_looks_like)(const char *s);
	int (*url_check)(const char *in, const char *where, char **out,
			 struct flux_err *err);
	char *(*url_redact)(const char *in);
	char *(*url_redact_text)(const char *text);
	void (*url_scrub)(char *s);

	/*
	 * Wait for the server until the wait timeout to accept connections,
	 * then disconnect (flux wait): 0, or FLUX_EXIT_UNAVAILABLE (6) after
	 * the timeout, FLUX_EXIT_REFUSED (7) at once when the server refuses,
	 * FLUX_EXIT_CONFIG (3) for parameters the client cannot use,
	 * FLUX_EXIT_SIGTERM/SIGINT when db_interrupted is set.
	 */
	int (*wait)(const struct flux_config *cfg, struct flux_err *err);
	/*
	 * From the signal handler: ask the server to cancel the statement in
	 * flight on this backend's open connection, without waiting for it.
	 * 0 when no connection is open, else 1. Async-signal-safe.
	 */
	int (*cancel_from_signal)(void);

	/* Wait for the server until the wait timeout, then connect. */
	struct db *(*open)(const struct flux_config *cfg, struct flux_err *err);
	void (*close)(struct db *db);
	/*
	 * Start a session: take the advisory lock when asked (polling until
	 * held or the lock timeout), learn whether the history table exists
	 * and copy its rows out (*rows malloc'd, plan_rows_free), in as few
	 * round trips as the backend can (one when the lock is free). With the
	 * lock, refuses first (FLUX_EXIT_REFUSED, nothing locked) a server in
	 * recovery and a pooler that does not pin the session to one server
	 * connection.
	 */
	int (*start)(struct db *db, bool lock, bool *exists, struct plan_row **rows,
		     size_t *n, struct flux_err *err);
	/* Make what was committed durable and release the lock, if held. */
	int (*unlock)(struct db *db, struct flux_err *err);
	/*
	 * Before a wait with the lock held (a question to the user): make sure
	 * the server ends the session, and frees the lock, should the client
	 * vanish meanwhile. A backend may leave that to the first migration's
	 * round trip otherwise. 0, or -1 with err when the connection is lost.
	 */
	int (*guard)(struct db *db, struct flux_err *err);
	/* create schema/table if missing */
	int (*history_create)(struct db *db, struct flux_err *err);
	/*
	 * Run n transactional items, each in its own transaction together with
	 * its history change, in one round trip; ev->done is called as each
	 * commits. Stops at the first failure (0 or -1 with err; *ndone says
	 * how many committed). DB_CHUNK_UNPARSED: the server rejected the
	 * whole text before running any of it (a syntax error somewhere):
	 * nothing ran and err is empty; run the items one at a time to find
	 * and report the one at fault.
	 */
	int (*run_chunk)(struct db *db, const struct db_item *items, size_t n,
			 const struct db_events *ev, size_t *ndone, struct flux_err *err);
	/* Run one no-transaction item statement by statement, then its history change. */
	int (*run_one)(struct db *db, const struct db_item *item, struct flux_err *err);
	/* Describe, on one line, who held a lock a migration timed out on. */
	void (*lock_blockers)(struct db *db, struct sb *out);
};

/* Each backend's struct, defined in its src/db_NAME.c. */
#define DB_BACKEND(name) extern const struct db_backend db_##name##_backend;
#include "db_backends.h"
#undef DB_BACKEND

/*
 * The registry: every backend built in, in src/db_backends.h's order, then
 * NULL. The first is the default `backend`.
 */
extern const struct db_backend *const db_backends[];

/* The backend called name (ASCII case ignored), or NULL. */
const struct db_backend *db_backend_find(const char *name);

/* Append the backends' names, ", " between them: the accepted values. */
void db_backend_names(struct sb *out);

/* Only wait for the server to accept connections (flux wait): cfg's backend's wait. */
int db_wait(const struct flux_config *cfg, struct flux_err *err);

#endif
