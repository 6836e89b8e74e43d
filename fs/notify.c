/*
 * fs/notify.c - the notifier thread: invalidations, poll wakeups and
 * parked readers, all off the FUSE workers and off the backend threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/log.h"
#include "fs/notify.h"
#include "fs/park.h"

struct changed_path {
	struct changed_path *next;
	char path[];
};

struct fsnode_notify {
	struct fsnode_ctx *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct changed_path *queue; /* protected by lock */
	bool event_pending;	    /* protected by lock */
	bool stopping;		    /* protected by lock */
};

static void invalidate(struct fsnode_ctx *ctx, const char *path)
{
	fuse_ino_t ino;
	int ret;

	ino = fsnode_table_ino_of(ctx->nodes, path);
	if (!ino || !ctx->se)
		return;
	ret = fuse_lowlevel_notify_inval_inode(ctx->se, ino, 0, 0);
	atomic_fetch_add(&ctx->d->metrics.invalidations, 1);
	/* The kernel may have dropped the inode, or be unmounting. */
	if (ret < 0 && ret != -ENOENT && ret != -EBADF && ret != -ENODEV)
		log_warn("cannot invalidate %s: %s", path, strerror(-ret));
}

static void *notify_thread(void *arg)
{
	struct fsnode_notify *n = arg;

	for (;;) {
		struct changed_path *batch;
		bool event;

		pthread_mutex_lock(&n->lock);
		while (!n->stopping && !n->queue && !n->event_pending)
			pthread_cond_wait(&n->cond, &n->lock);
		if (n->stopping) {
			pthread_mutex_unlock(&n->lock);
			break;
		}
		batch = n->queue;
		n->queue = NULL;
		event = n->event_pending;
		n->event_pending = false;
		pthread_mutex_unlock(&n->lock);

		/* Pollers first (cheap: a wakeup each), then parked readers, then
		 * the invalidations, each a write to the kernel. */
		for (struct changed_path *c = batch; c; c = c->next)
			fsnode_table_changed(n->ctx->nodes, c->path);
		if (event) {
			fsnode_table_changed(n->ctx->nodes, "events");
			fsnode_park_wake(n->ctx->park);
		}
		while (batch) {
			struct changed_path *next = batch->next;

			invalidate(n->ctx, batch->path);
			free(batch);
			batch = next;
		}
	}
	return NULL;
}

int fsnode_notify_start(struct fsnode_ctx *ctx, struct fsnode_notify **out)
{
	struct fsnode_notify *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	n->ctx = ctx;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	ret = -pthread_create(&n->thread, NULL, notify_thread, n);
	if (ret < 0) {
		pthread_cond_destroy(&n->cond);
		pthread_mutex_destroy(&n->lock);
		free(n);
		return ret;
	}
	*out = n;
	return 0;
}

void fsnode_notify_stop(struct fsnode_notify *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stopping = true;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	while (n->queue) {
		struct changed_path *next = n->queue->next;

		free(n->queue);
		n->queue = next;
	}
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

void fsnode_notify_changed(struct fsnode_notify *n, const char *path)
{
	size_t len = strlen(path);
	struct changed_path *c;

	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	for (c = n->queue; c; c = c->next)
		if (strcmp(c->path, path) == 0)
			break;
	if (!c) {
		c = malloc(sizeof(*c) + len + 1);
		if (c) {
			memcpy(c->path, path, len + 1);
			c->next = n->queue;
			n->queue = c;
		}
	}
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

void fsnode_notify_event(struct fsnode_notify *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->event_pending = true;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

static void on_event(void *ud)
{
	fsnode_notify_event(ud);
}

static void on_changed(void *ud, const char *path)
{
	fsnode_notify_changed(ud, path);
}

/* A job's failure goes where a user's would: the directory's last-error. */
static void on_error(void *ud, const char *dir, const char *msg)
{
	struct fsnode_notify *n = ud;

	fsnode_lasterr_set(n->ctx, dir, msg);
}

void fsnode_notify_listener(struct fsnode_notify *n, struct state_hub_listener *l)
{
	l->on_event = on_event;
	l->on_changed = on_changed;
	l->on_error = on_error;
	l->ud = n;
}
