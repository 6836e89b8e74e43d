/*
 * fs/node_ec2.h - the ec2/ subtree: AMI registrations, subnets, instances,
 * their tags and run-command.
 */
#ifndef NB_FS_NODE_EC2_H
#define NB_FS_NODE_EC2_H

#include "fs/fsnode.h"

extern const struct fsnode_ops fsnode_ec2_ops;
/* subnets/create and run-command: transactions that wait on the engine. */
extern const struct fsnode_ops fsnode_ec2_long_ops;

#endif
