/*
 * backend/ecs/task_logs.c - a task's captured output (the workload core
 * captures it): reading and removing it.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/log.h"
#include "backend/ecs/ecs_i.h"

#define LOG_READ_MAX (64u << 20)

int ecs_tasklog_read(int logdirfd, const char *task, const char *container, struct nb_buf *out)
{
	char path[600];
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "%s/%s.log", task, container ? container : "task");
	fd = openat(logdirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* nothing captured yet */
	for (;;) {
		ssize_t n;

		if (nb_buf_reserve(out, 65536) < 0)
			return -ENOMEM;
		n = read(fd, out->data + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (out->len > LOG_READ_MAX)
			return -EFBIG;
	}
	return 0;
}

void ecs_tasklog_remove(int logdirfd, const char *task)
{
	cleanup_close int fd = openat(logdirfd, task, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(dup(fd));
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	unlinkat(logdirfd, task, AT_REMOVEDIR);
}
