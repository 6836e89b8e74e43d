/*
 * fs/longtxn.h - long transactions on threads of their own: a read or
 * close that would run one (a Lambda invoke) is handed over here instead
 * of holding a FUSE worker, answered when it ends, and cancelled by an
 * interrupt.
 */
#ifndef NB_FS_LONGTXN_H
#define NB_FS_LONGTXN_H

#include "fs/fsnode.h"

int fsnode_longtxns_new(struct fsnode_ctx *ctx, struct fsnode_longtxns **out);
/* Cancels every running transaction and waits until each has answered. */
void fsnode_longtxns_drain(struct fsnode_longtxns *l);
void fsnode_longtxns_free(struct fsnode_longtxns *l);

/* Whether a read or flush of f would now run a long transaction (f->lock
 * held). */
bool fsnode_longtxn_pending(const struct fsnode_file *f);

/* Runs what a read (is_read: size bytes at off) or a flush of f does, on a
 * new thread, and answers req when it is done. */
void fsnode_longtxn_start(struct fsnode_longtxns *l, fuse_req_t req, struct fsnode_file *f,
			  size_t size, off_t off, bool is_read);

#endif
