/*
 * backend/engine/volumes.h - typed Engine API calls on volumes: the ones
 * nimbusfs creates for tasks carry its labels and go with the task.
 */
#ifndef NB_ENGINE_VOLUMES_H
#define NB_ENGINE_VOLUMES_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"
#include "backend/engine/engine.h"

/* GET /volumes filtered by a label ("key" or "key=value"); *out is the
 * reply's "Volumes" array (the caller deletes it). */
int engine_volume_list(struct engine *eng, const char *label_filter, cJSON **out,
		       struct nb_err *err);

/* DELETE /volumes/{name}; -ENOENT when absent, -EBUSY while in use. */
int engine_volume_remove(struct engine *eng, const char *name, bool force, struct nb_err *err);

#endif
