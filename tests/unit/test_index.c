/*
 * tests/unit/test_index.c - the hash index every kind of object is found
 * by: empty and absent lookups first, then adds, removes, growth past
 * 10,000 entries and the chains it keeps short.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/common/index.h"

struct obj {
	char name[32];
	int value;
	struct nb_index_link ix;
};

static struct obj *find(struct nb_index *ix, const char *name)
{
	return nb_index_find(ix, name, struct obj, ix);
}

/* The longest bucket chain: what a lookup walks at worst. */
static size_t longest_chain(const struct nb_index *ix)
{
	size_t most = 0, n = ix->buckets ? ix->nbuckets : 1;

	for (size_t i = 0; i < n; i++) {
		size_t len = 0;

		for (struct nb_index_link *l = ix->buckets ? ix->buckets[i] : ix->one; l;
		     l = l->next)
			len++;
		if (len > most)
			most = len;
	}
	return most;
}

static void test_a_zeroed_index_is_empty_and_finds_nothing(void **state)
{
	struct nb_index ix = { 0 };

	(void)state;
	assert_null(find(&ix, "a"));
	assert_null(find(&ix, ""));
	assert_int_equal(ix.count, 0);
	nb_index_free(&ix);
	nb_index_free(&ix); /* twice is harmless */
}

static void test_removing_an_entry_that_was_never_added_changes_nothing(void **state)
{
	struct nb_index ix = { 0 };
	struct obj a = { .name = "a" }, b = { .name = "b" };

	(void)state;
	nb_index_add(&ix, &a.ix, a.name);
	nb_index_remove(&ix, &b.ix);
	assert_int_equal(ix.count, 1);
	assert_ptr_equal(find(&ix, "a"), &a);
	nb_index_remove(&ix, &a.ix);
	nb_index_remove(&ix, &a.ix); /* a second remove is a no-op */
	assert_int_equal(ix.count, 0);
	assert_null(find(&ix, "a"));
	nb_index_free(&ix);
}

static void test_keys_are_compared_whole_not_by_prefix(void **state)
{
	struct nb_index ix = { 0 };
	struct obj a = { .name = "task" }, b = { .name = "task2" };

	(void)state;
	nb_index_add(&ix, &a.ix, a.name);
	nb_index_add(&ix, &b.ix, b.name);
	assert_ptr_equal(find(&ix, "task"), &a);
	assert_ptr_equal(find(&ix, "task2"), &b);
	assert_null(find(&ix, "tas"));
	assert_null(find(&ix, "task22"));
	nb_index_free(&ix);
}

static void test_an_entry_removed_from_either_end_of_a_chain_leaves_the_other(void **state)
{
	struct nb_index ix = { 0 };
	struct obj x = { .name = "x" }, y = { .name = "y" };

	(void)state;
	/* Until the first growth every entry shares the one bucket. */
	nb_index_add(&ix, &x.ix, x.name);
	nb_index_add(&ix, &y.ix, y.name);
	assert_null(ix.buckets);
	nb_index_remove(&ix, &x.ix); /* the chain's tail */
	assert_null(find(&ix, "x"));
	assert_ptr_equal(find(&ix, "y"), &y);
	nb_index_add(&ix, &x.ix, x.name);
	nb_index_remove(&ix, &x.ix); /* now its head */
	assert_null(find(&ix, "x"));
	assert_ptr_equal(find(&ix, "y"), &y);
	assert_int_equal(ix.count, 1);
	nb_index_free(&ix);
}

static void test_twenty_thousand_entries_are_each_found_and_chains_stay_short(void **state)
{
	enum { N = 20000 };
	struct obj *o = calloc(N, sizeof(*o));
	struct nb_index ix = { 0 };

	(void)state;
	assert_non_null(o);
	for (int i = 0; i < N; i++) {
		snprintf(o[i].name, sizeof(o[i].name), "secret-%05d", i);
		o[i].value = i;
		nb_index_add(&ix, &o[i].ix, o[i].name);
	}
	assert_int_equal(ix.count, N);
	/* At most two entries a bucket on average, so a lookup stays O(1). */
	assert_true(ix.count <= 2 * ix.nbuckets);
	assert_true(longest_chain(&ix) <= 16);
	for (int i = 0; i < N; i++) {
		struct obj *f = find(&ix, o[i].name);

		assert_non_null(f);
		assert_int_equal(f->value, i);
	}
	/* Remove every other one: the rest are still found, the removed not. */
	for (int i = 0; i < N; i += 2)
		nb_index_remove(&ix, &o[i].ix);
	assert_int_equal(ix.count, N / 2);
	for (int i = 0; i < N; i++)
		if (i % 2)
			assert_ptr_equal(find(&ix, o[i].name), &o[i]);
		else
			assert_null(find(&ix, o[i].name));
	nb_index_free(&ix);
	assert_int_equal(ix.count, 0);
	assert_null(ix.buckets);
	free(o);
}

static void test_an_entry_added_again_after_removal_is_found(void **state)
{
	struct nb_index ix = { 0 };
	struct obj a = { .name = "fn" }, b = { .name = "fn" };

	(void)state;
	nb_index_add(&ix, &a.ix, a.name);
	nb_index_remove(&ix, &a.ix);
	nb_index_add(&ix, &b.ix, b.name); /* a function made again under its name */
	assert_ptr_equal(find(&ix, "fn"), &b);
	nb_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_zeroed_index_is_empty_and_finds_nothing),
		cmocka_unit_test(test_removing_an_entry_that_was_never_added_changes_nothing),
		cmocka_unit_test(test_keys_are_compared_whole_not_by_prefix),
		cmocka_unit_test(test_an_entry_removed_from_either_end_of_a_chain_leaves_the_other),
		cmocka_unit_test(test_twenty_thousand_entries_are_each_found_and_chains_stay_short),
		cmocka_unit_test(test_an_entry_added_again_after_removal_is_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
