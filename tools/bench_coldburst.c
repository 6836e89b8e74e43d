/*
 * tools/bench_coldburst.c - `health` while more Lambda cold starts run at
 * once than the mount has FUSE workers, against `health` with none
 * running, in the same process and the same mount.
 *
 *   bench_coldburst MOUNTPOINT OWNER-ID FUNCS INIT-SECONDS SAMPLES
 *
 * The mount is expected to run with --fuse-workers below FUNCS. Makes an
 * image: local/lambda-provided:al2023 whose entrypoint sleeps
 * $INIT_SECONDS (from the function's environment) before it serves, as an
 * image with a slow initialisation does (committed from a container with
 * the Engine API as nimbusfs-bench/slow-init:OWNER-ID, from a container
 * labelled io.nimbusfs.owner=OWNER-ID-floor; removed at the end). Then FUNCS image functions of it,
 * and:
 *
 *   floor  SAMPLES reads of `health` (stat, open, read, close), no cold
 *          start running.
 *   burst  one thread per function invokes it (open `invoke` O_RDWR,
 *          write "{}", read to EOF, close): FUNCS cold starts at once,
 *          each INIT-SECONDS long at least. Meanwhile `health` is read
 *          in a loop until the last invocation answers; only reads that
 *          started while every cold start was still running count.
 *
 * Prints (latencies in microseconds, cold starts in milliseconds):
 *   health <floor med> <floor p99> <burst med> <burst p99> <burst max>
 *          <burst samples> <cold start med ms> <cold starts that answered>
 * The functions are removed at the end (evict, rmdir). Every wait is
 * bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/engine/containers.h"
#include "backend/engine/engine.h"
#include "tools/benchfn.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

#define MAX_FUNCS   64
#define MAX_SAMPLES 1000000
#define BASE_IMAGE  "local/lambda-provided:al2023"
#define SLOW_REPO   "nimbusfs-bench/slow-init"
#define ENTRYPOINT                                                                                 \
	"ENTRYPOINT [\"/bin/sh\", \"-c\", \"sleep \\\"${INIT_SECONDS:-0}\\\"; exec "               \
	"/usr/local/bin/aws-lambda-rie \\\"$@\\\"\", \"sh\"]\nCMD [\"function.handler\"]"
#define RMDIR_MS 10000 /* a busy function's rmdir */

static const char *mnt;
static struct engine *eng;
static char image[128];
static int n_funcs;
static char fn_dirs[MAX_FUNCS][1024];

struct invoker {
	pthread_t thread;
	int i;
	bool started;
	double ms; /* how long its invocation took; < 0: failed */
};

static atomic_int running; /* invocations not answered yet */

static double now_ms(void)
{
	return bench_now_ms(CLOCK_MONOTONIC);
}

/* One read of `health` as a program does it; its latency in microseconds. */
static double read_health(void)
{
	static char path[1200];
	char buf[256];
	struct stat st;
	double t0 = now_ms();
	int fd;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/health", mnt);
	if (stat(path, &st) < 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return (now_ms() - t0) * 1e3;
}

/* ---- the slow image ---- */

static int make_image(const char *owner)
{
	cleanup_cjson cJSON *spec = cJSON_CreateObject();
	cleanup_free char *changes = engine_escape(ENTRYPOINT);
	char id[65], path[1024];
	struct nb_err err = { 0 };
	int ret;

	snprintf(image, sizeof(image), "%s:%s", SLOW_REPO, owner);
	json_add_str(spec, "Image", BASE_IMAGE);
	if (!changes || !bench_floor_labels(spec, owner))
		return -1;
	if (engine_container_create(eng, NULL, spec, id, &err) < 0) {
		fprintf(stderr, "bench_coldburst: %s\n", err.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "/commit?container=%s&repo=%s&tag=%s&changes=%s", id,
		 SLOW_REPO, owner, changes);
	ret = engine_do_json(eng, "POST", path, NULL, NULL, &err);
	if (ret < 0)
		fprintf(stderr, "bench_coldburst: commit: %s\n", err.msg);
	engine_container_remove(eng, id, true, true, NULL);
	return ret;
}

static void remove_image(void)
{
	struct engine_req req = { .method = "DELETE" };
	char path[256];

	if (!image[0])
		return;
	snprintf(path, sizeof(path), "/images/%s?force=1", image);
	req.path = path;
	engine_do(eng, &req, NULL, NULL);
}

/* ---- the functions ---- */

static int make_functions(int init_seconds)
{
	char env[64], img[160];

	snprintf(env, sizeof(env), "INIT_SECONDS=%d\n", init_seconds);
	snprintf(img, sizeof(img), "%s\n", image);
	for (int i = 0; i < n_funcs; i++) {
		char name[64];

		snprintf(name, sizeof(name), "nb-burst-%d-%d", (int)getpid(), i);
		if (bench_fn_make(mnt, name, fn_dirs[i], sizeof(fn_dirs[i])) < 0 ||
		    bench_fn_write(fn_dirs[i], "image", img, strlen(img)) < 0 ||
		    bench_fn_write(fn_dirs[i], "environment", env, strlen(env)) < 0)
			return -1;
	}
	return 0;
}

static void remove_functions(void)
{
	for (int i = 0; i < n_funcs; i++)
		bench_fn_remove(fn_dirs[i], RMDIR_MS);
}

static void *invoke_main(void *arg)
{
	struct invoker *v = arg;
	char path[1200], ans[256];
	double t0 = now_ms();

	snprintf(path, sizeof(path), "%s/invoke", fn_dirs[v->i]);
	if (bench_fn_invoke(path, ans, sizeof(ans)) >= 0)
		v->ms = now_ms() - t0;
	atomic_fetch_sub(&running, 1);
	return NULL;
}

/* ---- the figures ---- */

static int floor_samples(int n, double *v)
{
	for (int i = 0; i < n; i++)
		if ((v[i] = read_health()) < 0)
			return -1;
	return 0;
}

/* Reads `health` while all n_funcs invocations run; returns the count. */
static int burst_samples(double *v, int max, struct invoker *inv)
{
	int n = 0;

	atomic_store(&running, n_funcs);
	for (int i = 0; i < n_funcs; i++) {
		inv[i].i = i;
		inv[i].ms = -1;
		inv[i].started = pthread_create(&inv[i].thread, NULL, invoke_main, &inv[i]) == 0;
		if (!inv[i].started)
			atomic_fetch_sub(&running, 1);
	}
	while (atomic_load(&running) == n_funcs && n < max) {
		double us = read_health();

		/* A read that ended after a cold start did still counts: it
		 * began while they all ran. */
		if (us >= 0)
			v[n++] = us;
	}
	for (int i = 0; i < n_funcs; i++)
		if (inv[i].started)
			pthread_join(inv[i].thread, NULL);
	return n;
}

int main(int argc, char **argv)
{
	static double floor_v[MAX_SAMPLES], burst_v[MAX_SAMPLES];
	struct invoker inv[MAX_FUNCS] = { 0 };
	double cold[MAX_FUNCS];
	int init_s, samples, n, ok = 0, ret = 1;

	bench_prog = "bench_coldburst";

	if (argc != 6 || (n_funcs = atoi(argv[3])) <= 0 || n_funcs > MAX_FUNCS ||
	    (init_s = atoi(argv[4])) < 0 || init_s > 8 || (samples = atoi(argv[5])) <= 0 ||
	    samples > MAX_SAMPLES) {
		fprintf(stderr,
			"usage: bench_coldburst MOUNTPOINT OWNER-ID FUNCS(1-%d) INIT-SECONDS(0-8) "
			"SAMPLES(1-%d)\n",
			MAX_FUNCS, MAX_SAMPLES);
		return 2;
	}
	mnt = argv[1];
	if (bench_engine_open(&eng) < 0)
		return 1;
	if (make_image(argv[2]) < 0 || make_functions(init_s) < 0)
		goto out;
	if (floor_samples(samples, floor_v) < 0) {
		fprintf(stderr, "bench_coldburst: health: %s\n", strerror(errno));
		goto out;
	}
	n = burst_samples(burst_v, MAX_SAMPLES, inv);
	for (int i = 0; i < n_funcs; i++)
		if (inv[i].ms >= 0)
			cold[ok++] = inv[i].ms;
	if (ok < n_funcs)
		fprintf(stderr, "bench_coldburst: %d of %d invocations failed\n", n_funcs - ok,
			n_funcs);
	printf("health %.1f %.1f %.1f %.1f %.1f %d %.0f %d\n",
	       bench_quantile(floor_v, samples, 0.5), bench_quantile(floor_v, samples, 0.99),
	       bench_quantile(burst_v, n, 0.5), bench_quantile(burst_v, n, 0.99),
	       bench_quantile(burst_v, n, 1.0), n, bench_quantile(cold, ok, 0.5), ok);
	ret = 0;
out:
	remove_functions();
	remove_image();
	engine_free(eng);
	return ret;
}
