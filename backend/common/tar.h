/*
 * backend/common/tar.h - tar archives for the Docker Engine API's
 * PUT /containers/{id}/archive, written by hand (see tar.c for why).
 */
#ifndef NB_COMMON_TAR_H
#define NB_COMMON_TAR_H

#include <stddef.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"

/*
 * Appends to out a tar archive (ustar, with pax records for names or link
 * targets too long for it) of the tree below dir: names relative
 * ("function.sh", "lib/", "lib/x.py"), no entry for dir itself, sorted;
 * owner root (0/0); files 0555 when any execute bit is set, else 0444;
 * directories 0555; symlinks kept as symlinks. Anything else in the tree
 * (fifo, device) is refused with -EINVAL. On failure out is left as it was.
 * Blocks on the file system only.
 */
int nb_tar_dir(const char *dir, struct nb_buf *out, struct nb_err *err);

/* Appends to out a tar archive of one regular file: name (relative, at
 * most 100 bytes), mode, and len bytes of data. */
int nb_tar_file(const char *name, unsigned mode, const void *data, size_t len, struct nb_buf *out,
		struct nb_err *err);

#endif
