/*
 * backend/ecs/secrets.c - the secrets a task definition's `secrets` refer
 * to: files the user writes in ecs/secrets/, kept in memory and stored as
 * registry records "secrets/<id>" {"name", "value"} (files 0600). A
 * container's valueFrom finds one by its name or by an ARN's last segment,
 * and its value becomes an environment variable.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/index.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"

struct ecs_secret {
	char *name;
	char *value;
	size_t len;
	struct timespec mtime;
	struct ecs_secret *prev, *next; /* creation order */
	struct nb_index_link ix;	/* ecs->secret_index, by name */
};

/* ---- names and references (pure) ---- */

int ecs_secret_name_check(const char *name, struct nb_err *err)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_+=.@-";
	size_t len = strlen(name);

	if (len == 0 || len > ECS_SECRET_NAME_MAX)
		return nb_err_set(err, -EINVAL, "secret name must be 1-%d characters, got %zu",
				  ECS_SECRET_NAME_MAX, len);
	if (strspn(name, allowed) != len)
		return nb_err_set(err, -EINVAL,
				  "secret name \"%.64s\" may only hold letters, digits and _+=.@- "
				  "(as Secrets Manager names, but no '/': it is a file name)",
				  name);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return nb_err_set(err, -EINVAL, "secret name \"%s\" is reserved", name);
	return 0;
}

/* Whether s ends in Secrets Manager's random suffix: '-' and 6 letters or digits. */
static bool has_random_suffix(const char *s, size_t len)
{
	if (len < 8 || s[len - 7] != '-')
		return false;
	for (size_t i = len - 6; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* The i-th ':'-separated field of s (its start and length), or false. */
static bool arn_field(const char *s, int i, const char **start, size_t *len)
{
	for (; i > 0; i--) {
		s = strchr(s, ':');
		if (!s)
			return false;
		s++;
	}
	*start = s;
	*len = strcspn(s, ":");
	return true;
}

static bool field_is(const char *s, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(s, want, len) == 0;
}

int ecs_secret_ref_parse(const char *value_from, struct ecs_secret_ref *ref)
{
	const char *svc, *res, *name;
	size_t svc_len, res_len, name_len;

	memset(ref, 0, sizeof(*ref));
	if (strncmp(value_from, "arn:", 4) != 0 || !arn_field(value_from, 2, &svc, &svc_len) ||
	    !arn_field(value_from, 5, &res, &res_len)) {
		/* A plain name: the file's own. */
		snprintf(ref->name, sizeof(ref->name), "%s", value_from);
		return strlen(value_from) < sizeof(ref->name) ? 0 : -EINVAL;
	}
	if (field_is(svc, svc_len, "secretsmanager") && field_is(res, res_len, "secret")) {
		/* ...:secret:NAME[-XXXXXX][:json-key:version-stage:version-id] */
		if (!arn_field(value_from, 6, &name, &name_len) || name_len == 0 ||
		    name_len >= sizeof(ref->name))
			return -EINVAL;
		if (name[name_len] == ':' &&
		    strspn(name + name_len, ":") != strlen(name + name_len))
			return -ENOTSUP;
		memcpy(ref->name, name, name_len);
		ref->name[name_len] = '\0';
		if (has_random_suffix(ref->name, name_len)) {
			memcpy(ref->alt, ref->name, name_len - 7);
			ref->alt[name_len - 7] = '\0';
		}
		return 0;
	}
	if (field_is(svc, svc_len, "ssm") && strncmp(res, "parameter/", 10) == 0) {
		/* ...:parameter/NAME, or parameter//path/NAME for a path. */
		name = res + 9;
		name_len = res_len - 9;
		while (name_len && *name == '/') {
			name++;
			name_len--;
		}
		if (!name_len || name_len >= sizeof(ref->name))
			return -EINVAL;
		memcpy(ref->name, name, name_len);
		ref->name[name_len] = '\0';
		return 0;
	}
	return -EINVAL;
}

/* ---- the store ---- */

/* Lock held. */
static struct ecs_secret *secret_find(struct ecs *ecs, const char *name)
{
	return nb_index_find(&ecs->secret_index, name, struct ecs_secret, ix);
}

/* The registry id: the name when it fits a record id, else a hash no
 * name can be (names hold no '~'). */
static void record_id(const char *name, char *out, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	if (strlen(name) <= STATE_REGISTRY_RECORD_ID_MAX) {
		snprintf(out, len, "%s", name);
		return;
	}
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(out, len, "~%016llx", (unsigned long long)h);
}

/* Sets s's value (len bytes, copied) in memory. */
static int secret_set(struct ecs_secret *s, const char *value, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, value, len);
	copy[len] = '\0';
	free(s->value);
	s->value = copy;
	s->len = len;
	clock_gettime(CLOCK_REALTIME, &s->mtime);
	return 0;
}

/* Adds an empty secret at the end of the list; lock held. */
static struct ecs_secret *secret_add(struct ecs *ecs, const char *name)
{
	struct ecs_secret *s = calloc(1, sizeof(*s));

	if (!s || !(s->name = strdup(name)) || secret_set(s, "", 0) < 0) {
		if (s)
			free(s->name);
		free(s);
		return NULL;
	}
	s->prev = ecs->secrets_last;
	if (ecs->secrets_last)
		ecs->secrets_last->next = s;
	else
		ecs->secrets = s;
	ecs->secrets_last = s;
	nb_index_add(&ecs->secret_index, &s->ix, s->name);
	return s;
}

static void secret_free(struct ecs_secret *s)
{
	if (!s)
		return;
	if (s->value)
		memset(s->value, 0, s->len);
	free(s->value);
	free(s->name);
	free(s);
}

static int secret_store(struct ecs *ecs, const char *name, const char *value, size_t len,
			struct nb_err *err)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cleanup_free char *copy = strndup(value, len);
	char id[STATE_REGISTRY_RECORD_ID_MAX + 1];

	if (!doc || !copy || json_add_str(doc, "name", name) < 0 ||
	    json_add_str(doc, "value", copy) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	memset(copy, 0, len);
	record_id(name, id, sizeof(id));
	return state_registry_put(ecs->reg, ECS_KIND_SECRET, id, doc, err);
}

static void announce(struct ecs *ecs, const char *name, const char *action)
{
	cJSON *fields = cJSON_CreateObject();
	char path[600];

	/* Never the value: events are for anyone who can read the mount. */
	if (fields)
		json_add_str(fields, "action", action);
	state_hub_publish(ecs->hub, "secret", name, fields);
	state_hub_changed(ecs->hub, "ecs/secrets");
	snprintf(path, sizeof(path), "ecs/secrets/%s", name);
	state_hub_changed(ecs->hub, path);
}

static int collect_id(void *ud, const char *id)
{
	return json_array_add_str(ud, id);
}

int ecs_secrets_load(struct ecs *ecs, struct nb_err *err)
{
	cleanup_cjson cJSON *ids = cJSON_CreateArray();
	const cJSON *id;
	int ret = state_registry_load(ecs->reg, ECS_KIND_SECRET, err);

	if (ret < 0)
		return ret;
	if (!ids)
		return nb_err_set(err, -ENOMEM, "out of memory loading secrets");
	/* Copy the ids out: state_registry_get takes the registry lock. */
	ret = state_registry_list(ecs->reg, ECS_KIND_SECRET, collect_id, ids);
	if (ret < 0)
		return nb_err_set(err, ret, "out of memory loading secrets");
	pthread_mutex_lock(&ecs->secrets_lock);
	cJSON_ArrayForEach(id, ids)
	{
		cleanup_cjson cJSON *doc = NULL;
		struct nb_err e = { 0 };
		const char *name, *value;
		struct ecs_secret *s;

		if (state_registry_get(ecs->reg, ECS_KIND_SECRET, id->valuestring, &doc) < 0)
			continue;
		if (json_get_str(doc, "name", &name, &e) < 0 ||
		    json_get_str(doc, "value", &value, &e) < 0 ||
		    ecs_secret_name_check(name, &e) < 0 || secret_find(ecs, name)) {
			log_warn("state: ignoring secret record \"%s\": %s", id->valuestring,
				 e.msg[0] ? e.msg : "duplicate name");
			continue;
		}
		s = secret_add(ecs, name);
		if (!s || secret_set(s, value, strlen(value)) < 0) {
			pthread_mutex_unlock(&ecs->secrets_lock);
			return nb_err_set(err, -ENOMEM, "out of memory loading secrets");
		}
	}
	pthread_mutex_unlock(&ecs->secrets_lock);
	return 0;
}

void ecs_secrets_free(struct ecs *ecs)
{
	for (struct ecs_secret *s = ecs->secrets, *next; s; s = next) {
		next = s->next;
		secret_free(s);
	}
	ecs->secrets = ecs->secrets_last = NULL;
	nb_index_free(&ecs->secret_index);
}

bool ecs_secret_exists(struct ecs *ecs, const char *name)
{
	bool found;

	pthread_mutex_lock(&ecs->secrets_lock);
	found = secret_find(ecs, name) != NULL;
	pthread_mutex_unlock(&ecs->secrets_lock);
	return found;
}

int ecs_list_secrets(struct ecs *ecs, int (*emit)(void *ud, const char *name), void *ud)
{
	int ret = 0;

	pthread_mutex_lock(&ecs->secrets_lock);
	for (struct ecs_secret *s = ecs->secrets; s && ret == 0; s = s->next)
		ret = emit(ud, s->name);
	pthread_mutex_unlock(&ecs->secrets_lock);
	return ret;
}

int ecs_secret_render(struct ecs *ecs, const char *name, struct nb_buf *out, struct timespec *mtime)
{
	struct ecs_secret *s;
	int ret = -ENOENT;

	pthread_mutex_lock(&ecs->secrets_lock);
	s = secret_find(ecs, name);
	if (s) {
		ret = nb_buf_append(out, s->value, s->len);
		*mtime = s->mtime;
	}
	pthread_mutex_unlock(&ecs->secrets_lock);
	return ret;
}

int ecs_secret_create(struct ecs *ecs, const char *name, struct nb_err *err)
{
	struct ecs_secret *s;
	int ret;

	if (ecs_secret_name_check(name, err) < 0)
		return err->code;
	pthread_mutex_lock(&ecs->secrets_lock);
	if (secret_find(ecs, name)) {
		pthread_mutex_unlock(&ecs->secrets_lock);
		return 0;
	}
	ret = secret_store(ecs, name, "", 0, err);
	s = ret == 0 ? secret_add(ecs, name) : NULL;
	if (ret == 0 && !s)
		ret = nb_err_set(err, -ENOMEM, "out of memory");
	pthread_mutex_unlock(&ecs->secrets_lock);
	if (ret == 0)
		announce(ecs, name, "create");
	return ret;
}

int ecs_secret_put(struct ecs *ecs, const char *name, const char *value, size_t len,
		   struct nb_err *err)
{
	struct ecs_secret *s;
	int ret;

	if (len > ECS_SECRET_VALUE_MAX)
		return nb_err_set(err, -EFBIG, "secret %s: a value is at most %d bytes, got %zu",
				  name, ECS_SECRET_VALUE_MAX, len);
	if (memchr(value, '\0', len))
		return nb_err_set(err, -EINVAL,
				  "secret %s: a value is text and may not hold NUL bytes", name);
	pthread_mutex_lock(&ecs->secrets_lock);
	s = secret_find(ecs, name);
	ret = s ? secret_store(ecs, name, value, len, err)
		: nb_err_set(err, -ENOENT, "secret %s was removed", name);
	if (ret == 0 && secret_set(s, value, len) < 0)
		ret = nb_err_set(err, -ENOMEM, "out of memory");
	pthread_mutex_unlock(&ecs->secrets_lock);
	if (ret == 0)
		announce(ecs, name, "put");
	return ret;
}

int ecs_secret_remove(struct ecs *ecs, const char *name, struct nb_err *err)
{
	char id[STATE_REGISTRY_RECORD_ID_MAX + 1];
	struct ecs_secret *s;
	int ret;

	pthread_mutex_lock(&ecs->secrets_lock);
	s = secret_find(ecs, name);
	if (!s) {
		pthread_mutex_unlock(&ecs->secrets_lock);
		return nb_err_set(err, -ENOENT, "no secret %s", name);
	}
	record_id(name, id, sizeof(id));
	ret = state_registry_remove(ecs->reg, ECS_KIND_SECRET, id, err);
	if (ret == 0 || ret == -ENOENT) {
		nb_index_remove(&ecs->secret_index, &s->ix);
		if (s->prev)
			s->prev->next = s->next;
		else
			ecs->secrets = s->next;
		if (s->next)
			s->next->prev = s->prev;
		else
			ecs->secrets_last = s->prev;
		secret_free(s);
		ret = 0;
	}
	pthread_mutex_unlock(&ecs->secrets_lock);
	if (ret == 0)
		announce(ecs, name, "delete");
	return ret;
}

/* ---- resolution ---- */

/* Appends {name, value} for env var env from the secret ref names; the
 * value loses one trailing newline, as `echo` adds one. Lock held. */
static int resolve_one(struct ecs *ecs, const char *env, const char *value_from,
		       const char *container, cJSON *out, struct nb_err *err)
{
	struct ecs_secret_ref ref;
	struct ecs_secret *s = NULL;
	cJSON *item;
	char *value;
	size_t len;
	int ret = ecs_secret_ref_parse(value_from, &ref);

	if (ret == -ENOTSUP)
		return nb_err_set(
			err, -EINVAL,
			"ResourceInitializationError: unable to retrieve secret for "
			"container %s: valueFrom \"%s\" selects a JSON key, version stage "
			"or version id, which nimbusfs does not support",
			container, value_from);
	if (ret == 0) {
		s = secret_find(ecs, ref.name);
		if (!s && ref.alt[0])
			s = secret_find(ecs, ref.alt);
	}
	if (!s) {
		const char *want = ref.alt[0] ? ref.alt : ref.name[0] ? ref.name : value_from;

		return nb_err_set(
			err, -ENOENT,
			"ResourceInitializationError: unable to retrieve secret \"%s\" "
			"(valueFrom \"%s\") for container %s: no such file ecs/secrets/%s%s%s",
			want, value_from, container, want, ref.alt[0] ? " or ecs/secrets/" : "",
			ref.alt[0] ? ref.name : "");
	}
	len = s->len;
	if (len && s->value[len - 1] == '\n')
		len--;
	value = strndup(s->value, len);
	item = cJSON_CreateObject();
	ret = value && item && json_add_str(item, "name", env) == 0 &&
			      json_add_str(item, "value", value) == 0 &&
			      cJSON_AddItemToArray(out, item)
		      ? 0
		      : -ENOMEM;
	if (value)
		memset(value, 0, len);
	free(value);
	if (ret < 0) {
		cJSON_Delete(item);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int ecs_secrets_resolve(struct ecs *ecs, const cJSON *cdef, const char *container, cJSON **out,
			struct nb_err *err)
{
	const cJSON *list = cJSON_GetObjectItem(cdef, "secrets"), *entry;
	cleanup_cjson cJSON *resolved = NULL;
	int ret = 0;

	*out = NULL;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
		return 0;
	resolved = cJSON_CreateArray();
	if (!resolved)
		return nb_err_set(err, -ENOMEM, "out of memory");
	pthread_mutex_lock(&ecs->secrets_lock);
	cJSON_ArrayForEach(entry, list)
	{
		const cJSON *name = cJSON_GetObjectItem(entry, "name");
		const cJSON *from = cJSON_GetObjectItem(entry, "valueFrom");

		/* ecs_taskdef_parse() made both required strings. */
		if (!cJSON_IsString(name) || !cJSON_IsString(from))
			continue;
		ret = resolve_one(ecs, name->valuestring, from->valuestring, container, resolved,
				  err);
		if (ret < 0)
			break;
	}
	pthread_mutex_unlock(&ecs->secrets_lock);
	if (ret < 0)
		return ret;
	*out = move_ptr(resolved);
	return 0;
}
