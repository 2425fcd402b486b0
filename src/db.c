/*
 * db: what every backend shares, whichever is linked: the interrupt flag
 * the front's signal handler sets, and the facts of a batch item.
 * May depend on mdir (types) and libc only.
 */
#include "db.h"

volatile sig_atomic_t db_interrupted;

bool db_item_no_transaction(const struct db_item *item)
{
	return item->op == DB_UNDO ? item->m->undo_no_transaction : item->m->no_transaction;
}

size_t db_item_size(const struct db_item *item)
{
	return item->op == DB_UNDO ? item->m->undo_len : item->m->text_len;
}
