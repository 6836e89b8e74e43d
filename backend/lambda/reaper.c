/*
 * backend/lambda/reaper.c - the one thread that removes containers: those
 * idle past --lambda-idle, those of an old configuration, those a timeout
 * or a crash spoiled. Users' invocations never wait for a removal. It
 * sleeps until the next idle deadline, or until woken with work.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/log.h"
#include "backend/engine/containers.h"
#include "backend/lambda/lambda_i.h"

void lambda_reap_id(struct lambda *l, const char *id)
{
	struct lambda_reap *r = calloc(1, sizeof(*r));

	if (!r) {
		log_warn("lambda: out of memory: container %.12s is left running", id);
		return;
	}
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->next = l->reap;
	l->reap = r;
	pthread_cond_signal(&l->reaper_wake);
}

void lambda_reap(struct lambda *l, struct lambda_ctr *c)
{
	lambda_reap_id(l, c->id);
	if (l->reap && strcmp(l->reap->id, c->id) == 0)
		l->reap->curl = c->curl;
	else if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c);
}

/* Moves idle containers past their deadline to the reap list; returns the
 * next deadline (CLOCK_MONOTONIC seconds), or 0 when nothing is idle. */
static time_t evict_idle(struct lambda *l)
{
	struct timespec now;
	time_t next = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (struct lambda_fn *fn = l->fns; fn; fn = fn->next) {
		struct lambda_ctr **pp = &fn->ctrs;
		bool changed = false;

		while (*pp) {
			struct lambda_ctr *c = *pp;
			time_t due = c->idle_since.tv_sec + l->deps.idle_seconds;

			if (c->busy) {
				pp = &c->next;
			} else if (due <= now.tv_sec) {
				*pp = c->next;
				lambda_reap(l, c);
				changed = true;
			} else {
				if (!next || due < next)
					next = due;
				pp = &c->next;
			}
		}
		if (changed)
			lambda_fn_touch(l, fn, LAMBDA_F_WARM);
	}
	return next;
}

static void remove_all(struct lambda *l, struct lambda_reap *list)
{
	while (list) {
		struct lambda_reap *r = list;
		struct nb_err err = { 0 };

		list = r->next;
		if (engine_container_remove(l->deps.eng, r->id, true, true, &err) < 0 &&
		    err.code != -ENOENT)
			log_warn("lambda: cannot remove container %.12s: %s", r->id, err.msg);
		if (r->curl)
			curl_easy_cleanup(r->curl);
		free(r);
	}
}

static void *reaper_main(void *arg)
{
	struct lambda *l = arg;

	pthread_mutex_lock(&l->lock);
	while (!l->stopping || l->reap) {
		time_t next = l->stopping ? 0 : evict_idle(l);
		struct lambda_reap *list = l->reap;

		l->reap = NULL;
		if (list) {
			pthread_mutex_unlock(&l->lock);
			remove_all(l, list);
			pthread_mutex_lock(&l->lock);
			continue;
		}
		if (l->stopping)
			break;
		l->reaper_next = next;
		if (next) {
			/* Deadlines are CLOCK_MONOTONIC: so is the condvar's clock. */
			struct timespec until = { .tv_sec = next, .tv_nsec = 0 };

			pthread_cond_timedwait(&l->reaper_wake, &l->lock, &until);
		} else {
			pthread_cond_wait(&l->reaper_wake, &l->lock);
		}
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

int lambda_reaper_start(struct lambda *l)
{
	return -pthread_create(&l->reaper, NULL, reaper_main, l);
}

void lambda_reaper_flush(struct lambda *l)
{
	struct lambda_reap *list;

	pthread_mutex_lock(&l->lock);
	list = l->reap;
	l->reap = NULL;
	pthread_mutex_unlock(&l->lock);
	remove_all(l, list);
}

void lambda_reaper_stop(struct lambda *l)
{
	pthread_mutex_lock(&l->lock);
	pthread_cond_signal(&l->reaper_wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->reaper, NULL);
	lambda_reaper_flush(l);
}
