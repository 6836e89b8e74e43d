/*
 * backend/workload/workload_i.h - the core's insides, shared by its files:
 * workload.c (objects, jobs), capture.c (output captures), sync.c (engine
 * events and resyncs) and stop.c (stop and removal).
 */
#ifndef NB_WORKLOAD_I_H
#define NB_WORKLOAD_I_H

#include "backend/workload/logcap.h"
#include "backend/workload/workload.h"

/* Internal job kinds, below every service's (which are >= 0). */
#define WL_JOB_REMOVE_ORPHAN (-1)

struct wl_cap {
	struct wl *wl;
	char obj[WL_ID_MAX];
	char name[256];
	struct wl_logcap *cap;
	_Atomic unsigned long appended; /* chunks written: how a drain sees progress */
	bool done;			/* protected by the lock: its stream ended by itself */
	bool failed;			/* protected by the lock: ... on an error */
	struct wl_cap *prev, *next;	/* protected by the lock: every running capture */
};

struct wl {
	struct wl_deps deps;
	struct wl_ops ops;
	char kind[32];
	int logdirfd;
	struct state_jobs *jobs; /* set by wl_start, before any job or event */
	struct wl_cap *caps;	 /* protected by the lock: every capture not yet stopped */
	_Atomic bool stopping;
};

/* Lock held: unlinks cap from the list of running captures. */
void wl_cap_unlink(struct wl *wl, struct wl_cap *cap);
/* Stops and frees one capture; lock NOT held. */
void wl_cap_stop(struct wl_cap *cap);

#endif
