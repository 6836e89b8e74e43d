/*
 * backend/ecs/task_run.c - RunTask: the `run` file's requests become task
 * records and queued launches. Validation is synchronous; the engine is
 * only reached by the launch jobs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/buf.h"
#include "backend/common/json.h"
#include "backend/ecs/ecs_i.h"
#include "backend/ecs/taskdef.h"

#define RUN_COUNT_MAX 10

struct run_req {
	char family[256];
	int rev; /* 0: latest */
	int64_t count;
	const cJSON *overrides;
	const char *started_by;
	const char *group;
	const cJSON *tags;
};

/* "family", "family:rev" or a task definition ARN ending in either. */
static int parse_ref(const char *ref, struct run_req *r, struct nb_err *err)
{
	const char *slash = strstr(ref, ":task-definition/");
	const char *colon;
	size_t n;

	if (strncmp(ref, "arn:", 4) == 0) {
		if (!slash)
			return nb_err_set(err, -EINVAL,
					  "taskDefinition \"%s\" is not a task definition ARN",
					  ref);
		ref = slash + strlen(":task-definition/");
	}
	colon = strchr(ref, ':');
	n = colon ? (size_t)(colon - ref) : strlen(ref);
	if (n == 0 || n >= sizeof(r->family))
		return nb_err_set(err, -EINVAL, "taskDefinition \"%s\": invalid family", ref);
	memcpy(r->family, ref, n);
	r->family[n] = '\0';
	if (!ecs_family_valid(r->family))
		return nb_err_set(
			err, -EINVAL,
			"taskDefinition \"%s\": a family is 1-255 letters, digits, - or _", ref);
	r->rev = 0;
	if (colon) {
		char *end;
		long rev = strtol(colon + 1, &end, 10);

		if (!colon[1] || *end || rev < 1 || rev > 1000000)
			return nb_err_set(err, -EINVAL, "taskDefinition \"%s\": invalid revision",
					  ref);
		r->rev = (int)rev;
	}
	return 0;
}

/* The launch finds containerOverrides, and each one's name, ignoring case
 * (cJSON_GetObjectItem): a key that differs from key only in case is
 * refused, so what is checked here is what the launch uses. */
static int key_case_exact(const cJSON *obj, const char *key, struct nb_err *err)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, obj)
	{
		if (m->string && strcasecmp(m->string, key) == 0 && strcmp(m->string, key) != 0)
			return nb_err_set(
				err, -EINVAL,
				"unknown parameter \"%s\" (names are case-sensitive: \"%s\")",
				m->string, key);
	}
	return 0;
}

static int check_overrides(const cJSON *overrides, const cJSON *taskdef, struct nb_err *err)
{
	const cJSON *cos = NULL, *co, *cdefs = cJSON_GetObjectItem(taskdef, "containerDefinitions");
	int i = 0;

	if (!overrides)
		return 0;
	if (key_case_exact(overrides, "containerOverrides", err) < 0 ||
	    json_get_array_opt(overrides, "containerOverrides", &cos, err) < 0)
		return nb_err_wrap(err, "overrides");
	cJSON_ArrayForEach(co, cos)
	{
		const char *name;
		const cJSON *cd, *cmd = NULL, *env = NULL, *e;
		bool found = false;
		int64_t n;

		if (key_case_exact(co, "name", err) < 0 || json_get_str(co, "name", &name, err) < 0)
			return nb_err_wrap(err, "overrides.containerOverrides[%d]", i);
		cJSON_ArrayForEach(cd, cdefs)
		{
			const cJSON *cn = cJSON_GetObjectItem(cd, "name");

			found |= cJSON_IsString(cn) && strcmp(cn->valuestring, name) == 0;
		}
		if (!found)
			return nb_err_set(
				err, -EINVAL,
				"overrides.containerOverrides[%d].name: no container \"%s\" "
				"in the task definition",
				i, name);
		if (json_get_array_opt(co, "command", &cmd, err) < 0 ||
		    json_get_array_opt(co, "environment", &env, err) < 0 ||
		    json_get_int_opt(co, "cpu", 0, 0, 262144, &n, err) < 0 ||
		    json_get_int_opt(co, "memory", 6, 6, 16777216, &n, err) < 0 ||
		    json_get_int_opt(co, "memoryReservation", 6, 6, 16777216, &n, err) < 0)
			return nb_err_wrap(err, "overrides.containerOverrides[%d]", i);
		cJSON_ArrayForEach(e, cmd) if (!cJSON_IsString(e)) return nb_err_set(
			err, -EINVAL,
			"overrides.containerOverrides[%d].command must be "
			"an array of strings",
			i);
		cJSON_ArrayForEach(e, env)
		{
			const char *s;

			if (json_get_str(e, "name", &s, err) < 0 ||
			    json_get_str_opt(e, "value", "", &s, err) < 0)
				return nb_err_wrap(
					err, "overrides.containerOverrides[%d].environment", i);
		}
		i++;
	}
	return 0;
}

static int parse_request(const char *buf, size_t len, cJSON **doc, struct run_req *r,
			 struct nb_err *err)
{
	const char *ref;
	char line[600];
	size_t start = 0;

	memset(r, 0, sizeof(*r));
	r->count = 1;
	while (start < len && nb_is_blank(buf[start]))
		start++;
	while (len > start && nb_is_blank(buf[len - 1]))
		len--;
	if (start == len)
		return nb_err_set(err, -EINVAL,
				  "run: empty request; write a family, family:rev or RunTask JSON");
	if (buf[start] != '{') {
		if (len - start >= sizeof(line) || memchr(buf + start, '\n', len - start))
			return nb_err_set(err, -EINVAL,
					  "run: expected one line: family or family:rev");
		if (memchr(buf + start, '\0', len - start))
			return nb_err_set(err, -EINVAL, "run: the request holds a NUL byte");
		memcpy(line, buf + start, len - start);
		line[len - start] = '\0';
		return parse_ref(line, r, err);
	}
	*doc = json_parse(buf + start, len - start, err);
	if (!*doc)
		return err->code;
	if (cJSON_IsObject(cJSON_GetObjectItem(*doc, "taskDefinition")))
		return nb_err_set(err, -EINVAL,
				  "taskDefinition: give a registered family or family:rev "
				  "(register an inline definition first)");
	if (json_get_str(*doc, "taskDefinition", &ref, err) < 0 ||
	    json_get_int_opt(*doc, "count", 1, 1, RUN_COUNT_MAX, &r->count, err) < 0 ||
	    json_get_object_opt(*doc, "overrides", &r->overrides, err) < 0 ||
	    json_get_str_opt(*doc, "startedBy", "", &r->started_by, err) < 0 ||
	    json_get_str_opt(*doc, "group", "", &r->group, err) < 0 ||
	    json_get_array_opt(*doc, "tags", &r->tags, err) < 0)
		return err->code;
	if (strlen(r->started_by) > 128)
		return nb_err_set(err, -EINVAL, "startedBy is at most 128 characters");
	if (strlen(r->group) > 255)
		return nb_err_set(err, -EINVAL, "group is at most 255 characters");
	return parse_ref(ref, r, err);
}

static void new_id(char id[33])
{
	unsigned char raw[16];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)random();
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

static struct ecs_task *task_new(const struct run_req *r, const cJSON *taskdef)
{
	struct ecs_task *t = calloc(1, sizeof(*t));
	const cJSON *cd, *mode = cJSON_GetObjectItem(taskdef, "networkMode");

	if (!t)
		return NULL;
	new_id(t->id);
	snprintf(t->family, sizeof(t->family), "%s", r->family);
	t->rev = r->rev;
	t->taskdef = cJSON_Duplicate(taskdef, true);
	t->overrides = r->overrides ? cJSON_Duplicate(r->overrides, true) : NULL;
	t->tags = r->tags ? cJSON_Duplicate(r->tags, true) : NULL;
	snprintf(t->started_by, sizeof(t->started_by), "%s", r->started_by ? r->started_by : "");
	snprintf(t->group, sizeof(t->group), "%s", r->group ? r->group : "");
	snprintf(t->last, sizeof(t->last), "PROVISIONING");
	snprintf(t->desired, sizeof(t->desired), "RUNNING");
	snprintf(t->network_mode, sizeof(t->network_mode), "%s",
		 cJSON_IsString(mode) ? mode->valuestring : "awsvpc");
	t->created_at = nb_aws_now();
	cJSON_ArrayForEach(cd, cJSON_GetObjectItem(taskdef, "containerDefinitions"))
	{
		struct ecs_container_rt *c;
		const cJSON *v;

		if (t->n == ECS_CONTAINERS_MAX)
			break;
		c = &t->c[t->n++];
		v = cJSON_GetObjectItem(cd, "name");
		snprintf(c->name, sizeof(c->name), "%s", cJSON_IsString(v) ? v->valuestring : "");
		v = cJSON_GetObjectItem(cd, "image");
		snprintf(c->image, sizeof(c->image), "%s", cJSON_IsString(v) ? v->valuestring : "");
		c->essential = !cJSON_IsFalse(cJSON_GetObjectItem(cd, "essential"));
		c->has_health_check = cJSON_GetObjectItem(cd, "healthCheck") != NULL;
		snprintf(c->status, sizeof(c->status), "PENDING");
		snprintf(c->health, sizeof(c->health), "UNKNOWN");
	}
	if (!t->taskdef || (r->overrides && !t->overrides) || (r->tags && !t->tags)) {
		ecs_task_free(t);
		return NULL;
	}
	ecs_task_wl_init(t);
	return t;
}

/* One task of a RunTask: recorded, then its launch queued. 0, or -errno
 * with why in err, and then nothing of it is left. Lock held. */
static int launch_one(struct ecs *ecs, const struct run_req *r, const cJSON *taskdef,
		      struct nb_buf *answer, struct nb_err *err)
{
	struct ecs_task *t = task_new(r, taskdef);
	int ret;

	if (!t || ecs_task_link(ecs, t) < 0) {
		ecs_task_free(t);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	/* A task not recorded would be lost at the next mount: refused. */
	ret = ecs_task_save(ecs, t, err);
	if (ret < 0) {
		nb_err_wrap(err, "cannot record the task");
	} else if ((ret = ecs_task_queue_launch(ecs, t)) < 0) {
		state_registry_remove(ecs->reg, ECS_REC_TASK, t->id, NULL);
		nb_err_set(err, ret, "cannot queue the task's launch: %s",
			   ret == -ESHUTDOWN ? "nimbusfs is stopping" : strerror(-ret));
	}
	if (ret < 0) {
		ecs_task_unlink(ecs, t);
		ecs_task_free(t);
		return ret;
	}
	memcpy(ecs->latest_task, t->id, sizeof(t->id));
	ecs_task_changed(ecs, t, "created");
	nb_buf_printf(answer, "%s\n", t->id);
	return 0;
}

int ecs_run(struct ecs *ecs, const char *buf, size_t len, struct nb_buf *answer, struct nb_err *err)
{
	cleanup_cjson cJSON *doc = NULL;
	cleanup_cjson cJSON *td = NULL;
	cleanup_buf struct nb_buf failures = { 0 };
	const cJSON *taskdef;
	struct run_req r;
	char tdid[300];
	int ret, started = 0;

	ret = parse_request(buf, len, &doc, &r, err);
	if (ret < 0)
		return ret;
	if (!r.rev)
		r.rev = ecs_family_latest(ecs, r.family);
	if (r.rev < 0)
		return nb_err_set(err, -ENOENT, "run: no task definition family \"%s\"", r.family);
	snprintf(tdid, sizeof(tdid), "%s:%d", r.family, r.rev);
	if (state_registry_get(ecs->reg, ECS_KIND_TASKDEF, tdid, &td) < 0)
		return nb_err_set(err, -ENOENT, "run: no task definition %s", tdid);
	taskdef = cJSON_GetObjectItem(td, "taskDefinition");
	if (check_overrides(r.overrides, taskdef, err) < 0)
		return err->code;
	if (!state_health_engine_ready(ecs->health, err))
		return nb_err_wrap(err, "run: cannot launch %s", tdid);

	/* As RunTask: the tasks that started, and one failure, with its
	 * reason, per task that did not. Only when none started is the
	 * request refused. */
	pthread_mutex_lock(&ecs->lock);
	for (int i = 0; i < r.count; i++) {
		struct nb_err why = { 0 };

		if (launch_one(ecs, &r, taskdef, answer, &why) == 0) {
			started++;
			continue;
		}
		if (!failures.len)
			*err = why;
		nb_buf_printf(&failures, "failure: %s\n", why.msg);
	}
	pthread_mutex_unlock(&ecs->lock);
	if (started) {
		nb_buf_append(answer, failures.data, failures.len);
		if (failures.len) /* the write succeeds: the failures go to last-error too */
			state_hub_error(ecs->hub, "ecs/tasks", err->msg);
		state_hub_changed(ecs->hub, "ecs/tasks");
		state_hub_changed(ecs->hub, "ecs/tasks/latest");
		return 0;
	}
	return nb_err_wrap(err, "run: no task of %s started", tdid);
}
