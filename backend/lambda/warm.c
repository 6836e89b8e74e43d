/*
 * backend/lambda/warm.c - the warm pool: per function, containers running
 * its current configuration, one invocation each at a time. An invocation
 * takes a free one, or starts one when the function is below its reserved
 * concurrency; cold starts of one function are serialized, so a burst of
 * short invocations reuses the first container instead of starting one per
 * request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/lambda/coldstart.h"
#include "backend/lambda/lambda_i.h"
#include "backend/state/health.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Invocations in flight: what counts against reserved concurrency. */
static int in_flight(const struct lambda_fn *fn)
{
	int n = fn->n_starting;

	for (const struct lambda_ctr *c = fn->ctrs; c; c = c->next)
		n += c->busy;
	return n;
}

static struct lambda_ctr *free_ctr(struct lambda_fn *fn)
{
	for (struct lambda_ctr *c = fn->ctrs; c; c = c->next)
		if (!c->busy && strcmp(c->fp, fn->fp) == 0)
			return c;
	return NULL;
}

static void lease_of(struct lambda_lease *lease, struct lambda_fn *fn, struct lambda_ctr *c)
{
	c->busy = true;
	fn->refs++;
	lease->fn = fn;
	lease->ctr = c;
	lease->timeout_s = fn->cfg.timeout;
	lease->memory_mb = fn->cfg.memory_mb;
}

static int cold_start(struct lambda *l, struct lambda_fn *fn, struct lambda_lease *lease,
		      struct nb_err *err)
{
	struct lambda_start s = { .name = fn->name };
	struct lambda_ctr *c = NULL;
	struct timespec t0;
	int ret;

	s.layers = calloc(fn->n_layers + 1, sizeof(*s.layers));
	if (!s.layers)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = lambda_config_copy(&s.cfg, &fn->cfg);
	if (ret < 0) {
		free(s.layers);
		return nb_err_set(err, ret, "out of memory");
	}
	/* A layer file that was created but never written holds nothing. */
	for (size_t i = 0; i < fn->n_layers; i++)
		if (fn->layers[i].size)
			memcpy(s.layers[s.n_layers++], fn->layers[i].name, sizeof(s.layers[0]));
	memcpy(s.fp, fn->fp, sizeof(s.fp));
	fn->n_starting++;
	fn->cold_start = true;
	fn->refs++;
	pthread_mutex_unlock(&l->lock);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = lambda_coldstart(l, &s, &c, err);
	lambda_config_free(&s.cfg);
	free(s.layers);

	pthread_mutex_lock(&l->lock);
	fn->n_starting--;
	fn->cold_start = false;
	pthread_cond_broadcast(&l->freed);
	if (ret == 0 && l->stopping) {
		lambda_reap(l, c); /* removed by lambda_free's last sweep */
		ret = nb_err_set(err, -ESHUTDOWN, "nimbusfs is shutting down");
	}
	if (ret < 0) {
		lambda_fn_put(l, fn);
		return ret;
	}
	c->next = fn->ctrs;
	fn->ctrs = c;
	lease_of(lease, fn, c);
	lambda_fn_put(l, fn); /* lease_of took the lease's reference */
	lease->cold = true;
	lease->init_ms = ms_since(&t0);
	lambda_fn_touch(l, fn, LAMBDA_F_WARM);
	return 0;
}

int lambda_acquire(struct lambda *l, const char *name, bool wait, struct lambda_lease *lease,
		   struct nb_err *err)
{
	struct lambda_fn *fn;
	struct lambda_ctr *c;
	int ret = 0;

	memset(lease, 0, sizeof(*lease));
	pthread_mutex_lock(&l->lock);
	for (;;) {
		fn = lambda_fn_find(l, name);
		if (!fn) {
			ret = nb_err_set(err, -ENOENT, "Function not found: %s", name);
			break;
		}
		if (strcmp(fn->cfg.state, "Active") != 0) {
			ret = nb_err_set(err, -EBUSY,
					 "The operation cannot be performed at this time. The "
					 "function is currently in the following state: %s (%s)",
					 fn->cfg.state, fn->cfg.state_reason);
			break;
		}
		if (l->stopping) {
			ret = nb_err_set(err, -ESHUTDOWN, "nimbusfs is shutting down");
			break;
		}
		if (in_flight(fn) >= fn->cfg.reserved_concurrency) {
			/* Even a queued Event invocation cannot wait on 0. */
			if (!wait || fn->cfg.reserved_concurrency == 0) {
				ret = nb_err_set(err, -EAGAIN,
						 "Rate Exceeded. (TooManyRequestsException: %s has "
						 "%d invocation(s) in flight, its "
						 "reserved-concurrency)",
						 name, in_flight(fn));
				break;
			}
		} else if ((c = free_ctr(fn))) {
			lease_of(lease, fn, c);
			break;
		} else if (!fn->cold_start) {
			ret = cold_start(l, fn, lease, err);
			break;
		}
		pthread_cond_wait(&l->freed, &l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static void unlink_ctr(struct lambda_fn *fn, struct lambda_ctr *c)
{
	for (struct lambda_ctr **pp = &fn->ctrs; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

bool lambda_lease_stale(struct lambda *l, const struct lambda_lease *lease)
{
	bool stale;

	pthread_mutex_lock(&l->lock);
	stale = lease->fn->deleted || strcmp(lease->ctr->fp, lease->fn->fp) != 0;
	pthread_mutex_unlock(&l->lock);
	return stale;
}

void lambda_release(struct lambda *l, struct lambda_lease *lease, bool discard)
{
	struct lambda_fn *fn = lease->fn;
	struct lambda_ctr *c = lease->ctr;

	if (!fn)
		return;
	pthread_mutex_lock(&l->lock);
	c->busy = false;
	c->served++;
	clock_gettime(CLOCK_MONOTONIC, &c->idle_since);
	if (discard || fn->deleted || strcmp(c->fp, fn->fp) != 0 || l->stopping) {
		unlink_ctr(fn, c);
		lambda_reap(l, c);
	}
	if (!fn->deleted)
		lambda_fn_touch(l, fn, LAMBDA_F_WARM);
	pthread_cond_broadcast(&l->freed);
	/* A new idle deadline is later than any the reaper already has. */
	if (!l->reaper_next)
		pthread_cond_signal(&l->reaper_wake);
	lambda_fn_put(l, fn);
	pthread_mutex_unlock(&l->lock);
	lease->fn = NULL;
	lease->ctr = NULL;
}

void lambda_warm_render(struct lambda *l, struct lambda_fn *fn, struct nb_buf *out)
{
	struct timespec now;

	(void)l;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (const struct lambda_ctr *c = fn->ctrs; c; c = c->next) {
		long idle = c->busy ? 0 : (long)(now.tv_sec - c->idle_since.tv_sec);

		nb_buf_printf(out, "%.12s 127.0.0.1:%d %s %ld %llu\n", c->id, c->port,
			      c->busy ? "busy" : "idle", idle, (unsigned long long)c->served);
	}
}

void lambda_warm_evict(struct lambda *l, struct lambda_fn *fn, bool all)
{
	struct lambda_ctr **pp = &fn->ctrs;

	while (*pp) {
		struct lambda_ctr *c = *pp;

		if (c->busy) {
			if (all)
				c->fp[0] = '\0'; /* matches no configuration: goes at release */
			pp = &c->next;
		} else if (all || strcmp(c->fp, fn->fp) != 0) {
			*pp = c->next;
			lambda_reap(l, c);
		} else {
			pp = &c->next;
		}
	}
	if (!fn->deleted)
		lambda_fn_touch(l, fn, LAMBDA_F_WARM);
}
