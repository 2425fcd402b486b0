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
#include "plan.h"
#include "run.h"

enum cmd_needs {
	NEED_CONFIG = 1 << 0, /* load file, environment and flags */
	NEED_DIR = 1 << 1     /* read the migration directory */
};

struct flux_ctx {
	struct flux_config cfg;
	struct mdir dir;
	const struct db_backend *backend;
	struct flux_err err;
	char *outcome; /* what a command achieved, for the termination log */
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct flux_ctx *ctx);
	unsigned needs;
	const char *usage;   /* "apply [N] [--dry-run]" */
	const char *summary; /* one line for `flux --help` */
	const char *help;    /* the rest of `flux CMD --help`, may be NULL */
};

int cmd_apply(int argc, char **argv, struct flux_ctx *ctx);
int cmd_rollback(int argc, char **argv, struct flux_ctx *ctx);
int cmd_status(int argc, char **argv, struct flux_ctx *ctx);
int cmd_validate(int argc, char **argv, struct flux_ctx *ctx);
int cmd_wait(int argc, char **argv, struct flux_ctx *ctx);
int cmd_new(int argc, char **argv, struct flux_ctx *ctx);
int cmd_init(int argc, char **argv, struct flux_ctx *ctx);
int cmd_config(int argc, char **argv, struct flux_ctx *ctx);
int cmd_goto(int argc, char **argv, struct flux_ctx *ctx);
int cmd_redo(int argc, char **argv, struct flux_ctx *ctx);
int cmd_lint(int argc, char **argv, struct flux_ctx *ctx);

/* Set ctx->err and return its code: the way commands fail. */
__attribute__((format(printf, 3, 4)))
int front_fail(struct flux_ctx *ctx, enum flux_exit code, const char *fmt, ...);

/*
 * Record what a successful command did ("applied 3 migrations (last
 * 0003_x)"), replacing an earlier note: the one line main() writes to the
 * termination log. Never put a URL or other secret in it.
 */
__attribute__((format(printf, 2, 3)))
void front_outcome(struct flux_ctx *ctx, const char *fmt, ...);

/* The --dry-run plan on stdout: "pre-apply ID", "<verb> ID", "post-apply ID". */
void front_print_plan(const struct flux_ctx *ctx,
		      const struct mdir_migration *const *list, size_t n,
		      const char *verb, bool repeatables);

/* Parse a count (0 or more) for apply/rollback; -1 if not one. */
long front_parse_count(const char *s);

/* Is standard input a terminal (confirmation possible)? */
bool isatty_stdin(void);

/* Ask on the terminal; false when stdin is not one or on anything but y/yes. */
bool front_confirm(const char *question);

#endif
