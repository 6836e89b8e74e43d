/*
 * backend/common/cancel.c - cancel tokens: a flag, and the wake-ups of
 * whoever blocks on it, run under one small lock so a hook is never run
 * after its owner unhooked it.
 */
#include <stddef.h>

#include "backend/common/cancel.h"

void nb_cancel_init(struct nb_cancel *c)
{
	atomic_init(&c->set, false);
	pthread_mutex_init(&c->lock, NULL);
	c->hooks = NULL;
}

void nb_cancel_destroy(struct nb_cancel *c)
{
	pthread_mutex_destroy(&c->lock);
}

void nb_cancel_fire(struct nb_cancel *c)
{
	pthread_mutex_lock(&c->lock);
	if (!atomic_exchange(&c->set, true))
		for (struct nb_cancel_hook *h = c->hooks; h; h = h->next)
			h->fn(h->ud);
	pthread_mutex_unlock(&c->lock);
}

void nb_cancel_reset(struct nb_cancel *c)
{
	atomic_store(&c->set, false);
}

void nb_cancel_hook_add(struct nb_cancel *c, struct nb_cancel_hook *h)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	h->next = c->hooks;
	c->hooks = h;
	if (atomic_load(&c->set))
		h->fn(h->ud);
	pthread_mutex_unlock(&c->lock);
}

void nb_cancel_hook_del(struct nb_cancel *c, struct nb_cancel_hook *h)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (struct nb_cancel_hook **pp = &c->hooks; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
}
