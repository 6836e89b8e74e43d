/*
 * tests/unit/test_buf.c - the growable byte buffer: appends, formatted
 * growth, consuming from the front, handing the bytes out and resetting.
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

/* Error paths and empty buffers first. */

static void test_an_empty_buffer_steals_as_an_empty_string(void **state)
{
	struct nb_buf b = { 0 };
	char *s;

	(void)state;
	s = nb_buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(s);
}

static void test_consuming_from_an_empty_buffer_is_harmless(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	nb_buf_consume(&b, 0);
	nb_buf_consume(&b, 10);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_resetting_and_freeing_an_empty_buffer_are_harmless(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	nb_buf_reset(&b);
	assert_null(b.data);
	nb_buf_free(&b);
	nb_buf_free(&b);
	assert_null(b.data);
}

static void test_a_reserve_that_would_overflow_size_t_fails_and_keeps_the_bytes(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	assert_int_equal(nb_buf_puts(&b, "keep"), 0);
	assert_int_equal(nb_buf_reserve(&b, SIZE_MAX), -ENOMEM);
	assert_int_equal(nb_buf_append(&b, "x", SIZE_MAX - 2), -ENOMEM);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "keep");
	nb_buf_free(&b);
}

static void test_a_reserve_beyond_what_malloc_can_give_fails_without_looping(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	assert_int_equal(nb_buf_puts(&b, "keep"), 0);
	assert_int_equal(nb_buf_reserve(&b, SIZE_MAX / 2), -ENOMEM);
	assert_int_equal(nb_buf_reserve(&b, SIZE_MAX - 10), -ENOMEM);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "keep");
	nb_buf_free(&b);
}

static void test_appending_nothing_to_an_empty_buffer_makes_an_empty_string(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	assert_int_equal(nb_buf_append(&b, NULL, 0), 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	nb_buf_free(&b);
}

static void test_appends_accumulate_and_stay_nul_terminated(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	assert_int_equal(nb_buf_append(&b, "abc", 3), 0);
	assert_int_equal(nb_buf_puts(&b, "def"), 0);
	assert_int_equal(nb_buf_append(&b, "gh\0ij", 5), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data, "abcdefgh\0ij", 12);
	assert_true(b.cap > b.len);
	nb_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
}

static void test_many_appends_grow_the_buffer_and_keep_every_byte(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	for (int i = 0; i < 10000; i++)
		assert_int_equal(nb_buf_append(&b, &"0123456789"[i % 10], 1), 0);
	assert_int_equal(b.len, 10000);
	assert_true(b.cap >= 10001);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], '0' + i % 10);
	assert_int_equal(b.data[10000], '\0');
	nb_buf_free(&b);
}

static void test_printf_grows_past_the_initial_capacity(void **state)
{
	struct nb_buf b = { 0 };
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(nb_buf_printf(&b, "n=%d ", 42), 0);
	assert_string_equal(b.data, "n=42 ");
	assert_int_equal(nb_buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 5 + 2 + sizeof(big) - 1);
	assert_int_equal(b.data[5], '[');
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(strlen(b.data), b.len);
	nb_buf_free(&b);
}

static void test_printf_of_an_empty_string_leaves_the_content_alone(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	assert_int_equal(nb_buf_puts(&b, "a"), 0);
	assert_int_equal(nb_buf_printf(&b, "%s", ""), 0);
	assert_int_equal(b.len, 1);
	assert_string_equal(b.data, "a");
	nb_buf_free(&b);
}

static void test_consume_drops_the_first_bytes_and_keeps_the_rest(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	assert_int_equal(nb_buf_puts(&b, "hello world"), 0);
	nb_buf_consume(&b, 6);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "world");
	nb_buf_consume(&b, 0);
	assert_string_equal(b.data, "world");
	nb_buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(nb_buf_puts(&b, "again"), 0);
	assert_string_equal(b.data, "again");
	nb_buf_free(&b);
}

static void test_consuming_exactly_the_length_empties_the_buffer(void **state)
{
	struct nb_buf b = { 0 };

	(void)state;
	assert_int_equal(nb_buf_puts(&b, "abc"), 0);
	nb_buf_consume(&b, 3);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	nb_buf_free(&b);
}

static void test_steal_hands_out_the_bytes_and_empties_the_buffer(void **state)
{
	struct nb_buf b = { 0 };
	char *s;

	(void)state;
	assert_int_equal(nb_buf_printf(&b, "%s-%d", "id", 7), 0);
	s = nb_buf_steal(&b);
	assert_string_equal(s, "id-7");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(nb_buf_puts(&b, "next"), 0);
	assert_string_equal(b.data, "next");
	assert_ptr_not_equal(b.data, s);
	free(s);
	nb_buf_free(&b);
}

static void test_reset_empties_but_keeps_the_allocation(void **state)
{
	struct nb_buf b = { 0 };
	size_t cap;

	(void)state;
	assert_int_equal(nb_buf_puts(&b, "some content"), 0);
	cap = b.cap;
	nb_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.data, "");
	assert_int_equal(nb_buf_puts(&b, "x"), 0);
	assert_string_equal(b.data, "x");
	nb_buf_free(&b);
}

static void test_the_cleanup_attribute_frees_the_buffer(void **state)
{
	(void)state;
	{
		cleanup_buf struct nb_buf b = { 0 };

		assert_int_equal(nb_buf_puts(&b, "freed at scope end"), 0);
	}
	/* Leak checkers (ASan, valgrind) prove the rest. */
}

static void collect_line(const char *text, size_t len, void *ud)
{
	struct nb_buf *out = ud;

	nb_buf_append(out, text, len);
	nb_buf_puts(out, "|");
}

static void test_lines_split_anywhere_come_out_whole(void **state)
{
	static const char stream[] = "one\ntwo\n\nthree-and-more\ntail";
	(void)state;

	for (size_t chunk = 1; chunk <= sizeof(stream) - 1; chunk++) {
		struct nb_buf partial = { 0 }, out = { 0 };

		for (size_t off = 0; off < sizeof(stream) - 1; off += chunk) {
			size_t n =
				sizeof(stream) - 1 - off < chunk ? sizeof(stream) - 1 - off : chunk;

			assert_int_equal(
				nb_buf_feed_lines(&partial, stream + off, n, collect_line, &out),
				0);
		}
		assert_string_equal(out.data, "one|two||three-and-more|");
		assert_string_equal(partial.data, "tail"); /* held for the next call */
		nb_buf_free(&partial);
		nb_buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_empty_buffer_steals_as_an_empty_string),
		cmocka_unit_test(test_consuming_from_an_empty_buffer_is_harmless),
		cmocka_unit_test(test_resetting_and_freeing_an_empty_buffer_are_harmless),
		cmocka_unit_test(
			test_a_reserve_that_would_overflow_size_t_fails_and_keeps_the_bytes),
		cmocka_unit_test(test_a_reserve_beyond_what_malloc_can_give_fails_without_looping),
		cmocka_unit_test(test_appending_nothing_to_an_empty_buffer_makes_an_empty_string),
		cmocka_unit_test(test_appends_accumulate_and_stay_nul_terminated),
		cmocka_unit_test(test_many_appends_grow_the_buffer_and_keep_every_byte),
		cmocka_unit_test(test_printf_grows_past_the_initial_capacity),
		cmocka_unit_test(test_printf_of_an_empty_string_leaves_the_content_alone),
		cmocka_unit_test(test_consume_drops_the_first_bytes_and_keeps_the_rest),
		cmocka_unit_test(test_consuming_exactly_the_length_empties_the_buffer),
		cmocka_unit_test(test_steal_hands_out_the_bytes_and_empties_the_buffer),
		cmocka_unit_test(test_reset_empties_but_keeps_the_allocation),
		cmocka_unit_test(test_the_cleanup_attribute_frees_the_buffer),
		cmocka_unit_test(test_lines_split_anywhere_come_out_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
