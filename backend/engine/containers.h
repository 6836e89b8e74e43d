/*
 * backend/engine/containers.h - typed Engine API calls on containers.
 * Each call is one request on engine_do(); each blocks on the engine, so
 * none may run on a FUSE worker. None takes a nimbusfs lock. Errors carry
 * the engine's own message: -ENOENT no such container, -EBUSY conflict
 * (e.g. removing a running container), -EHOSTDOWN engine unreachable.
 * id may be a container id, a unique id prefix or a name.
 */
#ifndef NB_ENGINE_CONTAINERS_H
#define NB_ENGINE_CONTAINERS_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"
#include "backend/engine/engine.h"

/* Longest stop grace period we ask the engine for. */
#define ENGINE_STOP_TIMEOUT_MAX 3600

/* POST /containers/create?name=; spec is the engine's ContainerConfig body.
 * name NULL lets the engine pick one. Fills id_out with the 64-hex Id. */
int engine_container_create(struct engine *eng, const char *name, const cJSON *spec,
			    char id_out[65], struct nb_err *err);

/* POST /containers/{id}/start; already running is success. */
int engine_container_start(struct engine *eng, const char *id, struct nb_err *err);

/* POST /containers/{id}/stop?t=timeout_s (0..ENGINE_STOP_TIMEOUT_MAX): SIGTERM,
 * then SIGKILL after timeout_s. Already stopped is success. Blocks up to
 * timeout_s plus a margin. */
int engine_container_stop(struct engine *eng, const char *id, int timeout_s, struct nb_err *err);

/* POST /containers/{id}/restart?t=timeout_s: stop as above, then start
 * again in place (same filesystem, same id). */
int engine_container_restart(struct engine *eng, const char *id, int timeout_s, struct nb_err *err);

/* PUT /containers/{id}/archive?path=dest: extracts the tar archive (len
 * bytes) at dest, which must exist in the container. Works on a created
 * container that never ran. */
int engine_container_put_archive(struct engine *eng, const char *id, const char *dest,
				 const void *tar, size_t len, struct nb_err *err);

/* POST /containers/{id}/kill?signal= (NULL: SIGKILL). A container that is
 * not running is -EBUSY. */
int engine_container_kill(struct engine *eng, const char *id, const char *signal,
			  struct nb_err *err);

/* DELETE /containers/{id}; force kills a running container first, volumes
 * also removes its anonymous volumes. */
int engine_container_remove(struct engine *eng, const char *id, bool force, bool volumes,
			    struct nb_err *err);

/* GET /containers/{id}/json; *out is the caller's to cJSON_Delete(). */
int engine_container_inspect(struct engine *eng, const char *id, cJSON **out, struct nb_err *err);

/*
 * POST /containers/{id}/wait?condition= ("not-running", "next-exit" or
 * "removed"; NULL: "not-running"). Blocks until the condition holds or
 * timeout_ms passes (0: ENGINE_TIMEOUT_MS), then -ETIMEDOUT. Fills
 * *exit_code (may be NULL) with the container's exit status.
 */
int engine_container_wait(struct engine *eng, const char *id, const char *condition,
			  long timeout_ms, int *exit_code, struct nb_err *err);

/* GET /containers/json, only containers carrying label_filter ("key" or
 * "key=value"; NULL: all), stopped ones too when all. *out is a JSON array,
 * the caller's to cJSON_Delete(). */
int engine_container_list(struct engine *eng, const char *label_filter, bool all, cJSON **out,
			  struct nb_err *err);

#endif
