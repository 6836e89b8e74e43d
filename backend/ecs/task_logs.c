/*
 * backend/ecs/task_logs.c - a task's captured output: starting a capture
 * per container (backend/workload/logcap.c does the work), and opening
 * (for fs/ to fstat and pread) and removing what was captured.
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
#include "backend/workload/logcap.h"

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

/* ---- log capture ---- */

struct cap_ud {
	struct ecs *ecs;
	char task[33];
};

static void on_append(void *ud, const char *name, size_t raw, size_t task)
{
	struct cap_ud *c = ud;
	char path[600];

	(void)raw;
	(void)task;
	snprintf(path, sizeof(path), "ecs/tasks/%s/logs", c->task);
	state_hub_changed(c->ecs->hub, path);
	snprintf(path, sizeof(path), "ecs/tasks/%s/containers/%s/logs", c->task, name);
	state_hub_changed(c->ecs->hub, path);
}

/* The container exited and its stream ended: everything it wrote is
 * captured, so the stop job may now end the capture. */
static void on_done(void *ud, const char *name, int err)
{
	struct cap_ud *cu = ud;
	struct ecs_container_rt *c;
	struct ecs_task *t;

	pthread_mutex_lock(&cu->ecs->lock);
	t = ecs_task_find(cu->ecs, cu->task);
	c = t ? ecs_task_container(t, name) : NULL;
	if (c) {
		c->capture_done = true;
		c->capture_failed = err != 0;
	}
	pthread_cond_broadcast(&cu->ecs->changed);
	pthread_mutex_unlock(&cu->ecs->lock);
}

/* The capture's callback context lives as long as the ECS service: one per
 * task, kept in a small arena so stop never races a late callback. */
static struct cap_ud *cap_ud_for(struct ecs *ecs, const char *task)
{
	struct cap_ud *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ecs = ecs;
	snprintf(c->task, sizeof(c->task), "%s", task);
	return c;
}

/* Starts capturing container ci's output. Lock held (the start does not
 * block on the engine). */
void ecs_task_capture_logs(struct ecs *ecs, struct ecs_task *t, int ci)
{
	struct ecs_container_rt *c = &t->c[ci];
	struct wl_logcap_ops ops = { .on_append = on_append,
				     .on_done = on_done,
				     .sole_writer = t->n == 1 };
	struct nb_err err = { 0 };
	char dir[64];
	cleanup_close int dirfd = -1;

	if (c->cap || !c->id[0] || atomic_load(&ecs->stopping))
		return;
	snprintf(dir, sizeof(dir), "%s", t->id);
	if (mkdirat(ecs->logdirfd, dir, 0700) < 0 && errno != EEXIST)
		return (void)log_error(0, "task %s: cannot create its log dir: %s", t->id,
				       strerror(errno));
	dirfd = openat(ecs->logdirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	if (!t->cap_ud)
		t->cap_ud = cap_ud_for(ecs, t->id);
	ops.ud = t->cap_ud;
	c->capture_done = false;
	c->capture_failed = false;
	if (!t->cap_ud ||
	    wl_logcap_start(ecs->eng, c->id, c->name, false, dirfd, &ops, &c->cap, &err) < 0)
		log_error(0, "task %s: cannot capture %s's output: %s", t->id, c->name, err.msg);
}
