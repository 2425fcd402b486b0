#include "mdir.h"
#include "utf8.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "split.h"
#include "xalloc.h"

/* A larger file is surely a mistake; refusing it keeps memory bounded. */
#define MDIR_MAX_FILE ((off_t)64 << 20)
#define MDIR_MAX_FILE_TEXT "64 MiB"

#define PRE_DIR "pre-apply"
#define POST_DIR "post-apply"

static const char bom[] = "\xEF\xBB\xBF";

/* Sort order inside one id: the up file before the undo file. */
enum ent_kind { ENT_SQL = 0, ENT_PY, ENT_UNDO };

/* A directory entry that names a migration file, before pairing. */
struct ent {
	char *id;
	char *name;
	enum ent_kind kind;
};

struct ents {
	struct ent *v;
	size_t n, alloc;
};

static void ents_release(struct ents *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].id);
		free(e->v[i].name);
	}
	free(e->v);
	e->v = NULL;
	e->n = e->alloc = 0;
}

static void ents_add(struct ents *e, const char *name, size_t idlen, enum ent_kind kind)
{
	XGROW(e->v, e->alloc, e->n + 1);
	e->v[e->n].id = xstrndup(name, idlen);
	e->v[e->n].name = xstrdup(name);
	e->v[e->n].kind = kind;
	e->n++;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return (int)x->kind - (int)y->kind;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* root + "/" + name, without doubling a slash the root already ends with. */
static char *path_join(const char *root, const char *name)
{
	struct sb sb = SB_INIT;
	size_t rlen = strlen(root);

	sb_add(&sb, root, rlen);
	if (rlen && root[rlen - 1] != '/')
		sb_addch(&sb, '/');
	sb_adds(&sb, name);
	return sb_detach(&sb, NULL);
}

/*
 * Universal newlines plus UTF-8 and NUL checks in one pass. dst may equal
 * src: the output never runs ahead of the input. On failure *bad is the
 * offset in src and *why the reason (NULL for a NUL byte); *outlen is how
 * much was written, so the line of the fault can be counted in dst.
 */
static int scan_text(char *dst, const char *src, size_t len, size_t *outlen, size_t *bad,
		     const char **why)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n;

	while (i < len) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x80) {
			dst[o++] = (char)c;
			i++;
		} else if (c == '\r') {
			dst[o++] = '\n';
			i += (i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
		} else if (c == '\0') {
			*why = NULL;
			goto fail;
		} else if (c < 0x80) {
			dst[o++] = (char)c;
			i++;
		} else {
			n = utf8_seq(s + i, len - i, why);
			if (!n)
				goto fail;
			memmove(dst + o, s + i, n);
			o += n;
			i += n;
		}
	}
	*outlen = o;
	return 0;
fail:
	*bad = i;
	*outlen = o;
	return -1;
}

static size_t count_lines(const char *s, size_t len)
{
	size_t lines = 1;
	const char *p = s, *end = s + len;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		lines++;
		p++;
	}
	return lines;
}

static int scan_error(struct flux_err *err, const char *path, size_t bad, const char *why,
		      const char *done, size_t donelen)
{
	size_t line = count_lines(done, donelen);

	if (!why)
		return err_set(err, FLUX_EXIT_DIRECTORY,
			       "NUL byte in migration '%s' at byte offset %zu (line %zu)",
			       path, bad, line);
	return err_set(err, FLUX_EXIT_DIRECTORY,
		       "invalid UTF-8 in migration '%s' at byte offset %zu (line %zu): %s",
		       path, bad, line, why);
}

int mdir_normalise(const char *raw, size_t len, const char *path, struct sb *out,
		   struct flux_err *err)
{
	size_t olen, bad;
	const char *why;
	char *dst;

	sb_grow(out, len);
	dst = out->buf + out->len;
	if (scan_text(dst, raw, len, &olen, &bad, &why)) {
		scan_error(err, path, bad, why, dst, olen);
		out->buf[out->len] = '\0';
		return -1;
	}
	sb_setlen(out, out->len + olen);
	return 0;
}

void mdir_md5_hex(const void *data, size_t len, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	/*
	 * Fetched once: EVP_md5() makes every EVP_Digest look the algorithm up
	 * in the provider tables again, which cost more than the hashing of a
	 * thousand small files. Kept for the life of the process.
	 */
	static EVP_MD *md5;

	out[0] = '\0';
	if (!md5)
		md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	if (!md5 || !EVP_Digest(data, len, md, &mdlen, md5, NULL) || mdlen != 16)
		return;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xF];
	}
	out[32] = '\0';
}

bool mdir_is_no_transaction(const char *text, size_t len)
{
	static const char tag[] = "-- flux:no-transaction";
	size_t n = sizeof(tag) - 1, i;

	if (len >= 3 && memcmp(text, bom, 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (len < n || memcmp(text, tag, n) != 0)
		return false;
	for (i = n; i < len && text[i] != '\n'; i++) {
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
			return false;
	}
	return true;
}

/*
 * Append the whole file to raw in one open/fstat/read; refuses non-regular
 * files. On failure raw may hold part of it (the caller cuts it off).
 */
static int read_file(const char *path, struct sb *raw, struct flux_err *err)
{
	struct stat st;
	size_t start = raw->len;
	ssize_t n;
	int fd, ret = -1;

	/*
	 * O_NONBLOCK: opening a FIFO named x.sql must not hang. No O_CLOEXEC:
	 * flux never executes another program, the descriptor is closed
	 * below, and musl's open() adds an fcntl call per file for it.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return err_set(err, FLUX_EXIT_DIRECTORY, "cannot read migration '%s': %s",
			       path, strerror(errno));
	if (fstat(fd, &st)) {
		err_set(err, FLUX_EXIT_DIRECTORY, "cannot read migration '%s': %s", path,
			strerror(errno));
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		err_set(err, FLUX_EXIT_DIRECTORY, "cannot read migration '%s': %s", path,
			strerror(EISDIR));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, FLUX_EXIT_DIRECTORY,
			"cannot read migration '%s': not a regular file", path);
		goto cleanup;
	}
	if (st.st_size > MDIR_MAX_FILE) {
		err_set(err, FLUX_EXIT_DIRECTORY,
			"migration '%s' is too large (%lld bytes, limit " MDIR_MAX_FILE_TEXT
			")",
			path, (long long)st.st_size);
		goto cleanup;
	}
	sb_grow(raw, (size_t)st.st_size);
	for (;;) {
		if (raw->alloc - 1 - raw->len == 0) {
			if ((off_t)(raw->len - start) > MDIR_MAX_FILE) {
				err_set(err, FLUX_EXIT_DIRECTORY,
					"migration '%s' is too large (limit " MDIR_MAX_FILE_TEXT
					")",
					path);
				goto cleanup;
			}
			sb_grow(raw, 4096);
		}
		n = read(fd, raw->buf + raw->len, raw->alloc - 1 - raw->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_set(err, FLUX_EXIT_DIRECTORY,
				"cannot read migration '%s': %s", path, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		raw->len += (size_t)n;
		/*
		 * Stop at the size fstat gave, saving a read per file; a size
		 * of 0 may be a file system that does not know it, so read on.
		 */
		if (st.st_size && (off_t)(raw->len - start) >= st.st_size)
			break;
	}
	raw->buf[raw->len] = '\0';
	ret = 0;
cleanup:
	close(fd);
	return ret;
}

/*
 * Read, check and normalise one SQL file, appending its text to buf (BOM
 * removed). The hash covers a leading BOM, as flux-migrations' does. With
 * split, a no-transaction text is split once so that a file the splitter
 * rejects is exit 4 before the database is touched. On failure buf is
 * left as it was.
 */
static int load_sql(const char *path, struct sb *buf, char *hash, size_t *bom_len,
		    bool *no_tx, bool split, struct flux_err *err)
{
	size_t start = buf->len, olen, bad, skip = 0;
	const char *why;
	char *text;

	if (read_file(path, buf, err))
		goto fail;
	text = buf->buf + start;
	if (scan_text(text, text, buf->len - start, &olen, &bad, &why)) {
		scan_error(err, path, bad, why, text, olen);
		goto fail;
	}
	sb_setlen(buf, start + olen);
	mdir_md5_hex(text, olen, hash);
	if (!hash[0]) {
		err_set(err, FLUX_EXIT_DIRECTORY,
			"cannot hash migration '%s': MD5 is not available", path);
		goto fail;
	}
	if (olen >= 3 && memcmp(text, bom, 3) == 0) {
		skip = 3;
		memmove(text, text + 3, olen - 3);
		sb_setlen(buf, buf->len - 3);
	}
	if (bom_len)
		*bom_len = skip;
	*no_tx = mdir_is_no_transaction(text, buf->len - start);
	if (*no_tx && split) {
		struct split_result r = SPLIT_RESULT_INIT;
		if (split_sql(text, buf->len - start, &r, err)) {
			char *why_split = err->msg;
			err->msg = NULL;
			err_set(err, FLUX_EXIT_DIRECTORY,
				"cannot split no-transaction migration '%s' into statements: %s",
				path, why_split);
			free(why_split);
			goto fail;
		}
		split_result_release(&r);
	}
	return 0;
fail:
	sb_setlen(buf, start);
	return -1;
}

/*
 * Check and hash one file at mdir_read() time, keeping only its length
 * and what it is: scratch holds one file at a time, so memory stays at
 * the largest file.
 */
static int scan_sql(const char *path, struct sb *scratch, char *hash, size_t *len,
		    size_t *bom_len, bool *no_tx, bool *ends_open, struct flux_err *err)
{
	sb_reset(scratch);
	if (load_sql(path, scratch, hash, bom_len, no_tx, true, err))
		return -1;
	*len = scratch->len;
	*ends_open = !*no_tx && split_ends_open(scratch->buf, scratch->len);
	return 0;
}

int mdir_load(const struct mdir_migration *m, bool undo, struct sb *out,
	      struct flux_err *err)
{
	const char *path = undo ? m->undo_path : m->path;
	const char *want = undo ? m->undo_hash : m->hash;
	size_t start = out->len;
	char hash[33];
	bool no_tx;

	if (!path)
		return 0;
	if (m->kind != MDIR_SQL)
		return err_set(err, FLUX_EXIT_DIRECTORY,
			       "cannot run python migration '%s' here", path);
	if (load_sql(path, out, hash, NULL, &no_tx, false, err))
		return -1;
	if (strcmp(hash, want) != 0) {
		sb_setlen(out, start);
		return err_set(
			err, FLUX_EXIT_DIRECTORY,
			"migration '%s' changed while flux was running (MD5 %s, was %s)",
			path, hash, want);
	}
	return 0;
}

/* A .py migration is not read, only checked to be a file that exists. */
static int check_py(const char *path, struct flux_err *err)
{
	struct stat st;

	if (stat(path, &st))
		return err_set(err, FLUX_EXIT_DIRECTORY, "cannot read migration '%s': %s",
			       path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return err_set(err, FLUX_EXIT_DIRECTORY, "cannot read migration '%s': %s",
			       path, strerror(EISDIR));
	return 0;
}

static void migration_release(struct mdir_migration *m)
{
	free(m->id);
	free(m->path);
	free(m->undo_path);
}

static void migrations_free(struct mdir_migration *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		migration_release(&v[i]);
	free(v);
}

void mdir_release(struct mdir *dir)
{
	if (!dir)
		return;
	free(dir->root);
	migrations_free(dir->migrations, dir->nmigrations);
	migrations_free(dir->pre, dir->npre);
	migrations_free(dir->post, dir->npost);
	memset(dir, 0, sizeof(*dir));
}

/*
 * List the names of one directory that matter, classified by suffix.
 * repeatable: inside pre-apply/ or post-apply/, where an undo file or a .py
 * is an error. In the root, *has_pre / *has_post report those sub-folders.
 */
static int list_dir(const char *dirpath, bool repeatable, struct ents *out, bool *has_pre,
		    bool *has_post, struct flux_err *err)
{
	struct dirent *de;
	DIR *d;
	int ret = -1;

	d = opendir(dirpath);
	if (!d) {
		if (errno == ENOENT)
			return err_set(err, FLUX_EXIT_DIRECTORY,
				       "migration directory '%s' does not exist",
				       dirpath);
		return err_set(err, FLUX_EXIT_DIRECTORY,
			       "cannot open migration directory '%s': %s", dirpath,
			       strerror(errno));
	}
	for (;;) {
		const char *name;
		size_t len;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				err_set(err, FLUX_EXIT_DIRECTORY,
					"cannot read migration directory '%s': %s",
					dirpath, strerror(errno));
				goto cleanup;
			}
			break;
		}
		name = de->d_name;
		len = strlen(name);
		if (!repeatable && (!strcmp(name, PRE_DIR) || !strcmp(name, POST_DIR))) {
			if (!strcmp(name, PRE_DIR))
				*has_pre = true;
			else
				*has_post = true;
			continue;
		}
		if (ends_with(name, len, ".undo.sql")) {
			if (repeatable) {
				char *p = path_join(dirpath, name);
				err_set(err, FLUX_EXIT_DIRECTORY,
					"cannot use '%s': repeatable migrations have no undo",
					p);
				free(p);
				goto cleanup;
			}
			ents_add(out, name, len - 9, ENT_UNDO);
		} else if (ends_with(name, len, ".sql")) {
			ents_add(out, name, len - 4, ENT_SQL);
		} else if (ends_with(name, len, ".py")) {
			if (repeatable) {
				char *p = path_join(dirpath, name);
				err_set(err, FLUX_EXIT_DIRECTORY,
					"cannot use python migration '%s': repeatable migrations must be .sql",
					p);
				free(p);
				goto cleanup;
			}
			ents_add(out, name, len - 3, ENT_PY);
		} else {
			continue;
		}
		/* The id is stored as text in PostgreSQL and compared by bytes. */
		if (!utf8_valid(name, len)) {
			char *p = path_join(dirpath, name);
			err_set(err, FLUX_EXIT_DIRECTORY,
				"migration file name '%s' is not valid UTF-8", p);
			free(p);
			goto cleanup;
		}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), ent_cmp);
	ret = 0;
cleanup:
	closedir(d);
	return ret;
}

/* Load pre-apply/ or post-apply/ (which must then be a directory). */
static int read_repeatable(const char *root, const char *sub, struct mdir_migration **vp,
			   size_t *np, struct sb *scratch, struct flux_err *err)
{
	struct ents e = { NULL, 0, 0 };
	struct mdir_migration *v = NULL;
	char *dirpath = path_join(root, sub);
	size_t i, n = 0;
	struct stat st;
	int ret = -1;

	if (stat(dirpath, &st)) {
		err_set(err, FLUX_EXIT_DIRECTORY,
			"cannot open migration directory '%s': %s", dirpath,
			strerror(errno));
		goto cleanup;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set(err, FLUX_EXIT_DIRECTORY,
			"cannot open migration directory '%s': %s", dirpath,
			strerror(ENOTDIR));
		goto cleanup;
	}
	if (list_dir(dirpath, true, &e, NULL, NULL, err))
		goto cleanup;
	/* Zeroed, so that all n entries can be freed whatever loaded. */
	n = e.n;
	v = n ? xcalloc(n, sizeof(*v)) : NULL;
	for (i = 0; i < n; i++) {
		struct mdir_migration *m = &v[i];

		m->id = e.v[i].id;
		e.v[i].id = NULL;
		m->kind = MDIR_SQL;
		m->path = path_join(dirpath, e.v[i].name);
		if (scan_sql(m->path, scratch, m->hash, &m->text_len, &m->bom_len,
			     &m->no_transaction, &m->ends_open, err))
			goto cleanup;
	}
	*vp = v;
	*np = n;
	v = NULL;
	n = 0;
	ret = 0;
cleanup:
	migrations_free(v, n);
	ents_release(&e);
	free(dirpath);
	return ret;
}

/* Pair sorted entries into migrations and load their files. */
static int build_migrations(struct mdir *dir, struct ents *e, struct sb *scratch,
			    struct flux_err *err)
{
	size_t alloc = 0, i = 0, j;

	while (i < e->n) {
		struct ent *sql = NULL, *py = NULL, *undo = NULL, *up;
		struct mdir_migration *m;

		for (j = i; j < e->n && !strcmp(e->v[j].id, e->v[i].id); j++) {
			if (e->v[j].kind == ENT_SQL)
				sql = &e->v[j];
			else if (e->v[j].kind == ENT_PY)
				py = &e->v[j];
			else
				undo = &e->v[j];
		}
		i = j;
		if (sql && py) {
			char *a = path_join(dir->root, sql->name);
			char *b = path_join(dir->root, py->name);
			err_set(err, FLUX_EXIT_DIRECTORY,
				"duplicate migration id '%s': '%s' and '%s'", sql->id, a,
				b);
			free(a);
			free(b);
			return -1;
		}
		up = sql ? sql : py;
		if (!up || (py && undo)) {
			char *p = path_join(dir->root, undo->name);
			if (!up)
				log_warn("migration_dir",
					 "ignoring '%s': there is no '%s.sql'", p,
					 undo->id);
			else
				log_warn("migration_dir",
					 "ignoring '%s': '%s' is a python migration, whose undo is in the .py file",
					 p, undo->id);
			free(p);
			undo = NULL;
			if (!up)
				continue;
		}
		XGROW(dir->migrations, alloc, dir->nmigrations + 1);
		m = &dir->migrations[dir->nmigrations++];
		memset(m, 0, sizeof(*m));
		m->id = up->id;
		up->id = NULL;
		m->path = path_join(dir->root, up->name);
		if (py) {
			m->kind = MDIR_PY;
			if (check_py(m->path, err))
				return -1;
			continue;
		}
		m->kind = MDIR_SQL;
		if (scan_sql(m->path, scratch, m->hash, &m->text_len, &m->bom_len,
			     &m->no_transaction, &m->ends_open, err))
			return -1;
		if (undo) {
			m->undo_path = path_join(dir->root, undo->name);
			if (scan_sql(m->undo_path, scratch, m->undo_hash, &m->undo_len,
				     NULL, &m->undo_no_transaction, &m->undo_ends_open,
				     err))
				return -1;
		}
	}
	return 0;
}

int mdir_read(struct mdir *dir, const char *root, struct flux_err *err)
{
	struct ents e = { NULL, 0, 0 };
	struct sb scratch = SB_INIT;
	bool has_pre = false, has_post = false;
	int ret = -1;

	memset(dir, 0, sizeof(*dir));
	dir->root = xstrdup(root);
	if (list_dir(root, false, &e, &has_pre, &has_post, err))
		goto cleanup;
	if (build_migrations(dir, &e, &scratch, err))
		goto cleanup;
	if (has_pre &&
	    read_repeatable(root, PRE_DIR, &dir->pre, &dir->npre, &scratch, err))
		goto cleanup;
	if (has_post &&
	    read_repeatable(root, POST_DIR, &dir->post, &dir->npost, &scratch, err))
		goto cleanup;
	ret = 0;
cleanup:
	sb_release(&scratch);
	ents_release(&e);
	if (ret)
		mdir_release(dir);
	return ret;
}

static int find_cmp(const void *key, const void *elem)
{
	const struct mdir_migration *m = elem;

	return strcmp(key, m->id);
}

const struct mdir_migration *mdir_find(const struct mdir *dir, const char *id)
{
	if (!dir || !dir->nmigrations || !id)
		return NULL;
	return bsearch(id, dir->migrations, dir->nmigrations, sizeof(*dir->migrations),
		       find_cmp);
}
