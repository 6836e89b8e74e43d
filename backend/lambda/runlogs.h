/*
 * backend/lambda/runlogs.h - an invocation's output read back from its
 * container's log, for runtimes that do not return it with the response.
 */
#ifndef NB_LAMBDA_RUNLOGS_H
#define NB_LAMBDA_RUNLOGS_H

#include <time.h>

#include <stdbool.h>

#include "backend/common/buf.h"
#include "backend/engine/logline.h"

struct engine;

/* The lines container logged since start (CLOCK_REALTIME), but for the
 * runtime's START/END/REPORT lines, into out; waits (at most 100 ms) for
 * the runtime's END line of request_id (see runlogs.c). Blocks on the
 * engine. */
int lambda_runlogs_fetch(struct engine *eng, const char *container, const struct timespec *start,
			 const char *request_id, struct nb_buf *out);

/* One pass over a log with timestamps (raw, len): appends the lines
 * stamped at or after since, but for the runtime's own, to out; true when
 * the invocation's END is among them. Pure. */
bool lambda_runlogs_keep(const char *raw, size_t len, const struct engine_ts *since,
			 const char *request_id, struct nb_buf *out);

#endif
