#include "sqllex.h"

int sqllex_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int sqllex_is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

int sqllex_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

int sqllex_is_dolq_cont(int c)
{
	return sqllex_is_ident_start(c) || sqllex_is_digit(c);
}

int sqllex_is_ident_cont(int c)
{
	return sqllex_is_dolq_cont(c) || c == '$';
}

/*
 * A '...' or "..." body from the opening quote at open; a doubled quote
 * stands for itself, and with backslash (E'...') a backslash escapes the
 * next byte. *end is just past the closing quote; 0, or -1 if there is none.
 */
int sqllex_quoted(const char *s, size_t len, size_t open, int backslash, size_t *end)
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
			*end = i + 1;
			return 0;
		} else {
			i++;
		}
	}
	return -1;
}

/*
 * Length of a $tag$ or $$ delimiter at s[i] (which is '$'), or 0 when this
 * '$' does not open one ($1, a lone $, $tag without the closing $).
 */
size_t sqllex_dollar_delim(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && sqllex_is_ident_start((unsigned char)s[j])) {
		j++;
		while (j < len && sqllex_is_dolq_cont((unsigned char)s[j]))
			j++;
	}
	if (j < len && s[j] == '$')
		return j - i + 1;
	return 0;
}

/*
 * The body of a dollar quote whose delimiter is s[open..open+dlen). The
 * comparison stops at the first differing byte, and a tag holds no '$', so
 * a try starting at one '$' never reads past the next: linear overall.
 */
int sqllex_dollar(const char *s, size_t len, size_t open, size_t dlen, size_t *end)
{
	size_t i, k;

	for (i = open + dlen; i < len; i++) {
		if (s[i] != '$')
			continue;
		for (k = 1; k < dlen && i + k < len; k++)
			if (s[i + k] != s[open + k])
				break;
		if (k == dlen) {
			*end = i + dlen;
			return 0;
		}
	}
	return -1;
}

/* A block comment from its opening slash-star; they nest. */
int sqllex_comment(const char *s, size_t len, size_t open, size_t *end)
{
	size_t depth = 1;
	size_t i = open + 2;

	while (i < len) {
		if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			depth++;
			i += 2;
		} else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
			i += 2;
			if (--depth == 0) {
				*end = i;
				return 0;
			}
		} else {
			i++;
		}
	}
	return -1;
}
