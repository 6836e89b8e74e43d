/*
 * backend/workload/workload.h - the core of container-backed objects: an
 * ECS task, an EC2 instance (and next an ECS service's tasks or a Lambda
 * container) is a group of containers that nimbusfs creates, whose output
 * it captures, whose engine events and resyncs it follows, and which it
 * stops with per-container timeouts and removes. One `struct wl` per
 * service holds that machinery; each object embeds a `struct wl_obj`. The
 * service keeps its own model and policy (what a task's status is, when an
 * instance counts as stopped) and asks the core for the mechanics.
 *
 * Locking: the core adds no lock of its own. Every wl_obj, and the core's
 * list of running captures, is protected by the service's lock, given in
 * wl_deps; "lock held" below means that lock. Capture threads take it in
 * their callbacks, so a capture is only ever stopped with it released.
 */
#ifndef NB_WORKLOAD_H
#define NB_WORKLOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"

#define WL_CTRS_MAX 10 /* containers per object: ECS's limit per task */
#define WL_ID_MAX   64

struct engine;
struct state_jobs;
struct wl;
struct wl_cap;

enum wl_ctr_state {
	WL_CTR_NONE,	/* not created yet */
	WL_CTR_CREATED, /* created, not started */
	WL_CTR_RUNNING,
	WL_CTR_EXITED, /* exit_code holds its code (-1: unknown) */
	WL_CTR_GONE,   /* the engine no longer has it */
};

/* One container of an object, as the engine last told. */
struct wl_ctr {
	char name[256]; /* its name in the object; names its log files */
	char id[65];	/* engine id; "" until created */
	enum wl_ctr_state state;
	int exit_code;	      /* WL_CTR_EXITED: its code, -1 when unknown */
	int stop_timeout;     /* s of SIGTERM before SIGKILL */
	int stop_rank;	      /* stops after every lower rank; equal ranks stop together */
	struct wl_cap *cap;   /* its output capture, while one runs */
	char stop_error[256]; /* why the last stop of it failed; "" */
};

/* Embedded in the service's object; protected by the service's lock. */
struct wl_obj {
	char id[WL_ID_MAX];
	int n;
	struct wl_ctr c[WL_CTRS_MAX];
	char infra_id[65]; /* the container holding the group's namespaces (ECS's pause), or "" */
	bool retired;	   /* nothing of it should run: its containers are leftovers */
};

struct wl_ops {
	/* Lock held: the object called id, or NULL. */
	struct wl_obj *(*find)(void *svc, const char *id);
	/* A job submitted with wl_submit(), on a worker; no lock held. */
	void (*run_job)(void *svc, const char *id, int kind, const char *arg);
	/* From a capture thread, no lock held: container ctr of obj wrote
	 * lines. May be NULL. */
	void (*on_append)(void *svc, const char *obj, const char *ctr);
	/* From a capture thread, no lock held: each line once written. May
	 * be NULL. */
	void (*on_line)(void *svc, const char *obj, const char *ctr, const char *text, size_t len);
};

struct wl_deps {
	struct engine *eng;
	const char *kind;	 /* NB_KIND_* of the containers, in their labels */
	pthread_mutex_t *lock;	 /* the service's lock */
	pthread_cond_t *changed; /* the service's condvar, on that lock: broadcast on changes */
	int logdirfd;		 /* captures write to <logdir>/<object id>/ (the core dups it) */
	bool raw_only;		 /* only <name>.log: no shared task.log per object */
	const struct wl_ops *ops;
	void *svc;
};

int wl_new(const struct wl_deps *deps, struct wl **out, struct nb_err *err);
/* Call after wl_shutdown() and once no job of it can run. */
void wl_free(struct wl *wl);
/* Lets the core run jobs (the pool starts after daemonizing). */
void wl_start(struct wl *wl, struct state_jobs *jobs);
/* Unmount: waits no longer on anything, stops every capture. Lock NOT
 * held. Call before the job pool stops and again after (for captures a
 * last job started). Idempotent. */
void wl_shutdown(struct wl *wl);
/* Whether wl_shutdown() began. Lock-free. */
bool wl_stopping(struct wl *wl);

/* Sets up o with its id and no container. */
void wl_obj_init(struct wl_obj *o, const char *id);
/* Adds a container slot; returns its index or -ENOSPC. */
int wl_obj_add(struct wl_obj *o, const char *name, int stop_timeout, int stop_rank);
/* The index of the container called name, or of engine id id; -1. */
int wl_obj_ctr(const struct wl_obj *o, const char *name);
int wl_obj_ctr_by_id(const struct wl_obj *o, const char *engine_id);

/* ---- jobs ---- */

/* Queues ops->run_job(svc, id, kind, arg) on the worker pool. Never
 * blocks. -ESHUTDOWN (not started, or stopping), -ENOMEM: then nothing
 * was queued, and the caller must leave its object as if it never asked. */
int wl_submit(struct wl *wl, const char *id, int kind, const char *arg);

/* ---- output capture ---- */

/* Starts capturing container ci's output from where its position file
 * says, unless a capture of it runs, it has no engine id, or the core is
 * stopping. A capture whose stream ended by itself (the container stopped,
 * and runs again) is ended first. Lock held; does not block on the engine.
 * 0 or -errno (logged). */
int wl_capture(struct wl *wl, struct wl_obj *o, int ci);
/* Whether ci's capture read its stream to the end (true without one). */
bool wl_capture_done(const struct wl_obj *o, int ci);
/* Takes ci's capture off the object, for wl_capture_end(). Lock held. */
struct wl_cap *wl_capture_detach(struct wl_obj *o, int ci);
/* Waits up to wait_ms for cap's stream to end by itself (the container
 * stopped and its last output is in), then stops it. Lock NOT held; cap
 * may be NULL. Blocks. */
void wl_capture_end(struct wl *wl, struct wl_cap *cap, int wait_ms);

/* The captures an object still has, taken off it to be stopped. */
struct wl_detached {
	struct wl_cap *caps[WL_CTRS_MAX];
	int n;
};
/* Takes every capture off o (lock held); stop them with
 * wl_detached_stop() once the lock is released. */
void wl_obj_release(struct wl_obj *o, struct wl_detached *d);
/* Forgetting an object: its captures taken off (as wl_obj_release), and
 * removal queued of every container of it the engine may still have. Lock
 * held; then wl_detached_stop() without it, before freeing o. */
void wl_obj_forget(struct wl *wl, struct wl_obj *o, struct wl_detached *d);
void wl_detached_stop(struct wl *wl, struct wl_detached *d);

/* ---- engine events ---- */

enum wl_action { WL_EV_START, WL_EV_DIE, WL_EV_OOM, WL_EV_HEALTH, WL_EV_DESTROY };

struct wl_event {
	enum wl_action action;
	char object[WL_ID_MAX];
	char engine_id[65];
	int exit_code;	 /* WL_EV_DIE: -1 when the event had none */
	char health[16]; /* WL_EV_HEALTH: "healthy", "unhealthy", "starting" */
};

/* Parses an /events message about a container of this core's kind.
 * false: not one (another kind, another type, an action of no interest). */
bool wl_event_parse(struct wl *wl, const cJSON *event, struct wl_event *ev);
/* Records ev on its container of o (start: running, die: exited with its
 * code, destroy: gone); returns the container's index, -2 for o's infra
 * container, -1 when o has no such container. Lock held. */
int wl_event_apply(struct wl_obj *o, const struct wl_event *ev);

/* ---- resync ---- */

enum wl_seen {
	WL_SEEN_NONE,	 /* the container was never created */
	WL_SEEN_RUNNING, /* running (or restarting) */
	WL_SEEN_STOPPED, /* exited, created, dead */
	WL_SEEN_GONE,	 /* the engine does not have it */
};

/* One engine list, walked object by object under the lock. */
struct wl_sync {
	struct wl *wl;
	const cJSON *containers;
};

/* Lock held for all of these. */
void wl_sync_begin(struct wl *wl, const cJSON *containers, struct wl_sync *s);
/* What the engine has of container ci: by engine id, or (none recorded)
 * by its object's labels, whose id is then adopted. A listed container's
 * output is captured (a stopped one's up to its end); a capture that
 * failed (the engine went away) is started again. */
enum wl_seen wl_sync_ctr(struct wl_sync *s, struct wl_obj *o, int ci);
/* Containers of this kind whose object is unknown or retired are queued
 * for removal. */
void wl_sync_remove_orphans(struct wl_sync *s);

/* ---- stop and removal (job threads: lock NOT held; they block) ---- */

struct wl_stop_opts {
	bool kill;    /* SIGKILL at once and wait for the exit (a forced stop) */
	int drain_ms; /* wait for captures to read their last output; give up after this without any
		       */
	bool inspect; /* read each stopped container's exit code and state */
};

struct wl_ctr_outcome {
	char id[65];   /* its engine id when the stop began */
	int err;       /* 0, or why stopping it failed (-ENOENT: gone) */
	char msg[256]; /* ... in words */
	bool inspected;
	int exit_code;
	bool oom_killed;
	char error[256]; /* the engine's State.Error */
};

struct wl_stop_result {
	char obj[WL_ID_MAX];
	char infra_id[65];
	int n;
	struct wl_ctr_outcome c[WL_CTRS_MAX];
	int failed; /* containers whose stop failed (gone ones are not) */
};

/*
 * Stops object id's containers: SIGTERM (or, opts->kill, SIGKILL), then
 * SIGKILL after each one's stop_timeout; ranks in increasing order, the
 * containers of one rank at once. Then waits for their captures to drain,
 * ends them, and (opts->inspect) reads each one's exit. Records what it
 * learns on the object (state, exit code, stop_error) and in res. Returns
 * 0, or -EIO when a stop failed (res says which), -ENOENT when the object
 * is gone.
 */
int wl_stop(struct wl *wl, const char *id, const struct wl_stop_opts *opts,
	    struct wl_stop_result *res);

/* Removes the containers a stop saw (res, from wl_stop()) and the infra
 * container, with their anonymous volumes, whether or not their object
 * was forgotten meanwhile. A container already gone is success; the first
 * other failure is returned, with err. */
int wl_remove(struct wl *wl, const struct wl_stop_result *res, struct nb_err *err);

#endif
