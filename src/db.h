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

struct db_backend {
	const char *name;
	/* Wait for the server until the wait timeout, then connect. */
	struct db *(*open)(const struct flux_config *cfg, struct flux_err *err);
	void (*close)(struct db *db);
	/*
	 * Poll the advisory lock until held or lock timeout. Refuses first
	 * (FLUX_EXIT_REFUSED, nothing locked) a server in recovery and a
	 * pooler that does not pin the session to one server connection.
	 */
	int (*lock)(struct db *db, struct flux_err *err);
	int (*unlock)(struct db *db, struct flux_err *err);
	/* Does the history table exist? (read-only) */
	int (*history_exists)(struct db *db, bool *exists, struct flux_err *err);
	/* create schema/table if missing */
	int (*history_create)(struct db *db, struct flux_err *err);
	/* Copy every history row out; *rows malloc'd (plan_rows_free). */
	int (*history_read)(struct db *db, struct plan_row **rows, size_t *n,
			    struct flux_err *err);
	/* Run a repeatable migration in its own transaction. */
	int (*run_repeatable)(struct db *db, const struct mdir_migration *m,
			      struct flux_err *err);
	/* Run an up migration and insert its history row, atomically. */
	int (*apply)(struct db *db, const struct mdir_migration *m,
		     struct flux_err *err);
	/* Run an undo migration and delete its history row, atomically. */
	int (*undo)(struct db *db, const struct mdir_migration *m,
		    struct flux_err *err);
};

const struct db_backend *db_backend_find(const char *name);

/* Only wait for the server to accept connections (flux wait). */
int db_wait(const struct flux_config *cfg, struct flux_err *err);

#endif
