/*
 * backend/workload/stop.c - stopping an object's containers, each with its
 * own timeout (SIGTERM, SIGKILL once it runs out), rank by rank with the
 * containers of one rank stopped together; draining their captures so no
 * last line is lost; reading how each one ended; and removing them. Job
 * threads only: these block on the engine, never with the lock held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/common/cleanup.h"
#include "backend/common/deadline.h"
#include "backend/common/log.h"
#include "backend/engine/containers.h"
#include "backend/workload/workload_i.h"

/* What a stop needs of one container, copied out under the lock. */
struct stop_one {
	struct wl *wl;
	const struct wl_stop_opts *opts;
	char id[65];	/* to stop; "" when there is nothing to stop */
	char known[65]; /* its engine id, stopped or not: to inspect */
	char name[256];
	int timeout, rank;
	struct wl_ctr_outcome *out;
	pthread_t thread;
	bool threaded;
};

/* Copies the object's containers out; false when it is gone. */
static bool copy_out(struct wl *wl, const char *id, const struct wl_stop_opts *opts,
		     struct stop_one *s, int *n, struct wl_stop_result *res)
{
	struct wl_obj *o;

	pthread_mutex_lock(wl->deps.lock);
	o = wl->ops.find(wl->deps.svc, id);
	*n = o ? o->n : 0;
	snprintf(res->obj, sizeof(res->obj), "%s", id);
	if (o)
		snprintf(res->infra_id, sizeof(res->infra_id), "%s", o->infra_id);
	for (int i = 0; i < *n; i++) {
		s[i] = (struct stop_one){ .wl = wl,
					  .opts = opts,
					  .timeout = o->c[i].stop_timeout,
					  .rank = o->c[i].stop_rank,
					  .out = &res->c[i] };
		/* One whose exit the engine reported needs no stop: a stop of a
		 * container that just died waits for the engine to finish its
		 * exit, tens of milliseconds, for nothing. */
		if (o->c[i].state != WL_CTR_EXITED && o->c[i].state != WL_CTR_GONE)
			snprintf(s[i].id, sizeof(s[i].id), "%s", o->c[i].id);
		snprintf(s[i].known, sizeof(s[i].known), "%s", o->c[i].id);
		snprintf(res->c[i].id, sizeof(res->c[i].id), "%s", o->c[i].id);
		snprintf(s[i].name, sizeof(s[i].name), "%s", o->c[i].name);
	}
	pthread_mutex_unlock(wl->deps.lock);
	res->n = *n;
	return o != NULL;
}

static void *stop_main(void *arg)
{
	struct stop_one *s = arg;
	struct nb_err err = { 0 };
	struct engine *eng = s->wl->deps.eng;
	int ret;

	if (!s->id[0])
		return NULL;
	if (s->opts->kill) {
		ret = engine_container_kill(eng, s->id, "KILL", &err);
		if (ret == -EBUSY) /* not running: stopped already */
			ret = 0;
		/* SIGKILL cannot be refused: the wait only lets the exit land. */
		if (ret == 0)
			engine_container_wait(eng, s->id, "not-running", 10000, NULL, &err);
	} else {
		ret = engine_container_stop(eng, s->id, s->timeout, &err);
	}
	s->out->err = ret;
	if (ret < 0)
		snprintf(s->out->msg, sizeof(s->out->msg), "%.255s", err.msg);
	return NULL;
}

/* Stops the containers of one rank together: one thread each but the
 * last, which the job's own thread stops. */
static void stop_rank(struct stop_one *s, int n, int rank)
{
	struct stop_one *mine = NULL;

	for (int i = 0; i < n; i++) {
		if (s[i].rank != rank || !s[i].id[0])
			continue;
		if (mine)
			mine->threaded = pthread_create(&mine->thread, NULL, stop_main, mine) == 0;
		if (mine && !mine->threaded)
			stop_main(mine);
		mine = &s[i];
	}
	if (mine)
		stop_main(mine);
	for (int i = 0; i < n; i++)
		if (s[i].rank == rank && s[i].threaded) {
			pthread_join(s[i].thread, NULL);
			s[i].threaded = false;
		}
}

/* A drain that still sees output arriving goes on, up to this in all: a
 * stopped container's backlog is finite, and the capture keeps up with
 * the engine's stream. */
#define DRAIN_MAX_MS (10 * 60 * 1000)

/* Whether container i's stop went through (or it is gone): only those
 * captures are drained; a container still running keeps its capture. */
static bool stopped_ok(const struct stop_one *s, int i)
{
	return s[i].out->err == 0 || s[i].out->err == -ENOENT;
}

static bool drained(struct wl_obj *o, const struct stop_one *s, int n)
{
	for (int i = 0; i < o->n && i < n; i++)
		if (stopped_ok(s, i) && !wl_capture_done(o, i))
			return false;
	return true;
}

/* Chunks written so far by the object's captures. */
static unsigned long progress(struct wl_obj *o, const struct stop_one *s, int n)
{
	unsigned long sum = 0;

	for (int i = 0; i < o->n && i < n; i++)
		if (stopped_ok(s, i) && o->c[i].cap)
			sum += atomic_load(&o->c[i].cap->appended);
	return sum;
}

/* Waits until every capture read its stream to the end, so no line a
 * container wrote before exiting is lost; gives up after ms without a new
 * chunk of output (DRAIN_MAX_MS in all); then takes them off. */
static void drain(struct wl *wl, const char *id, int ms, const struct stop_one *s, int n,
		  struct wl_detached *d)
{
	struct timespec until, last;
	unsigned long seen = 0;
	struct wl_obj *o;

	nb_deadline_in(&until, CLOCK_REALTIME, ms);
	nb_deadline_in(&last, CLOCK_REALTIME, DRAIN_MAX_MS);
	pthread_mutex_lock(wl->deps.lock);
	o = wl->ops.find(wl->deps.svc, id);
	seen = o ? progress(o, s, n) : 0;
	while ((o = wl->ops.find(wl->deps.svc, id)) && !drained(o, s, n) &&
	       !atomic_load(&wl->stopping)) {
		if (pthread_cond_timedwait(wl->deps.changed, wl->deps.lock, &until) != ETIMEDOUT)
			continue;
		/* Looked up again: the wait let go of the lock. */
		o = wl->ops.find(wl->deps.svc, id);
		if (!o || progress(o, s, n) == seen || until.tv_sec > last.tv_sec)
			break;
		seen = progress(o, s, n);
		nb_deadline_in(&until, CLOCK_REALTIME, ms);
	}
	d->n = 0;
	for (int i = 0; o && i < o->n && i < n; i++) {
		struct wl_cap *cap = stopped_ok(s, i) ? wl_capture_detach(o, i) : NULL;

		if (cap)
			d->caps[d->n++] = cap;
	}
	pthread_mutex_unlock(wl->deps.lock);
}

static void inspect(struct wl *wl, struct stop_one *s)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const cJSON *state, *v;

	if (!s->known[0] || s->out->err == -ENOENT ||
	    engine_container_inspect(wl->deps.eng, s->known, &doc, &err) < 0)
		return;
	state = cJSON_GetObjectItemCaseSensitive(doc, "State");
	v = cJSON_GetObjectItemCaseSensitive(state, "ExitCode");
	s->out->inspected = true;
	s->out->exit_code = cJSON_IsNumber(v) ? v->valueint : -1;
	s->out->oom_killed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "OOMKilled"));
	v = cJSON_GetObjectItemCaseSensitive(state, "Error");
	if (cJSON_IsString(v))
		snprintf(s->out->error, sizeof(s->out->error), "%s", v->valuestring);
}

/* Records the outcome on the object's containers. */
static void record(struct wl *wl, const char *id, struct stop_one *s, int n)
{
	struct wl_obj *o;

	pthread_mutex_lock(wl->deps.lock);
	o = wl->ops.find(wl->deps.svc, id);
	for (int i = 0; o && i < n && i < o->n; i++) {
		struct wl_ctr *c = &o->c[i];

		if (!s[i].known[0] || strcmp(c->id, s[i].known) != 0)
			continue;
		c->stop_error[0] = '\0';
		if (s[i].out->err == -ENOENT)
			c->state = WL_CTR_GONE;
		else if (s[i].out->err < 0)
			snprintf(c->stop_error, sizeof(c->stop_error), "%s", s[i].out->msg);
		else if (c->state != WL_CTR_GONE)
			c->state = WL_CTR_EXITED;
		if (s[i].out->inspected)
			c->exit_code = s[i].out->exit_code;
	}
	pthread_cond_broadcast(wl->deps.changed);
	pthread_mutex_unlock(wl->deps.lock);
}

int wl_stop(struct wl *wl, const char *id, const struct wl_stop_opts *opts,
	    struct wl_stop_result *res)
{
	struct stop_one s[WL_CTRS_MAX];
	struct wl_detached d;
	int n, ranks = 0;

	memset(res, 0, sizeof(*res));
	if (!copy_out(wl, id, opts, s, &n, res))
		return -ENOENT;
	for (int i = 0; i < n; i++)
		if (s[i].rank >= ranks)
			ranks = s[i].rank + 1;
	for (int r = 0; r < ranks; r++)
		stop_rank(s, n, r);
	drain(wl, id, opts->drain_ms, s, n, &d);
	wl_detached_stop(wl, &d);
	for (int i = 0; opts->inspect && i < n; i++)
		inspect(wl, &s[i]);
	for (int i = 0; i < n; i++)
		if (s[i].out->err < 0 && s[i].out->err != -ENOENT) {
			res->failed++;
			log_warn("%s %s: stopping %s: %s", wl->kind, id, s[i].name, s[i].out->msg);
		}
	record(wl, id, s, n);
	return res->failed ? -EIO : 0;
}

int wl_remove(struct wl *wl, const struct wl_stop_result *res, struct nb_err *err)
{
	struct wl_obj *o;
	int ret = 0;

	/* By the ids the stop saw: the object may be forgotten meanwhile. The
	 * namespaces' holder goes last: the others join its network. */
	for (int i = 0; i <= res->n; i++) {
		const char *cid = i < res->n ? res->c[i].id : res->infra_id;
		struct nb_err e = { 0 };
		int r;

		if (!cid[0])
			continue;
		r = engine_container_remove(wl->deps.eng, cid, true, true, &e);
		if (r < 0 && r != -ENOENT && ret == 0) {
			ret = r;
			nb_err_set(err, r, "cannot remove container %.12s: %s", cid, e.msg);
		}
	}
	if (ret == 0) {
		pthread_mutex_lock(wl->deps.lock);
		o = wl->ops.find(wl->deps.svc, res->obj);
		for (int i = 0; o && i < o->n; i++)
			if (o->c[i].id[0])
				o->c[i].state = WL_CTR_GONE;
		pthread_mutex_unlock(wl->deps.lock);
	}
	return ret;
}
