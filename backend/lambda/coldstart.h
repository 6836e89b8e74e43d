/*
 * backend/lambda/coldstart.h - starting a container for a function: image
 * choice, the container spec, uploading the package, and waiting until the
 * emulator answers on its 127.0.0.1 port.
 */
#ifndef NB_LAMBDA_COLDSTART_H
#define NB_LAMBDA_COLDSTART_H

#include <cjson/cJSON.h>

#include "backend/lambda/lambda_i.h"

/* The image a function runs: the override for its runtime, AWS's base
 * image when present, the local shell runtime for provided.* runtimes. */
int lambda_image_for(struct lambda *l, const struct lambda_config *cfg, struct nb_cancel *cancel,
		     char *out, size_t len, struct nb_err *err);

/* The ContainerCreate body (caller deletes), or NULL on ENOMEM. */
cJSON *lambda_container_spec(struct lambda *l, const char *fn_name, const struct lambda_config *cfg,
			     const char *image, const char *fp);

/* What a container is started from, copied under the lock. */
struct lambda_start {
	const char *name;
	struct lambda_config cfg;
	char fp[65];
	char (*layers)[128]; /* layer file names, in order */
	size_t n_layers;
};

/* Starts a container for s, with no lock held; *out is ready to serve.
 * cancel (may be NULL) or the service's stop ends it with -EINTR. What it
 * made is queued for the reaper on failure (takes l->lock for that). */
int lambda_coldstart(struct lambda *l, const struct lambda_start *s, struct nb_cancel *cancel,
		     struct lambda_ctr **out, struct nb_err *err);

#endif
