/*
 * backend/workload/capture.c - every container's output captured for its
 * object's whole life: started when it runs (or, after a restart, to read
 * what it wrote meanwhile), drained when it stops, started again after an
 * engine outage, and always ended before its object is forgotten. The core
 * keeps every capture it started on one list, so unmount ends them all and
 * none is left running with no owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/deadline.h"
#include "backend/common/log.h"
#include "backend/workload/workload_i.h"

void wl_cap_unlink(struct wl *wl, struct wl_cap *cap)
{
	if (cap->prev)
		cap->prev->next = cap->next;
	else if (wl->caps == cap)
		wl->caps = cap->next;
	if (cap->next)
		cap->next->prev = cap->prev;
	cap->prev = cap->next = NULL;
}

void wl_cap_stop(struct wl_cap *cap)
{
	if (!cap)
		return;
	wl_logcap_stop(cap->cap);
	free(cap);
}

static void on_append(void *ud, const char *name, size_t raw, size_t task)
{
	struct wl_cap *cap = ud;

	(void)raw;
	(void)task;
	atomic_fetch_add(&cap->appended, 1);
	if (cap->wl->ops.on_append)
		cap->wl->ops.on_append(cap->wl->deps.svc, cap->obj, name);
}

static void on_line(void *ud, const char *name, const char *text, size_t len)
{
	struct wl_cap *cap = ud;

	if (cap->wl->ops.on_line)
		cap->wl->ops.on_line(cap->wl->deps.svc, cap->obj, name, text, len);
}

/* The stream ended by itself: all the container wrote is in, so whoever
 * drains the capture may end it now. */
static void on_done(void *ud, const char *name, int err)
{
	struct wl_cap *cap = ud;

	(void)name;
	pthread_mutex_lock(cap->wl->deps.lock);
	cap->done = true;
	cap->failed = err != 0;
	pthread_cond_broadcast(cap->wl->deps.changed);
	pthread_mutex_unlock(cap->wl->deps.lock);
}

int wl_capture(struct wl *wl, struct wl_obj *o, int ci)
{
	struct wl_ctr *c = &o->c[ci];
	struct wl_logcap_ops ops = {
		.on_append = on_append,
		.on_done = on_done,
		.on_line = on_line,
		.raw_only = wl->deps.raw_only,
		/* Alone in the object: task.log may be cut back with its own log. */
		.sole_writer = o->n == 1,
	};
	struct nb_err err = { 0 };
	cleanup_close int dirfd = -1;
	struct wl_cap *cap;
	int ret;

	/* A capture whose stream ended (its container stopped and runs again,
	 * or an outage broke it) is ended here, lock held: on_done, which set
	 * done under this lock, was its thread's last step, so the join waits
	 * for nothing that needs the lock. The new one goes on from the
	 * position the old one saved before that. */
	if (c->cap && c->cap->done && c->id[0] && !atomic_load(&wl->stopping))
		wl_cap_stop(wl_capture_detach(o, ci));
	if (c->cap || !c->id[0] || atomic_load(&wl->stopping))
		return 0;
	if (mkdirat(wl->logdirfd, o->id, 0700) < 0 && errno != EEXIST)
		return log_error(-errno, "%s %s: cannot create its log directory: %s", wl->kind,
				 o->id, strerror(errno));
	dirfd = openat(wl->logdirfd, o->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return log_error(-errno, "%s %s: cannot open its log directory: %s", wl->kind,
				 o->id, strerror(errno));
	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return log_error(-ENOMEM, "%s %s: out of memory", wl->kind, o->id);
	cap->wl = wl;
	snprintf(cap->obj, sizeof(cap->obj), "%s", o->id);
	snprintf(cap->name, sizeof(cap->name), "%s", c->name);
	ops.ud = cap;
	ret = wl_logcap_start(wl->deps.eng, c->id, c->name, false, dirfd, &ops, &cap->cap, &err);
	if (ret < 0) {
		free(cap);
		return log_error(ret, "%s %s: cannot capture %s's output: %s", wl->kind, o->id,
				 c->name, err.msg);
	}
	cap->next = wl->caps;
	if (wl->caps)
		wl->caps->prev = cap;
	wl->caps = cap;
	c->cap = cap;
	return 0;
}

bool wl_capture_done(const struct wl_obj *o, int ci)
{
	return !o->c[ci].cap || o->c[ci].cap->done;
}

struct wl_cap *wl_capture_detach(struct wl_obj *o, int ci)
{
	struct wl_cap *cap = o->c[ci].cap;

	o->c[ci].cap = NULL;
	if (cap)
		wl_cap_unlink(cap->wl, cap);
	return cap;
}

void wl_capture_end(struct wl *wl, struct wl_cap *cap, int wait_ms)
{
	struct timespec until;

	if (!cap)
		return;
	nb_deadline_in(&until, CLOCK_REALTIME, wait_ms);
	/* The stream ends by itself once the container stopped and its last
	 * output is in; ending it earlier could cut that off. */
	pthread_mutex_lock(wl->deps.lock);
	while (!cap->done && !atomic_load(&wl->stopping))
		if (pthread_cond_timedwait(wl->deps.changed, wl->deps.lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(wl->deps.lock);
	wl_cap_stop(cap);
}

void wl_obj_release(struct wl_obj *o, struct wl_detached *d)
{
	d->n = 0;
	for (int i = 0; i < o->n; i++) {
		struct wl_cap *cap = wl_capture_detach(o, i);

		if (cap)
			d->caps[d->n++] = cap;
	}
}

void wl_obj_forget(struct wl *wl, struct wl_obj *o, struct wl_detached *d)
{
	wl_obj_release(o, d);
	/* A removal its stop job has yet to make finds no object any more. */
	for (int i = 0; i < o->n; i++)
		if (o->c[i].id[0] && o->c[i].state != WL_CTR_GONE)
			wl_submit(wl, o->c[i].id, WL_JOB_REMOVE_ORPHAN, NULL);
	if (o->infra_id[0])
		wl_submit(wl, o->infra_id, WL_JOB_REMOVE_ORPHAN, NULL);
}

void wl_detached_stop(struct wl *wl, struct wl_detached *d)
{
	(void)wl;
	for (int i = 0; i < d->n; i++)
		wl_cap_stop(d->caps[i]);
	d->n = 0;
}
