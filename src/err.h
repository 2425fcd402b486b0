/*
 * err: the exit-code enum and the error struct every module fills.
 *
 * Modules return 0/-1 (or NULL) and describe a failure in a caller-supplied
 * struct flux_err; only the front turns it into output and an exit status.
 * Each code means exactly one thing (SPEC section 4). The struct owns its
 * strings; err_release() frees them and leaves it reusable.
 * May depend on sb, xalloc and libc only.
 */
#ifndef FLUX_ERR_H
#define FLUX_ERR_H

enum flux_exit {
	FLUX_EXIT_OK = 0,
	FLUX_EXIT_MIGRATION = 1,   /* a migration failed and was rolled back */
	FLUX_EXIT_USAGE = 2,       /* bad arguments, destructive without approval */
	FLUX_EXIT_CONFIG = 3,      /* config file, environment, secrets, identifier */
	FLUX_EXIT_DIRECTORY = 4,   /* migration directory unreadable or invalid */
	FLUX_EXIT_CORRUPT = 5,     /* applied migrations missing/inserted/modified */
	FLUX_EXIT_UNAVAILABLE = 6, /* database unreachable or connection lost */
	FLUX_EXIT_REFUSED = 7,     /* authentication, missing database, permission */
	FLUX_EXIT_LOCK = 8,        /* lock held past FLUX_LOCK_TIMEOUT */
	FLUX_EXIT_PENDING = 9,     /* status --exit-code found pending migrations */
	FLUX_EXIT_LINT = 10,       /* lint found a finding of severity error */
	FLUX_EXIT_OUTPUT = 11,     /* cannot write output (stdout), not a closed pipe */
	FLUX_EXIT_NOMEM = 12,      /* out of memory (xalloc), the size is logged */
	FLUX_EXIT_SIGINT = 130,
	FLUX_EXIT_SIGTERM = 143
};

struct flux_err {
	enum flux_exit code;
	char *msg;      /* lowercase start, names the subject; one line, but for
			 * a list: each item on a line of its own that starts
			 * with two spaces ("\n  ID: missing"). Any other
			 * newline is a value's and is escaped when logged. */
	char *sqlstate; /* server errors only, else NULL */
	char *detail;
	char *hint;
	char *context; /* extra lines (e.g. source line and caret), may be NULL */
	char *id;      /* the migration that failed, or NULL */
	char *file;    /* the migration file the error points into, or NULL */
	int line;      /* its line, or -1 */
};

#define FLUX_ERR_INIT                                                      \
	{                                                                  \
		FLUX_EXIT_OK, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1 \
	}

/* Set code and message (replacing any earlier one). Always returns -1. */
__attribute__((format(printf, 3, 4))) int
err_set(struct flux_err *err, enum flux_exit code, const char *fmt, ...);
void err_release(struct flux_err *err);
/* Move src into dst (dst released first); src is left empty. */
void err_move(struct flux_err *dst, struct flux_err *src);

#endif
