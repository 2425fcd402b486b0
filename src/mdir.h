/*
 * mdir: the migration directory reader, compatible with flux-migrations.
 *
 * Reads DIR/ID.sql, DIR/ID.undo.sql, DIR/ID.py and DIR/pre-apply/ID.sql,
 * DIR/post-apply/ID.sql, sorted by strcmp of ID. Each file is read, checked
 * and hashed once, one at a time, and its text is not kept: memory does not
 * grow with the size of the directory. mdir_load() reads one text again
 * when it is about to run, and checks that it did not change. Text is normalised
 * as Python's text-mode read does (CRLF and lone CR become LF); the hash is
 * the lowercase hex MD5 of that text including a leading UTF-8 BOM; the
 * text kept for sending has the BOM removed. Invalid UTF-8 and NUL bytes
 * are FLUX_EXIT_DIRECTORY naming the file and byte offset.
 * struct mdir owns everything inside it; mdir_release() frees it all.
 * A `-- flux:no-transaction` file is split once here so that a file the
 * splitter rejects is exit 4 before anything runs.
 * May depend on err, log, sb, split, xalloc, OpenSSL (EVP MD5) and libc.
 */
#ifndef FLUX_MDIR_H
#define FLUX_MDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "sb.h"

enum mdir_kind { MDIR_SQL = 0, MDIR_PY };

struct mdir_migration {
	char *id;
	enum mdir_kind kind;
	char *path;          /* up file as given: "migrations/0001_x.sql" */
	size_t text_len;     /* bytes of the normalised up text, BOM removed */
	size_t bom_len;      /* 3 when the file began with a BOM (for positions) */
	char hash[33];       /* MD5 hex; "" for .py (cannot be recomputed) */
	bool no_transaction; /* first line is "-- flux:no-transaction" */
	bool ends_open;      /* ends inside a quote, comment or BEGIN ATOMIC body */
	char *undo_path;     /* NULL when there is no ID.undo.sql */
	size_t undo_len;     /* bytes of the normalised undo text, BOM removed */
	char undo_hash[33];  /* MD5 hex of the undo file, to see it change */
	bool undo_no_transaction;
	bool undo_ends_open;
};

struct mdir {
	char *root;
	struct mdir_migration *migrations; /* sorted by id */
	size_t nmigrations;
	struct mdir_migration *pre; /* pre-apply/, sorted; never .py or undo */
	size_t npre;
	struct mdir_migration *post; /* post-apply/, sorted */
	size_t npost;
};

/*
 * Read the whole directory. A missing or unreadable directory, invalid
 * UTF-8, a NUL byte, a duplicate ID (x.sql and x.py), a repeatable with an
 * .undo.sql or a .py are FLUX_EXIT_DIRECTORY. An ID.undo.sql without ID.sql
 * is ignored with a warning.
 */
int mdir_read(struct mdir *dir, const char *root, struct flux_err *err);
void mdir_release(struct mdir *dir);

/*
 * Append the normalised text of m's up file (undo: its undo file), BOM
 * removed, to out. The file is read again: a file that changed since
 * mdir_read() (its MD5 differs) is FLUX_EXIT_DIRECTORY, as are the errors
 * of mdir_read(). On failure out is left as it was. An undo of a migration
 * without an undo file appends nothing.
 */
int mdir_load(const struct mdir_migration *m, bool undo, struct sb *out,
	      struct flux_err *err);

/* Find a migration by id (binary search), NULL if absent. */
const struct mdir_migration *mdir_find(const struct mdir *dir, const char *id);

/*
 * Universal-newline normalisation and UTF-8/NUL check of raw file bytes.
 * Appends the normalised text (BOM kept) to out. `path` names the file in
 * the error message. Returns 0 or -1.
 */
int mdir_normalise(const char *raw, size_t len, const char *path, struct sb *out,
		   struct flux_err *err);

/* Lowercase hex MD5 of data into out[33]. */
void mdir_md5_hex(const void *data, size_t len, char out[33]);

/* Does the text's first line equal "-- flux:no-transaction" (after BOM)? */
bool mdir_is_no_transaction(const char *text, size_t len);

#endif
