/*
 * libFuzzer target for database URL handling (src/url.h).
 *
 * Two halves. Raw: the input as a string goes through url_looks_like,
 * url_redact and url_normalise (no crash, no leak, a result or an exit-3
 * error). Generated: the input builds a URL or conninfo string around a
 * password that is marked ("Z" ... "Z", and 'Z' appears nowhere else), in
 * one of several shapes (URI userinfo, +driver scheme, password= query
 * parameter, key=value bare or quoted); neither url_redact's output nor
 * url_normalise's error message may then contain the password, raw or
 * as written.
 *
 * The URI password alphabet includes '/', '?' and '#', which RFC 3986 wants
 * percent-encoded but users paste raw; FLUX_FUZZ_URL_ENCODED_ONLY=1 leaves
 * them out (to look past a known finding).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "sb.h"
#include "url.h"

#include "fuzz.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static int take(struct in *in)
{
	if (!in->n)
		return -1;
	in->n--;
	return *in->p++;
}

/* Up to max bytes from the input mapped into alphabet (never 'Z'). */
static void field(struct in *in, struct sb *out, const char *alphabet, size_t max)
{
	size_t alen = strlen(alphabet), i;
	int len = take(in), c;

	if (len < 0)
		return;
	for (i = 0; i < (size_t)len % (max + 1); i++) {
		if ((c = take(in)) < 0)
			return;
		sb_addch(out, alphabet[(size_t)c % alen]);
	}
}

static void check_absent(const char *hay, const char *needle, const char *what,
			 const char *input)
{
	if (strlen(needle) >= 3 && strstr(hay, needle)) {
		fprintf(stderr,
			"password leaked in %s\ninput: %s\npassword: %s\noutput: %s\n",
			what, input, needle, hay);
		abort();
	}
}

static void raw_half(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *red, *norm = NULL;
	struct flux_err err = FLUX_ERR_INIT;

	memcpy(s, data, size);
	s[size] = '\0';
	(void)url_looks_like(s);
	red = url_redact(s);
	CHECK(red != NULL);
	if (url_normalise(s, &norm, &err) == 0) {
		CHECK(norm != NULL);
		CHECK(err.code == FLUX_EXIT_OK);
	} else {
		CHECK(norm == NULL);
		CHECK(err.code == FLUX_EXIT_CONFIG && err.msg);
	}
	free(norm);
	free(red);
	err_release(&err);
	free(s);
}

static const char URI_ANY[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY0123456789-._~!$&'()*+,;=:%@/?#[] ";
static const char URI_ENCODED_ONLY[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY0123456789-._~!$&'()*+,;=:%@[] ";
static const char *uri_alphabet = URI_ANY;
static const char HOST[] = "abcdefghijklmnopqrstuvwxyz0123456789-.[]:,%";
static const char KV_BARE[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY0123456789-._~!$&()*+,;:%@/?#=\\";
static const char KV_QUOTED[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY0123456789 =\t@:/?#'\\\"";

static void generated_half(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct sb s = SB_INIT, pw = SB_INIT, written = SB_INIT, user = SB_INIT,
		  host = SB_INIT, extra = SB_INIT;
	struct flux_err err = FLUX_ERR_INIT;
	char *red, *norm = NULL;
	int shape = take(&in);
	size_t i;

	if (shape < 0)
		return;
	field(&in, &user, "abcdefghijklmnopqrstuvwxyz0123456789_-.", 12);
	field(&in, &host, HOST, 16);
	switch (shape % 6) {
	case 0: /* userinfo password */
	case 1: /* the same with a +driver scheme */
	case 2: /* password= in the query */
		sb_addch(&pw, 'Z');
		field(&in, &pw, uri_alphabet, 24);
		sb_addch(&pw, 'Z');
		field(&in, &extra, "abcdefghijklmnopqrstuvwxyz=&_%", 16);
		sb_adds(&written, pw.buf);
		sb_adds(&s, shape % 6 == 1 ? "postgresql+asyncpg://" : "postgresql://");
		if (shape % 6 == 2) {
			sb_addf(&s, "%s@%s/db?%s&password=%s", user.buf, host.buf,
				extra.buf, pw.buf);
		} else {
			sb_addf(&s, "%s:%s@%s/db?%s", user.buf, pw.buf, host.buf,
				extra.buf);
		}
		break;
	case 3: /* key=value, bare */
		sb_addch(&pw, 'Z');
		field(&in, &pw, KV_BARE, 24);
		sb_addch(&pw, 'Z');
		sb_adds(&written, pw.buf);
		sb_addf(&s, "host=%s user=%s password=%s dbname=db", host.buf, user.buf,
			pw.buf);
		break;
	default: /* key=value, quoted: \' and \\ escaped */
		sb_addch(&pw, 'Z');
		field(&in, &pw, KV_QUOTED, 24);
		sb_addch(&pw, 'Z');
		sb_addch(&written, '\'');
		for (i = 0; i < pw.len; i++) {
			if (pw.buf[i] == '\'' || pw.buf[i] == '\\')
				sb_addch(&written, '\\');
			sb_addch(&written, pw.buf[i]);
		}
		sb_addch(&written, '\'');
		sb_addf(&s, "%suser=%s password %s= %s host=%s", shape & 8 ? " " : "",
			user.buf, shape & 16 ? " " : "", written.buf, host.buf);
		break;
	}

	red = url_redact(s.buf);
	check_absent(red, pw.buf, "url_redact", s.buf);
	check_absent(red, written.buf, "url_redact", s.buf);
	if (url_normalise_from(s.buf, "FLUX_DATABASE_URL", &norm, &err) < 0) {
		check_absent(err.msg, pw.buf, "url_normalise error", s.buf);
		check_absent(err.msg, written.buf, "url_normalise error", s.buf);
	} else {
		char *red2 = url_redact(norm);

		check_absent(red2, pw.buf, "url_redact(normalised)", s.buf);
		check_absent(red2, written.buf, "url_redact(normalised)", s.buf);
		free(red2);
	}
	free(norm);
	free(red);
	err_release(&err);
	sb_release(&s);
	sb_release(&pw);
	sb_release(&written);
	sb_release(&user);
	sb_release(&host);
	sb_release(&extra);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;

	if (!init) {
		const char *e = getenv("FLUX_FUZZ_URL_ENCODED_ONLY");

		init = 1;
		log_setup(LOG_ERROR, LOG_TEXT);
		if (e && *e == '1')
			uri_alphabet = URI_ENCODED_ONLY;
	}
	if (size > 4096)
		return 0;
	raw_half(data, size);
	generated_half(data, size);
	return 0;
}
