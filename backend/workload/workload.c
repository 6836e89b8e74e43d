/*
 * backend/workload/workload.c - the workload core: one per service, the
 * objects' container slots and the jobs that drive them on the worker
 * pool. Captures are in capture.c, events and resyncs in sync.c, stops in
 * stop.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/log.h"
#include "backend/engine/containers.h"
#include "backend/state/jobs.h"
#include "backend/workload/workload_i.h"

int wl_new(const struct wl_deps *deps, struct wl **out, struct nb_err *err)
{
	struct wl *wl = calloc(1, sizeof(*wl));

	if (!wl)
		return nb_err_set(err, -ENOMEM, "out of memory");
	wl->deps = *deps;
	wl->ops = *deps->ops;
	wl->deps.ops = &wl->ops;
	snprintf(wl->kind, sizeof(wl->kind), "%s", deps->kind);
	wl->deps.kind = wl->kind;
	wl->logdirfd = fcntl(deps->logdirfd, F_DUPFD_CLOEXEC, 0);
	if (wl->logdirfd < 0) {
		int ret = -errno;

		free(wl);
		return nb_err_set(err, ret, "%s: bad log directory: %s", deps->kind,
				  strerror(-ret));
	}
	atomic_init(&wl->stopping, false);
	*out = wl;
	return 0;
}

void wl_free(struct wl *wl)
{
	if (!wl)
		return;
	wl_shutdown(wl);
	nb_close_p(&wl->logdirfd);
	free(wl);
}

void wl_start(struct wl *wl, struct state_jobs *jobs)
{
	pthread_mutex_lock(wl->deps.lock);
	wl->jobs = jobs;
	pthread_mutex_unlock(wl->deps.lock);
}

bool wl_stopping(struct wl *wl)
{
	return atomic_load(&wl->stopping);
}

void wl_shutdown(struct wl *wl)
{
	if (!wl)
		return;
	atomic_store(&wl->stopping, true);
	pthread_mutex_lock(wl->deps.lock);
	pthread_cond_broadcast(wl->deps.changed);
	wl->jobs = NULL;
	pthread_mutex_unlock(wl->deps.lock);
	/* Stopped outside the lock (their callbacks take it), one at a time. */
	for (;;) {
		struct wl_cap *cap;

		pthread_mutex_lock(wl->deps.lock);
		cap = wl->caps;
		if (cap) {
			struct wl_obj *o = wl->ops.find(wl->deps.svc, cap->obj);

			for (int i = 0; o && i < o->n; i++)
				if (o->c[i].cap == cap)
					o->c[i].cap = NULL;
			wl_cap_unlink(wl, cap);
		}
		pthread_mutex_unlock(wl->deps.lock);
		if (!cap)
			break;
		wl_cap_stop(cap);
	}
}

void wl_obj_init(struct wl_obj *o, const char *id)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", id);
}

int wl_obj_add(struct wl_obj *o, const char *name, int stop_timeout, int stop_rank)
{
	struct wl_ctr *c;

	if (o->n == WL_CTRS_MAX)
		return -ENOSPC;
	c = &o->c[o->n];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->exit_code = -1;
	c->stop_timeout = stop_timeout;
	c->stop_rank = stop_rank;
	return o->n++;
}

int wl_obj_ctr(const struct wl_obj *o, const char *name)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->c[i].name, name) == 0)
			return i;
	return -1;
}

int wl_obj_ctr_by_id(const struct wl_obj *o, const char *engine_id)
{
	for (int i = 0; engine_id[0] && i < o->n; i++)
		if (strcmp(o->c[i].id, engine_id) == 0)
			return i;
	return -1;
}

/* ---- jobs ---- */

struct wl_job {
	struct wl *wl;
	int kind;
	char id[80]; /* an object's id, or a container's (64 hex) */
	char arg[128];
};

static void remove_orphan(struct wl *wl, const char *engine_id)
{
	struct nb_err err = { 0 };
	int ret = engine_container_remove(wl->deps.eng, engine_id, true, true, &err);

	if (ret < 0 && ret != -ENOENT) /* already gone: done */
		log_warn("%s: cannot remove leftover container %.12s: %s", wl->kind, engine_id,
			 err.msg);
}

static void run_job(void *ud)
{
	struct wl_job *j = ud;

	if (j->kind == WL_JOB_REMOVE_ORPHAN)
		remove_orphan(j->wl, j->id);
	else
		j->wl->ops.run_job(j->wl->deps.svc, j->id, j->kind, j->arg);
	free(j);
}

int wl_submit(struct wl *wl, const char *id, int kind, const char *arg)
{
	struct wl_job *j;
	int ret;

	if (!wl->jobs || atomic_load(&wl->stopping))
		return -ESHUTDOWN;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->wl = wl;
	j->kind = kind;
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->arg, sizeof(j->arg), "%s", arg ? arg : "");
	ret = state_jobs_submit(wl->jobs, run_job, free, j);
	if (ret < 0)
		free(j);
	return ret;
}
