/*
 * The PostgreSQL backend (db_postgres_backend, registered in
 * db_backends.h): waiting for the server, the advisory lock, the history
 * table, running migrations with their history rows, and the signal-time
 * cancel. Its URL hooks are in db_postgres_url.c.
 *
 * Every PGresult is cleared on every path; values travel as parameters;
 * the only identifiers spliced into SQL are the schema and table names,
 * which cfg_set() validated against ^[A-Za-z_][A-Za-z0-9_]{0,62}$.
 */
#include "db.h"
#include "db_postgres.h"

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

static int pg_cancel_from_signal(void)
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
		PQcancel(c, buf,
			 sizeof(buf)); /* no child: the front's deadline still holds */
	return 1;
}

struct db {
	PGconn *conn;
	const struct flux_config *cfg;
	char *history;    /* "schema.table" */
	char lock_id[24]; /* the advisory lock id as text, for parameters */
	bool locked;
	bool async_commits;     /* commits since the last flush were asynchronous */
	const char *current_id; /* migration running, for NOTICE logs */
	/*
	 * Behind a session-pooling pooler: the server backend our client is
	 * pinned to, which takes and must keep the lock. 0 on a direct
	 * connection (where libpq's backend pid is the server's).
	 */
	int pooled_pid;
	/*
	 * Whether the history table's schema exists, when the session's start
	 * found out (with the lock, in the same round trip): 1 yes, 0 no, -1
	 * not known.
	 */
	int schema_exists;
	/*
	 * The settings that end an orphaned backend (session_sql) are still
	 * to be sent. A locking session on a direct connection sends them
	 * before the first thing it runs (pg_guard; with the history table's
	 * creation when there is one), not at its start: a session that has
	 * nothing to run holds the lock for two round trips and ends, and the
	 * query costs a fresh backend about a millisecond (it reads
	 * pg_settings). Not at the head of a chunk's string either: that
	 * would push the migrations out of the 1 KiB of the query that
	 * pg_stat_activity shows.
	 */
	bool setup_pending;
};

/*
 * Connection parameters: flux's defaults first, then the URL (expanded
 * from dbname), so whatever the URL says wins: libpq keeps the last value
 * of a repeated key. The defaults detect a dead peer (docs/OPERATIONS.md "Dead
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
		if (!strcmp(o->keyword, "host") ||
		    (!host && !strcmp(o->keyword, "hostaddr")))
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
		!strcmp(code, "57P01") || !strcmp(code, "57P02") ||
		!strcmp(code, "57P03");
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
	if (host == k->host && port == k->port &&
	    !strncmp(addr, k->addr, sizeof(k->addr) - 1))
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
			log_debug("connect",
				  "no answer from %s port %s within %ld ms (connect_timeout)",
				  key.host ? key.host : "", key.port ? key.port : "",
				  per_host);
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
		long long attempt_end =
			deadline > now + ATTEMPT_MIN_MS ? deadline : now + ATTEMPT_MIN_MS;

		if (db_interrupted) {
			err_set(err, db_interrupted_code(),
				"interrupted while waiting for the database at %s",
				target);
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
			if (PQpingParams(check.keys, check.vals, 1) ==
			    PQPING_NO_ATTEMPT) {
				err_set(err, FLUX_EXIT_CONFIG,
					"invalid connection parameters for the database at %s: %s",
					target, f.msg);
				break;
			}
		}
		if (!f.retry) {
			err_set(err, FLUX_EXIT_REFUSED,
				"database at %s refused the connection: %s (SQLSTATE %s)",
				target, f.msg, f.sqlstate);
			err->sqlstate = xstrdup(f.sqlstate);
			break;
		}
		if (!f.has_code && need_tls && answers_without_tls(&p, attempt_end)) {
			err_set(err, FLUX_EXIT_REFUSED,
				"cannot connect to the database at %s over TLS: %s",
				target, f.msg);
			break;
		}
		now = clock_ms();
		if (now >= deadline) {
			if (cfg->wait_timeout_ms == 0)
				err_set(err, FLUX_EXIT_UNAVAILABLE,
					"database at %s is not available: %s%s%s%s",
					target, f.msg, f.has_code ? " (SQLSTATE " : "",
					f.sqlstate, f.has_code ? ")" : "");
			else
				err_set(err, FLUX_EXIT_UNAVAILABLE,
					"database at %s not available after %lld ms: %s%s%s%s",
					target, now - start, f.msg,
					f.has_code ? " (SQLSTATE " : "", f.sqlstate,
					f.has_code ? ")" : "");
			if (f.has_code)
				err->sqlstate = xstrdup(f.sqlstate);
			break;
		}
		if (now - last_log >= 5000) {
			log_info("wait", "waiting for the database at %s (%lld s)",
				 target, (now - start) / 1000);
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

static int pg_wait(const struct flux_config *cfg, struct flux_err *err)
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
 * Make the server let go of a session whose client is gone (docs/OPERATIONS.md "Dead
 * connections"), so the advisory lock goes with it within about a minute
 * instead of the kernel's two hours: TCP keepalives and a user timeout end
 * a backend whose client's host or network vanished (about 25 s), an
 * idle-in-transaction timeout one whose client stopped mid-transaction
 * (60 s), and client_connection_check_interval (PostgreSQL 14+) stops a
 * statement still running for a client that is gone. Sent after
 * connecting rather than in the startup packet, which poolers refuse to
 * carry: with the history table's creation (one string), else alone
 * before the first migration (setup_pending). The join skips a setting
 * the server does not have; a setting the user chose for this client,
 * role or database (options, PGOPTIONS, ALTER ROLE or DATABASE ... SET)
 * is left alone.
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

			log_warn("session",
				 "cannot set the timeouts that end an orphaned session: %s",
				 msg);
			free(msg);
		}
	}
	PQclear(res);
	return rc;
}

/* Send the pending settings on their own, before a wait or a lone migration. */
static int pg_guard(struct db *db, struct flux_err *err)
{
	if (!db->setup_pending)
		return 0;
	db->setup_pending = false;
	return session_setup(db, err);
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
	db->schema_exists = -1;
	db->cfg = cfg;
	sb_addf(&sb, "%s.%s", cfg->migrations_schema, cfg->migrations_table);
	db->history = sb_detach(&sb, NULL);
	snprintf(db->lock_id, sizeof(db->lock_id), "%" PRId64, cfg->migrations_lock_id);
	PQsetNoticeReceiver(conn, notice_receiver, db);
	cancel_handle = PQgetCancel(conn);
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
	else if (state &&
		 (!strncmp(state, "08", 2) || !strcmp(state, "57P01") ||
		  !strcmp(state, "57P02") || !strcmp(state, "57P03")))
		code = FLUX_EXIT_UNAVAILABLE;
	else if (state && !strcmp(state, "57014") && db_interrupted)
		code = db_interrupted_code();
	if (!msg)
		msg = line = one_line(res ? PQresultErrorMessage(res) :
					    PQerrorMessage(db->conn));
	if (!*msg) {
		free(line);
		msg = line = one_line(PQerrorMessage(db->conn));
	}
	if (code == FLUX_EXIT_UNAVAILABLE && PQstatus(db->conn) == CONNECTION_BAD)
		err_set(err, code, "%s: lost the connection to the database: %s", what,
			msg);
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

static void rollback_quietly(struct db *db)
{
	if (PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "rollback"));
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
		log_info("lock_wait",
			 "waiting for advisory lock %s (%lld s): held by pid %s, application '%s', client %s",
			 db->lock_id, waited_ms / 1000, PQgetvalue(res, 0, 0),
			 PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	else
		log_info("lock_wait", "waiting for advisory lock %s (%lld s)",
			 db->lock_id, waited_ms / 1000);
	PQclear(res);
}

/* "host:port" of the open connection, for messages. */
static char *conn_where(PGconn *c)
{
	struct sb sb = SB_INIT;
	const char *host = PQhost(c), *port = PQport(c);

	sb_addf(&sb, "%s:%s", host && *host ? host : "localhost",
		port && *port ? port : "5432");
	return sb_detach(&sb, NULL);
}

static int refuse_standby(struct db *db, struct flux_err *err)
{
	char *where = conn_where(db->conn);

	err_set(err, FLUX_EXIT_REFUSED,
		"the server at %s is a read-only standby (in recovery): apply and rollback "
		"write, so connect to the primary",
		where);
	free(where);
	return -1;
}

static int refuse_transaction_pooler(struct db *db, const char *why, struct flux_err *err)
{
	char *where = conn_where(db->conn);

	err_set(err, FLUX_EXIT_REFUSED,
		"a transaction-pooling pooler at %s is in the way (%s): the session advisory "
		"lock %s would not protect the migrations; connect to the database directly "
		"or through session pooling",
		where, why, db->lock_id);
	free(where);
	return -1;
}

/* The probe's connection parameters: main's, on the very host it reached. */
struct probe_params {
	const char **keys, **vals;
	PQconninfoOption *opts;
};

static void probe_params_init(struct probe_params *p, PGconn *c)
{
	PQconninfoOption *o;
	const char *hostaddr = PQhostaddr(c);
	size_t n = 0;

	p->opts = PQconninfo(c);
	for (o = p->opts; o && o->keyword; o++)
		n++;
	p->keys = xcalloc(n + 4, sizeof(*p->keys));
	p->vals = xcalloc(n + 4, sizeof(*p->vals));
	n = 0;
	for (o = p->opts; o && o->keyword; o++) {
		if (!o->val || !*o->val || !strcmp(o->keyword, "host") ||
		    !strcmp(o->keyword, "hostaddr") || !strcmp(o->keyword, "port"))
			continue;
		p->keys[n] = o->keyword;
		p->vals[n++] = o->val;
	}
	p->keys[n] = "host";
	p->vals[n++] = PQhost(c);
	p->keys[n] = "port";
	p->vals[n++] = PQport(c);
	if (hostaddr && *hostaddr) {
		p->keys[n] = "hostaddr";
		p->vals[n++] = hostaddr;
	}
}

static void probe_params_release(struct probe_params *p)
{
	free(p->keys);
	free(p->vals);
	PQconninfoFree(p->opts);
}

/*
 * The probe's `select pg_backend_pid()`, waiting at most timeout_ms for a
 * pooler that has no server connection to give it. 1 on a timeout.
 */
static int probe_pid(PGconn *c, long timeout_ms, int *pid)
{
	long long deadline = clock_ms() + timeout_ms;
	PGresult *res;
	int rc = -1;

	if (!PQsendQuery(c, "select pg_backend_pid()"))
		return -1;
	while (PQisBusy(c)) {
		struct pollfd pfd = { PQsocket(c), POLLIN, 0 };
		long long left = deadline - clock_ms();

		if (left <= 0 || db_interrupted)
			return 1;
		if (poll(&pfd, 1, left < 100 ? (int)left : 100) < 0)
			continue;
		if (!PQconsumeInput(c))
			return -1;
	}
	while ((res = PQgetResult(c))) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
			*pid = atoi(PQgetvalue(res, 0, 0));
			rc = 0;
		}
		PQclear(res);
	}
	return rc;
}

/* Rounds of the pinning test; each costs two short round trips. */
#define POOL_ROUNDS 12
/* How long the probe may wait for a server connection from the pool. */
#define POOL_PROBE_TIMEOUT_MS 10000

/*
 * Behind a pooler (libpq's backend pid is not the server's): does it pin
 * our client to server backend `pid` for the whole session? Under
 * transaction pooling a server connection goes back to the pool whenever
 * our client is idle, so either our next query lands on another backend,
 * or a second client asking right after us gets ours (PgBouncer hands out
 * the most recently released server connection; a round-robin pooler gives
 * our client another one instead). Under session pooling neither can ever
 * happen, so a "yes" is never wrong about session pooling; a "no" could
 * only be missed if other clients took our backend in every one of the
 * rounds, which the checks in pg_lock and pg_check_backend back up.
 */
static int check_pooling(struct db *db, int pid, struct flux_err *err)
{
	struct probe_params pp;
	PGconn *probe;
	int round, rc = 0;
	char *where = conn_where(db->conn);

	probe_params_init(&pp, db->conn);
	probe = PQconnectdbParams(pp.keys, pp.vals, 0);
	probe_params_release(&pp);
	if (PQstatus(probe) != CONNECTION_OK) {
		char *msg = one_line(PQerrorMessage(probe));
		rc = err_set(err, FLUX_EXIT_UNAVAILABLE,
			     "cannot tell how the pooler at %s pools: a second connection failed: %s",
			     where, msg);
		free(msg);
		goto cleanup;
	}
	for (round = 0; round < POOL_ROUNDS && !rc; round++) {
		PGresult *res;
		int p = 0, r;

		r = probe_pid(probe, POOL_PROBE_TIMEOUT_MS, &p);
		if (r < 0) {
			char *msg = one_line(PQerrorMessage(probe));
			rc = err_set(err, FLUX_EXIT_UNAVAILABLE,
				     "cannot tell how the pooler at %s pools: %s", where,
				     msg);
			free(msg);
			break;
		}
		if (r > 0) {
			if (db_interrupted)
				rc = err_set(err, db_interrupted_code(),
					     "interrupted while checking the pooler at %s",
					     where);
			else
				rc = err_set(err, FLUX_EXIT_UNAVAILABLE,
					     "cannot tell how the pooler at %s pools: it had no free server "
					     "connection for a second client within %d s (give its pool a spare "
					     "connection per flux started at once)",
					     where, POOL_PROBE_TIMEOUT_MS / 1000);
			break;
		}
		if (p == pid) {
			rc = refuse_transaction_pooler(
				db, "another client was given our server connection",
				err);
			break;
		}
		if (run_params(db, "select pg_backend_pid()", 0, NULL, &res,
			       FLUX_EXIT_UNAVAILABLE, "cannot check the pooler", err)) {
			rc = -1;
			break;
		}
		p = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
		if (p != pid)
			rc = refuse_transaction_pooler(
				db, "our session moved to another server connection",
				err);
	}
	if (!rc)
		log_debug("pooler",
			  "the pooler at %s pins our session to server backend %d", where,
			  pid);
cleanup:
	PQfinish(probe);
	free(where);
	return rc;
}

/*
 * Behind a session pooler, before each migration's commit (in its
 * transaction): is this still the backend that holds the lock, and does it
 * still hold it? The last line of defence should the pooler move our
 * session after all. Costs nothing on a direct connection.
 */
static int pg_check_backend(struct db *db, struct flux_err *err)
{
	static const char sql[] =
		"select pg_backend_pid(), exists (select 1 from pg_locks "
		"where locktype = 'advisory' and pid = pg_backend_pid() and granted "
		"and objsubid = 1 and ((classid::bigint << 32) | objid::bigint) = $1::bigint)";
	const char *params[1] = { db->lock_id };
	PGresult *res;
	int pid;
	bool held;

	if (!db->pooled_pid || !db->locked)
		return 0;
	if (run_params(db, sql, 1, params, &res, FLUX_EXIT_UNAVAILABLE,
		       "cannot check the server connection", err))
		return -1;
	pid = atoi(PQgetvalue(res, 0, 0));
	held = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (pid != db->pooled_pid)
		return refuse_transaction_pooler(db,
						 "our session moved to another server connection "
						 "mid-batch",
						 err);
	if (!held)
		return err_set(err, FLUX_EXIT_REFUSED,
			       "advisory lock %s is no longer held by flux's server connection: another "
			       "client of the pooler released it",
			       db->lock_id);
	return 0;
}

/*
 * Poll pg_try_advisory_lock rather than block in pg_advisory_lock: a
 * blocked waiter holds a snapshot that CREATE INDEX CONCURRENTLY in the
 * lock holder would wait for, a deadlock other tools have.
 *
 * The first attempt also asks whether the server is a standby and which
 * backend we talk to: the lock is tried only when that backend is the one
 * libpq connected to (a direct connection: no extra round trip). A pooler
 * gives its clients keys of its own, so there the lock waits for
 * check_pooling, and each later attempt checks that the backend is still
 * ours and does not hold the lock already (a session advisory lock is
 * re-entrant: a pooled backend holding another client's lock would grant
 * it to us too).
 */
static int pg_lock(struct db *db, struct flux_err *err)
{
	static const char first_sql[] =
		"select pg_backend_pid(), pg_is_in_recovery(), "
		"case when pg_backend_pid() = $2::int and not pg_is_in_recovery() "
		"then pg_try_advisory_lock($1::bigint) end";
	static const char pooled_sql[] =
		"select pg_backend_pid(), h.held, case when pg_backend_pid() = $2::int and not h.held "
		"then pg_try_advisory_lock($1::bigint) end "
		"from (select exists (select 1 from pg_locks where locktype = 'advisory' "
		"and pid = pg_backend_pid() and granted and objsubid = 1 "
		"and ((classid::bigint << 32) | objid::bigint) = $1::bigint) as held) h";
	char pid_text[16];
	const char *params[2] = { db->lock_id, pid_text };
	long long start = clock_ms(), last_log = start;
	long backoff = 0;
	bool logged = false, first = true;

	snprintf(pid_text, sizeof(pid_text), "%d", PQbackendPID(db->conn));
	for (;;) {
		PGresult *res;
		bool got;
		long long now;

		if (db_interrupted)
			return err_set(err, db_interrupted_code(),
				       "interrupted while waiting for advisory lock %s",
				       db->lock_id);
		if (first) {
			int pid;

			if (run_params(db, first_sql, 2, params, &res, FLUX_EXIT_REFUSED,
				       "cannot take the advisory lock", err))
				return -1;
			first = false;
			pid = atoi(PQgetvalue(res, 0, 0));
			got = PQgetvalue(res, 0, 2)[0] == 't';
			if (PQgetvalue(res, 0, 1)[0] == 't') {
				PQclear(res);
				return refuse_standby(db, err);
			}
			PQclear(res);
			if (pid != PQbackendPID(db->conn)) {
				if (check_pooling(db, pid, err))
					return -1;
				db->pooled_pid = pid;
				snprintf(pid_text, sizeof(pid_text), "%d", pid);
				continue;
			}
		} else if (db->pooled_pid) {
			if (run_params(db, pooled_sql, 2, params, &res, FLUX_EXIT_REFUSED,
				       "cannot take the advisory lock", err))
				return -1;
			if (atoi(PQgetvalue(res, 0, 0)) != db->pooled_pid) {
				PQclear(res);
				return refuse_transaction_pooler(
					db,
					"our session moved to another server "
					"connection",
					err);
			}
			if (PQgetvalue(res, 0, 1)[0] == 't') {
				PQclear(res);
				return err_set(
					err, FLUX_EXIT_REFUSED,
					"advisory lock %s is already held by the pooler's server connection "
					"flux was given, left there by another client: the pooler pools "
					"transactions or does not reset sessions (server_reset_query); "
					"connect to the database directly",
					db->lock_id);
			}
			got = PQgetvalue(res, 0, 2)[0] == 't';
			PQclear(res);
		} else {
			if (run_params(db, "select pg_try_advisory_lock($1::bigint)", 1,
				       params, &res, FLUX_EXIT_REFUSED,
				       "cannot take the advisory lock", err))
				return -1;
			got = PQgetvalue(res, 0, 0)[0] == 't';
			PQclear(res);
		}
		if (got) {
			db->locked = true;
			if (logged)
				log_info("lock", "took advisory lock %s after %lld ms",
					 db->lock_id, clock_ms() - start);
			return 0;
		}
		now = clock_ms();
		if (db->cfg->lock_timeout_ms > 0 &&
		    now - start >= db->cfg->lock_timeout_ms)
			return err_set(
				err, FLUX_EXIT_LOCK,
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
	/*
	 * A read-only session (default_transaction_read_only) cannot have
	 * written anything: nothing to flush, and nothing to warn about.
	 */
	if (!run_params(db,
			"select case when current_setting('transaction_read_only') = 'on' "
			"then null else pg_logical_emit_message(true, 'flux', 'batch done') end",
			0, NULL, NULL, FLUX_EXIT_REFUSED, what, &e))
		return 0;
	if (e.code == FLUX_EXIT_UNAVAILABLE || PQstatus(db->conn) != CONNECTION_OK) {
		err_move(err, &e);
		return -1;
	}
	/* The commits are made; only the early flush was refused. */
	log_warn("durability",
		 "%s at once (the server writes them within its "
		 "wal_writer_delay): %s",
		 what, e.msg);
	err_release(&e);
	return 0;
}

/*
 * Release the lock on the backend that holds it. Behind a pooler the
 * unlock checks that it runs there; should the pooler have moved our
 * session after all, that backend is ended instead, so that the lock is
 * not left behind on a pooled server connection for other clients to
 * inherit.
 */
static int release_lock(struct db *db, struct flux_err *err)
{
	static const char pooled_sql[] =
		"select pg_backend_pid(), case when pg_backend_pid() = $2::int "
		"then pg_advisory_unlock($1::bigint) end";
	char pid_text[16];
	const char *params[2] = { db->lock_id, pid_text };
	PGresult *res;
	int pid;

	if (!db->pooled_pid)
		return run_params(db, "select pg_advisory_unlock($1::bigint)", 1, params,
				  NULL, FLUX_EXIT_REFUSED,
				  "cannot release the advisory lock", err);
	snprintf(pid_text, sizeof(pid_text), "%d", db->pooled_pid);
	if (run_params(db, pooled_sql, 2, params, &res, FLUX_EXIT_REFUSED,
		       "cannot release the advisory lock", err))
		return -1;
	pid = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (pid == db->pooled_pid)
		return 0;
	log_warn("lock",
		 "ending server backend %s, which holds advisory lock %s: the pooler moved "
		 "flux's session to backend %d",
		 pid_text, db->lock_id, pid);
	params[0] = pid_text;
	if (run_params(db, "select pg_terminate_backend($1::int)", 1, params, NULL,
		       FLUX_EXIT_REFUSED,
		       "cannot end the server backend holding the advisory lock", err))
		return -1;
	return refuse_transaction_pooler(db,
					 "our session moved to another server connection",
					 err);
}

/*
 * The end of a session: the flush (when commits were asynchronous) and the
 * unlock. On a direct connection both go in one round trip, the flush's
 * transaction committed before the lock is released; behind a pooler they
 * go one by one, the unlock checked to run on the backend holding the lock.
 * A refused flush function is a warning: the commits are made and the
 * server writes them within wal_writer_delay. A read-only session cannot
 * have written anything: no flush, no warning.
 */
static int pg_unlock(struct db *db, struct flux_err *err)
{
	static const char what[] = "cannot make the applied migrations durable";
	PGconn *c = db->conn;
	const char *params[1] = { db->lock_id };
	struct sb sql = SB_INIT;
	PGresult *res, *bad = NULL;
	int rc;

	db->setup_pending = false; /* nothing ran: nothing to guard */
	if (!db->locked)
		return 0;
	db->locked = false;
	if (db->pooled_pid || !db->async_commits) {
		rc = flush_commits(db, err);
		if (rc) {
			/* The flush's error is the news; the session ends either way. */
			struct flux_err ignore = FLUX_ERR_INIT;

			release_lock(db, &ignore);
			err_release(&ignore);
			return -1;
		}
		return release_lock(db, err);
	}
	db->async_commits = false;
	/* The lock id is a validated int64, printed by us: safe to splice. */
	sb_addf(&sql,
		"begin;reset synchronous_commit;"
		"select case when current_setting('transaction_read_only') = 'on' "
		"then null else pg_logical_emit_message(true, 'flux', 'batch done') end;commit;"
		"select pg_advisory_unlock(%s)",
		db->lock_id);
	if (!PQsendQuery(c, sql.buf)) {
		sb_release(&sql);
		return fail_result(db, NULL, FLUX_EXIT_UNAVAILABLE, what, err);
	}
	sb_release(&sql);
	while ((res = PQgetResult(c))) {
		if (!bad && PQresultStatus(res) == PGRES_FATAL_ERROR)
			bad = res;
		else
			PQclear(res);
	}
	if (!bad)
		return 0;
	if (PQstatus(c) != CONNECTION_OK) {
		fail_result(db, bad, FLUX_EXIT_UNAVAILABLE, what, err);
		PQclear(bad);
		return -1;
	}
	{
		/* The commits are made; only the early flush was refused. */
		struct flux_err e = FLUX_ERR_INIT;
		fail_result(db, bad, FLUX_EXIT_REFUSED, what, &e);
		log_warn("durability",
			 "%s at once (the server writes them within its "
			 "wal_writer_delay): %s",
			 what, e.msg);
		err_release(&e);
	}
	PQclear(bad);
	rollback_quietly(db);
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

/*
 * One statement of the history table's creation; the pending session
 * settings go first in the same string (one implicit transaction: they
 * stay pending should the statement fail).
 */
static int run_ddl(struct db *db, const char *ddl, const char *what, struct flux_err *err)
{
	struct sb sql = SB_INIT;
	bool setup = db->setup_pending;
	PGresult *res;
	int rc = 0;

	if (setup)
		sb_addf(&sql, "%s;", session_sql);
	sb_adds(&sql, ddl);
	res = PQexec(db->conn, sql.buf);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail_result(db, res, FLUX_EXIT_REFUSED, what, err);
	else if (setup)
		db->setup_pending = false;
	PQclear(res);
	sb_release(&sql);
	return rc;
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
	 * look first (pg_start usually has). to_regnamespace folds the name as
	 * the DDL does.
	 */
	if (db->schema_exists < 0) {
		if (run_params(db, "select to_regnamespace($1) is not null", 1, params,
			       &res, FLUX_EXIT_REFUSED,
			       "cannot look up the history table's schema", err))
			return -1;
		db->schema_exists = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
	}
	have_schema = db->schema_exists;
	rc = 0;
	if (!have_schema) {
		sb_addf(&sql, "create schema if not exists %s",
			db->cfg->migrations_schema);
		rc = run_ddl(db, sql.buf, "cannot create the history table's schema",
			     err);
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
		rc = run_ddl(db, sql.buf, "cannot create the history table", err);
	sb_release(&sql);
	return rc;
}

/*
 * Copy the rows of `select id, hash[, applied_at::text]` out of res;
 * applied_at is NULL when not selected.
 */
static void copy_rows(PGresult *res, struct plan_row **rows, size_t *n)
{
	int i, nt = PQntuples(res);
	bool at = PQnfields(res) > 2;

	*rows = xcalloc((size_t)nt + 1, sizeof(**rows));
	for (i = 0; i < nt; i++) {
		(*rows)[i].id = xstrdup(PQgetvalue(res, i, 0));
		(*rows)[i].hash = xstrdup(PQgetvalue(res, i, 1));
		(*rows)[i].applied_at = at ? xstrdup(PQgetvalue(res, i, 2)) : NULL;
	}
	*n = (size_t)nt;
}

static int pg_history_read(struct db *db, struct plan_row **rows, size_t *n,
			   struct flux_err *err)
{
	struct sb sql = SB_INIT;
	PGresult *res;

	*rows = NULL;
	*n = 0;
	sb_addf(&sql, "select id, hash, applied_at::text from %s", db->history);
	if (run_params(db, sql.buf, 0, NULL, &res, FLUX_EXIT_REFUSED,
		       "cannot read the history table", err)) {
		sb_release(&sql);
		return -1;
	}
	sb_release(&sql);
	copy_rows(res, rows, n);
	PQclear(res);
	return 0;
}

/*
 * Read a pipeline's results up to and including its next sync point;
 * keep the first query's result in *first (NULL if it had none), clear
 * the rest. -1 when the connection broke on the way.
 */
static int pipeline_take(PGconn *c, PGresult **first)
{
	PGresult *res;
	int nulls = 0;

	*first = NULL;
	for (;;) {
		res = PQgetResult(c);
		if (!res) {
			if (PQstatus(c) != CONNECTION_OK || ++nulls > 2)
				return -1;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			return 0;
		}
		if (!*first)
			*first = res;
		else
			PQclear(res);
	}
}

/*
 * The session's start in one round trip (pipeline mode), each part after
 * its own sync point so that one failing does not abort the others:
 *  - whether the history table exists and, with the lock, whether the
 *    server is a standby, which backend we talk to, and the lock itself,
 *    tried only on a direct connection to a primary (as pg_lock's first
 *    attempt);
 *  - the history read, which fails alone on a missing table (first run).
 * Anything but a direct connection taking a free lock (a standby, a
 * pooler, another migrator holding the lock) goes on the way pg_lock
 * goes, and the history is then read again under the lock. With the lock
 * on a direct connection (pg_backend_pid() is libpq's), the settings that
 * end an orphaned backend are left pending (setup_pending); a pooler's
 * shared server connections get them only once it is known to pin ours.
 */
static int pg_start(struct db *db, bool lock, bool *exists, struct plan_row **rows,
		    size_t *n, struct flux_err *err)
{
	static const char head_lock_sql[] =
		"select to_regclass($1) is not null, pg_backend_pid(), pg_is_in_recovery(), "
		"case when pg_backend_pid() = $3::int and not pg_is_in_recovery() "
		"then pg_try_advisory_lock($2::bigint) end, to_regnamespace($4) is not null";
	PGconn *c = db->conn;
	char pid_text[16];
	const char *params[4] = { db->history, db->lock_id, pid_text,
				  db->cfg->migrations_schema };
	struct sb read = SB_INIT;
	PGresult *head = NULL, *hist = NULL;
	bool got = !lock, direct = true, sent;
	int rc = -1, broke = 0;

	*rows = NULL;
	*n = 0;
	*exists = false;
	snprintf(pid_text, sizeof(pid_text), "%d", PQbackendPID(c));
	/* Only status shows applied_at; it takes no lock. */
	sb_addf(&read, "select id, hash%s from %s", lock ? "" : ", applied_at::text",
		db->history);
	sent = PQenterPipelineMode(c) &&
		PQsendQueryParams(c,
				  lock ? head_lock_sql :
					 "select to_regclass($1) is not null",
				  lock ? 4 : 1, NULL, params, NULL, NULL, 0) &&
		PQpipelineSync(c) &&
		PQsendQueryParams(c, read.buf, 0, NULL, NULL, NULL, NULL, 0) &&
		PQpipelineSync(c);
	sb_release(&read);
	if (!sent) {
		fail_result(db, NULL, FLUX_EXIT_REFUSED, "cannot read the history table",
			    err);
		goto cleanup;
	}
	broke = pipeline_take(c, &head);
	if (!broke)
		broke = pipeline_take(c, &hist);
	if (broke) {
		fail_result(db, NULL, FLUX_EXIT_UNAVAILABLE,
			    "cannot read the history table", err);
		goto cleanup;
	}
	if (PQresultStatus(head) != PGRES_TUPLES_OK || PQntuples(head) != 1) {
		fail_result(db, head, FLUX_EXIT_REFUSED,
			    lock ? "cannot take the advisory lock" :
				   "cannot look up the history table",
			    err);
		goto cleanup;
	}
	*exists = PQgetvalue(head, 0, 0)[0] == 't';
	if (lock) {
		direct = atoi(PQgetvalue(head, 0, 1)) == PQbackendPID(c) &&
			PQgetvalue(head, 0, 2)[0] != 't';
		got = direct && PQgetvalue(head, 0, 3)[0] == 't';
		/* Behind a pooler they wait until it is known to pin the session. */
		db->setup_pending = direct;
	}
	if (got) {
		db->locked = lock;
		/* Under the lock no other flux creates it meanwhile. */
		if (lock)
			db->schema_exists = PQgetvalue(head, 0, 4)[0] == 't';
	}
	if (got && *exists) {
		if (PQresultStatus(hist) != PGRES_TUPLES_OK) {
			fail_result(db, hist, FLUX_EXIT_REFUSED,
				    "cannot read the history table", err);
			goto cleanup;
		}
		copy_rows(hist, rows, n);
	}
	rc = 0;
cleanup:
	PQclear(head);
	PQclear(hist);
	if (PQpipelineStatus(c) != PQ_PIPELINE_OFF)
		PQexitPipelineMode(c);
	if (rc || got)
		return rc;
	/*
	 * A standby (refused), a pooler (checked, then its session set up),
	 * or another migrator holding the lock: pg_lock's way, then read again.
	 */
	if (pg_lock(db, err))
		return -1;
	if (db->pooled_pid && session_setup(db, err))
		return -1;
	if (pg_history_exists(db, exists, err))
		return -1;
	return *exists ? pg_history_read(db, rows, n, err) : 0;
}

/*
 * The server's error position is 1-based, in characters of the statement
 * we sent. Turn it into a byte offset of that statement; -1 if absent.
 */
static long position_offset(const char *stmt, size_t len, const char *pos_str, long shift)
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
static void add_context(struct flux_err *err, const char *text, size_t len, size_t off,
			int *line_out, int *col_out)
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
	long pos_shift;         /* characters we sent before the text ("begin;") */
};

/* Describe a migration's failure: file:line:col, message, SQLSTATE. */
static int fail_migration(struct db *db, PGresult *res, const struct run_unit *u,
			  struct flux_err *err)
{
	struct sb what = SB_INIT;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) :
				NULL;
	long off = u->text ?
		position_offset(u->text + u->stmt_start, u->stmt_len, pos, u->pos_shift) :
		-1;
	char *context = NULL;
	int line = -1, col = -1;

	if (off >= 0) {
		struct flux_err tmp = FLUX_ERR_INIT;
		add_context(&tmp, u->text, u->len, u->stmt_start + (size_t)off, &line,
			    &col);
		context = tmp.context;
	}
	if (line > 0)
		sb_addf(&what, "migration '%s' failed at %s:%d:%d", u->id, u->path, line,
			col);
	else
		sb_addf(&what, "migration '%s' failed (%s)", u->id, u->path);
	if (u->nstmts) {
		sb_addf(&what, " in statement %zu of %zu, run without a transaction",
			u->stmt_no, u->nstmts);
		if (u->stmt_no > 1)
			sb_addf(&what,
				" (statements 1-%zu already ran and were not rolled back)",
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

static const char *item_path(const struct db_item *item)
{
	return item->op == DB_UNDO && item->m->undo_path ? item->m->undo_path :
							   item->m->path;
}

/* What is run for item: its whole text, sent from its start. */
static void unit_init(struct run_unit *u, const struct db_item *item, const char *text,
		      size_t len)
{
	memset(u, 0, sizeof(*u));
	u->id = item->m->id;
	u->path = item_path(item);
	u->text = text;
	u->len = len;
	u->stmt_len = len;
}

/* Append s as a string literal, escaped for this connection. */
static void add_literal(struct db *db, struct sb *sb, const char *s)
{
	size_t len = strlen(s);
	int bad = 0;

	sb_addch(sb, '\'');
	sb_grow(sb, 2 * len + 1);
	sb_setlen(sb,
		  sb->len +
			  PQescapeStringConn(db->conn, sb->buf + sb->len, s, len, &bad));
	sb_addch(sb, '\'');
}

/*
 * Results of a query sent in single-row mode: rows are cleared as they
 * come, so a migration's SELECT of millions of rows costs no memory. COPY
 * FROM STDIN is ended with an error (flux has no data to send); COPY TO
 * STDOUT is read and dropped.
 */
static PGresult *next_result(PGconn *c)
{
	PGresult *res;

	for (;;) {
		res = PQgetResult(c);
		if (!res)
			return NULL;
		switch (PQresultStatus(res)) {
		case PGRES_COPY_IN:
			PQputCopyEnd(c,
				     "a migration cannot read COPY data from flux: "
				     "use COPY ... FROM a file the server reads, or INSERT");
			break;
		case PGRES_COPY_OUT: {
			char *buf = NULL;
			while (PQgetCopyData(c, &buf, 0) > 0) {
				PQfreemem(buf);
				buf = NULL;
			}
			break;
		}
		default:
			return res;
		}
		PQclear(res);
	}
}

/*
 * next_result, but first, while the server has sent nothing more, let
 * ev->idle work, taking in what arrives meanwhile. *more goes false once
 * idle has nothing left to do.
 */
static PGresult *next_result_idle(PGconn *c, const struct db_events *ev, bool *more)
{
	while (*more && PQisBusy(c)) {
		*more = ev->idle(ev->arg) != 0;
		if (!PQconsumeInput(c))
			break; /* PQgetResult reports it */
	}
	return next_result(c);
}

/* Send one piece of text; fail_migration on an error result. */
static int exec_text(struct db *db, const char *sql, const struct run_unit *u,
		     struct flux_err *err)
{
	PGresult *res, *bad = NULL;
	int rc = 0;

	if (!PQsendQuery(db->conn, sql))
		return fail_migration(db, NULL, u, err);
	PQsetSingleRowMode(db->conn);
	while ((res = next_result(db->conn))) {
		if (!bad && PQresultStatus(res) == PGRES_FATAL_ERROR)
			bad = res;
		else
			PQclear(res);
	}
	if (bad)
		rc = fail_migration(db, bad, u, err);
	PQclear(bad);
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
		err_set(err, FLUX_EXIT_DIRECTORY,
			"cannot split migration '%s' into statements: %s", u->path, msg);
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
		log_debug("statement", "'%s': statement %zu of %zu (line %d)", u->id,
			  i + 1, r.n, r.stmts[i].line);
		rc = exec_text(db, stmt.buf, u, err);
	}
	sb_release(&stmt);
	split_result_release(&r);
	return rc;
}

/*
 * The history change of an item, as SQL with the values as literals.
 * applied_at is clock_timestamp(), not the column's default: the
 * transactions of one query string share one start time, and each
 * migration should keep its own (the insert runs first in its transaction,
 * so the two are the same for a migration sent alone).
 */
static void add_history_op(struct db *db, struct sb *sql, const struct db_item *item)
{
	if (item->op == DB_APPLY) {
		sb_addf(sql, "insert into %s (id, hash, applied_at) values (",
			db->history);
		add_literal(db, sql, item->m->id);
		sb_adds(sql, ", ");
		add_literal(db, sql, item->m->hash);
		sb_adds(sql, ", clock_timestamp())");
	} else if (item->op == DB_UNDO) {
		sb_addf(sql, "delete from %s where id = ", db->history);
		add_literal(db, sql, item->m->id);
	}
}

/* Characters (not bytes) of UTF-8 text: the server counts positions so. */
static long utf8_chars(const char *s, size_t len)
{
	long n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/*
 * ddl_lock_timeout: each transactional migration's first statement after
 * flux's own is SET LOCAL lock_timeout, so that a migration's own SET LOCAL
 * (later in its text) wins.
 */
static void add_ddl_lock_timeout(struct db *db, struct sb *sql)
{
	if (db->cfg->ddl_lock_timeout_ms > 0)
		sb_addf(sql, "set local lock_timeout = %ld;",
			db->cfg->ddl_lock_timeout_ms);
}

/*
 * A text over this size runs in pieces of whole statements of about this
 * size, inside its one transaction: libpq keeps two copies of what it
 * sends (its output buffer and the query for its error reports), so a
 * large file sent whole would be held three times over.
 */
#define BIG_TEXT ((size_t)1 << 20)

/* pg_run_big: the text does not split; send it whole after all. */
#define BIG_WHOLE 1

/* Send sql and read its results, keeping the first error (the caller clears it). */
static PGresult *send_and_drain(PGconn *c, const char *sql, bool *sent)
{
	PGresult *res, *bad = NULL;

	*sent = PQsendQuery(c, sql) == 1;
	if (!*sent)
		return NULL;
	PQsetSingleRowMode(c);
	while ((res = next_result(c))) {
		if (!bad && PQresultStatus(res) == PGRES_FATAL_ERROR)
			bad = res;
		else
			PQclear(res);
	}
	return bad;
}

/*
 * One large transactional migration: BEGIN and its history change, then
 * its statements in pieces of about BIG_TEXT (a longer statement alone),
 * then COMMIT; a round trip each. Memory: the text once, and a piece.
 * Errors point into the file as for a chunk. BIG_WHOLE when the splitter
 * rejects the text (the server will say why, with the text sent whole).
 */
static int pg_run_big(struct db *db, const struct db_item *item,
		      const struct db_events *ev, size_t *ndone, struct flux_err *err)
{
	PGconn *c = db->conn;
	struct sb text = SB_INIT, piece = SB_INIT;
	struct split_result r = SPLIT_RESULT_INIT;
	struct flux_err split_err = FLUX_ERR_INIT;
	size_t *at = NULL;  /* each statement's offset in the piece */
	long *chars = NULL; /* and the characters before it there */
	PGresult *bad = NULL;
	struct run_unit u;
	long long t = clock_ms();
	size_t i = 0, j, k;
	bool sent;
	int rc = -1;

	*ndone = 0;
	if (mdir_load(item->m, item->op == DB_UNDO, &text, err))
		return -1;
	if (split_sql(text.buf, text.len, &r, &split_err)) {
		err_release(&split_err);
		sb_release(&text);
		return BIG_WHOLE;
	}
	unit_init(&u, item, text.buf, text.len);
	db->current_id = u.id;
	if (!db->async_commits)
		sb_adds(&piece, "set synchronous_commit to off;");
	sb_adds(&piece, "begin;");
	add_history_op(db, &piece, item);
	sb_adds(&piece, ";");
	add_ddl_lock_timeout(db, &piece);
	bad = send_and_drain(c, piece.buf, &sent);
	db->async_commits = true;
	if (!sent || bad) {
		struct sb what = SB_INIT;
		sb_addf(&what, "cannot record migration '%s' in the history table", u.id);
		fail_result(db, bad, FLUX_EXIT_MIGRATION, what.buf, err);
		sb_release(&what);
		err->id = xstrdup(u.id);
		goto cleanup;
	}
	at = xcalloc(r.n ? r.n : 1, sizeof(*at));
	chars = xcalloc(r.n ? r.n : 1, sizeof(*chars));
	while (i < r.n) {
		long nchars = 0;

		sb_reset(&piece);
		for (j = i; j < r.n && (j == i || piece.len + r.stmts[j].len < BIG_TEXT);
		     j++) {
			at[j] = piece.len;
			chars[j] = nchars;
			sb_add(&piece, text.buf + r.stmts[j].start, r.stmts[j].len);
			sb_adds(&piece, ";\n");
			nchars +=
				utf8_chars(text.buf + r.stmts[j].start, r.stmts[j].len) +
				2;
		}
		bad = send_and_drain(c, piece.buf, &sent);
		if (!sent || bad) {
			const char *pos = bad ?
				PQresultErrorField(bad, PG_DIAG_STATEMENT_POSITION) :
				NULL;
			long p = pos ? strtol(pos, NULL, 10) - 1 : -1;
			/* The statement the position falls in; the piece's first without one. */
			for (k = i; k + 1 < j && p >= chars[k + 1]; k++)
				;
			u.stmt_start = r.stmts[k].start;
			u.stmt_len = r.stmts[k].len;
			u.pos_shift = chars[k];
			fail_migration(db, bad, &u, err);
			goto cleanup;
		}
		i = j;
	}
	/* Behind a pooler: still on the backend holding the lock, before COMMIT. */
	if (pg_check_backend(db, err) ||
	    run_params(db, "commit", 0, NULL, NULL, FLUX_EXIT_MIGRATION,
		       "cannot commit the migration", err))
		goto cleanup;
	if (ev->done)
		ev->done(ev->arg, 0, (long)(clock_ms() - t));
	*ndone = 1;
	rc = 0;
cleanup:
	PQclear(bad);
	if (rc)
		rollback_quietly(db);
	db->current_id = NULL;
	split_result_release(&r);
	sb_release(&piece);
	sb_release(&text);
	free(at);
	free(chars);
	return rc;
}

/*
 * Was a chunk's first result the server refusing the whole string before
 * running any of it (a syntax error)? Not when the connection is gone or
 * the statement was cancelled: those are reported as they are.
 */
static bool rejected_unparsed(struct db *db, PGresult *bad)
{
	const char *state = PQresultErrorField(bad, PG_DIAG_SQLSTATE);

	return PQstatus(db->conn) == CONNECTION_OK &&
		PQtransactionStatus(db->conn) == PQTRANS_IDLE && state &&
		strncmp(state, "08", 2) && strncmp(state, "57", 2);
}

/* Events of a chunk run one item at a time, told with the chunk's indexes. */
struct shifted_events {
	const struct db_events *ev;
	size_t base;
};

static void shifted_done(void *arg, size_t index, long ms)
{
	struct shifted_events *sh = arg;

	if (sh->ev->done)
		sh->ev->done(sh->ev->arg, sh->base + index, ms);
}

/* Where one item's text stands in a chunk's query string. */
struct chunk_seg {
	size_t off; /* bytes before the text */
	size_t len; /* bytes of the text */
	long chars; /* characters before the text, for error positions */
};

/* The server's clock as an integer of microseconds since 1970. */
#define SERVER_CLOCK_US "(extract(epoch from clock_timestamp()) * 1000000)::int8"

/* flux's own SQL in a chunk's string (pg_run_chunk). */
#define CHUNK_SYNC_OFF "begin;set synchronous_commit to off;commit;"
#define CHUNK_END "select " SERVER_CLOCK_US " as \"flux:end\";"
#define ITEM_BEGIN "begin;select "
#define ITEM_MARKER " as \"flux:id\", " SERVER_CLOCK_US " as \"flux:at\";"
#define ITEM_COMMIT "\n;commit;"
/*
 * At most, an item's history change (its fixed words and the hash; the id
 * and the table's name counted apart) and SET LOCAL lock_timeout.
 */
#define ITEM_CHANGE_MAX 160

/* Milliseconds from one reading of SERVER_CLOCK_US to a later one. */
static long elapsed_ms(long long from_us, long long to_us)
{
	return from_us > 0 && to_us >= from_us ? (long)((to_us - from_us + 500) / 1000) :
						 0;
}

/*
 * A chunk of transactional migrations in one round trip: one simple-query
 * string holding, for each item,
 *
 *   begin;select 'ID' as "flux:id", <server clock> as "flux:at";
 *   <history change>;<text>
 *   ;commit;
 *
 * and at the end `select <server clock> as "flux:end"`.
 *
 * The server runs the statements in order and stops at the first error;
 * each item commits on its own, so the items before a failure stay
 * applied. The marker row tells where each item starts: it is the one
 * result between an item's BEGIN and its history change, so a failure
 * after item k's marker and before k+1's is item k's (its history change
 * right after the marker, else its text or its COMMIT). libpq reads
 * notices that follow a result before handing that result over, but never
 * past the next result, so the id switched at the marker row (followed by
 * its own end and the history change, which raise no notices) attributes
 * every notice of the text to the right migration. PostgreSQL parses the
 * whole string before running any of it: a syntax error anywhere comes
 * back as the first result, having run nothing (DB_CHUNK_UNPARSED).
 * The server sends its results when its buffer fills or the string ends,
 * not as each item ends, so an item's duration is the server's clock at
 * the next item's marker (or at the end) less its own. The first chunk
 * of a session also turns synchronous_commit off.
 */
static int pg_run_chunk(struct db *db, const struct db_item *items, size_t n,
			const struct db_events *ev, size_t *ndone, struct flux_err *err)
{
	PGconn *c = db->conn;
	struct sb q = SB_INIT;
	struct chunk_seg *seg = xcalloc(n, sizeof(*seg));
	PGresult *res, *bad = NULL;
	long cur = -1, bad_item = -1;
	size_t i, counted = 0, after = 0;
	long chars = 0;
	bool any = false, bad_history = false, more;
	long long t_us = 0, end_us = 0; /* the server's clock, microseconds */
	int rc = -1;

	*ndone = 0;
	if (pg_guard(db, err)) {
		free(seg);
		return -1;
	}
	if (db->pooled_pid && n > 1) {
		/* Behind a pooler each migration is checked before its COMMIT: one at a time. */
		struct shifted_events sh = { ev, 0 };
		struct db_events one = { &sh, shifted_done, NULL };
		size_t k;

		free(seg);
		for (k = 0; k < n; k++) {
			sh.base = k;
			rc = pg_run_chunk(db, items + k, 1, &one, ndone, err);
			if (rc) {
				*ndone = k + *ndone;
				return rc;
			}
		}
		*ndone = n;
		return 0;
	}
	if (n == 1 && db_item_size(&items[0]) > BIG_TEXT) {
		rc = pg_run_big(db, items, ev, ndone, err);
		if (rc != BIG_WHOLE)
			goto cleanup;
		rc = -1;
	}
	*ndone = 0;
	/* One allocation of the right size: no doubling copies of a large text. */
	for (i = 0; i < n; i++)
		counted += db_item_size(&items[i]) + 4 * strlen(items[i].m->id) +
			strlen(db->history) + sizeof(ITEM_BEGIN) + sizeof(ITEM_MARKER) +
			ITEM_CHANGE_MAX + sizeof(ITEM_COMMIT);
	sb_grow(&q, counted + sizeof(CHUNK_SYNC_OFF) + sizeof(CHUNK_END));
	counted = 0;
	/*
	 * In a transaction of its own, which commits whatever the first
	 * migration does (in its transaction it would be rolled back with it).
	 */
	if (!db->async_commits)
		sb_adds(&q, CHUNK_SYNC_OFF);
	for (i = 0; i < n; i++) {
		sb_adds(&q, ITEM_BEGIN);
		add_literal(db, &q, items[i].m->id);
		sb_adds(&q, ITEM_MARKER);
		add_history_op(db, &q, &items[i]);
		if (items[i].op != DB_REPEATABLE)
			sb_adds(&q, ";");
		add_ddl_lock_timeout(db, &q);
		sb_adds(&q, "\n");
		seg[i].off = q.len;
		if (items[i].text)
			sb_add(&q, items[i].text, items[i].text_len);
		else if (mdir_load(items[i].m, items[i].op == DB_UNDO, &q, err))
			goto cleanup;
		seg[i].len = q.len - seg[i].off;
		chars += utf8_chars(q.buf + counted, seg[i].off - counted);
		counted = seg[i].off;
		seg[i].chars = chars;
		/* Behind a pooler the COMMIT waits for pg_check_backend. */
		sb_adds(&q, db->pooled_pid ? "\n;" : ITEM_COMMIT);
	}
	sb_adds(&q, CHUNK_END);
	db->current_id = items[0].m->id;
	if (!PQsendQuery(c, q.buf)) {
		fail_result(db, NULL, FLUX_EXIT_MIGRATION, "cannot send the migrations",
			    err);
		goto cleanup;
	}
	/* Sent: whatever happens next, the session may commit asynchronously. */
	db->async_commits = true;
	PQsetSingleRowMode(c);
	more = ev->idle != NULL;
	while ((res = next_result_idle(c, ev, &more))) {
		ExecStatusType st = PQresultStatus(res);

		if (bad) {
			PQclear(res);
			continue;
		}
		if (st == PGRES_FATAL_ERROR) {
			bad = res;
			bad_item = cur;
			/* Right after the marker's own end comes the history change. */
			bad_history = cur >= 0 && after == 1 &&
				items[cur].op != DB_REPEATABLE;
			continue;
		}
		if (st == PGRES_SINGLE_TUPLE && PQnfields(res) == 2 &&
		    !strcmp(PQfname(res, 0), "flux:id") &&
		    !strcmp(PQfname(res, 1), "flux:at") && cur + 1 < (long)n &&
		    !strcmp(PQgetvalue(res, 0, 0), items[cur + 1].m->id)) {
			long long at = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
			if (cur >= 0 && ev->done)
				ev->done(ev->arg, (size_t)cur, elapsed_ms(t_us, at));
			cur++;
			*ndone = (size_t)cur;
			db->current_id = items[cur].m->id;
			t_us = at;
			after = 0;
		} else if (st == PGRES_SINGLE_TUPLE && cur == (long)n - 1 &&
			   PQnfields(res) == 1 && !strcmp(PQfname(res, 0), "flux:end")) {
			end_us = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		} else if (st != PGRES_SINGLE_TUPLE) {
			after++;
		}
		any = true;
		PQclear(res);
	}
	if (bad && !any && rejected_unparsed(db, bad)) {
		/* Rejected unparsed: nothing ran. One item reports it itself. */
		if (n > 1) {
			rc = DB_CHUNK_UNPARSED;
			goto cleanup;
		}
		bad_item = 0;
	}
	if (bad && PQstatus(c) != CONNECTION_OK) {
		/*
		 * The server runs what it was sent whether or not we hear back:
		 * the migrations after the one in flight may still commit there,
		 * each with its history row, which a rerun sees.
		 */
		struct sb what = SB_INIT;
		size_t k = bad_item < 0 ? 0 : (size_t)bad_item;
		sb_addf(&what, "migration '%s' was running", items[k].m->id);
		if (k + 1 < n)
			sb_addf(&what,
				" (the %zu sent after it may still commit on the server, each "
				"with its history row)",
				n - k - 1);
		fail_result(db, bad, FLUX_EXIT_UNAVAILABLE, what.buf, err);
		sb_release(&what);
		goto cleanup;
	}
	if (bad) {
		const struct db_item *it = &items[bad_item < 0 ? 0 : bad_item];
		if (bad_history) {
			struct sb what = SB_INIT;
			sb_addf(&what,
				"cannot record migration '%s' in the history table",
				it->m->id);
			fail_result(db, bad, FLUX_EXIT_MIGRATION, what.buf, err);
			sb_release(&what);
			err->id = xstrdup(it->m->id);
		} else {
			struct run_unit u;
			size_t k = (size_t)(it - items);
			unit_init(&u, it, q.buf + seg[k].off, seg[k].len);
			u.pos_shift = seg[k].chars;
			fail_migration(db, bad, &u, err);
		}
		goto cleanup;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		fail_result(db, NULL, FLUX_EXIT_UNAVAILABLE, "cannot run the migrations",
			    err);
		goto cleanup;
	}
	if (cur != (long)n - 1) {
		err_set(err, FLUX_EXIT_MIGRATION,
			"lost track of the migrations sent together: %ld of %zu started (is a "
			"column named \"flux:id\" selected?)",
			cur + 1, n);
		goto cleanup;
	}
	if (db->pooled_pid &&
	    (pg_check_backend(db, err) ||
	     run_params(db, "commit", 0, NULL, NULL, FLUX_EXIT_MIGRATION,
			"cannot commit the migration", err)))
		goto cleanup;
	if (ev->done)
		ev->done(ev->arg, (size_t)cur, elapsed_ms(t_us, end_us));
	*ndone = n;
	rc = 0;
cleanup:
	PQclear(bad);
	if (rc)
		rollback_quietly(db);
	db->current_id = NULL;
	sb_release(&q);
	free(seg);
	return rc;
}

/*
 * A no-transaction migration: its statements one by one, then its history
 * row, written only after the last statement succeeded.
 */
static int pg_run_one(struct db *db, const struct db_item *item, struct flux_err *err)
{
	struct sb text = SB_INIT, sql = SB_INIT;
	struct run_unit u;
	int rc = -1;

	if (!db_item_no_transaction(item)) {
		struct db_events none = { NULL, NULL, NULL };
		size_t ndone;
		return pg_run_chunk(db, item, 1, &none, &ndone, err) ? -1 : 0;
	}
	if (pg_guard(db, err) || begin_async(db, err) ||
	    mdir_load(item->m, item->op == DB_UNDO, &text, err))
		goto cleanup;
	unit_init(&u, item, text.buf, text.len);
	db->current_id = u.id;
	if (pg_check_backend(db, err) || exec_statements(db, &u, err))
		goto cleanup;
	add_history_op(db, &sql, item);
	if (sql.len &&
	    run_params(db, sql.buf, 0, NULL, NULL, FLUX_EXIT_MIGRATION,
		       "cannot record the migration in the history table", err))
		goto cleanup;
	rc = 0;
cleanup:
	if (rc)
		rollback_quietly(db);
	db->current_id = NULL;
	sb_release(&sql);
	sb_release(&text);
	return rc;
}

/*
 * Who most likely held what a migration could not lock: the oldest other
 * transaction of this database holding a relation lock (the lock wait has
 * ended with the timeout, so pg_blocking_pids() cannot be asked anymore).
 */
static void pg_lock_blockers(struct db *db, struct sb *out)
{
	static const char sql[] =
		"select a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), "
		"round(extract(epoch from clock_timestamp() - coalesce(a.xact_start, a.query_start)))::bigint, "
		"left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 60) "
		"from pg_stat_activity a "
		"where a.pid <> pg_backend_pid() and a.datname = current_database() "
		"and a.xact_start is not null and exists (select 1 from pg_locks l "
		"where l.pid = a.pid and l.granted and l.locktype = 'relation') "
		"order by a.xact_start limit 1";
	PGresult *res = PQexec(db->conn, sql);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		sb_addf(out, "pid %s (application '%s', %s for %s s, query '%s')",
			PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
			PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
			PQgetvalue(res, 0, 4));
	else
		sb_adds(out, "a session that has since let go");
	PQclear(res);
}

static const char init_template[] = "[backend]\n"
				    "# migrations_schema = \"public\"\n"
				    "# migrations_table = \"_flux_migrations\"\n"
				    "# migrations_lock_id = 3589\n";

const struct db_backend db_postgres_backend = {
	.name = "postgres",
	.init_template = init_template,
	.url_looks_like = pg_url_looks_like,
	.url_check = pg_url_check,
	.url_redact = pg_url_redact,
	.url_redact_text = pg_url_redact_text,
	.url_scrub = pg_url_scrub,
	.wait = pg_wait,
	.cancel_from_signal = pg_cancel_from_signal,
	.open = pg_open,
	.close = pg_close,
	.start = pg_start,
	.unlock = pg_unlock,
	.history_create = pg_history_create,
	.guard = pg_guard,
	.run_chunk = pg_run_chunk,
	.run_one = pg_run_one,
	.lock_blockers = pg_lock_blockers,
};
