/*
 * backend/common/cancel.h - cancel tokens. Whoever waits (an engine
 * stream, an invocation, a capacity wait) checks the token and, for the
 * time it blocks, hooks a wake-up onto it; whoever cancels fires it, which
 * sets the flag and runs every hook. So a layer that cancels (fs/ on an
 * interrupt, a capture's stop) needs to know nothing of how the other one
 * waits.
 */
#ifndef NB_COMMON_CANCEL_H
#define NB_COMMON_CANCEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct nb_cancel_hook {
	void (*fn)(void *ud); /* must not block: it runs on the firing thread */
	void *ud;
	struct nb_cancel_hook *next;
};

struct nb_cancel {
	_Atomic bool set;
	pthread_mutex_t lock;	      /* guards hooks, and runs fn under it */
	struct nb_cancel_hook *hooks; /* protected by lock */
};

void nb_cancel_init(struct nb_cancel *c);
void nb_cancel_destroy(struct nb_cancel *c);

/* Whether c (may be NULL: never) has fired. Lock-free. */
static inline bool nb_cancelled(const struct nb_cancel *c)
{
	return c && atomic_load(&c->set);
}

/* Sets c and runs every hook once. Later fires only set it again. */
void nb_cancel_fire(struct nb_cancel *c);

/* Clears c for reuse (a stream ended on purpose, to be opened again). */
void nb_cancel_reset(struct nb_cancel *c);

/* Hooks h onto c for the time its owner blocks; when c has fired already,
 * runs h->fn at once. c may be NULL (nothing to hook onto). */
void nb_cancel_hook_add(struct nb_cancel *c, struct nb_cancel_hook *h);

/* Unhooks h. Once it returns, h->fn is not running and will not run. */
void nb_cancel_hook_del(struct nb_cancel *c, struct nb_cancel_hook *h);

#endif
