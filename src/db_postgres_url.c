/*
 * The PostgreSQL backend's URLs: the SQLAlchemy "+driver" form, the check
 * that libpq can parse a URI or key=value conninfo, and redaction of the
 * passwords in both (the backend's url_* hooks, through src/url.h).
 */
#include "db_postgres.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sb.h"
#include "xalloc.h"

/* A password's bytes in the input: [start, end). */
struct span {
	size_t start;
	size_t end;
};

/* The password spans of one string: as many as it holds, no limit. */
struct spans {
	struct span *v;
	size_t n, alloc;
};

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Length of "postgres[ql][+driver]://" at the start of s (scheme case
 * insensitive), or 0. *plus is set to the offset of the '+' (or of the
 * ':' when there is no driver).
 */
static size_t pg_scheme_length(const char *s, size_t *plus)
{
	static const char *const bases[] = { "postgresql", "postgres" };
	size_t i, n, k;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		n = strlen(bases[i]);
		for (k = 0; k < n; k++)
			if (lower((unsigned char)s[k]) != bases[i][k])
				break;
		if (k < n)
			continue;
		*plus = n;
		if (s[n] == '+') {
			/* A SQLAlchemy driver name: psycopg2, asyncpg, pg8000... */
			k = n + 1;
			while (is_alpha((unsigned char)s[k]) ||
			       is_digit((unsigned char)s[k]) || s[k] == '_' ||
			       s[k] == '.' || s[k] == '-')
				k++;
			if (k == n + 1)
				continue;
			n = k;
		}
		if (strncmp(s + n, "://", 3) == 0)
			return n + 3;
	}
	return 0;
}

bool pg_url_looks_like(const char *s)
{
	size_t plus;

	return s && pg_scheme_length(s, &plus) > 0;
}

/* Length of any "scheme://" at s (RFC 3986 scheme characters), or 0. */
static size_t any_scheme_length(const char *s)
{
	size_t i = 0;

	if (!is_alpha((unsigned char)s[0]))
		return 0;
	while (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
	       s[i] == '+' || s[i] == '.' || s[i] == '-')
		i++;
	return strncmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

static void add_span(struct spans *sp, size_t start, size_t end)
{
	if (end > start) {
		XGROW(sp->v, sp->alloc, sp->n + 1);
		sp->v[sp->n].start = start;
		sp->v[sp->n].end = end;
		sp->n++;
	}
}

/* Does the (possibly percent-encoded) keyword [s, s+len) name a password? */
static int is_password_key(const char *s, size_t len)
{
	static const char *const keys[] = { "password", "sslpassword" };
	char buf[32];
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len && o < sizeof(buf) - 1; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
			buf[o++] = (char)lower(hi * 16 + lo);
			i += 2;
		} else {
			buf[o++] = (char)lower((unsigned char)s[i]);
		}
	}
	if (i < len)
		return 0;
	buf[o] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(buf, keys[i]) == 0)
			return 1;
	return 0;
}

/*
 * Does the authority starting at r (up to the first '/' or '?') read as a
 * comma-separated list of hosts, each with at most a numeric port? A
 * "port" that is not a number is more likely the start of a password.
 */
static int plain_hosts(const char *r)
{
	const char *end = r + strcspn(r, "/?"), *p = r;

	while (p < end) {
		if (*p == '[') {
			/* An IPv6 literal: hex digits, ':' and '.' up to ']'. */
			for (p++; p < end &&
			     (hex_value((unsigned char)*p) >= 0 || *p == ':' ||
			      *p == '.');
			     p++)
				;
			if (p >= end || *p++ != ']')
				return 0;
		} else {
			for (; p < end &&
			     (is_alpha((unsigned char)*p) ||
			      is_digit((unsigned char)*p) || *p == '.' || *p == '-' ||
			      *p == '_' || *p == '%');
			     p++)
				;
		}
		if (p < end && *p == ':')
			for (p++; p < end && is_digit((unsigned char)*p); p++)
				;
		if (p < end && *p != ',')
			return 0;
		if (p < end)
			p++;
	}
	return 1;
}

/* How many raw '@' does s hold? */
static size_t count_at(const char *s)
{
	size_t n = 0;

	for (; (s = strchr(s, '@')); s++)
		n++;
	return n;
}

/*
 * Passwords in a URI: the userinfo password and password= query
 * parameters. libpq ends the userinfo at the first '@'; we take the last
 * one before the query so that a password holding a raw '@' (or '/') is
 * hidden whole, and with more than one '@' in the whole string simply the
 * last one: such a URI is refused (pg_url_check), and its error message
 * must not show what lies between. Erring towards hiding more is the
 * point. In free text (text != 0) a query value also ends at white space
 * or a quote, where the message around it resumes.
 */
static void uri_spans(const char *s, size_t rest, struct spans *sp, int text)
{
	const char *r = s + rest, *q, *at = NULL, *p, *colon, *end;
	size_t len = strlen(s), nat = count_at(r);

	q = strchr(r, '?');
	if (nat > 1) {
		at = strrchr(r, '@');
	} else {
		for (p = r; p < (q ? q : s + len); p++)
			if (*p == '@')
				at = p;
	}
	if (!at && q) {
		/*
		 * A raw '?' in the password: accept a later '@' unless what comes
		 * before the first '/' or '?' reads as plain hosts and ports, in
		 * which case the '@' belongs to the path or the query.
		 */
		p = strrchr(r, '@');
		if (p && (!memchr(r, '/', (size_t)(p - r)) || !plain_hosts(r)))
			at = p;
	}
	if (at) {
		colon = memchr(r, ':', (size_t)(at - r));
		if (colon)
			add_span(sp, (size_t)(colon + 1 - s), (size_t)(at - s));
	}
	/*
	 * password= parameters: after the user info, or with several '@'
	 * from the first '?' on (`?password=a@b` must not end the scan).
	 */
	q = strchr(at && nat < 2 ? at + 1 : r, '?');
	if (!q)
		return;
	for (p = q + 1; *p; p = *end ? end + 1 : end) {
		const char *eq;

		end = p + strcspn(p, text ? "& \t\n'\"" : "&");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq && is_password_key(p, (size_t)(eq - p)))
			add_span(sp, (size_t)(eq + 1 - s), (size_t)(end - s));
		if (text && *end && *end != '&')
			break;
	}
}

/* Skip a libpq conninfo value at p; returns the first byte after it. */
static const char *skip_kv_value(const char *p)
{
	if (*p == '\'') {
		for (p++; *p && *p != '\''; p++)
			if (*p == '\\' && p[1])
				p++;
		return *p ? p + 1 : p;
	}
	for (; *p && !is_space((unsigned char)*p); p++)
		if (*p == '\\' && p[1])
			p++;
	return p;
}

/*
 * Passwords in a key=value conninfo string, read as libpq reads it. An
 * unquoted password runs to the next whitespace; any following words that
 * are not `key=` are taken to be more of it (`password=sec ret`), since
 * that is what the writer meant.
 */
static void kv_spans(const char *s, struct spans *sp)
{
	const char *p = s, *key, *key_end, *val, *val_end, *q;

	while (*p) {
		while (is_space((unsigned char)*p))
			p++;
		if (!*p)
			break;
		key = p;
		while (*p && *p != '=' && !is_space((unsigned char)*p))
			p++;
		key_end = p;
		while (is_space((unsigned char)*p))
			p++;
		if (*p != '=')
			continue; /* a stray word: libpq rejects it, we skip it */
		p++;
		while (is_space((unsigned char)*p))
			p++;
		val = p;
		val_end = p = skip_kv_value(p);
		if (!is_password_key(key, (size_t)(key_end - key)))
			continue;
		if (*val != '\'') {
			for (;;) {
				q = p;
				while (is_space((unsigned char)*q))
					q++;
				if (!*q || *q == '\'')
					break;
				while (*q && *q != '=' && !is_space((unsigned char)*q))
					q++;
				while (is_space((unsigned char)*q))
					q++;
				if (*q == '=')
					break;
				val_end = p = q;
			}
		}
		add_span(sp, (size_t)(val - s), (size_t)(val_end - s));
	}
}

/* The next "password" at or after p, any case, or NULL. */
static const char *find_password_word(const char *p)
{
	static const char word[] = "password";
	size_t k;

	for (; *p; p++) {
		for (k = 0; word[k] && lower((unsigned char)p[k]) == word[k]; k++)
			;
		if (!word[k])
			return p;
	}
	return NULL;
}

/*
 * A broken string can hide a password from the parse above:
 * `host='x password=secret` is one unterminated quoted host to libpq.
 * Any other "password =" not yet covered is redacted as well, whatever
 * its case; this is also how free text is searched.
 */
static void kv_fallback_spans(const char *s, struct spans *sp, int text)
{
	const char *p = s, *v, *end;
	size_t i, have = sp->n;

	while (*p && (p = find_password_word(p))) {
		v = p + 8;
		p = v;
		while (is_space((unsigned char)*v))
			v++;
		if (*v != '=')
			continue;
		for (v++; is_space((unsigned char)*v); v++)
			;
		end = skip_kv_value(v);
		/* In a message, a quote after a bare value is the message's. */
		if (text && *v != '\'' && end > v + 1 &&
		    (end[-1] == '\'' || end[-1] == '"'))
			end--;
		for (i = 0; i < have; i++)
			if ((size_t)(v - s) < sp->v[i].end &&
			    sp->v[i].start < (size_t)(end - s))
				break;
		if (i == have)
			add_span(sp, (size_t)(v - s), (size_t)(end - s));
	}
}

static void sort_spans(struct spans *sp)
{
	size_t i, j;
	struct span t;

	for (i = 1; i < sp->n; i++)
		for (j = i; j > 0 && sp->v[j - 1].start > sp->v[j].start; j--) {
			t = sp->v[j];
			sp->v[j] = sp->v[j - 1];
			sp->v[j - 1] = t;
		}
}

/* Every password span of s, read as a URI or as a key=value string. */
static void find_spans(const char *s, struct spans *sp)
{
	size_t lead = 0, scheme;

	while (is_space((unsigned char)s[lead]))
		lead++;
	scheme = any_scheme_length(s + lead);
	if (scheme) {
		uri_spans(s, lead + scheme, sp, 0);
	} else {
		kv_spans(s, sp);
		kv_fallback_spans(s, sp, 0);
	}
	sort_spans(sp);
}

/*
 * The password spans of free text: a URI runs from its scheme to the next
 * white space; around URIs, any "password=" value counts.
 */
static void find_text_spans(const char *s, struct spans *sp)
{
	const char *p = s, *colons, *start, *stop;
	size_t lead = 0, i, base;

	while (is_space((unsigned char)s[lead]))
		lead++;
	if (any_scheme_length(s + lead)) {
		/* The whole text is one URL: a value, read as exactly that. */
		find_spans(s, sp);
		return;
	}
	while (*p) {
		colons = strstr(p, "://");
		start = colons;
		while (start && start > p &&
		       (is_alpha((unsigned char)start[-1]) ||
			is_digit((unsigned char)start[-1]) || start[-1] == '+' ||
			start[-1] == '.' || start[-1] == '-'))
			start--;
		while (start && start < colons && !is_alpha((unsigned char)*start))
			start++;
		if (!colons || start == colons) {
			/* No URI here: password= words up to the next one, if any. */
			stop = colons ? colons + 3 : p + strlen(p);
		} else {
			stop = start;
		}
		{
			char *piece = xstrndup(p, (size_t)(stop - p));
			struct spans part = { NULL, 0, 0 };

			kv_fallback_spans(piece, &part, 1);
			base = (size_t)(p - s);
			for (i = 0; i < part.n; i++)
				add_span(sp, base + part.v[i].start,
					 base + part.v[i].end);
			free(part.v);
			free(piece);
		}
		p = stop;
		if (!colons || start == colons)
			continue;
		stop = start + strcspn(start, " \t\r\n\f\v");
		{
			char *uri = xstrndup(start, (size_t)(stop - start));
			struct spans part = { NULL, 0, 0 };

			uri_spans(uri, any_scheme_length(uri), &part, 1);
			base = (size_t)(start - s);
			for (i = 0; i < part.n; i++)
				add_span(sp, base + part.v[i].start,
					 base + part.v[i].end);
			free(part.v);
			free(uri);
		}
		p = stop;
	}
	sort_spans(sp);
}

/* in with every span replaced by "***". */
static char *replace_spans(const char *in, const struct spans *sp)
{
	struct sb out = SB_INIT;
	size_t i, pos = 0;

	for (i = 0; i < sp->n; i++) {
		if (sp->v[i].start < pos) {
			if (sp->v[i].end > pos)
				pos = sp->v[i].end;
			continue;
		}
		sb_add(&out, in + pos, sp->v[i].start - pos);
		sb_adds(&out, "***");
		pos = sp->v[i].end;
	}
	sb_adds(&out, in + pos);
	return sb_detach(&out, NULL);
}

char *pg_url_redact(const char *in)
{
	struct spans sp = { NULL, 0, 0 };
	char *out;

	if (!in)
		return xstrdup("");
	find_spans(in, &sp);
	out = replace_spans(in, &sp);
	free(sp.v);
	return out;
}

char *pg_url_redact_text(const char *text)
{
	struct spans sp = { NULL, 0, 0 };
	char *out;

	if (!text)
		return xstrdup("");
	find_text_spans(text, &sp);
	out = replace_spans(text, &sp);
	free(sp.v);
	return out;
}

void pg_url_scrub(char *s)
{
	struct spans sp = { NULL, 0, 0 };
	size_t i;

	if (!s)
		return;
	find_spans(s, &sp);
	for (i = 0; i < sp.n; i++)
		memset(s + sp.v[i].start, '*', sp.v[i].end - sp.v[i].start);
	free(sp.v);
}

/*
 * Might libpq's quoted token b show part of the password a? Yes when b
 * lies within a (a one-byte token only when a is one byte: libpq quotes
 * single separators such as "="), when they share a run of min(3, |a|)
 * bytes, or when b starts with the last two or more bytes of a (one
 * when the userinfo's '@' follows) or ends with its first two or more: a
 * token can hold part of a password and part of what follows it
 * (`"w0rd@localhost/db"` for `pa/ss?w0rd`).
 */
static int shares_text(const char *a, const char *b)
{
	size_t alen = strlen(a), blen = strlen(b), want, i, j, k;

	if (!alen || !blen)
		return 0;
	if ((blen > 1 || alen == 1) && strstr(a, b))
		return 1;
	want = alen < 3 ? alen : 3;
	for (i = 0; i + want <= alen; i++)
		for (j = 0; j + want <= blen; j++) {
			for (k = 0; k < want && a[i + k] == b[j + k]; k++)
				;
			if (k == want)
				return 1;
		}
	for (k = 1; k <= alen && k <= blen; k++) {
		/* One byte only where the userinfo's '@' follows it. */
		if (!memcmp(a + alen - k, b, k) && (k >= 2 || b[k] == '@'))
			return 1;
		if (k >= 2 && !memcmp(b + blen - k, a, k))
			return 1;
	}
	return 0;
}

/*
 * libpq quotes the offending token in its messages, and that token can be
 * (part of) a password: `invalid percent-encoded token: "p%zz"`. Replace
 * every quoted token that overlaps a password, and any bare occurrence.
 */
static char *scrub_reason(const char *reason, const char *in)
{
	struct spans sp = { NULL, 0, 0 };
	struct sb out = SB_INIT;
	size_t i, best, len;
	const char *p = reason, *q;
	char *secret, *tok;

	/*
	 * One pass over libpq's text, never over our own output: a password
	 * of stars would otherwise match each "***" written for it again.
	 */
	find_spans(in, &sp);
	while (*p) {
		int hide = 0;

		if (*p == '"' && (q = strchr(p + 1, '"'))) {
			tok = xstrndup(p + 1, (size_t)(q - p - 1));
			for (i = 0; i < sp.n && !hide && *tok; i++) {
				secret = xstrndup(in + sp.v[i].start,
						  sp.v[i].end - sp.v[i].start);
				hide = shares_text(secret, tok);
				free(secret);
			}
			free(tok);
			if (hide)
				sb_adds(&out, "\"***\"");
			else
				sb_add(&out, p, (size_t)(q + 1 - p));
			p = q + 1;
			continue;
		}
		/* A bare occurrence of a password, the longest that matches. */
		best = 0;
		for (i = 0; i < sp.n; i++) {
			len = sp.v[i].end - sp.v[i].start;
			if (len > best && !strncmp(p, in + sp.v[i].start, len))
				best = len;
		}
		if (best) {
			sb_adds(&out, "***");
			p += best;
		} else {
			sb_addch(&out, *p++);
		}
	}
	free(sp.v);
	return sb_detach(&out, NULL);
}

/* Checks libpq leaves to connection time, done now so a typo is exit 3. */
static char *check_options(const PQconninfoOption *opts)
{
	static const char *const sslmodes[] = { "disable", "allow",     "prefer",
						"require", "verify-ca", "verify-full" };
	const PQconninfoOption *o;
	struct sb sb = SB_INIT;
	size_t i;

	for (o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "port") == 0) {
			const char *p = o->val, *end;

			for (;; p = end + 1) {
				long v = 0;
				const char *d;

				end = p + strcspn(p, ",");
				for (d = p;
				     d < end && v <= 65535 && is_digit((unsigned char)*d);
				     d++)
					v = v * 10 + (*d - '0');
				if (d != end || (end > p && (v < 1 || v > 65535))) {
					sb_addf(&sb, "invalid port number: \"%.*s\"",
						(int)(end - p), p);
					return sb_detach(&sb, NULL);
				}
				if (!*end)
					break;
			}
		} else if (strcmp(o->keyword, "sslmode") == 0) {
			for (i = 0; i < sizeof(sslmodes) / sizeof(sslmodes[0]); i++)
				if (strcmp(o->val, sslmodes[i]) == 0)
					break;
			if (i == sizeof(sslmodes) / sizeof(sslmodes[0])) {
				sb_addf(&sb, "invalid sslmode value: \"%s\"", o->val);
				return sb_detach(&sb, NULL);
			}
		}
	}
	return NULL;
}

int pg_url_check(const char *in, const char *where, char **out, struct flux_err *err)
{
	struct sb sb = SB_INIT;
	PQconninfoOption *opts;
	char *pqerr = NULL, *reason = NULL, *scrubbed, *redacted;
	size_t start = 0, end, plus, scheme, i;

	*out = NULL;
	end = strlen(in);
	while (start < end && is_space((unsigned char)in[start]))
		start++;
	while (end > start && is_space((unsigned char)in[end - 1]))
		end--;
	scheme = pg_scheme_length(in + start, &plus);
	if (scheme) {
		/* libpq matches the scheme case-sensitively: lowercase it. */
		for (i = 0; i < plus; i++)
			sb_addch(&sb, lower((unsigned char)in[start + i]));
		sb_add(&sb, in + start + scheme - 3, end - start - scheme + 3);
	} else {
		sb_add(&sb, in + start, end - start);
	}

	/*
	 * libpq ends the user name and password at the first '@' and takes
	 * the rest for the host: `app:Tr0ub4dor@3xyzQ@db` would look up the
	 * host "3xyzQ@db", part of the password, and print it in every retry.
	 * Which '@' was meant cannot be known, so say how to write it.
	 */
	if (scheme && count_at(sb.buf) > 1) {
		redacted = pg_url_redact(sb.buf);
		err_set(err, FLUX_EXIT_CONFIG,
			"invalid database URL '%s'%s%s: it holds "
			"more than one '@': write an '@' in the user name or password "
			"(or anywhere else in the URL) as '%%40'",
			redacted, where ? " in " : "", where ? where : "");
		free(redacted);
		sb_release(&sb);
		return -1;
	}
	opts = PQconninfoParse(sb.buf, &pqerr);
	if (!opts) {
		if (pqerr) {
			reason = xstrdup(pqerr);
			PQfreemem(pqerr);
		} else {
			reason = xstrdup("out of memory");
		}
	} else {
		reason = check_options(opts);
		PQconninfoFree(opts);
	}
	if (reason) {
		size_t n = strlen(reason);

		while (n && (reason[n - 1] == '\n' || reason[n - 1] == '\r'))
			reason[--n] = '\0';
		scrubbed = scrub_reason(reason, sb.buf);
		redacted = pg_url_redact(sb.buf);
		err_set(err, FLUX_EXIT_CONFIG, "invalid database URL '%s'%s%s: %s",
			redacted, where ? " in " : "", where ? where : "", scrubbed);
		free(redacted);
		free(scrubbed);
		free(reason);
		sb_release(&sb);
		return -1;
	}
	*out = sb_detach(&sb, NULL);
	return 0;
}
