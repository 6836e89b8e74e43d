/*
 * backend/ecs/task.c - the task model: records in memory and in the
 * registry, and every task file rendered from memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/index.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"
#include "backend/state/atomic.h"

/* Indexed by id, so a file read costs the same with 10 or 10,000 tasks. */
struct ecs_task *ecs_task_find(struct ecs *ecs, const char *id)
{
	return nb_index_find(&ecs->task_index, id, struct ecs_task, ix);
}

int ecs_task_link(struct ecs *ecs, struct ecs_task *t)
{
	nb_index_add(&ecs->task_index, &t->ix, t->id);
	t->next = NULL;
	if (ecs->last_task)
		ecs->last_task->next = t;
	else
		ecs->tasks = t;
	ecs->last_task = t;
	return 0;
}

void ecs_task_unlink(struct ecs *ecs, struct ecs_task *t)
{
	struct ecs_task **pp;

	nb_index_remove(&ecs->task_index, &t->ix);
	ecs->last_task = NULL;
	for (pp = &ecs->tasks; *pp;) {
		if (*pp == t) {
			*pp = t->next;
			continue;
		}
		ecs->last_task = *pp;
		pp = &(*pp)->next;
	}
}

struct ecs_container_rt *ecs_task_container(struct ecs_task *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->c[i].name, name) == 0)
			return &t->c[i];
	return NULL;
}

void ecs_task_free(struct ecs_task *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++) {
		cJSON_Delete(t->c[i].bindings);
		nb_buf_free(&t->c[i].ports);
	}
	cJSON_Delete(t->taskdef);
	cJSON_Delete(t->overrides);
	cJSON_Delete(t->tags);
	free(t);
}

void ecs_json_add_time(cJSON *obj, const char *field, double t)
{
	if (t > 0)
		json_add_num(obj, field, t);
}

/* The record kept in the state dir: what a restart needs. Lock held. */
static cJSON *task_record(const struct ecs_task *t)
{
	cJSON *rec = cJSON_CreateObject();
	cJSON *cs = cJSON_AddArrayToObject(rec, "containers");

	json_add_str(rec, "id", t->id);
	json_add_str(rec, "family", t->family);
	json_add_num(rec, "revision", t->rev);
	if (t->overrides)
		cJSON_AddItemToObject(rec, "overrides", cJSON_Duplicate(t->overrides, true));
	if (t->tags)
		cJSON_AddItemToObject(rec, "tags", cJSON_Duplicate(t->tags, true));
	json_add_str(rec, "startedBy", t->started_by);
	json_add_str(rec, "group", t->group);
	json_add_str(rec, "lastStatus", t->last);
	json_add_str(rec, "desiredStatus", t->desired);
	json_add_str(rec, "stopCode", t->stop_code);
	json_add_str(rec, "stoppedReason", t->stopped_reason);
	if (t->has_exit)
		json_add_num(rec, "exitCode", t->exit_code);
	ecs_json_add_time(rec, "createdAt", t->created_at);
	ecs_json_add_time(rec, "startedAt", t->started_at);
	ecs_json_add_time(rec, "stoppingAt", t->stopping_at);
	ecs_json_add_time(rec, "stoppedAt", t->stopped_at);
	json_add_str(rec, "networkMode", t->network_mode);
	json_add_str(rec, "pauseId", t->wl.infra_id);
	for (int i = 0; cs && i < t->n; i++) {
		const struct ecs_container_rt *c = &t->c[i];
		cJSON *o = cJSON_CreateObject();

		json_add_str(o, "name", c->name);
		json_add_str(o, "runtimeId", t->wl.c[i].id);
		json_add_bool(o, "essential", c->essential);
		json_add_str(o, "lastStatus", c->status);
		if (c->exited)
			json_add_num(o, "exitCode", c->exit_code);
		json_add_str(o, "reason", c->reason);
		json_add_str(o, "healthStatus", c->health);
		json_add_str(o, "image", c->image);
		cJSON_AddItemToArray(cs, o);
	}
	return rec;
}

int ecs_task_save(struct ecs *ecs, struct ecs_task *t, struct nb_err *err)
{
	cleanup_cjson cJSON *rec = task_record(t);

	if (!rec)
		return nb_err_set(err, -ENOMEM, "out of memory");
	/* No fsync under the lock on every change (it held readers up ~10 ms):
	 * a crash may lose the newest change, which the next resync corrects
	 * from the engine's containers. */
	return state_registry_put_flags(ecs->reg, ECS_REC_TASK, t->id, rec, STATE_WRITE_NOSYNC,
					err);
}

void ecs_task_changed(struct ecs *ecs, struct ecs_task *t, const char *what)
{
	struct nb_err err = { 0 };
	cJSON *fields = cJSON_CreateObject();
	char path[128];

	clock_gettime(CLOCK_REALTIME, &t->mtime);
	if (ecs_task_save(ecs, t, &err) < 0)
		log_error(0, "task %s: cannot record its state: %s", t->id, err.msg);
	if (fields) {
		json_add_str(fields, "change", what);
		json_add_str(fields, "lastStatus", t->last);
		json_add_str(fields, "desiredStatus", t->desired);
		if (t->stop_code[0])
			json_add_str(fields, "stopCode", t->stop_code);
	}
	state_hub_publish(ecs->hub, "ecs-task", t->id, fields);
	/* Every file of the task may have changed; the notifier only acts
	 * on the ones the kernel knows. */
	static const char *const files[] = { "status",	  "desired",   "describe.json",	 "health",
					     "exit-code", "stop-code", "stopped-reason", "logs",
					     "wait",	  "events" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "ecs/tasks/%s/%s", t->id, files[i]);
		state_hub_changed(ecs->hub, path);
	}
	for (int i = 0; i < t->n; i++) {
		static const char *const cfiles[] = { "status", "exit-code", "health", "id",
						      "ip",	"ports",     "logs",   "reason" };

		for (size_t j = 0; j < sizeof(cfiles) / sizeof(cfiles[0]); j++) {
			snprintf(path, sizeof(path), "ecs/tasks/%s/containers/%s/%s", t->id,
				 t->c[i].name, cfiles[j]);
			state_hub_changed(ecs->hub, path);
		}
	}
	pthread_cond_broadcast(&ecs->changed);
}

void ecs_task_wl_init(struct ecs_task *t)
{
	const cJSON *cdefs = cJSON_GetObjectItem(t->taskdef, "containerDefinitions");

	wl_obj_init(&t->wl, t->id);
	for (int i = 0; i < t->n; i++) {
		const cJSON *cdef, *st = NULL;

		cJSON_ArrayForEach(cdef, cdefs)
		{
			const cJSON *nm = cJSON_GetObjectItem(cdef, "name");

			if (cJSON_IsString(nm) && strcmp(nm->valuestring, t->c[i].name) == 0)
				st = cJSON_GetObjectItem(cdef, "stopTimeout");
		}
		/* One at a time, the last defined first. */
		wl_obj_add(&t->wl, t->c[i].name,
			   cJSON_IsNumber(st) ? st->valueint : ECS_STOP_TIMEOUT, t->n - 1 - i);
	}
	t->wl.retired = strcmp(t->last, "STOPPED") == 0;
}

void ecs_task_set_status(struct ecs *ecs, struct ecs_task *t, const char *last)
{
	snprintf(t->last, sizeof(t->last), "%s", last);
	t->wl.retired = strcmp(last, "STOPPED") == 0;
	if (strcmp(last, "RUNNING") == 0 && t->started_at == 0)
		t->started_at = nb_aws_now();
	if (strcmp(last, "STOPPED") == 0)
		t->stopped_at = nb_aws_now();
	ecs_task_changed(ecs, t, "status");
}

static void copy_str(char *dst, size_t len, const cJSON *obj, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double get_num(const cJSON *obj, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Rebuilds a task from its record; the definition comes from the registry. */
static struct ecs_task *task_from_record(struct ecs *ecs, const cJSON *rec)
{
	struct ecs_task *t = calloc(1, sizeof(*t));
	cleanup_cjson cJSON *td = NULL;
	const cJSON *cs, *c;
	char tdid[300];

	if (!t)
		return NULL;
	copy_str(t->id, sizeof(t->id), rec, "id");
	copy_str(t->family, sizeof(t->family), rec, "family");
	t->rev = (int)get_num(rec, "revision");
	snprintf(tdid, sizeof(tdid), "%s:%d", t->family, t->rev);
	if (state_registry_get(ecs->reg, ECS_KIND_TASKDEF, tdid, &td) < 0) {
		free(t);
		return NULL;
	}
	t->taskdef = cJSON_DetachItemFromObjectCaseSensitive(td, "taskDefinition");
	if (cJSON_GetObjectItem(rec, "overrides"))
		t->overrides = cJSON_Duplicate(cJSON_GetObjectItem(rec, "overrides"), true);
	if (cJSON_GetObjectItem(rec, "tags"))
		t->tags = cJSON_Duplicate(cJSON_GetObjectItem(rec, "tags"), true);
	copy_str(t->started_by, sizeof(t->started_by), rec, "startedBy");
	copy_str(t->group, sizeof(t->group), rec, "group");
	copy_str(t->last, sizeof(t->last), rec, "lastStatus");
	copy_str(t->desired, sizeof(t->desired), rec, "desiredStatus");
	copy_str(t->stop_code, sizeof(t->stop_code), rec, "stopCode");
	copy_str(t->stopped_reason, sizeof(t->stopped_reason), rec, "stoppedReason");
	if (cJSON_IsNumber(cJSON_GetObjectItem(rec, "exitCode"))) {
		t->has_exit = true;
		t->exit_code = (int)get_num(rec, "exitCode");
	}
	t->created_at = get_num(rec, "createdAt");
	t->started_at = get_num(rec, "startedAt");
	t->stopping_at = get_num(rec, "stoppingAt");
	t->stopped_at = get_num(rec, "stoppedAt");
	copy_str(t->network_mode, sizeof(t->network_mode), rec, "networkMode");
	cs = cJSON_GetObjectItem(rec, "containers");
	cJSON_ArrayForEach(c, cs)
	{
		struct ecs_container_rt *rt;

		if (t->n == ECS_CONTAINERS_MAX)
			break;
		rt = &t->c[t->n++];
		copy_str(rt->name, sizeof(rt->name), c, "name");
		rt->essential = cJSON_IsTrue(cJSON_GetObjectItem(c, "essential"));
		copy_str(rt->status, sizeof(rt->status), c, "lastStatus");
		if (cJSON_IsNumber(cJSON_GetObjectItem(c, "exitCode"))) {
			rt->exited = true;
			rt->exit_code = (int)get_num(c, "exitCode");
		}
		copy_str(rt->reason, sizeof(rt->reason), c, "reason");
		copy_str(rt->health, sizeof(rt->health), c, "healthStatus");
		copy_str(rt->image, sizeof(rt->image), c, "image");
	}
	ecs_task_wl_init(t);
	copy_str(t->wl.infra_id, sizeof(t->wl.infra_id), rec, "pauseId");
	for (int i = 0; i < t->n; i++) {
		copy_str(t->wl.c[i].id, sizeof(t->wl.c[i].id), cJSON_GetArrayItem(cs, i),
			 "runtimeId");
	}
	clock_gettime(CLOCK_REALTIME, &t->mtime);
	return t;
}

struct load_tasks {
	struct ecs *ecs;
};

static int load_task(void *ud, const char *id)
{
	struct load_tasks *lt = ud;
	cleanup_cjson cJSON *rec = NULL;
	struct ecs_task *t;

	if (state_registry_get(lt->ecs->reg, ECS_REC_TASK, id, &rec) < 0)
		return 0;
	t = task_from_record(lt->ecs, rec);
	if (!t) {
		log_warn("state: ignoring task record %s (its definition is gone)", id);
		return 0;
	}
	if (ecs_task_link(lt->ecs, t) < 0) {
		ecs_task_free(t);
		return -ENOMEM;
	}
	return 0;
}

int ecs_task_load_all(struct ecs *ecs, struct nb_err *err)
{
	struct load_tasks lt = { .ecs = ecs };
	cleanup_cjson cJSON *ids = NULL;
	const cJSON *id;
	/* Copied out: load_task calls back into the registry. */
	int ret = state_registry_load_ids(ecs->reg, ECS_REC_TASK, &ids, err);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&ecs->lock);
	cJSON_ArrayForEach(id, ids) load_task(&lt, id->valuestring);
	if (ecs->last_task)
		snprintf(ecs->latest_task, sizeof(ecs->latest_task), "%s", ecs->last_task->id);
	pthread_mutex_unlock(&ecs->lock);
	return 0;
}

/* ---- files ---- */

bool ecs_task_exists(struct ecs *ecs, const char *id)
{
	bool found;

	pthread_mutex_lock(&ecs->lock);
	found = ecs_task_find(ecs, id) != NULL;
	pthread_mutex_unlock(&ecs->lock);
	return found;
}

int ecs_list_tasks(struct ecs *ecs, int (*emit)(void *ud, const char *name), void *ud)
{
	int ret = 0;

	pthread_mutex_lock(&ecs->lock);
	for (struct ecs_task *t = ecs->tasks; t && ret == 0; t = t->next)
		ret = emit(ud, t->id);
	pthread_mutex_unlock(&ecs->lock);
	return ret;
}

int ecs_latest_task(struct ecs *ecs, char id[33])
{
	int ret;

	pthread_mutex_lock(&ecs->lock);
	ret = ecs->latest_task[0] && ecs_task_find(ecs, ecs->latest_task) ? 0 : -ENOENT;
	if (ret == 0)
		memcpy(id, ecs->latest_task, 33);
	pthread_mutex_unlock(&ecs->lock);
	return ret;
}

bool ecs_task_container_exists(struct ecs *ecs, const char *id, const char *name)
{
	struct ecs_task *t;
	bool found;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	found = t && ecs_task_container(t, name);
	pthread_mutex_unlock(&ecs->lock);
	return found;
}

int ecs_list_task_containers(struct ecs *ecs, const char *id,
			     int (*emit)(void *ud, const char *name), void *ud)
{
	struct ecs_task *t;
	int ret = 0;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	for (int i = 0; t && i < t->n && ret == 0; i++)
		ret = emit(ud, t->c[i].name);
	pthread_mutex_unlock(&ecs->lock);
	return ret;
}

/* A user's stop is acknowledged only once it is recorded: with the state
 * dir full it is refused and the task is left as it was, or a restart
 * would forget who stopped it and why. */
static int record_user_stop(struct ecs *ecs, struct ecs_task *t, const char *reason,
			    struct nb_err *err)
{
	char desired[sizeof(t->desired)], code[sizeof(t->stop_code)],
		why[sizeof(t->stopped_reason)];
	int ret;

	memcpy(desired, t->desired, sizeof(desired));
	memcpy(code, t->stop_code, sizeof(code));
	memcpy(why, t->stopped_reason, sizeof(why));
	snprintf(t->desired, sizeof(t->desired), "STOPPED");
	if (!t->stop_code[0])
		snprintf(t->stop_code, sizeof(t->stop_code), "UserInitiated");
	if (!t->stopped_reason[0])
		snprintf(t->stopped_reason, sizeof(t->stopped_reason), "%s", reason);
	ret = ecs_task_save(ecs, t, err);
	if (ret < 0) {
		memcpy(t->desired, desired, sizeof(desired));
		memcpy(t->stop_code, code, sizeof(code));
		memcpy(t->stopped_reason, why, sizeof(why));
		return nb_err_wrap(err, "cannot stop task %s", t->id);
	}
	return 0;
}

int ecs_task_stop(struct ecs *ecs, const char *id, const char *reason, struct nb_err *err)
{
	struct ecs_task *t;
	int ret;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (!t)
		ret = nb_err_set(err, -ENOENT, "no task %s", id);
	else if (strcmp(t->desired, "STOPPED") == 0)
		ret = nb_err_set(err, -EBUSY, "task %s is already %s", id,
				 strcmp(t->last, "STOPPED") == 0 ? "stopped" : "stopping");
	else if (!state_health_engine_ready(ecs->health, err))
		ret = nb_err_wrap(err, "cannot stop task %s", id);
	else {
		reason = reason && reason[0] ? reason : "Task stopped by user";
		ret = record_user_stop(ecs, t, reason, err);
		if (ret == 0)
			ret = ecs_task_queue_stop(ecs, t, "UserInitiated", reason);
	}
	pthread_mutex_unlock(&ecs->lock);
	if (ret < 0 && !err->msg[0])
		nb_err_set(err, ret, "cannot stop task %s: %s", id, strerror(-ret));
	return ret;
}

/* The signals `ctl kill` takes, by name and number. */
static const struct {
	const char *name;
	int num;
} signals[] = {
	{ "SIGHUP", 1 },   { "SIGINT", 2 },    { "SIGQUIT", 3 },  { "SIGKILL", 9 },
	{ "SIGUSR1", 10 }, { "SIGUSR2", 12 },  { "SIGTERM", 15 }, { "SIGCONT", 18 },
	{ "SIGSTOP", 19 }, { "SIGWINCH", 28 },
};

int ecs_task_kill(struct ecs *ecs, const char *id, const char *signal, struct nb_err *err)
{
	const char *name = NULL;
	struct ecs_task *t;
	char *end;
	long num = strtol(signal, &end, 10);
	int ret;

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]) && !name; i++) {
		if ((*end == '\0' && end != signal && num == signals[i].num) ||
		    strcmp(signal, signals[i].name) == 0 ||
		    strcmp(signal, signals[i].name + 3) == 0)
			name = signals[i].name;
	}
	if (!name)
		return nb_err_set(err, -EINVAL,
				  "kill: unknown signal \"%s\"; use a name such as SIGTERM or its "
				  "number (HUP INT QUIT KILL USR1 USR2 TERM CONT STOP WINCH)",
				  signal);
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (!t)
		ret = nb_err_set(err, -ENOENT, "no task %s", id);
	else if (strcmp(t->last, "RUNNING") != 0)
		ret = nb_err_set(err, -EBUSY, "task %s is %s; only a RUNNING task can be signalled",
				 id, t->last);
	else if (!state_health_engine_ready(ecs->health, err))
		ret = nb_err_wrap(err, "cannot signal task %s", id);
	else
		ret = ecs_task_queue_kill(ecs, t, name);
	pthread_mutex_unlock(&ecs->lock);
	return ret;
}

int ecs_task_forget(struct ecs *ecs, const char *id, struct nb_err *err)
{
	struct wl_detached caps = { 0 };
	struct ecs_task *t;
	int ret = 0;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (!t) {
		ret = nb_err_set(err, -ENOENT, "no task %s", id);
	} else if (strcmp(t->last, "STOPPED") != 0) {
		ret = nb_err_set(err, -EBUSY,
				 "task %s is %s; stop it first (echo STOPPED > desired)", id,
				 t->last);
	} else {
		state_registry_remove(ecs->reg, ECS_REC_TASK, id, NULL);
		wl_obj_forget(ecs->wl, &t->wl, &caps);
		ecs_task_unlink(ecs, t);
		/* `latest` falls back to the newest task that is left. */
		if (strcmp(ecs->latest_task, id) == 0)
			snprintf(ecs->latest_task, sizeof(ecs->latest_task), "%s",
				 ecs->last_task ? ecs->last_task->id : "");
	}
	pthread_mutex_unlock(&ecs->lock);
	if (ret == 0) {
		/* Its captures end before its files go, and before it does. */
		wl_detached_stop(ecs->wl, &caps);
		ecs_tasklog_remove(ecs->logdirfd, id);
		ecs_task_free(t);
		state_hub_changed(ecs->hub, "ecs/tasks");
		state_hub_changed(ecs->hub, "ecs/tasks/latest");
	}
	return ret;
}
