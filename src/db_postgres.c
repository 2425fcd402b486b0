/*
 * The PostgreSQL backend: waiting for the server, the advisory lock, the
 * history table, and running migrations with their history rows.
 *
 * Every PGresult is cleared on every path; values travel as parameters;
 * the only identifiers spliced into SQL are the schema and table names,
 * which cfg_set() validated against ^[A-Za-z_][A-Za-z0-9_]{0,62}$.
 */
#include "db.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "log.h"
#include "sb.h"
#include "split.h"
#include "xalloc.h"

#if defined(__GLIBC__) && !defined(_GNU_SOURCE)
/* glibc (2.34+) declares it only under _GNU_SOURCE; musl always does. */
pid_t _Fork(void);
#endif

volatile sig_atomic_t db_interrupted;

/* The open connection's cancel handle, for the signal handler. */
static PGcancel *volatile cancel_handle;

/*
 * PQcancel has no timeout: during a network partition it waits in
 * connect() for minutes, and in the signal handler that would hold up the
 * whole shutdown. So a child process sends the cancel request and the
 * handler returns at once; the main path then rolls back and releases the
 * lock when the server answers, and the front's deadline covers the case
 * where it never does. _Fork, unlike fork, takes no lock (malloc's
 * included) and is async-signal-safe, and so is PQcancel. The child gives
 * up after CANCEL_CHILD_SECS (SIGALRM: the front's handler or the default
 * action ends it).
 */
#define CANCEL_CHILD_SECS 5

int db_cancel_from_signal(void)
{
	PGcancel *c = cancel_handle;
	char buf[256];
	pid_t pid;

	if (!c)
		return 0;
	pid = _Fork();
	if (pid == 0) {
		alarm(CANCEL_CHILD_SECS);
		PQcancel(c, buf, sizeof(buf));
		_exit(0);
	}
	if (pid < 0)
		PQcancel(c, buf, sizeof(buf)); /* no child: the front's deadline still holds */
	return 1;
}

struct db {
	PGconn *conn;
	const struct flux_config *cfg;
	char *history;    /* "schema.table" */
	char lock_id[24]; /* the advisory lock id as text, for parameters */
	bool locked;
	bool async_commits; /* commits since the last flush were asynchronous */
	const char *current_id; /* migration running, for NOTICE logs */
};

/*
 * Connection parameters: flux's defaults first, then the URL (expanded
 * from dbname), so whatever the URL says wins: libpq keeps the last value
 * of a repeated key. The defaults detect a dead peer (README "Dead
 * connections"): TCP keepalives after 10 s of silence, every 5 s, 3 of
 * them, and at most 25 s for unacknowledged data, so a server that went
 * silent counts as lost within about 25 s instead of the kernel's two
 * hours (keepalives) or fifteen minutes (retransmissions).
 */
#define CONN_PARAMS_MAX 12

struct conn_params {
	const char *keys[CONN_PARAMS_MAX + 1];
	const char *vals[CONN_PARAMS_MAX + 1];
	int n;
};

static void conn_params_add(struct conn_params *p, const char *key, const char *val)
{
	if (p->n >= CONN_PARAMS_MAX)
		return;
	p->keys[p->n] = key;
	p->vals[p->n] = val;
	p->n++;
	p->keys[p->n] = NULL;
	p->vals[p->n] = NULL;
}

static void conn_params_init(struct conn_params *p, const struct flux_config *cfg)
{
	p->n = 0;
	conn_params_add(p, "keepalives", "1");
	conn_params_add(p, "keepalives_idle", "10");
	conn_params_add(p, "keepalives_interval", "5");
	conn_params_add(p, "keepalives_count", "3");
	conn_params_add(p, "tcp_user_timeout", "25000");
	if (cfg->database_url)
		conn_params_add(p, "dbname", cfg->database_url);
	conn_params_add(p, "fallback_application_name", "flux");
}

/*
 * Does the connection insist on TLS (sslmode require or verify-*)? Then a
 * server that answers without TLS is refusing us, not down.
 */
static bool tls_required(const struct flux_config *cfg)
{
	PQconninfoOption *opts, *o;
	const char *mode = NULL;
	bool req;

	opts = PQconninfoParse(cfg->database_url ? cfg->database_url : "", NULL);
	for (o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "sslmode") && o->val && *o->val)
			mode = o->val;
	if (!mode)
		mode = getenv("PGSSLMODE");
	req = mode && (!strcmp(mode, "require") || !strncmp(mode, "verify-", 7));
	PQconninfoFree(opts);
	return req;
}

/* Where we connect, for messages: never carries a password. */
static char *describe_target(const struct flux_config *cfg)
{
	struct sb sb = SB_INIT;
	PQconninfoOption *opts = NULL, *o;
	const char *host = NULL, *port = NULL, *dbname = NULL;

	if (cfg->database_url)
		opts = PQconninfoParse(cfg->database_url, NULL);
	for (o = opts; o && o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "host") || (!host && !strcmp(o->keyword, "hostaddr")))
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "dbname"))
			dbname = o->val;
	}
	if (!host)
		host = getenv("PGHOST");
	if (!port)
		port = getenv("PGPORT");
	if (!dbname)
		dbname = getenv("PGDATABASE");
	sb_addf(&sb, "%s:%s", host && *host ? host : "localhost",
		port && *port ? port : "5432");
	if (dbname && *dbname)
		sb_addf(&sb, "/%s", dbname);
	PQconninfoFree(opts);
	return sb_detach(&sb, NULL);
}

/* libpq's messages end in a newline and may hold several lines. */
static char *one_line(const char *msg)
{
	struct sb sb = SB_INIT;
	const char *p;

	for (p = msg ? msg : ""; *p; p++) {
		if (*p == '\n') {
			while (p[1] == ' ' || p[1] == '\t')
				p++;
			if (p[1])
				sb_adds(&sb, "; ");
		} else {
			sb_addch(&sb, *p);
		}
	}
	while (sb.len && (sb.buf[sb.len - 1] == ' ' || sb.buf[sb.len - 1] == ';'))
		sb_setlen(&sb, sb.len - 1);
	return sb_detach(&sb, NULL);
}

static enum flux_exit interrupted_code(void)
{
	return db_interrupted == 2 ? FLUX_EXIT_SIGINT : FLUX_EXIT_SIGTERM;
}

static void notice_receiver(void *arg, const PGresult *res)
{
	struct db *db = arg;
	struct log_fields f = LOG_FIELDS_INIT;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	enum log_level level = LOG_INFO;

	f.id = db->current_id;
	f.sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (!db->current_id)
		level = LOG_DEBUG; /* ours, e.g. "schema already exists, skipping" */
	else if (sev && !strcmp(sev, "WARNING"))
		level = LOG_WARNING;
	else if (sev && (!strcmp(sev, "DEBUG") || !strcmp(sev, "LOG")))
		level = LOG_DEBUG;
	if (db->current_id)
		log_emit(level, "notice", &f, "server %s in '%s': %s",
			 sev ? sev : "NOTICE", db->current_id, msg ? msg : "");
	else
		log_emit(level, "notice", &f, "server %s: %s", sev ? sev : "NOTICE",
			 msg ? msg : "");
}

/*
 * Why a connection attempt failed. libpq has no function for the SQLSTATE
 * of a failed connection (it parses the server's error fields into a
 * result the caller never sees), but with PQERRORS_VERBOSE set on the
 * connecting PGconn it writes each server error as "SEVERITY:  SQLSTATE:
 * message" (pqBuildErrorMessage3). The codes are read from that fixed
 * place, never from the wording; a failure with no code (refused TCP, a
 * timeout, DNS, a TLS handshake) is libpq's own.
 */
struct conn_failure {
	char sqlstate[6]; /* the refusal's code, else the last code seen */
	bool has_code;    /* some host answered with an error */
	bool retry;       /* waiting may help: no code, or a code of a passing state */
	bool at_start;    /* failed inside PQconnectStartParams (e.g. bad options) */
	char *msg;        /* one line, without the codes and LOCATION lines */
};

static void conn_failure_release(struct conn_failure *f)
{
	free(f->msg);
	memset(f, 0, sizeof(*f));
}

/*
 * Retried until the wait timeout: connection exceptions (08, e.g. a
 * pooler whose server is down), insufficient resources (53, e.g. 53300
 * too many connections), and a server shutting down, restarting or
 * starting up (57P01-57P03). Any other code is a refusal: authentication
 * (28), a missing database (3D000), a permission (42501).
 */
static bool sqlstate_retryable(const char *code)
{
	return !strncmp(code, "08", 2) || !strncmp(code, "53", 2) ||
	       !strcmp(code, "57P01") || !strcmp(code, "57P02") || !strcmp(code, "57P03");
}

/* ":  XXXXX: " at s, as libpq's verbose format puts the code. */
static bool code_at(const char *s)
{
	int i;

	if (strncmp(s, ":  ", 3))
		return false;
	for (i = 3; i < 8; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return s[8] == ':' && s[9] == ' ';
}

static void conn_failure_scan(struct conn_failure *f, const char *msg)
{
	struct sb plain = SB_INIT;
	const char *line, *end, *p;
	bool refused = false, passing = false;

	for (line = msg; *line; line = end) {
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		/* the server's source location, which the verbose format adds */
		if (!strncmp(line, "LOCATION:  ", 11))
			continue;
		for (p = line; p < end; p++) {
			char code[6];

			if (!code_at(p)) {
				sb_addch(&plain, *p);
				continue;
			}
			memcpy(code, p + 3, 5);
			code[5] = '\0';
			f->has_code = true;
			if (sqlstate_retryable(code))
				passing = true;
			if (!refused)
				memcpy(f->sqlstate, code, sizeof(code));
			if (!sqlstate_retryable(code))
				refused = true;
			sb_adds(&plain, ":  ");
			p += 9;
		}
	}
	/* A host that may accept us later keeps the wait going. */
	f->retry = !refused || passing;
	f->msg = one_line(plain.buf);
	sb_release(&plain);
}

/* The per-host budget: connect_timeout (URL, PGCONNECT_TIMEOUT) or 10 s. */
static long host_timeout_ms(PGconn *conn)
{
	PQconninfoOption *opts = PQconninfo(conn), *o;
	long ms = 10000;

	for (o = opts; o && o->keyword; o++) {
		if (strcmp(o->keyword, "connect_timeout") || !o->val || !*o->val)
			continue;
		ms = strtol(o->val, NULL, 10);
		if (ms <= 0)
			ms = 0; /* no limit per host: only the wait's deadline */
		else if (ms > 86400)
			ms = 86400 * 1000L;
		else
			ms = (ms < 2 ? 2 : ms) * 1000; /* libpq's minimum */
	}
	PQconninfoFree(opts);
	return ms;
}

/* Which host and address libpq is trying, to restart the per-host budget. */
struct host_key {
	const char *host, *port; /* libpq's own per-host strings */
	char addr[64];
};

static bool host_changed(PGconn *conn, struct host_key *k)
{
	const char *host = PQhost(conn), *port = PQport(conn), *addr = PQhostaddr(conn);

	if (!addr)
		addr = "";
	if (host == k->host && port == k->port && !strncmp(addr, k->addr, sizeof(k->addr) - 1))
		return false;
	k->host = host;
	k->port = port;
	snprintf(k->addr, sizeof(k->addr), "%s", addr);
	return true;
}

/*
 * One connection attempt over every host of the URL, driven with
 * PQconnectPoll so that it ends by `deadline`: libpq's own connect_timeout
 * counts whole seconds per host (at least 2) and applies only to blocking
 * connects. A host silent for its connect_timeout is given up as libpq
 * would: shutting its socket down makes libpq fail it and go on to the
 * next host. Returns the connection (CONNECTION_OK), or NULL and *f.
 */
static PGconn *connect_by(const struct conn_params *p, long long deadline,
			  struct conn_failure *f)
{
	PGconn *conn = PQconnectStartParams(p->keys, p->vals, 1);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct host_key key;
	long long host_start = clock_ms();
	long per_host;
	bool timed_out = false;

	memset(f, 0, sizeof(*f));
	memset(&key, 0, sizeof(key));
	if (!conn) {
		f->retry = true;
		f->msg = xstrdup("out of memory");
		return NULL;
	}
	PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	per_host = host_timeout_ms(conn);
	if (PQstatus(conn) == CONNECTION_BAD) {
		st = PGRES_POLLING_FAILED;
		f->at_start = true;
	}
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		struct pollfd pfd;
		long long now = clock_ms(), limit = deadline;

		if (host_changed(conn, &key))
			host_start = now;
		if (per_host > 0 && host_start + per_host < limit)
			limit = host_start + per_host;
		if (now >= limit) {
			if (limit == deadline) {
				timed_out = true;
				break;
			}
			log_debug("connect", "no answer from %s port %s within %ld ms (connect_timeout)",
				  key.host ? key.host : "", key.port ? key.port : "", per_host);
			shutdown(PQsocket(conn), SHUT_RDWR);
			host_start = now;
			st = PQconnectPoll(conn);
			continue;
		}
		pfd.fd = PQsocket(conn);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd.revents = 0;
		if (limit - now > 1000000)
			limit = now + 1000000;
		if (poll(&pfd, 1, (int)(limit - now)) > 0)
			st = PQconnectPoll(conn);
		/* else a timeout or a signal: look at the limits again */
	}
	if (st == PGRES_POLLING_OK) {
		PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
		return conn;
	}
	conn_failure_scan(f, PQerrorMessage(conn));
	PQfinish(conn);
	if (timed_out) {
		struct sb sb = SB_INIT;

		sb_adds(&sb, f->msg);
		sb_adds(&sb, sb.len ? " timeout expired" : "timeout expired");
		free(f->msg);
		f->msg = sb_detach(&sb, NULL);
		f->retry = true;
	}
	return NULL;
}

/*
 * The TLS attempt failed without a word from the server: does it answer
 * without TLS? Then TLS itself is refused (no TLS there, or a certificate
 * we reject), and waiting cannot help. The probe sends a placeholder
 * password, never the real one, over the plain connection.
 */
static bool answers_without_tls(const struct conn_params *p, long long deadline)
{
	struct conn_params plain = *p;
	struct conn_failure f;
	PGconn *conn;
	bool up;

	conn_params_add(&plain, "sslmode", "disable");
	conn_params_add(&plain, "gssencmode", "disable");
	conn_params_add(&plain, "password", "flux-tls-probe");
	conn = connect_by(&plain, deadline, &f);
	up = conn || f.has_code;
	PQfinish(conn);
	conn_failure_release(&f);
	return up;
}

/* Each attempt may take this long, even past the wait's deadline. */
#define ATTEMPT_MIN_MS 2000

/*
 * Connect, or report why not: retry until the wait timeout while the
 * failure may pass (no answer, or a retryable SQLSTATE), exit 7 at once
 * when the server refuses us. Most runs find the server up and connect
 * at the first attempt. The whole wait ends within the wait timeout plus
 * ATTEMPT_MIN_MS: every attempt ends by the deadline, or gets at least
 * ATTEMPT_MIN_MS when little is left (--wait-timeout 0 tries once).
 */
static PGconn *connect_waiting(const struct flux_config *cfg, struct flux_err *err)
{
	struct conn_params p;
	struct conn_failure f = { "", false, false, false, NULL };
	long long start = clock_ms(), last_log = start;
	long long deadline = start + cfg->wait_timeout_ms;
	long backoff = 0;
	char *target = describe_target(cfg);
	PGconn *conn = NULL;
	bool need_tls = tls_required(cfg), options_checked = false;

	conn_params_init(&p, cfg);
	for (;;) {
		long long now = clock_ms();
		long long attempt_end = deadline > now + ATTEMPT_MIN_MS ? deadline : now + ATTEMPT_MIN_MS;

		if (db_interrupted) {
			err_set(err, interrupted_code(), "interrupted while waiting for the database at %s", target);
			break;
		}
		conn_failure_release(&f);
		conn = connect_by(&p, attempt_end, &f);
		if (conn)
			break;
		/*
		 * Nothing tried at all: the parameters may be invalid. PQping
		 * tells (it tries nothing then), and its own connect_timeout
		 * bounds it otherwise.
		 */
		if (f.at_start && !f.has_code && !options_checked) {
			struct conn_params check = p;

			options_checked = true;
			conn_params_add(&check, "connect_timeout", "2");
			if (PQpingParams(check.keys, check.vals, 1) == PQPING_NO_ATTEMPT) {
				err_set(err, FLUX_EXIT_CONFIG, "invalid connection parameters for the database at %s: %s",
					target, f.msg);
				break;
			}
		}
		if (!f.retry) {
			err_set(err, FLUX_EXIT_REFUSED, "database at %s refused the connection: %s (SQLSTATE %s)",
				target, f.msg, f.sqlstate);
			err->sqlstate = xstrdup(f.sqlstate);
			break;
		}
		if (!f.has_code && need_tls && answers_without_tls(&p, attempt_end)) {
			err_set(err, FLUX_EXIT_REFUSED, "cannot connect to the database at %s over TLS: %s",
				target, f.msg);
			break;
		}
		now = clock_ms();
		if (now >= deadline) {
			if (cfg->wait_timeout_ms == 0)
				err_set(err, FLUX_EXIT_UNAVAILABLE, "database at %s is not available: %s%s%s%s",
					target, f.msg, f.has_code ? " (SQLSTATE " : "", f.sqlstate,
					f.has_code ? ")" : "");
			else
				err_set(err, FLUX_EXIT_UNAVAILABLE, "database at %s not available after %lld ms: %s%s%s%s",
					target, now - start, f.msg, f.has_code ? " (SQLSTATE " : "", f.sqlstate,
					f.has_code ? ")" : "");
			if (f.has_code)
				err->sqlstate = xstrdup(f.sqlstate);
			break;
		}
		if (now - last_log >= 5000) {
			log_info("wait", "waiting for the database at %s (%lld s)", target, (now - start) / 1000);
			last_log = now;
		}
		backoff = clock_backoff(backoff, 250);
		if (backoff > deadline - now)
			backoff = (long)(deadline - now);
		clock_sleep_ms(backoff);
	}
	if (conn)
		log_debug("connect", "connected to %s", target);
	conn_failure_release(&f);
	free(target);
	return conn;
}

int db_wait(const struct flux_config *cfg, struct flux_err *err)
{
	PGconn *conn = connect_waiting(cfg, err);

	if (!conn)
		return -1;
	PQfinish(conn);
	return 0;
}

static int fail_result(struct db *db, PGresult *res, enum flux_exit code,
		       const char *what, struct flux_err *err);

/*
 * Make the server let go of a session whose client is gone (README "Dead
 * connections"), so the advisory lock goes with it within about a minute
 * instead of the kernel's two hours: TCP keepalives and a user timeout end
 * a backend whose client's host or network vanished (about 25 s), an
 * idle-in-transaction timeout one whose client stopped mid-transaction
 * (60 s), and client_connection_check_interval (PostgreSQL 14+) stops a
 * statement still running for a client that is gone. One round trip,
 * after connecting rather than in the startup packet, which poolers
 * refuse to carry. The join skips a setting the server does not have; a
 * setting the user chose for this client, role or database (options,
 * PGOPTIONS, ALTER ROLE or DATABASE ... SET) is left alone.
 */
static const char session_sql[] =
	"select count(pg_catalog.set_config(s.name, d.setting, false)) "
	"from (values ('tcp_keepalives_idle', '10'), ('tcp_keepalives_interval', '5'), "
	"('tcp_keepalives_count', '3'), ('tcp_user_timeout', '25000'), "
	"('idle_in_transaction_session_timeout', '60000'), "
	"('client_connection_check_interval', '10000')) d(name, setting) "
	"join pg_catalog.pg_settings s on s.name = d.name "
	"where s.source in ('default', 'configuration file', 'command line', 'environment variable')";

static int session_setup(struct db *db, struct flux_err *err)
{
	PGresult *res = PQexec(db->conn, session_sql);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (PQstatus(db->conn) == CONNECTION_BAD) {
			rc = fail_result(db, res, FLUX_EXIT_UNAVAILABLE,
					 "cannot set up the session", err);
		} else {
			char *msg = one_line(PQresultErrorMessage(res));

			log_warn("session", "cannot set the timeouts that end an orphaned session: %s", msg);
			free(msg);
		}
	}
	PQclear(res);
	return rc;
}

static void pg_close(struct db *db);

static struct db *pg_open(const struct flux_config *cfg, struct flux_err *err)
{
	struct db *db;
	PGconn *conn = connect_waiting(cfg, err);
	struct sb sb = SB_INIT;

	if (!conn)
		return NULL;
	db = xcalloc(1, sizeof(*db));
	db->conn = conn;
	db->cfg = cfg;
	sb_addf(&sb, "%s.%s", cfg->migrations_schema, cfg->migrations_table);
	db->history = sb_detach(&sb, NULL);
	snprintf(db->lock_id, sizeof(db->lock_id), "%" PRId64, cfg->migrations_lock_id);
	PQsetNoticeReceiver(conn, notice_receiver, db);
	cancel_handle = PQgetCancel(conn);
	if (session_setup(db, err)) {
		pg_close(db);
		return NULL;
	}
	return db;
}

/*
 * Fill err from a failed result. Connection loss and server shutdown are 6,
 * a cancel we asked for is 130/143, otherwise `code`.
 */
static int fail_result(struct db *db, PGresult *res, enum flux_exit code,
		       const char *what, struct flux_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char *line = NULL;

	if (PQstatus(db->conn) == CONNECTION_BAD)
		code = FLUX_EXIT_UNAVAILABLE;
	else if (state && (!strncmp(state, "08", 2) || !strcmp(state, "57P01") ||
			   !strcmp(state, "57P02") || !strcmp(state, "57P03")))
		code = FLUX_EXIT_UNAVAILABLE;
	else if (state && !strcmp(state, "57014") && db_interrupted)
		code = interrupted_code();
	if (!msg)
		msg = line = one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
	if (!*msg) {
		free(line);
		msg = line = one_line(PQerrorMessage(db->conn));
	}
	if (code == FLUX_EXIT_UNAVAILABLE && PQstatus(db->conn) == CONNECTION_BAD)
		err_set(err, code, "%s: lost the connection to the database: %s", what, msg);
	else if (state)
		err_set(err, code, "%s: %s (SQLSTATE %s)", what, msg, state);
	else
		err_set(err, code, "%s: %s", what, msg);
	free(line);
	if (res) {
		const char *d = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		const char *h = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
		if (state)
			err->sqlstate = xstrdup(state);
		if (d)
			err->detail = xstrdup(d);
		if (h)
			err->hint = xstrdup(h);
	}
	return -1;
}

/* Run one command of ours (not a migration); any failure is `code`. */
static int run_params(struct db *db, const char *sql, int nparams,
		      const char *const *params, PGresult **out, enum flux_exit code,
		      const char *what, struct flux_err *err)
{
	PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fail_result(db, res, code, what, err);
		PQclear(res);
		return -1;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return 0;
}

static int pg_unlock(struct db *db, struct flux_err *err);

static void pg_close(struct db *db)
{
	if (!db)
		return;
	if (db->locked && PQstatus(db->conn) == CONNECTION_OK) {
		struct flux_err ignore = FLUX_ERR_INIT;
		pg_unlock(db, &ignore);
		err_release(&ignore);
	}
	if (cancel_handle) {
		PGcancel *c = cancel_handle;
		cancel_handle = NULL;
		PQfreeCancel(c);
	}
	PQfinish(db->conn);
	free(db->history);
	free(db);
}

/* Who holds our advisory lock (pid, application, client), for the log. */
static void log_lock_holder(struct db *db, long long waited_ms)
{
	static const char sql[] =
		"select a.pid, coalesce(a.application_name, ''), "
		"coalesce(host(a.client_addr), 'local') "
		"from pg_locks l join pg_stat_activity a on a.pid = l.pid "
		"where l.locktype = 'advisory' and l.granted and l.objsubid = 1 "
		"and ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint";
	const char *params[1] = { db->lock_id };
	PGresult *res = PQexecParams(db->conn, sql, 1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		log_info("lock_wait", "waiting for advisory lock %s (%lld s): held by pid %s, application '%s', client %s",
			 db->lock_id, waited_ms / 1000, PQgetvalue(res, 0, 0),
			 PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	else
		log_info("lock_wait", "waiting for advisory lock %s (%lld s)", db->lock_id,
			 waited_ms / 1000);
	PQclear(res);
}

/*
 * Poll pg_try_advisory_lock rather than block in pg_advisory_lock: a
 * blocked waiter holds a snapshot that CREATE INDEX CONCURRENTLY in the
 * lock holder would wait for, a deadlock other tools have.
 */
static int pg_lock(struct db *db, struct flux_err *err)
{
	const char *params[1] = { db->lock_id };
	long long start = clock_ms(), last_log = start;
	long backoff = 0;
	bool logged = false;

	for (;;) {
		PGresult *res;
		bool got;
		long long now;

		if (db_interrupted)
			return err_set(err, interrupted_code(), "interrupted while waiting for advisory lock %s",
				       db->lock_id);
		if (run_params(db, "select pg_try_advisory_lock($1::bigint)", 1, params, &res,
			       FLUX_EXIT_REFUSED, "cannot take the advisory lock", err))
			return -1;
		got = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		if (got) {
			db->locked = true;
			if (logged)
				log_info("lock", "took advisory lock %s after %lld ms", db->lock_id,
					 clock_ms() - start);
			return 0;
		}
		now = clock_ms();
		if (db->cfg->lock_timeout_ms > 0 && now - start >= db->cfg->lock_timeout_ms)
			return err_set(err, FLUX_EXIT_LOCK,
				       "advisory lock %s still held by another migrator after %lld ms (FLUX_LOCK_TIMEOUT)",
				       db->lock_id, now - start);
		if (!logged || now - last_log >= 10000) {
			log_lock_holder(db, now - start);
			last_log = now;
			logged = true;
		}
		backoff = clock_backoff(backoff, 250);
		clock_sleep_ms(backoff);
	}
}

/*
 * Migrations commit with synchronous_commit off: each COMMIT returns
 * without waiting for the WAL to reach disk, and one flush per batch
 * replaces a thousand. The flush is one transaction that writes WAL,
 * committed at the session's own synchronous_commit level (the server's,
 * the role's, PGOPTIONS'): waiting for its commit record waits for every
 * earlier one, since the WAL is written in order. A transaction needs an
 * xid and a WAL record of its own for its commit to wait (an xid alone is
 * not enough); a transactional logical message gives both, needs no
 * privilege and no table, and is ignored by anyone not decoding messages
 * with the prefix 'flux'. Until the flush a server crash can lose commits
 * flux has logged; a rerun applies them again.
 */
static int begin_async(struct db *db, struct flux_err *err)
{
	if (db->async_commits)
		return 0;
	if (run_params(db, "set synchronous_commit to off", 0, NULL, NULL,
		       FLUX_EXIT_MIGRATION, "cannot set synchronous_commit", err))
		return -1;
	db->async_commits = true;
	return 0;
}

static int flush_commits(struct db *db, struct flux_err *err)
{
	static const char what[] = "cannot make the applied migrations durable";
	struct flux_err e = FLUX_ERR_INIT;

	if (!db->async_commits)
		return 0;
	db->async_commits = false;
	if (run_params(db, "reset synchronous_commit", 0, NULL, NULL,
		       FLUX_EXIT_UNAVAILABLE, what, err))
		return -1;
	if (!run_params(db, "select pg_logical_emit_message(true, 'flux', 'batch done')",
			0, NULL, NULL, FLUX_EXIT_REFUSED, what, &e))
		return 0;
	if (e.code == FLUX_EXIT_UNAVAILABLE || PQstatus(db->conn) != CONNECTION_OK) {
		err_move(err, &e);
		return -1;
	}
	/* The commits are made; only the early flush was refused. */
	log_warn("durability", "%s at once (the server writes them within its "
		 "wal_writer_delay): %s", what, e.msg);
	err_release(&e);
	return 0;
}

static int pg_unlock(struct db *db, struct flux_err *err)
{
	const char *params[1] = { db->lock_id };
	int rc;

	if (!db->locked)
		return 0;
	rc = flush_commits(db, err);
	db->locked = false;
	if (rc) {
		/* The flush's error is the news; the session ends either way. */
		struct flux_err ignore = FLUX_ERR_INIT;

		run_params(db, "select pg_advisory_unlock($1::bigint)", 1, params, NULL,
			   FLUX_EXIT_REFUSED, "cannot release the advisory lock", &ignore);
		err_release(&ignore);
		return -1;
	}
	return run_params(db, "select pg_advisory_unlock($1::bigint)", 1, params, NULL,
			  FLUX_EXIT_REFUSED, "cannot release the advisory lock", err);
}

static int pg_history_exists(struct db *db, bool *exists, struct flux_err *err)
{
	const char *params[1] = { db->history };
	PGresult *res;

	if (run_params(db, "select to_regclass($1) is not null", 1, params, &res,
		       FLUX_EXIT_REFUSED, "cannot look up the history table", err))
		return -1;
	*exists = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return 0;
}

static int pg_history_create(struct db *db, struct flux_err *err)
{
	const char *params[1] = { db->cfg->migrations_schema };
	struct sb sql = SB_INIT;
	PGresult *res;
	bool have_schema;
	int rc;

	/*
	 * The same DDL as flux-migrations, so either tool can create it. But
	 * CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when
	 * the schema is there, which a role owning only its schema lacks:
	 * look first. to_regnamespace folds the name as the DDL does.
	 */
	if (run_params(db, "select to_regnamespace($1) is not null", 1, params, &res,
		       FLUX_EXIT_REFUSED, "cannot look up the history table's schema", err))
		return -1;
	have_schema = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	rc = 0;
	if (!have_schema) {
		sb_addf(&sql, "create schema if not exists %s", db->cfg->migrations_schema);
		rc = run_params(db, sql.buf, 0, NULL, NULL, FLUX_EXIT_REFUSED,
				"cannot create the history table's schema", err);
		sb_reset(&sql);
	}
	sb_addf(&sql,
		"create table if not exists %s (\n"
		"    id text primary key,\n"
		"    hash text not null,\n"
		"    applied_at timestamp not null default current_timestamp\n"
		")",
		db->history);
	if (!rc)
		rc = run_params(db, sql.buf, 0, NULL, NULL, FLUX_EXIT_REFUSED,
				"cannot create the history table", err);
	sb_release(&sql);
	return rc;
}

static int pg_history_read(struct db *db, struct plan_row **rows, size_t *n,
			   struct flux_err *err)
{
	struct sb sql = SB_INIT;
	PGresult *res;
	int i, nt;

	*rows = NULL;
	*n = 0;
	sb_addf(&sql, "select id, hash, applied_at::text from %s", db->history);
	if (run_params(db, sql.buf, 0, NULL, &res, FLUX_EXIT_REFUSED,
		       "cannot read the history table", err)) {
		sb_release(&sql);
		return -1;
	}
	sb_release(&sql);
	nt = PQntuples(res);
	*rows = xcalloc((size_t)nt + 1, sizeof(**rows));
	for (i = 0; i < nt; i++) {
		(*rows)[i].id = xstrdup(PQgetvalue(res, i, 0));
		(*rows)[i].hash = xstrdup(PQgetvalue(res, i, 1));
		(*rows)[i].applied_at = xstrdup(PQgetvalue(res, i, 2));
	}
	*n = (size_t)nt;
	PQclear(res);
	return 0;
}

/*
 * The server's error position is 1-based, in characters of the statement
 * we sent. Turn it into a byte offset of that statement; -1 if absent.
 */
static long position_offset(const char *stmt, size_t len, const char *pos_str,
			    long shift)
{
	long pos = pos_str ? strtol(pos_str, NULL, 10) - shift : 0;
	long chars = 0;
	size_t i;

	if (pos <= 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (((unsigned char)stmt[i] & 0xC0) == 0x80)
			continue;
		if (++chars == pos)
			return (long)i;
	}
	return (long)len;
}

/* Line and column of byte `off` in text, and that line with a caret. */
static void add_context(struct flux_err *err, const char *text, size_t len,
			size_t off, int *line_out, int *col_out)
{
	size_t i, line_start = 0, line_end;
	int line = 1, col = 1, w;
	struct sb ctx = SB_INIT;
	char num[16];

	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			line++;
			line_start = i + 1;
		}
	}
	for (i = line_start; i < off; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			col++;
	*line_out = line;
	*col_out = col;
	for (line_end = line_start; line_end < len && text[line_end] != '\n'; line_end++)
		;
	w = snprintf(num, sizeof(num), "%d", line);
	sb_addf(&ctx, "  %s | ", num);
	sb_add(&ctx, text + line_start, line_end - line_start);
	sb_addf(&ctx, "\n  %*s | ", w, "");
	for (i = line_start; i < off && i < line_end; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c & 0xC0) == 0x80)
			continue;
		sb_addch(&ctx, c == '\t' ? '\t' : ' ');
	}
	sb_addch(&ctx, '^');
	free(err->context);
	err->context = sb_detach(&ctx, NULL);
}

/* What is being run, for the failure message. */
struct run_unit {
	const char *id;
	const char *path;
	const char *text; /* whole file text */
	size_t len;
	size_t stmt_start; /* the statement sent starts here in text */
	size_t stmt_len;
	size_t stmt_no, nstmts; /* no-transaction: 1-based statement, count */
	long pos_shift; /* characters we sent before the text ("begin;") */
};

/* Describe a migration's failure: file:line:col, message, SQLSTATE. */
static int fail_migration(struct db *db, PGresult *res, const struct run_unit *u,
			  struct flux_err *err)
{
	struct sb what = SB_INIT;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	long off = u->text ? position_offset(u->text + u->stmt_start, u->stmt_len, pos,
					     u->pos_shift) : -1;
	char *context = NULL;
	int line = -1, col = -1;

	if (off >= 0) {
		struct flux_err tmp = FLUX_ERR_INIT;
		add_context(&tmp, u->text, u->len, u->stmt_start + (size_t)off, &line, &col);
		context = tmp.context;
	}
	if (line > 0)
		sb_addf(&what, "migration '%s' failed at %s:%d:%d", u->id, u->path, line, col);
	else
		sb_addf(&what, "migration '%s' failed (%s)", u->id, u->path);
	if (u->nstmts) {
		sb_addf(&what, " in statement %zu of %zu, run without a transaction", u->stmt_no, u->nstmts);
		if (u->stmt_no > 1)
			sb_addf(&what, " (statements 1-%zu already ran and were not rolled back)",
				u->stmt_no - 1);
		else
			sb_adds(&what, " (no statement had run)");
	}
	fail_result(db, res, FLUX_EXIT_MIGRATION, what.buf, err);
	err->context = context;
	err->id = xstrdup(u->id);
	err->file = xstrdup(u->path);
	err->line = line;
	sb_release(&what);
	return -1;
}

static void rollback_quietly(struct db *db)
{
	if (PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "rollback"));
}

/* Send one piece of text; fail_migration on an error result. */
static int exec_text(struct db *db, const char *sql, const struct run_unit *u,
		     struct flux_err *err)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		rc = fail_migration(db, res, u, err);
	PQclear(res);
	return rc;
}

/*
 * A `-- flux:no-transaction` migration: statement by statement, each on its
 * own (CREATE INDEX CONCURRENTLY refuses a multi-statement string).
 */
static int exec_statements(struct db *db, struct run_unit *u, struct flux_err *err)
{
	struct split_result r = SPLIT_RESULT_INIT;
	struct sb stmt = SB_INIT;
	size_t i;
	int rc = 0;

	if (split_sql(u->text, u->len, &r, err)) {
		char *msg = err->msg;
		err->msg = NULL;
		err_set(err, FLUX_EXIT_DIRECTORY, "cannot split migration '%s' into statements: %s",
			u->path, msg);
		free(msg);
		return -1;
	}
	u->nstmts = r.n;
	for (i = 0; i < r.n && !rc; i++) {
		u->stmt_no = i + 1;
		u->stmt_start = r.stmts[i].start;
		u->stmt_len = r.stmts[i].len;
		sb_reset(&stmt);
		sb_add(&stmt, u->text + u->stmt_start, u->stmt_len);
		log_debug("statement", "'%s': statement %zu of %zu (line %d)", u->id, i + 1, r.n,
			  r.stmts[i].line);
		rc = exec_text(db, stmt.buf, u, err);
	}
	sb_release(&stmt);
	split_result_release(&r);
	return rc;
}

enum history_op { HISTORY_NONE, HISTORY_INSERT, HISTORY_DELETE };

/*
 * The history row and COMMIT in one round trip (pipeline mode). A failure
 * leaves the transaction for the caller to roll back.
 */
static int record_and_commit(struct db *db, const char *sql, int nparams,
			     const char *const *params, struct flux_err *err)
{
	PGconn *c = db->conn;
	PGresult *res, *bad = NULL;
	const char *what = "cannot record the migration in the history table";
	int step = 0, rc = 0;

	if (!PQenterPipelineMode(c) ||
	    !PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0) ||
	    !PQsendQueryParams(c, "commit", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQpipelineSync(c)) {
		fail_result(db, NULL, FLUX_EXIT_MIGRATION, what, err);
		PQexitPipelineMode(c);
		return -1;
	}
	/* insert, NULL, commit, NULL, sync: read them all, keep the first error */
	while (step < 3) {
		ExecStatusType st;

		res = PQgetResult(c);
		if (!res) {
			if (PQstatus(c) == CONNECTION_BAD) {
				rc = -1;
				break;
			}
			step++;
			continue;
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !bad) {
			if (st != PGRES_PIPELINE_ABORTED) {
				what = step == 0 ? what : "cannot commit the migration";
				bad = res;
				continue;
			}
		}
		PQclear(res);
	}
	if (bad || rc) {
		fail_result(db, bad, FLUX_EXIT_MIGRATION, what, err);
		rc = -1;
	}
	PQclear(bad);
	PQexitPipelineMode(c);
	return rc;
}

/*
 * Run one migration text. In a transaction: "begin;" and the text in one
 * round trip, then the history row and COMMIT in another; any failure rolls
 * all of it back. A no-transaction text runs statement by statement; its
 * history row is written after the last.
 */
static int run_migration(struct db *db, const char *id, const char *path,
			 const char *text, size_t len, bool no_tx,
			 enum history_op op, const char *hash, struct flux_err *err)
{
	static const char begin[] = "begin;";
	struct run_unit u;
	struct sb sql = SB_INIT;
	const char *params[2] = { id, hash };
	int nparams = op == HISTORY_INSERT ? 2 : 1;
	int rc = -1;

	memset(&u, 0, sizeof(u));
	u.id = id;
	u.path = path;
	u.text = text ? text : "";
	u.len = text ? len : 0;
	u.stmt_len = u.len;
	if (begin_async(db, err))
		return -1;
	db->current_id = id;
	if (no_tx) {
		if (exec_statements(db, &u, err))
			goto cleanup;
	} else {
		sb_add(&sql, begin, sizeof(begin) - 1);
		sb_add(&sql, u.text, u.len);
		u.pos_shift = (long)(sizeof(begin) - 1);
		if (exec_text(db, sql.buf, &u, err))
			goto cleanup;
		sb_reset(&sql);
	}
	if (op == HISTORY_INSERT)
		sb_addf(&sql, "insert into %s (id, hash) values ($1, $2)", db->history);
	else if (op == HISTORY_DELETE)
		sb_addf(&sql, "delete from %s where id = $1", db->history);
	if (!no_tx && op != HISTORY_NONE) {
		if (record_and_commit(db, sql.buf, nparams, params, err))
			goto cleanup;
	} else {
		if (op != HISTORY_NONE &&
		    run_params(db, sql.buf, nparams, params, NULL, FLUX_EXIT_MIGRATION,
			       "cannot record the migration in the history table", err))
			goto cleanup;
		if (!no_tx && run_params(db, "commit", 0, NULL, NULL, FLUX_EXIT_MIGRATION,
					 "cannot commit the migration", err))
			goto cleanup;
	}
	rc = 0;
cleanup:
	if (rc)
		rollback_quietly(db);
	db->current_id = NULL;
	sb_release(&sql);
	return rc;
}

static int pg_run_repeatable(struct db *db, const struct mdir_migration *m,
			     struct flux_err *err)
{
	return run_migration(db, m->id, m->path, m->text, m->text_len,
			     m->no_transaction, HISTORY_NONE, NULL, err);
}

static int pg_apply(struct db *db, const struct mdir_migration *m, struct flux_err *err)
{
	return run_migration(db, m->id, m->path, m->text, m->text_len,
			     m->no_transaction, HISTORY_INSERT, m->hash, err);
}

static int pg_undo(struct db *db, const struct mdir_migration *m, struct flux_err *err)
{
	if (!m->undo_path)
		return run_migration(db, m->id, m->path, "", 0, false, HISTORY_DELETE,
				     NULL, err);
	return run_migration(db, m->id, m->undo_path, m->undo_text, m->undo_len,
			     m->undo_no_transaction, HISTORY_DELETE, NULL, err);
}

static const struct db_backend backends[] = {
	{
		"postgres", pg_open, pg_close, pg_lock, pg_unlock,
		pg_history_exists, pg_history_create, pg_history_read,
		pg_run_repeatable, pg_apply, pg_undo,
	},
};

const struct db_backend *db_backend_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i].name, name))
			return &backends[i];
	return NULL;
}
