/*
 * fs/node_root.h - the top of the tree: README, version, health, events,
 * metrics, ctl, last-error, and the service directories.
 */
#ifndef NB_FS_NODE_ROOT_H
#define NB_FS_NODE_ROOT_H

#include "fs/fsnode.h"

extern const struct fsnode_ops fsnode_root_ops;

#endif
