/*
 * backend/state/atomic.h - the only writer in the state dir.
 * A crash leaves either the old file or the new one, never a mix.
 */
#ifndef NB_STATE_ATOMIC_H
#define NB_STATE_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

#include "backend/common/err.h"

/* Writes data to "<name>.tmp" in dirfd, fsyncs it, renames it over <name>
 * and fsyncs the directory. Returns 0 or a negative errno (err says which
 * step failed). Blocks on disk I/O. */
int state_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       struct nb_err *err);

/* Skip the fsyncs: the rename still replaces the file whole, but a crash
 * may lose the newest write. For records that a resync restores anyway. */
#define STATE_WRITE_NOSYNC 1u

int state_write_atomic_flags(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			     unsigned flags, struct nb_err *err);

/* Reads all of <name> (at most max bytes, else -EFBIG) into a malloc'd,
 * NUL-terminated buffer. */
int state_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
		    struct nb_err *err);

#endif
