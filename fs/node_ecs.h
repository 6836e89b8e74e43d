/*
 * fs/node_ecs.h - the ecs/ subtree: task definitions, tasks and secrets.
 */
#ifndef NB_FS_NODE_ECS_H
#define NB_FS_NODE_ECS_H

#include "fs/fsnode.h"

extern const struct fsnode_ops fsnode_ecs_ops;
extern const struct fsnode_ops fsnode_ecs_tasks_ops;
/* `logs` of tasks and containers: backed by the captured files. */
extern const struct fsnode_ops fsnode_ecs_task_logs_ops;
extern const struct fsnode_ops fsnode_ecs_secrets_ops;

#endif
