/*
 * backend/state/hub.c - the event ring and change announcements.
 * Events are kept as ready-made lines in a fixed ring indexed by sequence
 * number, so a reader costs one cursor, however many readers there are.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/common/json.h"
#include "backend/state/hub.h"

struct hub_event {
	char *line; /* "{...}\n" */
	size_t len;
	char *id;
};

struct state_hub {
	pthread_mutex_t lock;
	struct hub_event ring[STATE_HUB_RING]; /* protected by lock */
	uint64_t head;			       /* protected by lock: next seq */
	struct state_hub_listener listener;    /* set once before threads start */
};

int state_hub_new(struct state_hub **out)
{
	struct state_hub *hub = calloc(1, sizeof(*hub));

	if (!hub)
		return -ENOMEM;
	pthread_mutex_init(&hub->lock, NULL);
	*out = hub;
	return 0;
}

void state_hub_free(struct state_hub *hub)
{
	if (!hub)
		return;
	for (size_t i = 0; i < STATE_HUB_RING; i++) {
		free(hub->ring[i].line);
		free(hub->ring[i].id);
	}
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

void state_hub_listen(struct state_hub *hub, const struct state_hub_listener *l)
{
	hub->listener = *l;
}

static void format_time(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%09ldZ", base, ts.tv_nsec);
}

int state_hub_publish(struct state_hub *hub, const char *type, const char *id, cJSON *fields)
{
	if (!type || !id || (fields && !cJSON_IsObject(fields))) {
		cJSON_Delete(fields);
		return -EINVAL;
	}
	cJSON *doc = cJSON_CreateObject();
	struct hub_event ev = { 0 }, old;
	char now[48];
	char *text;
	cJSON *item;

	if (!doc) {
		cJSON_Delete(fields);
		return -ENOMEM;
	}
	format_time(now, sizeof(now));
	if (json_add_str(doc, "time", now) < 0 || json_add_str(doc, "type", type) < 0 ||
	    json_add_str(doc, "id", id) < 0)
		goto nomem;
	while (fields && fields->child) {
		item = cJSON_DetachItemViaPointer(fields, fields->child);
		cJSON_AddItemToObject(doc, item->string, item);
	}
	cJSON_Delete(fields);
	fields = NULL;
	text = json_print(doc);
	if (!text)
		goto nomem;
	cJSON_Delete(doc);
	ev.len = strlen(text);
	ev.line = malloc(ev.len + 2);
	ev.id = strdup(id);
	if (!ev.line || !ev.id) {
		free(text);
		free(ev.line);
		free(ev.id);
		return -ENOMEM;
	}
	memcpy(ev.line, text, ev.len);
	free(text);
	ev.line[ev.len++] = '\n';
	ev.line[ev.len] = '\0';

	pthread_mutex_lock(&hub->lock);
	old = hub->ring[hub->head % STATE_HUB_RING];
	hub->ring[hub->head % STATE_HUB_RING] = ev;
	hub->head++;
	pthread_mutex_unlock(&hub->lock);
	free(old.line);
	free(old.id);
	if (hub->listener.on_event)
		hub->listener.on_event(hub->listener.ud);
	return 0;
nomem:
	cJSON_Delete(fields);
	cJSON_Delete(doc);
	return -ENOMEM;
}

void state_hub_changed(struct state_hub *hub, const char *path)
{
	if (hub->listener.on_changed)
		hub->listener.on_changed(hub->listener.ud, path);
}

void state_hub_error(struct state_hub *hub, const char *dir, const char *msg)
{
	if (hub->listener.on_error)
		hub->listener.on_error(hub->listener.ud, dir, msg);
}

void state_hub_cursor_init(struct state_hub *hub, struct state_hub_cursor *cur)
{
	pthread_mutex_lock(&hub->lock);
	cur->seq = hub->head;
	cur->off = 0;
	pthread_mutex_unlock(&hub->lock);
}

static uint64_t oldest_kept(const struct state_hub *hub)
{
	return hub->head > STATE_HUB_RING ? hub->head - STATE_HUB_RING : 0;
}

static int matches(const struct hub_event *ev, const char *id_filter)
{
	return !id_filter || strcmp(ev->id, id_filter) == 0;
}

size_t state_hub_read(struct state_hub *hub, struct state_hub_cursor *cur, const char *id_filter,
		      struct nb_buf *out, size_t max)
{
	size_t start = out->len;
	uint64_t oldest;

	pthread_mutex_lock(&hub->lock);
	oldest = oldest_kept(hub);
	if (cur->seq < oldest) {
		char note[96];
		/* A reader cut off mid-line gets that line ended first, so every
		 * line it reads stays one JSON object. */
		int n = snprintf(note, sizeof(note), "%s{\"type\":\"overflow\",\"dropped\":%llu}\n",
				 cur->off ? "\n" : "", (unsigned long long)(oldest - cur->seq));

		if ((size_t)n <= max && nb_buf_append(out, note, (size_t)n) == 0) {
			cur->seq = oldest;
			cur->off = 0;
		}
	}
	/* A cursor still behind (no room for the note) points at a reused slot. */
	while (cur->seq >= oldest && cur->seq < hub->head && out->len - start < max) {
		const struct hub_event *ev = &hub->ring[cur->seq % STATE_HUB_RING];
		size_t room = max - (out->len - start);
		size_t n = ev->len - cur->off;

		if (!matches(ev, id_filter)) {
			cur->seq++;
			cur->off = 0;
			continue;
		}
		if (n > room)
			n = room;
		if (nb_buf_append(out, ev->line + cur->off, n) < 0)
			break;
		cur->off += n;
		if (cur->off == ev->len) {
			cur->seq++;
			cur->off = 0;
		}
	}
	pthread_mutex_unlock(&hub->lock);
	return out->len - start;
}

int state_hub_pending(struct state_hub *hub, const struct state_hub_cursor *cur,
		      const char *id_filter)
{
	int pending = 0;

	pthread_mutex_lock(&hub->lock);
	if (cur->seq < oldest_kept(hub))
		pending = 1;
	for (uint64_t s = cur->seq; !pending && s < hub->head; s++)
		pending = matches(&hub->ring[s % STATE_HUB_RING], id_filter);
	pthread_mutex_unlock(&hub->lock);
	return pending;
}

uint64_t state_hub_count(struct state_hub *hub)
{
	uint64_t n;

	pthread_mutex_lock(&hub->lock);
	n = hub->head;
	pthread_mutex_unlock(&hub->lock);
	return n;
}
