/*
 * backend/lambda/lambda_i.h - the Lambda service's insides, shared by its
 * files: function.c (functions), function_files.c (their files), deploy*.c
 * (packages and layers), warm.c (the warm container pool), coldstart.c
 * (starting one), invoke.c (invocations) and reaper.c (idle eviction and
 * container removal).
 *
 * One lock, l->lock, guards every function, its settings and its warm
 * containers. Nothing that waits on the engine or a container runs with it
 * held.
 */
#ifndef NB_LAMBDA_I_H
#define NB_LAMBDA_I_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "backend/common/index.h"
#include "backend/lambda/fnconfig.h"
#include "backend/lambda/lambda.h"

#define LAMBDA_DIR "lambda"
/* A deleted function's directory, moved aside until it is removed. */
#define LAMBDA_TOMBSTONE ".deleted-"
/* How long a started container may take to answer on its port. */
#define LAMBDA_READY_MS 10000
/* The emulator's invoke path, on port 8080 of every runtime image. */
#define LAMBDA_INVOKE_PATH "/2015-03-31/functions/function/invocations"

/* A warm container. */
struct lambda_ctr {
	char id[65];
	char fp[65]; /* the configuration it runs */
	int port;    /* published on 127.0.0.1 */
	bool busy;   /* serving an invocation */
	uint64_t served;
	struct timespec started, idle_since; /* CLOCK_MONOTONIC */
	CURL *curl;			     /* keeps its connection to the container alive */
	struct lambda_ctr *next;
};

struct lambda_layer {
	char name[128]; /* "01-deps.zip" */
	char sha[45];
	uint64_t size, unzipped;
	struct timespec mtime;
};

struct lambda_fn {
	char name[LAMBDA_FUNCTION_NAME_MAX + 1];
	struct lambda_config cfg;
	char fp[65]; /* cfg's fingerprint with the layers': what a container must run */
	uint64_t code_unzipped;
	struct lambda_layer *layers; /* sorted by name */
	size_t n_layers;
	struct timespec mtime[LAMBDA_F_WARM + 1]; /* CLOCK_REALTIME, per file */
	struct lambda_ctr *ctrs;
	int n_reserved;	 /* invocations admitted, holding no container (yet) */
	int n_starting;	 /* containers being started */
	bool cold_start; /* one is: cold starts of a function are serialized */
	struct nb_buf response;
	struct nb_buf last_invocation;
	/* the state before a package is processed, to come back to */
	char saved_state[16], saved_reason[256], saved_code[64];
	int refs; /* the list's, plus one per invocation in flight */
	bool deleted;
	struct lambda_fn *next;	 /* newest first */
	struct nb_index_link ix; /* l->fn_index, by name */
};

struct lambda_reap {
	char id[65];
	CURL *curl;
	struct lambda_reap *next;
};

struct lambda_async {
	char name[LAMBDA_FUNCTION_NAME_MAX + 1];
	char *payload;
	size_t len;
	struct lambda_async *next;
};

struct lambda {
	struct lambda_deps deps;
	char owner[64];
	int dirfd; /* <state>/lambda */
	/* Lock order: deploy, then lock (a deploy records its outcome under
	 * lock); never lock, then deploy. */
	pthread_mutex_t lock;
	pthread_cond_t freed;	/* a container became free or a cold start ended */
	pthread_mutex_t deploy; /* one package is processed at a time */
	struct lambda_fn *fns;
	/* protected by lock: fns by name */
	struct nb_index fn_index;

	/* reaper.c: idle eviction and removals, off every user's path */
	pthread_cond_t reaper_wake;
	struct lambda_reap *reap;
	time_t reaper_next; /* the idle deadline it sleeps until; 0: none */
	pthread_t reaper;
	/* the async queue */
	pthread_cond_t async_wake;
	struct lambda_async *aq, *aq_tail;
	pthread_t async_thread;
	/* Fired when the service stops: the Event invocation running and every
	 * cold start end. */
	struct nb_cancel async_cancel;
	bool threads;
	bool stopping; /* protected by lock */
};

/* function.c */
struct lambda_fn *lambda_fn_find(struct lambda *l, const char *name);
void lambda_fn_put(struct lambda *l, struct lambda_fn *fn);
/* Writes <state>/lambda/<name>/<file> atomically (file may be "layers/x"). */
int lambda_fn_write(struct lambda *l, const char *name, const char *file, const void *data,
		    size_t len, struct nb_err *err);
/* Appends <state>/lambda/<fn>/<file> to out (nothing when it does not
 * exist; -EFBIG over max bytes). Needs no lock. */
int lambda_fn_read(struct lambda *l, const char *fn, const char *file, size_t max,
		   struct nb_buf *out);
/* Persists cfg as fn's config (lock held). */
int lambda_fn_save(struct lambda *l, const struct lambda_fn *fn, const struct lambda_config *cfg,
		   struct nb_err *err);
/* Recomputes fn->fp and Active/Pending from what fn has (lock held). */
void lambda_fn_refresh(struct lambda *l, struct lambda_fn *fn);
/* Announces what happened to a function on the events stream. */
void lambda_publish(struct lambda *l, const char *name, const char *action, const char *key,
		    const char *value);
/* Marks a function file changed for readers and pollers. */
void lambda_fn_touch(struct lambda *l, struct lambda_fn *fn, enum lambda_file f);
/* The function's directory in the state dir: "<state>/lambda/<name>". */
void lambda_fn_path(struct lambda *l, const struct lambda_fn *fn, const char *file, char *out,
		    size_t len);

/* deploy.c */
int lambda_deploy_code(struct lambda *l, const char *name, const char *zip, size_t len,
		       struct nb_err *err);
int lambda_load_layers(struct lambda *l, struct lambda_fn *fn);
/* At load, before the package and layers are read: finishes (config.json
 * names the staged package) or undoes (it does not) a deploy a crash cut
 * short, so that each package is whole, old or new. */
void lambda_deploy_recover(struct lambda *l, struct lambda_fn *fn);
/* The tar of a function's code (layer NULL) or of one of its layers, for
 * upload. Reads the state dir only: no lock needed. */
int lambda_read_tar(struct lambda *l, const char *name, const char *layer, struct nb_buf *out,
		    struct nb_err *err);

/* warm.c */
/* An invocation's hold on its function: a reservation (ctr NULL), which
 * counts against reserved concurrency as a busy container does, or a
 * leased container. Either holds a reference on fn. */
struct lambda_lease {
	struct lambda_fn *fn;
	struct lambda_ctr *ctr;
	bool cold;
	double init_ms;
	int timeout_s, memory_mb;
};
/* Reserves capacity for one invocation of name: -ENOENT, -EBUSY (not
 * Active), -ESHUTDOWN, else at the function's reserved concurrency -EAGAIN
 * (wait: waits for capacity, until cancel fires: -EINTR). Starts nothing;
 * without wait it never blocks. */
int lambda_reserve(struct lambda *l, const char *name, bool wait, struct nb_cancel *cancel,
		   struct lambda_lease *lease, struct nb_err *err);
/* Turns a reservation into a free container running fn's current
 * configuration, starting one when none is (cold starts of a function one
 * at a time: a second waits for the first). Blocks; cancel (may be NULL)
 * ends it with -EINTR, a half-started container going to the reaper. On
 * failure lease is still the reservation. */
int lambda_acquire(struct lambda *l, struct lambda_lease *lease, struct nb_cancel *cancel,
		   struct nb_err *err);
/* Gives the container back (discard: remove it), or the reservation, and
 * drops the reference. */
void lambda_release(struct lambda *l, struct lambda_lease *lease, bool discard);
/* Renders `warm`. */
void lambda_warm_render(struct lambda *l, struct lambda_fn *fn, struct nb_buf *out);
/* Moves every idle container of fn (all: busy ones too) to the reaper. */
void lambda_warm_evict(struct lambda *l, struct lambda_fn *fn, bool all);

/* reaper.c */
int lambda_reaper_start(struct lambda *l);
void lambda_reaper_stop(struct lambda *l);
/* Removes what is queued now, from the caller's thread. */
void lambda_reaper_flush(struct lambda *l);
/* Queues a container for removal (lock held); takes c. */
void lambda_reap(struct lambda *l, struct lambda_ctr *c);
void lambda_reap_id(struct lambda *l, const char *id);

/* invoke.c */
int lambda_async_start(struct lambda *l);
void lambda_async_stop(struct lambda *l);

#endif
