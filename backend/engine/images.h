/*
 * backend/engine/images.h - typed Engine API calls on images.
 * Import and pull answer with a stream of JSON progress objects, and the
 * engine reports a failure that happens after the first one inside that
 * stream, under HTTP 200; these calls turn such an object into an error.
 * Every call blocks on the engine and takes no nimbusfs lock.
 */
#ifndef NB_ENGINE_IMAGES_H
#define NB_ENGINE_IMAGES_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"
#include "backend/engine/engine.h"

/* How long an import or a pull may take before -ETIMEDOUT. */
#define ENGINE_IMPORT_TIMEOUT_MS (5 * 60 * 1000L)
#define ENGINE_PULL_TIMEOUT_MS	 (30 * 60 * 1000L)

/* Gets each progress object ({"status": ..., "progress": ...}); returns 0
 * to go on, nonzero to abandon the pull (-ECANCELED). */
typedef int (*engine_progress_cb)(const cJSON *msg, void *ud);

/* GET /images/{ref}/json; -ENOENT when the image is absent. *out is the
 * caller's to cJSON_Delete(). */
int engine_image_inspect(struct engine *eng, const char *ref, cJSON **out, struct nb_err *err);

/* GET /images/json; *out is a JSON array, the caller's to cJSON_Delete(). */
int engine_image_list(struct engine *eng, cJSON **out, struct nb_err *err);

/* POST /images/create?fromSrc=- with a root filesystem tarball (len > 0),
 * tagged repo:tag (tag NULL: "latest"). -EIO with the engine's message when
 * the tarball is refused, even inside a 200 reply. */
int engine_image_import(struct engine *eng, const void *tar, size_t len, const char *repo,
			const char *tag, struct nb_err *err);

/* POST /images/{ref}/tag?repo=&tag= (tag NULL: "latest"). */
int engine_image_tag(struct engine *eng, const char *ref, const char *repo, const char *tag,
		     struct nb_err *err);

/* POST /images/create?fromImage=&tag= for ref ("name", "name:tag",
 * "host:port/name:tag", "name@sha256:..."; no tag means "latest", never
 * "every tag"). cb (may be NULL) sees each progress object. */
int engine_image_pull(struct engine *eng, const char *ref, engine_progress_cb cb, void *ud,
		      struct nb_err *err);
/* engine_image_pull() that firing stop (may be NULL) ends at once, with
 * -EINTR (the image's layers pulled so far stay). */
int engine_image_pull_cancel(struct engine *eng, const char *ref, engine_progress_cb cb, void *ud,
			     struct nb_cancel *stop, struct nb_err *err);

/* Splits ref into the repository name and the tag or digest that the
 * engine's fromImage/tag arguments want. 0 or -EINVAL. Does not block. */
int engine_image_ref_split(const char *ref, char *name, size_t name_len, char *tag, size_t tag_len,
			   struct nb_err *err);

#endif
