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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "clock.h"
#include "log.h"
#include "sb.h"
#include "split.h"
#include "xalloc.h"

volatile sig_atomic_t db_interrupted;

/* The open connection's cancel handle, for the signal handler. */
static PGcancel *volatile cancel_handle;

int db_cancel_from_signal(void)
{
	char buf[256];
	PGcancel *c = cancel_handle;

	if (!c)
		return 0;
	PQcancel(c, buf, sizeof(buf));
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

/* Connection parameters: connect_timeout first so the URL may override it. */
struct conn_params {
	const char *keys[5];
	const char *vals[5];
};

static void conn_params_init(struct conn_params *p, const struct flux_config *cfg)
{
	int i = 0;

	p->keys[i] = "connect_timeout";
	p->vals[i++] = "10";
	if (cfg->database_url) {
		p->keys[i] = "dbname";
		p->vals[i++] = cfg->database_url;
	}
	p->keys[i] = "fallback_application_name";
	p->vals[i++] = "flux";
	p->keys[i] = NULL;
	p->vals[i] = NULL;
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

/* The server answers a plain-text ping although ours got no answer. */
static bool up_without_tls(const struct conn_params *p)
{
	struct conn_params plain = *p;
	int i;

	for (i = 0; plain.keys[i]; i++)
		;
	plain.keys[i] = "sslmode";
	plain.vals[i] = "disable";
	plain.keys[i + 1] = NULL;
	plain.vals[i + 1] = NULL;
	return PQpingParams(plain.keys, plain.vals, 1) == PQPING_OK;
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
 * Connect, or report why not. The server answering PQping but refusing the
 * connection means authentication, a missing database or a permission:
 * exit 7 at once. No answer at all is retried until the wait timeout.
 */
static PGconn *connect_waiting(const struct flux_config *cfg, struct flux_err *err)
{
	struct conn_params p;
	long long start = clock_ms(), last_log = start;
	long backoff = 0;
	char *target = describe_target(cfg);
	char *last = NULL;
	PGconn *conn = NULL;
	bool need_tls = tls_required(cfg);

	conn_params_init(&p, cfg);
	/*
	 * Most runs find the server up: connect at once, which saves the
	 * backend start a ping costs. Only a failure goes on to the ping loop,
	 * which tells "not up yet" (wait) from "up and refusing" (exit 7).
	 */
	conn = PQconnectdbParams(p.keys, p.vals, 1);
	if (PQstatus(conn) == CONNECTION_OK)
		goto done;
	last = one_line(PQerrorMessage(conn));
	PQfinish(conn);
	conn = NULL;
	for (;;) {
		PGPing ping;
		long long now;

		if (db_interrupted) {
			err_set(err, interrupted_code(), "interrupted while waiting for the database at %s", target);
			break;
		}
		ping = PQpingParams(p.keys, p.vals, 1);
		if (ping == PQPING_NO_ATTEMPT) {
			err_set(err, FLUX_EXIT_CONFIG, "invalid connection parameters for the database at %s", target);
			break;
		}
		if (ping == PQPING_OK) {
			conn = PQconnectdbParams(p.keys, p.vals, 1);
			if (PQstatus(conn) == CONNECTION_OK)
				break;
			free(last);
			last = one_line(PQerrorMessage(conn));
			PQfinish(conn);
			conn = NULL;
			/* Up a moment ago and still up: it refused us, so do not retry. */
			if (PQpingParams(p.keys, p.vals, 1) == PQPING_OK) {
				err_set(err, FLUX_EXIT_REFUSED, "database at %s refused the connection: %s", target, last);
				break;
			}
		} else if (ping == PQPING_NO_RESPONSE && need_tls && up_without_tls(&p)) {
			PGconn *probe = PQconnectdbParams(p.keys, p.vals, 1);
			free(last);
			last = one_line(PQerrorMessage(probe));
			PQfinish(probe);
			/* It answers without TLS: a refusal or a certificate we reject. */
			err_set(err, FLUX_EXIT_REFUSED, "cannot connect to the database at %s over TLS: %s",
				target, last);
			break;
		}
		now = clock_ms();
		if (now - start >= cfg->wait_timeout_ms) {
			if (!last) {
				PGconn *probe = PQconnectdbParams(p.keys, p.vals, 1);
				last = one_line(PQerrorMessage(probe));
				PQfinish(probe);
			}
			if (cfg->wait_timeout_ms == 0)
				err_set(err, FLUX_EXIT_UNAVAILABLE, "database at %s is not available: %s", target, last);
			else
				err_set(err, FLUX_EXIT_UNAVAILABLE, "database at %s not available after %lld ms: %s",
					target, now - start, last);
			break;
		}
		if (now - last_log >= 5000) {
			log_info("wait", "waiting for the database at %s (%lld s)", target, (now - start) / 1000);
			last_log = now;
		}
		backoff = clock_backoff(backoff, 250);
		if (backoff > cfg->wait_timeout_ms - (now - start))
			backoff = (long)(cfg->wait_timeout_ms - (now - start));
		clock_sleep_ms(backoff);
	}
done:
	if (conn)
		log_debug("connect", "connected to %s", target);
	free(last);
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

/*
 * The end of a session: the flush (when commits were asynchronous) and the
 * unlock in one round trip, the flush's transaction committed before the
 * lock is released. A refused flush function is a warning: the commits are
 * made and the server writes them within wal_writer_delay.
 */
static int pg_unlock(struct db *db, struct flux_err *err)
{
	static const char what[] = "cannot make the applied migrations durable";
	PGconn *c = db->conn;
	const char *params[1] = { db->lock_id };
	struct sb sql = SB_INIT;
	PGresult *res, *bad = NULL;
	bool flush = db->async_commits;

	if (!db->locked)
		return 0;
	db->locked = false;
	db->async_commits = false;
	if (!flush)
		return run_params(db, "select pg_advisory_unlock($1::bigint)", 1, params, NULL,
				  FLUX_EXIT_REFUSED, "cannot release the advisory lock", err);
	/* The lock id is a validated int64, printed by us: safe to splice. */
	sb_addf(&sql, "begin;reset synchronous_commit;"
		"select pg_logical_emit_message(true, 'flux', 'batch done');commit;"
		"select pg_advisory_unlock(%s)", db->lock_id);
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
		log_warn("durability", "%s at once (the server writes them within its "
			 "wal_writer_delay): %s", what, e.msg);
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

/* Copy the rows of `select id, hash, applied_at::text` out of res. */
static void copy_rows(PGresult *res, struct plan_row **rows, size_t *n)
{
	int i, nt = PQntuples(res);

	*rows = xcalloc((size_t)nt + 1, sizeof(**rows));
	for (i = 0; i < nt; i++) {
		(*rows)[i].id = xstrdup(PQgetvalue(res, i, 0));
		(*rows)[i].hash = xstrdup(PQgetvalue(res, i, 1));
		(*rows)[i].applied_at = xstrdup(PQgetvalue(res, i, 2));
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
 * The session's start in one round trip (pipeline mode): whether the
 * history table exists and the lock (when asked) in one query, and the
 * history read after its own sync point, so that a missing table (the
 * first run) fails only that read. A read made while another migrator
 * held the lock is thrown away: then the lock is polled and the history
 * read again under it.
 */
static int pg_start(struct db *db, bool lock, bool *exists, struct plan_row **rows,
		    size_t *n, struct flux_err *err)
{
	PGconn *c = db->conn;
	const char *params[2] = { db->history, db->lock_id };
	struct sb read = SB_INIT;
	PGresult *head = NULL, *hist = NULL;
	bool got = !lock, sent;
	int rc = -1, broke;

	*rows = NULL;
	*n = 0;
	*exists = false;
	sb_addf(&read, "select id, hash, applied_at::text from %s", db->history);
	sent = PQenterPipelineMode(c) &&
	       PQsendQueryParams(c, lock ? "select to_regclass($1) is not null, "
					   "pg_try_advisory_lock($2::bigint)"
					 : "select to_regclass($1) is not null",
				 lock ? 2 : 1, NULL, params, NULL, NULL, 0) &&
	       PQpipelineSync(c) &&
	       PQsendQueryParams(c, read.buf, 0, NULL, NULL, NULL, NULL, 0) &&
	       PQpipelineSync(c);
	sb_release(&read);
	if (!sent) {
		fail_result(db, NULL, FLUX_EXIT_REFUSED, "cannot read the history table", err);
		goto cleanup;
	}
	broke = pipeline_take(c, &head);
	if (!broke)
		broke = pipeline_take(c, &hist);
	if (PQresultStatus(head) != PGRES_TUPLES_OK || PQntuples(head) != 1) {
		fail_result(db, head, FLUX_EXIT_REFUSED,
			    lock ? "cannot take the advisory lock" : "cannot look up the history table",
			    err);
		goto cleanup;
	}
	if (broke) {
		fail_result(db, NULL, FLUX_EXIT_UNAVAILABLE, "cannot read the history table", err);
		goto cleanup;
	}
	*exists = PQgetvalue(head, 0, 0)[0] == 't';
	if (lock)
		got = PQgetvalue(head, 0, 1)[0] == 't';
	if (lock && got)
		db->locked = true;
	if (got && *exists) {
		if (PQresultStatus(hist) != PGRES_TUPLES_OK) {
			fail_result(db, hist, FLUX_EXIT_REFUSED, "cannot read the history table", err);
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
	/* Another migrator holds the lock: wait for it, then read again. */
	if (pg_lock(db, err) || pg_history_exists(db, exists, err))
		return -1;
	return *exists ? pg_history_read(db, rows, n, err) : 0;
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

bool db_item_no_transaction(const struct db_item *item)
{
	return item->op == DB_UNDO ? item->m->undo_no_transaction : item->m->no_transaction;
}

size_t db_item_size(const struct db_item *item)
{
	return item->op == DB_UNDO ? item->m->undo_len : item->m->text_len;
}

static const char *item_path(const struct db_item *item)
{
	return item->op == DB_UNDO && item->m->undo_path ? item->m->undo_path : item->m->path;
}

/* Append s as a string literal, escaped for this connection. */
static void add_literal(struct db *db, struct sb *sb, const char *s)
{
	size_t len = strlen(s);
	int bad = 0;

	sb_addch(sb, '\'');
	sb_grow(sb, 2 * len + 1);
	sb_setlen(sb, sb->len + PQescapeStringConn(db->conn, sb->buf + sb->len, s, len, &bad));
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
			PQputCopyEnd(c, "a migration cannot read COPY data from flux: "
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
		sb_addf(sql, "insert into %s (id, hash, applied_at) values (", db->history);
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
		sb_addf(sql, "set local lock_timeout = %ld;", db->cfg->ddl_lock_timeout_ms);
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
	size_t *at = NULL; /* each statement's offset in the piece */
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
	memset(&u, 0, sizeof(u));
	u.id = item->m->id;
	u.path = item_path(item);
	u.text = text.buf;
	u.len = text.len;
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
		for (j = i; j < r.n && (j == i || piece.len + r.stmts[j].len < BIG_TEXT); j++) {
			at[j] = piece.len;
			chars[j] = nchars;
			sb_add(&piece, text.buf + r.stmts[j].start, r.stmts[j].len);
			sb_adds(&piece, ";\n");
			nchars += utf8_chars(text.buf + r.stmts[j].start, r.stmts[j].len) + 2;
		}
		bad = send_and_drain(c, piece.buf, &sent);
		if (!sent || bad) {
			const char *pos = bad ? PQresultErrorField(bad, PG_DIAG_STATEMENT_POSITION) : NULL;
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
	if (run_params(db, "commit", 0, NULL, NULL, FLUX_EXIT_MIGRATION,
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

/* Where one item's text stands in a chunk's query string. */
struct chunk_seg {
	size_t off;  /* bytes before the text */
	size_t len;  /* bytes of the text */
	long chars;  /* characters before the text, for error positions */
};

/*
 * A chunk of transactional migrations in one round trip: one simple-query
 * string holding, for each item,
 *
 *   begin;select 'ID' as "flux:id";<history change>;<text>
 *   ;commit;
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
 * The first chunk of a session also turns synchronous_commit off.
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
	bool any = false, bad_history = false;
	long long t = clock_ms();
	int rc = -1;

	if (n == 1 && db_item_size(&items[0]) > BIG_TEXT) {
		rc = pg_run_big(db, items, ev, ndone, err);
		if (rc != BIG_WHOLE)
			goto cleanup;
		rc = -1;
	}
	*ndone = 0;
	/* One allocation of the right size: no doubling copies of a large text. */
	for (i = 0; i < n; i++)
		counted += db_item_size(&items[i]) + 4 * strlen(items[i].m->id) + 200 +
			   strlen(db->history);
	sb_grow(&q, counted);
	counted = 0;
	if (!db->async_commits)
		sb_adds(&q, "set synchronous_commit to off;");
	for (i = 0; i < n; i++) {
		sb_adds(&q, "begin;select ");
		add_literal(db, &q, items[i].m->id);
		sb_adds(&q, " as \"flux:id\";");
		add_history_op(db, &q, &items[i]);
		if (items[i].op != DB_REPEATABLE)
			sb_adds(&q, ";");
		add_ddl_lock_timeout(db, &q);
		sb_adds(&q, "\n");
		seg[i].off = q.len;
		if (mdir_load(items[i].m, items[i].op == DB_UNDO, &q, err))
			goto cleanup;
		seg[i].len = q.len - seg[i].off;
		chars += utf8_chars(q.buf + counted, seg[i].off - counted);
		counted = seg[i].off;
		seg[i].chars = chars;
		sb_adds(&q, "\n;commit;");
	}
	db->current_id = items[0].m->id;
	if (!PQsendQuery(c, q.buf)) {
		fail_result(db, NULL, FLUX_EXIT_MIGRATION, "cannot send the migrations", err);
		goto cleanup;
	}
	/* Sent: whatever happens next, the session may commit asynchronously. */
	db->async_commits = true;
	PQsetSingleRowMode(c);
	while ((res = next_result(c))) {
		ExecStatusType st = PQresultStatus(res);

		if (bad) {
			PQclear(res);
			continue;
		}
		if (st == PGRES_FATAL_ERROR) {
			bad = res;
			bad_item = cur;
			/* Right after the marker's own end comes the history change. */
			bad_history = cur >= 0 && after == 1 && items[cur].op != DB_REPEATABLE;
			continue;
		}
		if (st == PGRES_SINGLE_TUPLE && PQnfields(res) == 1 &&
		    !strcmp(PQfname(res, 0), "flux:id") && cur + 1 < (long)n &&
		    !strcmp(PQgetvalue(res, 0, 0), items[cur + 1].m->id)) {
			long long now = clock_ms();
			if (cur >= 0 && ev->done)
				ev->done(ev->arg, (size_t)cur, (long)(now - t));
			cur++;
			*ndone = (size_t)cur;
			db->current_id = items[cur].m->id;
			t = now;
			after = 0;
		} else if (st != PGRES_SINGLE_TUPLE) {
			after++;
		}
		any = true;
		PQclear(res);
	}
	if (bad && !any) {
		/* Rejected unparsed: nothing ran. One item reports it itself. */
		if (n > 1) {
			rc = DB_CHUNK_UNPARSED;
			goto cleanup;
		}
		bad_item = 0;
	}
	if (bad) {
		const struct db_item *it = &items[bad_item < 0 ? 0 : bad_item];
		if (bad_history) {
			struct sb what = SB_INIT;
			sb_addf(&what, "cannot record migration '%s' in the history table", it->m->id);
			fail_result(db, bad, FLUX_EXIT_MIGRATION, what.buf, err);
			sb_release(&what);
			err->id = xstrdup(it->m->id);
		} else {
			struct run_unit u;
			size_t k = (size_t)(it - items);
			memset(&u, 0, sizeof(u));
			u.id = it->m->id;
			u.path = item_path(it);
			u.text = q.buf + seg[k].off;
			u.len = seg[k].len;
			u.stmt_len = u.len;
			u.pos_shift = seg[k].chars;
			fail_migration(db, bad, &u, err);
		}
		goto cleanup;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		fail_result(db, NULL, FLUX_EXIT_UNAVAILABLE, "cannot run the migrations", err);
		goto cleanup;
	}
	if (cur != (long)n - 1) {
		err_set(err, FLUX_EXIT_MIGRATION,
			"lost track of the migrations sent together: %ld of %zu started (is a "
			"column named \"flux:id\" selected?)", cur + 1, n);
		goto cleanup;
	}
	if (ev->done)
		ev->done(ev->arg, (size_t)cur, (long)(clock_ms() - t));
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
		struct db_events none = { NULL, NULL };
		size_t ndone;
		return pg_run_chunk(db, item, 1, &none, &ndone, err) ? -1 : 0;
	}
	if (begin_async(db, err) || mdir_load(item->m, item->op == DB_UNDO, &text, err))
		goto cleanup;
	memset(&u, 0, sizeof(u));
	u.id = item->m->id;
	u.path = item_path(item);
	u.text = text.buf;
	u.len = text.len;
	u.stmt_len = u.len;
	db->current_id = u.id;
	if (exec_statements(db, &u, err))
		goto cleanup;
	add_history_op(db, &sql, item);
	if (sql.len && run_params(db, sql.buf, 0, NULL, NULL, FLUX_EXIT_MIGRATION,
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
			PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
			PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
	else
		sb_adds(out, "a session that has since let go");
	PQclear(res);
}

static const struct db_backend backends[] = {
	{
		"postgres", pg_open, pg_close, pg_start, pg_unlock,
		pg_history_create, pg_run_chunk, pg_run_one, pg_lock_blockers,
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
