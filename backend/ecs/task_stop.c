/*
 * backend/ecs/task_stop.c - the stop and kill jobs. A stop is phases: the
 * task turns DEPROVISIONING; the workload core stops its containers
 * (SIGTERM, then SIGKILL after each one's stopTimeout), drains their
 * captures and reads how each ended; the outcome is recorded (STOPPED, or,
 * when the engine refused a stop, DEPROVISIONING with the reason, retried
 * at the next resync); then its containers and volumes are removed, as the
 * ECS agent cleans up after a task has stopped. Run on the worker pool;
 * the ECS lock is never held across an engine call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/labels.h"
#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"
#include "backend/ecs/spec.h"
#include "backend/engine/containers.h"
#include "backend/engine/volumes.h"

/* How long a stop waits for the captures to read the containers' last
 * output before ending them. */
#define DRAIN_MS 5000

/* The task's own volumes (labelled with it; shared ones carry no label
 * of ours) go with its containers. */
static int remove_task_volumes(struct ecs *ecs, const char *id, struct nb_err *err)
{
	cleanup_cjson cJSON *vols = NULL;
	const cJSON *v;
	char label[128];
	int ret = 0;

	snprintf(label, sizeof(label), "%s=%s", NB_LABEL_OBJECT, id);
	if (engine_volume_list(ecs->eng, label, &vols, err) < 0)
		return nb_err_wrap(err, "cannot list its volumes");
	cJSON_ArrayForEach(v, vols)
	{
		const cJSON *name = cJSON_GetObjectItem(v, "Name");
		struct nb_err e = { 0 };

		if (cJSON_IsString(name) &&
		    engine_volume_remove(ecs->eng, name->valuestring, true, &e) < 0 &&
		    e.code != -ENOENT && ret == 0)
			ret = nb_err_set(err, e.code, "cannot remove volume %s: %s",
					 name->valuestring, e.msg);
	}
	return ret;
}

/* Phase 1: DEPROVISIONING, once no launch is still creating containers.
 * false when there is nothing to stop. */
static bool stop_begin(struct ecs *ecs, const char *id)
{
	struct ecs_task *t;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	/* A launch still creating containers stops at its next step. */
	while (t && t->launching && !wl_stopping(ecs->wl)) {
		pthread_cond_wait(&ecs->changed, &ecs->lock);
		t = ecs_task_find(ecs, id);
	}
	if (t && strcmp(t->last, "STOPPED") == 0)
		t->stop_queued = false;
	if (!t || strcmp(t->last, "STOPPED") == 0) {
		pthread_mutex_unlock(&ecs->lock);
		return false;
	}
	if (!t->stopping_at)
		t->stopping_at = nb_aws_now();
	ecs_task_set_status(ecs, t, "DEPROVISIONING");
	pthread_mutex_unlock(&ecs->lock);
	return true;
}

/* Phase 3: what the stop found, recorded. Returns whether it stopped. */
static bool stop_record(struct ecs *ecs, const char *id, const struct wl_stop_result *res)
{
	char failure[768] = "";
	struct ecs_task *t;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (!t) {
		pthread_mutex_unlock(&ecs->lock);
		return false;
	}
	for (int i = 0; i < t->n && i < res->n; i++) {
		const struct wl_ctr_outcome *o = &res->c[i];
		struct ecs_container_rt *c = &t->c[i];

		if (o->err < 0 && o->err != -ENOENT) {
			/* The container may still run: shown, and tried again. */
			snprintf(c->reason, sizeof(c->reason), "CannotStopContainerError: %s",
				 o->msg);
			if (!failure[0])
				snprintf(failure, sizeof(failure),
					 "task %s: container %s could not be stopped: %s; "
					 "the task stays DEPROVISIONING and the stop is tried "
					 "again at the next resync",
					 id, c->name, o->msg);
			continue;
		}
		/* A stop that failed before and went through now says so no more. */
		if (strncmp(c->reason, "CannotStopContainerError", 24) == 0)
			c->reason[0] = '\0';
		if (o->inspected) {
			if (o->oom_killed)
				snprintf(c->reason, sizeof(c->reason),
					 "OutOfMemoryError: Container killed due to memory usage");
			else if (o->error[0])
				snprintf(c->reason, sizeof(c->reason), "DockerStateError: %s",
					 o->error);
			ecs_container_note_exit(c, o->exit_code);
		} else if (t->wl.c[i].id[0] && !c->exited) {
			/* Not inspected (gone): a code its die event gave stays. */
			ecs_container_note_exit(c, -1);
		}
	}
	t->stop_queued = false;
	if (failure[0]) {
		ecs_task_changed(ecs, t, "stop-failed");
		pthread_mutex_unlock(&ecs->lock);
		log_warn("%s", failure);
		char dir[64];

		snprintf(dir, sizeof(dir), "ecs/tasks/%s", id);
		state_hub_error(ecs->hub, dir, failure);
		return false;
	}
	for (int i = 0; i < t->n; i++) {
		snprintf(t->c[i].status, sizeof(t->c[i].status), "STOPPED");
		/* The exit code of the task: the essential container that ended
		 * it, else the first essential one's. */
		if (!t->has_exit && t->c[i].essential && t->c[i].exited) {
			t->has_exit = true;
			t->exit_code = t->c[i].exit_code;
		}
	}
	ecs_task_set_status(ecs, t, "STOPPED");
	pthread_mutex_unlock(&ecs->lock);
	return true;
}

void ecs_task_run_stop(struct ecs *ecs, const char *id)
{
	struct wl_stop_opts opts = { .drain_ms = DRAIN_MS, .inspect = true };
	struct wl_stop_result res;
	struct nb_err err = { 0 };

	if (!stop_begin(ecs, id))
		return;
	if (wl_stop(ecs->wl, id, &opts, &res) == -ENOENT)
		return;
	if (!stop_record(ecs, id, &res))
		return;
	/* Phase 4: cleanup. A failure leaves the task STOPPED (its containers
	 * are): the next resync removes what is left. */
	if (wl_remove(ecs->wl, &res, &err) < 0 || remove_task_volumes(ecs, id, &err) < 0) {
		char dir[64], msg[1100];

		log_warn("task %s: %s", id, err.msg);
		snprintf(dir, sizeof(dir), "ecs/tasks/%s", id);
		snprintf(msg, sizeof(msg), "task %s stopped, but %s", id, err.msg);
		/* Said where the task is; an rmdir meanwhile took its directory. */
		if (ecs_task_exists(ecs, id))
			state_hub_error(ecs->hub, dir, msg);
	}
}

/* ---- kill ---- */

void ecs_task_run_kill(struct ecs *ecs, const char *id, const char *signal)
{
	char ids[ECS_CONTAINERS_MAX][65];
	struct nb_err err = { 0 };
	struct ecs_task *t;
	int n = 0;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	for (int i = 0; t && i < t->n; i++)
		if (t->wl.c[i].id[0] && strcmp(t->c[i].status, "RUNNING") == 0)
			snprintf(ids[n++], sizeof(ids[0]), "%s", t->wl.c[i].id);
	pthread_mutex_unlock(&ecs->lock);
	for (int i = 0; i < n; i++)
		if (engine_container_kill(ecs->eng, ids[i], signal, &err) < 0)
			log_warn("task %s: kill %s: %s", id, signal, err.msg);
}
