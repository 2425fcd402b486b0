/*
 * main: argument parsing, configuration layering, the command table and
 * the one place that turns an error into output, an exit status and the
 * Kubernetes termination message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "flux.h"
#include "signals.h"
#include "url.h"
#include "xalloc.h"

static const struct cmd commands[] = {
	{ "apply", cmd_apply_parse, cmd_apply,
	  NEED_CONFIG | NEED_DIR | NEED_DB | NEED_LOCK, "apply [N | --to ID] [--dry-run]",
	  "validate, run pre-apply, apply all (or the next N) pending migrations, run post-apply",
	  "  N           apply only the next N pending migrations\n"
	  "  --to ID     apply the pending migrations up to and including ID\n"
	  "              (nothing when ID is already applied)\n"
	  "  --dry-run   print the plan and change nothing\n" },
	{ "rollback", cmd_rollback_parse, cmd_rollback,
	  NEED_CONFIG | NEED_DIR | NEED_DB | NEED_LOCK,
	  "rollback (N | --to ID | --all) [--dry-run] [-y]",
	  "undo the last N applied migrations, down to ID, or all",
	  "  N           undo the last N applied migrations\n"
	  "  --to ID     undo down to and including ID\n"
	  "  --all       undo every applied migration\n"
	  "  --dry-run   print the plan and change nothing\n"
	  "  -y, --auto-approve  do not ask; required when stdin is not a terminal\n" },
	{ "goto", cmd_goto_parse, cmd_goto, NEED_CONFIG | NEED_DIR | NEED_DB | NEED_LOCK,
	  "goto ID [--dry-run] [-y]",
	  "apply or undo migrations so that ID is the last applied one",
	  "  ID          a migration of the directory; pending: apply up to it;\n"
	  "              applied: undo every migration after it (asks, as rollback)\n"
	  "  --dry-run   print the plan and change nothing\n"
	  "  -y, --auto-approve  do not ask; required to undo when stdin is not a terminal\n" },
	{ "redo", cmd_redo_parse, cmd_redo, NEED_CONFIG | NEED_DIR | NEED_DB | NEED_LOCK,
	  "redo [--dry-run] [-y]", "undo the last applied migration and apply it again",
	  "  --dry-run   print the plan and change nothing\n"
	  "  -y, --auto-approve  do not ask; required when stdin is not a terminal\n"
	  "The last migration needs an .undo.sql; the undo and the apply run under\n"
	  "one lock, each with pre-apply/post-apply as rollback and apply run them.\n" },
	{ "status", cmd_status_parse, cmd_status, NEED_CONFIG | NEED_DIR | NEED_DB,
	  "status [--format table|json] [--exit-code]",
	  "list every migration with its state; read-only",
	  "  --format F   table (default) or json\n"
	  "  --exit-code  exit 9 when migrations are pending\n" },
	{ "validate", NULL, cmd_validate, NEED_CONFIG | NEED_DIR | NEED_DB, "validate",
	  "check applied migrations against the directory; read-only", NULL },
	{ "wait", NULL, cmd_wait, NEED_CONFIG, "wait",
	  "wait until the database accepts connections", NULL },
	{ "new", cmd_new_parse, cmd_new, NEED_CONFIG, "new [--pre|--post] NAME",
	  "create YYYYMMDD_NNN_name.sql and .undo.sql (or a repeatable)",
	  "  --pre   create a pre-apply repeatable migration\n"
	  "  --post  create a post-apply repeatable migration\n" },
	{ "init", cmd_init_parse, cmd_init, 0, "init [postgres]",
	  "write flux.toml (read by flux and flux-migrations)", NULL },
	{ "config", NULL, cmd_config, NEED_CONFIG, "config",
	  "print the effective settings and where each came from", NULL },
	{ "lint", cmd_lint_parse, cmd_lint, NEED_CONFIG,
	  "lint [--format text|json] [PATH...]",
	  "check migrations for dangerous DDL, without a database",
	  "  --format F  text (default): file:line:col: RULE: message, then a hint;\n"
	  "              json: one object per line\n"
	  "  PATH        files to check (default: every up, undo and repeatable\n"
	  "              migration of the migration directory)\n"
	  "\n"
	  "Rules (error unless marked): index-not-concurrent, concurrently-in-transaction,\n"
	  "constraint-not-valid, set-not-null, column-type-change,\n"
	  "add-column-volatile-default, add-column-required, unique-builds-index,\n"
	  "table-rewrite, transaction-control, rename (warning),\n"
	  "drop-column-or-table (warning), missing-lock-timeout (warning).\n"
	  "Suppress with `-- flux:lint-ignore RULE[,RULE]` on the line before a\n"
	  "statement or among the file's first comment lines, or with lint_ignore /\n"
	  "FLUX_LINT_IGNORE. Exit 10 when a finding is an error.\n" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char exit_codes_help[] =
	"Exit codes:\n"
	"  0  success (also: nothing to do)\n"
	"  1  a migration failed; it was rolled back; earlier ones stay applied\n"
	"  2  usage error (bad arguments, destructive command without approval)\n"
	"  3  configuration error (file, environment, secrets file, identifier)\n"
	"  4  migration directory error (unreadable, invalid UTF-8, pending .py, ...)\n"
	"  5  corruption: applied migrations missing, inserted or modified\n"
	"  6  database unavailable: not reachable in time, or connection lost\n"
	"  7  database refused us: authentication, missing database, permission\n"
	"  8  lock timeout: another migrator held the lock past FLUX_LOCK_TIMEOUT\n"
	"  9  status --exit-code found pending migrations\n"
	"  10 lint found a finding of severity error\n"
	"  11 cannot write output (stdout): the system's reason is logged\n"
	"  12 out of memory: the size that could not be allocated is logged\n"
	"  130, 143  interrupted by SIGINT / SIGTERM\n";

/* Where the help of a global option starts, unless its flag is longer. */
#define HELP_COLUMN 29

/* One line of the global options in --help: "  -y, --auto-approve   help". */
static void help_line(struct sb *out, char short_flag, const char *flag,
		      const char *metavar, const char *help)
{
	size_t start = out->len;

	sb_adds(out, "  ");
	if (short_flag)
		sb_addf(out, "-%c, ", short_flag);
	sb_adds(out, flag);
	if (metavar)
		sb_addf(out, " %s", metavar);
	while (out->len - start < HELP_COLUMN)
		sb_addch(out, ' ');
	sb_addf(out, "%s%s\n", out->buf[out->len - 1] == ' ' ? "" : "  ", help);
}

static void print_help(FILE *out)
{
	struct sb opts = SB_INIT;
	size_t i;

	/* The settings' flags come from the settings table; these are main's. */
	help_line(&opts, 0, "--config", "PATH",
		  "config file (default ./flux.ini, else ./flux.toml)");
	for (i = 0; i < CFG_NKEYS; i++)
		if (cfg_settings[i].flag)
			help_line(&opts, cfg_settings[i].short_flag, cfg_settings[i].flag,
				  cfg_settings[i].metavar, cfg_settings[i].help);
	help_line(&opts, 'h', "--help", NULL,
		  "this help; `flux COMMAND --help` for one command");
	help_line(&opts, 'V', "--version", NULL, "print the version");
	fprintf(out,
		"usage: flux [global options] COMMAND [args]\n"
		"\n"
		"flux applies flux-migrations directories to PostgreSQL.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Global options (also accepted after the command):\n"
		"%s"
		"\n"
		"A first argument that looks like a database URL is taken as the URL,\n"
		"as flux-migrations is called: flux apply postgresql://... 2\n"
		"\n%s",
		opts.buf, exit_codes_help);
	sb_release(&opts);
}

static void print_cmd_help(const struct cmd *c)
{
	printf("usage: flux [global options] %s\n\n%s\n", c->usage, c->summary);
	if (c->help)
		printf("\n%s", c->help);
	printf("\nRun `flux --help` for the global options.\n\n%s", exit_codes_help);
}

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void front_outcome(struct flux_ctx *ctx, const char *fmt, ...)
{
	struct sb sb = SB_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(ctx->outcome);
	ctx->outcome = sb_detach(&sb, NULL);
}

int front_fail(struct flux_ctx *ctx, enum flux_exit code, const char *fmt, ...)
{
	struct sb sb = SB_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_set(&ctx->err, code, "%s", sb.buf);
	sb_release(&sb);
	return code;
}

/* A global option given on the command line, applied after the environment. */
struct flag_value {
	enum cfg_key key;
	const char *value;
	const char *where;
};

struct args {
	const char *config_path;
	bool help, version;
	const struct cmd *cmd;
	const char *unknown_cmd;
	struct flag_value *flags;
	size_t nflags, flags_alloc;
	char **rest; /* the command's own arguments, argv[0] = command name */
	int nrest;
};

static const struct cfg_setting *find_flag(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++) {
		const char *f = cfg_settings[i].flag;
		if (f && strlen(f) == len && !strncmp(f, name, len))
			return &cfg_settings[i];
	}
	return NULL;
}

/* A bool setting's one-letter flag: -y. */
static const struct cfg_setting *find_short_flag(char c)
{
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++)
		if (cfg_settings[i].short_flag == c && cfg_settings[i].type == CFG_T_BOOL)
			return &cfg_settings[i];
	return NULL;
}

static void add_flag(struct args *a, enum cfg_key key, const char *value,
		     const char *where)
{
	XGROW(a->flags, a->flags_alloc, a->nflags + 1);
	a->flags[a->nflags].key = key;
	a->flags[a->nflags].value = value;
	a->flags[a->nflags].where = where;
	a->nflags++;
}

/*
 * Global options are taken wherever they stand; everything else after the
 * command name is the command's. Returns 0, or an exit code with ctx->err.
 */
static int parse_args(int argc, char **argv, struct args *a, struct flux_ctx *ctx)
{
	int i;
	bool dashdash = false;

	a->rest = xcalloc((size_t)argc + 1, sizeof(char *));
	for (i = 1; i < argc; i++) {
		char *arg = argv[i];
		const char *eq;
		const struct cfg_setting *s;
		size_t nlen;

		if (dashdash || arg[0] != '-' || !arg[1]) {
			if (!a->cmd && !a->unknown_cmd) {
				a->cmd = find_cmd(arg);
				if (!a->cmd)
					a->unknown_cmd = arg;
				a->rest[a->nrest++] = arg;
			} else {
				a->rest[a->nrest++] = arg;
			}
			continue;
		}
		if (!strcmp(arg, "--")) {
			dashdash = true;
			if (a->cmd)
				a->rest[a->nrest++] = arg;
			continue;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			a->help = true;
			continue;
		}
		if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
			a->version = true;
			continue;
		}
		if (arg[1] != '-' && !arg[2] && (s = find_short_flag(arg[1]))) {
			add_flag(a, s->key, "true", arg);
			continue;
		}
		eq = strchr(arg, '=');
		nlen = eq ? (size_t)(eq - arg) : strlen(arg);
		if (nlen == 8 && !strncmp(arg, "--config", 8)) {
			if (eq)
				a->config_path = eq + 1;
			else if (i + 1 < argc)
				a->config_path = argv[++i];
			else
				return front_fail(ctx, FLUX_EXIT_USAGE,
						  "option '--config' needs a value");
			continue;
		}
		s = find_flag(arg, nlen);
		if (s && s->type == CFG_T_BOOL) {
			add_flag(a, s->key, eq ? eq + 1 : "true", s->flag);
			continue;
		}
		if (s) {
			if (eq)
				add_flag(a, s->key, eq + 1, s->flag);
			else if (i + 1 < argc)
				add_flag(a, s->key, argv[++i], s->flag);
			else
				return front_fail(ctx, FLUX_EXIT_USAGE,
						  "option '%s' needs a value", s->flag);
			continue;
		}
		if (!a->cmd)
			return front_fail(ctx, FLUX_EXIT_USAGE,
					  "unknown option '%s' (see 'flux --help')", arg);
		a->rest[a->nrest++] = arg; /* the command's own option */
	}
	return 0;
}

/* `flux apply postgresql://... 2`: the first URL-like argument is the URL. */
static void take_positional_url(struct args *a)
{
	int i, j;

	for (i = 1; i < a->nrest; i++) {
		if (a->rest[i][0] == '-' || !url_looks_like(a->rest[i]))
			continue;
		add_flag(a, CFG_DATABASE_URL, a->rest[i], "the URL argument");
		for (j = i; j < a->nrest; j++)
			a->rest[j] = a->rest[j + 1];
		a->nrest--;
		return;
	}
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* Defaults < config file < environment < flags. */
static int load_config(struct flux_ctx *ctx, struct args *a)
{
	char *path = NULL;
	size_t i;
	int rc = -1;

	if (cfg_locate(a->config_path, env_config_path(env_get), &path, &ctx->err))
		return -1;
	if (path && cfg_load_file(&ctx->cfg, path, &ctx->err))
		goto cleanup;
	if (env_apply(&ctx->cfg, env_get, &ctx->err))
		goto cleanup;
	for (i = 0; i < a->nflags; i++)
		if (cfg_set(&ctx->cfg, a->flags[i].key, a->flags[i].value, CFG_SRC_FLAG,
			    a->flags[i].where, &ctx->err))
			goto cleanup;
	rc = 0;
cleanup:
	free(path);
	return rc;
}

/* Emit text as one log event per line. */
static void emit_lines(const char *event, const struct log_fields *f, const char *prefix,
		       const char *text)
{
	const char *p = text, *nl;

	while (p && *p) {
		nl = strchr(p, '\n');
		log_emit(LOG_ERROR, event, f, "%s%.*s", prefix,
			 (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}

/*
 * The message: one event per line of a list (a newline followed by two
 * spaces, struct flux_err's convention, as in the corruption report).
 * Any other newline belongs to a value (a file name, an argument) and the
 * log escapes it, so that it cannot start what looks like another event.
 */
static void emit_message_lines(const struct log_fields *f, const char *text)
{
	const char *p = text, *nl;

	for (;;) {
		for (nl = strchr(p, '\n'); nl && strncmp(nl + 1, "  ", 2) != 0;
		     nl = strchr(nl + 1, '\n'))
			;
		log_emit(LOG_ERROR, "error", f, "%.*s",
			 (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* emit_lines() with any password in the text redacted. */
static void emit_redacted(const char *event, const struct log_fields *f,
			  const char *prefix, const char *text)
{
	char *safe = url_redact_text(text);

	emit_lines(event, f, prefix, safe);
	free(safe);
}

/*
 * Report ctx->err: the message, the server's detail and hint, the source.
 * Every message that quotes a user value ends here, so here is where any
 * URL or conninfo in it loses its password, whichever module wrote it
 * (a URL given to the wrong option or as an extra argument). The source
 * context (a migration's line and its caret) is shown as it is.
 */
static void report(const struct flux_err *err)
{
	struct log_fields f = LOG_FIELDS_INIT;
	char *msg;

	f.sqlstate = err->sqlstate;
	f.id = err->id;
	f.file = err->file;
	f.line = err->line;
	msg = url_redact_text(err->msg ? err->msg : "failed");
	emit_message_lines(&f, msg);
	free(msg);
	if (err->detail)
		emit_redacted("error_detail", &f, "detail: ", err->detail);
	if (err->hint)
		emit_redacted("error_hint", &f, "hint: ", err->hint);
	if (err->context)
		emit_lines("error_context", &f, "", err->context);
}

/*
 * Why did stdout fail, when the error is known but its errno is not (the
 * C library dropped the buffer at the failed write, long before exit)? A
 * pipe or socket whose reader has gone polls as POLLERR: that is EPIPE.
 * Anything else is asked with a write of no bytes, which a device such as
 * /dev/full still refuses with its reason; a full disk may accept it, and
 * then the reason stays unknown.
 */
static int stdout_lost_reason(void)
{
	struct pollfd pfd = { STDOUT_FILENO, POLLOUT, 0 };
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) < 0)
		return errno;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP)) ?
			EPIPE :
			0;
	return write(STDOUT_FILENO, "", 0) < 0 ? errno : 0;
}

/*
 * jq's rule: a write error on stdout is a failure, even at exit: exit 11
 * with the system's reason. A reader that went away (`flux status | head
 * -1`, EPIPE; SIGPIPE is ignored) is not: it had what it wanted, so flux
 * exits as if everything was written, and says nothing.
 */
static int finish_stdout(int rc)
{
	bool failed = ferror(stdout) != 0;
	int e = 0;

	clearerr(stdout);
	errno = 0;
	if (fflush(stdout) != 0) {
		failed = true;
		e = errno;
	}
	if (failed && !e)
		e = stdout_lost_reason();
	if (fclose(stdout) != 0 && !failed) {
		failed = true;
		e = errno;
	}
	if (!failed || e == EPIPE)
		return rc;
	log_error("output", "cannot write output: %s",
		  e ? strerror(e) : "write error on standard output");
	return rc == FLUX_EXIT_OK ? FLUX_EXIT_OUTPUT : rc;
}

/* --- the Kubernetes termination message ---------------------------------- */

/* Kubernetes reads at most 4096 bytes of /dev/termination-log. */
#define TERMINATION_MAX 4096
#define TERMINATION_DEFAULT "/dev/termination-log"

static const char *exit_meaning(int rc)
{
	switch (rc) {
	case FLUX_EXIT_OK:
		return "success";
	case FLUX_EXIT_MIGRATION:
		return "a migration failed and was rolled back; earlier ones stay applied";
	case FLUX_EXIT_USAGE:
		return "usage error";
	case FLUX_EXIT_CONFIG:
		return "configuration error";
	case FLUX_EXIT_DIRECTORY:
		return "migration directory error";
	case FLUX_EXIT_CORRUPT:
		return "corruption: applied migrations missing, inserted or modified";
	case FLUX_EXIT_UNAVAILABLE:
		return "database unavailable";
	case FLUX_EXIT_REFUSED:
		return "database refused us";
	case FLUX_EXIT_LOCK:
		return "lock timeout";
	case FLUX_EXIT_PENDING:
		return "pending migrations";
	case FLUX_EXIT_SIGINT:
		return "interrupted by SIGINT";
	case FLUX_EXIT_SIGTERM:
		return "interrupted by SIGTERM";
	}
	return "unknown";
}

/*
 * The outcome in one line of at most TERMINATION_MAX bytes, newline
 * included: on success what the command did, on failure the exit code and
 * its meaning, the migration and the first line of the error (messages
 * are redacted where they are made, so no password reaches this line).
 */
/* "flux CMD failed: exit N (meaning)", the start of a failure's line. */
static void failure_head(struct sb *out, const char *cmd, int rc)
{
	sb_addf(out, "flux%s%s failed: exit %d (%s)", cmd ? " " : "", cmd ? cmd : "", rc,
		exit_meaning(rc));
}

static void termination_line(const struct flux_ctx *ctx, const char *cmd, int rc,
			     struct sb *out)
{
	const struct flux_err *err = &ctx->err;
	size_t i, len;

	if (!rc) {
		sb_addf(out, "flux%s%s: %s", cmd ? " " : "", cmd ? cmd : "",
			ctx->outcome ? ctx->outcome : "succeeded");
	} else {
		failure_head(out, cmd, rc);
		if (err->msg && err->id) {
			struct sb quoted = SB_INIT;

			sb_addf(&quoted, "'%s'", err->id);
			if (!strstr(err->msg, quoted.buf))
				sb_addf(out, "; migration %s", err->id);
			sb_release(&quoted);
		}
		if (err->msg)
			sb_addf(out, ": %.*s", (int)strcspn(err->msg, "\n"), err->msg);
	}
	/* One line: no control bytes from a server message. */
	for (i = 0; i < out->len; i++)
		if ((unsigned char)out->buf[i] < 0x20 || out->buf[i] == 0x7f)
			out->buf[i] = ' ';
	if (out->len > TERMINATION_MAX - 1) {
		len = TERMINATION_MAX - 4;
		/* cut before a UTF-8 sequence, never inside one */
		while (len && ((unsigned char)out->buf[len] & 0xc0) == 0x80)
			len--;
		sb_setlen(out, len);
		sb_adds(out, "...");
	}
	sb_addch(out, '\n');
}

/*
 * Write the outcome where Kubernetes looks for it: FLUX_TERMINATION_LOG
 * (created if missing), else /dev/termination-log when it exists and is
 * writable. Failing to write is a warning and never changes the exit code.
 * `configured`: ctx->cfg was loaded, so FLUX_TERMINATION_LOG (or its _FILE
 * form) is in it; otherwise the variable is read directly, so that a
 * configuration error is reported there too.
 */
static void write_termination_log(const struct flux_ctx *ctx, const char *cmd, int rc,
				  bool configured)
{
	const char *path = configured ? ctx->cfg.termination_log :
					getenv("FLUX_TERMINATION_LOG");
	bool explicit = path && *path;
	struct sb line = SB_INIT;
	ssize_t w = 0;
	size_t off = 0;
	int fd, saved = 0;

	if (!explicit)
		path = TERMINATION_DEFAULT;
	/* O_NONBLOCK: a FIFO nobody reads is an error, not a hang at exit. */
	fd = open(path,
		  O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
			  (explicit ? O_CREAT : 0),
		  0644);
	if (fd < 0) {
		if (explicit)
			log_warn("termination_log",
				 "cannot write the termination message to '%s': %s", path,
				 strerror(errno));
		return;
	}
	termination_line(ctx, cmd, rc, &line);
	while (off < line.len) {
		w = write(fd, line.buf + off, line.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off < line.len)
		saved = w < 0 ? errno : ENOSPC;
	if (close(fd) && !saved && errno != EINTR)
		saved = errno;
	if (saved)
		log_warn("termination_log",
			 "cannot write the termination message to '%s': %s", path,
			 strerror(saved));
	sb_release(&line);
}

/*
 * Tell the signal path where its own exits leave the termination message,
 * and how such a line starts for SIGTERM and SIGINT.
 */
static void note_signal_exit(const struct flux_ctx *ctx, const char *cmd)
{
	const char *path = ctx->cfg.termination_log;
	bool explicit = path && *path;
	struct sb term = SB_INIT, intr = SB_INIT;

	failure_head(&term, cmd, FLUX_EXIT_SIGTERM);
	failure_head(&intr, cmd, FLUX_EXIT_SIGINT);
	signals_set_note(explicit ? path : TERMINATION_DEFAULT, explicit, term.buf,
			 intr.buf);
	sb_release(&term);
	sb_release(&intr);
}

/*
 * Pick the log format before the configuration is loaded, so that even a
 * configuration error is a JSON line when JSON was asked for. The loaded
 * configuration settles it afterwards.
 */
static void early_log_format(const struct args *a)
{
	bool json = env_log_json(env_get);
	size_t i;

	for (i = 0; i < a->nflags; i++)
		if (a->flags[i].key == CFG_LOG_FORMAT)
			json = !strcasecmp(a->flags[i].value, "json");
	if (json)
		log_setup(LOG_INFO, LOG_JSON);
}

/*
 * The database URL's password, given as --database-url or as the URL
 * argument, is in flux's own argv, which /proc/PID/cmdline and ps show to
 * anyone on the host for as long as flux runs (a long lock wait). Once the
 * configuration holds its own copy, overwrite the password bytes in place.
 */
static void scrub_argv_secrets(struct args *a)
{
	size_t i;

	for (i = 0; i < a->nflags; i++)
		if (a->flags[i].key == CFG_DATABASE_URL)
			url_scrub((char *)a->flags[i].value);
}

/*
 * Parse the command's arguments, open the session it needs (locked for a
 * command that changes the database, unless a dry run), run it, close.
 * The command checks its arguments, and asks for approval where it must
 * before anything connects, in its parse function.
 */
static int run_command(const struct cmd *c, int argc, char **argv, struct flux_ctx *ctx)
{
	const struct opt_spec no_args = { .cmd = c->name };
	bool lock;
	int rc;

	ctx->args.count = -1;
	if (c->parse)
		rc = c->parse(argc, argv, ctx);
	else
		rc = opt_parse(&no_args, argc, argv, NULL, NULL, &ctx->err) ?
			ctx->err.code :
			0;
	if (rc)
		return rc;
	if (!(c->needs & NEED_DB))
		return c->fn(ctx);
	lock = (c->needs & NEED_LOCK) && !ctx->args.dry_run;
	if (run_open(&ctx->session, ctx->backend, &ctx->cfg, &ctx->dir, lock, &ctx->err))
		rc = ctx->err.code;
	else
		rc = c->fn(ctx);
	/* An unlock failure after a success is the run's failure. */
	run_close(&ctx->session, &ctx->err);
	if (!rc && ctx->err.msg)
		rc = ctx->err.code;
	return rc;
}

int main(int argc, char **argv)
{
	struct flux_ctx ctx;
	struct args a;
	bool configured = false;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.err.line = -1;
	memset(&a, 0, sizeof(a));
	cfg_init(&ctx.cfg);
	signals_install();

	rc = parse_args(argc, argv, &a, &ctx);
	early_log_format(&a);
	if (rc)
		goto done;
	if (a.version) {
		printf("flux %s\n", FLUX_VERSION);
		goto done;
	}
	if (a.unknown_cmd) {
		rc = front_fail(&ctx, FLUX_EXIT_USAGE,
				"unknown command '%s' (see 'flux --help')",
				a.unknown_cmd);
		goto done;
	}
	if (a.help) {
		if (a.cmd)
			print_cmd_help(a.cmd);
		else
			print_help(stdout);
		goto done;
	}
	if (!a.cmd) {
		print_help(stderr);
		rc = FLUX_EXIT_USAGE;
		goto done;
	}
	take_positional_url(&a);
	if (a.cmd->needs & NEED_CONFIG) {
		rc = load_config(&ctx, &a);
		scrub_argv_secrets(&a);
		if (rc) {
			rc = ctx.err.code;
			goto done;
		}
		configured = true;
		log_setup(ctx.cfg.log_level, ctx.cfg.log_format);
		ctx.backend = db_backend_find(ctx.cfg.backend);
		note_signal_exit(&ctx, a.cmd->name);
	}
	if ((a.cmd->needs & NEED_DIR) &&
	    mdir_read(&ctx.dir, ctx.cfg.migration_directory, &ctx.err)) {
		rc = ctx.err.code;
		goto done;
	}
	scrub_argv_secrets(&a);
	rc = run_command(a.cmd, a.nrest, a.rest, &ctx);
done:
	if (rc && ctx.err.msg)
		report(&ctx.err);
	rc = finish_stdout(rc);
	/* --help and --version report nothing; every run of a command does. */
	if (rc || (a.cmd && !a.help))
		write_termination_log(&ctx, a.cmd ? a.cmd->name : NULL, rc, configured);
	free(ctx.outcome);
	mdir_release(&ctx.dir);
	cfg_release(&ctx.cfg);
	err_release(&ctx.err);
	free(a.flags);
	free(a.rest);
	free(ctx.args.pos);
	return rc;
}
