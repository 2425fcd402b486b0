#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "sb.h"
#include "xalloc.h"

void plan_rows_free(struct plan_row *rows, size_t n)
{
	size_t i;

	if (!rows)
		return;
	for (i = 0; i < n; i++) {
		free(rows[i].id);
		free(rows[i].hash);
		free(rows[i].applied_at);
	}
	free(rows);
}

const char *plan_state_name(enum plan_state state)
{
	switch (state) {
	case PLAN_APPLIED:
		return "applied";
	case PLAN_PENDING:
		return "pending";
	case PLAN_MODIFIED:
		return "modified";
	case PLAN_MISSING:
		return "missing";
	case PLAN_OUT_OF_ORDER:
		return "out-of-order";
	case PLAN_UNVERIFIABLE:
		return "unverifiable";
	}
	return "unknown";
}

/* A NULL string (never expected from the database) compares as "". */
static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

static int cmp_row_ptr(const void *a, const void *b)
{
	const struct plan_row *x = *(const struct plan_row *const *)a;
	const struct plan_row *y = *(const struct plan_row *const *)b;

	return strcmp(str_or_empty(x->id), str_or_empty(y->id));
}

static int cmp_mig_ptr(const void *a, const void *b)
{
	const struct mdir_migration *x = *(const struct mdir_migration *const *)a;
	const struct mdir_migration *y = *(const struct mdir_migration *const *)b;

	return strcmp(str_or_empty(x->id), str_or_empty(y->id));
}

static void count_entry(struct plan *plan, enum plan_state state)
{
	switch (state) {
	case PLAN_APPLIED:
		plan->napplied++;
		break;
	case PLAN_PENDING:
		plan->npending++;
		break;
	case PLAN_MODIFIED:
	case PLAN_MISSING:
		plan->napplied++;
		plan->nproblems++;
		break;
	case PLAN_OUT_OF_ORDER:
		plan->nproblems++;
		break;
	case PLAN_UNVERIFIABLE:
		plan->napplied++;
		plan->nunverifiable++;
		break;
	}
}

static enum plan_state recorded_state(const struct mdir_migration *mig,
				      const struct plan_row *row)
{
	if (mig->kind == MDIR_PY)
		return PLAN_UNVERIFIABLE;
	if (strcmp(mig->hash, str_or_empty(row->hash)) == 0)
		return PLAN_APPLIED;
	return PLAN_MODIFIED;
}

void plan_build(struct plan *plan, const struct mdir *dir, const struct plan_row *rows,
		size_t nrows)
{
	const struct plan_row **r = NULL;
	const struct mdir_migration **m = NULL;
	size_t nmigs = dir ? dir->nmigrations : 0;
	const char *last = NULL;
	size_t i = 0, j = 0, total;

	memset(plan, 0, sizeof(*plan));
	if (!rows)
		nrows = 0;
	total = nmigs + nrows;
	if (!total)
		return;

	/*
	 * Sort copies of pointers: rows come in whatever order the server
	 * chose, and sorting the directory too keeps the merge correct even
	 * if a caller hands over an unsorted struct mdir.
	 */
	if (nrows) {
		r = xmalloc(nrows * sizeof(*r));
		for (i = 0; i < nrows; i++)
			r[i] = &rows[i];
		qsort(r, nrows, sizeof(*r), cmp_row_ptr);
		last = str_or_empty(r[nrows - 1]->id);
	}
	if (nmigs) {
		m = xmalloc(nmigs * sizeof(*m));
		for (i = 0; i < nmigs; i++)
			m[i] = &dir->migrations[i];
		qsort(m, nmigs, sizeof(*m), cmp_mig_ptr);
	}

	plan->entries = xcalloc(total, sizeof(*plan->entries));
	i = 0;
	while (i < nmigs || j < nrows) {
		struct plan_entry *e = &plan->entries[plan->nentries++];
		int c;

		if (i == nmigs)
			c = 1;
		else if (j == nrows)
			c = -1;
		else
			c = strcmp(str_or_empty(m[i]->id), str_or_empty(r[j]->id));

		if (c == 0) {
			e->mig = m[i++];
			e->row = r[j++];
			e->id = str_or_empty(e->mig->id);
			e->state = recorded_state(e->mig, e->row);
		} else if (c > 0) {
			e->row = r[j++];
			e->id = str_or_empty(e->row->id);
			e->state = PLAN_MISSING;
		} else {
			e->mig = m[i++];
			e->id = str_or_empty(e->mig->id);
			if (last && strcmp(e->id, last) < 0)
				e->state = PLAN_OUT_OF_ORDER;
			else
				e->state = PLAN_PENDING;
		}
		count_entry(plan, e->state);
	}
	free(r);
	free(m);
}

void plan_release(struct plan *plan)
{
	if (!plan)
		return;
	free(plan->entries);
	memset(plan, 0, sizeof(*plan));
}

/* The greatest recorded id (L of the spec), or NULL when nothing is. */
static const char *last_applied_id(const struct plan *plan)
{
	size_t i = plan->nentries;

	while (i-- > 0) {
		if (plan->entries[i].row)
			return plan->entries[i].id;
	}
	return NULL;
}

int plan_validate(const struct plan *plan, struct flux_err *err)
{
	struct sb sb = SB_INIT;
	const char *last;
	size_t i;
	int ret;

	if (!plan->nproblems)
		return 0;
	last = last_applied_id(plan);
	sb_addf(&sb,
		"migration history does not match the migration directory: %zu problem%s",
		plan->nproblems, plan->nproblems == 1 ? "" : "s");
	for (i = 0; i < plan->nentries; i++) {
		const struct plan_entry *e = &plan->entries[i];

		switch (e->state) {
		case PLAN_MISSING:
			sb_addf(&sb, "\n  %s: missing: applied but its file is gone",
				e->id);
			break;
		case PLAN_OUT_OF_ORDER:
			sb_addf(&sb,
				"\n  %s: inserted: not applied but older than the last applied migration %s",
				e->id, str_or_empty(last));
			break;
		case PLAN_MODIFIED:
			sb_addf(&sb, "\n  %s: modified: file hash %s != applied hash %s",
				e->id, e->mig->hash, str_or_empty(e->row->hash));
			break;
		case PLAN_APPLIED:
		case PLAN_PENDING:
		case PLAN_UNVERIFIABLE:
			break;
		}
	}
	ret = err_set(err, FLUX_EXIT_CORRUPT, "%s", sb.buf);
	sb_release(&sb);
	return ret;
}

int plan_apply_list(const struct plan *plan, size_t limit,
		    const struct mdir_migration ***out, size_t *n, struct flux_err *err)
{
	const struct mdir_migration **list = NULL;
	size_t want = plan->npending, i, k = 0;

	*out = NULL;
	*n = 0;
	if (limit > 0 && limit < want)
		want = limit;
	if (!want)
		return 0;
	list = xmalloc(want * sizeof(*list));
	for (i = 0; i < plan->nentries && k < want; i++) {
		const struct plan_entry *e = &plan->entries[i];

		if (e->state != PLAN_PENDING)
			continue;
		if (e->mig->kind == MDIR_PY) {
			free(list);
			return err_set(
				err, FLUX_EXIT_DIRECTORY,
				"pending migration '%s' is a Python migration: apply it with flux-migrations (Python) or convert it to .sql",
				str_or_empty(e->mig->path));
		}
		list[k++] = e->mig;
	}
	*out = list;
	*n = k;
	return 0;
}

/* Index one past the recorded entry with id to_id, or 0 when there is none. */
static size_t find_applied(const struct plan *plan, const char *to_id)
{
	size_t i;

	for (i = 0; i < plan->nentries; i++) {
		if (plan->entries[i].row && strcmp(plan->entries[i].id, to_id) == 0)
			return i + 1;
	}
	return 0;
}

int plan_rollback_list(const struct plan *plan, enum plan_rollback_mode mode,
		       size_t count, const char *to_id,
		       const struct mdir_migration ***out, size_t *n,
		       struct flux_err *err)
{
	const struct mdir_migration **list = NULL;
	size_t stop = 0; /* entries below this index are kept */
	size_t want, i, k = 0;

	*out = NULL;
	*n = 0;
	switch (mode) {
	case PLAN_RB_COUNT:
		want = count < plan->napplied ? count : plan->napplied;
		break;
	case PLAN_RB_TO:
		stop = to_id ? find_applied(plan, to_id) : 0;
		if (!stop)
			return err_set(
				err, FLUX_EXIT_USAGE,
				"cannot roll back to '%s': it is not an applied migration",
				str_or_empty(to_id));
		stop--;
		want = plan->napplied;
		break;
	case PLAN_RB_ALL:
		want = plan->napplied;
		break;
	default:
		return err_set(err, FLUX_EXIT_USAGE, "unknown rollback mode %d",
			       (int)mode);
	}
	if (!want)
		return 0;

	list = xmalloc(want * sizeof(*list));
	for (i = plan->nentries; i-- > stop && k < want;) {
		const struct plan_entry *e = &plan->entries[i];

		if (!e->row)
			continue;
		if (e->state == PLAN_MISSING || e->state == PLAN_MODIFIED) {
			free(list);
			return err_set(err, FLUX_EXIT_CORRUPT,
				       "cannot roll back '%s': it is %s (run validate)",
				       e->id, plan_state_name(e->state));
		}
		if (e->mig->kind == MDIR_PY) {
			free(list);
			return err_set(
				err, FLUX_EXIT_DIRECTORY,
				"cannot roll back migration '%s': it is a Python migration: undo it with flux-migrations (Python)",
				str_or_empty(e->mig->path));
		}
		list[k++] = e->mig;
	}
	/* want > 0 means at least one recorded entry lies in the range */
	*out = list;
	*n = k;
	return 0;
}

/* Index of the entry with id, or nentries when there is none. */
static size_t find_index(const struct plan *plan, const char *id)
{
	size_t i;

	for (i = 0; id && i < plan->nentries; i++) {
		if (strcmp(plan->entries[i].id, id) == 0)
			return i;
	}
	return plan->nentries;
}

const struct plan_entry *plan_find(const struct plan *plan, const char *id)
{
	size_t i = find_index(plan, id);

	return i < plan->nentries ? &plan->entries[i] : NULL;
}

/* Is id one of the n repeatable migrations? */
static bool in_list(const struct mdir_migration *list, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(str_or_empty(list[i].id), id) == 0)
			return true;
	}
	return false;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

int plan_check_target(const struct mdir *dir, const char *id, struct flux_err *err)
{
	const char *root = dir && dir->root ? dir->root : "the migration directory";
	size_t i;

	if (!id || !*id)
		return err_set(err, FLUX_EXIT_USAGE,
			       "an empty migration ID is not a migration");
	for (i = 0; dir && i < dir->nmigrations; i++) {
		if (strcmp(str_or_empty(dir->migrations[i].id), id) == 0)
			return 0;
	}
	if (dir && in_list(dir->pre, dir->npre, id))
		return err_set(
			err, FLUX_EXIT_USAGE,
			"'%s' is a pre-apply repeatable migration: it runs with every apply and cannot be a target",
			id);
	if (dir && in_list(dir->post, dir->npost, id))
		return err_set(
			err, FLUX_EXIT_USAGE,
			"'%s' is a post-apply repeatable migration: it runs with every apply and cannot be a target",
			id);
	if (has_suffix(id, ".sql") || has_suffix(id, ".py"))
		return err_set(
			err, FLUX_EXIT_USAGE,
			"unknown migration '%s': a migration ID is the file name without .sql or .py",
			id);
	return err_set(err, FLUX_EXIT_USAGE,
		       "unknown migration '%s': no migration with that ID in '%s'", id,
		       root);
}

/*
 * The entry a target id names, or NULL with err set: unknown ids (and ids
 * of the history alone) are usage errors, an inserted one is corruption.
 */
static const struct plan_entry *target_entry(const struct plan *plan, const char *what,
					     const char *id, size_t *index,
					     struct flux_err *err)
{
	size_t i = find_index(plan, id);
	const struct plan_entry *e;

	if (i == plan->nentries) {
		err_set(err, FLUX_EXIT_USAGE, "%s '%s': no such migration", what,
			str_or_empty(id));
		return NULL;
	}
	e = &plan->entries[i];
	if (!e->mig) {
		err_set(err, FLUX_EXIT_USAGE,
			"%s '%s': it is not in the migration directory, only recorded as applied",
			what, e->id);
		return NULL;
	}
	if (e->state == PLAN_OUT_OF_ORDER) {
		err_set(err, FLUX_EXIT_CORRUPT,
			"%s '%s': it is inserted before the last applied migration %s (run validate)",
			what, e->id, str_or_empty(last_applied_id(plan)));
		return NULL;
	}
	*index = i;
	return e;
}

int plan_apply_to_list(const struct plan *plan, const char *to_id,
		       const struct mdir_migration ***out, size_t *n,
		       struct flux_err *err)
{
	const struct plan_entry *e;
	size_t idx = 0, i, k = 0;

	*out = NULL;
	*n = 0;
	e = target_entry(plan, "cannot apply up to", to_id, &idx, err);
	if (!e)
		return -1;
	if (e->state != PLAN_PENDING)
		return 0; /* already applied: nothing to do */
	for (i = 0; i <= idx; i++)
		k += plan->entries[i].state == PLAN_PENDING;
	/* the pending entries all follow the last applied one, in order */
	return plan_apply_list(plan, k, out, n, err);
}

void plan_steps_release(struct plan_steps *steps)
{
	if (!steps)
		return;
	free(steps->undo);
	free(steps->apply);
	memset(steps, 0, sizeof(*steps));
}

int plan_goto(const struct plan *plan, const char *to_id, struct plan_steps *steps,
	      struct flux_err *err)
{
	const struct plan_entry *e;
	size_t idx = 0, i, later = 0;

	memset(steps, 0, sizeof(*steps));
	e = target_entry(plan, "cannot go to", to_id, &idx, err);
	if (!e)
		return -1;
	if (e->state == PLAN_PENDING)
		return plan_apply_to_list(plan, to_id, &steps->apply, &steps->napply,
					  err);
	for (i = idx + 1; i < plan->nentries; i++)
		later += plan->entries[i].row != NULL;
	if (!later)
		return 0; /* to_id is the last applied: nothing to do */
	return plan_rollback_list(plan, PLAN_RB_COUNT, later, NULL, &steps->undo,
				  &steps->nundo, err);
}

int plan_redo(const struct plan *plan, struct plan_steps *steps, struct flux_err *err)
{
	const struct mdir_migration *m;

	memset(steps, 0, sizeof(*steps));
	if (!plan->napplied)
		return 0;
	if (plan_rollback_list(plan, PLAN_RB_COUNT, 1, NULL, &steps->undo, &steps->nundo,
			       err))
		return -1;
	m = steps->undo[0];
	if (!m->undo_path) {
		plan_steps_release(steps);
		return err_set(
			err, FLUX_EXIT_USAGE,
			"cannot redo '%s': it has no undo migration '%s.undo.sql' (undoing it would only delete its history row, and applying it again would run it a second time)",
			str_or_empty(m->id), str_or_empty(m->id));
	}
	steps->apply = xmalloc(sizeof(*steps->apply));
	steps->apply[0] = m;
	steps->napply = 1;
	return 0;
}
