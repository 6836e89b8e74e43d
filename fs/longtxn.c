/*
 * fs/longtxn.c - long transactions (a Lambda invoke) run on a thread of
 * their own, never on a FUSE worker: the read or close that runs one is
 * answered when it ends, and an interrupt (Ctrl-C) cancels it, so the
 * caller returns at once with EINTR.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/log.h"
#include "fs/longtxn.h"
#include "fs/openfile.h"

struct longtxn {
	struct fsnode_longtxns *l;
	struct longtxn *next_queued;
	fuse_req_t req;
	struct fsnode_file *f;
	size_t size;
	off_t off;
	bool is_read;
	struct nb_cancel cancel;
	struct longtxn *next;
};

/* Runner threads are kept for the next run: creating one per invocation
 * costs more than the rest of nimbusfs's part of a warm invoke. */
#define LONGTXN_IDLE_MAX 4

struct fsnode_longtxns {
	struct fsnode_ctx *ctx;
	pthread_mutex_t lock;
	pthread_cond_t done;	      /* a run ended, or a thread exited */
	pthread_cond_t work;	      /* a run is queued, or stopping */
	struct longtxn *head;	      /* protected by lock: running and queued */
	struct longtxn *queue, *tail; /* protected by lock: not yet taken */
	int running;		      /* protected by lock: queued or running */
	int threads, idle;	      /* protected by lock */
	int claimed;		      /* protected by lock: idle runners signalled */
	bool stopping;		      /* protected by lock */
};

int fsnode_longtxns_new(struct fsnode_ctx *ctx, struct fsnode_longtxns **out)
{
	struct fsnode_longtxns *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->ctx = ctx;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->done, NULL);
	pthread_cond_init(&l->work, NULL);
	*out = l;
	return 0;
}

void fsnode_longtxns_drain(struct fsnode_longtxns *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	for (struct longtxn *t = l->head; t; t = t->next) {
		nb_cancel_fire(&t->cancel);
	}
	while (l->running)
		pthread_cond_wait(&l->done, &l->lock);
	l->stopping = true;
	pthread_cond_broadcast(&l->work);
	while (l->threads)
		pthread_cond_wait(&l->done, &l->lock);
	pthread_mutex_unlock(&l->lock);
}

void fsnode_longtxns_free(struct fsnode_longtxns *l)
{
	if (!l)
		return;
	fsnode_longtxns_drain(l);
	pthread_cond_destroy(&l->work);
	pthread_cond_destroy(&l->done);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

bool fsnode_longtxn_pending(const struct fsnode_file *f)
{
	return f->node->route->ops->run && f->committed < f->wbuf.len;
}

/* The request stays alive while this runs (libfuse holds it). */
static void on_interrupt(fuse_req_t req, void *data)
{
	struct fsnode_longtxns *l = data;

	pthread_mutex_lock(&l->lock);
	for (struct longtxn *t = l->head; t; t = t->next)
		if (t->req == req)
			nb_cancel_fire(&t->cancel); /* wakes what the run waits on */
	pthread_mutex_unlock(&l->lock);
}

static void run_one(struct longtxn *t)
{
	struct fsnode_longtxns *l = t->l;
	struct fsnode_file *f = t->f;
	struct nb_buf out = { 0 };
	const char *data = NULL;
	size_t len = 0;
	int ret;

	pthread_mutex_lock(&f->lock);
	f->cancel = &t->cancel;
	if (t->is_read) {
		ret = fsnode_file_read(l->ctx, f, t->off, t->size, &data, &len);
		if (ret == 0 && len)
			ret = nb_buf_append(&out, data, len);
	} else {
		ret = fsnode_file_flush(l->ctx, f);
	}
	f->cancel = NULL;
	pthread_mutex_unlock(&f->lock);

	/* Answered under the lock, so an interrupt never sees a freed req. */
	pthread_mutex_lock(&l->lock);
	for (struct longtxn **pp = &l->head; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	if (ret < 0)
		fuse_reply_err(t->req, -ret);
	else if (t->is_read)
		fuse_reply_buf(t->req, out.data, out.len);
	else
		fuse_reply_err(t->req, 0);
	l->running--;
	pthread_cond_broadcast(&l->done);
	pthread_mutex_unlock(&l->lock);
	nb_buf_free(&out);
	nb_cancel_destroy(&t->cancel);
	free(t);
}

static void *runner(void *arg)
{
	struct fsnode_longtxns *l = arg;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		struct longtxn *t;

		while (!l->queue && !l->stopping && l->idle < LONGTXN_IDLE_MAX) {
			l->idle++;
			pthread_cond_wait(&l->work, &l->lock);
			l->idle--;
			if (l->claimed)
				l->claimed--;
		}
		if (!l->queue)
			break; /* stopping, or enough idle runners already */
		t = l->queue;
		l->queue = t->next_queued;
		if (!l->queue)
			l->tail = NULL;
		pthread_mutex_unlock(&l->lock);
		run_one(t);
		pthread_mutex_lock(&l->lock);
	}
	l->threads--;
	pthread_cond_broadcast(&l->done);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* No thread can run what is queued: answer it all now. */
static void fail_queued(struct fsnode_longtxns *l, int err)
{
	log_warn("cannot start a transaction thread: %s", strerror(err));
	while (l->queue) {
		struct longtxn *t = l->queue;

		l->queue = t->next_queued;
		for (struct longtxn **pp = &l->head; *pp; pp = &(*pp)->next)
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		fuse_reply_err(t->req, EAGAIN);
		l->running--;
		nb_cancel_destroy(&t->cancel);
		free(t);
	}
	l->tail = NULL;
	pthread_cond_broadcast(&l->done);
}

void fsnode_longtxn_start(struct fsnode_longtxns *l, fuse_req_t req, struct fsnode_file *f,
			  size_t size, off_t off, bool is_read)
{
	struct longtxn *t = calloc(1, sizeof(*t));
	pthread_attr_t attr;
	pthread_t thread;
	int ret;

	if (!t) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	t->l = l;
	t->req = req;
	t->f = f;
	t->size = size;
	t->off = off;
	t->is_read = is_read;
	nb_cancel_init(&t->cancel);
	/* Registered first: an interrupt that already arrived is seen by the
	 * run's first check of cancel. */
	fuse_req_interrupt_func(req, on_interrupt, l);
	pthread_mutex_lock(&l->lock);
	t->next = l->head;
	l->head = t;
	l->running++;
	if (fuse_req_interrupted(req))
		nb_cancel_fire(&t->cancel);
	if (l->tail)
		l->tail->next_queued = t;
	else
		l->queue = t;
	l->tail = t;
	/* An idle runner another start has not claimed yet takes it; else a
	 * new one, so that runs never wait for each other. */
	if (l->idle > l->claimed) {
		l->claimed++;
		pthread_cond_signal(&l->work);
	} else {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		ret = pthread_create(&thread, &attr, runner, l);
		pthread_attr_destroy(&attr);
		if (ret == 0)
			l->threads++;
		else if (!l->threads)
			fail_queued(l, ret);
	}
	pthread_mutex_unlock(&l->lock);
}
