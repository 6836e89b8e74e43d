/*
 * backend/ecs/task_events.c - what the engine says about task containers,
 * through the workload core: exits, OOM kills and health changes from the
 * one /events subscription, and the container list of each resync
 * (restart recovery, a stop to retry).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"
#include "backend/ecs/spec.h"

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

void ecs_task_on_append(void *svc, const char *task, const char *ctr)
{
	struct ecs *ecs = svc;
	char path[600];

	snprintf(path, sizeof(path), "ecs/tasks/%s/logs", task);
	state_hub_changed(ecs->hub, path);
	snprintf(path, sizeof(path), "ecs/tasks/%s/containers/%s/logs", task, ctr);
	state_hub_changed(ecs->hub, path);
}

void ecs_on_event(struct ecs *ecs, const cJSON *event)
{
	struct ecs_container_rt *c;
	struct ecs_task *t;
	struct wl_event ev;
	int ci;

	if (!wl_event_parse(ecs->wl, event, &ev))
		return;
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, ev.object);
	ci = t ? wl_event_apply(&t->wl, &ev) : -1;
	if (ci < 0 || ci >= t->n) { /* not one of its containers, or its pause */
		pthread_mutex_unlock(&ecs->lock);
		return;
	}
	c = &t->c[ci];
	switch (ev.action) {
	case WL_EV_DIE:
		container_exited(ecs, t, c, ev.exit_code);
		break;
	case WL_EV_OOM:
		snprintf(c->reason, sizeof(c->reason),
			 "OutOfMemoryError: Container killed due to memory usage");
		ecs_task_changed(ecs, t, "oom");
		break;
	case WL_EV_HEALTH:
		snprintf(c->health, sizeof(c->health), "%s",
			 strcmp(ev.health, "healthy") == 0     ? "HEALTHY"
			 : strcmp(ev.health, "unhealthy") == 0 ? "UNHEALTHY"
							       : "UNKNOWN");
		ecs_task_changed(ecs, t, "health");
		break;
	case WL_EV_START:
		if (strcmp(c->status, "PENDING") == 0) {
			snprintf(c->status, sizeof(c->status), "RUNNING");
			ecs_task_changed(ecs, t, "container-started");
		}
		break;
	case WL_EV_DESTROY:
		break;
	}
	pthread_mutex_unlock(&ecs->lock);
}

/*
 * One task at a resync: containers that ran on are adopted (their capture
 * resumes where it stopped); ones that ended meanwhile are recorded as
 * exited; a task whose containers all vanished is stopped. Lock held.
 */
static void sync_task(struct ecs *ecs, struct ecs_task *t, struct wl_sync *s)
{
	int alive = 0, known = 0;

	for (int i = 0; i < t->n; i++) {
		struct ecs_container_rt *c = &t->c[i];

		switch (wl_sync_ctr(s, &t->wl, i)) {
		case WL_SEEN_NONE:
			continue;
		case WL_SEEN_GONE:
			known++;
			if (!c->exited) {
				snprintf(c->reason, sizeof(c->reason),
					 "Container vanished while nimbusfs was away");
				container_exited(ecs, t, c, -1);
			}
			continue;
		case WL_SEEN_RUNNING:
			known++;
			alive++;
			continue;
		case WL_SEEN_STOPPED:
			known++;
			/* Exited while we were away: its code comes with the stop
			 * job's inspect. */
			if (!c->exited && c->essential)
				ecs_task_queue_stop(ecs, t, "EssentialContainerExited",
						    "Essential container in task exited");
			continue;
		}
	}
	if (known && !alive && strcmp(t->desired, "RUNNING") == 0)
		ecs_task_queue_stop(ecs, t, "TaskFailedToStart",
				    "Task containers vanished while nimbusfs was away");
}

void ecs_on_sync(struct ecs *ecs, const cJSON *containers)
{
	struct wl_sync s;

	pthread_mutex_lock(&ecs->lock);
	wl_sync_begin(ecs->wl, containers, &s);
	for (struct ecs_task *t = ecs->tasks; t; t = t->next) {
		if (strcmp(t->last, "STOPPED") == 0 || t->launching || t->stop_queued)
			continue;
		/* A launch cut short by an unmount does not resume: its
		 * containers are stopped and the task fails to start. */
		if (strcmp(t->last, "PROVISIONING") == 0 || strcmp(t->last, "PENDING") == 0) {
			ecs_task_queue_stop(ecs, t, "TaskFailedToStart",
					    "nimbusfs stopped while the task was starting");
			continue;
		}
		sync_task(ecs, t, &s);
		/* A stop acknowledged before a crash whose job never ran, or one
		 * the engine refused: tried again. */
		if (strcmp(t->desired, "STOPPED") == 0 && !t->stop_queued) {
			char code[64], reason[512];

			snprintf(code, sizeof(code), "%s",
				 t->stop_code[0] ? t->stop_code : "UserInitiated");
			snprintf(reason, sizeof(reason), "%s", t->stopped_reason);
			ecs_task_queue_stop(ecs, t, code, reason);
		}
	}
	/* Containers of tasks nimbusfs does not know (their record lost) or
	 * that are STOPPED (a removal that failed). */
	wl_sync_remove_orphans(&s);
	pthread_mutex_unlock(&ecs->lock);
}

void ecs_stop(struct ecs *ecs)
{
	if (ecs && ecs->wl)
		wl_shutdown(ecs->wl);
}
