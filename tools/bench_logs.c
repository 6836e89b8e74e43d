/*
 * tools/bench_logs.c - a task's log capture against the raw Engine API log
 * stream of the same container, followed by this process in the same run.
 *
 *   bench_logs burst MOUNTPOINT IMAGE MB
 *     A task whose container prints MB megabytes at once (98-byte lines,
 *     `yes | head`), then sleeps. From the container's start (its
 *     State.StartedAt) to the task's `logs` st_size holding every line
 *     (stat every 5 ms), and to a raw GET /containers/{id}/logs?follow=1
 *     &timestamps=1 stream, which this process follows at the same time,
 *     having delivered every line.
 *     Prints: "<output bytes> <nimbusfs ms> <raw ms>".
 *
 *   bench_logs latency MOUNTPOINT IMAGE LINES
 *     A task whose container prints "tick N" every 100 ms. The raw follow
 *     stream and a reader of the task's `logs` (read to the end, poll() for
 *     POLLPRI, read on, as `tail -f` would) note, on one clock, when each
 *     line reaches them.
 *     Prints: "<med> <p90> <max> <samples>" of `logs` minus raw, in ms.
 *
 * Each removes its task (ctl stop, STOPPED, rmdir) before it exits; every
 * wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/buf.h"
#include "backend/common/cancel.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/engine/containers.h"
#include "backend/engine/engine.h"
#include "backend/engine/logline.h"
#include "backend/engine/logs.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"
#include "tools/benchtask.h"

#define LINE_TEXT                                                                                  \
	"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567" \
	"890123456"
#define LINE_BYTES  (sizeof(LINE_TEXT)) /* with its newline: 98 */
#define PREFIX	    "[gen] "
#define BURST_WAIT  300000 /* ms the capture of a burst may take */
#define START_WAIT  60000  /* ms a task may take to start */
#define STOP_WAIT_S 60
#define MAX_TICKS   1000

static const char *mnt;
static struct engine *eng;

/* ---- the raw follow stream ---- */

struct raw_follow {
	char cid[65];
	struct nb_cancel stop;
	pthread_t thread;
	long want; /* lines to see before stopping; 0: follow until stopped */
	long lines;
	double done_ms;	   /* CLOCK_REALTIME when the want-th line arrived */
	double *tick_ms;   /* CLOCK_MONOTONIC when "tick N" arrived, by N */
	struct nb_buf cur; /* the line being received */
	int ret;
	struct nb_err err;
};

static void raw_line(struct raw_follow *rf, const char *line, size_t len)
{
	const char *t = memmem(line, len, " tick ", 6);
	int n;

	rf->lines++;
	if (rf->tick_ms && t && sscanf(t, " tick %d", &n) == 1 && n >= 0 && n < MAX_TICKS &&
	    rf->tick_ms[n] < 0)
		rf->tick_ms[n] = bench_now_ms(CLOCK_MONOTONIC);
}

static int raw_piece(int stream, const char *data, size_t len, void *ud)
{
	struct raw_follow *rf = ud;

	(void)stream;
	for (const char *p = data, *end = data + len, *nl; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			/* Only the latency run needs the text; the burst counts. */
			if (rf->tick_ms && nb_buf_append(&rf->cur, p, (size_t)(end - p)) < 0)
				return -1;
			break;
		}
		if (rf->tick_ms && rf->cur.len) {
			nb_buf_append(&rf->cur, p, (size_t)(nl - p));
			raw_line(rf, rf->cur.data, rf->cur.len);
			nb_buf_reset(&rf->cur);
		} else {
			raw_line(rf, p, (size_t)(nl - p));
		}
		if (rf->want && rf->lines == rf->want) {
			rf->done_ms = bench_now_ms(CLOCK_REALTIME);
			return 1;
		}
	}
	return 0;
}

static void *raw_main(void *arg)
{
	struct raw_follow *rf = arg;
	struct engine_logs_opts opts = {
		.follow = true, .stdout_ = true, .stderr_ = true, .timestamps = true
	};

	rf->ret = engine_container_logs(eng, rf->cid, &opts, raw_piece, rf, &rf->stop, &rf->err);
	return NULL;
}

static int raw_start(struct raw_follow *rf)
{
	nb_cancel_init(&rf->stop);
	rf->done_ms = -1;
	if (pthread_create(&rf->thread, NULL, raw_main, rf)) {
		nb_cancel_destroy(&rf->stop);
		return -1;
	}
	return 0;
}

static void raw_stop(struct raw_follow *rf)
{
	nb_cancel_fire(&rf->stop);
	pthread_join(rf->thread, NULL);
	nb_cancel_destroy(&rf->stop);
	nb_buf_free(&rf->cur);
	if (rf->ret < 0)
		fprintf(stderr, "bench_logs: raw stream: %s\n", rf->err.msg);
}

/* ---- the task ---- */

/* Runs family and waits for its container "gen": id into cid. */
static int start_task(const char *family, char id[BENCH_TASK_ID_LEN + 1], char cid[65])
{
	if (bench_task_run(mnt, family, id) < 0)
		return -1;
	if (bench_task_wait_value(mnt, id, "status", "RUNNING", START_WAIT) < 0 ||
	    bench_task_read(mnt, id, "containers/gen/id", cid, 65) < 0 || !cid[0]) {
		fprintf(stderr, "bench_logs: task %s did not start\n", id);
		bench_task_remove(mnt, id, STOP_WAIT_S);
		return -1;
	}
	return 0;
}

/* The container's State.StartedAt, CLOCK_REALTIME ms; -1 when unknown. */
static double started_ms(const char *cid)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const cJSON *state;
	const char *at;
	struct engine_ts ts;

	if (engine_container_inspect(eng, cid, &doc, &err) < 0 ||
	    json_get_object_opt(doc, "State", &state, &err) < 0 || !state ||
	    json_get_str(state, "StartedAt", &at, &err) < 0 ||
	    engine_ts_parse(at, strlen(at), &ts) < 0) {
		fprintf(stderr, "bench_logs: inspect %s: %s\n", cid, err.msg);
		return -1;
	}
	return (double)ts.sec * 1e3 + ts.nsec / 1e6;
}

static int register_family(const char *family, const char *image, const char *script)
{
	static const char *const names[] = { "gen" };
	const char *const argv[] = { "sh", "-c", script, NULL };

	return bench_task_define(mnt, family, image, names, 1, argv);
}

/* ---- burst ---- */

static int bench_burst(const char *image, long mb)
{
	long lines = mb * 1000000 / (long)LINE_BYTES;
	long long want = (long long)lines * (long long)(LINE_BYTES + strlen(PREFIX));
	struct raw_follow rf = { .want = lines };
	char script[512], id[BENCH_TASK_ID_LEN + 1], path[1024];
	double t0, nb_ms = -1, deadline;
	int ret = 1;

	snprintf(script, sizeof(script), "yes %s | head -n %ld; exec sleep 3600", LINE_TEXT, lines);
	if (register_family("bench-logs-burst", image, script) < 0 ||
	    start_task("bench-logs-burst", id, rf.cid) < 0)
		return 1;
	if (raw_start(&rf) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/ecs/tasks/%s/logs", mnt, id);
	deadline = bench_now_ms(CLOCK_MONOTONIC) + BURST_WAIT;
	while (bench_now_ms(CLOCK_MONOTONIC) < deadline) {
		struct stat st;

		if (stat(path, &st) < 0) {
			fprintf(stderr, "bench_logs: stat %s: %s\n", path, strerror(errno));
			break;
		}
		if (st.st_size >= want) {
			nb_ms = bench_now_ms(CLOCK_REALTIME);
			break;
		}
		usleep(5000);
	}
	/* The raw stream is given as long again to finish. */
	while (rf.done_ms < 0 && rf.ret == 0 && bench_now_ms(CLOCK_MONOTONIC) < deadline)
		usleep(5000);
	raw_stop(&rf);
	t0 = started_ms(rf.cid);
	if (nb_ms < 0 || rf.done_ms < 0 || t0 < 0) {
		fprintf(stderr, "bench_logs: burst not captured: logs %s, raw %ld of %ld lines\n",
			nb_ms < 0 ? "short" : "complete", rf.lines, lines);
		goto out;
	}
	printf("%lld %.1f %.1f\n", (long long)lines * (long long)LINE_BYTES, nb_ms - t0,
	       rf.done_ms - t0);
	ret = 0;
out:
	if (bench_task_remove(mnt, id, STOP_WAIT_S) < 0)
		ret = 1;
	return ret;
}

/* ---- latency ---- */

/* Reads the task's logs as `tail -f` does until every tick is seen or the
 * deadline: tick_ms[N] gets the CLOCK_MONOTONIC ms of the read that
 * returned "[gen] tick N". Returns how many ticks were seen. */
static int follow_logs(const char *id, int ticks, double *tick_ms, double deadline)
{
	struct pollfd pfd = { .events = POLLPRI };
	struct nb_buf cur = { 0 };
	char path[1024], buf[65536];
	int seen = 0, n;

	snprintf(path, sizeof(path), "%s/ecs/tasks/%s/logs", mnt, id);
	pfd.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd.fd < 0) {
		fprintf(stderr, "bench_logs: %s: %s\n", path, strerror(errno));
		return 0;
	}
	while (seen < ticks && bench_now_ms(CLOCK_MONOTONIC) < deadline) {
		ssize_t got = read(pfd.fd, buf, sizeof(buf));
		double now = bench_now_ms(CLOCK_MONOTONIC);

		if (got < 0)
			break;
		if (got == 0) {
			poll(&pfd, 1, 1000);
			continue;
		}
		for (char *p = buf, *end = buf + got, *nl; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			nb_buf_append(&cur, p, nl ? (size_t)(nl - p) : (size_t)(end - p));
			if (!nl)
				break;
			if (cur.data && sscanf(cur.data, PREFIX "tick %d", &n) == 1 && n >= 0 &&
			    n < ticks && tick_ms[n] < 0) {
				tick_ms[n] = now;
				seen++;
			}
			nb_buf_reset(&cur);
		}
	}
	nb_buf_free(&cur);
	close(pfd.fd);
	return seen;
}

static int bench_latency(const char *image, int ticks)
{
	static double raw_ms[MAX_TICKS], nb_ms[MAX_TICKS], delta[MAX_TICKS];
	struct raw_follow rf = { .tick_ms = raw_ms };
	char script[512], id[BENCH_TASK_ID_LEN + 1];
	double ready, med;
	int n = 0, ret = 1;

	for (int i = 0; i < MAX_TICKS; i++)
		raw_ms[i] = nb_ms[i] = -1;
	/* The first tick after 2 s: both readers are following by then. */
	snprintf(script, sizeof(script),
		 "sleep 2; i=0; while [ $i -lt %d ]; do echo tick $i; i=$((i+1)); "
		 "sleep 0.1; done; exec sleep 3600",
		 ticks);
	if (register_family("bench-logs-tick", image, script) < 0 ||
	    start_task("bench-logs-tick", id, rf.cid) < 0)
		return 1;
	if (raw_start(&rf) < 0)
		goto out;
	ready = bench_now_ms(CLOCK_MONOTONIC);
	follow_logs(id, ticks, nb_ms, ready + 2000 + ticks * 100.0 + 10000);
	raw_stop(&rf);
	/* Only lines both readers were following for count. */
	for (int i = 0; i < ticks; i++)
		if (raw_ms[i] > ready && nb_ms[i] >= 0)
			delta[n++] = nb_ms[i] - raw_ms[i];
	if (n == 0) {
		fprintf(stderr, "bench_logs: no tick reached both readers\n");
		goto out;
	}
	med = bench_quantile(delta, n, 0.5); /* sorts delta */
	printf("%.3f %.3f %.3f %d\n", med, bench_quantile(delta, n, 0.9), delta[n - 1], n);
	ret = 0;
out:
	if (bench_task_remove(mnt, id, STOP_WAIT_S) < 0)
		ret = 1;
	return ret;
}

int main(int argc, char **argv)
{
	long n;
	int ret;

	bench_prog = "bench_logs";
	if (argc != 5 || (strcmp(argv[1], "burst") && strcmp(argv[1], "latency")) ||
	    (n = strtol(argv[4], NULL, 10)) <= 0 ||
	    (!strcmp(argv[1], "latency") && n > MAX_TICKS)) {
		fprintf(stderr,
			"usage: bench_logs burst MOUNTPOINT IMAGE MB\n"
			"       bench_logs latency MOUNTPOINT IMAGE LINES (at most %d)\n",
			MAX_TICKS);
		return 2;
	}
	mnt = argv[2];
	if (bench_engine_open(&eng) < 0)
		return 1;
	ret = !strcmp(argv[1], "burst") ? bench_burst(argv[3], n) : bench_latency(argv[3], (int)n);
	engine_free(eng);
	return ret;
}
