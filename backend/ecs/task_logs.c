/*
 * backend/ecs/task_logs.c - a task's captured output (the workload core
 * captures it): opening it (for fs/ to fstat and pread) and removing it.
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

int ecs_task_log_open(struct ecs *ecs, const char *id, const char *container, int *fd,
		      struct timespec *mtime)
{
	struct ecs_task *t;
	char path[600];
	bool found;

	*fd = -1;
	pthread_mutex_lock(&ecs->lock);
	t = ecs_task_find(ecs, id);
	found = t && (!container || ecs_task_container(t, container));
	if (found)
		*mtime = t->mtime;
	pthread_mutex_unlock(&ecs->lock);
	if (!found)
		return -ENOENT;
	/* Without the lock: a log of any size costs one open, and the
	 * capture appends to the file while readers pread it. */
	snprintf(path, sizeof(path), "%s/%s.log", id, container ? container : "task");
	*fd = openat(ecs->logdirfd, path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 && errno != ENOENT) /* ENOENT: nothing captured yet */
		return -errno;
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
