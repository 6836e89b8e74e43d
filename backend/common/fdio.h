/*
 * backend/common/fdio.h - file descriptor helpers.
 */
#ifndef NB_FDIO_H
#define NB_FDIO_H

#include <stddef.h>

/* Writes all len bytes, retrying on EINTR and short writes (a short write
 * on a regular file means the disk filled; the retry then reports it).
 * Returns 0 or -errno. */
int nb_write_all(int fd, const void *data, size_t len);

#endif
