/*
 * fs/router.c - the tree's shape as a table: which names exist under which
 * directory, what kind of node each is, its mode and who serves it.
 * Lookup walks this table; no strcmp chains anywhere else.
 */
#include <string.h>

#include "fs/fsnode.h"
#include "fs/node_ecs.h"
#include "fs/node_root.h"

#define R_DIR(p, n, t)                                                                             \
	{                                                                                          \
		p, n, t, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE, &fsnode_root_ops                    \
	}
#define R_FILE(p, n, t, k, m, c)                                                                   \
	{                                                                                          \
		p, n, t, k, m, c, &fsnode_root_ops                                                 \
	}

static const struct fsnode_route root_route = R_DIR(FSNODE_NONE, "", FSNODE_ROOT);

/* Order is listing order; first match wins; "*" rows come after fixed names. */
static const struct fsnode_route routes[] = {
	R_FILE(FSNODE_ROOT, "README", FSNODE_README, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	R_FILE(FSNODE_ROOT, "version", FSNODE_VERSION, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	R_FILE(FSNODE_ROOT, "health", FSNODE_HEALTH, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	R_FILE(FSNODE_ROOT, "events", FSNODE_EVENTS, FSNODE_STREAM, 0444, FSNODE_COMMIT_NONE),
	R_FILE(FSNODE_ROOT, "metrics", FSNODE_METRICS, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	R_FILE(FSNODE_ROOT, "ctl", FSNODE_CTL, FSNODE_VERB, 0200, FSNODE_COMMIT_EACH_LINE),
	R_FILE(FSNODE_ROOT, "last-error", FSNODE_LAST_ERROR, FSNODE_LASTERR, 0444,
	       FSNODE_COMMIT_NONE),
	R_DIR(FSNODE_ROOT, "ecs", FSNODE_ECS),
	R_DIR(FSNODE_ECS, "task-definitions", FSNODE_ECS_TASKDEFS),
	R_DIR(FSNODE_ECS, "tasks", FSNODE_ECS_TASKS),
	{ FSNODE_ECS_TASKDEFS, "register", FSNODE_TASKDEF_REGISTER, FSNODE_TXN, 0600,
	  FSNODE_COMMIT_JSON, &fsnode_ecs_ops },
	{ FSNODE_ECS_TASKDEFS, "last-error", FSNODE_TASKDEF_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE, &fsnode_ecs_ops },
	{ FSNODE_ECS_TASKDEFS, "*", FSNODE_TASKDEF_FAMILY, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE,
	  &fsnode_ecs_ops },
	{ FSNODE_TASKDEF_FAMILY, "latest", FSNODE_TASKDEF_LATEST, FSNODE_SYMLINK, 0777,
	  FSNODE_COMMIT_NONE, &fsnode_ecs_ops },
	{ FSNODE_TASKDEF_FAMILY, "*", FSNODE_TASKDEF_REV, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE,
	  &fsnode_ecs_ops },
	R_DIR(FSNODE_ROOT, "lambda", FSNODE_LAMBDA),
	R_DIR(FSNODE_ROOT, "ec2", FSNODE_EC2),
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

const struct fsnode_route *fsnode_root_route(void)
{
	return &root_route;
}

const struct fsnode_route *fsnode_route_match(enum fsnode_type parent, const char *name)
{
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return NULL;
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (routes[i].parent != parent)
			continue;
		if (strcmp(routes[i].name, name) == 0 || strcmp(routes[i].name, "*") == 0)
			return &routes[i];
	}
	return NULL;
}

const struct fsnode_route *fsnode_route_next(enum fsnode_type parent,
					     const struct fsnode_route *prev)
{
	size_t i = prev ? (size_t)(prev - routes) + 1 : 0;

	for (; i < N_ROUTES; i++)
		if (routes[i].parent == parent)
			return &routes[i];
	return NULL;
}
