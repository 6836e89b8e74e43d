/*
 * backend/lambda/warm.c - the warm pool: per function, containers running
 * its current configuration, one invocation each at a time. An invocation
 * first reserves capacity (at once, in the write that asks for it: what
 * counts against reserved concurrency), then, on its own thread, takes a
 * free container or starts one; cold starts of one function are
 * serialized, so a burst of short invocations reuses the first container
 * instead of starting one per request. Every wait sees the caller's cancel
 * token.
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
	int n = fn->n_starting + fn->n_reserved;

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

/* A reservation becomes a lease of c (its reference on fn carries over). */
static void lease_of(struct lambda_lease *lease, struct lambda_fn *fn, struct lambda_ctr *c)
{
	c->busy = true;
	fn->n_reserved--;
	lease->ctr = c;
	lease->timeout_s = fn->cfg.timeout;
	lease->memory_mb = fn->cfg.memory_mb;
}

/* A waiter on l->freed hooks this onto its cancel token: firing the token
 * wakes the wait, which then sees it. It takes l->lock, so it is hooked and
 * unhooked with l->lock not held (lock order: a token's lock, then l->lock). */
static void wake_freed(void *ud)
{
	struct lambda *l = ud;

	pthread_mutex_lock(&l->lock);
	pthread_cond_broadcast(&l->freed);
	pthread_mutex_unlock(&l->lock);
}

static void wake_hook(struct nb_cancel_hook *h, struct lambda *l, struct nb_cancel *cancel)
{
	*h = (struct nb_cancel_hook){ .fn = wake_freed, .ud = l };
	nb_cancel_hook_add(cancel, h);
}

/* Lambda's refusals, in the order Lambda checks them (lock held). */
static int refuse(struct lambda *l, struct lambda_fn *fn, const char *name, struct nb_err *err)
{
	if (!fn || fn->deleted)
		return nb_err_set(err, -ENOENT, "Function not found: %s", name);
	if (strcmp(fn->cfg.state, "Active") != 0)
		return nb_err_set(err, -EBUSY,
				  "The operation cannot be performed at this time. The function is "
				  "currently in the following state: %s (%s)",
				  fn->cfg.state, fn->cfg.state_reason);
	if (l->stopping)
		return nb_err_set(err, -ESHUTDOWN, "nimbusfs is shutting down");
	return 0;
}

int lambda_reserve(struct lambda *l, const char *name, bool wait, struct nb_cancel *cancel,
		   struct lambda_lease *lease, struct nb_err *err)
{
	struct nb_cancel_hook w;
	struct lambda_fn *fn;
	int ret;

	memset(lease, 0, sizeof(*lease));
	if (wait)
		wake_hook(&w, l, cancel);
	pthread_mutex_lock(&l->lock);
	for (;;) {
		fn = lambda_fn_find(l, name);
		ret = refuse(l, fn, name, err);
		if (ret < 0)
			break;
		if (nb_cancelled(cancel)) {
			ret = nb_err_set(err, -EINTR, "the invocation of %s was cancelled", name);
			break;
		}
		if (in_flight(fn) < fn->cfg.reserved_concurrency) {
			fn->n_reserved++;
			fn->refs++;
			lease->fn = fn;
			break;
		}
		/* Even a queued Event invocation cannot wait on 0. */
		if (!wait || fn->cfg.reserved_concurrency == 0) {
			ret = nb_err_set(err, -EAGAIN,
					 "Rate Exceeded. (TooManyRequestsException: %s has %d "
					 "invocation(s) in flight, its reserved-concurrency)",
					 name, in_flight(fn));
			break;
		}
		pthread_cond_wait(&l->freed, &l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	if (wait)
		nb_cancel_hook_del(cancel, &w);
	return ret;
}

/* Starts a container for a reservation (lock held; dropped while it
 * starts). On failure the lease is still the reservation. */
static int cold_start(struct lambda *l, struct lambda_fn *fn, struct lambda_lease *lease,
		      struct nb_cancel *cancel, struct nb_err *err)
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
	fn->n_reserved--;
	fn->n_starting++;
	fn->cold_start = true;
	pthread_mutex_unlock(&l->lock);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = lambda_coldstart(l, &s, cancel, &c, err);
	lambda_config_free(&s.cfg);
	free(s.layers);

	pthread_mutex_lock(&l->lock);
	fn->n_starting--;
	fn->n_reserved++;
	fn->cold_start = false;
	pthread_cond_broadcast(&l->freed);
	if (ret == 0 && l->stopping) {
		lambda_reap(l, c); /* removed by lambda_free's last sweep */
		ret = nb_err_set(err, -ESHUTDOWN, "nimbusfs is shutting down");
	}
	if (ret < 0)
		return ret;
	c->next = fn->ctrs;
	fn->ctrs = c;
	lease_of(lease, fn, c);
	lease->cold = true;
	lease->init_ms = ms_since(&t0);
	lambda_fn_touch(l, fn, LAMBDA_F_WARM);
	return 0;
}

int lambda_acquire(struct lambda *l, struct lambda_lease *lease, struct nb_cancel *cancel,
		   struct nb_err *err)
{
	struct lambda_fn *fn = lease->fn;
	struct nb_cancel_hook w;
	struct lambda_ctr *c;
	int ret;

	wake_hook(&w, l, cancel);
	pthread_mutex_lock(&l->lock);
	for (;;) {
		ret = refuse(l, fn, fn->name, err);
		if (ret < 0)
			break;
		if (nb_cancelled(cancel)) {
			ret = nb_err_set(err, -EINTR,
					 "the invocation of %s was interrupted while it waited for "
					 "a container",
					 fn->name);
			break;
		}
		if ((c = free_ctr(fn))) {
			lease_of(lease, fn, c);
			break;
		}
		if (!fn->cold_start) {
			ret = cold_start(l, fn, lease, cancel, err);
			break;
		}
		pthread_cond_wait(&l->freed, &l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	nb_cancel_hook_del(cancel, &w);
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

void lambda_release(struct lambda *l, struct lambda_lease *lease, bool discard)
{
	struct lambda_fn *fn = lease->fn;
	struct lambda_ctr *c = lease->ctr;

	if (!fn)
		return;
	pthread_mutex_lock(&l->lock);
	if (!c) {
		fn->n_reserved--; /* a reservation that never got a container */
	} else {
		c->busy = false;
		c->served++;
		clock_gettime(CLOCK_MONOTONIC, &c->idle_since);
		if (discard || fn->deleted || strcmp(c->fp, fn->fp) != 0 || l->stopping) {
			unlink_ctr(fn, c);
			lambda_reap(l, c);
		}
		if (!fn->deleted)
			lambda_fn_touch(l, fn, LAMBDA_F_WARM);
	}
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
