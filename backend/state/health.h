/*
 * backend/state/health.h - what `health` and `version` say: whether the
 * engine answers (and which engine it is) and whether the state dir takes
 * writes. Updated by the events thread; read by the filesystem from memory.
 */
#ifndef NB_STATE_HEALTH_H
#define NB_STATE_HEALTH_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "backend/common/buf.h"
#include "backend/state/hub.h"

struct state_health {
	pthread_mutex_t lock;
	struct state_hub *hub;	      /* set at init, not owned */
	char engine_url[256];	      /* set at init */
	bool engine_up;		      /* protected by lock */
	bool engine_known;	      /* protected by lock: negotiated once */
	char engine_who[256];	      /* protected by lock: which engine, last negotiated */
	char engine_api[16];	      /* protected by lock: its negotiated API version */
	char engine_reason[1024];     /* protected by lock: why it is down */
	char events_reason[1024];     /* protected by lock: why its events stream fails, or "" */
	char state_reason[1024];      /* protected by lock: "" when writable */
	struct timespec changed;      /* protected by lock: health value */
	struct timespec info_changed; /* protected by lock: version value */
};

/* Also makes h the watcher of the state dir's writes (state_write_watch):
 * one that fails for lack of space, a quota, a read-only or failing disk
 * sets the state-dir line of `health`, the next one that succeeds clears
 * it. */
void state_health_init(struct state_health *h, struct state_hub *hub, const char *engine_url);
void state_health_destroy(struct state_health *h);

/* Record transitions; each publishes an "engine" event and announces the
 * changed files, but only when something changed. Take the lock. who names
 * the engine ("Docker Engine - Community 20.10.24 (linux/amd64)"), api the
 * negotiated API version. */
void state_health_engine_up(struct state_health *h, const char *who, const char *api);
void state_health_engine_down(struct state_health *h, const char *reason);
void state_health_state_dir(struct state_health *h, const char *reason_or_null);
/* The engine answers but its events stream fails (reason), or runs again
 * (NULL): state may go stale meanwhile, so `health` says so while the
 * engine is up. Publishes an "engine" event on a change. */
void state_health_events(struct state_health *h, const char *reason_or_null);
/* Whether health shows no state-dir line. */
bool state_health_state_dir_ok(struct state_health *h);
/* Lock order: the registry's and the atomic writer's locks, then h->lock,
 * then the hub's: state_health_state_dir() runs under the first two. */

/* Whether an action may reach the engine now; on false, err holds
 * -EHOSTDOWN and the reason the engine is unreachable. */
bool state_health_engine_ready(struct state_health *h, struct nb_err *err);

/* Renders `health` ("ok\n" or one line per problem) and `version`. */
int state_health_render(struct state_health *h, struct nb_buf *out, struct timespec *mtime);
int state_health_render_version(struct state_health *h, struct nb_buf *out, struct timespec *mtime);

#endif
