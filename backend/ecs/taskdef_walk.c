/*
 * backend/ecs/taskdef_walk.c - the field-table walker behind the task
 * definition model: one pass checks every object against its table (unknown
 * and repeated fields, JSON types, ranges, enums, required fields) and keeps
 * the path, so each message names the field as the user wrote it.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend/common/json.h"
#include "backend/ecs/taskdef_i.h"

/* path */

static size_t advance(struct td_ctx *c, size_t mark, int n)
{
	if (n > 0)
		c->len += (size_t)n;
	if (c->len >= sizeof(c->path))
		c->len = sizeof(c->path) - 1;
	return mark;
}

size_t td_push_key(struct td_ctx *c, const char *key)
{
	size_t mark = c->len;

	return advance(c, mark,
		       snprintf(c->path + c->len, sizeof(c->path) - c->len, "%s%s",
				c->len ? "." : "", key));
}

size_t td_push_index(struct td_ctx *c, int index)
{
	size_t mark = c->len;

	return advance(c, mark,
		       snprintf(c->path + c->len, sizeof(c->path) - c->len, "[%d]", index));
}

void td_pop(struct td_ctx *c, size_t mark)
{
	c->len = mark;
	c->path[mark] = '\0';
}

int td_fail(struct td_ctx *c, const char *fmt, ...)
{
	char msg[NB_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->len == 0)
		return nb_err_set(c->err, -EINVAL, "%s", msg);
	return nb_err_set(c->err, -EINVAL, "%s %s", c->path, msg);
}

bool td_abs_path(const char *s)
{
	return s && s[0] == '/';
}

/* the field-table walker */

static int check_value(struct td_ctx *c, const cJSON *v, const struct td_field *f);

static bool is_set(const cJSON *v)
{
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child != NULL;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	return !cJSON_IsNull(v);
}

static int check_int(struct td_ctx *c, const cJSON *v, int64_t min, int64_t max)
{
	double d;

	if (!cJSON_IsNumber(v))
		return td_fail(c, "must be a number");
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return td_fail(c, "must be an integer");
	if (d < (double)min || d > (double)max)
		return td_fail(c, "must be between %lld and %lld", (long long)min, (long long)max);
	return 0;
}

static int check_str(struct td_ctx *c, const cJSON *v, int64_t min, int64_t max)
{
	size_t n;

	if (!cJSON_IsString(v))
		return td_fail(c, "must be a string");
	n = strlen(v->valuestring);
	if (min > 0 && n < (size_t)min)
		return min == 1 ? td_fail(c, "must not be empty")
				: td_fail(c, "must be at least %lld characters", (long long)min);
	if (max > 0 && n > (size_t)max)
		return td_fail(c, "must be at most %lld characters", (long long)max);
	return 0;
}

static int check_enum(struct td_ctx *c, const cJSON *v, const char *const *values)
{
	char list[512];
	size_t n = 0;

	if (cJSON_IsString(v))
		for (const char *const *p = values; *p; p++)
			if (strcmp(v->valuestring, *p) == 0)
				return 0;
	list[0] = '\0';
	for (const char *const *p = values; *p && n < sizeof(list); p++) {
		int w = snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", *p);

		n += w > 0 ? (size_t)w : 0;
	}
	return td_fail(c, "must be one of %s", list);
}

static int check_array(struct td_ctx *c, const cJSON *v, const struct td_field *f,
		       enum td_kind elem_kind)
{
	struct td_field elem = *f;
	const cJSON *item;
	int n, i = 0;

	if (!cJSON_IsArray(v))
		return td_fail(c, "must be an array");
	n = cJSON_GetArraySize(v);
	if (f->nonempty && n == 0)
		return td_fail(c, "must not be empty");
	if (f->max_items > 0 && n > f->max_items)
		return td_fail(c, "must have at most %d entries", f->max_items);
	elem.kind = elem_kind;
	elem.flags = 0;
	cJSON_ArrayForEach(item, v)
	{
		size_t mark = td_push_index(c, i++);
		int ret = check_value(c, item, &elem);

		if (ret < 0)
			return ret;
		td_pop(c, mark);
	}
	return 0;
}

static int check_value(struct td_ctx *c, const cJSON *v, const struct td_field *f)
{
	switch (f->kind) {
	case TD_STR:
		return check_str(c, v, f->min, f->max);
	case TD_INT:
		return check_int(c, v, f->min, f->max);
	case TD_BOOL:
		return cJSON_IsBool(v) ? 0 : td_fail(c, "must be true or false");
	case TD_ENUM:
		return check_enum(c, v, f->values);
	case TD_OBJ:
		return td_check_object(c, v, f->sub);
	case TD_STRMAP: {
		const cJSON *item;

		if (!cJSON_IsObject(v))
			return td_fail(c, "must be an object");
		cJSON_ArrayForEach(item, v)
		{
			size_t mark = td_push_key(c, item->string);

			if (!cJSON_IsString(item))
				return td_fail(c, "must be a string");
			td_pop(c, mark);
		}
		return 0;
	}
	case TD_ARR_STR:
		return check_array(c, v, f, TD_STR);
	case TD_ARR_INT:
		return check_array(c, v, f, TD_INT);
	case TD_ARR_ENUM:
		return check_array(c, v, f, TD_ENUM);
	case TD_ARR_OBJ:
		return check_array(c, v, f, TD_OBJ);
	case TD_SIZE:
		return cJSON_IsString(v) || cJSON_IsNumber(v)
			       ? 0
			       : td_fail(c, "must be a string or a number");
	}
	return td_fail(c, "has no rule"); /* unreachable: every kind is handled */
}

static int add_warning(struct td_ctx *c)
{
	char msg[TD_PATH_MAX + 64];

	snprintf(msg, sizeof(msg), "%s is accepted but not implemented", c->path);
	if (json_array_add_str(c->warnings, msg) < 0)
		return nb_err_set(c->err, -ENOMEM, "out of memory");
	return 0;
}

int td_check_object(struct td_ctx *c, const cJSON *obj, const struct td_field *fields)
{
	const cJSON *item;

	if (!cJSON_IsObject(obj))
		return td_fail(c, "must be an object");
	if (!fields)
		return 0;
	cJSON_ArrayForEach(item, obj)
	{
		const struct td_field *f = fields;
		size_t mark = td_push_key(c, item->string);
		int ret;

		/* cJSON keeps both copies of a repeated key; which one wins is not ours to guess.
		 */
		if (cJSON_GetObjectItemCaseSensitive(obj, item->string) != item)
			return td_fail(c, "appears twice");
		while (f->name && strcmp(f->name, item->string) != 0)
			f++;
		if (!f->name)
			return nb_err_set(c->err, -EINVAL, "unknown field %s", c->path);
		ret = check_value(c, item, f);
		if (ret == 0 && (f->flags & TD_WARN) && is_set(item))
			ret = add_warning(c);
		if (ret < 0)
			return ret;
		td_pop(c, mark);
	}
	for (const struct td_field *f = fields; f->name; f++) {
		if ((f->flags & TD_REQ) && !cJSON_GetObjectItemCaseSensitive(obj, f->name)) {
			td_push_key(c, f->name);
			return td_fail(c, "is required");
		}
	}
	return 0;
}
