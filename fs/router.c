/*
 * fs/router.c - the tree's shape as a table: which names exist under which
 * directory, what kind of node each is, its mode and who serves it.
 * Lookup walks this table; no strcmp chains anywhere else.
 */
#include <string.h>

#include "fs/fsnode.h"
#include "backend/lambda/package.h"
#include "fs/node_ec2.h"
#include "fs/node_ecs.h"
#include "fs/node_lambda.h"
#include "fs/node_root.h"

#define R_DIR(p, n, t)                                                                             \
	{                                                                                          \
		p, n, t, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE, &fsnode_root_ops, 0                 \
	}
#define R_FILE(p, n, t, k, m, c)                                                                   \
	{                                                                                          \
		p, n, t, k, m, c, &fsnode_root_ops, 0                                              \
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
	R_DIR(FSNODE_ECS, "secrets", FSNODE_ECS_SECRETS),
	{ FSNODE_ECS_TASKDEFS, "register", FSNODE_TASKDEF_REGISTER, FSNODE_TXN, 0600,
	  FSNODE_COMMIT_JSON, &fsnode_ecs_ops, 0 },
	{ FSNODE_ECS_TASKDEFS, "last-error", FSNODE_TASKDEF_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE, &fsnode_ecs_ops, 0 },
	{ FSNODE_ECS_TASKDEFS, "*", FSNODE_TASKDEF_FAMILY, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE,
	  &fsnode_ecs_ops, 0 },
	{ FSNODE_TASKDEF_FAMILY, "latest", FSNODE_TASKDEF_LATEST, FSNODE_SYMLINK, 0777,
	  FSNODE_COMMIT_NONE, &fsnode_ecs_ops, 0 },
	{ FSNODE_TASKDEF_FAMILY, "*", FSNODE_TASKDEF_REV, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE,
	  &fsnode_ecs_ops, 0 },
#define T(p, n, t, k, m, c)                                                                        \
	{                                                                                          \
		p, n, t, k, m, c, &fsnode_ecs_tasks_ops, 0                                         \
	}
	T(FSNODE_ECS_TASKS, "run", FSNODE_TASK_RUN, FSNODE_TXN, 0600, FSNODE_COMMIT_LINE_OR_JSON),
	T(FSNODE_ECS_TASKS, "latest", FSNODE_TASK_LATEST, FSNODE_SYMLINK, 0777, FSNODE_COMMIT_NONE),
	T(FSNODE_ECS_TASKS, "last-error", FSNODE_TASKS_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	T(FSNODE_ECS_TASKS, "*", FSNODE_TASK_DIR, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "status", FSNODE_TASK_STATUS, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "desired", FSNODE_TASK_DESIRED, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE),
	T(FSNODE_TASK_DIR, "ctl", FSNODE_TASK_CTL, FSNODE_VERB, 0200, FSNODE_COMMIT_EACH_LINE),
	T(FSNODE_TASK_DIR, "task-definition", FSNODE_TASK_TASKDEF, FSNODE_SYMLINK, 0777,
	  FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "describe.json", FSNODE_TASK_DESCRIBE, FSNODE_TEXT, 0444,
	  FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "health", FSNODE_TASK_HEALTH, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "exit-code", FSNODE_TASK_EXIT_CODE, FSNODE_TEXT, 0444,
	  FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "stop-code", FSNODE_TASK_STOP_CODE, FSNODE_TEXT, 0444,
	  FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "stopped-reason", FSNODE_TASK_STOPPED_REASON, FSNODE_TEXT, 0444,
	  FSNODE_COMMIT_NONE),
	{ FSNODE_TASK_DIR, "logs", FSNODE_TASK_LOGS, FSNODE_APPEND, 0444, FSNODE_COMMIT_NONE,
	  &fsnode_ecs_task_logs_ops, 0 },
	T(FSNODE_TASK_DIR, "events", FSNODE_TASK_EVENTS, FSNODE_STREAM, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "wait", FSNODE_TASK_WAIT, FSNODE_STREAM, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "last-error", FSNODE_TASK_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_DIR, "containers", FSNODE_TASK_CONTAINERS, FSNODE_DIR, 0755,
	  FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_CONTAINERS, "*", FSNODE_TASK_CONTAINER, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_CONTAINER, "status", FSNODE_TC_STATUS, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_CONTAINER, "exit-code", FSNODE_TC_EXIT_CODE, FSNODE_TEXT, 0444,
	  FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_CONTAINER, "health", FSNODE_TC_HEALTH, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_CONTAINER, "image", FSNODE_TC_IMAGE, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_CONTAINER, "id", FSNODE_TC_ID, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_CONTAINER, "ip", FSNODE_TC_IP, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	T(FSNODE_TASK_CONTAINER, "ports", FSNODE_TC_PORTS, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	{ FSNODE_TASK_CONTAINER, "logs", FSNODE_TC_LOGS, FSNODE_APPEND, 0444, FSNODE_COMMIT_NONE,
	  &fsnode_ecs_task_logs_ops, 0 },
	T(FSNODE_TASK_CONTAINER, "reason", FSNODE_TC_REASON, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
#undef T
	{ FSNODE_ECS_SECRETS, "last-error", FSNODE_SECRETS_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE, &fsnode_ecs_secrets_ops, 0 },
	/* A secret's value is the file's whole content: created by writing it. */
	{ FSNODE_ECS_SECRETS, "*", FSNODE_SECRET, FSNODE_VALUE, 0600, FSNODE_COMMIT_VALUE,
	  &fsnode_ecs_secrets_ops, 0 },
	R_DIR(FSNODE_ROOT, "lambda", FSNODE_LAMBDA),
#define L(p, n, t, k, m, c)                                                                        \
	{                                                                                          \
		p, n, t, k, m, c, &fsnode_lambda_ops, 0                                            \
	}
#define LB(p, n, t) /* a whole binary file, committed at close: zips */                            \
	{                                                                                          \
		p, n, t, FSNODE_VALUE, 0644, FSNODE_COMMIT_CLOSE, &fsnode_lambda_backed_ops,       \
			LAMBDA_ZIP_MAX                                                             \
	}
	L(FSNODE_LAMBDA, "last-error", FSNODE_LAMBDA_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	L(FSNODE_LAMBDA, "*", FSNODE_LAMBDA_FN, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	L(FSNODE_LAMBDA_FN, "config.json", FSNODE_LF_CONFIG, FSNODE_VALUE, 0644,
	  FSNODE_COMMIT_JSON),
	L(FSNODE_LAMBDA_FN, "runtime", FSNODE_LF_RUNTIME, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE),
	L(FSNODE_LAMBDA_FN, "handler", FSNODE_LF_HANDLER, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE),
	L(FSNODE_LAMBDA_FN, "timeout", FSNODE_LF_TIMEOUT, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE),
	L(FSNODE_LAMBDA_FN, "memory-size", FSNODE_LF_MEMORY, FSNODE_VALUE, 0644,
	  FSNODE_COMMIT_VALUE),
	L(FSNODE_LAMBDA_FN, "ephemeral-storage", FSNODE_LF_EPHEMERAL, FSNODE_VALUE, 0644,
	  FSNODE_COMMIT_VALUE),
	L(FSNODE_LAMBDA_FN, "environment", FSNODE_LF_ENVIRONMENT, FSNODE_VALUE, 0644,
	  FSNODE_COMMIT_VALUE),
	L(FSNODE_LAMBDA_FN, "reserved-concurrency", FSNODE_LF_CONCURRENCY, FSNODE_VALUE, 0644,
	  FSNODE_COMMIT_VALUE),
	L(FSNODE_LAMBDA_FN, "image", FSNODE_LF_IMAGE, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE),
	LB(FSNODE_LAMBDA_FN, "code.zip", FSNODE_LF_CODE_ZIP),
	L(FSNODE_LAMBDA_FN, "code-sha256", FSNODE_LF_CODE_SHA, FSNODE_TEXT, 0444,
	  FSNODE_COMMIT_NONE),
	L(FSNODE_LAMBDA_FN, "code", FSNODE_LF_CODE, FSNODE_DIR, 0555, FSNODE_COMMIT_NONE),
	L(FSNODE_LAMBDA_FN, "layers", FSNODE_LF_LAYERS, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	L(FSNODE_LAMBDA_FN, "state", FSNODE_LF_STATE, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	{ FSNODE_LAMBDA_FN, "invoke", FSNODE_LF_INVOKE, FSNODE_TXN, 0600,
	  FSNODE_COMMIT_LINE_OR_JSON, &fsnode_lambda_invoke_ops, 0 },
	L(FSNODE_LAMBDA_FN, "invoke-async", FSNODE_LF_INVOKE_ASYNC, FSNODE_VERB, 0200,
	  FSNODE_COMMIT_LINE_OR_JSON),
	L(FSNODE_LAMBDA_FN, "response", FSNODE_LF_RESPONSE, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	L(FSNODE_LAMBDA_FN, "last-invocation", FSNODE_LF_LAST_INVOCATION, FSNODE_TEXT, 0444,
	  FSNODE_COMMIT_NONE),
	{ FSNODE_LAMBDA_FN, "logs", FSNODE_LF_LOGS, FSNODE_APPEND, 0444, FSNODE_COMMIT_NONE,
	  &fsnode_lambda_backed_ops, 0 },
	L(FSNODE_LAMBDA_FN, "warm", FSNODE_LF_WARM, FSNODE_VALUE, 0644, FSNODE_COMMIT_EACH_LINE),
	L(FSNODE_LAMBDA_FN, "last-error", FSNODE_LF_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	/* code/: a tree of any depth; which "*" row a name takes is its kind. */
	L(FSNODE_LF_CODE, "*", FSNODE_LF_CODE_DIR, FSNODE_DIR, 0555, FSNODE_COMMIT_NONE),
	L(FSNODE_LF_CODE, "*", FSNODE_LF_CODE_FILE, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	L(FSNODE_LF_CODE, "*", FSNODE_LF_CODE_LINK, FSNODE_SYMLINK, 0777, FSNODE_COMMIT_NONE),
	L(FSNODE_LF_CODE_DIR, "*", FSNODE_LF_CODE_DIR, FSNODE_DIR, 0555, FSNODE_COMMIT_NONE),
	L(FSNODE_LF_CODE_DIR, "*", FSNODE_LF_CODE_FILE, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE),
	L(FSNODE_LF_CODE_DIR, "*", FSNODE_LF_CODE_LINK, FSNODE_SYMLINK, 0777, FSNODE_COMMIT_NONE),
	L(FSNODE_LF_LAYERS, "last-error", FSNODE_LF_LAYERS_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	LB(FSNODE_LF_LAYERS, "*", FSNODE_LF_LAYER),
#undef L
#undef LB
	R_DIR(FSNODE_ROOT, "ec2", FSNODE_EC2),
#define E(p, n, t, k, m, c)                                                                        \
	{                                                                                          \
		p, n, t, k, m, c, &fsnode_ec2_ops, 0                                               \
	}
#define ET(p, n, t) E(p, n, t, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE)
	E(FSNODE_EC2, "run", FSNODE_EC2_RUN, FSNODE_TXN, 0600, FSNODE_COMMIT_LINE_OR_JSON),
	E(FSNODE_EC2, "latest", FSNODE_EC2_LATEST, FSNODE_SYMLINK, 0777, FSNODE_COMMIT_NONE),
	E(FSNODE_EC2, "last-error", FSNODE_EC2_LASTERR, FSNODE_LASTERR, 0444, FSNODE_COMMIT_NONE),
	E(FSNODE_EC2, "images", FSNODE_EC2_IMAGES, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	E(FSNODE_EC2, "subnets", FSNODE_EC2_SUBNETS, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	E(FSNODE_EC2, "*", FSNODE_EC2_INSTANCE, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	E(FSNODE_EC2_IMAGES, "last-error", FSNODE_EC2_IMAGES_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	/* An AMI registration is the file's content: created by writing it. */
	E(FSNODE_EC2_IMAGES, "*", FSNODE_EC2_IMAGE, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE),
	{ FSNODE_EC2_SUBNETS, "create", FSNODE_EC2_SUBNET_CREATE, FSNODE_TXN, 0600,
	  FSNODE_COMMIT_JSON, &fsnode_ec2_long_ops, 0 },
	E(FSNODE_EC2_SUBNETS, "last-error", FSNODE_EC2_SUBNETS_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	E(FSNODE_EC2_SUBNETS, "*", FSNODE_EC2_SUBNET, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	ET(FSNODE_EC2_SUBNET, "cidr", FSNODE_ES_CIDR),
	ET(FSNODE_EC2_SUBNET, "private", FSNODE_ES_PRIVATE),
	ET(FSNODE_EC2_SUBNET, "default", FSNODE_ES_DEFAULT),
	ET(FSNODE_EC2_SUBNET, "network", FSNODE_ES_NETWORK),
	ET(FSNODE_EC2_SUBNET, "instances", FSNODE_ES_INSTANCES),
	ET(FSNODE_EC2_SUBNET, "describe.json", FSNODE_ES_DESCRIBE),
	E(FSNODE_EC2_INSTANCE, "state", FSNODE_EI_STATE, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE),
	/* Grows like a log until it holds 64 KiB, so an open fd follows it. */
	E(FSNODE_EC2_INSTANCE, "console", FSNODE_EI_CONSOLE, FSNODE_APPEND, 0444,
	  FSNODE_COMMIT_NONE),
	ET(FSNODE_EC2_INSTANCE, "user-data", FSNODE_EI_USER_DATA),
	ET(FSNODE_EC2_INSTANCE, "user-data-status", FSNODE_EI_USER_DATA_STATUS),
	ET(FSNODE_EC2_INSTANCE, "image", FSNODE_EI_IMAGE),
	ET(FSNODE_EC2_INSTANCE, "instance-type", FSNODE_EI_TYPE),
	ET(FSNODE_EC2_INSTANCE, "private-ip", FSNODE_EI_PRIVATE_IP),
	ET(FSNODE_EC2_INSTANCE, "hostname", FSNODE_EI_HOSTNAME),
	ET(FSNODE_EC2_INSTANCE, "subnet", FSNODE_EI_SUBNET),
	ET(FSNODE_EC2_INSTANCE, "container", FSNODE_EI_CONTAINER),
	ET(FSNODE_EC2_INSTANCE, "describe.json", FSNODE_EI_DESCRIBE),
	{ FSNODE_EC2_INSTANCE, "run-command", FSNODE_EI_RUN_COMMAND, FSNODE_TXN, 0600,
	  FSNODE_COMMIT_LINE_OR_JSON, &fsnode_ec2_long_ops, 0 },
	E(FSNODE_EC2_INSTANCE, "last-error", FSNODE_EI_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	E(FSNODE_EC2_INSTANCE, "tags", FSNODE_EI_TAGS, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE),
	E(FSNODE_EI_TAGS, "last-error", FSNODE_EI_TAGS_LASTERR, FSNODE_LASTERR, 0444,
	  FSNODE_COMMIT_NONE),
	E(FSNODE_EI_TAGS, "*", FSNODE_EI_TAG, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE),
#undef E
#undef ET
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

const struct fsnode_route *fsnode_route_lookup(struct fsnode_ctx *ctx, const struct fsnode *dir,
					       const char *name)
{
	const struct fsnode_route *r = fsnode_route_match(dir->route->type, name);

	/* Several "*" rows under one parent (a directory or a file of an
	 * unpacked tree): the first whose object exists is the one. */
	if (r && strcmp(r->name, "*") != 0)
		return r; /* a fixed name */
	for (; r; r = fsnode_route_next(dir->route->type, r))
		if (strcmp(r->name, "*") == 0 && r->ops->lookup &&
		    r->ops->lookup(ctx, dir, r, name) == 0)
			return r;
	return NULL;
}

bool fsnode_route_ambiguous(const struct fsnode_route *r)
{
	const struct fsnode_route *next = r;

	if (strcmp(r->name, "*") != 0)
		return false;
	while ((next = fsnode_route_next(r->parent, next)))
		if (strcmp(next->name, "*") == 0)
			return true;
	return false;
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
