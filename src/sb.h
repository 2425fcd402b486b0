/*
 * sb: a growable string builder in the shape of git's strbuf.
 *
 * Invariants: buf is never NULL and always NUL-terminated at buf[len];
 * the text may itself contain NUL bytes (len is authoritative).
 * SB_INIT or sb_init() before use; sb_release() frees and re-initialises;
 * sb_detach() hands the buffer to the caller, who frees it with free().
 * Growth exits like xalloc on out-of-memory, also when len + extra would
 * overflow a size_t.
 * May depend on xalloc, utf8 and libc only.
 */
#ifndef FLUX_SB_H
#define FLUX_SB_H

#include <stdarg.h>
#include <stddef.h>

struct sb {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char sb_empty[];
#define SB_INIT                \
	{                      \
		0, 0, sb_empty \
	}

void sb_init(struct sb *sb, size_t hint);
void sb_release(struct sb *sb);
void sb_reset(struct sb *sb);
void sb_grow(struct sb *sb, size_t extra);
void sb_add(struct sb *sb, const void *data, size_t len);
void sb_adds(struct sb *sb, const char *s);
void sb_addch(struct sb *sb, int c);
__attribute__((format(printf, 2, 3))) void sb_addf(struct sb *sb, const char *fmt, ...);
__attribute__((format(printf, 2, 0))) void sb_vaddf(struct sb *sb, const char *fmt,
						    va_list ap);
/*
 * Append s as the body of a JSON string (no surrounding quotes). The result
 * is valid UTF-8 whatever s holds: an invalid byte is written as \ufffd.
 */
void sb_add_json(struct sb *sb, const char *s);
/*
 * Set the length to len, which must lie within the allocated buffer (text
 * written there after sb_grow, or a shorter length): anything past it is a
 * programming error and aborts with a message, as git's strbuf_setlen does.
 */
void sb_setlen(struct sb *sb, size_t len);
/*
 * Append the contents of the file at path. 0 on success; -1 when it cannot
 * be opened, -2 when reading fails (errno tells why; EFBIG when it holds
 * more than max bytes). What was read before a failure stays appended.
 */
int sb_read_file(struct sb *sb, const char *path, size_t max);
char *sb_detach(struct sb *sb, size_t *len);

#endif
