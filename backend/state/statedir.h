/*
 * backend/state/statedir.h - the state dir: where nimbusfs keeps what must
 * survive a restart, locked so that two daemons never share one.
 */
#ifndef NB_STATE_STATEDIR_H
#define NB_STATE_STATEDIR_H

#include <stddef.h>

#include "backend/common/err.h"

#define STATE_ID_LEN 16 /* hex chars of the owner id */

struct state_dir {
	char *path;
	int dirfd;		   /* O_PATH|O_DIRECTORY on path */
	int lockfd;		   /* holds the flock for the daemon's life */
	char id[STATE_ID_LEN + 1]; /* stable per state dir: the io.nimbusfs.owner label */
};

/* The default: /var/lib/nimbusfs for root, else $XDG_STATE_HOME/nimbusfs
 * (~/.local/state/nimbusfs). */
int state_dir_default(char *out, size_t len, struct nb_err *err);

/* Creates path (and parents) if needed, takes its lock and loads or creates
 * its owner id. -EBUSY when another nimbusfs holds it (err names its pid). */
int state_dir_open(const char *path, struct state_dir **out, struct nb_err *err);
void state_dir_close(struct state_dir *sd);

/* Records the calling process in the lock file (after a daemonizing fork). */
int state_dir_record_pid(struct state_dir *sd, struct nb_err *err);

/* 0 when the state dir accepts writes, else -errno with the reason
 * ("state dir refuses writes: ..."). Blocks on disk I/O: an atomic write
 * of a STATE_DIR_PROBE_BYTES probe file, then its unlink. */
#define STATE_DIR_PROBE_BYTES 512
int state_dir_check_writable(struct state_dir *sd, struct nb_err *err);

#endif
