/*
 * run: the batch runner. Opens a database session (connection, lock,
 * history, plan), and runs a batch: pre-apply, the migrations to apply or
 * undo, post-apply, logging one event per migration and a summary.
 *
 * Consecutive transactional migrations travel together: one round trip
 * per chunk (run_chunk_len says how many), so the distance to the database
 * costs one round trip per chunk, not two per migration. A no-transaction
 * migration runs alone between chunks. Every behaviour of one migration at
 * a time is kept: each commits on its own with its history row, the batch
 * stops at the first failure with the earlier ones committed, post-apply
 * still runs. A chunk the server rejects unparsed (a syntax error in one
 * of its migrations) is run again one migration at a time, so that the
 * ones before the bad one are applied and the bad one is reported exactly.
 * A struct run_session borrows the backend, configuration and directory.
 * May depend on db, plan, mdir, cfg, clock, err, log, xalloc and libc.
 */
#ifndef FLUX_RUN_H
#define FLUX_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "db.h"
#include "err.h"
#include "mdir.h"
#include "plan.h"

struct run_session {
	const struct db_backend *be;
	const struct flux_config *cfg;
	const struct mdir *dir;
	struct db *db;
	bool history_exists;
	struct plan_row *rows;
	size_t nrows;
	struct plan plan;
};

/* How much one chunk may carry. */
struct run_limits {
	size_t max_items;
	size_t max_bytes; /* of migration text; a larger single text goes alone */
};

/* The count limit of run_default_limits. */
#define RUN_MAX_ITEMS 1000

extern const struct run_limits run_default_limits;

/*
 * How many items, from items[0], go into one chunk: consecutive
 * transactional ones within the limits (at least one). 0 when items[0] is
 * a no-transaction migration, which runs alone; 1 when its text ends open
 * (db_item_ends_open), and a chunk ends before such a one. Pure.
 */
size_t run_chunk_len(const struct db_item *items, size_t n, const struct run_limits *lim);

/*
 * Connect (waiting), lock if asked, read the history and build the plan.
 * 0 or -1 with err. run_close() afterwards in both cases.
 */
int run_open(struct run_session *s, const struct db_backend *be,
	     const struct flux_config *cfg, const struct mdir *dir, bool lock,
	     struct flux_err *err);

/*
 * Before asking the user, with the lock held: have the server free the
 * lock should flux vanish during the wait (the backend's guard). 0 or -1.
 */
int run_guard(struct run_session *s, struct flux_err *err);

/*
 * Release the lock (after making the batch durable), close, free. Accepts
 * a zeroed session. An unlock failure goes into err unless it holds one.
 */
void run_close(struct run_session *s, struct flux_err *err);

/*
 * Run pre-apply (when repeatables), then apply (or undo) each of list in
 * order, then post-apply (not after a lost connection or a signal).
 * Returns 0, or -1 with err (the first failure).
 */
int run_batch(struct run_session *s, const struct mdir_migration *const *list, size_t n,
	      bool undo, bool repeatables, struct flux_err *err);

#endif
