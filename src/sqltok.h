/*
 * sqltok: PostgreSQL tokens with their positions, for the lint.
 *
 * Knows the lexer as far as src/split.c does: '...' (backslash literal),
 * E'...' (backslash escapes), "..." identifiers ("" stands for "), $$ and
 * $tag$ dollar quotes, -- and nested block comments. Each string, quoted
 * identifier, dollar-quoted body and comment is one token, so a keyword
 * inside one never looks like a keyword. Unquoted words are folded to
 * lower case as PostgreSQL folds them (ASCII only); quoted identifiers keep
 * their case.
 *
 * Invariants: len is authoritative (text need not be NUL-terminated); no
 * byte at or past len is read; an unterminated quote or comment runs to the
 * end (split_sql() reports those; the lint splits first). Lines are 1-based
 * and count '\n'; columns are 1-based and count characters (UTF-8 code
 * points), as an editor shows them.
 * May depend on sqllex, xalloc and libc only.
 */
#ifndef FLUX_SQLTOK_H
#define FLUX_SQLTOK_H

#include <stddef.h>

enum sqltok_kind {
	SQLTOK_WORD,   /* keyword or unquoted identifier; val folded to lower case */
	SQLTOK_QIDENT, /* "quoted identifier"; val unquoted, case kept */
	SQLTOK_STRING, /* '...', E'...', $tag$...$tag$; val is the body */
	SQLTOK_NUMBER,
	SQLTOK_PARAM,  /* $1 */
	SQLTOK_PUNCT,  /* any other single byte: ( ) , . ; = ... */
	SQLTOK_COMMENT /* -- to the end of the line, or a block comment */
};

struct sqltok {
	enum sqltok_kind kind;
	size_t start, len; /* the token's bytes in the text */
	int line, col;
	char *val; /* see the kinds; owned by the list, never NULL */
};

/* toks is owned by the list; sqltok_list_release() frees it and the vals. */
struct sqltok_list {
	struct sqltok *toks;
	size_t n, alloc;
};

#define SQLTOK_LIST_INIT   \
	{                  \
		NULL, 0, 0 \
	}

/* Tokenize text[0..len) into out (overwritten, not released first). */
void sqltok_scan(const char *text, size_t len, struct sqltok_list *out);

/* Free the tokens and leave l empty. Accepts NULL. */
void sqltok_list_release(struct sqltok_list *l);

#endif
