/*
 * backend/ecs/spec_i.h - the small JSON builders spec.c (request bodies) and
 * spec_reply.c (engine replies back to ECS) share. A struct bld carries a
 * sticky out-of-memory flag, so one check at the end covers every add.
 * Not an API: include only from backend/ecs/spec*.c.
 */
#ifndef NB_ECS_SPEC_I_H
#define NB_ECS_SPEC_I_H

#include <errno.h>
#include <stdbool.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"

struct bld {
	bool oom;
};

static inline const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static inline const char *get_str(const cJSON *obj, const char *key)
{
	const cJSON *v = get(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Adds item under key; on failure (or a NULL obj after an earlier failure)
 * frees item, marks b and returns NULL. */
static inline cJSON *put(struct bld *b, cJSON *obj, const char *key, cJSON *item)
{
	if (!item || !obj || !cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		b->oom = true;
		return NULL;
	}
	return item;
}

static inline cJSON *push(struct bld *b, cJSON *arr, cJSON *item)
{
	if (!item || !arr || !cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		b->oom = true;
		return NULL;
	}
	return item;
}

static inline void put_str(struct bld *b, cJSON *obj, const char *key, const char *s)
{
	put(b, obj, key, cJSON_CreateString(s ? s : ""));
}

static inline int oom(struct nb_err *err)
{
	return nb_err_set(err, -ENOMEM, "out of memory");
}

#endif
