/*
 * backend/ecs/task_events.c - what the engine says about task containers:
 * exits, OOM kills and health changes from the one /events subscription,
 * and the container list of each resync (restart recovery).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/labels.h"
#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"
#include "backend/workload/logcap.h"
#include "backend/ecs/spec.h"
#include "backend/engine/containers.h"

static const char *attr(const cJSON *attrs, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void ecs_container_note_exit(struct ecs_container_rt *c, int code)
{
	const char *sig = ecs_spec_exit_signal(code);

	c->exited = code >= 0;
	c->exit_code = code;
	snprintf(c->status, sizeof(c->status), "STOPPED");
	if (c->reason[0] || code < 0)
		return; /* an OOM kill or an engine error said more */
	if (sig)
		snprintf(c->reason, sizeof(c->reason), "Killed by signal %s (exit code %d)", sig,
			 code);
	else
		snprintf(c->reason, sizeof(c->reason), "Exited with code %d", code);
}

/* An essential container's exit stops the task, as ECS does. Lock held. */
static void container_exited(struct ecs *ecs, struct ecs_task *t, struct ecs_container_rt *c,
			     int code)
{
	ecs_container_note_exit(c, code);
	c->exited = true;
	snprintf(c->status, sizeof(c->status), "STOPPED");
	if (c->essential && strcmp(t->desired, "RUNNING") == 0) {
		t->has_exit = true;
		t->exit_code = code;
		ecs_task_queue_stop(ecs, t, "EssentialContainerExited",
				    "Essential container in task exited");
	}
	ecs_task_changed(ecs, t, "container-exited");
}

void ecs_on_event(struct ecs *ecs, const cJSON *event)
{
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(event, "Actor");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(event, "Action");
	const char *kind = attr(attrs, NB_LABEL_KIND);
	const char *task = attr(attrs, NB_LABEL_OBJECT);
	const char *name = attr(attrs, NB_LABEL_CONTAINER);
	struct ecs_container_rt *c;
	struct ecs_task *t;
	const char *a;

	if (!kind || strcmp(kind, NB_KIND_ECS_TASK) != 0 || !task || !name ||
	    !cJSON_IsString(action))
		return;
	a = action->valuestring;
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, task);
	c = t ? ecs_task_container(t, name) : NULL;
	if (!c) {
		pthread_mutex_unlock(&ecs->lock);
		return;
	}
	if (strcmp(a, "die") == 0) {
		const char *code = attr(attrs, "exitCode");

		container_exited(ecs, t, c, code ? atoi(code) : -1);
	} else if (strcmp(a, "oom") == 0) {
		snprintf(c->reason, sizeof(c->reason),
			 "OutOfMemoryError: Container killed due to memory usage");
		ecs_task_changed(ecs, t, "oom");
	} else if (strncmp(a, "health_status: ", 15) == 0) {
		snprintf(c->health, sizeof(c->health), "%s",
			 strcmp(a + 15, "healthy") == 0	    ? "HEALTHY"
			 : strcmp(a + 15, "unhealthy") == 0 ? "UNHEALTHY"
							    : "UNKNOWN");
		ecs_task_changed(ecs, t, "health");
	} else if (strcmp(a, "start") == 0 && strcmp(c->status, "PENDING") == 0) {
		snprintf(c->status, sizeof(c->status), "RUNNING");
		ecs_task_changed(ecs, t, "container-started");
	}
	pthread_mutex_unlock(&ecs->lock);
}

struct unknown_ctr {
	struct ecs *ecs;
	char id[65];
};

/* The listed container with this engine id, or NULL. */
static const cJSON *listed(const cJSON *containers, const char *id)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, containers)
	{
		const cJSON *cid = cJSON_GetObjectItem(c, "Id");

		if (id[0] && cJSON_IsString(cid) && strcmp(cid->valuestring, id) == 0)
			return c;
	}
	return NULL;
}

static void remove_job(void *ud)
{
	struct unknown_ctr *u = ud;
	struct nb_err err = { 0 };
	int ret = engine_container_remove(u->ecs->eng, u->id, true, true, &err);

	if (ret < 0 && ret != -ENOENT) /* already gone: done */
		log_warn("cannot remove container %.12s of unknown task: %s", u->id, err.msg);
	free(u);
}

/* Task containers of ours whose task nimbusfs does not know (its record
 * lost) are removed. The list holds only this owner's containers. Lock held. */
static void remove_unknown(struct ecs *ecs, const cJSON *containers)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, containers)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *kind = attr(labels, NB_LABEL_KIND);
		const char *task = attr(labels, NB_LABEL_OBJECT);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "Id");
		struct unknown_ctr *u;

		if (!kind || strcmp(kind, NB_KIND_ECS_TASK) != 0 || !cJSON_IsString(id) ||
		    (task && ecs_task_find(ecs, task)) || !ecs->jobs)
			continue;
		u = calloc(1, sizeof(*u));
		if (!u)
			continue;
		u->ecs = ecs;
		snprintf(u->id, sizeof(u->id), "%s", id->valuestring);
		log_info("removing container %.12s of unknown task %s", u->id, task ? task : "");
		if (state_jobs_submit(ecs->jobs, remove_job, free, u) < 0)
			free(u);
	}
}

/*
 * After every (re)connection: containers that ran on are adopted (their
 * output capture resumes where it stopped); ones that ended meanwhile are
 * recorded as exited; a task whose containers all vanished is STOPPED.
 */
/* A capture whose stream failed (the engine went away) is taken off its
 * container so a resync can start it again; lock held. */
struct recapture {
	char task[33];
	int ci;
	struct wl_logcap *cap;
};

#define RECAPTURE_MAX 64

void ecs_on_sync(struct ecs *ecs, const cJSON *containers)
{
	struct recapture again[RECAPTURE_MAX];
	int n_again = 0;

	pthread_mutex_lock(&ecs->lock);
	remove_unknown(ecs, containers);
	for (struct ecs_task *t = ecs->tasks; t; t = t->next) {
		int alive = 0, known = 0;

		if (strcmp(t->last, "STOPPED") == 0 || t->launching || t->stop_queued)
			continue;
		/* A launch cut short by an unmount does not resume: its
		 * containers are stopped and the task fails to start. */
		if (strcmp(t->last, "PROVISIONING") == 0 || strcmp(t->last, "PENDING") == 0) {
			ecs_task_queue_stop(ecs, t, "TaskFailedToStart",
					    "nimbusfs stopped while the task was starting");
			continue;
		}
		for (int i = 0; i < t->n; i++) {
			struct ecs_container_rt *c = &t->c[i];
			const cJSON *l = listed(containers, c->id);
			const cJSON *state = cJSON_GetObjectItem(l, "State");

			if (!c->id[0])
				continue;
			known++;
			if (!l) {
				if (!c->exited) {
					snprintf(c->reason, sizeof(c->reason),
						 "Container vanished while nimbusfs was away");
					container_exited(ecs, t, c, -1);
				}
				continue;
			}
			if (c->cap && c->capture_failed && n_again < RECAPTURE_MAX) {
				snprintf(again[n_again].task, sizeof(again[n_again].task), "%s",
					 t->id);
				again[n_again].ci = i;
				again[n_again++].cap = c->cap;
				c->cap = NULL;
			}
			if (cJSON_IsString(state) && strcmp(state->valuestring, "running") == 0) {
				alive++;
				ecs_task_capture_logs(ecs, t, i);
			} else if (!c->exited) {
				/* Exited while we were away: its code comes with the
				 * stop job's inspect. */
				ecs_task_capture_logs(ecs, t, i);
				if (c->essential)
					ecs_task_queue_stop(ecs, t, "EssentialContainerExited",
							    "Essential container in task exited");
			}
		}
		if (known && !alive && strcmp(t->desired, "RUNNING") == 0)
			ecs_task_queue_stop(ecs, t, "TaskFailedToStart",
					    "Task containers vanished while nimbusfs was away");
		/* A stop acknowledged before a crash whose job never ran. */
		if (strcmp(t->desired, "STOPPED") == 0 && !t->stop_queued) {
			char code[64], reason[512];

			snprintf(code, sizeof(code), "%s",
				 t->stop_code[0] ? t->stop_code : "UserInitiated");
			snprintf(reason, sizeof(reason), "%s", t->stopped_reason);
			ecs_task_queue_stop(ecs, t, code, reason);
		}
	}
	pthread_mutex_unlock(&ecs->lock);
	if (!n_again)
		return;
	/* Stopped without the lock (its callbacks take it), then started
	 * again from the position it saved. */
	for (int i = 0; i < n_again; i++)
		wl_logcap_stop(again[i].cap);
	pthread_mutex_lock(&ecs->lock);
	for (int i = 0; i < n_again; i++) {
		struct ecs_task *t = ecs_task_find(ecs, again[i].task);

		if (t && again[i].ci < t->n && !t->c[again[i].ci].cap)
			ecs_task_capture_logs(ecs, t, again[i].ci);
	}
	pthread_mutex_unlock(&ecs->lock);
}

void ecs_stop(struct ecs *ecs)
{
	struct wl_logcap *caps[64];
	int n;

	if (!ecs)
		return;
	atomic_store(&ecs->stopping, true);
	pthread_mutex_lock(&ecs->lock);
	pthread_cond_broadcast(&ecs->changed);
	pthread_mutex_unlock(&ecs->lock);
	/* Captures are stopped outside the lock, a batch at a time. */
	do {
		n = 0;
		pthread_mutex_lock(&ecs->lock);
		for (struct ecs_task *t = ecs->tasks; t && n < 64; t = t->next)
			for (int i = 0; i < t->n && n < 64; i++)
				if (t->c[i].cap) {
					caps[n++] = t->c[i].cap;
					t->c[i].cap = NULL;
				}
		pthread_mutex_unlock(&ecs->lock);
		for (int i = 0; i < n; i++)
			wl_logcap_stop(caps[i]);
	} while (n);
}
