/*
 * tests/unit/test_logline.c - the engine's log stream line by line
 * (backend/engine/logline.c): RFC 3339 message times, and whole lines out
 * of messages fed the way the network feeds them, dropping what a resumed
 * reader already has. Pure: no engine, no files.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "backend/common/buf.h"
#include "backend/engine/logline.h"

#define T0 "2026-11-23T10:00:00."

/* ---- helpers ---- */

struct lines {
	struct nb_buf text; /* "text|" per line */
	struct nb_buf meta; /* "<nsec>x<nts>|" per line, "-|" without a time */
	int stop_after;	    /* nonzero: return 7 from that line */
	int n;
};

static int lines_cb(void *ud, const struct engine_line *l)
{
	struct lines *s = ud;

	assert_int_equal(nb_buf_printf(&s->text, "%.*s|", (int)l->len, l->text), 0);
	if (l->has_ts)
		assert_int_equal(nb_buf_printf(&s->meta, "%dx%u|", (int)l->ts.nsec, l->nts), 0);
	else
		assert_int_equal(nb_buf_puts(&s->meta, "-|"), 0);
	return ++s->n == s->stop_after ? 7 : 0;
}

static void lines_free(struct lines *s)
{
	nb_buf_free(&s->text);
	nb_buf_free(&s->meta);
}

static const char *text_of(struct lines *s)
{
	return s->text.data ? s->text.data : "";
}

/* Feeds s in pieces of step bytes. */
static void feed_steps(struct engine_linebuf *lb, const char *s, size_t step, struct lines *out)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i += step)
		assert_int_equal(engine_linebuf_feed(lb, s + i, len - i < step ? len - i : step,
						     lines_cb, out),
				 0);
}

/* ---- times and lines ---- */

static void test_malformed_times_are_refused(void **state)
{
	static const char *bad[] = { "",
				     "2026-11-23",
				     "2026-11-23T10:00:00",
				     "2026-13-23T10:00:00Z",
				     "2026-11-23T24:00:00Z",
				     "2026-11-23T10:00:00.Z",
				     "2026-11-23T10:00:00.5",
				     "2026-11-23T10:00:00+0100",
				     "2026-11-23T10:00:00Zjunk",
				     "hello world",
				     NULL };
	struct engine_ts t;

	(void)state;
	for (int i = 0; bad[i]; i++)
		assert_int_equal(engine_ts_parse(bad[i], strlen(bad[i]), &t), -EINVAL);
}

static void test_times_parse_to_unix_nanoseconds(void **state)
{
	struct engine_ts t, u;

	(void)state;
	assert_int_equal(engine_ts_parse("2026-11-23T19:35:44.260766239Z", 30, &t), 0);
	assert_int_equal(t.sec, 1795462544); /* what the engine's since= took for it */
	assert_int_equal(t.nsec, 260766239);
	assert_int_equal(engine_ts_parse("1970-01-01T00:00:00Z", 20, &t), 0);
	assert_int_equal(t.sec, 0);
	assert_int_equal(engine_ts_parse("2026-11-23T21:35:44.26+02:00", 28, &u), 0);
	assert_int_equal(u.sec, 1795462544);
	assert_int_equal(u.nsec, 260000000);
	assert_int_equal(engine_ts_parse("2026-11-23T19:35:44.2607662391Z", 31, &t), 0);
	assert_int_equal(t.nsec, 260766239);
	assert_int_equal(engine_ts_cmp(&u, &t), -1);
	assert_int_equal(engine_ts_cmp(&t, &u), 1);
	assert_int_equal(engine_ts_cmp(&t, &t), 0);
}

static void test_lines_split_across_chunks_come_out_whole(void **state)
{
	static const char stream[] = T0 "000000001Z first line\n" T0 "000000002Z second\n" T0
					"000000003Z \n" T0 "000000004Z last\n";

	(void)state;
	for (size_t step = 1; step <= sizeof(stream); step++) {
		struct engine_linebuf lb = { .timestamps = true };
		struct lines out = { 0 };

		feed_steps(&lb, stream, step, &out);
		assert_string_equal(text_of(&out), "first line|second||last|");
		assert_string_equal(out.meta.data, "1x1|2x1|3x1|4x1|");
		assert_int_equal(engine_linebuf_flush(&lb, lines_cb, &out), 0);
		assert_int_equal(out.n, 4);
		engine_linebuf_free(&lb);
		lines_free(&out);
	}
}

static void test_timestamps_are_stripped_and_text_without_one_is_kept(void **state)
{
	struct engine_linebuf lb = { .timestamps = true };
	struct lines out = { 0 };

	(void)state;
	feed_steps(&lb,
		   T0 "000000001Z  two spaces\n"
		      "no time here\n"
		      "2026-99-99T00:00:00Z looks like one\n" T0 "000000002Z\n"
		      "x\n",
		   5, &out);
	assert_string_equal(text_of(&out),
			    " two spaces|no time here|"
			    "2026-99-99T00:00:00Z looks like one|" T0 "000000002Z|x|");
	assert_string_equal(out.meta.data, "1x1|-|-|-|-|");
	engine_linebuf_free(&lb);
	lines_free(&out);

	/* Without timestamps nothing is stripped. */
	lb = (struct engine_linebuf){ .timestamps = false, .strip_cr = true };
	out = (struct lines){ 0 };
	feed_steps(&lb, T0 "000000001Z tty\r\nplain\n", 3, &out);
	assert_string_equal(text_of(&out), T0 "000000001Z tty|plain|");
	engine_linebuf_free(&lb);
	lines_free(&out);
}

static void test_a_partial_last_line_is_held_then_flushed_with_a_newline(void **state)
{
	struct engine_linebuf lb = { .timestamps = true };
	struct lines out = { 0 };

	(void)state;
	feed_steps(&lb, T0 "000000001Z done\n" T0 "000000002Z no newline yet", 4, &out);
	assert_string_equal(text_of(&out), "done|");
	feed_steps(&lb, " still", 2, &out);
	assert_string_equal(text_of(&out), "done|");
	assert_int_equal(engine_linebuf_flush(&lb, lines_cb, &out), 0);
	assert_string_equal(text_of(&out), "done|no newline yet still|");
	assert_string_equal(out.meta.data, "1x1|2x1|");
	/* Nothing held: a second flush emits nothing. */
	assert_int_equal(engine_linebuf_flush(&lb, lines_cb, &out), 0);
	assert_int_equal(out.n, 2);
	engine_linebuf_free(&lb);
	lines_free(&out);
}

static void test_a_long_lines_messages_join_into_one_line(void **state)
{
	struct engine_linebuf lb = { .timestamps = true };
	struct lines out = { 0 };

	(void)state;
	/* The engine cuts a long line into messages, each stamped (often with
	 * the same time); only the frame boundary says where one ends. */
	feed_steps(&lb, T0 "000000005Z aaaa", 3, &out);
	engine_linebuf_end_message(&lb);
	feed_steps(&lb, T0 "000000005Z bbbb", 7, &out);
	engine_linebuf_end_message(&lb);
	feed_steps(&lb, T0 "000000006Z cc\n", 100, &out);
	engine_linebuf_end_message(&lb);
	feed_steps(&lb, T0 "000000006Z next\n", 100, &out);
	assert_string_equal(text_of(&out), "aaaabbbbcc|next|");
	assert_string_equal(out.meta.data, "6x1|6x1|");
	engine_linebuf_free(&lb);
	lines_free(&out);
}

static void test_a_callback_can_stop_the_feed(void **state)
{
	struct engine_linebuf lb = { .timestamps = true };
	struct lines out = { .stop_after = 1 };
	static const char s[] = T0 "000000001Z a\n" T0 "000000002Z b\n";

	(void)state;
	assert_int_equal(engine_linebuf_feed(&lb, s, strlen(s), lines_cb, &out), 7);
	assert_string_equal(text_of(&out), "a|");
	engine_linebuf_free(&lb);
	lines_free(&out);
}

static void test_resume_skips_messages_already_written(void **state)
{
	struct engine_logmark resume = { .ts = { 0, 0 }, .count = 0 };
	struct engine_linebuf lb = { .timestamps = true, .resume = &resume };
	struct lines out = { 0 };

	(void)state;
	assert_int_equal(engine_ts_parse(T0 "000000005Z", 30, &resume.ts), 0);
	resume.count = 2; /* two messages at ...05 were written, the third was not */
	feed_steps(&lb,
		   T0 "000000004Z old\n" T0 "000000005Z dup one\n" T0 "000000005Z dup two\n" T0
		      "000000005Z new at the same time\n" T0 "000000006Z newer\n",
		   9, &out);
	assert_string_equal(text_of(&out), "new at the same time|newer|");
	assert_int_equal(resume.count, 0);
	engine_linebuf_free(&lb);
	lines_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_times_are_refused),
		cmocka_unit_test(test_times_parse_to_unix_nanoseconds),
		cmocka_unit_test(test_lines_split_across_chunks_come_out_whole),
		cmocka_unit_test(test_timestamps_are_stripped_and_text_without_one_is_kept),
		cmocka_unit_test(test_a_partial_last_line_is_held_then_flushed_with_a_newline),
		cmocka_unit_test(test_a_long_lines_messages_join_into_one_line),
		cmocka_unit_test(test_a_callback_can_stop_the_feed),
		cmocka_unit_test(test_resume_skips_messages_already_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
