/*
 * fs/park.h - blocked reads that hold no thread.
 * A read of a stream with nothing to return is parked: the request is kept
 * and answered later by the notifier thread when data arrives, or with
 * EINTR at once when the reader is interrupted (Ctrl-C, kill).
 */
#ifndef NB_FS_PARK_H
#define NB_FS_PARK_H

#include "fs/fsnode.h"

int fsnode_park_new(struct fsnode_ctx *ctx, struct fsnode_park **out);
/* Answers every parked request with ENODEV (the mount is going away). */
void fsnode_park_free(struct fsnode_park *p);

/* Serves a stream read now if data is ready, else parks it. Takes the park
 * lock, which also guards every stream cursor. */
void fsnode_park_read(struct fsnode_park *p, fuse_req_t req, struct fsnode_file *f, size_t size);

/* Answers each parked request that now has data. */
void fsnode_park_wake(struct fsnode_park *p);

/* Whether a stream read on f would return data now (for poll). */
bool fsnode_park_ready(struct fsnode_park *p, struct fsnode_file *f);

#endif
