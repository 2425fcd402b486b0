#include "env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb.h"
#include "url.h"
#include "xalloc.h"

/* A secret is a URL or a word: anything bigger is the wrong file. */
#define SECRET_MAX (64 * 1024)

/* The name Heroku, Render, Railway... set; FLUX_DATABASE_URL wins over it. */
static const char fallback_url_env[] = "DATABASE_URL";

static const char *lookup_var(env_lookup_fn lookup, const char *name)
{
	const char *v = lookup ? lookup(name) : getenv(name);

	/* Empty counts as unset: compose and shells write X= for "no value". */
	return v && *v ? v : NULL;
}

const char *env_config_path(env_lookup_fn lookup)
{
	return lookup_var(lookup, "FLUX_CONFIG");
}

/*
 * Read a secrets file named by variable var into out, trailing newlines
 * cut. The path is quoted redacted: `FLUX_DATABASE_URL_FILE=postgresql://`
 * (the URL itself where its file was meant) is a common slip.
 */
static int read_secret(const char *var, const char *path, struct sb *out,
		       struct flux_err *err)
{
	char *shown;
	int e;

	if (sb_read_file(out, path, SECRET_MAX)) {
		e = errno;
		shown = url_redact_text(path);
		if (e == EFBIG)
			err_set(err, FLUX_EXIT_CONFIG,
				"cannot read %s '%s': larger than %d bytes", var, shown,
				SECRET_MAX);
		else
			err_set(err, FLUX_EXIT_CONFIG, "cannot read %s '%s': %s", var,
				shown, strerror(e));
		free(shown);
		return -1;
	}
	if (memchr(out->buf, '\0', out->len)) {
		shown = url_redact_text(path);
		err_set(err, FLUX_EXIT_CONFIG, "cannot read %s '%s': it holds a NUL byte",
			var, shown);
		free(shown);
		return -1;
	}
	/* `echo secret > file` and editors add a newline, Windows ones \r\n. */
	while (out->len &&
	       (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == '\r'))
		sb_setlen(out, out->len - 1);
	return 0;
}

/*
 * Apply variable `name` or `name`_FILE to key. *found tells whether either
 * was set.
 */
static int apply_one(struct flux_config *cfg, enum cfg_key key, const char *name,
		     env_lookup_fn lookup, int *found, struct flux_err *err)
{
	struct sb file_var = SB_INIT, value = SB_INIT;
	const char *direct, *path;
	int ret = -1;

	sb_addf(&file_var, "%s_FILE", name);
	direct = lookup_var(lookup, name);
	path = lookup_var(lookup, file_var.buf);
	*found = direct || path;
	if (direct && path) {
		err_set(err, FLUX_EXIT_CONFIG, "both %s and %s are set", name,
			file_var.buf);
		goto cleanup;
	}
	if (direct) {
		if (cfg_set(cfg, key, direct, CFG_SRC_ENV, name, err) < 0)
			goto cleanup;
	} else if (path) {
		/*
		 * An empty file is a value, not "unset": an empty secret is a
		 * mistake that cfg_set() reports, naming the variable.
		 */
		if (read_secret(file_var.buf, path, &value, err) < 0)
			goto cleanup;
		if (cfg_set(cfg, key, value.buf, CFG_SRC_ENV, file_var.buf, err) < 0)
			goto cleanup;
	}
	ret = 0;
cleanup:
	sb_release(&file_var);
	sb_release(&value);
	return ret;
}

int env_apply(struct flux_config *cfg, env_lookup_fn lookup, struct flux_err *err)
{
	const char *v;
	int i, found;

	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_setting *s = &cfg_settings[i];

		if (!s->env)
			continue;
		if (apply_one(cfg, s->key, s->env, lookup, &found, err) < 0)
			return -1;
		if (s->key == CFG_DATABASE_URL && !found &&
		    (v = lookup_var(lookup, fallback_url_env)) &&
		    cfg_set(cfg, s->key, v, CFG_SRC_ENV, fallback_url_env, err) < 0)
			return -1;
	}
	return 0;
}

bool env_log_json(env_lookup_fn lookup)
{
	struct sb value = SB_INIT;
	const char *v = lookup_var(lookup, "FLUX_LOG_FORMAT"), *path;
	bool json = false;
	size_t i;

	if (!v && (path = lookup_var(lookup, "FLUX_LOG_FORMAT_FILE")) &&
	    sb_read_file(&value, path, SECRET_MAX) == 0) {
		while (value.len &&
		       (value.buf[value.len - 1] == '\n' ||
			value.buf[value.len - 1] == '\r'))
			sb_setlen(&value, value.len - 1);
		v = value.buf;
	}
	if (v && strlen(v) == 4) {
		json = true;
		for (i = 0; i < 4; i++)
			if ((v[i] | 0x20) != "json"[i])
				json = false;
	}
	sb_release(&value);
	return json;
}
