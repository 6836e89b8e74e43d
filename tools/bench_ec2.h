/*
 * tools/bench_ec2.h - the parts of bench_ec2 (tools/bench_ec2.c), one
 * figure each, and the run they share.
 */
#ifndef NB_TOOLS_BENCH_EC2_H
#define NB_TOOLS_BENCH_EC2_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "backend/engine/engine.h"

#define BENCH_EC2_MAX_N	     100
#define BENCH_EC2_ID_LEN     19	   /* "i-" + 17 hex */
#define BENCH_EC2_POLL_SLICE 1000  /* ms: longest single poll() before a re-read */
#define BENCH_EC2_STOP_WAIT  60000 /* ms a stop or a start may take (plus the grace period) */

/* One run of the driver; only its thread touches it. */
struct bench_ec2 {
	const char *mnt, *owner;
	struct engine *eng;
	int stop_timeout_s; /* the stop grace period, both ways */
	int misses;	    /* state changes seen only after a poll() timeout */
	/* Instances launched; all are terminated at the end. */
	char insts[BENCH_EC2_MAX_N + 1][BENCH_EC2_ID_LEN + 1];
	int ninsts;
	/* Floor containers: [0] on the default bridge, [1] on the floor's own
	 * network (when floor_net_id[0]); all removed at the end. */
	char floors[2][BENCH_EC2_MAX_N + 1][65];
	int nfloors[2];
	char floor_net[64], floor_net_id[65];
	unsigned floor_net_base; /* the network's 10.x.y.0, host order */
};

/* CLOCK_MONOTONIC ms. */
double bench_ec2_now(void);

/* MOUNTPOINT/ec2/ID + suffix ("/state", "" for the directory). */
void bench_ec2_path(const struct bench_ec2 *b, char *out, size_t len, const char *id,
		    const char *suffix);

/* Waits until instance id's `state` reads want, within timeout_ms; gives up
 * on terminated, and on stopped while waiting for running. 0 or -errno
 * (said on stderr, with what it read last). */
int bench_ec2_wait_state(struct bench_ec2 *b, const char *id, const char *want, int timeout_ms);

/* One sample of a round: side 0 is nimbusfs, 1 the raw floor on the
 * default bridge, 2 the raw floor on the floor's network. ms, or < 0. */
typedef double (*bench_ec2_sample_fn)(struct bench_ec2 *b, int side, const void *arg);

/* n rounds of sample, each side once a round, the side that goes first
 * rotating; prints "NAME <nb med> <nb p90> <raw med> <raw p90> <samples>"
 * and, with a floor network, the same as NAME-net against side 2. 0, or
 * -1 when a sample failed (the rounds before it are printed). */
int bench_ec2_rounds(struct bench_ec2 *b, const char *name, int n, bench_ec2_sample_fn sample,
		     const void *arg);

/* Prints "NAME <nb med> <nb p90> <raw med> <raw p90> <samples>". */
void bench_ec2_print(const char *name, double *nb, double *raw, int got, int misses);

/* The untimed warm-up: the first instance and the first floor container on
 * each floor (the floor network made on the way); *spec gets the floor's
 * ContainerCreate body, copied from that instance's container. 0 or -1. */
int bench_ec2_warmup(struct bench_ec2 *b, cJSON **spec);

/* The figures; each prints its line(s). 0 or -1. */
int bench_ec2_launch(struct bench_ec2 *b, const cJSON *spec, int n);
int bench_ec2_stopstart(struct bench_ec2 *b, const char *id, int n);
int bench_ec2_runcmd(struct bench_ec2 *b, const char *id, const char *floor_id, int n);

#endif
