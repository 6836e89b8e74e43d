/*
 * backend/ecs/ecs_i.h - the ECS service's private state, shared by its
 * files: ecs.c (task definitions), task.c (the task model and its files),
 * task_run.c (RunTask requests), task_life.c (lifecycle jobs),
 * task_events.c (engine events) and secrets.c (ecs/secrets/).
 */
#ifndef NB_ECS_I_H
#define NB_ECS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/index.h"
#include "backend/ecs/ecs.h"
#include "backend/engine/engine.h"
#include "backend/state/health.h"
#include "backend/state/jobs.h"
#include "backend/workload/workload.h"

#define ECS_REC_TASK	   "tasks"
#define ECS_CONTAINERS_MAX WL_CTRS_MAX
#define ECS_STOP_TIMEOUT   30  /* s, as ECS */
#define ECS_START_TIMEOUT  120 /* s, dependsOn conditions, as ECS */
#define ECS_PAUSE_IMAGE	   "local/busybox:latest"

struct ecs_secret;

struct family {
	char *name;
	int *revs; /* ascending */
	size_t n, cap;
	struct family *next;	 /* registration order */
	struct nb_index_link ix; /* ecs->family_index, by name */
};

/* A task's container as ECS shows it; its engine side (id, state,
 * capture) is t->wl.c[i], the same index. */
struct ecs_container_rt {
	char name[256];
	bool essential;
	char status[16]; /* PENDING, RUNNING, STOPPED */
	bool exited;
	int exit_code;
	char reason[256];
	char health[16]; /* HEALTHY, UNHEALTHY, UNKNOWN */
	bool has_health_check;
	char image[512];
	char ip[64];
	cJSON *bindings;     /* networkBindings */
	struct nb_buf ports; /* the `ports` file */
};

struct ecs_task {
	char id[33];
	char family[256];
	int rev;
	cJSON *taskdef;	  /* the taskDefinition object */
	cJSON *overrides; /* RunTask's overrides, or NULL */
	cJSON *tags;	  /* or NULL */
	char started_by[256];
	char group[256];
	char last[16];	  /* lastStatus */
	char desired[16]; /* desiredStatus */
	char stop_code[64];
	char stopped_reason[512];
	bool has_exit;
	int exit_code; /* of the essential container that ended it */
	double created_at, started_at, stopping_at, stopped_at;
	char network_mode[16];
	int n;
	struct ecs_container_rt c[ECS_CONTAINERS_MAX];
	/* The containers in the workload core (wl.infra_id: the awsvpc pause
	 * container); retired once STOPPED. */
	struct wl_obj wl;
	bool stop_queued; /* a stop job is queued or running */
	bool launching;	  /* the launch job is queued or runs */
	struct timespec mtime;
	struct ecs_task *next; /* launch order */
	/* ecs->task_index, by id */
	struct nb_index_link ix;
};

struct ecs {
	struct state_registry *reg;
	struct state_hub *hub;
	struct engine *eng;
	struct state_health *health;
	struct wl *wl; /* tasks' containers, captures and jobs */
	const char *owner;
	int logdirfd; /* <state>/task-logs */
	/* Lock order: lock and secrets_lock are never held together. lock also
	 * guards the workload core's part of every task (wl). */
	pthread_mutex_t lock;
	pthread_cond_t changed;		       /* broadcast on every task change; with lock */
	struct family *families, *last_family; /* protected by lock */
	struct nb_index family_index;	       /* protected by lock: families by name */
	struct nb_buf last_answer;	       /* protected by lock */
	struct timespec last_answer_at;	       /* protected by lock */
	struct ecs_task *tasks, *last_task;    /* protected by lock */
	struct nb_index task_index;	       /* protected by lock: tasks by id */
	char latest_task[33];		       /* protected by lock */
	/* Never held with lock: resolving secrets needs no task state. */
	pthread_mutex_t secrets_lock;
	struct ecs_secret *secrets, *secrets_last; /* protected by secrets_lock; creation order */
	struct nb_index secret_index;		   /* protected by secrets_lock: by name */
};

#define ECS_ARN_PREFIX "arn:aws:ecs:" ECS_REGION ":" ECS_ACCOUNT

/* Adds an epoch-seconds timestamp, leaving unset (0) ones out as AWS does. */
void ecs_json_add_time(cJSON *obj, const char *field, double t);

/* task.c: lock held for all of these */
struct ecs_task *ecs_task_find(struct ecs *ecs, const char *id);
/* Adds t at the end of the launch order and to the index. Returns 0:
 * indexing never fails. */
int ecs_task_link(struct ecs *ecs, struct ecs_task *t);
void ecs_task_unlink(struct ecs *ecs, struct ecs_task *t);
struct ecs_container_rt *ecs_task_container(struct ecs_task *t, const char *name);
/* Records a change: mtime, the registry record, events, changed paths.
 * what names the event ("status"...). Lock held; disk I/O. */
void ecs_task_changed(struct ecs *ecs, struct ecs_task *t, const char *what);
/* Stores t's record (no fsync); -ENOSPC and the like with the reason. */
int ecs_task_save(struct ecs *ecs, struct ecs_task *t, struct nb_err *err);
void ecs_task_set_status(struct ecs *ecs, struct ecs_task *t, const char *last);
void ecs_task_free(struct ecs_task *t);
int ecs_task_load_all(struct ecs *ecs, struct nb_err *err);

/* task_logs.c: captured output, <state>/task-logs/<task>/{task,<name>}.log */
void ecs_tasklog_remove(int logdirfd, const char *task);

/* task_life.c */
int ecs_task_queue_launch(struct ecs *ecs, struct ecs_task *t);
int ecs_task_queue_stop(struct ecs *ecs, struct ecs_task *t, const char *code, const char *reason);
int ecs_task_queue_kill(struct ecs *ecs, struct ecs_task *t, const char *signal);
/* task_events.c: records a container's exit and, unless an OOM kill or an
 * engine error already explains it, the reason: "Exited with code N" or
 * "Killed by signal SIGTERM (exit code 143)". Lock held. */
void ecs_container_note_exit(struct ecs_container_rt *c, int code);
/* task_stop.c: the jobs behind ecs_task_queue_stop/kill. */
void ecs_task_run_stop(struct ecs *ecs, const char *id);
void ecs_task_run_kill(struct ecs *ecs, const char *id, const char *signal);
/* task_life.c: the workload core's job callback. */
void ecs_run_job(void *svc, const char *id, int kind, const char *arg);
/* task_events.c: the core's callback for captured output. */
void ecs_task_on_append(void *svc, const char *task, const char *ctr);
/* task.c: sets the task's containers up in the core (after t->id and its
 * containers' names); stop timeouts from the definition. */
void ecs_task_wl_init(struct ecs_task *t);

/* secrets.c */
int ecs_secrets_load(struct ecs *ecs, struct nb_err *err);
void ecs_secrets_free(struct ecs *ecs);

/* What a valueFrom names: name, and for a Secrets Manager ARN whose NAME
 * ends in the random "-XXXXXX" suffix, alt (NAME without it; else ""). */
struct ecs_secret_ref {
	char name[ECS_SECRET_NAME_MAX + 1];
	char alt[ECS_SECRET_NAME_MAX + 1];
};

/*
 * Pure. Parses valueFrom: a plain name is itself; arn:PARTITION:
 * secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key:version-stage:
 * version-id] gives NAME (and alt); arn:PARTITION:ssm:REGION:ACCOUNT:
 * parameter/NAME gives NAME without leading '/'. Returns 0; -ENOTSUP when
 * a json-key, version stage or version id is given; -EINVAL for another
 * ARN, an empty NAME or one past ECS_SECRET_NAME_MAX.
 */
int ecs_secret_ref_parse(const char *value_from, struct ecs_secret_ref *ref);

/*
 * Resolves container cdef's `secrets` [{name, valueFrom}] to what
 * ecs_spec_container() takes: [{name, value}] (*out, caller frees; NULL when
 * it has none), each value a stored secret's without one trailing newline.
 * valueFrom finds a secret by name, then by alt. -ENOENT (or -EINVAL,
 * -ENOMEM) with err a stoppedReason naming the secret and container. Takes
 * secrets_lock; no I/O.
 */
int ecs_secrets_resolve(struct ecs *ecs, const cJSON *cdef, const char *container, cJSON **out,
			struct nb_err *err);

#endif
