#include "sqltok.h"

#include <stdlib.h>
#include <string.h>

#include "sqllex.h"
#include "xalloc.h"

/* Where the scanner stands: positions asked about only grow. */
struct pos {
	const char *text;
	size_t at;
	int line, col;
};

static void advance(struct pos *p, size_t to)
{
	for (; p->at < to; p->at++) {
		unsigned char c = (unsigned char)p->text[p->at];

		if (c == '\n') {
			p->line++;
			p->col = 1;
		} else if ((c & 0xC0) != 0x80) {
			p->col++; /* continuation bytes belong to the character before */
		}
	}
}

/* Where a quoted token ends: just past its closing quote, or len. */
static size_t quoted_end(const char *s, size_t len, size_t open, int backslash)
{
	size_t end;

	return sqllex_quoted(s, len, open, backslash, &end) ? len : end;
}

/* The body of a quoted token with doubled quotes undoubled. */
static char *unquote(const char *s, size_t n, char q)
{
	char *out = xmalloc(n + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		out[o++] = s[i];
		if (s[i] == q && i + 1 < n && s[i + 1] == q)
			i++;
	}
	out[o] = '\0';
	return out;
}

/* Start of the closing delimiter of a dollar quote, or len. */
static size_t dollar_close(const char *s, size_t len, size_t open, size_t dlen)
{
	size_t end;

	return sqllex_dollar(s, len, open, dlen, &end) ? len : end - dlen;
}

/* Where a block comment ends, or len. */
static size_t comment_end(const char *s, size_t len, size_t open)
{
	size_t end;

	return sqllex_comment(s, len, open, &end) ? len : end;
}

static void push(struct sqltok_list *out, struct pos *p, enum sqltok_kind kind,
		 size_t start, size_t end, char *val)
{
	struct sqltok *t;

	XGROW(out->toks, out->alloc, out->n + 1);
	t = &out->toks[out->n++];
	advance(p, start);
	t->kind = kind;
	t->start = start;
	t->len = end - start;
	t->line = p->line;
	t->col = p->col;
	t->val = val;
}

static char *fold(const char *s, size_t n)
{
	char *out = xstrndup(s, n);
	size_t i;

	for (i = 0; i < n; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

void sqltok_scan(const char *text, size_t len, struct sqltok_list *out)
{
	struct pos p = { text, 0, 1, 1 };
	size_t i = 0, end, dlen, close;

	out->toks = NULL;
	out->n = out->alloc = 0;
	while (i < len) {
		int c = (unsigned char)text[i];

		if (sqllex_is_space(c)) {
			i++;
		} else if (c == '-' && i + 1 < len && text[i + 1] == '-') {
			const char *nl = memchr(text + i, '\n', len - i);

			end = nl ? (size_t)(nl - text) : len;
			push(out, &p, SQLTOK_COMMENT, i, end,
			     xstrndup(text + i, end - i));
			i = end;
		} else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
			end = comment_end(text, len, i);
			push(out, &p, SQLTOK_COMMENT, i, end,
			     xstrndup(text + i, end - i));
			i = end;
		} else if (c == '\'' || c == '"') {
			end = quoted_end(text, len, i, 0);
			/* An unterminated one has no closing quote to leave out. */
			close = end < len || (end - i >= 2 && text[end - 1] == c) ?
				end - 1 :
				end;
			if (close < i + 1)
				close = i + 1;
			push(out, &p, c == '"' ? SQLTOK_QIDENT : SQLTOK_STRING, i, end,
			     unquote(text + i + 1, close - i - 1, (char)c));
			i = end;
		} else if (c == '$' && (dlen = sqllex_dollar_delim(text, len, i)) > 0) {
			close = dollar_close(text, len, i, dlen);
			end = close < len ? close + dlen : len;
			push(out, &p, SQLTOK_STRING, i, end,
			     xstrndup(text + i + dlen, close - i - dlen));
			i = end;
		} else if (c == '$' && i + 1 < len &&
			   sqllex_is_digit((unsigned char)text[i + 1])) {
			end = i + 1;
			while (end < len && sqllex_is_digit((unsigned char)text[end]))
				end++;
			push(out, &p, SQLTOK_PARAM, i, end, xstrndup(text + i, end - i));
			i = end;
		} else if (sqllex_is_digit(c) ||
			   (c == '.' && i + 1 < len &&
			    sqllex_is_digit((unsigned char)text[i + 1]))) {
			/* 1, 1.5, .5, 1e-3, and the junk a lexer would reject (0x1F). */
			end = i;
			while (end < len &&
			       (sqllex_is_ident_cont((unsigned char)text[end]) ||
				text[end] == '.' ||
				((text[end] == '+' || text[end] == '-') &&
				 (text[end - 1] == 'e' || text[end - 1] == 'E'))))
				end++;
			push(out, &p, SQLTOK_NUMBER, i, end, xstrndup(text + i, end - i));
			i = end;
		} else if (sqllex_is_ident_start(c)) {
			end = i + 1;
			while (end < len &&
			       sqllex_is_ident_cont((unsigned char)text[end]))
				end++;
			if (end == i + 1 && (c == 'e' || c == 'E') && end < len &&
			    text[end] == '\'') {
				/* E'...': backslash escapes; the body is kept raw. */
				size_t q = quoted_end(text, len, end, 1);

				close = q < len || text[q - 1] == '\'' ? q - 1 : q;
				if (close < end + 1)
					close = end + 1;
				push(out, &p, SQLTOK_STRING, i, q,
				     xstrndup(text + end + 1, close - end - 1));
				i = q;
			} else {
				push(out, &p, SQLTOK_WORD, i, end,
				     fold(text + i, end - i));
				i = end;
			}
		} else {
			push(out, &p, SQLTOK_PUNCT, i, i + 1, xstrndup(text + i, 1));
			i++;
		}
	}
}

void sqltok_list_release(struct sqltok_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		free(l->toks[i].val);
	free(l->toks);
	l->toks = NULL;
	l->n = l->alloc = 0;
}
