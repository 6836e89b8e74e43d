/*
 * backend/state/registry.h - the object registry the services keep their
 * records in: JSON documents by kind and id, in memory for reads and in
 * the state dir (<kind>/<id>.json, written atomically) for restarts. An id
 * too long for that file name is kept as <kind>/~<sha256 of id, hex>.json,
 * holding {"id": ID, "record": DOC}; callers see only the id.
 * One lock for the whole registry; no call blocks on the engine, and only
 * put/remove/load do disk I/O.
 */
#ifndef NB_STATE_REGISTRY_H
#define NB_STATE_REGISTRY_H

#include <stdint.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"
#include "backend/state/statedir.h"

#define STATE_REGISTRY_ID_MAX 255 /* a kind's name */
/* The longest id kept under its own file name: "<id>.json.tmp" must fit a
 * 255-byte file name. Longer ones get a hashed file name. */
#define STATE_REGISTRY_RECORD_ID_MAX 246
/* The longest id: more than any service's names need ("FAMILY:REV" with a
 * 255-char ECS family). */
#define STATE_REGISTRY_LONG_ID_MAX 512

struct state_registry;

int state_registry_new(struct state_dir *dir, struct state_registry **out);
void state_registry_free(struct state_registry *reg);

/* Loads every <kind>/<id>.json of the state dir into memory; files that do
 * not parse are skipped with a warning (a crash leaves none: writes are
 * atomic). Returns the number loaded or a negative errno. */
int state_registry_load(struct state_registry *reg, const char *kind, struct nb_err *err);

/* Stores doc (copied) as kind/id: on disk first, then in memory, so a
 * failed write changes nothing. kind: 1-255 chars, id: 1-512 chars; neither
 * may hold '/' or be "." or "..", and an id may not be '~' and 64 lowercase
 * hex digits (a hashed file name's). -EINVAL otherwise. */
int state_registry_put(struct state_registry *reg, const char *kind, const char *id,
		       const cJSON *doc, struct nb_err *err);

/* As state_registry_put(), with state_write_atomic_flags() flags
 * (STATE_WRITE_NOSYNC for records a resync can restore). */
int state_registry_put_flags(struct state_registry *reg, const char *kind, const char *id,
			     const cJSON *doc, unsigned flags, struct nb_err *err);

/* Forgets kind/id, on disk and in memory. -ENOENT when absent. */
int state_registry_remove(struct state_registry *reg, const char *kind, const char *id,
			  struct nb_err *err);

/* A copy of kind/id's document (caller deletes). -ENOENT when absent. */
int state_registry_get(struct state_registry *reg, const char *kind, const char *id, cJSON **out);

/* Appends kind/id's document as formatted JSON plus a newline, and when
 * it was stored. -ENOENT when absent. */
int state_registry_render(struct state_registry *reg, const char *kind, const char *id,
			  struct nb_buf *out, struct timespec *mtime);

int state_registry_exists(struct state_registry *reg, const char *kind, const char *id);

/* Calls emit for each id of kind, in the order they were first stored;
 * stops at the first non-zero return and returns it. The lock is held:
 * emit must not call back into the registry. */
int state_registry_list(struct state_registry *reg, const char *kind,
			int (*emit)(void *ud, const char *id), void *ud);

/* Loads kind from the state dir (state_registry_load) and copies out its
 * ids as a JSON array of strings, in list order, for loaders that read
 * each record back (emit may not). *out is the caller's. */
int state_registry_load_ids(struct state_registry *reg, const char *kind, cJSON **out,
			    struct nb_err *err);

size_t state_registry_count(struct state_registry *reg, const char *kind);

#endif
