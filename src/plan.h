/*
 * plan: the pure planner. Compares the migration directory with the rows of
 * the history table: validation, status, pending list, rollback list, and
 * the steps of apply --to, goto and redo.
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
	char *applied_at; /* as the server prints a timestamp; NULL when not read (locking sessions) */
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
	const char *id; /* points into mig or row */
	enum plan_state state;
	const struct mdir_migration *mig; /* NULL when MISSING */
	const struct plan_row *row;       /* NULL when PENDING/OUT_OF_ORDER */
};

struct plan {
	struct plan_entry *entries; /* every id of dir and rows, strcmp order */
	size_t nentries;
	size_t napplied; /* APPLIED + MODIFIED + MISSING + UNVERIFIABLE */
	size_t npending;
	size_t nproblems; /* MODIFIED + MISSING + OUT_OF_ORDER */
	size_t nunverifiable;
};

/* Build the merged view. rows need not be sorted. Never fails. */
void plan_build(struct plan *plan, const struct mdir *dir, const struct plan_row *rows,
		size_t nrows);
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
		    const struct mdir_migration ***out, size_t *n, struct flux_err *err);

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

/* The entry of id (in the directory, the history or both), or NULL. */
const struct plan_entry *plan_find(const struct plan *plan, const char *id);

/*
 * Can id be the target of apply --to or goto as far as the directory
 * alone tells? It must be the ID of a migration of dir (not a repeatable,
 * not a file name). FLUX_EXIT_USAGE naming it otherwise. Needs no
 * database, so the front calls it before connecting.
 */
int plan_check_target(const struct mdir *dir, const char *id, struct flux_err *err);

/*
 * apply --to: the pending migrations up to and including to_id, in order.
 * A to_id already applied gives an empty list (nothing to do, not an
 * error); one that is not in the directory is FLUX_EXIT_USAGE; one
 * inserted before the last applied is FLUX_EXIT_CORRUPT. A pending .py
 * within the range is FLUX_EXIT_DIRECTORY as in plan_apply_list.
 * *out is malloc'd (caller frees the array, not the migrations).
 */
int plan_apply_to_list(const struct plan *plan, const char *to_id,
		       const struct mdir_migration ***out, size_t *n,
		       struct flux_err *err);

/*
 * The two parts of goto and redo: what to undo (newest first), then what
 * to apply. Either may be empty. The arrays are malloc'd and point into
 * the directory; plan_steps_release() frees the arrays only.
 */
struct plan_steps {
	const struct mdir_migration **undo;
	size_t nundo;
	const struct mdir_migration **apply;
	size_t napply;
};

void plan_steps_release(struct plan_steps *steps);

/*
 * goto: make to_id the last applied migration. A pending to_id gives the
 * apply list of plan_apply_to_list; an applied one the undo list of every
 * migration recorded after it (checked as plan_rollback_list checks);
 * the last applied one gives two empty lists. Errors as
 * plan_apply_to_list and plan_rollback_list report them.
 */
int plan_goto(const struct plan *plan, const char *to_id, struct plan_steps *steps,
	      struct flux_err *err);

/*
 * redo: undo the last applied migration, then apply it again. Nothing
 * applied gives two empty lists. A last migration without an undo file is
 * FLUX_EXIT_USAGE: undoing it would only delete its history row, and
 * running its up migration again over its own effects is not a redo.
 */
int plan_redo(const struct plan *plan, struct plan_steps *steps, struct flux_err *err);

#endif
