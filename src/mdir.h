/*
 * mdir: the migration directory reader, compatible with flux-migrations.
 *
 * Reads DIR/ID.sql, DIR/ID.undo.sql, DIR/ID.py and DIR/pre-apply/ID.sql,
 * DIR/post-apply/ID.sql once, sorted by strcmp of ID. Text is normalised
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
	char *path;       /* up file as given: "migrations/0001_x.sql" */
	char *text;       /* normalised up text, BOM removed; NULL for .py */
	size_t text_len;
	size_t bom_len;   /* 3 when the file began with a BOM (for positions) */
	char hash[33];    /* MD5 hex; "" for .py (cannot be recomputed) */
	bool no_transaction; /* first line is "-- flux:no-transaction" */
	char *undo_path;  /* NULL when there is no ID.undo.sql */
	char *undo_text;  /* normalised, BOM removed */
	size_t undo_len;
	bool undo_no_transaction;
};

struct mdir {
	char *root;
	struct mdir_migration *migrations; /* sorted by id */
	size_t nmigrations;
	struct mdir_migration *pre;  /* pre-apply/, sorted; never .py or undo */
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

/* Find a migration by id (binary search), NULL if absent. */
const struct mdir_migration *mdir_find(const struct mdir *dir, const char *id);

/*
 * Universal-newline normalisation and UTF-8/NUL check of raw file bytes.
 * Appends the normalised text (BOM kept) to out. `path` names the file in
 * the error message. Returns 0 or -1.
 */
int mdir_normalise(const char *raw, size_t len, const char *path,
		   struct sb *out, struct flux_err *err);

/* Lowercase hex MD5 of data into out[33]. */
void mdir_md5_hex(const void *data, size_t len, char out[33]);

/* Does the text's first line equal "-- flux:no-transaction" (after BOM)? */
bool mdir_is_no_transaction(const char *text, size_t len);

#endif
