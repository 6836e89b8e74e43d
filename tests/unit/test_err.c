/*
 * tests/unit/test_err.c - struct nb_err: setting, wrapping with context,
 * truncating long messages without overflowing, tolerating a NULL err.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "backend/common/err.h"

/* A message with a canary after it, to catch writes past msg. */
struct guarded_err {
	struct nb_err err;
	char canary[64];
};

static void fill_canary(struct guarded_err *g)
{
	memset(g->canary, 0x5a, sizeof(g->canary));
}

static void assert_canary_intact(const struct guarded_err *g)
{
	for (size_t i = 0; i < sizeof(g->canary); i++)
		assert_int_equal((unsigned char)g->canary[i], 0x5a);
}

static void test_set_with_a_null_err_still_returns_the_code(void **state)
{
	(void)state;
	assert_int_equal(nb_err_set(NULL, -ENOENT, "no %s", "such thing"), -ENOENT);
}

static void test_wrap_with_a_null_err_returns_einval(void **state)
{
	(void)state;
	assert_int_equal(nb_err_wrap(NULL, "context %d", 1), -EINVAL);
}

static void test_clear_with_a_null_err_is_harmless(void **state)
{
	(void)state;
	nb_err_clear(NULL);
}

static void test_a_very_long_message_is_truncated_and_nul_terminated(void **state)
{
	struct guarded_err g;
	char longmsg[3 * NB_ERR_MSG_MAX];

	(void)state;
	fill_canary(&g);
	memset(longmsg, 'a', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	assert_int_equal(nb_err_set(&g.err, -E2BIG, "%s", longmsg), -E2BIG);
	assert_int_equal(strlen(g.err.msg), NB_ERR_MSG_MAX - 1);
	assert_int_equal(g.err.msg[NB_ERR_MSG_MAX - 1], '\0');
	assert_canary_intact(&g);
}

static void test_wrapping_a_full_message_keeps_the_context_and_stays_in_bounds(void **state)
{
	struct guarded_err g;
	char longmsg[2 * NB_ERR_MSG_MAX];

	(void)state;
	fill_canary(&g);
	memset(longmsg, 'b', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	nb_err_set(&g.err, -EIO, "%s", longmsg);
	assert_int_equal(nb_err_wrap(&g.err, "while %s", "loading"), -EIO);
	assert_int_equal(strlen(g.err.msg), NB_ERR_MSG_MAX - 1);
	assert_memory_equal(g.err.msg, "while loading: bbb", 18);
	assert_canary_intact(&g);
}

static void test_a_context_longer_than_the_message_limit_is_truncated_safely(void **state)
{
	struct guarded_err g;
	char longctx[3 * NB_ERR_MSG_MAX];

	(void)state;
	fill_canary(&g);
	memset(longctx, 'c', sizeof(longctx) - 1);
	longctx[sizeof(longctx) - 1] = '\0';
	nb_err_set(&g.err, -EINVAL, "inner");
	assert_int_equal(nb_err_wrap(&g.err, "%s", longctx), -EINVAL);
	assert_int_equal(strlen(g.err.msg), NB_ERR_MSG_MAX - 1);
	assert_int_equal(g.err.msg[0], 'c');
	assert_int_equal(g.err.msg[NB_ERR_MSG_MAX - 2], 'c');
	assert_canary_intact(&g);
}

static void test_a_context_exactly_at_the_limit_is_truncated_safely(void **state)
{
	struct guarded_err g;
	char ctx[NB_ERR_MSG_MAX];

	(void)state;
	for (size_t len = NB_ERR_MSG_MAX - 3; len <= NB_ERR_MSG_MAX; len++) {
		fill_canary(&g);
		memset(ctx, 'd', len - 1);
		ctx[len - 1] = '\0';
		nb_err_set(&g.err, -EINVAL, "inner");
		nb_err_wrap(&g.err, "%s", ctx);
		assert_true(strlen(g.err.msg) <= NB_ERR_MSG_MAX - 1);
		assert_int_equal(g.err.msg[0], 'd');
		assert_canary_intact(&g);
	}
}

static void test_set_returns_the_code_and_formats_the_message(void **state)
{
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(nb_err_set(&err, -EBUSY, "pid %d holds %s", 42, "the lock"), -EBUSY);
	assert_int_equal(err.code, -EBUSY);
	assert_string_equal(err.msg, "pid 42 holds the lock");
}

static void test_wrap_prefixes_the_context_and_keeps_the_code(void **state)
{
	struct nb_err err = { 0 };

	(void)state;
	nb_err_set(&err, -ENOENT, "no such file");
	assert_int_equal(nb_err_wrap(&err, "opening %s", "id"), -ENOENT);
	assert_string_equal(err.msg, "opening id: no such file");
	assert_int_equal(nb_err_wrap(&err, "state dir"), -ENOENT);
	assert_string_equal(err.msg, "state dir: opening id: no such file");
	assert_int_equal(err.code, -ENOENT);
}

static void test_clear_resets_code_and_message(void **state)
{
	struct nb_err err = { 0 };

	(void)state;
	nb_err_set(&err, -EIO, "broken");
	nb_err_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_with_a_null_err_still_returns_the_code),
		cmocka_unit_test(test_wrap_with_a_null_err_returns_einval),
		cmocka_unit_test(test_clear_with_a_null_err_is_harmless),
		cmocka_unit_test(test_a_very_long_message_is_truncated_and_nul_terminated),
		cmocka_unit_test(
			test_wrapping_a_full_message_keeps_the_context_and_stays_in_bounds),
		cmocka_unit_test(test_a_context_longer_than_the_message_limit_is_truncated_safely),
		cmocka_unit_test(test_a_context_exactly_at_the_limit_is_truncated_safely),
		cmocka_unit_test(test_set_returns_the_code_and_formats_the_message),
		cmocka_unit_test(test_wrap_prefixes_the_context_and_keeps_the_code),
		cmocka_unit_test(test_clear_resets_code_and_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
