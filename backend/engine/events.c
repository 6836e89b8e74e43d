/*
 * backend/engine/events.c - the daemon's one /events subscription.
 * List, watch, and list again after each reconnect, so a dropped
 * connection can delay a state change but never lose one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/deadline.h"
#include "backend/common/log.h"
#include "backend/engine/containers.h"
#include "backend/engine/events.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
#define LINE_MAX_BYTES (1u << 20)

struct engine_events {
	struct engine *eng;
	char *label;
	struct engine_events_ops ops;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;	    /* signalled on stop and resync */
	_Atomic bool stopping;	    /* set once by engine_events_stop() */
	struct nb_cancel interrupt; /* ends the current stream: stop or resync */
	struct nb_buf line;	    /* thread-private: partial event line */
	bool ran;		    /* thread-private: the current stream settled */
	bool failing;		    /* thread-private: on_stream was told it fails */
};

/* Sleeps up to ms, or less when stopped or asked to resync. */
static void backoff_wait(struct engine_events *ev, long ms)
{
	struct timespec until;

	nb_deadline_in(&until, CLOCK_MONOTONIC, ms);
	pthread_mutex_lock(&ev->lock);
	while (!atomic_load(&ev->stopping) && !nb_cancelled(&ev->interrupt))
		if (pthread_cond_timedwait(&ev->cond, &ev->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&ev->lock);
}

static void deliver_line(struct engine_events *ev, const char *line, size_t len)
{
	cleanup_cjson cJSON *doc = NULL;

	if (len == 0)
		return;
	doc = cJSON_ParseWithLength(line, len);
	if (!doc) {
		log_warn("engine /events: skipping a line that is not JSON (%zu bytes)", len);
		return;
	}
	ev->ops.on_event(ev->ops.ud, doc);
}

/* Splits the chunked stream into lines; the engine ends each message with \n. */
static int on_chunk(const char *data, size_t len, void *ud)
{
	struct engine_events *ev = ud;
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (ev->line.len) {
			if (nb_buf_append(&ev->line, data + start, i - start) < 0)
				return 1;
			deliver_line(ev, ev->line.data, ev->line.len);
			nb_buf_reset(&ev->line);
		} else {
			deliver_line(ev, data + start, i - start);
		}
		start = i + 1;
	}
	if (start < len) {
		if (ev->line.len + (len - start) > LINE_MAX_BYTES) {
			log_warn("engine /events: dropping an over-long line");
			nb_buf_reset(&ev->line);
		} else if (nb_buf_append(&ev->line, data + start, len - start) < 0) {
			return 1;
		}
	}
	return nb_cancelled(&ev->interrupt) ? 1 : 0;
}

static char *events_path(struct engine_events *ev, time_t since)
{
	cleanup_cjson cJSON *filters = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	cleanup_free char *escaped = NULL;
	cJSON *labels;
	char *path;

	if (!filters)
		return NULL;
	labels = cJSON_AddArrayToObject(filters, "label");
	if (!labels)
		return NULL;
	cJSON_AddItemToArray(labels, cJSON_CreateString(ev->label));
	text = cJSON_PrintUnformatted(filters);
	escaped = text ? engine_escape(text) : NULL;
	if (!escaped ||
	    asprintf(&path, "/events?since=%lld&filters=%s", (long long)since, escaped) < 0)
		return NULL;
	return path;
}

/* The stream stayed open: it runs, whatever happened before. */
static void stream_settled(void *ud)
{
	struct engine_events *ev = ud;

	ev->ran = true;
	if (ev->failing && ev->ops.on_stream)
		ev->ops.on_stream(ev->ops.ud, NULL);
	ev->failing = false;
}

/* One list-then-watch cycle; returns when the stream ends. -errno when the
 * engine did not answer the version or the list; else 0, with ev->ran
 * telling whether the stream ran (and err why it ended). */
static int watch_once(struct engine_events *ev, struct nb_err *err)
{
	static const struct engine_stream_hooks hooks = { .settled = stream_settled,
							  .settle_ms = ENGINE_EVENTS_RAN_MS };
	cleanup_cjson cJSON *list = NULL;
	cleanup_free char *path = NULL;
	struct engine_info info;
	struct engine_req req = { .method = "GET" };
	time_t since;
	int ret;

	ret = engine_negotiate(ev->eng, &info, err);
	if (ret < 0)
		return ret;
	since = time(NULL);
	ret = engine_container_list(ev->eng, ev->label, true, &list, err);
	if (ret < 0)
		return ret;
	ev->ops.on_up(ev->ops.ud, &info);
	ev->ops.on_sync(ev->ops.ud, list);
	path = events_path(ev, since);
	if (!path)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path;
	nb_buf_reset(&ev->line);
	ev->ran = false;
	ret = engine_stream_hooked(ev->eng, &req, on_chunk, &hooks, ev, &ev->interrupt, err);
	if (ret == 0 && !nb_cancelled(&ev->interrupt))
		nb_err_set(err, -EHOSTDOWN, "engine at %s closed the events stream%s",
			   engine_url(ev->eng), ev->ran ? "" : " at once");
	return 0;
}

static void *events_thread(void *arg)
{
	struct engine_events *ev = arg;
	long backoff = BACKOFF_MIN_MS;

	while (!atomic_load(&ev->stopping)) {
		struct nb_err err = { 0 };
		int ret;

		nb_cancel_reset(&ev->interrupt);
		ret = watch_once(ev, &err);
		if (atomic_load(&ev->stopping))
			break;
		if (ret == 0 && (ev->ran || nb_cancelled(&ev->interrupt))) {
			/* The stream ran, or a resync was asked for: reconnect at
			 * once, and only report the engine down if that fails. */
			backoff = BACKOFF_MIN_MS;
			log_debug("engine events: %s; resyncing",
				  err.code ? err.msg : "resync requested");
			continue;
		}
		if (ret < 0) {
			ev->ops.on_down(ev->ops.ud, err.msg);
		} else {
			/* The engine answers but its stream fails: listing it
			 * again at once would only fail again, and load it. */
			log_debug("engine events: stream failing: %s", err.msg);
			ev->failing = true;
			if (ev->ops.on_stream)
				ev->ops.on_stream(ev->ops.ud, err.msg);
		}
		backoff_wait(ev, backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

int engine_events_start(struct engine *eng, const char *label, const struct engine_events_ops *ops,
			struct engine_events **out, struct nb_err *err)
{
	struct engine_events *ev = calloc(1, sizeof(*ev));
	int ret;

	if (!ev)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ev->eng = eng;
	ev->ops = *ops;
	ev->label = strdup(label);
	pthread_mutex_init(&ev->lock, NULL);
	nb_cancel_init(&ev->interrupt);
	{
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&ev->cond, &attr);
		pthread_condattr_destroy(&attr);
	}
	if (!ev->label) {
		ret = nb_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	ret = -pthread_create(&ev->thread, NULL, events_thread, ev);
	if (ret < 0) {
		nb_err_set(err, ret, "cannot start the engine events thread: %s", strerror(-ret));
		goto fail;
	}
	*out = ev;
	return 0;
fail:
	nb_cancel_destroy(&ev->interrupt);
	pthread_cond_destroy(&ev->cond);
	pthread_mutex_destroy(&ev->lock);
	free(ev->label);
	free(ev);
	return ret;
}

void engine_events_resync(struct engine_events *ev)
{
	pthread_mutex_lock(&ev->lock);
	nb_cancel_fire(&ev->interrupt);
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

void engine_events_stop(struct engine_events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	atomic_store(&ev->stopping, true);
	nb_cancel_fire(&ev->interrupt);
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
	pthread_join(ev->thread, NULL);
	nb_buf_free(&ev->line);
	nb_cancel_destroy(&ev->interrupt);
	pthread_cond_destroy(&ev->cond);
	pthread_mutex_destroy(&ev->lock);
	free(ev->label);
	free(ev);
}
