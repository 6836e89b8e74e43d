/*
 * tools/benchraw.h - the floors' side of the bench drivers: the Engine API
 * used straight, over one kept-alive connection, as nimbusfs uses it.
 * Raw containers carry the label io.nimbusfs.owner=OWNER-floor, so
 * nimbusfs (owner OWNER) never follows them and bench.sh's cleanup finds
 * them. Messages go to stderr, prefixed with bench_prog.
 */
#ifndef NB_TOOLS_BENCHRAW_H
#define NB_TOOLS_BENCHRAW_H

#include <pthread.h>
#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/cancel.h"
#include "backend/engine/engine.h"

/* Connects to DOCKER_HOST (default the local socket) and negotiates the
 * API version. 0, or -1 (said). */
int bench_engine_open(struct engine **eng);

/* Adds spec's Labels: owner OWNER-floor, kind bench. Returns the Labels
 * object (for more labels), NULL on ENOMEM. */
cJSON *bench_floor_labels(cJSON *spec, const char *owner);

/* Creates a container of spec named name (NULL: the engine picks one) and
 * starts it; id gets its id as soon as it exists, so the caller removes it
 * even when the start fails (id[0] stays '\0' when the create fails).
 * 0, or -1 (said). */
int bench_raw_create_start(struct engine *eng, const char *name, const cJSON *spec, char id[65]);

/* Removes (force, with volumes) each of the n containers; failures said. */
void bench_raw_remove(struct engine *eng, char ids[][65], int n);

/* One event of a raw /events stream: its Action, id and timeNano (ns),
 * and arrived_ms, CLOCK_REALTIME ms when its line was read (before it was
 * parsed). Runs on the stream's thread. */
typedef void (*bench_event_cb)(const char *action, const char *id, double time_nano,
			       double arrived_ms, void *ud);

/* A thread following GET /events for one owner's containers. */
struct bench_raw_events {
	struct engine *eng;
	char path[512];
	bench_event_cb cb;
	void *ud;
	struct nb_cancel stop;
	struct nb_buf partial; /* the line being received; the thread's own */
	pthread_t thread;
};

/* Starts following events of containers labelled io.nimbusfs.owner=owner.
 * The subscription is in place some time after it returns (callers wait
 * ~300 ms). 0 or -1. */
int bench_raw_events_start(struct bench_raw_events *ev, struct engine *eng, const char *owner,
			   bench_event_cb cb, void *ud);

/* Ends the stream and joins its thread. */
void bench_raw_events_stop(struct bench_raw_events *ev);

#endif
