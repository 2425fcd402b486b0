/*
 * utf8: strict UTF-8 decoding as Python's decoder does it (Unicode table
 * 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
 *
 * Used by the directory reader (migration text and file names must be
 * valid UTF-8, as flux-migrations reads them) and by the JSON log writer
 * (a JSON line must be valid UTF-8 whatever bytes a value holds).
 * Depends on libc only.
 */
#ifndef FLUX_UTF8_H
#define FLUX_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the UTF-8 sequence starting at s (avail > 0 bytes left), or 0
 * when it is invalid, with *why set to a static reason in Python's words.
 */
size_t utf8_seq(const unsigned char *s, size_t avail, const char **why);
bool utf8_valid(const char *s, size_t len);

#endif
