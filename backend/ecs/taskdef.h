/*
 * backend/ecs/taskdef.h - the ECS task definition model.
 * A RegisterTaskDefinition request is checked against ECS's own rules and
 * limits (AWS ECS API reference) and normalised into the object
 * DescribeTaskDefinition returns, so everything downstream reads one shape.
 * Pure functions: no locks, no I/O, never block.
 */
#ifndef NB_ECS_TASKDEF_H
#define NB_ECS_TASKDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"

/* Bytes of request JSON; ECS's own limit on a task definition is 64 KiB. */
#define ECS_TASKDEF_MAX (64 * 1024)

/* ECS quota: containers per task definition. */
#define ECS_TASKDEF_CONTAINERS_MAX 10

/*
 * Parses and validates buf (len bytes): either the RegisterTaskDefinition
 * request as `aws ecs register-task-definition --cli-input-json` takes it, or
 * DescribeTaskDefinition output ({"taskDefinition": {...}}, whose read-only
 * fields taskDefinitionArn, revision, status, registeredAt, registeredBy,
 * deregisteredAt, requiresAttributes and compatibilities are dropped; a
 * top-level "tags" array beside it is kept, as "tags" in *def_out).
 *
 * On success returns 0, *def_out is the normalised definition (what
 * DescribeTaskDefinition returns under "taskDefinition", without the fields
 * ecs_taskdef_finalize() adds; caller frees) and *warnings_out a JSON array
 * of strings, one per accepted-but-not-implemented field with a non-empty
 * value, naming it by path ("containerDefinitions[0].logConfiguration is
 * accepted but not implemented"; caller frees).
 *
 * Normalisation: task cpu/memory become the string of CPU units / MiB
 * ("1 vCPU" -> "1024", "2GB" -> "2048"); each container gets essential
 * (default true), cpu 0 and empty portMappings, environment, mountPoints,
 * volumesFrom and systemControls when absent; healthCheck gets interval 30,
 * timeout 5, retries 3; portMappings get protocol "tcp" and, in awsvpc and
 * host modes, hostPort = containerPort; the task gets empty volumes and
 * placementConstraints. An absent networkMode stays absent, but is checked
 * as awsvpc, the mode the runtime gives it.
 *
 * Errors: -EFBIG over ECS_TASKDEF_MAX; -EINVAL with err naming the field by
 * path ("containerDefinitions[1].portMappings[0].containerPort must be
 * between 1 and 65535"), or for invalid JSON its line and column; -ENOMEM.
 * On error *def_out and *warnings_out are NULL.
 */
int ecs_taskdef_parse(const char *buf, size_t len, cJSON **def_out, cJSON **warnings_out,
		      struct nb_err *err);

/*
 * Adds (or replaces) the fields ECS sets at registration: taskDefinitionArn
 * "arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>",
 * revision, status "ACTIVE", registeredAt (epoch seconds with fraction, as a
 * number, as the AWS CLI prints it) and compatibilities ["EC2","FARGATE"];
 * requiresCompatibilities stays as given. Returns 0, -EINVAL (no valid
 * family in def, revision < 1, empty region or account) or -ENOMEM.
 */
int ecs_taskdef_finalize(cJSON *def, int revision, const char *region, const char *account,
			 double registered_at, struct nb_err *err);

/* Returns whether family is a valid family name: [A-Za-z0-9_-]{1,255}. The
 * same rule holds for container and volume names. */
bool ecs_family_valid(const char *family);

#endif
