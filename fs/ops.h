/*
 * fs/ops.h - the low-level FUSE operations table.
 */
#ifndef NB_FS_OPS_H
#define NB_FS_OPS_H

#include "fs/fsnode.h"

extern const struct fuse_lowlevel_ops fsnode_ll_ops;

/* Seconds the kernel may cache attributes and entries; changes are pushed
 * by invalidation, so this only bounds how long a missed one could last. */
#define FSNODE_ATTR_TIMEOUT 1.0

#endif
