/*
 * db: what every backend shares, whichever are linked: the registry (filled
 * from src/db_backends.h), the interrupt flag the front's signal handler
 * sets, the cancel it asks for, and the facts of a batch item.
 * May depend on the backends (their structs only), mdir (types), sb and libc.
 */
#include "db.h"

volatile sig_atomic_t db_interrupted;

enum flux_exit db_interrupted_code(void)
{
	return db_interrupted == 2 ? FLUX_EXIT_SIGINT : FLUX_EXIT_SIGTERM;
}

const struct db_backend *const db_backends[] = {
#define DB_BACKEND(name) &db_##name##_backend,
#include "db_backends.h"
#undef DB_BACKEND
	NULL
};

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return false;
	return !*a && !*b;
}

const struct db_backend *db_backend_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; db_backends[i]; i++)
		if (same_name(db_backends[i]->name, name))
			return db_backends[i];
	return NULL;
}

void db_backend_names(struct sb *out)
{
	size_t i;

	for (i = 0; db_backends[i]; i++)
		sb_addf(out, "%s%s", i ? ", " : "", db_backends[i]->name);
}

int db_wait(const struct flux_config *cfg, struct flux_err *err)
{
	const struct db_backend *be = db_backend_find(cfg->backend);

	if (!be)
		return err_set(err, FLUX_EXIT_CONFIG, "unknown backend '%s'",
			       cfg->backend);
	return be->wait(cfg, err);
}

/* Signal context: only the backends' async-signal-safe hooks, no locks. */
int db_cancel_from_signal(void)
{
	int any = 0;
	size_t i;

	for (i = 0; db_backends[i]; i++)
		if (db_backends[i]->cancel_from_signal())
			any = 1;
	return any;
}

bool db_item_no_transaction(const struct db_item *item)
{
	return item->op == DB_UNDO ? item->m->undo_no_transaction :
				     item->m->no_transaction;
}

bool db_item_ends_open(const struct db_item *item)
{
	return item->op == DB_UNDO ? item->m->undo_ends_open : item->m->ends_open;
}

size_t db_item_size(const struct db_item *item)
{
	return item->op == DB_UNDO ? item->m->undo_len : item->m->text_len;
}
