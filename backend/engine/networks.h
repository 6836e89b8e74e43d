/*
 * backend/engine/networks.h - typed Engine API calls on networks.
 * Every call blocks on the engine and takes no nimbusfs lock.
 */
#ifndef NB_ENGINE_NETWORKS_H
#define NB_ENGINE_NETWORKS_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"
#include "backend/engine/engine.h"

/* POST /networks/create: a bridge network named name, carrying labels (a
 * JSON object of strings; may be NULL). -EBUSY when the name is taken.
 * Fills id_out with the network's Id. */
int engine_network_create(struct engine *eng, const char *name, const cJSON *labels,
			  char id_out[65], struct nb_err *err);

/* As engine_network_create(), with an IPAM subnet ("10.1.0.0/24"; NULL: the
 * engine picks one) and, when internal, no route out of the network. A
 * subnet overlapping another network's is -EBUSY (the engine's 403 "Pool
 * overlaps" is mapped so) or -EPERM, with the engine's message. */
int engine_network_create_subnet(struct engine *eng, const char *name, const cJSON *labels,
				 const char *subnet, bool internal, char id_out[65],
				 struct nb_err *err);

/* GET /networks/{id}; -ENOENT when absent. *out is the caller's to
 * cJSON_Delete(). */
int engine_network_inspect(struct engine *eng, const char *id_or_name, cJSON **out,
			   struct nb_err *err);

/* DELETE /networks/{id}. While a running container is attached the engine
 * answers 403 "has active endpoints", so that is -EPERM, as is removing a
 * predefined network; a created but stopped container does not hold it. */
int engine_network_remove(struct engine *eng, const char *id, struct nb_err *err);

/* POST /networks/{net}/connect: attaches container, reachable by the
 * NULL-terminated aliases (aliases itself may be NULL). */
int engine_network_connect(struct engine *eng, const char *net, const char *container,
			   const char *const aliases[], struct nb_err *err);

#endif
