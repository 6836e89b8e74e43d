/*
 * backend/ecs/task_render.c - every task file, rendered from the in-memory
 * model under the ECS lock: the one-value files, describe.json in
 * DescribeTasks' shape, the container files and `wait`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/ecs/ecs_i.h"

/* ECS's task health: UNHEALTHY if an essential container is, HEALTHY if
 * every essential container with a check is, else UNKNOWN. */
static const char *task_health(const struct ecs_task *t)
{
	bool any_check = false, all_healthy = true;

	for (int i = 0; i < t->n; i++) {
		const struct ecs_container_rt *c = &t->c[i];

		if (!c->essential || !c->has_health_check)
			continue;
		any_check = true;
		if (strcmp(c->health, "UNHEALTHY") == 0)
			return "UNHEALTHY";
		if (strcmp(c->health, "HEALTHY") != 0)
			all_healthy = false;
	}
	return any_check && all_healthy ? "HEALTHY" : "UNKNOWN";
}

static cJSON *describe(const struct ecs_task *t)
{
	cJSON *d = cJSON_CreateObject();
	cJSON *cs = cJSON_AddArrayToObject(d, "containers");
	const cJSON *v;
	char arn[512];

	cJSON_AddArrayToObject(d, "attachments");
	json_add_str(d, "availabilityZone", ECS_REGION "a");
	json_add_str(d, "clusterArn", ECS_ARN_PREFIX ":cluster/default");
	snprintf(arn, sizeof(arn), ECS_ARN_PREFIX ":task/default/%s", t->id);
	for (int i = 0; cs && i < t->n; i++) {
		const struct ecs_container_rt *c = &t->c[i];
		cJSON *o = cJSON_CreateObject();
		char carn[800];

		snprintf(carn, sizeof(carn), ECS_ARN_PREFIX ":container/default/%s/%s", t->id,
			 c->name);
		json_add_str(o, "containerArn", carn);
		json_add_str(o, "taskArn", arn);
		json_add_str(o, "name", c->name);
		json_add_str(o, "image", c->image);
		if (t->wl.c[i].id[0])
			json_add_str(o, "runtimeId", t->wl.c[i].id);
		json_add_str(o, "lastStatus", c->status);
		if (c->exited)
			json_add_num(o, "exitCode", c->exit_code);
		if (c->reason[0])
			json_add_str(o, "reason", c->reason);
		cJSON_AddItemToObject(o, "networkBindings",
				      c->bindings ? cJSON_Duplicate(c->bindings, true)
						  : cJSON_CreateArray());
		if (c->ip[0]) {
			cJSON *nis = cJSON_AddArrayToObject(o, "networkInterfaces");
			cJSON *ni = cJSON_CreateObject();

			json_add_str(ni, "privateIpv4Address", c->ip);
			cJSON_AddItemToArray(nis, ni);
		}
		json_add_str(o, "healthStatus", c->health[0] ? c->health : "UNKNOWN");
		cJSON_AddItemToArray(cs, o);
	}
	if ((v = cJSON_GetObjectItem(t->taskdef, "cpu")))
		cJSON_AddItemToObject(d, "cpu", cJSON_Duplicate(v, true));
	ecs_json_add_time(d, "createdAt", t->created_at);
	json_add_str(d, "desiredStatus", t->desired);
	json_add_str(d, "group", t->group[0] ? t->group : "family:");
	if (!t->group[0]) {
		char g[300];

		snprintf(g, sizeof(g), "family:%s", t->family);
		cJSON_ReplaceItemInObject(d, "group", cJSON_CreateString(g));
	}
	json_add_str(d, "healthStatus", task_health(t));
	json_add_str(d, "lastStatus", t->last);
	json_add_str(d, "launchType", "EC2");
	if ((v = cJSON_GetObjectItem(t->taskdef, "memory")))
		cJSON_AddItemToObject(d, "memory", cJSON_Duplicate(v, true));
	cJSON_AddItemToObject(d, "overrides",
			      t->overrides ? cJSON_Duplicate(t->overrides, true)
					   : cJSON_CreateObject());
	ecs_json_add_time(d, "startedAt", t->started_at);
	if (t->started_by[0])
		json_add_str(d, "startedBy", t->started_by);
	if (t->stop_code[0])
		json_add_str(d, "stopCode", t->stop_code);
	ecs_json_add_time(d, "stoppedAt", t->stopped_at);
	if (t->stopped_reason[0])
		json_add_str(d, "stoppedReason", t->stopped_reason);
	ecs_json_add_time(d, "stoppingAt", t->stopping_at);
	cJSON_AddItemToObject(d, "tags",
			      t->tags ? cJSON_Duplicate(t->tags, true) : cJSON_CreateArray());
	json_add_str(d, "taskArn", arn);
	v = cJSON_GetObjectItem(t->taskdef, "taskDefinitionArn");
	json_add_str(d, "taskDefinitionArn", cJSON_IsString(v) ? v->valuestring : "");
	return d;
}

static int render_task(const struct ecs_task *t, enum ecs_task_file what, struct nb_buf *out)
{
	switch (what) {
	case ECS_TF_STATUS:
		return nb_buf_printf(out, "%s\n", t->last);
	case ECS_TF_DESIRED:
		return nb_buf_printf(out, "%s\n", t->desired);
	case ECS_TF_HEALTH:
		return nb_buf_printf(out, "%s\n", task_health(t));
	case ECS_TF_EXIT_CODE:
		return t->has_exit ? nb_buf_printf(out, "%d\n", t->exit_code) : 0;
	case ECS_TF_STOP_CODE:
		return t->stop_code[0] ? nb_buf_printf(out, "%s\n", t->stop_code) : 0;
	case ECS_TF_STOPPED_REASON:
		return t->stopped_reason[0] ? nb_buf_printf(out, "%s\n", t->stopped_reason) : 0;
	case ECS_TF_TASKDEF_LINK:
		return nb_buf_printf(out, "../../task-definitions/%s/%d.json", t->family, t->rev);
	case ECS_TF_DESCRIBE: {
		cleanup_cjson cJSON *d = describe(t);
		cleanup_free char *text = d ? cJSON_Print(d) : NULL;

		return text ? nb_buf_printf(out, "%s\n", text) : -ENOMEM;
	}
	default:
		return -ENOENT;
	}
}

static int render_container(const struct ecs_task *t, const struct ecs_container_rt *c,
			    enum ecs_task_file what, struct nb_buf *out)
{
	switch (what) {
	case ECS_TF_C_STATUS:
		return nb_buf_printf(out, "%s\n", c->status);
	case ECS_TF_C_EXIT_CODE:
		return c->exited ? nb_buf_printf(out, "%d\n", c->exit_code) : 0;
	case ECS_TF_C_HEALTH:
		return nb_buf_printf(out, "%s\n", c->health[0] ? c->health : "UNKNOWN");
	case ECS_TF_C_IMAGE:
		return nb_buf_printf(out, "%s\n", c->image);
	case ECS_TF_C_ID:
		return t->wl.c[c - t->c].id[0] ? nb_buf_printf(out, "%s\n", t->wl.c[c - t->c].id)
					       : 0;
	case ECS_TF_C_IP:
		return c->ip[0] ? nb_buf_printf(out, "%s\n", c->ip) : 0;
	case ECS_TF_C_PORTS:
		return nb_buf_append(out, c->ports.data, c->ports.len);
	case ECS_TF_C_REASON:
		return c->reason[0] ? nb_buf_printf(out, "%s\n", c->reason) : 0;
	default:
		return -ENOENT;
	}
}

int ecs_task_render(struct ecs *ecs, const char *id, const char *container, enum ecs_task_file what,
		    struct nb_buf *out, struct timespec *mtime)
{
	struct ecs_container_rt *c = NULL;
	struct ecs_task *t;
	int ret;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (t && container)
		c = ecs_task_container(t, container);
	if (!t || (container && !c))
		ret = -ENOENT;
	else if (c)
		ret = render_container(t, c, what, out);
	else
		ret = render_task(t, what, out);
	if (t && mtime)
		*mtime = t->mtime;
	pthread_mutex_unlock(&ecs->lock);
	return ret;
}

size_t ecs_task_wait_read(struct ecs *ecs, const char *id, struct nb_buf *out)
{
	struct ecs_task *t;
	size_t before = out->len;

	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	if (t && strcmp(t->last, "STOPPED") == 0) {
		if (t->has_exit)
			nb_buf_printf(out, "%d\n", t->exit_code);
		else
			nb_buf_puts(out, "\n");
	}
	pthread_mutex_unlock(&ecs->lock);
	return out->len - before;
}
