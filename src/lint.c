#include "lint.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sb.h"
#include "split.h"
#include "sqltok.h"
#include "xalloc.h"

#define BIT(r) (1u << (r))

const struct lint_rule_info lint_rules[LINT_NRULES] = {
	[LINT_INDEX_NOT_CONCURRENT] = { "index-not-concurrent", LINT_ERROR,
					"use CREATE INDEX / DROP INDEX / REINDEX ... CONCURRENTLY in a migration "
					"whose first line is -- flux:no-transaction" },
	[LINT_CONCURRENTLY_IN_TRANSACTION] = { "concurrently-in-transaction", LINT_ERROR,
					       "make -- flux:no-transaction the file's first line, and make the statement "
					       "re-runnable (IF NOT EXISTS / IF EXISTS)" },
	[LINT_CONSTRAINT_NOT_VALID] = { "constraint-not-valid", LINT_ERROR,
					"add the constraint with NOT VALID, then VALIDATE CONSTRAINT in a later "
					"migration (or a -- flux:no-transaction one)" },
	[LINT_SET_NOT_NULL] = { "set-not-null", LINT_ERROR,
				"add CHECK (col IS NOT NULL) NOT VALID; in a later migration VALIDATE "
				"CONSTRAINT, then SET NOT NULL (no scan on PostgreSQL 12+) and drop the check" },
	[LINT_COLUMN_TYPE_CHANGE] = { "column-type-change", LINT_ERROR,
				      "add a new column, backfill it in batches, move the application over, drop "
				      "the old one (varchar to text or a longer varchar needs no rewrite: suppress it)" },
	[LINT_ADD_COLUMN_VOLATILE_DEFAULT] = { "add-column-volatile-default", LINT_ERROR,
					       "add the column without a default (or with a constant one), then SET DEFAULT "
					       "and backfill existing rows in batches" },
	[LINT_ADD_COLUMN_REQUIRED] = { "add-column-required", LINT_ERROR,
				       "add the column nullable or with a constant DEFAULT; backfill, then make it "
				       "NOT NULL the safe way" },
	[LINT_UNIQUE_BUILDS_INDEX] = { "unique-builds-index", LINT_ERROR,
				       "CREATE UNIQUE INDEX CONCURRENTLY in a -- flux:no-transaction migration, then "
				       "ADD CONSTRAINT name UNIQUE USING INDEX (or PRIMARY KEY USING INDEX)" },
	[LINT_TABLE_REWRITE] = { "table-rewrite", LINT_ERROR,
				 "use plain VACUUM, or an online tool such as pg_repack, outside migrations" },
	[LINT_TRANSACTION_CONTROL] = { "transaction-control", LINT_ERROR,
				       "remove it: flux runs the file in one transaction; for statements that need "
				       "their own, make -- flux:no-transaction the first line" },
	[LINT_RENAME] = { "rename", LINT_WARNING,
			  "add the new column (or a view for a table), write to both, move readers "
			  "over, then drop the old name" },
	[LINT_DROP_COLUMN_OR_TABLE] = { "drop-column-or-table", LINT_WARNING,
					"deploy code that no longer uses it first, then drop it" },
	[LINT_MISSING_LOCK_TIMEOUT] = { "missing-lock-timeout", LINT_WARNING,
					"begin the file with SET LOCAL lock_timeout = '5s' (SET lock_timeout in a "
					"-- flux:no-transaction file), so a blocked ALTER fails instead of queueing "
					"every query" },
};

const char *lint_severity_name(enum lint_severity s)
{
	return s == LINT_ERROR ? "error" : "warning";
}

int lint_rule_find(const char *id, size_t len)
{
	int i;

	for (i = 0; i < LINT_NRULES; i++)
		if (strlen(lint_rules[i].id) == len && !memcmp(lint_rules[i].id, id, len))
			return i;
	return -1;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int lint_parse_rule_list(const char *s, unsigned *mask, const char **bad, size_t *bad_len)
{
	const char *p = s, *start, *stop;
	int r;

	*mask = 0;
	while (*p) {
		while (is_blank((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != ',' && !is_blank((unsigned char)*p))
			p++;
		stop = p;
		while (is_blank((unsigned char)*p))
			p++;
		if (*p && *p != ',') {
			/* "a b": two words without a comma is not a list of IDs. */
			while (*p && *p != ',')
				p++;
			stop = p;
			while (stop > start && is_blank((unsigned char)stop[-1]))
				stop--;
		}
		r = lint_rule_find(start, (size_t)(stop - start));
		if (r < 0) {
			*bad = start;
			*bad_len = (size_t)(stop - start);
			return -1;
		}
		*mask |= BIT(r);
	}
	return 0;
}

/* --- a statement: its tokens, comments left out ---------------------------- */

struct stmt {
	const struct sqltok *const *t;
	size_t n;
};

static const struct sqltok *at(const struct stmt *s, size_t i)
{
	return i < s->n ? s->t[i] : NULL;
}

static bool kw(const struct stmt *s, size_t i, const char *word)
{
	const struct sqltok *t = at(s, i);

	return t && t->kind == SQLTOK_WORD && !strcmp(t->val, word);
}

static bool punct(const struct stmt *s, size_t i, char c)
{
	const struct sqltok *t = at(s, i);

	return t && t->kind == SQLTOK_PUNCT && t->val[0] == c;
}

static bool is_name(const struct stmt *s, size_t i)
{
	const struct sqltok *t = at(s, i);

	return t && (t->kind == SQLTOK_WORD || t->kind == SQLTOK_QIDENT);
}

/* A possibly qualified name; schema NULL when unqualified. */
struct qname {
	const char *schema;
	const char *name;
};

/* Read name[.name[.name]] at i; returns the index after it (i when none). */
static size_t parse_qname(const struct stmt *s, size_t i, struct qname *q)
{
	q->schema = NULL;
	q->name = NULL;
	if (!is_name(s, i))
		return i;
	q->name = s->t[i]->val;
	i++;
	while (punct(s, i, '.') && is_name(s, i + 1)) {
		q->schema = q->name;
		q->name = s->t[i + 1]->val;
		i += 2;
	}
	return i;
}

/* Skip a parenthesised group starting at i (which is '('). */
static size_t skip_parens(const struct stmt *s, size_t i)
{
	size_t depth = 0;

	for (; i < s->n; i++) {
		if (punct(s, i, '('))
			depth++;
		else if (punct(s, i, ')') && depth && --depth == 0)
			return i + 1;
	}
	return i;
}

/* --- names seen in the file -------------------------------------------------- */

struct name_entry {
	char *schema; /* NULL: unqualified */
	char *name;
	char *extra; /* a constraint's name, for not_valid; else NULL */
};

struct name_set {
	struct name_entry *e;
	size_t n, alloc;
};

static bool same_name(const char *schema_a, const char *a, const char *schema_b,
		      const char *b)
{
	if (strcmp(a, b))
		return false;
	return !schema_a || !schema_b || !strcmp(schema_a, schema_b);
}

static void set_add(struct name_set *set, const struct qname *q, const char *extra)
{
	struct name_entry *e;

	if (!q->name)
		return;
	XGROW(set->e, set->alloc, set->n + 1);
	e = &set->e[set->n++];
	e->schema = q->schema ? xstrdup(q->schema) : NULL;
	e->name = xstrdup(q->name);
	e->extra = extra ? xstrdup(extra) : NULL;
}

static bool set_has(const struct name_set *set, const struct qname *q, const char *extra)
{
	size_t i;

	if (!q->name)
		return false;
	for (i = 0; i < set->n; i++) {
		const struct name_entry *e = &set->e[i];

		if (same_name(e->schema, e->name, q->schema, q->name) &&
		    (!extra || (e->extra && !strcmp(e->extra, extra))))
			return true;
	}
	return false;
}

static void set_release(struct name_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->e[i].schema);
		free(set->e[i].name);
		free(set->e[i].extra);
	}
	free(set->e);
}

/* --- the file being linted ------------------------------------------------- */

struct file {
	const struct lint_options *opt;
	struct lint_result *out;
	struct name_set tables;    /* created earlier in the file */
	struct name_set indexes;   /* created earlier in the file */
	struct name_set validated; /* tables with a VALIDATE CONSTRAINT earlier */
	struct name_set not_valid; /* (table, constraint) added NOT VALID earlier */
	bool lock_timeout;         /* a SET lock_timeout is in force */
	bool lock_reported;
	unsigned file_ignore, stmt_ignore;
};

__attribute__((format(printf, 4, 5))) static void report(struct file *f,
							 enum lint_rule rule,
							 const struct sqltok *where,
							 const char *fmt, ...)
{
	struct lint_finding *fi;
	struct sb msg = SB_INIT;
	va_list ap;

	if ((f->opt->ignore | f->file_ignore | f->stmt_ignore) & BIT(rule))
		return;
	if (f->opt->undo && (rule == LINT_RENAME || rule == LINT_DROP_COLUMN_OR_TABLE))
		return;
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	XGROW(f->out->findings, f->out->alloc, f->out->n + 1);
	fi = &f->out->findings[f->out->n++];
	fi->rule = rule;
	fi->line = where->line;
	fi->col = where->col;
	fi->message = sb_detach(&msg, NULL);
}

__attribute__((format(printf, 2, 3))) static void note(struct lint_result *out,
						       const char *fmt, ...)
{
	struct sb msg = SB_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	XGROW(out->notes, out->notes_alloc, out->nnotes + 1);
	out->notes[out->nnotes++] = sb_detach(&msg, NULL);
}

/* A table as messages show it: 'users' or 'app.users'. */
static const char *show(const struct qname *q, struct sb *buf)
{
	sb_reset(buf);
	if (q->schema)
		sb_addf(buf, "%s.", q->schema);
	sb_adds(buf, q->name ? q->name : "?");
	return buf->buf;
}

/* An ALTER or DROP of an existing table: it needs a lock timeout before it. */
static void needs_lock_timeout(struct file *f, const struct sqltok *where,
			       const char *verb, const struct qname *table)
{
	struct sb b = SB_INIT;

	if (f->lock_timeout || f->lock_reported || f->opt->ddl_lock_timeout)
		return;
	f->lock_reported = true;
	report(f, LINT_MISSING_LOCK_TIMEOUT, where,
	       "%s '%s' with no lock_timeout set before it: while it waits for its lock, "
	       "every query on the table waits behind it",
	       verb, show(table, &b));
	sb_release(&b);
}

/* --- CREATE ------------------------------------------------------------------ */

static void on_create_index(struct file *f, const struct stmt *s, size_t i)
{
	const struct sqltok *conc = NULL;
	struct qname idx = { NULL, NULL }, table;
	struct sb b = SB_INIT;

	/* i is just past INDEX. */
	if (kw(s, i, "concurrently"))
		conc = s->t[i++];
	if (kw(s, i, "if") && kw(s, i + 1, "not") && kw(s, i + 2, "exists"))
		i += 3;
	if (!kw(s, i, "on"))
		i = parse_qname(s, i, &idx);
	if (!kw(s, i, "on"))
		return;
	i++;
	if (kw(s, i, "only"))
		i++;
	parse_qname(s, i, &table);
	if (!table.name)
		return;
	set_add(&f->indexes, &idx, NULL);
	if (conc) {
		if (!f->opt->no_transaction)
			report(f, LINT_CONCURRENTLY_IN_TRANSACTION, conc,
			       "CREATE INDEX CONCURRENTLY cannot run inside a transaction block "
			       "(SQLSTATE 25001), and flux runs this migration in one");
	} else if (!set_has(&f->tables, &table, NULL)) {
		report(f, LINT_INDEX_NOT_CONCURRENT, s->t[0],
		       "CREATE INDEX on existing table '%s' without CONCURRENTLY blocks "
		       "writes to it while the index builds",
		       show(&table, &b));
	}
	sb_release(&b);
}

static void on_create(struct file *f, const struct stmt *s)
{
	size_t i = 1;
	struct qname q;

	if (kw(s, i, "or") && kw(s, i + 1, "replace"))
		i += 2;
	if (kw(s, i, "unique") && kw(s, i + 1, "index")) {
		on_create_index(f, s, i + 2);
		return;
	}
	if (kw(s, i, "index")) {
		on_create_index(f, s, i + 1);
		return;
	}
	while (kw(s, i, "global") || kw(s, i, "local") || kw(s, i, "temp") ||
	       kw(s, i, "temporary") || kw(s, i, "unlogged"))
		i++;
	/* A materialized view created here may be indexed at once, too. */
	if (kw(s, i, "materialized") && kw(s, i + 1, "view"))
		i++;
	else if (!kw(s, i, "table"))
		return;
	i++;
	if (kw(s, i, "if") && kw(s, i + 1, "not") && kw(s, i + 2, "exists"))
		i += 3;
	parse_qname(s, i, &q);
	set_add(&f->tables, &q, NULL);
}

/* --- DROP ---------------------------------------------------------------- */

static void on_drop(struct file *f, const struct stmt *s)
{
	struct sb b = SB_INIT;
	struct qname q;
	size_t i = 2;

	if (kw(s, 1, "table")) {
		if (kw(s, i, "if") && kw(s, i + 1, "exists"))
			i += 2;
		for (;;) {
			i = parse_qname(s, i, &q);
			if (!q.name)
				break;
			if (!set_has(&f->tables, &q, NULL)) {
				needs_lock_timeout(f, s->t[0], "DROP TABLE", &q);
				report(f, LINT_DROP_COLUMN_OR_TABLE, s->t[0],
				       "DROP TABLE '%s' breaks running code that still uses it",
				       show(&q, &b));
				break;
			}
			if (!punct(s, i, ','))
				break;
			i++;
		}
	} else if (kw(s, 1, "index")) {
		if (kw(s, i, "concurrently")) {
			if (!f->opt->no_transaction)
				report(f, LINT_CONCURRENTLY_IN_TRANSACTION, s->t[i],
				       "DROP INDEX CONCURRENTLY cannot run inside a transaction block "
				       "(SQLSTATE 25001), and flux runs this migration in one");
			goto done;
		}
		if (kw(s, i, "if") && kw(s, i + 1, "exists"))
			i += 2;
		for (;;) {
			i = parse_qname(s, i, &q);
			if (!q.name)
				break;
			if (!set_has(&f->indexes, &q, NULL)) {
				report(f, LINT_INDEX_NOT_CONCURRENT, s->t[0],
				       "DROP INDEX '%s' without CONCURRENTLY locks its table against "
				       "reads and writes",
				       show(&q, &b));
				break;
			}
			if (!punct(s, i, ','))
				break;
			i++;
		}
	}
done:
	sb_release(&b);
}

/* --- REINDEX, VACUUM, CLUSTER ---------------------------------------------- */

static void on_reindex(struct file *f, const struct stmt *s)
{
	const struct sqltok *conc = NULL;
	struct sb b = SB_INIT;
	struct qname q;
	size_t i = 1, k;
	bool table = false, index = false;

	/* CONCURRENTLY after the kind, or in the option list (PostgreSQL 14+). */
	for (k = 1; k < s->n; k++)
		if (kw(s, k, "concurrently") &&
		    !(k + 1 < s->n && (kw(s, k + 1, "false") || kw(s, k + 1, "off")))) {
			conc = s->t[k];
			break;
		}
	if (punct(s, i, '('))
		i = skip_parens(s, i);
	if (kw(s, i, "table"))
		table = true;
	else if (kw(s, i, "index"))
		index = true;
	i++;
	if (kw(s, i, "concurrently"))
		i++;
	parse_qname(s, i, &q);
	if (conc) {
		if (!f->opt->no_transaction)
			report(f, LINT_CONCURRENTLY_IN_TRANSACTION, conc,
			       "REINDEX CONCURRENTLY cannot run inside a transaction block "
			       "(SQLSTATE 25001), and flux runs this migration in one");
	} else if (!(table && set_has(&f->tables, &q, NULL)) &&
		   !(index && set_has(&f->indexes, &q, NULL))) {
		report(f, LINT_INDEX_NOT_CONCURRENT, s->t[0],
		       "REINDEX without CONCURRENTLY blocks writes to '%s' (and reads that "
		       "use its indexes)",
		       show(&q, &b));
	}
	sb_release(&b);
}

static bool is_false_word(const struct stmt *s, size_t i)
{
	const struct sqltok *t = at(s, i);

	if (!t)
		return false;
	if (t->kind == SQLTOK_NUMBER)
		return !strcmp(t->val, "0");
	return kw(s, i, "false") || kw(s, i, "off");
}

static void on_vacuum(struct file *f, const struct stmt *s)
{
	size_t i = 1, end;

	if (kw(s, i, "full")) {
		report(f, LINT_TABLE_REWRITE, s->t[0],
		       "VACUUM FULL rewrites each table under an ACCESS EXCLUSIVE lock, "
		       "blocking reads and writes");
		return;
	}
	if (!punct(s, i, '('))
		return;
	end = skip_parens(s, i);
	for (i++; i < end; i++)
		if (kw(s, i, "full") && !is_false_word(s, i + 1)) {
			report(f, LINT_TABLE_REWRITE, s->t[0],
			       "VACUUM (FULL) rewrites each table under an ACCESS EXCLUSIVE "
			       "lock, blocking reads and writes");
			return;
		}
}

/* --- transaction control --------------------------------------------------- */

static void on_transaction(struct file *f, const struct stmt *s)
{
	const char *what = NULL;
	size_t i = 1;

	if (f->opt->no_transaction)
		return;
	if (kw(s, 0, "begin")) {
		what = "BEGIN";
	} else if (kw(s, 0, "end")) {
		what = "END";
	} else if (kw(s, 0, "commit")) {
		what = "COMMIT";
	} else if (kw(s, 0, "abort")) {
		what = "ABORT";
	} else if (kw(s, 0, "start") && kw(s, 1, "transaction")) {
		what = "START TRANSACTION";
	} else if (kw(s, 0, "prepare") && kw(s, 1, "transaction")) {
		what = "PREPARE TRANSACTION";
	} else if (kw(s, 0, "rollback")) {
		if (kw(s, i, "work") || kw(s, i, "transaction"))
			i++;
		if (kw(s, i, "to"))
			return; /* ROLLBACK TO SAVEPOINT stays inside the transaction */
		what = "ROLLBACK";
	}
	if (!what)
		return;
	report(f, LINT_TRANSACTION_CONTROL, s->t[0],
	       "%s inside a transactional migration: flux already runs the file in a "
	       "transaction with its history row, and this breaks that atomicity",
	       what);
}

/* --- SET lock_timeout ---------------------------------------------------- */

/* Is the value at i a zero (no timeout) or DEFAULT? */
static bool zero_value(const struct stmt *s, size_t i)
{
	const struct sqltok *t = at(s, i);
	const char *v;

	if (!t || kw(s, i, "default"))
		return true;
	if (t->kind != SQLTOK_NUMBER && t->kind != SQLTOK_STRING)
		return false;
	v = t->val;
	while (*v == ' ')
		v++;
	if (*v != '0')
		return false;
	while (*v == '0')
		v++;
	/* 0, '0', '0s', '0ms', '0min' ... but not '05s' or '0.5s' */
	return !*v || (*v >= 'a' && *v <= 'z') || *v == ' ';
}

static void on_set(struct file *f, const struct stmt *s)
{
	size_t i = 1;
	bool local = false;

	if (kw(s, 0, "reset")) {
		if (kw(s, 1, "lock_timeout") || kw(s, 1, "all"))
			f->lock_timeout = false;
		return;
	}
	if (kw(s, i, "session")) {
		i++;
	} else if (kw(s, i, "local")) {
		local = true;
		i++;
	}
	if (!kw(s, i, "lock_timeout"))
		return;
	i++;
	if (kw(s, i, "to") || punct(s, i, '='))
		i++;
	/* SET LOCAL outside a transaction block does nothing. */
	if (local && f->opt->no_transaction)
		return;
	f->lock_timeout = !zero_value(s, i);
}

/* SELECT set_config('lock_timeout', '5s', ...) counts as SET. */
static void on_select(struct file *f, const struct stmt *s)
{
	size_t i;

	for (i = 1; i + 4 < s->n; i++) {
		const struct sqltok *name = at(s, i + 2);

		if (kw(s, i, "set_config") && punct(s, i + 1, '(') &&
		    name->kind == SQLTOK_STRING && !strcmp(name->val, "lock_timeout") &&
		    punct(s, i + 3, ','))
			f->lock_timeout = !zero_value(s, i + 4);
	}
}

/* --- ALTER TABLE ------------------------------------------------------------ */

/* The volatile functions PostgreSQL ships (and uuid-ossp's, pgcrypto's). */
static bool volatile_function(const char *name)
{
	static const char *const names[] = {
		"random",           "random_normal",
		"gen_random_uuid",  "gen_random_bytes",
		"uuid_generate_v1", "uuid_generate_v1mc",
		"uuid_generate_v4", "uuidv4",
		"uuidv7",           "clock_timestamp",
		"timeofday",        "nextval",
		"txid_current",     "pg_current_xact_id",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static bool serial_type(const char *name)
{
	return !strcmp(name, "serial") || !strcmp(name, "serial2") ||
		!strcmp(name, "serial4") || !strcmp(name, "serial8") ||
		!strcmp(name, "smallserial") || !strcmp(name, "bigserial");
}

/* A word that starts a column constraint: where a DEFAULT expression ends. */
static bool column_constraint_word(const struct stmt *s, size_t i)
{
	static const char *const words[] = {
		"not",     "null",    "constraint", "check",
		"unique",  "primary", "references", "generated",
		"collate", "default", "deferrable", "initially",
	};
	size_t k;

	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (kw(s, i, words[k]))
			return true;
	return false;
}

/* ADD [COLUMN] [IF NOT EXISTS] name type [constraints], tokens [i, end). */
static void on_add_column(struct file *f, const struct stmt *s, size_t i, size_t end,
			  const struct sqltok *where, const struct qname *table)
{
	const struct sqltok *col, *type, *vol = NULL;
	bool not_null = false, has_default = false, generated = false;
	bool identity = false, stored = false, references = false;
	struct sb b = SB_INIT;
	size_t depth = 0, k;

	if (kw(s, i, "column"))
		i++;
	if (kw(s, i, "if") && kw(s, i + 1, "not") && kw(s, i + 2, "exists"))
		i += 3;
	if (i + 1 >= end || !is_name(s, i))
		return;
	col = s->t[i++];
	type = s->t[i];
	for (k = i; k < end; k++) {
		if (punct(s, k, '(')) {
			depth++;
			continue;
		}
		if (punct(s, k, ')')) {
			if (depth)
				depth--;
			continue;
		}
		if (depth)
			continue;
		if (kw(s, k, "not") && kw(s, k + 1, "null")) {
			not_null = true;
		} else if (kw(s, k, "references")) {
			references = true;
		} else if (kw(s, k, "generated")) {
			generated = true;
		} else if (kw(s, k, "identity")) {
			identity = true;
		} else if (kw(s, k, "stored")) {
			stored = true;
		} else if (kw(s, k, "default")) {
			size_t e, d = 0;

			has_default = true;
			/* The expression: up to the next constraint word outside parentheses. */
			for (e = k + 1; e < end; e++) {
				if (punct(s, e, '('))
					d++;
				else if (punct(s, e, ')') && d)
					d--;
				else if (!d && column_constraint_word(s, e))
					break;
				if (!vol && s->t[e]->kind == SQLTOK_WORD &&
				    punct(s, e + 1, '(') &&
				    volatile_function(s->t[e]->val))
					vol = s->t[e];
			}
		}
	}
	show(table, &b);
	if (type->kind == SQLTOK_WORD && serial_type(type->val))
		report(f, LINT_ADD_COLUMN_VOLATILE_DEFAULT, where,
		       "ADD COLUMN '%s' %s on existing table '%s' fills every row from a "
		       "sequence: a table rewrite under an ACCESS EXCLUSIVE lock",
		       col->val, type->val, b.buf);
	else if (generated && identity)
		report(f, LINT_ADD_COLUMN_VOLATILE_DEFAULT, where,
		       "ADD COLUMN '%s' GENERATED ... AS IDENTITY on existing table '%s' "
		       "rewrites the table under an ACCESS EXCLUSIVE lock",
		       col->val, b.buf);
	else if (generated && stored)
		report(f, LINT_ADD_COLUMN_VOLATILE_DEFAULT, where,
		       "ADD COLUMN '%s' GENERATED ... STORED on existing table '%s' "
		       "rewrites the table under an ACCESS EXCLUSIVE lock",
		       col->val, b.buf);
	else if (vol)
		report(f, LINT_ADD_COLUMN_VOLATILE_DEFAULT, where,
		       "ADD COLUMN '%s' with volatile DEFAULT %s() on existing table '%s' "
		       "rewrites the table under an ACCESS EXCLUSIVE lock",
		       col->val, vol->val, b.buf);
	if (not_null && !has_default && !generated && !serial_type(type->val))
		report(f, LINT_ADD_COLUMN_REQUIRED, where,
		       "ADD COLUMN '%s' NOT NULL without DEFAULT on existing table '%s' "
		       "fails if it has rows, and breaks inserts of running code",
		       col->val, b.buf);
	if (references)
		report(f, LINT_CONSTRAINT_NOT_VALID, where,
		       "ADD COLUMN '%s' ... REFERENCES on existing table '%s' checks the "
		       "foreign key while holding a lock that blocks writes to both tables",
		       col->val, b.buf);
	sb_release(&b);
}

/* ADD [CONSTRAINT name] CHECK|FOREIGN KEY|UNIQUE|PRIMARY KEY ..., [i, end). */
static void on_add_constraint(struct file *f, const struct stmt *s, size_t i, size_t end,
			      const struct sqltok *where, const struct qname *table)
{
	const char *name = NULL;
	bool not_valid = false;
	struct sb b = SB_INIT;
	size_t k, depth = 0;

	if (kw(s, i, "constraint") && is_name(s, i + 1)) {
		name = s->t[i + 1]->val;
		i += 2;
	}
	for (k = i; k < end; k++) {
		if (punct(s, k, '('))
			depth++;
		else if (punct(s, k, ')') && depth)
			depth--;
		else if (!depth && kw(s, k, "not") && kw(s, k + 1, "valid"))
			not_valid = true;
	}
	show(table, &b);
	if (kw(s, i, "foreign") || kw(s, i, "check")) {
		bool fk = kw(s, i, "foreign");

		if (not_valid) {
			if (name) {
				struct qname c = *table;

				set_add(&f->not_valid, &c, name);
			}
		} else {
			report(f, LINT_CONSTRAINT_NOT_VALID, where,
			       "ADD %s on existing table '%s' without NOT VALID checks every "
			       "row while holding a lock that blocks %s",
			       fk ? "FOREIGN KEY" : "CHECK", b.buf,
			       fk ? "writes to both tables" : "reads and writes");
		}
	} else if (kw(s, i, "unique") || (kw(s, i, "primary") && kw(s, i + 1, "key"))) {
		size_t u = kw(s, i, "unique") ? i + 1 : i + 2;

		if (!(kw(s, u, "using") && kw(s, u + 1, "index")))
			report(f, LINT_UNIQUE_BUILDS_INDEX, where,
			       "ADD %s on existing table '%s' builds its index under an ACCESS "
			       "EXCLUSIVE lock, blocking reads and writes",
			       kw(s, i, "unique") ? "UNIQUE" : "PRIMARY KEY", b.buf);
	}
	sb_release(&b);
}

static bool table_constraint_word(const struct stmt *s, size_t i)
{
	return kw(s, i, "constraint") || kw(s, i, "check") || kw(s, i, "unique") ||
		kw(s, i, "primary") || kw(s, i, "foreign") || kw(s, i, "exclude");
}

/* One action of ALTER TABLE: tokens [i, end). */
static void on_action(struct file *f, const struct stmt *s, size_t i, size_t end,
		      const struct qname *table, bool existing)
{
	const struct sqltok *where = at(s, i);
	struct sb b = SB_INIT;

	if (!where)
		return;
	show(table, &b);
	if (kw(s, i, "validate") && kw(s, i + 1, "constraint") && is_name(s, i + 2)) {
		if (!f->opt->no_transaction &&
		    set_has(&f->not_valid, table, s->t[i + 2]->val))
			report(f, LINT_CONSTRAINT_NOT_VALID, where,
			       "VALIDATE CONSTRAINT '%s' in the same transaction as its ADD ... "
			       "NOT VALID: the ADD's lock is held during the whole check",
			       s->t[i + 2]->val);
		set_add(&f->validated, table, NULL);
		goto done;
	}
	if (kw(s, i, "detach") && kw(s, i + 1, "partition")) {
		size_t k;

		for (k = i + 2; k < end; k++)
			if (kw(s, k, "concurrently") && !f->opt->no_transaction)
				report(f, LINT_CONCURRENTLY_IN_TRANSACTION, s->t[k],
				       "DETACH PARTITION CONCURRENTLY cannot run inside a transaction "
				       "block (SQLSTATE 25001), and flux runs this migration in one");
		goto done;
	}
	if (kw(s, i, "rename")) {
		if (kw(s, i + 1, "to")) {
			struct qname to;

			parse_qname(s, i + 2, &to);
			if (existing)
				report(f, LINT_RENAME, where,
				       "RENAME of existing table '%s' to '%s' breaks running code "
				       "that uses the old name",
				       b.buf, to.name ? to.name : "?");
			else
				set_add(&f->tables, &to, NULL);
		} else if (!kw(s, i + 1, "constraint") && existing) {
			size_t c = kw(s, i + 1, "column") ? i + 2 : i + 1;

			report(f, LINT_RENAME, where,
			       "RENAME COLUMN '%s' of existing table '%s' breaks running code "
			       "that uses the old name",
			       is_name(s, c) ? s->t[c]->val : "?", b.buf);
		}
		goto done;
	}
	if (!existing)
		goto done;
	if (kw(s, i, "add")) {
		if (table_constraint_word(s, i + 1))
			on_add_constraint(f, s, i + 1, end, where, table);
		else
			on_add_column(f, s, i + 1, end, where, table);
	} else if (kw(s, i, "alter")) {
		size_t c = kw(s, i + 1, "column") ? i + 2 : i + 1;
		const char *col = is_name(s, c) ? s->t[c]->val : "?";

		c++;
		if (kw(s, c, "set") && kw(s, c + 1, "not") && kw(s, c + 2, "null")) {
			if (!set_has(&f->validated, table, NULL))
				report(f, LINT_SET_NOT_NULL, where,
				       "SET NOT NULL on column '%s' of existing table '%s' scans the "
				       "whole table under an ACCESS EXCLUSIVE lock",
				       col, b.buf);
		} else if (kw(s, c, "type") ||
			   (kw(s, c, "set") && kw(s, c + 1, "data") &&
			    kw(s, c + 2, "type"))) {
			report(f, LINT_COLUMN_TYPE_CHANGE, where,
			       "changing the type of column '%s' of existing table '%s' rewrites "
			       "the table and its indexes under an ACCESS EXCLUSIVE lock",
			       col, b.buf);
		}
	} else if (kw(s, i, "drop") && !kw(s, i + 1, "constraint")) {
		size_t c = kw(s, i + 1, "column") ? i + 2 : i + 1;

		if (kw(s, c, "if") && kw(s, c + 1, "exists"))
			c += 2;
		report(f, LINT_DROP_COLUMN_OR_TABLE, where,
		       "DROP COLUMN '%s' of existing table '%s' breaks running code that "
		       "still uses it",
		       is_name(s, c) ? s->t[c]->val : "?", b.buf);
	}
done:
	sb_release(&b);
}

static void on_alter(struct file *f, const struct stmt *s)
{
	struct qname table;
	size_t i = 2, start, depth = 0;
	bool existing;

	if (!kw(s, 1, "table"))
		return;
	if (kw(s, i, "if") && kw(s, i + 1, "exists"))
		i += 2;
	if (kw(s, i, "only"))
		i++;
	if (kw(s, i, "all") && kw(s, i + 1, "in"))
		return; /* ALTER TABLE ALL IN TABLESPACE */
	i = parse_qname(s, i, &table);
	if (!table.name)
		return;
	if (punct(s, i, '*'))
		i++;
	existing = !set_has(&f->tables, &table, NULL);
	if (existing)
		needs_lock_timeout(f, s->t[0], "ALTER TABLE", &table);
	/* Actions are separated by commas outside parentheses. */
	for (start = i; i <= s->n; i++) {
		if (i < s->n && punct(s, i, '(')) {
			depth++;
		} else if (i < s->n && punct(s, i, ')')) {
			if (depth)
				depth--;
		} else if (i == s->n || (!depth && punct(s, i, ','))) {
			on_action(f, s, start, i, &table, existing);
			start = i + 1;
		}
	}
}

/* --- suppression comments ---------------------------------------------------- */

/*
 * The mask of a `-- flux:lint-ignore a, b [reason]` comment, 0 when it is
 * none. The list ends at the first word not joined to it by a comma, so a
 * reason may follow. Unknown rule IDs become notes.
 */
static unsigned directive_mask(const struct sqltok *c, struct lint_result *out)
{
	static const char tag[] = "flux:lint-ignore";
	const char *p = c->val;
	unsigned mask = 0;

	if (strncmp(p, "--", 2))
		return 0;
	p += 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, tag, sizeof(tag) - 1))
		return 0;
	p += sizeof(tag) - 1;
	if (*p && *p != ' ' && *p != '\t')
		return 0;
	for (;;) {
		const char *start;
		int r;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		r = lint_rule_find(start, (size_t)(p - start));
		if (r >= 0)
			mask |= BIT(r);
		else
			note(out,
			     "unknown rule '%.*s' in flux:lint-ignore at line %d (ignored)",
			     (int)(p - start), start, c->line);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',')
			break; /* the rest is a reason */
	}
	return mask;
}

/* --- the file ------------------------------------------------------------- */

static void on_statement(struct file *f, const struct stmt *s)
{
	if (kw(s, 0, "create"))
		on_create(f, s);
	else if (kw(s, 0, "alter"))
		on_alter(f, s);
	else if (kw(s, 0, "drop"))
		on_drop(f, s);
	else if (kw(s, 0, "reindex"))
		on_reindex(f, s);
	else if (kw(s, 0, "vacuum"))
		on_vacuum(f, s);
	else if (kw(s, 0, "cluster"))
		report(f, LINT_TABLE_REWRITE, s->t[0],
		       "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock, blocking "
		       "reads and writes");
	else if (kw(s, 0, "set") || kw(s, 0, "reset"))
		on_set(f, s);
	else if (kw(s, 0, "select"))
		on_select(f, s);
	else
		on_transaction(f, s);
}

static int cmp_finding(const void *a, const void *b)
{
	const struct lint_finding *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return (int)x->rule - (int)y->rule;
}

int lint_sql(const char *text, size_t len, const struct lint_options *opt,
	     struct lint_result *out, struct flux_err *err)
{
	struct split_result split = SPLIT_RESULT_INIT;
	struct sqltok_list toks = SQLTOK_LIST_INIT;
	const struct sqltok **code = NULL;
	unsigned *line_mask = NULL; /* directive on line L: line_mask[L] */
	struct file f;
	size_t i, ncode = 0, ncode_alloc = 0, si, first = out->n;
	size_t first_start;
	int first_line, nlines = 1;

	if (split_sql(text, len, &split, err))
		return -1;
	sqltok_scan(text, len, &toks);
	memset(&f, 0, sizeof(f));
	f.opt = opt;
	f.out = out;

	for (i = 0; i < len; i++)
		nlines += text[i] == '\n';
	line_mask = xcalloc((size_t)nlines + 2, sizeof(*line_mask));
	first_start = split.n ? split.stmts[0].start : len;
	first_line = split.n ? split.stmts[0].line : nlines + 1;
	for (i = 0; i < toks.n; i++) {
		const struct sqltok *t = &toks.toks[i];
		unsigned m;

		if (t->kind != SQLTOK_COMMENT) {
			XGROW(code, ncode_alloc, ncode + 1);
			code[ncode++] = t;
			continue;
		}
		m = directive_mask(t, out);
		if (!m)
			continue;
		/* The file's first comment lines, unless right before the first statement. */
		if (t->start < first_start && t->line != first_line - 1)
			f.file_ignore |= m;
		else
			line_mask[t->line] |= m;
	}

	for (si = 0, i = 0; si < split.n; si++) {
		const struct split_stmt *st = &split.stmts[si];
		struct stmt s;
		size_t a;

		while (i < ncode && code[i]->start < st->start)
			i++;
		a = i;
		while (i < ncode && code[i]->start < st->start + st->len)
			i++;
		s.t = code + a;
		s.n = i - a;
		if (!s.n)
			continue;
		f.stmt_ignore = st->line >= 2 ? line_mask[st->line - 1] : 0;
		on_statement(&f, &s);
	}
	if (out->n > first)
		qsort(out->findings + first, out->n - first, sizeof(*out->findings),
		      cmp_finding);

	set_release(&f.tables);
	set_release(&f.indexes);
	set_release(&f.validated);
	set_release(&f.not_valid);
	free(line_mask);
	free(code);
	sqltok_list_release(&toks);
	split_result_release(&split);
	return 0;
}

size_t lint_count_errors(const struct lint_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += lint_rules[r->findings[i].rule].severity == LINT_ERROR;
	return n;
}

void lint_result_release(struct lint_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->findings[i].message);
	free(r->findings);
	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	memset(r, 0, sizeof(*r));
}
