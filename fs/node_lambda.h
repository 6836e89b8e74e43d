/*
 * fs/node_lambda.h - the lambda/ subtree: functions, their settings,
 * packages, layers, code/ and invocations.
 */
#ifndef NB_FS_NODE_LAMBDA_H
#define NB_FS_NODE_LAMBDA_H

#include "fs/fsnode.h"

extern const struct fsnode_ops fsnode_lambda_ops;
extern const struct fsnode_ops fsnode_lambda_invoke_ops;

#endif
