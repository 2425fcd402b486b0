/* utf8: see utf8.h. */
#include "utf8.h"

size_t utf8_seq(const unsigned char *s, size_t avail, const char **why)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*why = "invalid start byte";
		return 0;
	}
	for (k = 1; k <= n; k++) {
		if (k >= avail) {
			*why = "unexpected end of data";
			return 0;
		}
		if (s[k] < lo || s[k] > hi) {
			*why = "invalid continuation byte";
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return n + 1;
}

bool utf8_valid(const char *s, size_t len)
{
	const char *why;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq((const unsigned char *)s + i, len - i, &why);
		if (!n)
			return false;
		i += n;
	}
	return true;
}
