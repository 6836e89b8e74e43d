/*
 * backend/engine/engine_i.h - helpers shared by the typed Engine API calls,
 * not part of the client's API.
 */
#ifndef NB_ENGINE_I_H
#define NB_ENGINE_I_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"
#include "backend/engine/engine.h"

/* Copies the "Id" of a create reply (container, exec, network) into id_out;
 * -EIO naming what when the reply has none. */
int engine_reply_id(const cJSON *reply, const char *what, char id_out[65], struct nb_err *err);

/* engine.c's transport, which stream.c drives on a multi handle. */

/* "<base>[/vX.Y]<path>", malloc'd; NULL on ENOMEM. */
char *engine_build_url(struct engine *eng, const char *path, bool versioned);
/* Sets up h for req at url; *headers is the caller's to free (also on
 * error). Returns 0 or -ENOMEM. */
int engine_setup_handle(struct engine *eng, CURL *h, const struct engine_req *req, const char *url,
			struct curl_slist **headers, char *errbuf);
/* A transfer that failed: -EHOSTDOWN, -ETIMEDOUT or -ENOMEM with why. */
int engine_curl_error(struct engine *eng, CURL *h, CURLcode rc, const char *errbuf,
		      struct nb_err *err);
/* A non-2xx reply: its errno and the engine's own message; 0 for 2xx/3xx. */
int engine_status_error(struct engine *eng, const struct engine_req *req, long status,
			const struct nb_buf *body, struct nb_err *err);

#endif
