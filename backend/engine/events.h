/*
 * backend/engine/events.h - the daemon's one /events subscription.
 * A thread lists the containers carrying a label, then watches /events
 * filtered by it (list-then-watch, as Kubernetes informers do). A stream
 * that ran a while and ended, or a resync, lists and watches again at once;
 * an engine that does not answer, or a stream that fails without running
 * (an error answer, or an end at once), is tried again with backoff (100 ms
 * doubling to 1 s), so a restarted engine is noticed and nothing is missed
 * for long, and a failing engine is not listed in a loop.
 */
#ifndef NB_ENGINE_EVENTS_H
#define NB_ENGINE_EVENTS_H

#include <cjson/cJSON.h>

#include "backend/common/err.h"
#include "backend/engine/engine.h"

/* How long a stream must stay open to count as running. */
#define ENGINE_EVENTS_RAN_MS 1000

struct engine_events_ops {
	/* The engine answered /version; called at each (re)connection. */
	void (*on_up)(void *ud, const struct engine_info *info);
	/* The engine stopped answering; reason is for the user. */
	void (*on_down)(void *ud, const char *reason);
	/* The engine answers but its /events stream does not run (an error
	 * answer, or it ended at once), so state may go stale: reason is for
	 * the user; called at each failed try. Then NULL once a stream runs
	 * again (open for ENGINE_EVENTS_RAN_MS). May be NULL. */
	void (*on_stream)(void *ud, const char *failing_or_null);
	/* The labelled containers as /containers/json?all=1 lists them. */
	void (*on_sync)(void *ud, const cJSON *containers);
	/* One /events message. */
	void (*on_event)(void *ud, const cJSON *event);
	void *ud;
};

struct engine_events;

/* Starts the thread. label is "key=value"; ops is copied. */
int engine_events_start(struct engine *eng, const char *label, const struct engine_events_ops *ops,
			struct engine_events **out, struct nb_err *err);

/* Asks the thread to drop its stream and list again now; does not block. */
void engine_events_resync(struct engine_events *ev);

/* Stops and joins the thread (within ~100 ms) and frees ev. */
void engine_events_stop(struct engine_events *ev);

#endif
