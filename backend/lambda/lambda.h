/*
 * backend/lambda/lambda.h - the Lambda service: functions made with mkdir,
 * configured through one-value files and config.json, deployed from zips,
 * invoked on warm containers that speak the Runtime Interface Emulator's
 * protocol on a 127.0.0.1 port.
 *
 * Every call but lambda_invoke answers from memory or the state dir and
 * never waits on the engine. lambda_invoke waits for the invocation: it is
 * the transaction a user asked for by writing a payload.
 */
#ifndef NB_LAMBDA_H
#define NB_LAMBDA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/cancel.h"
#include "backend/common/err.h"

/* Lambda's synchronous invoke payload limit (request and response). */
#define LAMBDA_PAYLOAD_MAX (6u * 1024 * 1024)
/* The image that serves provided.* runtimes when no override is given and
 * AWS's base image is not present: built by tools/build-lambda-image.sh. */
#define LAMBDA_LOCAL_PROVIDED_IMAGE "local/lambda-provided:al2023"
#define LAMBDA_IDLE_DEFAULT	    300

struct lambda;
struct engine;
struct state_health;
struct state_hub;

struct lambda_image_override {
	const char *runtime;
	const char *image;
};

struct lambda_deps {
	struct engine *eng;
	struct state_hub *hub;
	struct state_health *health;
	const char *owner; /* the io.nimbusfs.owner label value */
	int statedirfd;
	const char *state_path;
	const struct lambda_image_override *images;
	int n_images;
	int idle_seconds; /* warm containers idle this long are removed */
};

/* The files of a function directory that hold one setting each. */
enum lambda_file {
	LAMBDA_F_CONFIG,
	LAMBDA_F_RUNTIME,
	LAMBDA_F_HANDLER,
	LAMBDA_F_TIMEOUT,
	LAMBDA_F_MEMORY,
	LAMBDA_F_EPHEMERAL,
	LAMBDA_F_ENVIRONMENT,
	LAMBDA_F_CONCURRENCY,
	LAMBDA_F_IMAGE,
	LAMBDA_F_CODE_ZIP,
	LAMBDA_F_CODE_SHA,
	LAMBDA_F_STATE,
	LAMBDA_F_RESPONSE,
	LAMBDA_F_LAST_INVOCATION,
	LAMBDA_F_LOGS,
	LAMBDA_F_WARM,
};

/* Loads the functions in the state dir. */
int lambda_new(const struct lambda_deps *deps, struct lambda **out, struct nb_err *err);
void lambda_free(struct lambda *l);

/* Starts the idle-eviction and async-invoke threads. Warm containers a
 * previous run left are removed when the engine lists them (on_sync). */
int lambda_start(struct lambda *l, struct nb_err *err);
/* Stops the threads and removes every warm container. Idempotent. */
void lambda_stop(struct lambda *l);

/* The engine's list of our containers (after every reconnect) and its
 * events: warm containers no function holds are removed. */
void lambda_on_sync(struct lambda *l, const cJSON *containers);
void lambda_on_event(struct lambda *l, const cJSON *event);

int lambda_create(struct lambda *l, const char *name, struct nb_err *err);
/* Deletes the function, its package and its containers. */
int lambda_delete(struct lambda *l, const char *name, struct nb_err *err);
bool lambda_exists(struct lambda *l, const char *name);
int lambda_list(struct lambda *l, int (*emit)(void *ud, const char *name), void *ud);

/* A function's file, from memory (code.zip from the state dir; logs are
 * only opened: -EOPNOTSUPP). */
int lambda_render(struct lambda *l, const char *name, enum lambda_file f, struct nb_buf *out,
		  struct timespec *mtime);
/*
 * The files backed by the state dir: `logs` and `code.zip` (f), and
 * layers/NN-name.zip. Opens the file read-only into *fd, or -1 when there
 * is none yet (no invocation, no package); *mtime is when the service
 * last changed it. -ENOENT when the function or layer is gone, -EINVAL
 * for another f. Takes the lock only to find the function; the open, and
 * the caller's fstat and pread, happen without it.
 */
int lambda_file_open(struct lambda *l, const char *name, enum lambda_file f, int *fd,
		     struct timespec *mtime);
int lambda_layer_open(struct lambda *l, const char *name, const char *layer, int *fd,
		      struct timespec *mtime);
/* A write to a setting file (config.json, runtime, ..., code.zip, warm).
 * Validated whole before anything changes. */
int lambda_write(struct lambda *l, const char *name, enum lambda_file f, const char *data,
		 size_t len, struct nb_err *err);

/* Layers: layers/NN-name.zip, unpacked into /opt in name order. */
int lambda_layer_create(struct lambda *l, const char *name, const char *layer, struct nb_err *err);
int lambda_layer_write(struct lambda *l, const char *name, const char *layer, const char *data,
		       size_t len, struct nb_err *err);
int lambda_layer_remove(struct lambda *l, const char *name, const char *layer, struct nb_err *err);
bool lambda_layer_exists(struct lambda *l, const char *name, const char *layer);
int lambda_layer_list(struct lambda *l, const char *name, int (*emit)(void *ud, const char *n),
		      void *ud);
int lambda_layer_render(struct lambda *l, const char *name, const char *layer, struct nb_buf *out,
			struct timespec *mtime);

/* code/: rel is a path below the unpacked package ("" for its top). */
enum lambda_code_kind { LAMBDA_CODE_NONE, LAMBDA_CODE_DIR, LAMBDA_CODE_FILE, LAMBDA_CODE_LINK };
enum lambda_code_kind lambda_code_kind(struct lambda *l, const char *name, const char *rel);
int lambda_code_list(struct lambda *l, const char *name, const char *rel,
		     int (*emit)(void *ud, const char *n), void *ud);
int lambda_code_render(struct lambda *l, const char *name, const char *rel, struct nb_buf *out,
		       struct timespec *mtime);

/*
 * A synchronous invocation, in two steps. prepare checks the payload (JSON,
 * at most 6 MB) and reserves capacity for it, at once and never waiting on
 * the engine: -EINVAL not JSON, -EFBIG too large, -EAGAIN throttled
 * (TooManyRequestsException: the function's reserved concurrency counts
 * reservations, busy containers and cold starts), -EBUSY not Active,
 * -EHOSTDOWN engine unreachable; each with the reason in err. run, on the
 * caller's thread, leases a free container running the function's current
 * configuration or starts one (-EIO, -ETIMEDOUT: it did not start) and
 * performs the invocation: answer gets the response (the function's, or
 * its error as Lambda returns it), as do `response`, `last-invocation` and
 * `logs`. discard gives an unused reservation back. run and discard consume
 * call. Firing cancel (may be NULL) ends a run early with -EINTR, during a
 * cold start or a wait for one too: its container is discarded (removed by
 * the reaper), as it may be half started or still running the function.
 */
struct lambda_call;
int lambda_invoke_prepare(struct lambda *l, const char *name, const char *payload, size_t len,
			  struct lambda_call **call, struct nb_err *err);
int lambda_invoke_run(struct lambda *l, struct lambda_call *call, const char *payload, size_t len,
		      struct nb_cancel *cancel, struct nb_buf *answer, struct nb_err *err);
void lambda_invoke_discard(struct lambda *l, struct lambda_call *call);
/* An Event invocation: validated and queued; runs in the background. */
int lambda_invoke_async(struct lambda *l, const char *name, const char *payload, size_t len,
			struct nb_err *err);

#endif
