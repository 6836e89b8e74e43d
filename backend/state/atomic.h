/*
 * backend/state/atomic.h - the only writer in the state dir.
 * A crash leaves either the old file or the new one, never a mix.
 */
#ifndef NB_STATE_ATOMIC_H
#define NB_STATE_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "backend/common/err.h"

/* Writes data to "<name>.tmp" in dirfd, fsyncs it, renames it over <name>
 * and fsyncs the directory. Returns 0 or a negative errno (err says which
 * step failed). Blocks on disk I/O. dirfd must be in the state dir: the
 * outcome updates the state dir's refusal mark (below). */
int state_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       struct nb_err *err);

/* Skip the fsyncs: the rename still replaces the file whole, but a crash
 * may lose the newest write. For records that a resync restores anyway. */
#define STATE_WRITE_NOSYNC 1u

int state_write_atomic_flags(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			     unsigned flags, struct nb_err *err);

/*
 * Whether the state dir takes writes, as the writes themselves find out: a
 * write that fails with ENOSPC, EDQUOT, EROFS or EIO (a full, over-quota,
 * read-only or failing disk, not a problem of one file) marks the state dir
 * as refusing writes, with the reason "state dir refuses writes: <what
 * failed>"; the next write that succeeds clears the mark. Process-wide, as
 * the state dir is; a success while nothing is marked costs one atomic load.
 */

/* Called on every change of the mark, with its reason or NULL when
 * cleared, under the mark's lock (so calls arrive in order) and often
 * under the caller's locks (the registry's): must not block or write to
 * the state dir. fn NULL unregisters; one watcher at a time. */
typedef void (*state_write_watch_fn)(void *ud, const char *reason_or_null);
void state_write_watch(state_write_watch_fn fn, void *ud);

/* Unregisters fn/ud if they are the watcher (a later one may have
 * replaced them). */
void state_write_unwatch(state_write_watch_fn fn, void *ud);

/* True while the state dir is marked as refusing writes; copies the
 * reason to reason (len bytes, may be 0). */
bool state_write_refused(char *reason, size_t len);

/* The prefix of the mark's reason, also used by state_dir_check_writable()
 * so that both name one problem the same way. */
#define STATE_WRITE_REFUSED "state dir refuses writes"

/* Reads all of <name> (at most max bytes, else -EFBIG) into a malloc'd,
 * NUL-terminated buffer. */
int state_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
		    struct nb_err *err);

#endif
