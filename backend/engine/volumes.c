/*
 * backend/engine/volumes.c - listing and removing volumes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/common/cleanup.h"
#include "backend/engine/volumes.h"

int engine_volume_list(struct engine *eng, const char *label_filter, cJSON **out,
		       struct nb_err *err)
{
	cleanup_cjson cJSON *filters = cJSON_CreateObject();
	cleanup_cjson cJSON *reply = NULL;
	cleanup_free char *text = NULL, *escaped = NULL, *path = NULL;
	cJSON *labels = filters ? cJSON_AddArrayToObject(filters, "label") : NULL;
	cJSON *vols;
	int ret;

	*out = NULL;
	if (!labels || !cJSON_AddItemToArray(labels, cJSON_CreateString(label_filter)) ||
	    !(text = cJSON_PrintUnformatted(filters)) || !(escaped = engine_escape(text)) ||
	    asprintf(&path, "/volumes?filters=%s", escaped) < 0) {
		path = NULL;
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	ret = engine_do_json(eng, "GET", path, NULL, &reply, err);
	if (ret < 0)
		return ret;
	vols = cJSON_DetachItemFromObjectCaseSensitive(reply, "Volumes");
	*out = cJSON_IsArray(vols) ? vols : cJSON_CreateArray();
	if (vols && *out != vols)
		cJSON_Delete(vols);
	return *out ? 0 : nb_err_set(err, -ENOMEM, "out of memory");
}

int engine_volume_remove(struct engine *eng, const char *name, bool force, struct nb_err *err)
{
	cleanup_free char *escaped = engine_escape(name);
	cleanup_free char *path = NULL;
	struct engine_req req = { .method = "DELETE" };

	if (!escaped || asprintf(&path, "/volumes/%s%s", escaped, force ? "?force=1" : "") < 0) {
		path = NULL;
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	req.path = path;
	return engine_do(eng, &req, NULL, err);
}
