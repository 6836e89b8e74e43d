/*
 * backend/ecs/ecs.c - the ECS service's task definitions: revisions per
 * family, stored as DescribeTaskDefinition output in the registry
 * ("task-definitions/<family>:<rev>.json").
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/labels.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"
#include "backend/ecs/taskdef.h"

static struct family *family_find(struct ecs *ecs, const char *name)
{
	return nb_index_find(&ecs->family_index, name, struct family, ix);
}

/* Records rev for family; lock held. */
static int family_add(struct ecs *ecs, const char *name, int rev)
{
	struct family *f = family_find(ecs, name);
	size_t i;

	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f || !(f->name = strdup(name))) {
			free(f);
			return -ENOMEM;
		}
		if (ecs->last_family)
			ecs->last_family->next = f;
		else
			ecs->families = f;
		ecs->last_family = f;
		nb_index_add(&ecs->family_index, &f->ix, f->name);
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		int *revs = realloc(f->revs, cap * sizeof(*revs));

		if (!revs)
			return -ENOMEM;
		f->revs = revs;
		f->cap = cap;
	}
	for (i = f->n; i > 0 && f->revs[i - 1] > rev; i--)
		f->revs[i] = f->revs[i - 1];
	f->revs[i] = rev;
	f->n++;
	return 0;
}

/* "family:rev" -> family, rev; false for anything else. */
static bool split_id(const char *id, char *family, size_t len, int *rev)
{
	const char *colon = strrchr(id, ':');
	char *end;
	long r;

	if (!colon || (size_t)(colon - id) >= len)
		return false;
	r = strtol(colon + 1, &end, 10);
	if (*end || r < 1 || r > 1000000)
		return false;
	memcpy(family, id, (size_t)(colon - id));
	family[colon - id] = '\0';
	*rev = (int)r;
	return ecs_family_valid(family);
}

/* <state>/task-logs: where captured container output is kept. */
static int ecs_logdir_open(struct ecs *ecs, int statedirfd, struct nb_err *err)
{
	if (mkdirat(statedirfd, "task-logs", 0700) < 0 && errno != EEXIST)
		return nb_err_set(err, -errno, "cannot create task-logs in the state dir: %s",
				  strerror(errno));
	ecs->logdirfd = openat(statedirfd, "task-logs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ecs->logdirfd < 0)
		return nb_err_set(err, -errno, "cannot open task-logs in the state dir: %s",
				  strerror(errno));
	return 0;
}

/* DescribeTaskDefinition's shape: the definition, and its tags beside it. */
struct load_ctx {
	struct ecs *ecs;
	int ret;
};

static int load_one(void *ud, const char *id)
{
	struct load_ctx *lc = ud;
	char family[256];
	int rev;

	if (!split_id(id, family, sizeof(family), &rev)) {
		log_warn("state: ignoring task definition record \"%s\"", id);
		return 0;
	}
	lc->ret = family_add(lc->ecs, family, rev);
	return lc->ret;
}

static struct wl_obj *find_obj(void *svc, const char *id)
{
	struct ecs_task *t = ecs_task_find(svc, id);

	return t ? &t->wl : NULL;
}

static const struct wl_ops wl_ops = {
	.find = find_obj,
	.run_job = ecs_run_job,
	.on_append = ecs_task_on_append,
};

static int open_core(struct ecs *ecs, struct nb_err *err)
{
	struct wl_deps deps = {
		.eng = ecs->eng,
		.kind = NB_KIND_ECS_TASK,
		.lock = &ecs->lock,
		.changed = &ecs->changed,
		.logdirfd = ecs->logdirfd,
		.ops = &wl_ops,
		.svc = ecs,
	};

	return wl_new(&deps, &ecs->wl, err);
}

int ecs_new(const struct ecs_deps *deps, struct ecs **out, struct nb_err *err)
{
	struct ecs *ecs = calloc(1, sizeof(*ecs));
	struct load_ctx lc = { .ecs = ecs };
	struct state_registry *reg;
	int ret;

	if (!ecs)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ecs->reg = deps->reg;
	ecs->hub = deps->hub;
	ecs->eng = deps->eng;
	ecs->health = deps->health;
	ecs->owner = deps->owner;
	ecs->logdirfd = -1;
	pthread_mutex_init(&ecs->lock, NULL);
	pthread_mutex_init(&ecs->secrets_lock, NULL);
	pthread_cond_init(&ecs->changed, NULL);
	ret = ecs_logdir_open(ecs, deps->statedirfd, err);
	if (ret == 0)
		ret = open_core(ecs, err);
	if (ret < 0) {
		ecs_free(ecs);
		return ret;
	}
	reg = deps->reg;
	ret = state_registry_load(reg, ECS_KIND_TASKDEF, err);
	if (ret >= 0) {
		/* The registry lists in name order; family_add sorts revisions. */
		pthread_mutex_lock(&ecs->lock);
		ret = state_registry_list(reg, ECS_KIND_TASKDEF, load_one, &lc);
		pthread_mutex_unlock(&ecs->lock);
		if (ret < 0)
			nb_err_set(err, ret, "out of memory loading task definitions");
	}
	if (ret >= 0)
		ret = ecs_secrets_load(ecs, err);
	if (ret >= 0)
		ret = ecs_task_load_all(ecs, err);
	if (ret < 0) {
		ecs_free(ecs);
		return ret;
	}
	*out = ecs;
	return 0;
}

void ecs_start(struct ecs *ecs, struct state_jobs *jobs)
{
	wl_start(ecs->wl, jobs);
}

void ecs_free(struct ecs *ecs)
{
	if (!ecs)
		return;
	wl_free(ecs->wl);
	for (struct family *f = ecs->families, *next; f; f = next) {
		next = f->next;
		free(f->revs);
		free(f->name);
		free(f);
	}
	for (struct ecs_task *t = ecs->tasks, *next; t; t = next) {
		next = t->next;
		ecs_task_free(t);
	}
	nb_index_free(&ecs->family_index);
	nb_index_free(&ecs->task_index);
	ecs_secrets_free(ecs);
	if (ecs->logdirfd >= 0)
		close(ecs->logdirfd);
	nb_buf_free(&ecs->last_answer);
	pthread_cond_destroy(&ecs->changed);
	pthread_mutex_destroy(&ecs->secrets_lock);
	pthread_mutex_destroy(&ecs->lock);
	free(ecs);
}

static cJSON *describe_doc(cJSON *def)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *tags = cJSON_DetachItemFromObjectCaseSensitive(def, "tags");

	if (!doc) {
		cJSON_Delete(tags);
		return NULL;
	}
	cJSON_AddItemToObject(doc, "taskDefinition", def);
	if (tags)
		cJSON_AddItemToObject(doc, "tags", tags);
	return doc;
}

static void announce(struct ecs *ecs, const char *family, int rev)
{
	cJSON *fields = cJSON_CreateObject();
	char id[300], path[320];

	snprintf(id, sizeof(id), "%s:%d", family, rev);
	if (fields)
		json_add_str(fields, "status", "ACTIVE");
	state_hub_publish(ecs->hub, "task-definition", id, fields);
	state_hub_changed(ecs->hub, "ecs/task-definitions");
	snprintf(path, sizeof(path), "ecs/task-definitions/%s", family);
	state_hub_changed(ecs->hub, path);
	snprintf(path, sizeof(path), "ecs/task-definitions/%s/latest", family);
	state_hub_changed(ecs->hub, path);
	state_hub_changed(ecs->hub, "ecs/task-definitions/register");
}

int ecs_register(struct ecs *ecs, const char *buf, size_t len, struct nb_buf *answer,
		 struct nb_err *err)
{
	cleanup_cjson cJSON *warnings = NULL;
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *warning;
	struct family *f;
	cJSON *def = NULL;
	char family[256], id[300];
	const char *name;
	int rev, ret;

	ret = ecs_taskdef_parse(buf, len, &def, &warnings, err);
	if (ret < 0)
		return ret;
	if (json_get_str(def, "family", &name, err) < 0) {
		cJSON_Delete(def);
		return err->code;
	}
	snprintf(family, sizeof(family), "%s", name);
	/* These name files beside the family directories. */
	if (strcmp(family, "register") == 0 || strcmp(family, "last-error") == 0) {
		cJSON_Delete(def);
		return nb_err_set(err, -EINVAL,
				  "family \"%s\" is reserved here: it names a file in "
				  "ecs/task-definitions/",
				  family);
	}
	pthread_mutex_lock(&ecs->lock);
	f = family_find(ecs, family);
	rev = f && f->n ? f->revs[f->n - 1] + 1 : 1;
	ret = ecs_taskdef_finalize(def, rev, ECS_REGION, ECS_ACCOUNT, nb_aws_now(), err);
	doc = ret == 0 ? describe_doc(def) : NULL;
	if (!doc) {
		if (ret == 0)
			cJSON_Delete(def);
		pthread_mutex_unlock(&ecs->lock);
		return ret < 0 ? ret : nb_err_set(err, -ENOMEM, "out of memory");
	}
	snprintf(id, sizeof(id), "%s:%d", family, rev);
	ret = state_registry_put(ecs->reg, ECS_KIND_TASKDEF, id, doc, err);
	if (ret == 0 && family_add(ecs, family, rev) < 0)
		ret = nb_err_set(err, -ENOMEM, "out of memory");
	if (ret == 0) {
		nb_buf_reset(&ecs->last_answer);
		ret = nb_buf_printf(&ecs->last_answer, "%s\n", id);
		cJSON_ArrayForEach(warning, warnings) if (ret == 0 && cJSON_IsString(warning)) ret =
			nb_buf_printf(&ecs->last_answer, "warning: %s\n", warning->valuestring);
		clock_gettime(CLOCK_REALTIME, &ecs->last_answer_at);
		if (ret == 0)
			ret = nb_buf_append(answer, ecs->last_answer.data, ecs->last_answer.len);
	}
	pthread_mutex_unlock(&ecs->lock);
	if (ret < 0)
		return err->code ? err->code : ret;
	announce(ecs, family, rev);
	return 0;
}

int ecs_render_last_registered(struct ecs *ecs, struct nb_buf *out, struct timespec *mtime)
{
	int ret;

	pthread_mutex_lock(&ecs->lock);
	ret = nb_buf_append(out, ecs->last_answer.data, ecs->last_answer.len);
	if (ecs->last_answer.len)
		*mtime = ecs->last_answer_at;
	pthread_mutex_unlock(&ecs->lock);
	return ret;
}

int ecs_render_taskdef(struct ecs *ecs, const char *family, int rev, struct nb_buf *out,
		       struct timespec *mtime)
{
	char id[300];

	if (snprintf(id, sizeof(id), "%s:%d", family, rev) >= (int)sizeof(id))
		return -ENOENT;
	return state_registry_render(ecs->reg, ECS_KIND_TASKDEF, id, out, mtime);
}

bool ecs_taskdef_exists(struct ecs *ecs, const char *family, int rev)
{
	char id[300];

	if (snprintf(id, sizeof(id), "%s:%d", family, rev) >= (int)sizeof(id))
		return false;
	return state_registry_exists(ecs->reg, ECS_KIND_TASKDEF, id);
}

int ecs_family_latest(struct ecs *ecs, const char *family)
{
	struct family *f;
	int rev;

	pthread_mutex_lock(&ecs->lock);
	f = family_find(ecs, family);
	rev = f && f->n ? f->revs[f->n - 1] : -ENOENT;
	pthread_mutex_unlock(&ecs->lock);
	return rev;
}

int ecs_list_families(struct ecs *ecs, int (*emit)(void *ud, const char *name), void *ud)
{
	int ret = 0;

	pthread_mutex_lock(&ecs->lock);
	for (struct family *f = ecs->families; f && ret == 0; f = f->next)
		if (f->n)
			ret = emit(ud, f->name);
	pthread_mutex_unlock(&ecs->lock);
	return ret;
}

int ecs_list_revisions(struct ecs *ecs, const char *family, int (*emit)(void *ud, const char *name),
		       void *ud)
{
	struct family *f;
	char name[32];
	int ret = 0;

	pthread_mutex_lock(&ecs->lock);
	f = family_find(ecs, family);
	for (size_t i = 0; f && i < f->n && ret == 0; i++) {
		snprintf(name, sizeof(name), "%d.json", f->revs[i]);
		ret = emit(ud, name);
	}
	pthread_mutex_unlock(&ecs->lock);
	return ret;
}
