/*
 * backend/ecs/ecs.h - the ECS service: task definitions, tasks and the
 * secrets tasks read. Records live in the object registry; every call answers from
 * memory or the state dir and never waits on the engine.
 */
#ifndef NB_ECS_H
#define NB_ECS_H

#include <stdbool.h>
#include <time.h>

#include "backend/common/aws.h"
#include "backend/common/buf.h"
#include "backend/common/err.h"
#include "backend/state/hub.h"
#include "backend/state/registry.h"

#define ECS_KIND_TASKDEF "task-definitions"
#define ECS_KIND_SECRET	 "secrets"
/* Secrets Manager's limits: a name, and a SecretString. */
#define ECS_SECRET_NAME_MAX  512
#define ECS_SECRET_VALUE_MAX 65536
#define ECS_ACCOUNT	     NB_AWS_ACCOUNT
#define ECS_REGION	     NB_AWS_REGION

struct ecs;
struct engine;
struct state_health;
struct state_jobs;

struct ecs_deps {
	struct state_registry *reg;
	struct state_hub *hub;
	struct engine *eng;
	struct state_health *health;
	const char *owner; /* the io.nimbusfs.owner label value */
	int statedirfd;
};

/* Loads the registered task definitions and the known tasks. */
int ecs_new(const struct ecs_deps *deps, struct ecs **out, struct nb_err *err);
void ecs_free(struct ecs *ecs);

/* Lets the service run lifecycle jobs on jobs (started after daemonizing). */
void ecs_start(struct ecs *ecs, struct state_jobs *jobs);
/* Stops capturing output and asks running jobs to finish early; call
 * before the job pool and the engine go away, and again after the pool
 * stopped (for captures a last job started). */
void ecs_stop(struct ecs *ecs);

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
int ecs_list_revisions(struct ecs *ecs, const char *family, int (*emit)(void *ud, const char *name),
		       void *ud);

/* Tasks. Files of a task, rendered from memory. */
enum ecs_task_file {
	ECS_TF_STATUS,
	ECS_TF_DESIRED,
	ECS_TF_DESCRIBE,
	ECS_TF_HEALTH,
	ECS_TF_EXIT_CODE,
	ECS_TF_STOP_CODE,
	ECS_TF_STOPPED_REASON,
	ECS_TF_TASKDEF_LINK, /* the symlink's target */
	ECS_TF_C_STATUS,
	ECS_TF_C_EXIT_CODE,
	ECS_TF_C_HEALTH,
	ECS_TF_C_IMAGE,
	ECS_TF_C_ID,
	ECS_TF_C_IP,
	ECS_TF_C_PORTS,
	ECS_TF_C_REASON,
};

/*
 * RunTask: buf is "family", "family:rev" or RunTask-style JSON
 * {"taskDefinition", "count" 1-10, "overrides": {"containerOverrides": [...]},
 * "startedBy", "group", "tags"}. Validates, records the tasks (PROVISIONING)
 * and queues their launch; answer gets one task id per line. -ENOENT unknown
 * family or revision, -EINVAL bad request, -EHOSTDOWN engine unreachable.
 */
int ecs_run(struct ecs *ecs, const char *buf, size_t len, struct nb_buf *answer,
	    struct nb_err *err);

bool ecs_task_exists(struct ecs *ecs, const char *id);
int ecs_list_tasks(struct ecs *ecs, int (*emit)(void *ud, const char *name), void *ud);
/* The most recently launched task's id, or -ENOENT. */
int ecs_latest_task(struct ecs *ecs, char id[33]);
bool ecs_task_container_exists(struct ecs *ecs, const char *id, const char *name);
int ecs_list_task_containers(struct ecs *ecs, const char *id,
			     int (*emit)(void *ud, const char *name), void *ud);
/* Renders one file of a task (container NULL) or of one of its containers. */
int ecs_task_render(struct ecs *ecs, const char *id, const char *container, enum ecs_task_file what,
		    struct nb_buf *out, struct timespec *mtime);
/*
 * `logs` of a task (container NULL: every container's lines, prefixed) or
 * of one container: opens the captured file read-only into *fd, or -1
 * when nothing was captured yet; *mtime is the task's last change.
 * -ENOENT when the task or container is gone. Takes the ECS lock only to
 * find them; opens without it.
 */
int ecs_task_log_open(struct ecs *ecs, const char *id, const char *container, int *fd,
		      struct timespec *mtime);
/* `desired` STOPPED and `ctl stop [reason]`: -EBUSY when already stopping. */
int ecs_task_stop(struct ecs *ecs, const char *id, const char *reason, struct nb_err *err);
/* `ctl kill SIGNAL`: a name or number from an allowlist, else -EINVAL. */
int ecs_task_kill(struct ecs *ecs, const char *id, const char *signal, struct nb_err *err);
/* rmdir: forgets a STOPPED task; -EBUSY otherwise. */
int ecs_task_forget(struct ecs *ecs, const char *id, struct nb_err *err);
/* `wait`: "<exit-code>\n" once the task is STOPPED (empty exit code: "\n"),
 * else 0 bytes. */
size_t ecs_task_wait_read(struct ecs *ecs, const char *id, struct nb_buf *out);

/*
 * Secrets (ecs/secrets/NAME), which task definitions' `secrets` refer to.
 * Each call takes the secrets lock; create, put and remove store the
 * change in the state dir (a 0600 file) before they return.
 */
/* 0, or -EINVAL with the reason: a name is 1-512 of [A-Za-z0-9_+=.@-]. */
int ecs_secret_name_check(const char *name, struct nb_err *err);
bool ecs_secret_exists(struct ecs *ecs, const char *name);
int ecs_list_secrets(struct ecs *ecs, int (*emit)(void *ud, const char *name), void *ud);
/* The value, byte for byte, and when it was last written. -ENOENT. */
int ecs_secret_render(struct ecs *ecs, const char *name, struct nb_buf *out,
		      struct timespec *mtime);
/* Makes an empty secret; 0 when it already exists. -EINVAL bad name. */
int ecs_secret_create(struct ecs *ecs, const char *name, struct nb_err *err);
/* Replaces an existing secret's value: -EFBIG over ECS_SECRET_VALUE_MAX,
 * -EINVAL with a NUL byte, -ENOENT when it is gone. */
int ecs_secret_put(struct ecs *ecs, const char *name, const char *value, size_t len,
		   struct nb_err *err);
/* -ENOENT when absent. */
int ecs_secret_remove(struct ecs *ecs, const char *name, struct nb_err *err);

/* Engine events and resyncs for ecs-task containers (the events thread). */
void ecs_on_event(struct ecs *ecs, const cJSON *event);
void ecs_on_sync(struct ecs *ecs, const cJSON *containers);

#endif
