/*
 * tools/bench_ec2_runcmd.c - bench_ec2's run-command figure: on the first
 * instance, `run-command` opened O_RDWR, "true\n" written, the JSON answer
 * read to EOF (Status Success), closed; against exec create (sh -c true,
 * output attached) + start (collecting output) + inspect (exit code 0) on
 * the first default-bridge floor container.
 */
#include <stdio.h>
#include <string.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/engine/exec.h"
#include "tools/bench_ec2.h"
#include "tools/benchlib.h"

#define ANSWER_MAX 65536
#define OUT_CAP	   65536
#define WARMUP	   3 /* untimed round trips each way first */

/* One command through the mount: open, write, read to EOF, close. us, or -1. */
static double nb_runcmd(struct bench_ec2 *b, const char *id)
{
	static char ans[ANSWER_MAX];
	char path[1024], dir[1024];
	double t0 = bench_ec2_now(), t1;
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *st, *code;
	int len;

	bench_ec2_path(b, path, sizeof(path), id, "/run-command");
	len = bench_transact(path, "true\n", 5, ans, sizeof(ans));
	t1 = bench_ec2_now();
	if (len < 0) {
		bench_ec2_path(b, dir, sizeof(dir), id, "");
		return bench_fail(dir, "run-command", len);
	}
	doc = cJSON_ParseWithLength(ans, (size_t)len);
	st = cJSON_GetObjectItem(doc, "Status");
	code = cJSON_GetObjectItem(doc, "ExitCode");
	if (!cJSON_IsString(st) || strcmp(st->valuestring, "Success") != 0 ||
	    !cJSON_IsNumber(code) || code->valueint != 0) {
		fprintf(stderr, "bench_ec2: run-command answered: %.300s\n", ans);
		return -1;
	}
	return (t1 - t0) * 1e3;
}

static double raw_runcmd(struct bench_ec2 *b, const char *id)
{
	static const char *const argv[] = { "/bin/sh", "-c", "true", NULL };
	struct nb_buf out = { 0 }, errout = { 0 };
	struct nb_err err = { 0 };
	char exec_id[65];
	int code = -1, ret;
	bool running = true;
	double t0 = bench_ec2_now(), t1;

	ret = engine_exec_create(b->eng, id, argv, true, exec_id, &err);
	if (ret == 0)
		ret = engine_exec_start(b->eng, exec_id, &out, &errout, OUT_CAP, 0, NULL, &err);
	if (ret >= 0)
		ret = engine_exec_inspect(b->eng, exec_id, &code, &running, &err);
	t1 = bench_ec2_now();
	nb_buf_free(&out);
	nb_buf_free(&errout);
	if (ret < 0 || code != 0 || running) {
		fprintf(stderr, "bench_ec2: raw exec on %.12s: %s (exit %d%s)\n", id,
			ret < 0 ? err.msg : "ok", code, running ? ", running" : "");
		return -1;
	}
	return (t1 - t0) * 1e3;
}

int bench_ec2_runcmd(struct bench_ec2 *b, const char *id, const char *floor_id, int n)
{
	double nb[BENCH_EC2_MAX_N], raw[BENCH_EC2_MAX_N];
	int got = 0;

	/* The exec paths on both sides warm up first. */
	for (int i = 0; i < WARMUP; i++)
		if (nb_runcmd(b, id) < 0 || raw_runcmd(b, floor_id) < 0)
			return -1;
	for (int i = 0; i < n; i++) {
		double x, y;

		/* Which side goes first alternates. */
		if (i % 2 == 0) {
			x = nb_runcmd(b, id);
			y = x < 0 ? -1 : raw_runcmd(b, floor_id);
		} else {
			y = raw_runcmd(b, floor_id);
			x = y < 0 ? -1 : nb_runcmd(b, id);
		}
		if (x < 0 || y < 0)
			break;
		nb[got] = x;
		raw[got] = y;
		got++;
	}
	bench_ec2_print("runcmd", nb, raw, got, 0);
	return got == n ? 0 : -1;
}
