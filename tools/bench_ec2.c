/*
 * tools/bench_ec2.c - nimbusfs's EC2 figures against floors measured in the
 * same process, with the same clock.
 *
 *   bench_ec2 MOUNTPOINT OWNER-ID N
 *
 * One instance and one container of each floor are launched first, untimed
 * (the image, the networks and the engine connection warm up); the floors
 * copy HostConfig Init, NanoCpus and Memory from that instance's container.
 * Then, N rounds of each figure, nimbusfs and the floors in turn (which one
 * goes first rotates, so drift hits all alike):
 *
 *   launch     "\n" written to ec2/run (open O_RDWR, write, read the id
 *              back, close) until the instance's `state` reads running;
 *              against raw create+start of an equivalent container over one
 *              kept-alive Engine API connection (image local/busybox:latest,
 *              Init, `sh -c 'exec sleep 2147483647'`, a hostname, the default
 *              bridge network). The instances and containers stay up until
 *              the end, so each side launches beside as many of its own.
 *   stopstart  on the first instance: "stop" written to `state` until it
 *              reads stopped, then "start" until running; against raw
 *              POST /containers/{id}/stop?t=STOP_TIMEOUT_S + start of the
 *              first floor container (of each floor). Same stop grace
 *              period both ways (nimbusfs's EC2_STOP_TIMEOUT).
 *   runcmd     on the first instance: open `run-command` O_RDWR, write
 *              "true\n", read the JSON answer to EOF (Status Success), close;
 *              against exec create (sh -c true, output attached) + start
 *              (collecting output) + inspect (exit code 0) on the first
 *              default-bridge floor container.
 *
 * A second floor, measured in the same rounds, puts raw containers on a
 * user-defined bridge network with a static IPv4 address, as nimbusfs puts
 * an instance on its subnet's network (the driver makes its own network,
 * a /24 of 10.64.0.0/12 labelled OWNER-ID-floor, so nimbusfs's address
 * accounting is untouched): attaching there costs the engine more than the
 * default bridge does, and that share of nimbusfs's figure is the engine's.
 *
 * Prints (launch and stopstart in ms, runcmd in microseconds):
 *   launch <nb med> <nb p90> <raw med> <raw p90> <samples>
 *   launch-net <nb med> <nb p90> <raw-net med> <raw-net p90> <samples>
 *   stopstart <nb med> <nb p90> <raw med> <raw p90> <samples>
 *   stopstart-net <nb med> <nb p90> <raw-net med> <raw-net p90> <samples>
 *   runcmd <nb med> <nb p90> <raw med> <raw p90> <samples>
 * The -net lines repeat nimbusfs's samples against the second floor; they
 * are left out when the floor's network cannot be made.
 *
 * `state` is watched the way nimbusfs documents: read from offset 0, poll()
 * for POLLPRI, lseek 0, read again; each poll() is capped at BENCH_EC2_POLL_SLICE ms
 * and a change seen only by the re-read after a timeout is reported on
 * stderr as a missed wakeup. At the end every instance launched is
 * terminated (waited for, bounded) and rmdir'ed, and the floor containers
 * and network (labelled io.nimbusfs.owner=OWNER-ID-floor) are removed.
 * Environment: BENCH_EC2_STOP_TIMEOUT (seconds, default STOP_TIMEOUT_S)
 * for the raw side's stop grace period, if nimbusfs's changes.
 *
 * This file holds what the figures share (the run, the rounds, the waits,
 * the cleanup); launch and the warm-up are in tools/bench_ec2_launch.c,
 * stopstart in tools/bench_ec2_stopstart.c, runcmd in
 * tools/bench_ec2_runcmd.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/engine/containers.h"
#include "backend/engine/networks.h"
#include "tools/bench_ec2.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

#define TERM_WAIT_S    180 /* s the final terminations may take, all together */
#define STOP_TIMEOUT_S 10  /* the stop grace period, both ways */

double bench_ec2_now(void)
{
	return bench_now_ms(CLOCK_MONOTONIC);
}

void bench_ec2_path(const struct bench_ec2 *b, char *out, size_t len, const char *id,
		    const char *suffix)
{
	snprintf(out, len, "%s/ec2/%.*s%.32s", b->mnt, BENCH_EC2_ID_LEN, id, suffix);
}

int bench_ec2_wait_state(struct bench_ec2 *b, const char *id, const char *want, int timeout_ms)
{
	static const char *const never_running[] = { "terminated", "stopped", NULL };
	static const char *const never[] = { "terminated", NULL };
	struct bench_wait w = {
		.want = want,
		.never = strcmp(want, "running") == 0 ? never_running : never,
		.timeout_ms = timeout_ms,
		.slice_ms = BENCH_EC2_POLL_SLICE,
	};
	char path[1024];
	const char *paths[] = { path };
	int ret;

	bench_ec2_path(b, path, sizeof(path), id, "/state");
	ret = bench_wait_values(paths, 1, &w, NULL);
	b->misses += w.misses;
	if (ret < 0)
		fprintf(stderr, "bench_ec2: %s: waiting for %s: %s (reads \"%s\")\n", id, want,
			ret == -ECANCELED ? "gave up" : strerror(-ret), w.last);
	return ret;
}

void bench_ec2_print(const char *name, double *nb, double *raw, int got, int misses)
{
	printf("%s %.1f %.1f %.1f %.1f %d\n", name, bench_quantile(nb, got, 0.5),
	       bench_quantile(nb, got, 0.9), bench_quantile(raw, got, 0.5),
	       bench_quantile(raw, got, 0.9), got);
	fflush(stdout);
	if (misses)
		fprintf(stderr,
			"bench_ec2: %s: %d state change(s) seen only after a %d ms poll "
			"timeout (no POLLPRI wakeup)\n",
			name, misses, BENCH_EC2_POLL_SLICE);
}

int bench_ec2_rounds(struct bench_ec2 *b, const char *name, int n, bench_ec2_sample_fn sample,
		     const void *arg)
{
	double t[3][BENCH_EC2_MAX_N];
	char net_name[64];
	/* Sides without a floor network skip 2. */
	int got = 0, m = b->floor_net_id[0] ? 3 : 2;

	b->misses = 0;
	for (int i = 0; i < n; i++) {
		double v[3];
		bool ok = true;

		/* Each round starts with another side. */
		for (int k = 0; k < m && ok; k++) {
			int side = (i + k) % m;

			v[side] = sample(b, side, arg);
			ok = v[side] >= 0;
		}
		if (!ok)
			break;
		for (int side = 0; side < m; side++)
			t[side][got] = v[side];
		got++;
	}
	bench_ec2_print(name, t[0], t[1], got, b->misses);
	if (m == 3) {
		snprintf(net_name, sizeof(net_name), "%s-net", name);
		bench_ec2_print(net_name, t[0], t[2], got, 0);
	}
	return got == n ? 0 : -1;
}

/* Terminates every instance launched, waits (bounded overall) until each
 * reads terminated, rmdirs it. */
static void cleanup_instances(struct bench_ec2 *b)
{
	double deadline = bench_ec2_now() + TERM_WAIT_S * 1e3;
	char path[1024];
	int ret;

	for (int i = 0; i < b->ninsts; i++) {
		bench_ec2_path(b, path, sizeof(path), b->insts[i], "/state");
		ret = bench_write_file(path, "terminate\n", 10, 0);
		if (ret < 0)
			fprintf(stderr, "bench_ec2: terminate %s: %s\n", b->insts[i],
				strerror(-ret));
	}
	for (int i = 0; i < b->ninsts; i++) {
		double left = deadline - bench_ec2_now();

		if (bench_ec2_wait_state(b, b->insts[i], "terminated", left > 1 ? (int)left : 1) <
		    0)
			continue;
		left = deadline - bench_ec2_now();
		bench_ec2_path(b, path, sizeof(path), b->insts[i], "");
		ret = bench_rmdir(path, left < 2000 ? (left > 0 ? (int)left : 0) : 2000);
		if (ret < 0)
			fprintf(stderr, "bench_ec2: rmdir %s: %s\n", b->insts[i], strerror(-ret));
	}
}

static void cleanup_floors(struct bench_ec2 *b)
{
	struct nb_err err = { 0 };

	for (int w = 0; w < 2; w++)
		bench_raw_remove(b->eng, b->floors[w], b->nfloors[w]);
	if (b->floor_net_id[0] && engine_network_remove(b->eng, b->floor_net_id, &err) < 0)
		fprintf(stderr, "bench_ec2: remove network %s: %s\n", b->floor_net, err.msg);
}

int main(int argc, char **argv)
{
	static struct bench_ec2 b = { .stop_timeout_s = STOP_TIMEOUT_S };
	cleanup_cjson cJSON *spec = NULL;
	const char *env = getenv("BENCH_EC2_STOP_TIMEOUT");
	int n, ret = 1;

	bench_prog = "bench_ec2";
	if (argc != 4 || (n = atoi(argv[3])) <= 0 || n > BENCH_EC2_MAX_N) {
		fprintf(stderr, "usage: bench_ec2 MOUNTPOINT OWNER-ID N(1-%d)\n", BENCH_EC2_MAX_N);
		return 2;
	}
	if (env && *env) {
		b.stop_timeout_s = atoi(env);
		if (b.stop_timeout_s < 0 || b.stop_timeout_s > ENGINE_STOP_TIMEOUT_MAX) {
			fprintf(stderr, "bench_ec2: BENCH_EC2_STOP_TIMEOUT must be 0-%d\n",
				ENGINE_STOP_TIMEOUT_MAX);
			return 2;
		}
	}
	b.mnt = argv[1];
	b.owner = argv[2];
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (bench_engine_open(&b.eng) < 0)
		return 1;
	/* The first instance and the first floor containers are the ones
	 * stopstart and runcmd use. */
	if (bench_ec2_warmup(&b, &spec) == 0 && bench_ec2_launch(&b, spec, n) == 0 &&
	    bench_ec2_stopstart(&b, b.insts[0], n) == 0 &&
	    bench_ec2_runcmd(&b, b.insts[0], b.floors[0][0], n) == 0)
		ret = 0;
	cleanup_instances(&b);
	cleanup_floors(&b);
	engine_free(b.eng);
	return ret;
}
