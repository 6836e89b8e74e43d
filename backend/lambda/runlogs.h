/*
 * backend/lambda/runlogs.h - an invocation's output read back from its
 * container's log, for runtimes that do not return it with the response.
 */
#ifndef NB_LAMBDA_RUNLOGS_H
#define NB_LAMBDA_RUNLOGS_H

#include <time.h>

#include "backend/common/buf.h"

struct engine;

/* The lines container logged since start (CLOCK_REALTIME), but for the
 * runtime's START/END/REPORT lines, into out; waits (at most 100 ms) for
 * the runtime's END line. Blocks on the engine. */
int lambda_runlogs_fetch(struct engine *eng, const char *container, const struct timespec *start,
			 struct nb_buf *out);

#endif
