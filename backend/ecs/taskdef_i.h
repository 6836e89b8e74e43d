/*
 * backend/ecs/taskdef_i.h - shared by taskdef.c (the request and the task
 * level), taskdef_walk.c (the field-table walker), taskdef_container.c
 * (rules within a container) and taskdef_graph.c (rules across them).
 * Not an API: include only from backend/ecs/taskdef*.c.
 */
#ifndef NB_ECS_TASKDEF_I_H
#define NB_ECS_TASKDEF_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"
#include "backend/ecs/taskdef.h"

/*
 * A field table drives the type walk: each JSON object in a task definition
 * has one, so unknown fields, JSON types, ranges and enums are checked in
 * one place and every message names the field by its full path.
 */
enum td_kind {
	TD_STR,	     /* string; min/max bound its length (max 0: none) */
	TD_INT,	     /* integral number in [min, max] */
	TD_BOOL,     /* true or false */
	TD_ENUM,     /* one of values */
	TD_OBJ,	     /* object checked against sub (NULL: any object) */
	TD_STRMAP,   /* object whose values are all strings */
	TD_ARR_STR,  /* array of strings */
	TD_ARR_INT,  /* array of integers in [min, max] */
	TD_ARR_ENUM, /* array of values */
	TD_ARR_OBJ,  /* array of objects checked against sub */
	TD_SIZE,     /* string or number: task-level cpu and memory */
};

#define TD_REQ	0x1u /* must be present */
#define TD_WARN 0x2u /* kept, but the runtime does not implement it: warn when non-empty */

struct td_field {
	const char *name;
	enum td_kind kind;
	unsigned flags;
	int64_t min, max;	    /* see enum td_kind */
	int max_items;		    /* arrays: 0 means no limit */
	bool nonempty;		    /* arrays: at least one entry */
	const char *const *values;  /* TD_ENUM, TD_ARR_ENUM: NULL-terminated */
	const struct td_field *sub; /* TD_OBJ, TD_ARR_OBJ: table ending in { .name = NULL } */
};

#define TD_PATH_MAX 256

/* One walk over one definition: where we are, what we warned, why we failed. */
struct td_ctx {
	char path[TD_PATH_MAX]; /* "containerDefinitions[0].memory" */
	size_t len;
	cJSON *warnings; /* array of strings */
	struct nb_err *err;
};

/* The network mode the rules apply: an absent networkMode runs as awsvpc. */
enum td_netmode { TD_NET_AWSVPC, TD_NET_BRIDGE, TD_NET_HOST, TD_NET_NONE };

/* Path steps return a mark for td_pop(); a path too long is truncated. */
size_t td_push_key(struct td_ctx *c, const char *key);
size_t td_push_index(struct td_ctx *c, int index);
void td_pop(struct td_ctx *c, size_t mark);

/* Sets err to -EINVAL, "<path> <formatted>"; returns -EINVAL. */
int td_fail(struct td_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks obj (at the current path) against fields, recursively; adds a
 * warning for each non-empty TD_WARN field. Returns 0, -EINVAL or -ENOMEM. */
int td_check_object(struct td_ctx *c, const cJSON *obj, const struct td_field *fields);

/* Whether s is an absolute path. */
bool td_abs_path(const char *s);

/* The container field table, for the top-level table's containerDefinitions. */
extern const struct td_field td_container_fields[];

/* Applies the cross-field container rules to def's containerDefinitions
 * (already type-checked) and fills their defaults. mode is the effective
 * network mode and netmode_name how to call it in a message. */
int td_check_containers(struct td_ctx *c, cJSON *def, enum td_netmode mode,
			const char *netmode_name);

/* One walk over the containers; there are at most ECS_TASKDEF_CONTAINERS_MAX. */
struct td_ctr_set {
	cJSON *obj[ECS_TASKDEF_CONTAINERS_MAX];
	const char *name[ECS_TASKDEF_CONTAINERS_MAX];
	bool deps[ECS_TASKDEF_CONTAINERS_MAX][ECS_TASKDEF_CONTAINERS_MAX]; /* [i][j]: i needs j */
	int n;
	const cJSON *volumes;
	enum td_netmode mode;
	const char *mode_name;
};

static inline cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static inline const char *get_str(const cJSON *obj, const char *key)
{
	const cJSON *v = get(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Checks container i of s against the rules within one container, with
 * td_check_links() and td_check_deps() among them, and fills its defaults.
 * Returns 0, -EINVAL or -ENOMEM. (taskdef_container.c) */
int td_check_container(struct td_ctx *c, struct td_ctr_set *s, int i);

/* links of container self: bridge mode only, each naming another container
 * of s. Returns 0 or -EINVAL. (taskdef_graph.c) */
int td_check_links(struct td_ctx *c, const struct td_ctr_set *s, int self, const cJSON *links);

/* volumesFrom and dependsOn of container self: each naming another
 * container of s (HEALTHY only one with a healthCheck); records the
 * dependsOn edges in s->deps. Returns 0 or -EINVAL. (taskdef_graph.c) */
int td_check_deps(struct td_ctx *c, struct td_ctr_set *s, int self);

#endif
