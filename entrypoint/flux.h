/*
 * The flux program's front: the command table, the context every command
 * receives, and helpers shared by the commands.
 *
 * Only the front writes to stdout or exits. A command returns an exit code;
 * on failure it leaves the reason in ctx->err, which main() reports.
 * May depend on every engine module (src/) and on libc.
 */
#ifndef FLUX_FRONT_H
#define FLUX_FRONT_H

#include <stdbool.h>

#include "cfg.h"
#include "db.h"
#include "err.h"
#include "mdir.h"
#include "opt.h"
#include "plan.h"
#include "run.h"

/*
 * What a command needs before it runs, as git's RUN_SETUP: main() loads,
 * reads and opens exactly that, in this order, and closes the session
 * after the command.
 */
enum cmd_needs {
	NEED_CONFIG = 1 << 0, /* load file, environment and flags */
	NEED_DIR = 1 << 1,    /* read the migration directory */
	NEED_DB = 1 << 2,     /* a session: connected, history read, plan made */
	NEED_LOCK = 1 << 3    /* the session holds the migration lock, unless --dry-run */
};

/* A command's arguments, as its parse function leaves them for its run. */
struct flux_args {
	bool dry_run;       /* plan only: change nothing, take no lock */
	bool all;           /* rollback --all */
	bool exit_code;     /* status --exit-code */
	bool pre, post;     /* new --pre / --post */
	long count;         /* apply, rollback N; -1 when not given */
	const char *id;     /* apply, rollback --to ID; goto ID */
	const char *format; /* status, lint --format; NULL when not given */
	const char **pos;   /* the other positional arguments (borrowed from argv) */
	int npos;
};

struct flux_ctx {
	struct flux_config cfg;
	struct mdir dir;
	const struct db_backend *backend;
	struct flux_args args;
	struct run_session session; /* NEED_DB: open while the command runs */
	struct flux_err err;
	char *outcome; /* what a command achieved, for the termination log */
};

struct cmd {
	const char *name;
	/*
	 * Read argv (argv[0] is the name) into ctx->args and make every check
	 * that comes before the session opens. NULL: the command takes no
	 * arguments. Returns 0 or an exit code with ctx->err.
	 */
	int (*parse)(int argc, char **argv, struct flux_ctx *ctx);
	int (*fn)(struct flux_ctx *ctx);
	unsigned needs;
	const char *usage;   /* "apply [N] [--dry-run]" */
	const char *summary; /* one line for `flux --help` */
	const char *help;    /* the rest of `flux CMD --help`, may be NULL */
};

int cmd_apply_parse(int argc, char **argv, struct flux_ctx *ctx);
int cmd_apply(struct flux_ctx *ctx);
int cmd_rollback_parse(int argc, char **argv, struct flux_ctx *ctx);
int cmd_rollback(struct flux_ctx *ctx);
int cmd_status_parse(int argc, char **argv, struct flux_ctx *ctx);
int cmd_status(struct flux_ctx *ctx);
int cmd_validate(struct flux_ctx *ctx);
int cmd_wait(struct flux_ctx *ctx);
int cmd_new_parse(int argc, char **argv, struct flux_ctx *ctx);
int cmd_new(struct flux_ctx *ctx);
int cmd_init_parse(int argc, char **argv, struct flux_ctx *ctx);
int cmd_init(struct flux_ctx *ctx);
int cmd_config(struct flux_ctx *ctx);
int cmd_goto_parse(int argc, char **argv, struct flux_ctx *ctx);
int cmd_goto(struct flux_ctx *ctx);
int cmd_redo_parse(int argc, char **argv, struct flux_ctx *ctx);
int cmd_redo(struct flux_ctx *ctx);
int cmd_lint_parse(int argc, char **argv, struct flux_ctx *ctx);
int cmd_lint(struct flux_ctx *ctx);

/* Set ctx->err and return its code: the way commands fail. */
__attribute__((format(printf, 3, 4))) int
front_fail(struct flux_ctx *ctx, enum flux_exit code, const char *fmt, ...);

/*
 * Record what a successful command did ("applied 3 migrations (last
 * 0003_x)"), replacing an earlier note: the one line main() writes to the
 * termination log. Never put a URL or other secret in it.
 */
__attribute__((format(printf, 2, 3))) void front_outcome(struct flux_ctx *ctx,
							 const char *fmt, ...);

/* The --dry-run plan on stdout: "pre-apply ID", "<verb> ID", "post-apply ID". */
void front_print_plan(const struct flux_ctx *ctx,
		      const struct mdir_migration *const *list, size_t n,
		      const char *verb, bool repeatables);

/* Is standard input a terminal (confirmation possible)? */
bool isatty_stdin(void);

/*
 * Ask on the terminal; false when stdin is not one or on anything but
 * y/yes. The session's lock is held meanwhile: first the backend makes
 * sure the server frees it should flux vanish while the user thinks.
 */
bool front_confirm(struct flux_ctx *ctx, const char *question);

#endif
