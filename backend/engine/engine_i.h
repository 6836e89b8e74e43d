/*
 * backend/engine/engine_i.h - helpers shared by the typed Engine API calls,
 * not part of the client's API.
 */
#ifndef NB_ENGINE_I_H
#define NB_ENGINE_I_H

#include <cjson/cJSON.h>

#include "backend/common/err.h"

/* Copies the "Id" of a create reply (container, exec, network) into id_out;
 * -EIO naming what when the reply has none. */
int engine_reply_id(const cJSON *reply, const char *what, char id_out[65], struct nb_err *err);

#endif
