/*
 * backend/state/metrics.h - counters behind the `metrics` file, in the
 * Prometheus text exposition format. Counters are atomics so hot paths
 * count without a lock.
 */
#ifndef NB_STATE_METRICS_H
#define NB_STATE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "backend/common/buf.h"

enum state_metric_op {
	STATE_OP_LOOKUP,
	STATE_OP_GETATTR,
	STATE_OP_READDIR,
	STATE_OP_OPEN,
	STATE_OP_READ,
	STATE_OP_WRITE,
	STATE_OP_POLL,
	STATE_OP_OTHER,
	STATE_OP_COUNT
};

struct state_metrics {
	struct timespec started;
	_Atomic uint64_t fuse_requests[STATE_OP_COUNT];
	_Atomic uint64_t fuse_errors;	     /* requests answered with an errno */
	_Atomic uint64_t engine_events;	     /* /events messages received */
	_Atomic uint64_t engine_connects;    /* successful list-then-watch cycles */
	_Atomic uint64_t engine_disconnects; /* watch streams that ended */
	_Atomic uint64_t engine_up;	     /* 1 or 0 */
	_Atomic uint64_t engine_containers;  /* labelled containers at the last list */
	_Atomic int64_t parked_readers;	     /* blocked reads waiting for data */
	_Atomic int64_t open_files;
	_Atomic uint64_t invalidations; /* kernel cache invalidations sent */
	_Atomic int64_t last_errors;	/* last-error messages the filesystem keeps */
};

void state_metrics_init(struct state_metrics *m);
void state_metrics_count_op(struct state_metrics *m, enum state_metric_op op);
/* events_published: the hub's count, which the hub keeps itself. */
int state_metrics_render(struct state_metrics *m, uint64_t events_published, struct nb_buf *out);

#endif
