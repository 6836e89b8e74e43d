/*
 * fs/park.c - parked stream reads.
 * One lock guards the parked list and every stream cursor, so a request is
 * answered exactly once: by whoever takes it off the list under the lock,
 * be it the notifier with data or the interrupt handler with EINTR.
 */
#include <errno.h>
#include <stdlib.h>

#include "fs/park.h"

struct parked {
	fuse_req_t req;
	struct fsnode_file *file;
	size_t size;
	struct parked *next;
};

struct fsnode_park {
	struct fsnode_ctx *ctx;
	pthread_mutex_t lock;
	struct parked *head; /* protected by lock */
};

int fsnode_park_new(struct fsnode_ctx *ctx, struct fsnode_park **out)
{
	struct fsnode_park *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->ctx = ctx;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void fsnode_park_free(struct fsnode_park *p)
{
	if (!p)
		return;
	while (p->head) {
		struct parked *next = p->head->next;

		fuse_reply_err(p->head->req, ENODEV);
		free(p->head);
		p->head = next;
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Reads what f's stream has; p->lock held. Returns bytes in out. */
static size_t try_read(struct fsnode_park *p, struct fsnode_file *f, struct nb_buf *out,
		       size_t size)
{
	const struct fsnode_ops *ops = f->node->route->ops;

	return ops->stream_read(p->ctx, f->node, &f->cursor, out, size);
}

/* An ended stream answers every read with 0 bytes (end of file). */
static bool at_eof(const struct fsnode_file *f)
{
	return f->cursor.seq == FSNODE_STREAM_EOF;
}

/* The request stays alive while this runs (libfuse holds it), so comparing
 * it with the parked ones is safe even if it was answered meanwhile. */
static void on_interrupt(fuse_req_t req, void *data)
{
	struct fsnode_park *p = data;
	struct parked *found = NULL;

	pthread_mutex_lock(&p->lock);
	for (struct parked **pp = &p->head; *pp; pp = &(*pp)->next) {
		if ((*pp)->req == req) {
			found = *pp;
			*pp = found->next;
			break;
		}
	}
	if (found) {
		atomic_fetch_sub(&p->ctx->d->metrics.parked_readers, 1);
		fuse_reply_err(req, EINTR);
	}
	pthread_mutex_unlock(&p->lock);
	free(found);
}

void fsnode_park_read(struct fsnode_park *p, fuse_req_t req, struct fsnode_file *f, size_t size)
{
	struct nb_buf out = { 0 };
	struct parked *entry = calloc(1, sizeof(*entry));

	if (!entry) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	entry->req = req;
	entry->file = f;
	entry->size = size;
	/* Registered first: an interrupt that already arrived calls
	 * on_interrupt now, finds nothing, and is caught below instead. */
	fuse_req_interrupt_func(req, on_interrupt, p);
	pthread_mutex_lock(&p->lock);
	if (at_eof(f) || try_read(p, f, &out, size) > 0) {
		fuse_reply_buf(req, out.data, out.len);
		free(entry);
	} else if (fuse_req_interrupted(req)) {
		fuse_reply_err(req, EINTR);
		free(entry);
	} else {
		entry->next = p->head;
		p->head = entry;
		atomic_fetch_add(&p->ctx->d->metrics.parked_readers, 1);
	}
	pthread_mutex_unlock(&p->lock);
	nb_buf_free(&out);
}

void fsnode_park_wake(struct fsnode_park *p)
{
	struct nb_buf out = { 0 };

	pthread_mutex_lock(&p->lock);
	for (struct parked **pp = &p->head; *pp;) {
		struct parked *e = *pp;

		nb_buf_reset(&out);
		if (try_read(p, e->file, &out, e->size) == 0) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		atomic_fetch_sub(&p->ctx->d->metrics.parked_readers, 1);
		fuse_reply_buf(e->req, out.data, out.len);
		free(e);
	}
	pthread_mutex_unlock(&p->lock);
	nb_buf_free(&out);
}

bool fsnode_park_ready(struct fsnode_park *p, struct fsnode_file *f)
{
	struct nb_buf out = { 0 };
	struct state_hub_cursor copy;
	bool ready;

	pthread_mutex_lock(&p->lock);
	copy = f->cursor;
	ready = at_eof(f) || f->node->route->ops->stream_read(p->ctx, f->node, &copy, &out, 1) > 0;
	pthread_mutex_unlock(&p->lock);
	nb_buf_free(&out);
	return ready;
}
