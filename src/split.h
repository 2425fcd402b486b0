/*
 * split: cut a PostgreSQL script into statements, the way psql does.
 *
 * A `-- flux:no-transaction` migration runs statement by statement outside
 * a transaction, because CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD
 * VALUE and VACUUM refuse to run inside a multi-statement string. The
 * splitter knows just enough of the lexer to find the semicolons that end
 * statements: '...' (standard_conforming_strings on, so backslash is
 * literal), E'...' (backslash escapes), "..." identifiers, $$ and $tag$
 * dollar quotes, -- and nested block comments, parentheses (a CREATE RULE
 * action list holds semicolons), and the BEGIN ATOMIC ... END body of
 * CREATE [OR REPLACE] FUNCTION/PROCEDURE, with CASE ... END nested in it.
 * It does not check the SQL otherwise; the server does.
 *
 * Invariants: len is authoritative (text need not be NUL-terminated and
 * may contain NUL bytes); no byte at or past len is read; time is linear
 * in len. A statement spans its first to its last token: leading and
 * trailing whitespace and comments are not included, nor is the ';'.
 * Statements with no tokens are dropped; a last statement without ';' is
 * kept. Line numbers are 1-based and count '\n' only (input is expected
 * to be normalised to \n already).
 * May depend on sqllex, xalloc, err and libc only.
 */
#ifndef FLUX_SPLIT_H
#define FLUX_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct split_stmt {
	size_t start; /* byte offset of the statement's first token */
	size_t len;   /* bytes up to the end of its last token */
	int line;     /* 1-based line of text[start] */
};

/* stmts is owned by the result; split_result_release() frees it. */
struct split_result {
	struct split_stmt *stmts;
	size_t n;
};

#define SPLIT_RESULT_INIT \
	{                 \
		NULL, 0   \
	}

/*
 * Split text[0..len) into statements. out is overwritten (not released
 * first) and always left valid to release. An unterminated quoted string,
 * quoted identifier, dollar quote or block comment is -1 with
 * FLUX_EXIT_DIRECTORY and a message naming the line where it started;
 * out is then empty. text may be NULL when len is 0.
 */
int split_sql(const char *text, size_t len, struct split_result *out,
	      struct flux_err *err);

/*
 * Does text[0..len) end where no statement can end: inside a quoted string
 * or identifier, a dollar quote or a block comment, or in an open BEGIN
 * ATOMIC body? Text sent on after such a one (the next migration of a
 * chunk) would be read as part of it.
 */
bool split_ends_open(const char *text, size_t len);

/* Free the statements and leave r empty. Accepts NULL. */
void split_result_release(struct split_result *r);

#endif
