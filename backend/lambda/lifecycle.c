/*
 * backend/lambda/lifecycle.c - the service's threads, and what the engine
 * tells it: warm containers are disposable, so containers of ours that no
 * function holds (a previous run's, one that died) are removed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/labels.h"
#include "backend/common/log.h"
#include "backend/engine/containers.h"
#include "backend/lambda/lambda_i.h"

int lambda_start(struct lambda *l, struct nb_err *err)
{
	int ret = lambda_reaper_start(l);

	if (ret < 0)
		return nb_err_set(err, ret, "cannot start the Lambda reaper: %s", strerror(-ret));
	ret = lambda_async_start(l);
	if (ret < 0) {
		pthread_mutex_lock(&l->lock);
		l->stopping = true;
		pthread_mutex_unlock(&l->lock);
		lambda_reaper_stop(l);
		return nb_err_set(err, ret, "cannot start the Lambda queue: %s", strerror(-ret));
	}
	l->threads = true;
	return 0;
}

void lambda_stop(struct lambda *l)
{
	char(*busy)[65] = NULL;
	size_t n_busy = 0, cap = 0;

	if (!l->threads)
		return;
	/* Cold starts and the Event invocation end now, not at their next
	 * engine answer. */
	nb_cancel_fire(&l->async_cancel);
	pthread_mutex_lock(&l->lock);
	l->stopping = true;
	for (struct lambda_fn *fn = l->fns; fn; fn = fn->next) {
		for (struct lambda_ctr *c = fn->ctrs; c; c = c->next) {
			if (!c->busy)
				continue;
			if (n_busy == cap) {
				void *grown =
					realloc(busy, (cap = cap ? cap * 2 : 8) * sizeof(*busy));

				if (!grown)
					break;
				busy = grown;
			}
			memcpy(busy[n_busy++], c->id, sizeof(*busy));
		}
		lambda_warm_evict(l, fn, true);
	}
	pthread_cond_broadcast(&l->freed);
	pthread_mutex_unlock(&l->lock);
	/* Invocations in flight end at once when their container goes. */
	for (size_t i = 0; i < n_busy; i++)
		engine_container_remove(l->deps.eng, busy[i], true, true, NULL);
	free(busy);
	lambda_async_stop(l);
	lambda_reaper_stop(l);
	l->threads = false;
}

static const char *label(const cJSON *ctr, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(ctr, "Labels"), key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool held(struct lambda *l, const char *id, const char *object)
{
	for (struct lambda_fn *fn = l->fns; fn; fn = fn->next) {
		/* A container being started is not in the pool yet. */
		if (fn->n_starting && object && strcmp(fn->name, object) == 0)
			return true;
		for (struct lambda_ctr *c = fn->ctrs; c; c = c->next)
			if (strcmp(c->id, id) == 0)
				return true;
	}
	return false;
}

void lambda_on_sync(struct lambda *l, const cJSON *containers)
{
	const cJSON *ctr;

	pthread_mutex_lock(&l->lock);
	cJSON_ArrayForEach(ctr, containers)
	{
		const cJSON *id = cJSON_GetObjectItem(ctr, "Id");
		const char *kind = label(ctr, NB_LABEL_KIND);

		if (!cJSON_IsString(id) || !kind || strcmp(kind, NB_KIND_LAMBDA) != 0 ||
		    l->stopping)
			continue;
		if (!held(l, id->valuestring, label(ctr, NB_LABEL_OBJECT)))
			lambda_reap_id(l, id->valuestring);
	}
	pthread_mutex_unlock(&l->lock);
}

void lambda_on_event(struct lambda *l, const cJSON *event)
{
	const cJSON *actor = cJSON_GetObjectItem(event, "Actor");
	const cJSON *attrs = cJSON_GetObjectItem(actor, "Attributes");
	const cJSON *id = cJSON_GetObjectItem(actor, "ID");
	const cJSON *action = cJSON_GetObjectItem(event, "Action");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(attrs, NB_LABEL_KIND);

	if (!cJSON_IsString(kind) || strcmp(kind->valuestring, NB_KIND_LAMBDA) != 0 ||
	    !cJSON_IsString(action) || strcmp(action->valuestring, "die") != 0 ||
	    !cJSON_IsString(id))
		return;
	/* An idle container that died serves no one: drop it now. A busy one's
	 * invocation fails and discards it. */
	pthread_mutex_lock(&l->lock);
	for (struct lambda_fn *fn = l->fns; fn; fn = fn->next)
		for (struct lambda_ctr **pp = &fn->ctrs; *pp; pp = &(*pp)->next) {
			struct lambda_ctr *c = *pp;

			if (strcmp(c->id, id->valuestring) != 0 || c->busy)
				continue;
			*pp = c->next;
			lambda_reap(l, c);
			lambda_fn_touch(l, fn, LAMBDA_F_WARM);
			pthread_mutex_unlock(&l->lock);
			return;
		}
	pthread_mutex_unlock(&l->lock);
}
