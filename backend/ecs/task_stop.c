/*
 * backend/ecs/task_stop.c - the stop and kill jobs: SIGTERM then SIGKILL
 * after each container's stopTimeout, exit codes and reasons from the
 * engine, the captures drained, containers and task volumes removed.
 * Run on the worker pool; the ECS lock is never held across an engine call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/common/labels.h"
#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"
#include "backend/workload/logcap.h"
#include "backend/ecs/spec.h"
#include "backend/engine/containers.h"
#include "backend/engine/volumes.h"

/* ---- stop ---- */

static bool captures_done(struct ecs_task *t, const void *arg)
{
	(void)arg;
	for (int i = 0; i < t->n; i++)
		if (t->c[i].cap && !t->c[i].capture_done)
			return false;
	return true;
}

/* Waits (at most 5 s) until every capture of the task read its stream to
 * the end, so no line a container wrote before exiting is lost. */
static void wait_captures(struct ecs *ecs, const char *id)
{
	struct timespec until;
	struct ecs_task *t;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&ecs->lock);
	while ((t = ecs_task_find(ecs, id)) && !captures_done(t, NULL) &&
	       !atomic_load(&ecs->stopping))
		if (pthread_cond_timedwait(&ecs->changed, &ecs->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&ecs->lock);
}

/* The task's own volumes (labelled with it; shared ones carry no label
 * of ours) go with its containers. */
static void remove_task_volumes(struct ecs *ecs, const char *id)
{
	cleanup_cjson cJSON *vols = NULL;
	struct nb_err err = { 0 };
	const cJSON *v;
	char label[128];

	snprintf(label, sizeof(label), "%s=%s", NB_LABEL_OBJECT, id);
	if (engine_volume_list(ecs->eng, label, &vols, &err) < 0) {
		log_warn("task %s: cannot list its volumes: %s", id, err.msg);
		return;
	}
	cJSON_ArrayForEach(v, vols)
	{
		const cJSON *name = cJSON_GetObjectItem(v, "Name");

		if (cJSON_IsString(name) &&
		    engine_volume_remove(ecs->eng, name->valuestring, true, &err) < 0 &&
		    err.code != -ENOENT)
			log_warn("task %s: cannot remove volume %s: %s", id, name->valuestring,
				 err.msg);
	}
}

void ecs_task_run_stop(struct ecs *ecs, const char *id)
{
	char ids[ECS_CONTAINERS_MAX][65], names[ECS_CONTAINERS_MAX][256], pause_id[65];
	int timeouts[ECS_CONTAINERS_MAX], n = 0;
	struct wl_logcap *caps[ECS_CONTAINERS_MAX] = { 0 };
	struct nb_err err = { 0 };
	struct ecs_task *t;
	const cJSON *cdef;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (!t || strcmp(t->last, "STOPPED") == 0) {
		pthread_mutex_unlock(&ecs->lock);
		return;
	}
	/* A launch still creating containers stops at its next step. */
	while (t && t->launching && !atomic_load(&ecs->stopping)) {
		pthread_cond_wait(&ecs->changed, &ecs->lock);
		t = ecs_task_find(ecs, id);
	}
	if (!t) {
		pthread_mutex_unlock(&ecs->lock);
		return;
	}
	t->stopping_at = nb_aws_now();
	ecs_task_set_status(ecs, t, "DEPROVISIONING");
	for (int i = 0; i < t->n; i++) {
		const cJSON *st = NULL;

		cJSON_ArrayForEach(cdef, cJSON_GetObjectItem(t->taskdef, "containerDefinitions"))
		{
			const cJSON *nm = cJSON_GetObjectItem(cdef, "name");

			if (cJSON_IsString(nm) && strcmp(nm->valuestring, t->c[i].name) == 0)
				st = cJSON_GetObjectItem(cdef, "stopTimeout");
		}
		snprintf(ids[n], sizeof(ids[n]), "%s", t->c[i].id);
		snprintf(names[n], sizeof(names[n]), "%s", t->c[i].name);
		timeouts[n++] = cJSON_IsNumber(st) ? st->valueint : ECS_STOP_TIMEOUT;
	}
	snprintf(pause_id, sizeof(pause_id), "%s", t->pause_id);
	pthread_mutex_unlock(&ecs->lock);

	/* SIGTERM, then SIGKILL after each container's stopTimeout. */
	for (int i = n - 1; i >= 0; i--)
		if (ids[i][0] && engine_container_stop(ecs->eng, ids[i], timeouts[i], &err) < 0 &&
		    err.code != -ENOENT)
			log_warn("task %s: stopping %s: %s", id, names[i], err.msg);
	for (int i = 0; i < n; i++) {
		cleanup_cjson cJSON *inspect = NULL;
		const cJSON *state;
		char reason[256] = "";
		int code = -1;

		if (i == 0)
			wait_captures(ecs, id);
		if (!ids[i][0] || engine_container_inspect(ecs->eng, ids[i], &inspect, &err) < 0)
			continue;
		state = cJSON_GetObjectItem(inspect, "State");
		if (cJSON_IsNumber(cJSON_GetObjectItem(state, "ExitCode")))
			code = cJSON_GetObjectItem(state, "ExitCode")->valueint;
		ecs_spec_exit_reason(state, reason, sizeof(reason));
		pthread_mutex_lock(&ecs->lock);
		t = ecs_task_find(ecs, id);
		if (t && i < t->n) {
			struct ecs_container_rt *c = &t->c[i];

			if (reason[0])
				snprintf(c->reason, sizeof(c->reason), "%s", reason);
			ecs_container_note_exit(c, code);
			caps[i] = c->cap;
			c->cap = NULL;
		}
		pthread_mutex_unlock(&ecs->lock);
	}
	/* The captures end with their streams once the containers exited; give
	 * them a moment to read the last lines before ending them. */
	for (int i = 0; i < n; i++)
		wl_logcap_stop(caps[i]);
	for (int i = 0; i < n; i++)
		if (ids[i][0])
			engine_container_remove(ecs->eng, ids[i], true, true, &err);
	if (pause_id[0])
		engine_container_remove(ecs->eng, pause_id, true, true, &err);
	remove_task_volumes(ecs, id);

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (t) {
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
		t->stop_queued = false;
	}
	pthread_mutex_unlock(&ecs->lock);
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
		if (t->c[i].id[0] && strcmp(t->c[i].status, "RUNNING") == 0)
			snprintf(ids[n++], sizeof(ids[0]), "%s", t->c[i].id);
	pthread_mutex_unlock(&ecs->lock);
	for (int i = 0; i < n; i++)
		if (engine_container_kill(ecs->eng, ids[i], signal, &err) < 0)
			log_warn("task %s: kill %s: %s", id, signal, err.msg);
}
