/*
 * backend/ecs/ecs.h - the ECS service: task definitions (and, to come,
 * tasks). Records live in the object registry; every call answers from
 * memory or the state dir and never waits on the engine.
 */
#ifndef NB_ECS_H
#define NB_ECS_H

#include <stdbool.h>
#include <time.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"
#include "backend/state/hub.h"
#include "backend/state/registry.h"

#define ECS_KIND_TASKDEF "task-definitions"
/* The account and region ARNs name; a local cloud has one of each. */
#define ECS_ACCOUNT "000000000000"
#define ECS_REGION  "local"

struct ecs;

/* Loads the registered task definitions. */
int ecs_new(struct state_registry *reg, struct state_hub *hub, struct ecs **out,
	    struct nb_err *err);
void ecs_free(struct ecs *ecs);

/*
 * Registers a task definition from a RegisterTaskDefinition request or a
 * DescribeTaskDefinition output (len bytes of JSON). The new revision is
 * one past the family's highest. answer gets "family:rev\n", then one
 * "warning: ...\n" line per accepted but unimplemented field. Stored
 * before it returns. -EINVAL/-EFBIG with the reason in err.
 */
int ecs_register(struct ecs *ecs, const char *buf, size_t len, struct nb_buf *answer,
		 struct nb_err *err);

/* What `register` reads before a request: the last answer, or nothing. */
int ecs_render_last_registered(struct ecs *ecs, struct nb_buf *out, struct timespec *mtime);

/* The stored DescribeTaskDefinition output of family:rev. -ENOENT. */
int ecs_render_taskdef(struct ecs *ecs, const char *family, int rev, struct nb_buf *out,
		       struct timespec *mtime);

/* Whether family:rev is registered. */
bool ecs_taskdef_exists(struct ecs *ecs, const char *family, int rev);

/* The family's newest revision, or -ENOENT. */
int ecs_family_latest(struct ecs *ecs, const char *family);

/* Emits each family with at least one revision, in registration order. */
int ecs_list_families(struct ecs *ecs, int (*emit)(void *ud, const char *name), void *ud);
/* Emits "<rev>.json" for each of the family's revisions, oldest first. */
int ecs_list_revisions(struct ecs *ecs, const char *family,
		       int (*emit)(void *ud, const char *name), void *ud);

#endif
