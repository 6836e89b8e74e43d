/*
 * tools/bench_ec2_stopstart.c - bench_ec2's stop/start figure: on the
 * first instance, "stop" written to `state` until it reads stopped, then
 * "start" until running; against raw POST /containers/{id}/stop with the
 * same grace period, then start, of the first floor container of each
 * floor.
 */
#include <stdio.h>
#include <string.h>

#include "backend/engine/containers.h"
#include "tools/bench_ec2.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

/* Writes verb to the instance's state, then waits until it reads want. */
static int nb_transition(struct bench_ec2 *b, const char *id, const char *verb, const char *want)
{
	char path[1024], dir[1024], what[128];
	int ret;

	bench_ec2_path(b, path, sizeof(path), id, "/state");
	ret = bench_write_file(path, verb, strlen(verb), 0);
	if (ret < 0) {
		bench_ec2_path(b, dir, sizeof(dir), id, "");
		snprintf(what, sizeof(what), "%s: write %.*s to state", id,
			 (int)strcspn(verb, "\n"), verb);
		bench_fail(dir, what, ret);
		return ret;
	}
	return bench_ec2_wait_state(b, id, want, BENCH_EC2_STOP_WAIT + b->stop_timeout_s * 1000);
}

/* stop until stopped, start until running. ms, or -1. */
static double nb_stopstart(struct bench_ec2 *b, const char *id)
{
	double t0 = bench_ec2_now();

	if (nb_transition(b, id, "stop\n", "stopped") < 0 ||
	    nb_transition(b, id, "start\n", "running") < 0)
		return -1;
	return bench_ec2_now() - t0;
}

static double raw_stopstart(struct bench_ec2 *b, const char *id)
{
	struct nb_err err = { 0 };
	double t0 = bench_ec2_now();

	if (engine_container_stop(b->eng, id, b->stop_timeout_s, &err) < 0 ||
	    engine_container_start(b->eng, id, &err) < 0) {
		fprintf(stderr, "bench_ec2: raw stop/start %.12s: %s\n", id, err.msg);
		return -1;
	}
	return bench_ec2_now() - t0;
}

static double stopstart_sample(struct bench_ec2 *b, int side, const void *id)
{
	return side == 0 ? nb_stopstart(b, id) : raw_stopstart(b, b->floors[side - 1][0]);
}

int bench_ec2_stopstart(struct bench_ec2 *b, const char *id, int n)
{
	return bench_ec2_rounds(b, "stopstart", n, stopstart_sample, id);
}
