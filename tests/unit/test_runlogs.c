/*
 * tests/unit/test_runlogs.c - an invocation's output read back from its
 * container's log: which lines are its own, and which END ends the read.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/common/buf.h"
#include "backend/lambda/runlogs.h"

#define ID   "5d1c2f4e-0000-4000-8000-000000000002"
#define PREV "5d1c2f4e-0000-4000-8000-000000000001"

/* The invocation started at 12:00:01.5. */
static const struct engine_ts since = { 1796472001, 500000000 };

static bool keep(const char *log, struct nb_buf *out)
{
	nb_buf_reset(out);
	return lambda_runlogs_keep(log, strlen(log), &since, ID, out);
}

static void test_lines_before_the_start_are_left_out(void **state)
{
	struct nb_buf out = { 0 };
	const char *log =
		"2026-12-05T12:00:01.400000000Z said zero\n"
		"2026-12-05T12:00:01.600000000Z START RequestId: " ID " Version: $LATEST\n"
		"2026-12-05T12:00:01.700000000Z said two\n"
		"2026-12-05T12:00:01.800000000Z END RequestId: " ID "\n"
		"2026-12-05T12:00:01.800000001Z REPORT RequestId: " ID "\tDuration: 1 ms\n";

	(void)state;
	assert_true(keep(log, &out));
	assert_string_equal(out.data, "said two\n");
	nb_buf_free(&out);
}

/* The race that lambda.bats once lost: the previous invocation's END,
 * logged late, is stamped after this one's start; this one's output and
 * END are not in the log yet. The read must go on. */
static void test_a_previous_invocations_late_end_does_not_end_the_read(void **state)
{
	struct nb_buf out = { 0 };
	const char *early =
		"2026-12-05T12:00:01.550000000Z END RequestId: " PREV "\n"
		"2026-12-05T12:00:01.600000000Z START RequestId: " ID " Version: $LATEST\n";
	const char *later =
		"2026-12-05T12:00:01.550000000Z END RequestId: " PREV "\n"
		"2026-12-05T12:00:01.600000000Z START RequestId: " ID " Version: $LATEST\n"
		"2026-12-05T12:00:01.700000000Z said two\n"
		"2026-12-05T12:00:01.800000000Z END RequestId: " ID "\n";

	(void)state;
	assert_false(keep(early, &out));
	assert_true(keep(later, &out));
	assert_string_equal(out.data, "said two\n");
	nb_buf_free(&out);
}

/* AWS's emulator makes up its own request ids: any END after the start. */
static void test_a_runtime_with_its_own_ids_ends_at_any_end(void **state)
{
	struct nb_buf out = { 0 };
	const char *log = "2026-12-05T12:00:01.600000000Z START RequestId: other Version: $LATEST\n"
			  "2026-12-05T12:00:01.700000000Z hello\n"
			  "2026-12-05T12:00:01.800000000Z END RequestId: other\n";

	(void)state;
	assert_true(keep(log, &out));
	assert_string_equal(out.data, "hello\n");
	assert_false(keep("2026-12-05T12:00:01.700000000Z hello\n", &out));
	nb_buf_free(&out);
}

/* An id that only starts with ours is another one. */
static void test_an_end_of_a_longer_id_is_not_ours(void **state)
{
	struct nb_buf out = { 0 };
	const char *log =
		"2026-12-05T12:00:01.600000000Z START RequestId: " ID " Version: $LATEST\n"
		"2026-12-05T12:00:01.800000000Z END RequestId: " ID "-x\n";

	(void)state;
	assert_false(keep(log, &out));
	nb_buf_free(&out);
}

static void test_a_line_without_a_timestamp_is_skipped(void **state)
{
	struct nb_buf out = { 0 };
	const char *log = "garbage without a stamp\n"
			  "2026-12-05T12:00:01.700000000Z kept\n"
			  "2026-12-05T12:00:01.800000000Z END RequestId: " ID;

	(void)state;
	assert_true(keep(log, &out));
	assert_string_equal(out.data, "kept\n");
	nb_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_before_the_start_are_left_out),
		cmocka_unit_test(test_a_previous_invocations_late_end_does_not_end_the_read),
		cmocka_unit_test(test_a_runtime_with_its_own_ids_ends_at_any_end),
		cmocka_unit_test(test_an_end_of_a_longer_id_is_not_ours),
		cmocka_unit_test(test_a_line_without_a_timestamp_is_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
