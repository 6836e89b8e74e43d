/*
 * backend/daemon.h - the control plane's backend, assembled: state
 * dir, engine client, the events subscription, the event hub, health and
 * metrics. The filesystem holds one and reads everything from memory.
 */
#ifndef NB_DAEMON_H
#define NB_DAEMON_H

#include <stdatomic.h>
#include <stdint.h>

#include "backend/common/err.h"
#include "backend/engine/engine.h"
#include "backend/engine/events.h"
#include "backend/state/health.h"
#include "backend/state/hub.h"
#include "backend/state/metrics.h"
#include "backend/state/registry.h"
#include "backend/state/statedir.h"

struct daemon_lambda_image {
	char *runtime;
	char *image;
};

struct daemon_options {
	const char *engine_url;
	const char *state_dir; /* NULL: state_dir_default() */
	const struct daemon_lambda_image *lambda_images;
	int n_lambda_images;
	int lambda_idle_seconds; /* 0: the service's default */
	const char *ec2_image;	 /* NULL: the service's default */
};

struct ecs;
struct lambda;
struct ec2;

struct daemon {
	struct state_dir *dir;
	struct state_registry *registry;
	struct ecs *ecs;
	struct lambda *lambda;
	struct ec2 *ec2;
	struct lambda_image_override *lambda_images;
	struct state_jobs *jobs;
	struct engine *engine;
	struct engine_events *events;
	struct state_hub *hub;
	struct state_health health;
	bool health_ready; /* health was initialised */
	struct state_metrics metrics;
	char owner_label[64]; /* "io.nimbusfs.owner=<id>" */
	const struct daemon_options *opts;
	_Atomic int64_t state_dir_probed_ms; /* monotonic: the last probe from a health read */
};

/* Before health is read: while the state dir refuses writes, probes it
 * again (at most once a second), so room made meanwhile shows at once. */
void daemon_refresh_health(struct daemon *d);

/* Opens the state dir (taking its lock), loads the registry and the
 * services, and makes the engine client; no thread runs yet and the engine
 * is not contacted. */
int daemon_open(const struct daemon_options *opts, struct daemon **out, struct nb_err *err);

/* Starts the background threads; call after the hub has its listener. */
int daemon_start(struct daemon *d, struct nb_err *err);

/* Re-lists the engine now (the root `ctl resync`). -EHOSTDOWN with the
 * reason when the engine is known to be unreachable. Never blocks. */
int daemon_resync(struct daemon *d, struct nb_err *err);

/* Stops the background threads (idempotent); nothing is announced after. */
void daemon_stop(struct daemon *d);

/* Stops every thread and frees everything. */
void daemon_close(struct daemon *d);

#endif
