/*
 * fs/notify.h - the one thread that tells the kernel a value changed.
 * Backend threads announce changed paths and new events without blocking;
 * this thread invalidates the kernel's cached attributes and pages, wakes
 * poll() and answers parked readers. Invalidation never runs in a FUSE
 * handler, where it could deadlock against the kernel's inode lock.
 */
#ifndef NB_FS_NOTIFY_H
#define NB_FS_NOTIFY_H

#include "fs/fsnode.h"

int fsnode_notify_start(struct fsnode_ctx *ctx, struct fsnode_notify **out);
/* Stops and joins the thread, dropping what is still queued. */
void fsnode_notify_stop(struct fsnode_notify *n);

/* Queues path (relative to the mount) as changed. Never blocks on I/O. */
void fsnode_notify_changed(struct fsnode_notify *n, const char *path);
/* Queues a wakeup of the parked stream readers. */
void fsnode_notify_event(struct fsnode_notify *n);

/* The listener to give the backend's hub. */
void fsnode_notify_listener(struct fsnode_notify *n, struct state_hub_listener *l);

#endif
