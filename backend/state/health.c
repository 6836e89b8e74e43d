/*
 * backend/state/health.c - engine and state-dir health, as files show it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend/common/json.h"
#include "backend/state/atomic.h"
#include "backend/state/health.h"

/* The state dir's writes report here when they start or stop failing. */
static void on_state_write(void *ud, const char *reason_or_null)
{
	state_health_state_dir(ud, reason_or_null);
}

void state_health_init(struct state_health *h, struct state_hub *hub, const char *engine_url)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->hub = hub;
	snprintf(h->engine_url, sizeof(h->engine_url), "%s", engine_url);
	snprintf(h->engine_reason, sizeof(h->engine_reason), "engine at %s: not yet contacted",
		 engine_url);
	clock_gettime(CLOCK_REALTIME, &h->changed);
	h->info_changed = h->changed;
	state_write_watch(on_state_write, h);
}

void state_health_destroy(struct state_health *h)
{
	state_write_unwatch(on_state_write, h);
	pthread_mutex_destroy(&h->lock);
}

static void announce(struct state_health *h, const char *status, const char *reason,
		     bool version_changed)
{
	cJSON *fields = cJSON_CreateObject();

	if (fields) {
		json_add_str(fields, "status", status);
		if (reason)
			json_add_str(fields, "reason", reason);
	}
	state_hub_publish(h->hub, "engine", "engine", fields);
	state_hub_changed(h->hub, "health");
	if (version_changed)
		state_hub_changed(h->hub, "version");
}

void state_health_engine_up(struct state_health *h, const char *who, const char *api)
{
	bool was_up, version_changed;
	char detail[256];

	pthread_mutex_lock(&h->lock);
	was_up = h->engine_up;
	version_changed = !h->engine_known || strcmp(h->engine_who, who) != 0 ||
			  strcmp(h->engine_api, api) != 0;
	h->engine_up = true;
	h->engine_known = true;
	snprintf(h->engine_who, sizeof(h->engine_who), "%s", who);
	snprintf(h->engine_api, sizeof(h->engine_api), "%s", api);
	h->engine_reason[0] = '\0';
	if (!was_up)
		clock_gettime(CLOCK_REALTIME, &h->changed);
	if (version_changed)
		clock_gettime(CLOCK_REALTIME, &h->info_changed);
	pthread_mutex_unlock(&h->lock);
	snprintf(detail, sizeof(detail), "%s, API %s", who, api);
	if (!was_up || version_changed)
		announce(h, "up", detail, version_changed);
}

void state_health_engine_down(struct state_health *h, const char *reason)
{
	bool changed;

	pthread_mutex_lock(&h->lock);
	changed = h->engine_up || strcmp(h->engine_reason, reason) != 0;
	h->engine_up = false;
	snprintf(h->engine_reason, sizeof(h->engine_reason), "%s", reason);
	if (changed)
		clock_gettime(CLOCK_REALTIME, &h->changed);
	pthread_mutex_unlock(&h->lock);
	if (changed)
		announce(h, "down", reason, false);
}

void state_health_state_dir(struct state_health *h, const char *reason_or_null)
{
	const char *reason = reason_or_null ? reason_or_null : "";
	bool changed;

	pthread_mutex_lock(&h->lock);
	changed = strcmp(h->state_reason, reason) != 0;
	snprintf(h->state_reason, sizeof(h->state_reason), "%s", reason);
	if (changed)
		clock_gettime(CLOCK_REALTIME, &h->changed);
	pthread_mutex_unlock(&h->lock);
	if (changed && h->hub) {
		cJSON *fields = cJSON_CreateObject();

		if (fields) {
			json_add_str(fields, "status", reason[0] ? "read-only" : "ok");
			if (reason[0])
				json_add_str(fields, "reason", reason);
		}
		state_hub_publish(h->hub, "state-dir", "state-dir", fields);
		state_hub_changed(h->hub, "health");
	}
}

void state_health_events(struct state_health *h, const char *reason_or_null)
{
	const char *reason = reason_or_null ? reason_or_null : "";
	bool changed;

	pthread_mutex_lock(&h->lock);
	changed = strcmp(h->events_reason, reason) != 0;
	snprintf(h->events_reason, sizeof(h->events_reason), "%s", reason);
	if (changed)
		clock_gettime(CLOCK_REALTIME, &h->changed);
	pthread_mutex_unlock(&h->lock);
	if (changed)
		announce(h, reason[0] ? "events-failing" : "events-running",
			 reason[0] ? reason : NULL, false);
}

bool state_health_state_dir_ok(struct state_health *h)
{
	bool ok;

	pthread_mutex_lock(&h->lock);
	ok = !h->state_reason[0];
	pthread_mutex_unlock(&h->lock);
	return ok;
}

bool state_health_engine_ready(struct state_health *h, struct nb_err *err)
{
	bool up;

	pthread_mutex_lock(&h->lock);
	up = h->engine_up;
	if (!up)
		nb_err_set(err, -EHOSTDOWN, "%s", h->engine_reason);
	pthread_mutex_unlock(&h->lock);
	return up;
}

int state_health_render(struct state_health *h, struct nb_buf *out, struct timespec *mtime)
{
	int ret = 0;

	pthread_mutex_lock(&h->lock);
	if (h->engine_up && !h->state_reason[0] && !h->events_reason[0])
		ret = nb_buf_puts(out, "ok\n");
	if (!h->engine_up)
		ret = nb_buf_printf(out, "%s\n", h->engine_reason);
	else if (h->events_reason[0])
		ret = nb_buf_printf(out, "engine events stream failing: %s\n", h->events_reason);
	if (ret == 0 && h->state_reason[0])
		ret = nb_buf_printf(out, "%s\n", h->state_reason);
	*mtime = h->changed;
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int state_health_render_version(struct state_health *h, struct nb_buf *out, struct timespec *mtime)
{
	int ret;

	pthread_mutex_lock(&h->lock);
	ret = nb_buf_printf(out, "nimbusfs %s\n", NIMBUSFS_VERSION);
	if (ret == 0 && h->engine_known)
		ret = nb_buf_printf(out, "engine: %s at %s\napi-version: %s\n", h->engine_who,
				    h->engine_url, h->engine_api);
	else if (ret == 0)
		ret = nb_buf_printf(out, "engine: unknown (not reached yet) at %s\n",
				    h->engine_url);
	*mtime = h->info_changed;
	pthread_mutex_unlock(&h->lock);
	return ret;
}
