/*
 * sqllex: the lexical pieces of PostgreSQL's scanner (scan.l) that both
 * the statement splitter (split) and the lint's tokenizer (sqltok) need:
 * character classes, quoted strings and identifiers, dollar quotes and
 * nested block comments.
 *
 * Invariants: no byte at or past len is read; each scan is linear in what
 * it passes over. A scan returns 0 and sets *end just past the closing
 * delimiter, or -1 when the text ends before it (unterminated).
 * May depend on libc only.
 */
#ifndef FLUX_SQLLEX_H
#define FLUX_SQLLEX_H

#include <stddef.h>

int sqllex_is_space(int c);
/* ident_start and dolq_start (bytes >= 0x80 too). */
int sqllex_is_ident_start(int c);
int sqllex_is_digit(int c);
/* dolq_cont: an identifier character other than '$'. */
int sqllex_is_dolq_cont(int c);
/* ident_cont: '$' may continue an identifier (a$b), never start one. */
int sqllex_is_ident_cont(int c);

/*
 * A '...' or "..." body from the opening quote at open; a doubled quote
 * stands for itself, and with backslash (E'...') a backslash escapes the
 * next byte.
 */
int sqllex_quoted(const char *s, size_t len, size_t open, int backslash, size_t *end);

/*
 * Length of a $tag$ or $$ delimiter at s[i] (which is '$'), or 0 when this
 * '$' does not open one ($1, a lone $, $tag without the closing $).
 */
size_t sqllex_dollar_delim(const char *s, size_t len, size_t i);

/* The body of a dollar quote whose delimiter is s[open..open+dlen). */
int sqllex_dollar(const char *s, size_t len, size_t open, size_t dlen, size_t *end);

/* A block comment from its opening slash-star; they nest. */
int sqllex_comment(const char *s, size_t len, size_t open, size_t *end);

#endif
