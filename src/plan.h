/*
 * plan: the pure planner. Compares the migration directory with the rows of
 * the history table: validation, status, pending list, rollback list.
 *
 * No I/O, no libpq, no globals: inputs are plain arrays, so every case is
 * unit tested without a database. A struct plan borrows pointers into the
 * struct mdir and the row array it was built from: keep both alive while
 * the plan is used. plan_release() frees only the plan's own arrays.
 * May depend on mdir (types only), err, sb, xalloc and libc.
 */
#ifndef FLUX_PLAN_H
#define FLUX_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "mdir.h"

/* One row of the history table, copied out of the PGresult. */
struct plan_row {
	char *id;
	char *hash;
	char *applied_at; /* as the server prints a timestamp */
};

void plan_rows_free(struct plan_row *rows, size_t n);

enum plan_state {
	PLAN_APPLIED = 0,  /* recorded, hash matches */
	PLAN_PENDING,      /* in the directory, newer than the last applied */
	PLAN_MODIFIED,     /* recorded, hash differs from the file */
	PLAN_MISSING,      /* recorded, no file */
	PLAN_OUT_OF_ORDER, /* file older than the last applied, not recorded */
	PLAN_UNVERIFIABLE  /* recorded .py migration: accepted by id */
};

const char *plan_state_name(enum plan_state state);

struct plan_entry {
	const char *id;                  /* points into mig or row */
	enum plan_state state;
	const struct mdir_migration *mig; /* NULL when MISSING */
	const struct plan_row *row;       /* NULL when PENDING/OUT_OF_ORDER */
};

struct plan {
	struct plan_entry *entries; /* every id of dir and rows, strcmp order */
	size_t nentries;
	size_t napplied;  /* APPLIED + MODIFIED + MISSING + UNVERIFIABLE */
	size_t npending;
	size_t nproblems; /* MODIFIED + MISSING + OUT_OF_ORDER */
	size_t nunverifiable;
};

/* Build the merged view. rows need not be sorted. Never fails. */
void plan_build(struct plan *plan, const struct mdir *dir,
		const struct plan_row *rows, size_t nrows);
void plan_release(struct plan *plan);

/*
 * 0 when valid; else FLUX_EXIT_CORRUPT with a message naming every
 * offending id and what is wrong (missing / inserted before the last
 * applied / modified, with both hashes), one per line after the first.
 */
int plan_validate(const struct plan *plan, struct flux_err *err);

/*
 * The migrations apply would run: all pending (limit 0) or the next
 * `limit`. A .py among them is FLUX_EXIT_DIRECTORY naming the file and
 * saying that flux-migrations must apply it or it must become .sql.
 * *out is malloc'd (caller frees the array, not the migrations).
 */
int plan_apply_list(const struct plan *plan, size_t limit,
		    const struct mdir_migration ***out, size_t *n,
		    struct flux_err *err);

enum plan_rollback_mode { PLAN_RB_COUNT, PLAN_RB_TO, PLAN_RB_ALL };

/*
 * The applied migrations rollback would undo, newest first: the last
 * `count`, down to and including `to_id`, or all. An unknown or unapplied
 * to_id is FLUX_EXIT_USAGE; a .py one among them is FLUX_EXIT_DIRECTORY,
 * checked before anything runs. A .sql migration without an undo file is
 * listed: as in flux-migrations, undoing it only deletes its history row.
 */
int plan_rollback_list(const struct plan *plan, enum plan_rollback_mode mode,
		       size_t count, const char *to_id,
		       const struct mdir_migration ***out, size_t *n,
		       struct flux_err *err);

#endif
