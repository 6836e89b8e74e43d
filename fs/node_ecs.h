/*
 * fs/node_ecs.h - the ecs/ subtree: task definitions, tasks and secrets.
 */
#ifndef NB_FS_NODE_ECS_H
#define NB_FS_NODE_ECS_H

#include "fs/fsnode.h"

extern const struct fsnode_ops fsnode_ecs_ops;
extern const struct fsnode_ops fsnode_ecs_tasks_ops;
extern const struct fsnode_ops fsnode_ecs_secrets_ops;

#endif
