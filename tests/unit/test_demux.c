/*
 * tests/unit/test_demux.c - the multiplexed-stream demuxer, fed the way the
 * network feeds it: in pieces split anywhere, including inside a header.
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
#include "backend/engine/logs.h"

struct sink {
	struct nb_buf out;
	struct nb_buf err;
	struct nb_buf seq; /* "1:hello|2:oops|" - order and stream of each piece */
	int calls;
	int stop_with; /* nonzero: return this from the first call */
};

static int sink_cb(int stream, const char *data, size_t len, void *ud)
{
	struct sink *s = ud;

	assert_true(stream == ENGINE_STDOUT || stream == ENGINE_STDERR);
	assert_true(len > 0);
	s->calls++;
	assert_int_equal(nb_buf_append(stream == ENGINE_STDOUT ? &s->out : &s->err, data, len), 0);
	assert_int_equal(nb_buf_printf(&s->seq, "%d:%.*s|", stream, (int)len, data), 0);
	return s->stop_with;
}

static void sink_free(struct sink *s)
{
	nb_buf_free(&s->out);
	nb_buf_free(&s->err);
	nb_buf_free(&s->seq);
}

/* Appends one frame: the 8-byte header, then payload. */
static void frame(struct nb_buf *b, unsigned char stream, const char *payload, size_t len)
{
	unsigned char hdr[8] = { stream,
				 0,
				 0,
				 0,
				 (unsigned char)(len >> 24),
				 (unsigned char)(len >> 16),
				 (unsigned char)(len >> 8),
				 (unsigned char)len };

	assert_int_equal(nb_buf_append(b, hdr, sizeof(hdr)), 0);
	assert_int_equal(nb_buf_append(b, payload, len), 0);
}

static void test_bad_stream_byte_is_a_protocol_error(void **state)
{
	static const char bad[] = { 3, 0, 0, 0, 0, 0, 0, 1, 'x' };
	struct engine_demux d;
	struct sink s = { 0 };
	struct nb_err err = { 0 };

	(void)state;
	engine_demux_init(&d, false);
	assert_int_equal(engine_demux_feed(&d, bad, sizeof(bad), sink_cb, &s), -EPROTO);
	assert_non_null(strstr(d.why, "stream byte"));
	assert_int_equal(s.calls, 0);
	/* The error sticks: later data cannot resynchronise a broken stream. */
	assert_int_equal(engine_demux_feed(&d, "\1\0\0\0\0\0\0\0", 8, sink_cb, &s), -EPROTO);
	assert_int_equal(engine_demux_end(&d, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "stream byte"));
	sink_free(&s);
}

static void test_text_read_as_a_header_is_a_protocol_error(void **state)
{
	struct engine_demux d;
	struct sink s = { 0 };

	(void)state;
	engine_demux_init(&d, false);
	/* A TTY container's output starts with text; its padding is not zero. */
	assert_int_equal(engine_demux_feed(&d, "\1abcdefgh", 9, sink_cb, &s), -EPROTO);
	assert_non_null(strstr(d.why, "padding"));
	sink_free(&s);
}

static void test_oversized_frame_is_a_protocol_error(void **state)
{
	uint32_t max = ENGINE_DEMUX_FRAME_MAX, over = max + 1;
	unsigned char ok[8] = { 1, 0, 0, 0, max >> 24, max >> 16, max >> 8, max };
	unsigned char bad[8] = { 1, 0, 0, 0, over >> 24, over >> 16, over >> 8, over };
	struct engine_demux d;
	struct sink s = { 0 };

	(void)state;
	engine_demux_init(&d, false);
	assert_int_equal(engine_demux_feed(&d, (char *)ok, 8, sink_cb, &s), 0);
	engine_demux_init(&d, false);
	assert_int_equal(engine_demux_feed(&d, (char *)bad, 8, sink_cb, &s), -EPROTO);
	assert_non_null(strstr(d.why, "oversized"));
	sink_free(&s);
}

static void test_stream_ending_inside_a_header_is_truncated(void **state)
{
	struct engine_demux d;
	struct sink s = { 0 };
	struct nb_err err = { 0 };

	(void)state;
	engine_demux_init(&d, false);
	assert_int_equal(engine_demux_feed(&d, "\1\0\0\0\0", 5, sink_cb, &s), 0);
	assert_int_equal(engine_demux_end(&d, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "header"));
	assert_int_equal(s.calls, 0);
	sink_free(&s);
}

static void test_stream_ending_inside_a_payload_is_truncated(void **state)
{
	struct engine_demux d;
	struct sink s = { 0 };
	struct nb_err err = { 0 };

	(void)state;
	engine_demux_init(&d, false);
	assert_int_equal(engine_demux_feed(&d, "\2\0\0\0\0\0\0\5abc", 11, sink_cb, &s), 0);
	assert_string_equal(s.err.data, "abc");
	assert_int_equal(engine_demux_end(&d, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "2 payload bytes missing"));
	sink_free(&s);
}

static void test_callback_can_stop_the_demuxer(void **state)
{
	struct nb_buf in = { 0 };
	struct engine_demux d;
	struct sink s = { .stop_with = 7 };

	(void)state;
	frame(&in, 1, "one", 3);
	frame(&in, 1, "two", 3);
	engine_demux_init(&d, false);
	assert_int_equal(engine_demux_feed(&d, in.data, in.len, sink_cb, &s), 7);
	assert_int_equal(s.calls, 1);
	nb_buf_free(&in);
	sink_free(&s);
}

/* A recorded GET /containers/{id}/logs reply: "err\n" on stderr first. */
static const char recorded_logs[] = "\2\0\0\0\0\0\0\4err\n\1\0\0\0\0\0\0\4out\n";

static void test_recorded_engine_reply_demuxes(void **state)
{
	struct engine_demux d;
	struct sink s = { 0 };

	(void)state;
	engine_demux_init(&d, false);
	assert_int_equal(
		engine_demux_feed(&d, recorded_logs, sizeof(recorded_logs) - 1, sink_cb, &s), 0);
	assert_int_equal(engine_demux_end(&d, NULL), 0);
	assert_string_equal(s.seq.data, "2:err\n|1:out\n|");
	sink_free(&s);
}

static void build_mixed(struct nb_buf *in)
{
	frame(in, 1, "hello\n", 6);
	frame(in, 2, "oops", 4);
	frame(in, 1, "", 0);
	frame(in, 0, "stdin?", 6); /* stream 0 is delivered as stdout */
	frame(in, 2, "!\n", 2);
	frame(in, 1, "world\n", 6);
}

static void test_frames_split_at_every_offset(void **state)
{
	struct nb_buf in = { 0 };

	(void)state;
	build_mixed(&in);
	for (size_t cut = 0; cut <= in.len; cut++) {
		struct engine_demux d;
		struct sink s = { 0 };

		engine_demux_init(&d, false);
		assert_int_equal(engine_demux_feed(&d, in.data, cut, sink_cb, &s), 0);
		assert_int_equal(engine_demux_feed(&d, in.data + cut, in.len - cut, sink_cb, &s),
				 0);
		assert_int_equal(engine_demux_end(&d, NULL), 0);
		assert_string_equal(s.out.data, "hello\nstdin?world\n");
		assert_string_equal(s.err.data, "oops!\n");
		sink_free(&s);
	}
	nb_buf_free(&in);
}

static void test_frames_fed_one_byte_at_a_time(void **state)
{
	struct nb_buf in = { 0 };
	struct engine_demux d;
	struct sink s = { 0 };

	(void)state;
	build_mixed(&in);
	engine_demux_init(&d, false);
	for (size_t i = 0; i < in.len; i++)
		assert_int_equal(engine_demux_feed(&d, in.data + i, 1, sink_cb, &s), 0);
	assert_int_equal(engine_demux_end(&d, NULL), 0);
	assert_string_equal(s.out.data, "hello\nstdin?world\n");
	assert_string_equal(s.err.data, "oops!\n");
	nb_buf_free(&in);
	sink_free(&s);
}

static void test_stdout_and_stderr_keep_their_order(void **state)
{
	struct nb_buf in = { 0 };
	struct engine_demux d;
	struct sink s = { 0 };

	(void)state;
	build_mixed(&in);
	engine_demux_init(&d, false);
	assert_int_equal(engine_demux_feed(&d, in.data, in.len, sink_cb, &s), 0);
	assert_string_equal(s.seq.data, "1:hello\n|2:oops|1:stdin?|2:!\n|1:world\n|");
	nb_buf_free(&in);
	sink_free(&s);
}

static void test_zero_length_frames_call_nothing(void **state)
{
	struct nb_buf in = { 0 };
	struct engine_demux d;
	struct sink s = { 0 };

	(void)state;
	frame(&in, 1, "", 0);
	frame(&in, 2, "", 0);
	frame(&in, 1, "", 0);
	engine_demux_init(&d, false);
	assert_int_equal(engine_demux_feed(&d, in.data, in.len, sink_cb, &s), 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(engine_demux_end(&d, NULL), 0);
	nb_buf_free(&in);
	sink_free(&s);
}

static void test_large_frames_arrive_whole_in_pieces(void **state)
{
	size_t big = (1u << 20) + 17;
	char *payload = malloc(big);
	struct nb_buf in = { 0 };
	struct engine_demux d;
	struct sink s = { 0 };

	(void)state;
	assert_non_null(payload);
	for (size_t i = 0; i < big; i++)
		payload[i] = (char)('a' + i % 23);
	frame(&in, 2, payload, big);
	frame(&in, 1, payload, 1000);
	engine_demux_init(&d, false);
	/* An odd chunk size, so chunk and frame boundaries never line up. */
	for (size_t off = 0; off < in.len; off += 4093) {
		size_t n = in.len - off < 4093 ? in.len - off : 4093;

		assert_int_equal(engine_demux_feed(&d, in.data + off, n, sink_cb, &s), 0);
	}
	assert_int_equal(engine_demux_end(&d, NULL), 0);
	assert_int_equal(s.err.len, big);
	assert_memory_equal(s.err.data, payload, big);
	assert_int_equal(s.out.len, 1000);
	assert_memory_equal(s.out.data, payload, 1000);
	free(payload);
	nb_buf_free(&in);
	sink_free(&s);
}

static void test_tty_passthrough_is_raw_stdout(void **state)
{
	static const char raw[] = "\3not\0a header\n";
	struct engine_demux d;
	struct sink s = { 0 };

	(void)state;
	engine_demux_init(&d, true);
	assert_int_equal(engine_demux_feed(&d, raw, 4, sink_cb, &s), 0);
	assert_int_equal(engine_demux_feed(&d, raw + 4, sizeof(raw) - 5, sink_cb, &s), 0);
	assert_int_equal(engine_demux_feed(&d, raw, 0, sink_cb, &s), 0);
	assert_int_equal(engine_demux_end(&d, NULL), 0);
	assert_int_equal(s.out.len, sizeof(raw) - 1);
	assert_memory_equal(s.out.data, raw, sizeof(raw) - 1);
	assert_int_equal(s.err.len, 0);
	assert_int_equal(s.calls, 2);
	sink_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_stream_byte_is_a_protocol_error),
		cmocka_unit_test(test_text_read_as_a_header_is_a_protocol_error),
		cmocka_unit_test(test_oversized_frame_is_a_protocol_error),
		cmocka_unit_test(test_stream_ending_inside_a_header_is_truncated),
		cmocka_unit_test(test_stream_ending_inside_a_payload_is_truncated),
		cmocka_unit_test(test_callback_can_stop_the_demuxer),
		cmocka_unit_test(test_recorded_engine_reply_demuxes),
		cmocka_unit_test(test_frames_split_at_every_offset),
		cmocka_unit_test(test_frames_fed_one_byte_at_a_time),
		cmocka_unit_test(test_stdout_and_stderr_keep_their_order),
		cmocka_unit_test(test_zero_length_frames_call_nothing),
		cmocka_unit_test(test_large_frames_arrive_whole_in_pieces),
		cmocka_unit_test(test_tty_passthrough_is_raw_stdout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
