/*
 * fs/lasterr.c - each directory's `last-error`: the reason the last
 * rejected write or mkdir/rmdir in that directory failed. Kept in memory
 * by fs/, which is where an error becomes a reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "fs/fsnode.h"
#include "fs/notify.h"

struct lasterr_entry {
	char *dir;
	char *msg;
	struct timespec when;
	struct lasterr_entry *next;
};

struct fsnode_lasterr {
	pthread_mutex_t lock;
	struct lasterr_entry *head; /* protected by lock */
};

int fsnode_lasterr_new(struct fsnode_lasterr **out)
{
	struct fsnode_lasterr *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	*out = l;
	return 0;
}

void fsnode_lasterr_free(struct fsnode_lasterr *l)
{
	if (!l)
		return;
	for (struct lasterr_entry *e = l->head, *next; e; e = next) {
		next = e->next;
		free(e->dir);
		free(e->msg);
		free(e);
	}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void fsnode_dirname(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n >= len)
		n = len - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

static struct lasterr_entry *find(struct fsnode_lasterr *l, const char *dir)
{
	for (struct lasterr_entry *e = l->head; e; e = e->next)
		if (strcmp(e->dir, dir) == 0)
			return e;
	return NULL;
}

void fsnode_lasterr_set(struct fsnode_ctx *ctx, const char *dir, const char *msg)
{
	struct fsnode_lasterr *l = ctx->lasterr;
	struct lasterr_entry *e;
	char *copy = strdup(msg);
	char path[4096];

	if (!copy)
		return;
	pthread_mutex_lock(&l->lock);
	e = find(l, dir);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (e)
			e->dir = strdup(dir);
		if (!e || !e->dir) {
			pthread_mutex_unlock(&l->lock);
			free(e);
			free(copy);
			return;
		}
		e->next = l->head;
		l->head = e;
	}
	free(e->msg);
	e->msg = copy;
	clock_gettime(CLOCK_REALTIME, &e->when);
	pthread_mutex_unlock(&l->lock);
	snprintf(path, sizeof(path), "%s%slast-error", dir, dir[0] ? "/" : "");
	fsnode_notify_changed(ctx->notify, path);
}

int fsnode_lasterr_render(struct fsnode_lasterr *l, const char *dir, struct nb_buf *out,
			  struct timespec *mtime)
{
	struct lasterr_entry *e;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	e = find(l, dir);
	if (e) {
		ret = nb_buf_printf(out, "%s\n", e->msg);
		*mtime = e->when;
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}
