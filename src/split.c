#include "split.h"

#include <stdlib.h>
#include <string.h>

#include "sqllex.h"
#include "xalloc.h"

/*
 * The words that matter for BEGIN ATOMIC bodies. PostgreSQL's own psql
 * uses the same heuristic (psqlscan.l): only a statement that starts
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE can hold a body, and inside it
 * CASE opens and END closes, outside parentheses. BEGIN must be followed
 * by ATOMIC here so that BEGIN as a name or a transaction never counts.
 */
enum split_kw {
	KW_OTHER,
	KW_CREATE,
	KW_OR,
	KW_REPLACE,
	KW_FUNCTION,
	KW_PROCEDURE,
	KW_BEGIN,
	KW_ATOMIC,
	KW_CASE,
	KW_END
};

/* How far the statement's first words match CREATE [OR REPLACE] FUNCTION. */
enum split_head {
	HEAD_START,
	HEAD_CREATE,
	HEAD_OR,
	HEAD_REPLACE,
	HEAD_ROUTINE, /* the statement creates a function or procedure */
	HEAD_OTHER
};

#define NO_START ((size_t)-1)

/* The statement being read. */
struct split_cur {
	size_t start; /* first token, or NO_START */
	size_t end;   /* just past the last token */
	int line;
	size_t paren;  /* open parentheses */
	size_t atomic; /* open BEGIN ATOMIC and CASE inside one */
	enum split_head head;
	enum split_kw prev; /* the previous token, for BEGIN ATOMIC */
};

/* Line numbering: positions asked about only grow, so counting is linear. */
struct split_lines {
	const char *text;
	size_t pos;
	int line; /* the line of text[pos] */
};

static int line_at(struct split_lines *ln, size_t pos)
{
	for (; ln->pos < pos; ln->pos++)
		if (ln->text[ln->pos] == '\n')
			ln->line++;
	return ln->line;
}

static enum split_kw keyword(const char *w, size_t n)
{
	static const struct {
		const char *word;
		enum split_kw kw;
	} words[] = {
		{ "create", KW_CREATE },
		{ "or", KW_OR },
		{ "replace", KW_REPLACE },
		{ "function", KW_FUNCTION },
		{ "procedure", KW_PROCEDURE },
		{ "begin", KW_BEGIN },
		{ "atomic", KW_ATOMIC },
		{ "case", KW_CASE },
		{ "end", KW_END },
	};
	size_t i, k;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) != n)
			continue;
		for (k = 0; k < n; k++) {
			int c = (unsigned char)w[k];

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (c != words[i].word[k])
				break;
		}
		if (k == n)
			return words[i].kw;
	}
	return KW_OTHER;
}

static void cur_reset(struct split_cur *cur)
{
	cur->start = NO_START;
	cur->end = 0;
	cur->line = 0;
	cur->paren = 0;
	cur->atomic = 0;
	cur->head = HEAD_START;
	cur->prev = KW_OTHER;
}

static enum split_head next_head(enum split_head head, enum split_kw kw)
{
	int routine = kw == KW_FUNCTION || kw == KW_PROCEDURE;

	switch (head) {
	case HEAD_START:
		return kw == KW_CREATE ? HEAD_CREATE : HEAD_OTHER;
	case HEAD_CREATE:
		if (kw == KW_OR)
			return HEAD_OR;
		return routine ? HEAD_ROUTINE : HEAD_OTHER;
	case HEAD_OR:
		return kw == KW_REPLACE ? HEAD_REPLACE : HEAD_OTHER;
	case HEAD_REPLACE:
		return routine ? HEAD_ROUTINE : HEAD_OTHER;
	case HEAD_ROUTINE:
	case HEAD_OTHER:
		break;
	}
	return head;
}

/* Account for one token text[start..end) of kind kw. */
static void cur_token(struct split_cur *cur, struct split_lines *ln, size_t start,
		      size_t end, enum split_kw kw)
{
	if (cur->start == NO_START) {
		cur->start = start;
		cur->line = line_at(ln, start);
	}
	cur->end = end;
	cur->head = next_head(cur->head, kw);
	if (cur->head == HEAD_ROUTINE && cur->paren == 0) {
		if (kw == KW_ATOMIC && cur->prev == KW_BEGIN)
			cur->atomic++;
		else if (kw == KW_CASE && cur->atomic > 0)
			cur->atomic++;
		else if (kw == KW_END && cur->atomic > 0)
			cur->atomic--;
	}
	cur->prev = kw;
}

static void emit(struct split_result *out, size_t *alloc, const struct split_cur *cur)
{
	struct split_stmt *st;

	if (cur->start == NO_START)
		return;
	XGROW(out->stmts, *alloc, out->n + 1);
	st = &out->stmts[out->n++];
	st->start = cur->start;
	st->len = cur->end - cur->start;
	st->line = cur->line;
}

/*
 * The scanner of split_sql and split_ends_open: the statements go to out
 * when it is not NULL; an unterminated quote or comment is -1, with a
 * message in err when it is not NULL. *atomic is what is left open of a
 * BEGIN ATOMIC body at the end.
 */
static int scan(const char *text, size_t len, struct split_result *out,
		struct flux_err *err, size_t *atomic)
{
	struct split_lines ln = { text, 0, 1 };
	struct split_cur cur;
	size_t alloc = 0;
	size_t i = 0, end, dlen;
	const char *what;

	cur_reset(&cur);
	while (i < len) {
		int c = (unsigned char)text[i];
		enum split_kw kw = KW_OTHER;

		if (sqllex_is_space(c)) {
			i++;
			continue;
		}
		if (c == '-' && i + 1 < len && text[i + 1] == '-') {
			const char *nl = memchr(text + i, '\n', len - i);

			i = nl ? (size_t)(nl - text) : len;
			continue;
		}
		if (c == '/' && i + 1 < len && text[i + 1] == '*') {
			what = "/* comment";
			if (sqllex_comment(text, len, i, &end) < 0)
				goto unterminated;
			i = end;
			continue;
		}
		if (c == ';' && cur.paren == 0 && cur.atomic == 0) {
			if (out)
				emit(out, &alloc, &cur);
			cur_reset(&cur);
			i++;
			continue;
		}

		if (c == '\'') {
			what = "quoted string";
			if (sqllex_quoted(text, len, i, 0, &end) < 0)
				goto unterminated;
		} else if (c == '"') {
			what = "quoted identifier";
			if (sqllex_quoted(text, len, i, 0, &end) < 0)
				goto unterminated;
		} else if (c == '$' && (dlen = sqllex_dollar_delim(text, len, i)) > 0) {
			what = "dollar-quoted string";
			if (sqllex_dollar(text, len, i, dlen, &end) < 0)
				goto unterminated_dollar;
		} else if (c == '$') {
			/* A parameter $1, or a lone '$'. */
			end = i + 1;
			while (end < len && sqllex_is_digit((unsigned char)text[end]))
				end++;
		} else if (sqllex_is_ident_start(c)) {
			end = i + 1;
			while (end < len &&
			       sqllex_is_ident_cont((unsigned char)text[end]))
				end++;
			if (end == i + 1 && (c == 'e' || c == 'E') && end < len &&
			    text[end] == '\'') {
				/* E'...': the lexer prefers it to the word E. */
				what = "quoted string";
				if (sqllex_quoted(text, len, end, 1, &end) < 0)
					goto unterminated;
			} else {
				kw = keyword(text + i, end - i);
			}
		} else {
			/* Any other byte stands alone; only parentheses count. */
			end = i + 1;
			if (c == '(')
				cur.paren++;
			else if (c == ')' && cur.paren > 0)
				cur.paren--;
		}
		cur_token(&cur, &ln, i, end, kw);
		i = end;
	}
	if (out)
		emit(out, &alloc, &cur);
	*atomic = cur.atomic;
	return 0;

unterminated_dollar:
	if (err)
		err_set(err, FLUX_EXIT_DIRECTORY,
			"unterminated dollar-quoted string %.*s starting at line %d",
			(int)dlen, text + i, line_at(&ln, i));
	return -1;
unterminated:
	if (err)
		err_set(err, FLUX_EXIT_DIRECTORY, "unterminated %s starting at line %d",
			what, line_at(&ln, i));
	return -1;
}

int split_sql(const char *text, size_t len, struct split_result *out,
	      struct flux_err *err)
{
	size_t atomic;

	out->stmts = NULL;
	out->n = 0;
	if (scan(text, len, out, err, &atomic) == 0)
		return 0;
	split_result_release(out);
	return -1;
}

bool split_ends_open(const char *text, size_t len)
{
	size_t atomic = 0;

	return scan(text, len, NULL, NULL, &atomic) < 0 || atomic > 0;
}

void split_result_release(struct split_result *r)
{
	if (!r)
		return;
	free(r->stmts);
	r->stmts = NULL;
	r->n = 0;
}
