/*
 * libFuzzer target for the configuration layer (src/cfg.h).
 *
 * The first byte picks what is fuzzed:
 *   0-127  the rest is a config file read by cfg_load_file (through a
 *          temporary file, as flux reads it);
 *   128+   cfg_set of one key (next byte) from one source (next byte) with
 *          the rest as the value, plus cfg_parse_duration_ms and
 *          cfg_valid_identifier of it.
 * Invariants: a rejection carries a message and exit code 3 (2 for a
 * flag); whatever is accepted leaves a configuration that is valid (the
 * identifiers match the pattern, durations are not negative, the values
 * format without crashing); a duration that parses is what the reference
 * says; an identifier is accepted exactly when the reference accepts it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"
#include "log.h"
#include "sb.h"

#include "fuzz.h"

static char tmp_path[64];

static void remove_tmp(void)
{
	unlink(tmp_path);
}

static void check_config(const struct flux_config *cfg)
{
	struct sb out = SB_INIT;
	int k;

	CHECK(cfg->migrations_schema && cfg_valid_identifier(cfg->migrations_schema));
	CHECK(cfg->migrations_table && cfg_valid_identifier(cfg->migrations_table));
	CHECK(cfg->backend && cfg->migration_directory);
	CHECK(cfg->wait_timeout_ms >= 0 && cfg->lock_timeout_ms >= 0);
	CHECK(cfg->log_level >= LOG_DEBUG && cfg->log_level <= LOG_ERROR);
	CHECK(cfg->log_format == LOG_TEXT || cfg->log_format == LOG_JSON);
	for (k = 0; k < CFG_NKEYS; k++) {
		sb_reset(&out);
		cfg_format_value(cfg, (enum cfg_key)k, &out);
		(void)cfg_source_name(cfg->source[k]);
	}
	sb_release(&out);
}

static int ref_identifier(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > 63)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

		if (!(letter || (i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* Reference duration parser, -1 when invalid; no overflow beyond 2^62. */
static long ref_duration(const char *s)
{
	unsigned long long n = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		/* Checked before the step: 2^62 * 10 wraps an unsigned long long. */
		if (n > (1ULL << 62) / 10)
			return -2; /* too big for the reference: don't compare */
		n = n * 10 + (unsigned)(*p - '0');
	}
	unsigned long long mult;

	if (!strcmp(p, "ms"))
		mult = 1;
	else if (!strcmp(p, "s") || !*p)
		mult = 1000;
	else if (!strcmp(p, "m"))
		mult = 60000;
	else
		return -1;
	if (n > (unsigned long long)__LONG_MAX__ / mult)
		return -1;
	n *= mult;
	return (long)n;
}

static void file_mode(const uint8_t *data, size_t size)
{
	struct flux_config cfg;
	struct flux_err err = FLUX_ERR_INIT;
	FILE *f;

	f = fopen(tmp_path, "wb");
	CHECK(f);
	CHECK(fwrite(data, 1, size, f) == size);
	CHECK(fclose(f) == 0);
	cfg_init(&cfg);
	if (cfg_load_file(&cfg, tmp_path, &err) < 0) {
		CHECK(err.code == FLUX_EXIT_CONFIG);
		CHECK(err.msg && *err.msg);
	} else {
		CHECK(err.code == FLUX_EXIT_OK);
		CHECK(cfg.config_path && !strcmp(cfg.config_path, tmp_path));
	}
	check_config(&cfg);
	cfg_release(&cfg);
	err_release(&err);
}

static void set_mode(const uint8_t *data, size_t size)
{
	struct flux_config cfg;
	struct flux_err err = FLUX_ERR_INIT;
	enum cfg_key key;
	enum cfg_source src;
	char *value;
	long d, r;

	if (size < 2)
		return;
	key = (enum cfg_key)(data[0] % CFG_NKEYS);
	src = (enum cfg_source)(1 + data[1] % 3);
	data += 2;
	size -= 2;
	value = malloc(size + 1);
	memcpy(value, data, size);
	value[size] = '\0';

	cfg_init(&cfg);
	if (cfg_set(&cfg, key, value, src, "FUZZ", &err) < 0) {
		/* An unparseable URL is exit 3 from any source (SPEC section 4). */
		CHECK(err.code ==
		      (src == CFG_SRC_FLAG && key != CFG_DATABASE_URL ?
			       FLUX_EXIT_USAGE :
			       FLUX_EXIT_CONFIG));
		CHECK(err.msg && *err.msg);
		CHECK(cfg.source[key] == CFG_SRC_DEFAULT);
	} else {
		CHECK(cfg.source[key] == src);
	}
	check_config(&cfg);
	cfg_release(&cfg);
	err_release(&err);

	d = cfg_parse_duration_ms(value);
	CHECK(d >= -1);
	r = ref_duration(value);
	if (r != -2)
		CHECK(d == r);
	CHECK(cfg_valid_identifier(value) == ref_identifier(value, strlen(value)));
	free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tmp_path[0]) {
		const char *dir = getenv("TMPDIR");

		snprintf(tmp_path, sizeof(tmp_path), "%.30s/flux-fuzz-%ld.ini",
			 dir && strlen(dir) <= 30 ? dir : "/tmp", (long)getpid());
		log_setup(LOG_ERROR, LOG_TEXT);
		atexit(remove_tmp);
	}
	if (size < 1 || size > 65536)
		return 0;
	if (data[0] < 128)
		file_mode(data + 1, size - 1);
	else
		set_mode(data + 1, size - 1);
	return 0;
}
