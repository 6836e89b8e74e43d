/*
 * backend/engine/exec.h - running a command inside a running container
 * (health checks, user exec). Create, then start (which waits for the
 * command and collects its output), then inspect for the exit code.
 * Every call blocks on the engine and takes no nimbusfs lock.
 */
#ifndef NB_ENGINE_EXEC_H
#define NB_ENGINE_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend/common/buf.h"
#include "backend/common/cancel.h"
#include "backend/common/err.h"
#include "backend/engine/engine.h"

/* POST /containers/{id}/exec for argv (NULL-terminated, at least one
 * element), without a TTY; attach_out collects stdout and stderr at start.
 * Fills exec_id with the exec's Id. -EBUSY when the container is not
 * running, -ENOENT when it does not exist. */
int engine_exec_create(struct engine *eng, const char *container, const char *const argv[],
		       bool attach_out, char exec_id[65], struct nb_err *err);

/*
 * POST /exec/{id}/start. For an exec created with attach_out, blocks until
 * the command exits, appending its stdout to out and its stderr to errout
 * (either may be NULL to discard); without attach_out the engine answers at
 * once and the command runs on: poll engine_exec_inspect(). Each buffer takes at most cap bytes;
 * the rest is read and dropped, so the command never blocks on a full pipe. Returns the number of
 * bytes dropped (0 normally, capped at INT_MAX), -ETIMEDOUT after timeout_ms (0: ENGINE_TIMEOUT_MS;
 * the command keeps running in the container), -EPROTO on a corrupt stream.
 * stop (may be NULL) ends the wait early with -EINTR once it fires; the
 * command keeps running then too.
 */
int engine_exec_start(struct engine *eng, const char *exec_id, struct nb_buf *out,
		      struct nb_buf *errout, size_t cap, long timeout_ms, struct nb_cancel *stop,
		      struct nb_err *err);

/* GET /exec/{id}/json's Pid: the command's process id in the engine
 * host's pid namespace (0 once it exited). */
int engine_exec_pid(struct engine *eng, const char *exec_id, long *pid, struct nb_err *err);

/* GET /exec/{id}/json: *exit_code is -1 while running (either out pointer
 * may be NULL). */
int engine_exec_inspect(struct engine *eng, const char *exec_id, int *exit_code, bool *running,
			struct nb_err *err);

#endif
