/*
 * backend/engine/engine.h - the Docker Engine API client: transport.
 * libcurl over the engine's unix socket (or tcp://), with the API version
 * negotiated from GET /version. Easy handles are pooled so requests from one
 * thread after another reuse a kept-alive connection. Every call is safe from
 * any thread; every call blocks on the engine, so never call one from a FUSE
 * worker. Typed calls for containers, images, networks and exec live in
 * containers.h, images.h, networks.h, exec.h and logs.h, on engine_do().
 */
#ifndef NB_ENGINE_H
#define NB_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/cancel.h"
#include "backend/common/err.h"

/* The newest and oldest Engine API versions nimbusfs speaks. */
#define ENGINE_API_MAX "1.41"
#define ENGINE_API_MIN "1.40"

#define ENGINE_DEFAULT_URL "unix:///var/run/docker.sock"

struct engine;

struct engine_info {
	char name[64];	      /* "Docker Engine - Community", or "Engine" component name */
	char version[64];     /* daemon version, e.g. "20.10.24+dfsg1" */
	char api_version[16]; /* negotiated, e.g. "1.41" */
	char daemon_api[16];  /* what the daemon offers */
	char os[32];
	char arch[32];
};

struct engine_req {
	const char *method;	  /* "GET", "POST", "DELETE", ... */
	const char *path;	  /* below the version prefix: "/containers/json?all=1" */
	const char *content_type; /* default "application/json" when body is set */
	const void *body;
	size_t body_len;
	long timeout_ms; /* 0: ENGINE_TIMEOUT_MS */
};

#define ENGINE_TIMEOUT_MS 30000L

struct engine_resp {
	long status;	    /* HTTP status */
	struct nb_buf body; /* caller frees with nb_buf_free() */
};

/* Parses url ("unix:///path" or "tcp://host:port"); does no I/O.
 * Returns 0 or -EINVAL with the reason in err. */
int engine_new(const char *url, struct engine **out, struct nb_err *err);
void engine_free(struct engine *eng);
const char *engine_url(const struct engine *eng);

/* GET /version, then use min(daemon's API version, ENGINE_API_MAX) for every
 * later call. Fails with -EPROTONOSUPPORT when the daemon is older than
 * ENGINE_API_MIN, -EHOSTDOWN when unreachable. Blocks. */
int engine_negotiate(struct engine *eng, struct engine_info *info, struct nb_err *err);

/* The negotiated API version ("1.41"), or ENGINE_API_MAX before negotiation. */
void engine_api_version(struct engine *eng, char *out, size_t len);

/* GET /_ping; 0 when the engine answers OK. Blocks (short timeout). */
int engine_ping(struct engine *eng, struct nb_err *err);

/*
 * One request/response. Returns 0 on a 1xx-3xx status (304 "not modified",
 * which the engine answers for "already started/stopped", is success), else
 * a negative errno mapped from the status (400 EINVAL, 401/403 EPERM,
 * 404 ENOENT, 409 EBUSY, 5xx EIO) with the engine's own "message" in err.
 * Unreachable engine: -EHOSTDOWN; timeout: -ETIMEDOUT. resp may be NULL.
 */
int engine_do(struct engine *eng, const struct engine_req *req, struct engine_resp *resp,
	      struct nb_err *err);

/* engine_do() with a JSON body (may be NULL) and a parsed JSON reply
 * (*out NULL when the reply is empty; out may be NULL). */
int engine_do_json(struct engine *eng, const char *method, const char *path, const cJSON *body,
		   cJSON **out, struct nb_err *err);

/*
 * A streaming request (events, logs with follow, attach): cb gets each chunk
 * as it arrives and returns nonzero to end the stream. The call returns when
 * the engine ends the stream (0), cb asks to or stop (may be NULL) fires
 * (0), or on error. Firing stop from another thread ends the stream at
 * once, without waiting for data: an idle stream does not wake by itself
 * (no polling). A non-2xx answer is an error carrying the engine's
 * message, as in engine_do().
 */
typedef int (*engine_stream_cb)(const char *data, size_t len, void *ud);
int engine_stream(struct engine *eng, const struct engine_req *req, engine_stream_cb cb, void *ud,
		  struct nb_cancel *stop, struct nb_err *err);

/* What a stream's caller may learn besides its chunks; see
 * engine_stream_hooked(). Every field may be 0. */
struct engine_stream_hooks {
	/* Runs after each read from the connection that delivered chunks,
	 * before the stream waits for more, so a caller that batches what it
	 * receives writes it out there: a burst is handed over a read (up to
	 * 16 KiB) at a time, and a quiet stream's last chunk is never held
	 * back. Returns nonzero to end the stream, as cb does. */
	int (*drained)(void *ud);
	/* Runs once, when the engine has answered 2xx and the stream has then
	 * stayed open settle_ms: it is running, not failing at once. */
	void (*settled)(void *ud);
	long settle_ms;
};

/* engine_stream() with hooks (may be NULL). */
int engine_stream_hooked(struct engine *eng, const struct engine_req *req, engine_stream_cb cb,
			 const struct engine_stream_hooks *hooks, void *ud, struct nb_cancel *stop,
			 struct nb_err *err);

/* URL-escapes s into a malloc'd string (caller frees); NULL on ENOMEM. */
char *engine_escape(const char *s);

#endif
