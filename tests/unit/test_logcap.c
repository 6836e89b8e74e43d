/*
 * tests/unit/test_logcap.c - log capture: whole captures against
 * tests/unit/fake_engine.c writing into a fresh mkdtemp dir (the lines
 * themselves are test_logline.c's). The fake engine ignores since=, so a
 * restarted capture sees everything again, as after a 1 s rounding would.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/workload/logcap.h"
#include "backend/engine/engine.h"
#include "backend/engine/logs.h"
#include "backend/state/atomic.h"
#include "tests/unit/fake_engine.h"
#include "tests/unit/helpers.h"

#define T0	  "2026-11-23T10:00:00."
#define LOGS_PATH "/v1.41/containers/c1/logs"

/* ---- capture environment ---- */

struct env {
	struct fake_engine fe;
	struct engine *eng;
	char dir[64];
	int dirfd;
	struct nb_err err;
	struct nb_buf frames[4]; /* reply bodies the routes point into */
	struct fake_piece pieces[4][64];
	struct fake_route routes[4];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int appends;	 /* protected by lock */
	int dones;	 /* protected by lock */
	int done_err;	 /* protected by lock */
	size_t raw_now;	 /* protected by lock */
	size_t task_now; /* protected by lock */
};

static void on_append(void *ud, const char *name, size_t raw, size_t task)
{
	struct env *env = ud;

	assert_non_null(name);
	pthread_mutex_lock(&env->lock);
	env->appends++;
	env->raw_now = raw;
	env->task_now = task;
	pthread_cond_broadcast(&env->cond);
	pthread_mutex_unlock(&env->lock);
}

static void on_done(void *ud, const char *name, int err)
{
	struct env *env = ud;

	assert_non_null(name);
	pthread_mutex_lock(&env->lock);
	env->dones++;
	env->done_err = err;
	pthread_cond_broadcast(&env->cond);
	pthread_mutex_unlock(&env->lock);
}

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	if (!env)
		return -1;
	pthread_mutex_init(&env->lock, NULL);
	pthread_cond_init(&env->cond, NULL);
	if (th_tmpdir_new("logcap", env->dir, sizeof(env->dir)) < 0 ||
	    (env->dirfd = open(env->dir, O_RDONLY | O_DIRECTORY)) < 0 ||
	    fake_engine_start(&env->fe, env->routes) < 0 ||
	    engine_new(env->fe.url, &env->eng, &env->err) < 0) {
		free(env);
		return -1;
	}
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	engine_free(env->eng);
	fake_engine_stop(&env->fe);
	for (int i = 0; i < 4; i++)
		nb_buf_free(&env->frames[i]);
	close(env->dirfd);
	th_tmpdir_remove(env->dir);
	pthread_cond_destroy(&env->cond);
	pthread_mutex_destroy(&env->lock);
	free(env);
	return 0;
}

static const struct wl_logcap_ops *ops_of(struct env *env)
{
	static struct wl_logcap_ops ops;

	ops = (struct wl_logcap_ops){ .on_append = on_append, .on_done = on_done, .ud = env };
	return &ops;
}

/* Appends one engine message (one frame) "<T0><nsec>Z <text>" to b. */
static void msg(struct nb_buf *b, int stream, int nsec, const char *text)
{
	char payload[256];
	int len = snprintf(payload, sizeof(payload), T0 "%09dZ %s", nsec, text);
	unsigned char hdr[8] = { (unsigned char)stream, 0, 0, 0, 0, 0, 0, 0 };

	hdr[6] = (unsigned char)(len >> 8);
	hdr[7] = (unsigned char)len;
	assert_int_equal(nb_buf_append(b, hdr, sizeof(hdr)), 0);
	assert_int_equal(nb_buf_append(b, payload, (size_t)len), 0);
}

/* Serves frames[i] for path as a chunked reply cut into nparts pieces
 * (split anywhere, even inside headers); hang keeps the stream open. */
static void route(struct env *env, int i, const char *path, int nparts, int delay_ms, bool hang)
{
	size_t len = env->frames[i].len, step = (len + (size_t)nparts - 1) / (size_t)nparts;
	int n = 0;

	assert_true(nparts < 64);
	for (size_t off = 0; off < len; off += step, n++)
		env->pieces[i][n] = (struct fake_piece){ env->frames[i].data + off,
							 len - off < step ? len - off : step };
	if (!len)
		env->pieces[i][n++] = (struct fake_piece){ "", 0 };
	env->pieces[i][n] = (struct fake_piece){ 0 };
	env->routes[i] = (struct fake_route){ .method = "GET",
					      .path = path,
					      .content_type = "application/vnd.docker.raw-stream",
					      .chunks = len ? env->pieces[i] : NULL,
					      .chunk_delay_ms = delay_ms,
					      .hang = hang };
	fake_engine_set_routes(&env->fe, env->routes);
}

/* Waits (at most 5 s) until on_done has run n times; returns its last err. */
static int wait_done(struct env *env, int n)
{
	struct timespec until;
	int ret;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&env->lock);
	while (env->dones < n)
		if (pthread_cond_timedwait(&env->cond, &env->lock, &until))
			break;
	assert_int_equal(env->dones, n);
	ret = env->done_err;
	pthread_mutex_unlock(&env->lock);
	return ret;
}

/* The file's contents ("" when missing), malloc'd. */
static char *slurp(struct env *env, const char *name)
{
	char *buf = NULL;
	struct nb_err err = { 0 };

	if (state_read_file(env->dirfd, name, 1 << 24, &buf, NULL, &err) == -ENOENT)
		return strdup("");
	assert_non_null(buf);
	return buf;
}

static void assert_file(struct env *env, const char *name, const char *want)
{
	cleanup_free char *got = slurp(env, name);

	assert_string_equal(got, want);
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ---- errors ---- */

static void test_start_refuses_names_that_cannot_name_a_log_file(void **state)
{
	struct env *env = *state;
	static const char *bad[] = { "", "a/b", ".hidden", "task", NULL };
	struct wl_logcap *cap = NULL;

	for (int i = 0; bad[i]; i++) {
		assert_int_equal(wl_logcap_start(env->eng, "c1", bad[i], false, env->dirfd, NULL,
						 &cap, &env->err),
				 -EINVAL);
		assert_non_null(strstr(env->err.msg, "cannot name a log file"));
	}
	assert_int_equal(
		wl_logcap_start(env->eng, "", "web", false, env->dirfd, NULL, &cap, &env->err),
		-EINVAL);
	assert_int_equal(wl_logcap_start(env->eng, "c1", "web", false, -1, NULL, &cap, &env->err),
			 -EBADF);
	assert_null(cap);
}

static void test_start_refuses_a_corrupt_pos_file(void **state)
{
	struct env *env = *state;
	static const char *bad[] = { "",
				     "12.5 1\n",
				     "12.000000005\n",
				     "x.000000005 1\n",
				     "12.000000005 1",
				     "12.000000005 1\nmore",
				     NULL };
	struct wl_logcap *cap = NULL;

	for (int i = 0; bad[i]; i++) {
		assert_int_equal(state_write_atomic(env->dirfd, "web.pos", bad[i], strlen(bad[i]),
						    0644, &env->err),
				 0);
		assert_int_equal(wl_logcap_start(env->eng, "c1", "web", false, env->dirfd, NULL,
						 &cap, &env->err),
				 -EINVAL);
		assert_non_null(strstr(env->err.msg, "web.pos is corrupt"));
	}
	assert_null(cap);
}

static void test_a_missing_container_ends_the_capture_with_enoent(void **state)
{
	struct env *env = *state;
	struct wl_logcap *cap = NULL;

	/* no route: the fake engine answers 404 */
	assert_int_equal(wl_logcap_start(env->eng, "gone", "web", false, env->dirfd, ops_of(env),
					 &cap, &env->err),
			 0);
	assert_int_equal(wait_done(env, 1), -ENOENT);
	wl_logcap_stop(cap);
	assert_file(env, "web.log", "");
	assert_int_equal(faccessat(env->dirfd, "web.pos", F_OK, 0), -1);
}

/* ---- captures ---- */

static void test_capture_writes_raw_and_prefixed_task_logs(void **state)
{
	struct env *env = *state;
	struct wl_logcap *cap = NULL;
	struct fake_request req;
	struct nb_buf *f = &env->frames[0];

	msg(f, ENGINE_STDOUT, 1, "hello\n");
	msg(f, ENGINE_STDERR, 2, "oops ");
	msg(f, ENGINE_STDOUT, 3, "world\n");
	msg(f, ENGINE_STDERR, 3, "continued\n");
	msg(f, ENGINE_STDOUT, 4, "no newline at exit");
	route(env, 0, LOGS_PATH, 7, 10, false);
	assert_int_equal(wl_logcap_start(env->eng, "c1", "web", false, env->dirfd, ops_of(env),
					 &cap, &env->err),
			 0);
	assert_int_equal(wait_done(env, 1), 0);
	wl_logcap_stop(cap);
	assert_file(env, "web.log", "hello\nworld\noops continued\nno newline at exit\n");
	assert_file(env, "task.log",
		    "[web] hello\n[web] world\n[web] oops continued\n[web] no newline at exit\n");
	assert_file(env, "web.pos", "1795428000.000000004 1 46 70\n");
	pthread_mutex_lock(&env->lock);
	assert_true(env->appends >= 1 && env->appends <= 8);
	assert_int_equal(env->raw_now,
			 strlen("hello\nworld\noops continued\nno newline at exit\n"));
	assert_int_equal(env->task_now, env->raw_now + 4 * strlen("[web] "));
	pthread_mutex_unlock(&env->lock);
	assert_int_equal(fake_engine_nreqs(&env->fe), 2);
	assert_true(fake_engine_request(&env->fe, 0, &req));
	free(req.body);
	assert_string_equal(req.path, LOGS_PATH "?follow=1&stdout=1&stderr=1&timestamps=1"
						"&since=0.000000000&tail=all");
	/* The catch-up read after the end got everything again and wrote none. */
	assert_true(fake_engine_request(&env->fe, 1, &req));
	free(req.body);
	assert_string_equal(req.path, LOGS_PATH "?follow=0&stdout=1&stderr=1&timestamps=1"
						"&since=1795428000.000000004&tail=all");
}

static void test_a_last_message_the_follow_stream_dropped_is_read_again(void **state)
{
	struct env *env = *state;
	struct wl_logcap *cap = NULL;

	msg(&env->frames[0], ENGINE_STDOUT, 1, "one\n");
	msg(&env->frames[0], ENGINE_STDERR, 2, "two\n");
	route(env, 0, LOGS_PATH "?follow=1", 2, 0, false);
	msg(&env->frames[1], ENGINE_STDERR, 2, "two\n");
	msg(&env->frames[1], ENGINE_STDOUT, 3, "bye, no newline");
	route(env, 1, LOGS_PATH "?follow=0", 2, 0, false);
	assert_int_equal(wl_logcap_start(env->eng, "c1", "web", false, env->dirfd, ops_of(env),
					 &cap, &env->err),
			 0);
	assert_int_equal(wait_done(env, 1), 0);
	wl_logcap_stop(cap);
	assert_file(env, "web.log", "one\ntwo\nbye, no newline\n");
	assert_file(env, "task.log", "[web] one\n[web] two\n[web] bye, no newline\n");
	assert_file(env, "web.pos", "1795428000.000000003 1 24 42\n");
}

static void test_restart_with_the_pos_file_neither_loses_nor_repeats(void **state)
{
	struct env *env = *state;
	struct wl_logcap *cap = NULL;
	struct fake_request req;

	msg(&env->frames[0], ENGINE_STDOUT, 1, "one\n");
	msg(&env->frames[0], ENGINE_STDERR, 2, "two\n");
	route(env, 0, LOGS_PATH, 2, 0, false);
	assert_int_equal(wl_logcap_start(env->eng, "c1", "web", false, env->dirfd, ops_of(env),
					 &cap, &env->err),
			 0);
	assert_int_equal(wait_done(env, 1), 0);
	wl_logcap_stop(cap);

	/* The engine sends from since= on, inclusive; this one sends it all. */
	nb_buf_reset(&env->frames[0]);
	msg(&env->frames[0], ENGINE_STDOUT, 1, "one\n");
	msg(&env->frames[0], ENGINE_STDERR, 2, "two\n");
	msg(&env->frames[0], ENGINE_STDOUT, 3, "three\n");
	route(env, 0, LOGS_PATH, 3, 0, false);
	assert_int_equal(wl_logcap_start(env->eng, "c1", "web", false, env->dirfd, ops_of(env),
					 &cap, &env->err),
			 0);
	assert_int_equal(wait_done(env, 2), 0);
	wl_logcap_stop(cap);
	assert_file(env, "web.log", "one\ntwo\nthree\n");
	assert_file(env, "task.log", "[web] one\n[web] two\n[web] three\n");
	assert_file(env, "web.pos", "1795428000.000000003 1 14 32\n");
	assert_true(fake_engine_request(&env->fe, -2, &req));
	free(req.body);
	assert_non_null(strstr(req.path, "?follow=1&"));
	assert_non_null(strstr(req.path, "&since=1795428000.000000002&"));
}

static void test_stop_while_idle_returns_promptly_and_saves_the_position(void **state)
{
	struct env *env = *state;
	struct wl_logcap *cap = NULL;
	struct timespec t0;
	int64_t ms;

	/* A long line's first piece is held; stop writes it rather than lose it. */
	msg(&env->frames[0], ENGINE_STDOUT, 1, "line\n");
	msg(&env->frames[0], ENGINE_STDOUT, 2, "first piece of a long line");
	route(env, 0, LOGS_PATH, 1, 0, true);
	assert_int_equal(wl_logcap_start(env->eng, "c1", "web", false, env->dirfd, ops_of(env),
					 &cap, &env->err),
			 0);
	for (int i = 0; i < 500; i++) {
		cleanup_free char *got = slurp(env, "web.log");

		if (!strcmp(got, "line\n"))
			break;
		usleep(10000);
	}
	assert_file(env, "web.log", "line\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	wl_logcap_stop(cap);
	ms = ms_since(&t0);
	assert_true(ms < 250);
	assert_file(env, "web.log", "line\nfirst piece of a long line\n");
	assert_file(env, "web.pos", "1795428000.000000002 1 32 44\n");
	pthread_mutex_lock(&env->lock);
	assert_int_equal(env->dones, 0); /* stopped, not ended */
	pthread_mutex_unlock(&env->lock);
	wl_logcap_stop(NULL);
}

static void test_a_stopped_long_line_resumes_after_its_written_piece(void **state)
{
	struct env *env = *state;
	struct wl_logcap *cap = NULL;

	assert_int_equal(state_write_atomic(env->dirfd, "web.pos", "1795428000.000000002 1\n", 23,
					    0644, &env->err),
			 0);
	/* Both pieces carry the same time: the count tells them apart. */
	msg(&env->frames[0], ENGINE_STDOUT, 2, "first piece");
	msg(&env->frames[0], ENGINE_STDOUT, 2, " second piece\n");
	route(env, 0, LOGS_PATH, 1, 0, false);
	assert_int_equal(wl_logcap_start(env->eng, "c1", "web", false, env->dirfd, ops_of(env),
					 &cap, &env->err),
			 0);
	assert_int_equal(wait_done(env, 1), 0);
	wl_logcap_stop(cap);
	assert_file(env, "web.log", " second piece\n");
	assert_file(env, "web.pos", "1795428000.000000002 2 14 20\n");
}

/* A crash came after "one" was written and its position saved, and more
 * (raw_log, task_log: what web.log and task.log hold) before the next. */
static void crash_after_one(struct env *env, const char *raw_log, const char *task_log)
{
	assert_int_equal(state_write_atomic(env->dirfd, "web.log", raw_log, strlen(raw_log), 0600,
					    &env->err),
			 0);
	assert_int_equal(state_write_atomic(env->dirfd, "task.log", task_log, strlen(task_log),
					    0600, &env->err),
			 0);
	assert_int_equal(state_write_atomic(env->dirfd, "web.pos", "1795428000.000000001 1 4 10\n",
					    28, 0600, &env->err),
			 0);
}

/* Captures container c1 as "web" until the stream ends. */
static void capture_to_the_end(struct env *env, const struct wl_logcap_ops *ops)
{
	struct wl_logcap *cap = NULL;

	assert_int_equal(
		wl_logcap_start(env->eng, "c1", "web", false, env->dirfd, ops, &cap, &env->err), 0);
	assert_int_equal(wait_done(env, 1), 0);
	wl_logcap_stop(cap);
}

static void test_lines_written_after_the_saved_position_are_cut_not_repeated(void **state)
{
	struct env *env = *state;
	struct wl_logcap_ops ops = *ops_of(env);

	crash_after_one(env, "one\ntwo\n", "[web] one\n[web] two\n");
	msg(&env->frames[0], ENGINE_STDOUT, 1, "one\n");
	msg(&env->frames[0], ENGINE_STDOUT, 2, "two\n");
	route(env, 0, LOGS_PATH, 2, 0, false);
	ops.sole_writer = true;
	capture_to_the_end(env, &ops);
	assert_file(env, "web.log", "one\ntwo\n");
	assert_file(env, "task.log", "[web] one\n[web] two\n");
	assert_file(env, "web.pos", "1795428000.000000002 1 8 20\n");
}

/* Another container's lines follow in task.log, so it cannot be cut back:
 * the lines fetched again are left out of it instead. */
static void test_lines_fetched_again_are_not_repeated_in_a_shared_task_log(void **state)
{
	struct env *env = *state;

	crash_after_one(env, "one\ntwo\n", "[web] one\n[web] two\n[db] up\n");
	msg(&env->frames[0], ENGINE_STDOUT, 1, "one\n");
	msg(&env->frames[0], ENGINE_STDOUT, 2, "two\n");
	msg(&env->frames[0], ENGINE_STDOUT, 3, "three\n");
	route(env, 0, LOGS_PATH, 2, 0, false);
	capture_to_the_end(env, ops_of(env));
	assert_file(env, "web.log", "one\ntwo\nthree\n");
	assert_file(env, "task.log", "[web] one\n[web] two\n[db] up\n[web] three\n");
}

/* A crash came after "two" reached the shared task.log (between another
 * container's lines) but before it reached web.log or the position. */
static void test_a_line_task_log_got_before_the_crash_is_not_repeated_there(void **state)
{
	struct env *env = *state;

	/* Only lines that start with "[web] " after the position are web's. */
	crash_after_one(env, "one\n",
			"[web] one\n[db] [web] not mine\n[web]x\n[web] two\n[db] up\n");
	msg(&env->frames[0], ENGINE_STDOUT, 1, "one\n");
	msg(&env->frames[0], ENGINE_STDOUT, 2, "two\n");
	msg(&env->frames[0], ENGINE_STDOUT, 3, "three\n");
	route(env, 0, LOGS_PATH, 3, 0, false);
	capture_to_the_end(env, ops_of(env));
	assert_file(env, "web.log", "one\ntwo\nthree\n");
	assert_file(env, "task.log",
		    "[web] one\n[db] [web] not mine\n[web]x\n[web] two\n[db] up\n[web] three\n");
}

/*
 * A busy engine's stream: 600 messages, each its own HTTP chunk, arriving
 * at once. They are written a read at a time, so the service hears of them
 * a few times, not once a line, and the position ends where the files do.
 */
static void test_a_burst_is_written_a_read_at_a_time_not_a_line_at_a_time(void **state)
{
	struct env *env = *state;
	static struct fake_piece burst[601];
	struct nb_buf *f = &env->frames[0];
	cleanup_free char *raw = NULL;
	char line[64];
	int n = 600, lines = 0;

	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "line %03d of a burst\n", i);
		msg(f, i % 3 ? ENGINE_STDOUT : ENGINE_STDERR, i + 1, line);
	}
	for (int i = 0; i < n; i++) /* every frame is as long as the others */
		burst[i] = (struct fake_piece){ f->data + i * (f->len / n), f->len / n };
	env->routes[0] = (struct fake_route){ .method = "GET",
					      .path = LOGS_PATH,
					      .content_type = "application/vnd.docker.raw-stream",
					      .chunks = burst,
					      .one_write = true };
	fake_engine_set_routes(&env->fe, env->routes);
	capture_to_the_end(env, ops_of(env));
	raw = slurp(env, "web.log");
	for (char *p = raw; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, n);
	assert_int_equal(strlen(raw), (size_t)n * strlen("line 000 of a burst\n"));
	assert_file(env, "web.pos", "1795428000.000000600 1 12000 15600\n");
	pthread_mutex_lock(&env->lock);
	/* 30 KB of frames: a few reads of 16 KiB, never one per line. */
	assert_true(env->appends >= 1 && env->appends <= 12);
	assert_int_equal(env->raw_now, (size_t)n * strlen("line 000 of a burst\n"));
	pthread_mutex_unlock(&env->lock);
}

static void test_concurrent_containers_never_interleave_within_a_task_log_line(void **state)
{
	struct env *env = *state;
	struct wl_logcap *a = NULL, *b = NULL;
	char line[160];
	int na = 0, nb = 0;
	cleanup_free char *task = NULL;
	char *save = NULL;

	/* Long lines in many small chunks, so any second write per line would
	 * very likely land between the other capture's writes. */
	for (int i = 0; i < 150; i++) {
		snprintf(line, sizeof(line), "%03d %0100d\n", i, 0);
		msg(&env->frames[0], ENGINE_STDOUT, i + 1, line);
		msg(&env->frames[1], ENGINE_STDERR, i + 1, line);
	}
	route(env, 0, "/v1.41/containers/ca/logs", 60, 1, false);
	route(env, 1, "/v1.41/containers/cb/logs", 60, 1, false);
	assert_int_equal(wl_logcap_start(env->eng, "ca", "alpha", false, env->dirfd, ops_of(env),
					 &a, &env->err),
			 0);
	assert_int_equal(wl_logcap_start(env->eng, "cb", "beta", false, env->dirfd, ops_of(env), &b,
					 &env->err),
			 0);
	assert_int_equal(wait_done(env, 2), 0);
	wl_logcap_stop(a);
	wl_logcap_stop(b);
	task = slurp(env, "task.log");
	for (char *l = strtok_r(task, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int idx = -1, n = 0;
		char rest[128];

		if (sscanf(l, "[alpha] %d %127s%n", &idx, rest, &n) == 2)
			na++;
		else if (sscanf(l, "[beta] %d %127s%n", &idx, rest, &n) == 2)
			nb++;
		else
			fail_msg("mixed line: %s", l);
		assert_int_equal(strlen(rest), 100);
		assert_int_equal(l[n], '\0');
	}
	assert_int_equal(na, 150);
	assert_int_equal(nb, 150);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_start_refuses_names_that_cannot_name_a_log_file),
		T(test_start_refuses_a_corrupt_pos_file),
		T(test_a_missing_container_ends_the_capture_with_enoent),
		T(test_capture_writes_raw_and_prefixed_task_logs),
		T(test_a_last_message_the_follow_stream_dropped_is_read_again),
		T(test_restart_with_the_pos_file_neither_loses_nor_repeats),
		T(test_stop_while_idle_returns_promptly_and_saves_the_position),
		T(test_a_stopped_long_line_resumes_after_its_written_piece),
		T(test_lines_written_after_the_saved_position_are_cut_not_repeated),
		T(test_lines_fetched_again_are_not_repeated_in_a_shared_task_log),
		T(test_a_line_task_log_got_before_the_crash_is_not_repeated_there),
		T(test_a_burst_is_written_a_read_at_a_time_not_a_line_at_a_time),
		T(test_concurrent_containers_never_interleave_within_a_task_log_line),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
