/* Unit tests of src/run.c: how a batch is cut into chunks (no database). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "run.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A batch described as text: 't' transactional, 'n' no-transaction, 'o'
 * transactional ending open (an unterminated quote), by size.
 */
struct fake {
	struct mdir_migration m[16];
	struct db_item items[16];
	size_t n;
};

static void fake_batch(struct fake *f, const char *kinds, const size_t *sizes,
		       enum db_op op)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->n = strlen(kinds);
	for (i = 0; i < f->n; i++) {
		f->m[i].no_transaction = kinds[i] == 'n';
		f->m[i].undo_no_transaction = kinds[i] == 'n';
		f->m[i].ends_open = kinds[i] == 'o';
		f->m[i].undo_ends_open = kinds[i] == 'o';
		f->m[i].text_len = sizes ? sizes[i] : 10;
		f->m[i].undo_len = sizes ? sizes[i] : 10;
		f->items[i].m = &f->m[i];
		f->items[i].op = op;
	}
}

static void test_chunk_len(void **state)
{
	static const size_t big[] = { 10, 10, 100, 10, 10, 10 };
	static const struct {
		const char *kinds;
		const size_t *sizes;
		size_t max_items, max_bytes;
		size_t want;
		/* clang-format off */
	} cases[] = {
		{ "tttt", NULL, 200, 1000, 4 },   /* all together */
		{ "tttt", NULL, 3, 1000, 3 },     /* the count limit */
		{ "ttnt", NULL, 200, 1000, 2 },   /* stops before a no-transaction one */
		{ "nttt", NULL, 200, 1000, 0 },   /* which runs alone */
		{ "t", NULL, 200, 1000, 1 },
		{ "tttttt", big, 200, 50, 2 },    /* the size limit: 10+10, not +100 */
		{ "tttt", big + 2, 200, 50, 1 },   /* a text over the limit goes alone */
		{ "tttttt", big, 200, 120, 3 },   /* 10+10+100 fits exactly */
		{ "", NULL, 200, 1000, 0 },
		{ "ttot", NULL, 200, 1000, 2 },   /* stops before one ending open */
		{ "ottt", NULL, 200, 1000, 1 },   /* which goes in a chunk of its own */
		{ "onttt", NULL, 200, 1000, 1 },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct fake f;
		struct run_limits lim = { cases[i].max_items, cases[i].max_bytes };
		size_t got;

		fake_batch(&f, cases[i].kinds, cases[i].sizes, DB_APPLY);
		got = run_chunk_len(f.items, f.n, &lim);
		if (got != cases[i].want)
			fail_msg("case %zu (%s): %zu, want %zu", i, cases[i].kinds, got,
				 cases[i].want);
	}
}

/* An undo is judged by its undo file, not the up file. */
static void test_chunk_len_undo(void **state)
{
	struct fake f;
	struct run_limits lim = { 200, 1000 };

	(void)state;
	fake_batch(&f, "ttt", NULL, DB_UNDO);
	f.m[1].no_transaction = true; /* the up file; its undo is transactional */
	assert_int_equal(run_chunk_len(f.items, f.n, &lim), 3);
	f.m[1].undo_no_transaction = true;
	assert_int_equal(run_chunk_len(f.items, f.n, &lim), 1);
	f.m[0].undo_len = 5000; /* too large for the limit, yet first: alone */
	f.m[1].undo_no_transaction = false;
	assert_int_equal(run_chunk_len(f.items, f.n, &lim), 1);
}

/* The defaults keep a chunk small whatever the batch. */
static void test_default_limits(void **state)
{
	(void)state;
	assert_true(run_default_limits.max_items >= 50);
	assert_true(run_default_limits.max_bytes <= (4u << 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunk_len),
		cmocka_unit_test(test_chunk_len_undo),
		cmocka_unit_test(test_default_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
