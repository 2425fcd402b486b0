#include "sqltok.h"

#include <stdlib.h>
#include <string.h>

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

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* As PostgreSQL's scan.l: ident_start (bytes >= 0x80 too). */
static int is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_ident_cont(int c)
{
	return is_ident_start(c) || is_digit(c) || c == '$';
}

/* End of a '...' or "..." from its opening quote; len when unterminated. */
static size_t quoted_end(const char *s, size_t len, size_t open, int backslash)
{
	char q = s[open];
	size_t i = open + 1;

	while (i < len) {
		if (backslash && s[i] == '\\') {
			i += 2;
		} else if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i += 2;
				continue;
			}
			return i + 1;
		} else {
			i++;
		}
	}
	return len;
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

/* Length of a $tag$ or $$ delimiter at s[i] (a '$'), or 0. */
static size_t dollar_delim(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && is_ident_start((unsigned char)s[j])) {
		j++;
		while (j < len &&
		       (is_ident_start((unsigned char)s[j]) ||
			is_digit((unsigned char)s[j])))
			j++;
	}
	if (j < len && s[j] == '$')
		return j - i + 1;
	return 0;
}

/* Start of the closing delimiter of a dollar quote, or len. */
static size_t dollar_close(const char *s, size_t len, size_t open, size_t dlen)
{
	size_t i, k;

	for (i = open + dlen; i < len; i++) {
		if (s[i] != '$')
			continue;
		for (k = 1; k < dlen && i + k < len; k++)
			if (s[i + k] != s[open + k])
				break;
		if (k == dlen)
			return i;
	}
	return len;
}

static size_t comment_end(const char *s, size_t len, size_t open)
{
	size_t depth = 1, i = open + 2;

	while (i < len) {
		if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			depth++;
			i += 2;
		} else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
			i += 2;
			if (--depth == 0)
				return i;
		} else {
			i++;
		}
	}
	return len;
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

		if (is_space(c)) {
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
		} else if (c == '$' && (dlen = dollar_delim(text, len, i)) > 0) {
			close = dollar_close(text, len, i, dlen);
			end = close < len ? close + dlen : len;
			push(out, &p, SQLTOK_STRING, i, end,
			     xstrndup(text + i + dlen, close - i - dlen));
			i = end;
		} else if (c == '$' && i + 1 < len &&
			   is_digit((unsigned char)text[i + 1])) {
			end = i + 1;
			while (end < len && is_digit((unsigned char)text[end]))
				end++;
			push(out, &p, SQLTOK_PARAM, i, end, xstrndup(text + i, end - i));
			i = end;
		} else if (is_digit(c) ||
			   (c == '.' && i + 1 < len &&
			    is_digit((unsigned char)text[i + 1]))) {
			/* 1, 1.5, .5, 1e-3, and the junk a lexer would reject (0x1F). */
			end = i;
			while (end < len &&
			       (is_ident_cont((unsigned char)text[end]) ||
				text[end] == '.' ||
				((text[end] == '+' || text[end] == '-') &&
				 (text[end - 1] == 'e' || text[end - 1] == 'E'))))
				end++;
			push(out, &p, SQLTOK_NUMBER, i, end, xstrndup(text + i, end - i));
			i = end;
		} else if (is_ident_start(c)) {
			end = i + 1;
			while (end < len && is_ident_cont((unsigned char)text[end]))
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
