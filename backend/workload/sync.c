/*
 * backend/workload/sync.c - what the engine says about an object's
 * containers: its /events messages (start, die, oom, health, destroy), and
 * each resync's list, matched to the objects (by engine id, or by labels
 * for a container whose id a crash kept from being recorded). Captures that
 * an outage broke start again; containers of this kind that no live object
 * owns are removed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/labels.h"
#include "backend/common/log.h"
#include "backend/workload/workload_i.h"

static const char *str_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- events ---- */

bool wl_event_parse(struct wl *wl, const cJSON *event, struct wl_event *ev)
{
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(event, "Actor");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
	const char *type = str_of(event, "Type"), *action = str_of(event, "Action");
	const char *kind = str_of(attrs, NB_LABEL_KIND), *obj = str_of(attrs, NB_LABEL_OBJECT);
	const char *id = str_of(actor, "ID"), *code;

	if (!action || !kind || !obj || !id || strcmp(kind, wl->kind) != 0 ||
	    (type && strcmp(type, "container") != 0))
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->exit_code = -1;
	if (strcmp(action, "start") == 0) {
		ev->action = WL_EV_START;
	} else if (strcmp(action, "die") == 0) {
		ev->action = WL_EV_DIE;
		code = str_of(attrs, "exitCode");
		ev->exit_code = code ? atoi(code) : -1;
	} else if (strcmp(action, "oom") == 0) {
		ev->action = WL_EV_OOM;
	} else if (strcmp(action, "destroy") == 0) {
		ev->action = WL_EV_DESTROY;
	} else if (strncmp(action, "health_status: ", 15) == 0) {
		ev->action = WL_EV_HEALTH;
		snprintf(ev->health, sizeof(ev->health), "%s", action + 15);
	} else {
		return false;
	}
	snprintf(ev->object, sizeof(ev->object), "%s", obj);
	snprintf(ev->engine_id, sizeof(ev->engine_id), "%s", id);
	return true;
}

int wl_event_apply(struct wl_obj *o, const struct wl_event *ev)
{
	int ci = wl_obj_ctr_by_id(o, ev->engine_id);
	struct wl_ctr *c;

	if (ci < 0)
		return o->infra_id[0] && strcmp(o->infra_id, ev->engine_id) == 0 ? -2 : -1;
	c = &o->c[ci];
	switch (ev->action) {
	case WL_EV_START:
		c->state = WL_CTR_RUNNING;
		c->exit_code = -1;
		break;
	case WL_EV_DIE:
		c->state = WL_CTR_EXITED;
		c->exit_code = ev->exit_code;
		break;
	case WL_EV_DESTROY:
		c->state = WL_CTR_GONE;
		break;
	default:
		break;
	}
	return ci;
}

/* ---- resync ---- */

void wl_sync_begin(struct wl *wl, const cJSON *containers, struct wl_sync *s)
{
	memset(s, 0, sizeof(*s));
	s->wl = wl;
	s->containers = containers;
}

/* The listed container with engine id, or else the one labelled as
 * object obj's container name (a task's containers carry their name; an
 * object of one container needs none). */
static const cJSON *listed(const struct wl_sync *s, const struct wl_obj *o, int ci)
{
	const char *id = o->c[ci].id;
	const cJSON *c;

	cJSON_ArrayForEach(c, s->containers)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *cid = str_of(c, "Id"), *kind = str_of(labels, NB_LABEL_KIND);
		const char *obj = str_of(labels, NB_LABEL_OBJECT);
		const char *name = str_of(labels, NB_LABEL_CONTAINER);

		if (!cid || !kind || strcmp(kind, s->wl->kind) != 0)
			continue;
		if (id[0] && strcmp(cid, id) == 0)
			return c;
		if (!id[0] && obj && strcmp(obj, o->id) == 0 &&
		    (name ? strcmp(name, o->c[ci].name) == 0 : o->n == 1))
			return c;
	}
	return NULL;
}

enum wl_seen wl_sync_ctr(struct wl_sync *s, struct wl_obj *o, int ci)
{
	struct wl_ctr *c = &o->c[ci];
	const cJSON *l = listed(s, o, ci);
	const char *state;

	if (!l) {
		if (!c->id[0])
			return WL_SEEN_NONE;
		c->state = WL_CTR_GONE;
		return WL_SEEN_GONE;
	}
	if (!c->id[0]) /* created, then a crash before its id was recorded */
		snprintf(c->id, sizeof(c->id), "%s", str_of(l, "Id"));
	/* Running or not, what it wrote since the saved position is read (a
	 * stopped one's stream ends by itself); a capture an outage broke
	 * is ended and started again from its saved position. */
	wl_capture(s->wl, o, ci);
	state = str_of(l, "State");
	if (state && (strcmp(state, "running") == 0 || strcmp(state, "restarting") == 0)) {
		c->state = WL_CTR_RUNNING;
		return WL_SEEN_RUNNING;
	}
	if (c->state == WL_CTR_RUNNING || c->state == WL_CTR_NONE)
		c->state = state && strcmp(state, "created") == 0 ? WL_CTR_CREATED : WL_CTR_EXITED;
	return WL_SEEN_STOPPED;
}

void wl_sync_remove_orphans(struct wl_sync *s)
{
	struct wl *wl = s->wl;
	const cJSON *c;

	cJSON_ArrayForEach(c, s->containers)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *kind = str_of(labels, NB_LABEL_KIND),
			   *obj = str_of(labels, NB_LABEL_OBJECT);
		const char *cid = str_of(c, "Id");
		struct wl_obj *o;

		if (!cid || !kind || strcmp(kind, wl->kind) != 0)
			continue;
		o = obj ? wl->ops.find(wl->deps.svc, obj) : NULL;
		if (o && !o->retired)
			continue;
		log_info("removing container %.12s of %s %s, which nimbusfs %s", cid, wl->kind,
			 obj ? obj : "(none)", o ? "has retired" : "does not know");
		wl_submit(wl, cid, WL_JOB_REMOVE_ORPHAN, NULL);
	}
}
