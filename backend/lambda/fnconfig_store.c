/*
 * backend/lambda/fnconfig_store.c - the configuration as the service keeps
 * it in its state dir: every field, checked again on load because a state
 * file may have been edited by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "backend/lambda/fnconfig_i.h"

int lambda_config_to_json(const struct lambda_config *c, cJSON **out)
{
	cleanup_cjson cJSON *j = cJSON_CreateObject();
	cJSON *env, *layers;
	bool ok = j && json_add_str(j, "name", c->name) == 0 &&
		  json_add_str(j, "runtime", c->runtime) == 0 &&
		  json_add_str(j, "handler", c->handler) == 0 &&
		  json_add_str(j, "description", c->description) == 0 &&
		  json_add_str(j, "role", c->role) == 0 &&
		  json_add_num(j, "timeout", c->timeout) == 0 &&
		  json_add_num(j, "memory_mb", c->memory_mb) == 0 &&
		  json_add_num(j, "ephemeral_mb", c->ephemeral_mb) == 0 &&
		  json_add_num(j, "reserved_concurrency", c->reserved_concurrency) == 0 &&
		  json_add_str(j, "image", c->image) == 0 &&
		  json_add_str(j, "architecture", c->architecture) == 0 &&
		  (env = cJSON_AddObjectToObject(j, "env")) != NULL;

	for (size_t i = 0; ok && i < c->n_env; i++)
		ok = json_add_str(env, c->env[i].key, c->env[i].value) == 0;
	ok = ok && json_add_str(j, "code_sha256", c->code_sha256) == 0 &&
	     json_add_num(j, "code_size", (double)c->code_size) == 0 &&
	     json_add_num(j, "last_modified_sec", (double)c->last_modified.tv_sec) == 0 &&
	     json_add_num(j, "last_modified_nsec", (double)c->last_modified.tv_nsec) == 0 &&
	     json_add_str(j, "state", c->state) == 0 &&
	     json_add_str(j, "state_reason", c->state_reason) == 0 &&
	     json_add_str(j, "state_reason_code", c->state_reason_code) == 0 &&
	     (layers = cJSON_AddArrayToObject(j, "layers")) != NULL;
	for (size_t i = 0; ok && i < c->n_layers; i++) {
		cJSON *l = cJSON_CreateObject();

		ok = l && cJSON_AddItemToArray(layers, l);
		if (!ok) {
			cJSON_Delete(l);
			break;
		}
		ok = json_add_str(l, "name", c->layers[i].name) == 0 &&
		     json_add_num(l, "code_size", (double)c->layers[i].code_size) == 0 &&
		     json_add_str(l, "code_sha256", c->layers[i].code_sha256) == 0;
	}
	if (!ok)
		return -ENOMEM;
	*out = move_ptr(j);
	return 0;
}

/* A string field: absent keeps the default; longer than cap-1 is refused. */
static int get_str(const cJSON *j, const char *field, char *dst, size_t cap, struct nb_err *err)
{
	const char *s;
	int ret = json_get_str_opt(j, field, NULL, &s, err);

	if (ret < 0 || !s)
		return ret;
	if (strlen(s) >= cap)
		return nb_err_set(err, -EINVAL, "\"%s\" is longer than %zu bytes", field, cap - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int get_int(const cJSON *j, const char *field, int64_t min, int64_t max, int *dst,
		   struct nb_err *err)
{
	int64_t v;
	int ret = json_get_int_opt(j, field, *dst, min, max, &v, err);

	if (ret == 0)
		*dst = (int)v;
	return ret;
}

static int load(struct lambda_config *c, const cJSON *j, struct nb_err *err)
{
	const cJSON *env, *layers, *m;
	int64_t v;
	int ret;

	if ((ret = get_str(j, "runtime", c->runtime, sizeof(c->runtime), err)) < 0 ||
	    (ret = get_str(j, "handler", c->handler, sizeof(c->handler), err)) < 0 ||
	    (ret = get_str(j, "description", c->description, sizeof(c->description), err)) < 0 ||
	    (ret = get_str(j, "role", c->role, sizeof(c->role), err)) < 0 ||
	    (ret = get_str(j, "image", c->image, sizeof(c->image), err)) < 0 ||
	    (ret = get_str(j, "architecture", c->architecture, sizeof(c->architecture), err)) < 0 ||
	    (ret = get_str(j, "code_sha256", c->code_sha256, sizeof(c->code_sha256), err)) < 0 ||
	    (ret = get_str(j, "state", c->state, sizeof(c->state), err)) < 0 ||
	    (ret = get_str(j, "state_reason", c->state_reason, sizeof(c->state_reason), err)) < 0 ||
	    (ret = get_str(j, "state_reason_code", c->state_reason_code,
			   sizeof(c->state_reason_code), err)) < 0 ||
	    (ret = get_int(j, "timeout", LAMBDA_TIMEOUT_MIN, LAMBDA_TIMEOUT_MAX, &c->timeout,
			   err)) < 0 ||
	    (ret = get_int(j, "memory_mb", LAMBDA_MEMORY_MIN, LAMBDA_MEMORY_MAX, &c->memory_mb,
			   err)) < 0 ||
	    (ret = get_int(j, "ephemeral_mb", LAMBDA_EPHEMERAL_MIN, LAMBDA_EPHEMERAL_MAX,
			   &c->ephemeral_mb, err)) < 0 ||
	    (ret = get_int(j, "reserved_concurrency", LAMBDA_CONCURRENCY_MIN,
			   LAMBDA_CONCURRENCY_MAX, &c->reserved_concurrency, err)) < 0)
		return ret;
	if (c->runtime[0] && !lambda_runtime_known(c->runtime))
		return lambda_runtime_valid(c->runtime, err);
	if ((c->handler[0] && (ret = fnc_check_handler(c->handler, strlen(c->handler), err)) < 0) ||
	    (c->image[0] && (ret = fnc_check_image(c->image, strlen(c->image), err)) < 0) ||
	    (c->role[0] && (ret = fnc_check_role(c->role, err)) < 0) ||
	    (ret = fnc_check_architecture(c->architecture, err)) < 0)
		return ret;
	if ((ret = json_get_int_opt(j, "code_size", 0, 0, INT64_C(1) << 53, &v, err)) < 0)
		return ret;
	c->code_size = (uint64_t)v;
	if ((ret = json_get_int_opt(j, "last_modified_sec", 0, 0, INT64_C(1) << 53, &v, err)) < 0)
		return ret;
	c->last_modified.tv_sec = (time_t)v;
	if ((ret = json_get_int_opt(j, "last_modified_nsec", 0, 0, 999999999, &v, err)) < 0)
		return ret;
	c->last_modified.tv_nsec = (long)v;

	if ((ret = json_get_object_opt(j, "env", &env, err)) < 0)
		return ret;
	cJSON_ArrayForEach(m, env)
	{
		if (!cJSON_IsString(m))
			return nb_err_set(err, -EINVAL, "\"env\".\"%.64s\" must be a string",
					  m->string);
		if (fnc_env_put(&c->env, &c->n_env, m->string, strlen(m->string), m->valuestring,
				strlen(m->valuestring)) < 0)
			return nb_err_set(err, -ENOMEM, "out of memory");
	}
	if ((ret = lambda_env_check(c->env, c->n_env, err)) < 0)
		return ret;

	if ((ret = json_get_array_opt(j, "layers", &layers, err)) < 0)
		return ret;
	if (layers && cJSON_GetArraySize(layers) > 0) {
		size_t n = (size_t)cJSON_GetArraySize(layers);

		c->layers = calloc(n, sizeof(*c->layers));
		if (!c->layers)
			return nb_err_set(err, -ENOMEM, "out of memory");
	}
	cJSON_ArrayForEach(m, layers)
	{
		struct lambda_config_layer *l = &c->layers[c->n_layers];
		const char *name;

		if ((ret = json_get_str(m, "name", &name, err)) < 0 ||
		    (ret = json_get_int_opt(m, "code_size", 0, 0, INT64_C(1) << 53, &v, err)) < 0 ||
		    (ret = get_str(m, "code_sha256", l->code_sha256, sizeof(l->code_sha256), err)) <
			    0)
			return nb_err_wrap(err, "layers[%zu]", c->n_layers);
		l->code_size = (uint64_t)v;
		if (!(l->name = strdup(name)))
			return nb_err_set(err, -ENOMEM, "out of memory");
		c->n_layers++;
	}
	return 0;
}

int lambda_config_from_json(struct lambda_config *c, const cJSON *j, struct nb_err *err)
{
	const char *name;
	int ret;

	lambda_config_init(c, "");
	if ((ret = json_get_str(j, "name", &name, err)) < 0 ||
	    (ret = lambda_name_valid(name, err)) < 0)
		return ret;
	lambda_config_init(c, name);
	if ((ret = load(c, j, err)) < 0) {
		lambda_config_free(c);
		return ret;
	}
	return 0;
}
