/*
 * lint: find dangerous DDL in a migration without a database.
 *
 * A migration's text is cut into statements by the splitter (split.h) and
 * each statement into tokens (sqltok.h), so keywords inside comments,
 * strings, quoted identifiers and dollar-quoted bodies never count, case
 * and white space do not matter, and "users", users and public.users name
 * the same table ("Users" does not). An unqualified name matches the same
 * name in any schema (the search path is unknown here). "Existing table"
 * means one not created (CREATE TABLE, or renamed to) earlier in the same
 * text. Function bodies and DO blocks are strings: their SQL is not read.
 *
 * Suppression: a `-- flux:lint-ignore RULE[,RULE] [reason]` comment on the line
 * right before a statement covers that statement; one among the file's
 * first comment lines (before any statement, and not right before the
 * first) covers the whole file; lint_options.ignore covers every file.
 *
 * The result owns its findings and notes; lint_result_release() frees them.
 * Pure: no I/O, no globals besides the rule table.
 * May depend on split, sqltok, err, sb, xalloc and libc.
 */
#ifndef FLUX_LINT_H
#define FLUX_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* IDs are part of the interface (output, lint_ignore, comments): fixed. */
enum lint_rule {
	LINT_INDEX_NOT_CONCURRENT = 0,
	LINT_CONCURRENTLY_IN_TRANSACTION,
	LINT_CONSTRAINT_NOT_VALID,
	LINT_SET_NOT_NULL,
	LINT_COLUMN_TYPE_CHANGE,
	LINT_ADD_COLUMN_VOLATILE_DEFAULT,
	LINT_ADD_COLUMN_REQUIRED,
	LINT_UNIQUE_BUILDS_INDEX,
	LINT_TABLE_REWRITE,
	LINT_TRANSACTION_CONTROL,
	LINT_RENAME,
	LINT_DROP_COLUMN_OR_TABLE,
	LINT_MISSING_LOCK_TIMEOUT,
	LINT_NRULES
};

enum lint_severity { LINT_WARNING = 0, LINT_ERROR };

struct lint_rule_info {
	const char *id; /* "index-not-concurrent" */
	enum lint_severity severity;
	const char *hint; /* the safe way, one line */
};

extern const struct lint_rule_info lint_rules[LINT_NRULES];

/* "error" or "warning". */
const char *lint_severity_name(enum lint_severity s);

/* The rule named by id[0..len) (exact, lower case), or -1. */
int lint_rule_find(const char *id, size_t len);

/*
 * Parse a comma-separated list of rule IDs (blanks around each allowed,
 * empty items skipped) into a mask of 1u << rule. An unknown ID is -1 with
 * *bad and *bad_len naming it (a pointer into s); else 0.
 */
int lint_parse_rule_list(const char *s, unsigned *mask, const char **bad,
			 size_t *bad_len);

struct lint_options {
	unsigned ignore;     /* rules never reported: 1u << rule */
	bool no_transaction; /* the file's first line is -- flux:no-transaction */
	bool undo;           /* an undo migration: reversing its up is expected */
	/*
	 * A DDL lock timeout is configured for the run (ddl_lock_timeout,
	 * FLUX_DDL_LOCK_TIMEOUT): missing-lock-timeout is then not reported.
	 */
	bool ddl_lock_timeout;
};

struct lint_finding {
	enum lint_rule rule;
	int line, col; /* 1-based; col in characters */
	char *message;
};

/* Findings are sorted by line and column. */
struct lint_result {
	struct lint_finding *findings;
	size_t n, alloc;
	char **notes; /* one line each, e.g. an unknown rule in a comment */
	size_t nnotes, notes_alloc;
};

#define LINT_RESULT_INIT               \
	{                              \
		NULL, 0, 0, NULL, 0, 0 \
	}

/*
 * Lint text[0..len) (normalised, no BOM), appending to out. A text the
 * splitter rejects (an unterminated quote or comment) is -1 with
 * FLUX_EXIT_DIRECTORY; out keeps what it had.
 */
int lint_sql(const char *text, size_t len, const struct lint_options *opt,
	     struct lint_result *out, struct flux_err *err);

/* Free everything and leave r empty. Accepts NULL. */
void lint_result_release(struct lint_result *r);

/* How many findings of severity error. */
size_t lint_count_errors(const struct lint_result *r);

#endif
