/*
 * backend/common/fdio.c - file descriptor helpers.
 */
#include <errno.h>
#include <unistd.h>

#include "backend/common/fdio.h"

int nb_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
