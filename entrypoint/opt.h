/*
 * opt: the commands' own option parser, one for all of them.
 *
 * A command describes its options in a table (name, whether it takes a
 * value, where it goes) and its positional arguments (a count, words up to
 * a limit, or a free list), and opt_parse() reads argv in order with the
 * messages every command gives: "COMMAND: unexpected argument 'X': HINT",
 * exit FLUX_EXIT_USAGE. A value option is `--opt VALUE` or `--opt=VALUE`.
 * The global options never get here: main() took them out of argv.
 * Stores borrow argv's strings. May depend on err and libc.
 */
#ifndef FLUX_OPT_H
#define FLUX_OPT_H

#include <stdbool.h>

#include "err.h"

enum opt_kind { OPT_FLAG, OPT_VALUE };

struct opt {
	const char *name; /* "--dry-run" */
	enum opt_kind kind;
	void *out; /* OPT_FLAG: bool *, set true; OPT_VALUE: const char ** */
	/* Without a value: "CMD: 'NAME' needs NEEDS"; NULL: an unexpected argument. */
	const char *needs;
	bool once;     /* given again: an unexpected argument */
	bool nonempty; /* an empty value: an unexpected argument */
	/* The accepted values, NULL-ended, or NULL for any: "CMD: invalid NAME 'V': expected A or B". */
	const char *const *words;
};

struct opt_spec {
	const char *cmd;        /* "apply", the start of every message */
	const struct opt *opts; /* ended by an entry with a NULL name; may be NULL */
	/* After "unexpected argument 'X'": "expected N, --to ID or --dry-run"; NULL: none. */
	const char *hint;
	long *count; /* a count (0 or more) may stand once among the positionals; -1 if none */
	int max_pos;          /* other positional arguments allowed; -1: any number */
	bool dashdash;        /* "--" ends the options */
	bool options_first;   /* options stand before the first positional argument */
	bool dash_positional; /* "-" is a positional argument, not an option */
	bool no_options;      /* every argument is positional */
	bool unknown_option;  /* an unknown option is "CMD: unknown option 'X'" */
};

/*
 * Parse argv[1..argc-1] (argv[0] is the command name) as spec says. The
 * positional arguments other than the count go into pos (room for max_pos
 * entries, or argc when max_pos is -1; NULL when max_pos is 0), their
 * number into *npos (may be NULL).
 * 0, or -1 with err (FLUX_EXIT_USAGE) at the first argument in error.
 */
int opt_parse(const struct opt_spec *spec, int argc, char **argv, const char **pos,
	      int *npos, struct flux_err *err);

/* A count for apply/rollback: decimal digits, 0 or more; -1 if not one. */
long opt_parse_count(const char *s);

#endif
