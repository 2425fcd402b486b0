#include "sb.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xalloc.h"

char sb_empty[1];

void sb_init(struct sb *sb, size_t hint)
{
	sb->alloc = 0;
	sb->len = 0;
	sb->buf = sb_empty;
	if (hint)
		sb_grow(sb, hint);
}

void sb_release(struct sb *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sb_init(sb, 0);
}

void sb_reset(struct sb *sb)
{
	sb_setlen(sb, 0);
}

void sb_grow(struct sb *sb, size_t extra)
{
	size_t want = xsize_add(xsize_add(sb->len, extra), 1);
	char *old = sb->alloc ? sb->buf : NULL;

	if (want <= sb->alloc)
		return;
	if (sb->alloc <= SIZE_MAX / 2 && want < sb->alloc * 2)
		want = sb->alloc * 2;
	if (want < 64)
		want = 64;
	sb->buf = xrealloc(old, want);
	if (!old)
		sb->buf[0] = '\0';
	sb->alloc = want;
}

void sb_setlen(struct sb *sb, size_t len)
{
	if (len > (sb->alloc ? sb->alloc - 1 : 0)) {
		fprintf(stderr,
			"flux: BUG: sb_setlen(%zu) beyond a buffer of %zu bytes\n", len,
			sb->alloc);
		abort();
	}
	if (!sb->alloc)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

void sb_add(struct sb *sb, const void *data, size_t len)
{
	if (!len)
		return;
	sb_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_adds(struct sb *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addch(struct sb *sb, int c)
{
	char ch = (char)c;
	sb_add(sb, &ch, 1);
}

void sb_vaddf(struct sb *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n <= 0)
		return;
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_add_json(struct sb *sb, const char *s)
{
	const char *why;
	size_t n, left = strlen(s);

	while (left) {
		unsigned char c = (unsigned char)*s;

		n = 1;
		switch (c) {
		case '"':
			sb_adds(sb, "\\\"");
			break;
		case '\\':
			sb_adds(sb, "\\\\");
			break;
		case '\n':
			sb_adds(sb, "\\n");
			break;
		case '\r':
			sb_adds(sb, "\\r");
			break;
		case '\t':
			sb_adds(sb, "\\t");
			break;
		default:
			if (c < 0x20) {
				sb_addf(sb, "\\u%04x", c);
			} else if (c < 0x80) {
				sb_addch(sb, c);
			} else if ((n = utf8_seq((const unsigned char *)s, left, &why))) {
				sb_add(sb, s, n);
			} else {
				/* JSON must be UTF-8: an invalid byte becomes U+FFFD. */
				sb_adds(sb, "\\ufffd");
				n = 1;
			}
		}
		s += n;
		left -= n;
	}
}

char *sb_detach(struct sb *sb, size_t *len)
{
	char *p;

	if (len)
		*len = sb->len;
	p = sb->alloc ? sb->buf : xstrdup("");
	sb_init(sb, 0);
	return p;
}

int sb_read_file(struct sb *sb, const char *path, size_t max)
{
	char buf[8192];
	size_t n, start = sb->len;
	FILE *f = fopen(path, "rb");
	int saved;

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		sb_add(sb, buf, n);
		if (sb->len - start > max) {
			fclose(f);
			errno = EFBIG;
			return -2;
		}
	}
	if (ferror(f)) {
		saved = errno;
		fclose(f);
		errno = saved;
		return -2;
	}
	fclose(f);
	return 0;
}
