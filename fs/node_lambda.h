/*
 * fs/node_lambda.h - the lambda/ subtree: functions, their settings,
 * packages, layers, code/ and invocations.
 */
#ifndef NB_FS_NODE_LAMBDA_H
#define NB_FS_NODE_LAMBDA_H

#include "fs/fsnode.h"

extern const struct fsnode_ops fsnode_lambda_ops;
/* logs, code.zip and layers: backed by their files in the state dir. */
extern const struct fsnode_ops fsnode_lambda_backed_ops;
extern const struct fsnode_ops fsnode_lambda_invoke_ops;

#endif
