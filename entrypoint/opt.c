#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sb.h"

long opt_parse_count(const char *s)
{
	char *end;
	long n;

	if (!s || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < 0)
		return -1;
	return n;
}

static int unexpected(const struct opt_spec *spec, const char *arg, struct flux_err *err)
{
	if (spec->hint)
		return err_set(err, FLUX_EXIT_USAGE, "%s: unexpected argument '%s': %s",
			       spec->cmd, arg, spec->hint);
	return err_set(err, FLUX_EXIT_USAGE, "%s: unexpected argument '%s'", spec->cmd,
		       arg);
}

/* The option arg names ("--to" or "--to=ID"), with *value after any '='. */
static const struct opt *find_opt(const struct opt_spec *spec, const char *arg,
				  const char **value)
{
	const struct opt *o;
	size_t len;

	for (o = spec->opts; o && o->name; o++) {
		len = strlen(o->name);
		if (strncmp(arg, o->name, len))
			continue;
		if (!arg[len]) {
			*value = NULL;
			return o;
		}
		if (arg[len] == '=' && o->kind == OPT_VALUE) {
			*value = arg + len + 1;
			return o;
		}
	}
	return NULL;
}

static int bad_word(const struct opt_spec *spec, const struct opt *o, const char *value,
		    struct flux_err *err)
{
	struct sb msg = SB_INIT;
	size_t i;

	sb_addf(&msg, "%s: invalid %s '%s': expected ", spec->cmd, o->name, value);
	for (i = 0; o->words[i]; i++)
		sb_addf(&msg, "%s%s", i ? (o->words[i + 1] ? ", " : " or ") : "",
			o->words[i]);
	err_set(err, FLUX_EXIT_USAGE, "%s", msg.buf);
	sb_release(&msg);
	return -1;
}

/* argv[*i] is option o: store it, taking its value from argv[*i + 1] if need be. */
static int take_opt(const struct opt_spec *spec, const struct opt *o, const char *value,
		    int argc, char **argv, int *i, struct flux_err *err)
{
	const char *arg = argv[*i];
	const char **out = o->out;
	size_t k;

	if (o->kind == OPT_FLAG) {
		*(bool *)o->out = true;
		return 0;
	}
	if (!value && *i + 1 >= argc) {
		if (o->needs)
			return err_set(err, FLUX_EXIT_USAGE, "%s: '%s' needs %s",
				       spec->cmd, o->name, o->needs);
		return unexpected(spec, arg, err);
	}
	if (o->once && *out)
		return unexpected(spec, arg, err);
	if (!value)
		value = argv[++*i];
	if (o->nonempty && !*value)
		return unexpected(spec, arg, err);
	if (o->words) {
		for (k = 0; o->words[k] && strcmp(o->words[k], value); k++)
			;
		if (!o->words[k])
			return bad_word(spec, o, value, err);
	}
	*out = value;
	return 0;
}

int opt_parse(const struct opt_spec *spec, int argc, char **argv, const char **pos,
	      int *npos, struct flux_err *err)
{
	bool options = !spec->no_options;
	const struct opt *o;
	const char *value;
	int i, n = 0;

	if (spec->count)
		*spec->count = -1;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		bool option = options && arg[0] == '-' &&
			(arg[1] || !spec->dash_positional);

		if (option && spec->dashdash && !strcmp(arg, "--")) {
			options = false;
			continue;
		}
		if (option) {
			if (!(o = find_opt(spec, arg, &value))) {
				if (spec->unknown_option)
					return err_set(err, FLUX_EXIT_USAGE,
						       "%s: unknown option '%s'",
						       spec->cmd, arg);
				return unexpected(spec, arg, err);
			}
			if (take_opt(spec, o, value, argc, argv, &i, err))
				return -1;
			continue;
		}
		if (spec->options_first)
			options = false;
		if (spec->count && *spec->count < 0 &&
		    (*spec->count = opt_parse_count(arg)) >= 0)
			continue;
		if (spec->max_pos >= 0 && n >= spec->max_pos)
			return unexpected(spec, arg, err);
		if (pos)
			pos[n] = arg;
		n++;
	}
	if (npos)
		*npos = n;
	return 0;
}
