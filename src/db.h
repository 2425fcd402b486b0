/*
 * db: the database backend interface and its PostgreSQL implementation.
 *
 * The compile-time counterpart of flux-migrations' backend plugins: a
 * table of operations found by name (db_backend_find). One struct db is one
 * connection. Errors are classified by SQLSTATE / connection status into
 * FLUX_EXIT_UNAVAILABLE (6), FLUX_EXIT_REFUSED (7), FLUX_EXIT_LOCK (8) or
 * FLUX_EXIT_MIGRATION (1), with the server's message parts in flux_err.
 * Rows are copied out of every PGresult before it is cleared.
 * May depend on cfg, mdir, plan (types), split, clock, err, log, sb, xalloc,
 * libpq.
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

/*
 * Cancel the statement in flight on the open connection, without waiting:
 * a child process sends the request (and gives up after 5 s). Returns 0
 * when no connection is open (nothing to roll back), else 1.
 * Async-signal-safe.
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
};

/* Is the item's text run without a transaction (`-- flux:no-transaction`)? */
bool db_item_no_transaction(const struct db_item *item);
/* Bytes of the item's text (to size chunks). */
size_t db_item_size(const struct db_item *item);

/* Told as each item of a chunk commits, in order, with its duration. */
struct db_events {
	void *arg;
	void (*done)(void *arg, size_t index, long ms);
};

/* run_chunk's result when the server rejected the whole text unparsed. */
#define DB_CHUNK_UNPARSED (-2)

struct db_backend {
	const char *name;
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

const struct db_backend *db_backend_find(const char *name);

/* Only wait for the server to accept connections (flux wait). */
int db_wait(const struct flux_config *cfg, struct flux_err *err);

#endif
