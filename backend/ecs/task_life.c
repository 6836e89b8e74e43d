/*
 * backend/ecs/task_life.c - lifecycle jobs: launch, stop and signal a
 * task's containers. Jobs run on the worker pool and are the only ECS code
 * that waits on the engine; they take the ECS lock only to read and record
 * state, never across an engine call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"
#include "backend/ecs/spec.h"
#include "backend/engine/containers.h"
#include "backend/engine/images.h"
#include "backend/engine/volumes.h"

enum job_kind { JOB_LAUNCH, JOB_STOP, JOB_KILL };

/* ---- helpers ---- */

static void stop_with(struct ecs *ecs, const char *id, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Marks the task to stop with code and reason and queues the stop job. */
static void stop_with(struct ecs *ecs, const char *id, const char *code, const char *fmt, ...)
{
	struct ecs_task *t;
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (t && strcmp(t->desired, "STOPPED") != 0)
		ecs_task_queue_stop(ecs, t, code, reason);
	pthread_mutex_unlock(&ecs->lock);
}

/* Waits (lock held) until pred holds, the task is stopping, or timeout_s. */
static bool wait_for(struct ecs *ecs, const char *id, int timeout_s,
		     bool (*pred)(struct ecs_task *t, const void *arg), const void *arg)
{
	struct timespec until;
	struct ecs_task *t;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_s;
	for (;;) {
		t = ecs_task_find(ecs, id);
		if (!t || strcmp(t->desired, "STOPPED") == 0 || wl_stopping(ecs->wl))
			return false;
		if (pred(t, arg))
			return true;
		if (pthread_cond_timedwait(&ecs->changed, &ecs->lock, &until) == ETIMEDOUT)
			return pred(t, arg);
	}
}

struct dep {
	const char *name;
	const char *condition;
};

/* Whether a dependency's condition holds (true) or can still (false). */
static bool dep_met(struct ecs_task *t, const void *arg)
{
	const struct dep *d = arg;
	struct ecs_container_rt *c = ecs_task_container(t, d->name);

	if (!c)
		return false;
	if (strcmp(d->condition, "START") == 0)
		return strcmp(c->status, "PENDING") != 0;
	if (strcmp(d->condition, "COMPLETE") == 0)
		return c->exited;
	if (strcmp(d->condition, "SUCCESS") == 0)
		return c->exited; /* checked for exit 0 by the caller */
	return strcmp(c->health, "HEALTHY") == 0 || c->exited ||
	       strcmp(c->health, "UNHEALTHY") == 0;
}

struct pull_ctx {
	struct ecs *ecs;
	const char *task;
	const char *image;
};

/* Each progress message of a pull becomes a line on the task's events. */
static int on_pull_progress(const cJSON *msg, void *ud)
{
	struct pull_ctx *p = ud;
	const cJSON *status = cJSON_GetObjectItem(msg, "status");
	const cJSON *progress = cJSON_GetObjectItem(msg, "progress");
	const cJSON *layer = cJSON_GetObjectItem(msg, "id");
	cJSON *fields = cJSON_CreateObject();

	if (fields) {
		json_add_str(fields, "change", "pull");
		json_add_str(fields, "image", p->image);
		if (cJSON_IsString(layer))
			json_add_str(fields, "layer", layer->valuestring);
		if (cJSON_IsString(status))
			json_add_str(fields, "status", status->valuestring);
		if (cJSON_IsString(progress))
			json_add_str(fields, "progress", progress->valuestring);
	}
	state_hub_publish(p->ecs->hub, "ecs-task", p->task, fields);
	return 0;
}

/* Pulls image unless the engine has it, announcing progress on events. */
static int ensure_image(struct ecs *ecs, const char *task, const char *image, struct nb_err *err)
{
	cleanup_cjson cJSON *inspect = NULL;
	struct pull_ctx p = { .ecs = ecs, .task = task, .image = image };
	int ret = engine_image_inspect(ecs->eng, image, &inspect, err);

	if (ret != -ENOENT)
		return ret;
	return engine_image_pull(ecs->eng, image, on_pull_progress, &p, err);
}

static void record_bindings(struct ecs *ecs, const char *id, const char *cname,
			    const char *engine_id, bool all)
{
	cleanup_cjson cJSON *inspect = NULL;
	cleanup_cjson cJSON *bindings = NULL;
	struct nb_buf text = { 0 };
	struct nb_err err = { 0 };
	struct ecs_task *t;
	const cJSON *net = NULL, *ip = NULL;
	char ipaddr[64] = "";

	if (engine_container_inspect(ecs->eng, engine_id, &inspect, &err) < 0)
		return;
	ecs_spec_bindings(inspect, &bindings, &text, &err);
	net = cJSON_GetObjectItem(cJSON_GetObjectItem(inspect, "NetworkSettings"), "Networks");
	if (net && net->child)
		ip = cJSON_GetObjectItem(net->child, "IPAddress");
	if (cJSON_IsString(ip))
		snprintf(ipaddr, sizeof(ipaddr), "%s", ip->valuestring);
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	for (int i = 0; t && i < t->n; i++) {
		struct ecs_container_rt *c = &t->c[i];

		if (!all && strcmp(c->name, cname) != 0)
			continue;
		/* awsvpc: the pause container's namespace and ports are every
		 * container's. */
		if (ipaddr[0])
			snprintf(c->ip, sizeof(c->ip), "%s", ipaddr);
		cJSON_Delete(c->bindings);
		c->bindings = bindings ? cJSON_Duplicate(bindings, true) : NULL;
		nb_buf_reset(&c->ports);
		nb_buf_append(&c->ports, text.data, text.len);
	}
	pthread_mutex_unlock(&ecs->lock);
	nb_buf_free(&text);
}

/* ---- launch ---- */

static int start_pause(struct ecs *ecs, const char *id, const cJSON *taskdef)
{
	struct ecs_spec_ctx ctx = { .owner = ecs->owner, .task_id = id, .network_mode = "awsvpc" };
	cleanup_cjson cJSON *spec = NULL;
	struct nb_err err = { 0 };
	char name[ECS_SPEC_DOCKER_NAME_MAX], cid[65];
	struct ecs_task *t;

	if (ensure_image(ecs, id, ECS_PAUSE_IMAGE, &err) < 0) {
		stop_with(ecs, id, "TaskFailedToStart", "CannotPullContainerError: %s", err.msg);
		return -1;
	}
	ecs_spec_docker_name(id, ECS_PAUSE_CONTAINER, name, sizeof(name));
	if (ecs_spec_pause(&ctx, taskdef, ECS_PAUSE_IMAGE, &spec, &err) < 0 ||
	    engine_container_create(ecs->eng, name, spec, cid, &err) < 0) {
		stop_with(ecs, id, "TaskFailedToStart", "CannotCreateContainerError: %s", err.msg);
		return -1;
	}
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (t) {
		snprintf(t->wl.infra_id, sizeof(t->wl.infra_id), "%s", cid);
		ecs_task_changed(ecs, t, "pause");
	}
	pthread_mutex_unlock(&ecs->lock);
	if (engine_container_start(ecs->eng, cid, &err) < 0) {
		stop_with(ecs, id, "TaskFailedToStart", "CannotStartContainerError: %s", err.msg);
		return -1;
	}
	record_bindings(ecs, id, NULL, cid, true);
	return 0;
}

/* Waits for container cdef's dependsOn conditions; false stops the task. */
static bool wait_dependencies(struct ecs *ecs, const char *id, const cJSON *cdef, const char *name)
{
	const cJSON *d, *st = cJSON_GetObjectItem(cdef, "startTimeout");
	int timeout = cJSON_IsNumber(st) ? st->valueint : ECS_START_TIMEOUT;

	cJSON_ArrayForEach(d, cJSON_GetObjectItem(cdef, "dependsOn"))
	{
		const cJSON *n = cJSON_GetObjectItem(d, "containerName");
		const cJSON *cond = cJSON_GetObjectItem(d, "condition");
		struct dep dep = { .name = n ? n->valuestring : "",
				   .condition = cond ? cond->valuestring : "START" };
		struct ecs_container_rt *c;
		struct ecs_task *t;
		bool met, ok;

		pthread_mutex_lock(&ecs->lock);
		met = wait_for(ecs, id, timeout, dep_met, &dep);
		t = ecs_task_find(ecs, id);
		c = t ? ecs_task_container(t, dep.name) : NULL;
		ok = met && c;
		if (ok && strcmp(dep.condition, "SUCCESS") == 0)
			ok = c->exit_code == 0;
		if (ok && strcmp(dep.condition, "HEALTHY") == 0)
			ok = strcmp(c->health, "HEALTHY") == 0;
		/* An unmount ends the wait too; that is not the task's failure. */
		if (!ok && t && strcmp(t->desired, "STOPPED") != 0 && !wl_stopping(ecs->wl)) {
			char reason[512];

			snprintf(reason, sizeof(reason), "%s: container %s depends on %s being %s",
				 met ? "Container dependency condition can never be met"
				     : "Timed out waiting for a container dependency",
				 name, dep.name, dep.condition);
			ecs_task_queue_stop(ecs, t, "TaskFailedToStart", reason);
		}
		pthread_mutex_unlock(&ecs->lock);
		if (!ok)
			return false;
	}
	return true;
}

static bool launch_container(struct ecs *ecs, const char *id, const cJSON *taskdef,
			     const cJSON *overrides, const char *mode, const char *pause_id,
			     const cJSON *cdef, int ci)
{
	struct ecs_spec_ctx ctx = {
		.owner = ecs->owner, .task_id = id, .network_mode = mode, .pause_id = pause_id
	};
	const cJSON *nm = cJSON_GetObjectItem(cdef, "name"),
		    *im = cJSON_GetObjectItem(cdef, "image");
	const char *name = cJSON_IsString(nm) ? nm->valuestring : "";
	cleanup_cjson cJSON *spec = NULL;
	cleanup_cjson cJSON *secrets = NULL;
	struct nb_err err = { 0 };
	char dname[ECS_SPEC_DOCKER_NAME_MAX], cid[65];
	struct ecs_task *t;

	if (!wait_dependencies(ecs, id, cdef, name))
		return false;
	/* As the agent: secrets are task resources, found before any pull. */
	if (ecs_secrets_resolve(ecs, cdef, name, &secrets, &err) < 0) {
		stop_with(ecs, id, "TaskFailedToStart", "%s", err.msg);
		return false;
	}
	if (ensure_image(ecs, id, cJSON_IsString(im) ? im->valuestring : "", &err) < 0) {
		stop_with(ecs, id, "TaskFailedToStart", "CannotPullContainerError: %s", err.msg);
		return false;
	}
	ecs_spec_docker_name(id, name, dname, sizeof(dname));
	if (ecs_spec_container(&ctx, taskdef, cdef, ecs_spec_override_for(overrides, name), secrets,
			       &spec, &err) < 0 ||
	    engine_container_create(ecs->eng, dname, spec, cid, &err) < 0) {
		stop_with(ecs, id, "TaskFailedToStart", "CannotCreateContainerError: %s", err.msg);
		return false;
	}
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (t && ci < t->n) {
		snprintf(t->wl.c[ci].id, sizeof(t->wl.c[ci].id), "%s", cid);
		t->wl.c[ci].state = WL_CTR_CREATED;
		ecs_task_changed(ecs, t, "created");
	}
	pthread_mutex_unlock(&ecs->lock);
	if (engine_container_start(ecs->eng, cid, &err) < 0) {
		stop_with(ecs, id, "TaskFailedToStart", "CannotStartContainerError: %s", err.msg);
		return false;
	}
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (t && ci < t->n) {
		if (strcmp(t->c[ci].status, "PENDING") == 0)
			snprintf(t->c[ci].status, sizeof(t->c[ci].status), "RUNNING");
		if (t->wl.c[ci].state == WL_CTR_CREATED)
			t->wl.c[ci].state = WL_CTR_RUNNING;
		wl_capture(ecs->wl, &t->wl, ci);
		ecs_task_changed(ecs, t, "started");
	}
	pthread_mutex_unlock(&ecs->lock);
	if (strcmp(mode, "awsvpc") != 0)
		record_bindings(ecs, id, name, cid, false);
	return true;
}

static void run_launch(struct ecs *ecs, const char *id)
{
	cleanup_cjson cJSON *taskdef = NULL;
	cleanup_cjson cJSON *overrides = NULL;
	char mode[16], pause_id[65] = "";
	int order[ECS_CONTAINERS_MAX], n;
	struct ecs_task *t;
	bool ok = true;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (!t || strcmp(t->desired, "STOPPED") == 0) {
		if (t)
			t->launching = false;
		pthread_cond_broadcast(&ecs->changed);
		pthread_mutex_unlock(&ecs->lock);
		return;
	}
	taskdef = cJSON_Duplicate(t->taskdef, true);
	overrides = t->overrides ? cJSON_Duplicate(t->overrides, true) : NULL;
	snprintf(mode, sizeof(mode), "%s", t->network_mode);
	ecs_task_set_status(ecs, t, "PENDING");
	pthread_mutex_unlock(&ecs->lock);

	if (strcmp(mode, "awsvpc") == 0) {
		ok = start_pause(ecs, id, taskdef) == 0;
		pthread_mutex_lock(&ecs->lock);
		t = ecs_task_find(ecs, id);
		snprintf(pause_id, sizeof(pause_id), "%s", t ? t->wl.infra_id : "");
		pthread_mutex_unlock(&ecs->lock);
	}
	n = ecs_spec_start_order(taskdef, order, ECS_CONTAINERS_MAX);
	for (int i = 0; ok && i < n; i++) {
		const cJSON *cdef = cJSON_GetArrayItem(
			cJSON_GetObjectItem(taskdef, "containerDefinitions"), order[i]);

		pthread_mutex_lock(&ecs->lock);
		t = ecs_task_find(ecs, id);
		ok = t && strcmp(t->desired, "STOPPED") != 0;
		pthread_mutex_unlock(&ecs->lock);
		if (ok)
			ok = launch_container(ecs, id, taskdef, overrides, mode, pause_id, cdef,
					      order[i]);
	}
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (t) {
		if (ok && strcmp(t->desired, "RUNNING") == 0)
			ecs_task_set_status(ecs, t, "RUNNING");
		t->launching = false;
	}
	pthread_cond_broadcast(&ecs->changed);
	pthread_mutex_unlock(&ecs->lock);
}

/* ---- queueing ---- */

void ecs_run_job(void *svc, const char *id, int kind, const char *arg)
{
	struct ecs *ecs = svc;

	switch ((enum job_kind)kind) {
	case JOB_LAUNCH:
		run_launch(ecs, id);
		break;
	case JOB_STOP:
		ecs_task_run_stop(ecs, id);
		break;
	case JOB_KILL:
		ecs_task_run_kill(ecs, id, arg);
		break;
	}
}

/* The flags that say a job is queued are set only once it is: the job
 * takes the lock first, so it always sees them, and a refused submit
 * leaves no task waiting forever on a job that never runs. */
int ecs_task_queue_launch(struct ecs *ecs, struct ecs_task *t)
{
	int ret = wl_submit(ecs->wl, t->id, JOB_LAUNCH, NULL);

	if (ret == 0)
		t->launching = true;
	return ret;
}

int ecs_task_queue_stop(struct ecs *ecs, struct ecs_task *t, const char *code, const char *reason)
{
	int ret;

	snprintf(t->desired, sizeof(t->desired), "STOPPED");
	if (!t->stop_code[0])
		snprintf(t->stop_code, sizeof(t->stop_code), "%s", code);
	if (!t->stopped_reason[0])
		snprintf(t->stopped_reason, sizeof(t->stopped_reason), "%s", reason);
	ecs_task_changed(ecs, t, "desired");
	if (t->stop_queued)
		return 0;
	/* Refused (at unmount): the next mount's resync stops it. */
	ret = wl_submit(ecs->wl, t->id, JOB_STOP, NULL);
	if (ret == 0)
		t->stop_queued = true;
	return ret;
}

int ecs_task_queue_kill(struct ecs *ecs, struct ecs_task *t, const char *signal)
{
	return wl_submit(ecs->wl, t->id, JOB_KILL, signal);
}
