/*
 * backend/ecs/spec.h - from a task definition to Docker Engine API 1.41
 * request bodies, and from engine replies back to what ECS reports.
 * Pure functions: no locks, no I/O, never block. They read the normalised
 * definition ecs_taskdef_parse() makes and trust what it checked.
 */
#ifndef NB_ECS_SPEC_H
#define NB_ECS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"

/* The pause container's name in labels: "~" is in no ECS container name. */
#define ECS_PAUSE_CONTAINER "~pause"

/* Room for ecs_spec_docker_name(): 32 hex, "-", a 255-byte name, NUL. */
#define ECS_SPEC_DOCKER_NAME_MAX 290

struct ecs_spec_ctx {
	const char *owner;	  /* state dir id */
	const char *task_id;	  /* 32 hex */
	const char *network_mode; /* effective: "awsvpc" (also when the definition has none;
				     NULL means awsvpc), "bridge", "host", "none" */
	const char *pause_id;	  /* awsvpc: engine id of the task's pause container, else NULL */
	const char *hostname;	  /* awsvpc: hostname for the pause container, may be NULL */
	/* bridge: [{name, dockerName}], the Docker names links point to; NULL
	 * (or a name missing from it) means ecs_spec_docker_name()'s name. */
	const cJSON *link_names;
};

/*
 * Makes the ContainerCreate body (*out, caller frees) for cdef, an element of
 * taskdef's containerDefinitions, with override, RunTask's
 * overrides.containerOverrides[] element for it (may be NULL: command
 * replaces Cmd, environment entries replace by name or are appended, cpu,
 * memory and memoryReservation replace), and secrets, already resolved
 * [{name, value}] (may be NULL), which become Env after environment and win
 * over an environment entry of the same name.
 *
 * Mapping, as the ECS agent does it: cpu -> CpuShares, at least 2 (the
 * kernel refuses 1, Docker turns 0 into 1024); memory and memoryReservation
 * MiB -> Memory and MemoryReservation bytes; healthCheck -> Healthcheck with
 * seconds in nanoseconds; dockerLabels plus the io.nimbusfs labels and the
 * agent's com.amazonaws.ecs.container-name, task-definition-family and
 * task-definition-version -> Labels (ours win over the user's);
 * linuxParameters.initProcessEnabled -> Init; stopTimeout -> StopTimeout.
 * Network: awsvpc joins "container:<pause_id>" and publishes nothing (the
 * pause container does); bridge publishes each portMappings entry on
 * 127.0.0.1 (hostPort 0 or absent: an ephemeral port) and maps links to
 * "<dockerName>:<alias>"; host and none publish nothing (host's ports are
 * the host's own). Volumes: host.sourcePath -> Binds "src:dst[:ro]";
 * dockerVolumeConfiguration -> a Mounts volume "<task_id>-<name>" for scope
 * task (the default), "<name>" for shared, with its driver, driverOpts and
 * labels; any other volume -> the task's own Mounts volume
 * "<task_id>-<name>", shared by its containers. Task-scoped volumes carry
 * the owner, kind and object labels; shared ones only the user's, since
 * they outlive the task. volumesFrom -> VolumesFrom "<task_id>-<name>[:ro]".
 *
 * Returns 0; -EINVAL when ctx lacks owner or task_id, names an unknown
 * network mode, is awsvpc without pause_id, or when override, secrets or
 * link_names are malformed or a mount names no volume (err says which);
 * -ENOMEM. *out is NULL on error.
 */
int ecs_spec_container(const struct ecs_spec_ctx *ctx, const cJSON *taskdef, const cJSON *cdef,
		       const cJSON *override, const cJSON *secrets, cJSON **out,
		       struct nb_err *err);

/* The entry of RunTask overrides' containerOverrides named name, the
 * override ecs_spec_container() takes; NULL when there is none. */
const cJSON *ecs_spec_override_for(const cJSON *overrides, const char *name);

/*
 * Makes the ContainerCreate body (*out, caller frees) of an awsvpc task's
 * pause container, whose network namespace every container joins: image,
 * Cmd ["sleep", "2147483647"], StopSignal SIGKILL (it holds no state worth
 * a graceful stop, and sleep as PID 1 ignores SIGTERM), the labels with
 * container "~pause", ctx->hostname, and one PortBindings entry on
 * 127.0.0.1 per distinct containerPort/protocol of every container. Those
 * are ephemeral host ports: in awsvpc the definition's hostPort is the
 * task's own address's port (always = containerPort), and publishing it as
 * is would make two copies of a task collide on the host. NetworkMode is
 * left to the engine's default; set it on *out to use another network.
 * Returns 0, -EINVAL (ctx lacks owner or task_id, image is empty) or
 * -ENOMEM.
 */
int ecs_spec_pause(const struct ecs_spec_ctx *ctx, const cJSON *taskdef, const char *image,
		   cJSON **out, struct nb_err *err);

/*
 * Writes the Docker container name nimbusfs gives a task container into out
 * (len bytes, ECS_SPEC_DOCKER_NAME_MAX is enough): "<task_id>-<name>", and
 * "<task_id>.pause" for the pause container (container NULL or "~pause").
 * The pause name uses "." because a container may be called "pause", and no
 * ECS container name holds a ".".
 */
void ecs_spec_docker_name(const char *task_id, const char *container, char *out, size_t len);

/*
 * Reads a container inspect reply's NetworkSettings.Ports (in awsvpc, the
 * pause container's) into DescribeTasks-style networkBindings
 * [{bindIP, containerPort, hostPort, protocol}] (*bindings_out, a new array
 * the caller frees; may be NULL if not wanted) and appends the text of the
 * task's `ports` file to text_out (may be NULL): one line per binding,
 * "8080/tcp -> 127.0.0.1:49153\n" ("[::]:49153" for IPv6), both sorted by
 * container port, then protocol, host address and host port. Ports exposed
 * but not published, and a stopped container's null Ports, give nothing.
 * Returns the number of bindings, -EINVAL (reply not an object, or a
 * malformed Ports entry) or -ENOMEM; on error nothing is appended.
 */
int ecs_spec_bindings(const cJSON *inspect, cJSON **bindings_out, struct nb_buf *text_out,
		      struct nb_err *err);

/*
 * Fills order[] with indexes into taskdef's containerDefinitions in the
 * order they start: each after the ones its dependsOn names, ties kept in
 * definition order. Returns the count, -EINVAL if taskdef has no
 * containerDefinitions array, -ENOSPC if more than max. (A cycle, which
 * ecs_taskdef_parse() refuses, would start its members in definition order.)
 */
int ecs_spec_start_order(const cJSON *taskdef, int *order, int max);

/*
 * Writes into out (len bytes) the reason ECS gives for how a container
 * ended, from its inspect State, as the ECS agent forms it: OOMKilled ->
 * "OutOfMemoryError: Container killed due to memory usage"; else a non-empty
 * State.Error -> "DockerStateError: <Error>"; else "" - ECS reports an exit,
 * by signal or not, only through exitCode, never as a reason.
 */
void ecs_spec_exit_reason(const cJSON *state, char *out, size_t len);

/* Returns the name of the signal an exit code 128+N reports ("SIGKILL" for
 * 137), or NULL when it reports none: for a status file, since ECS itself
 * gives no such reason. */
const char *ecs_spec_exit_signal(int exit_code);

#endif
