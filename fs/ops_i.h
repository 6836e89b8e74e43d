/*
 * fs/ops_i.h - shared by ops.c (the ops table and the file operations) and
 * ops_dir.c (the directory-entry operations).
 * Not an API: include only from fs/ops*.c.
 */
#ifndef NB_FS_OPS_I_H
#define NB_FS_OPS_I_H

#include <sys/stat.h>

#include "fs/fsnode.h"

/* The mount's context, set as the session's userdata. */
struct fsnode_ctx *fsnode_ops_ctx_of(fuse_req_t req);

/* Counts one request of kind op in the mount's metrics. */
void fsnode_ops_count(fuse_req_t req, enum state_metric_op op);

/* Replies err (0: success) and counts a non-zero one as a FUSE error. */
void fsnode_ops_reply_err(fuse_req_t req, int err);

/* The node with inode ino, or NULL when the kernel's inode is unknown. */
struct fsnode *fsnode_ops_node_of(fuse_req_t req, fuse_ino_t ino);

/* Fills st from what the node shows now (its size is its rendered
 * content's); returns 0, or a negative errno, -ENOENT when its object is
 * gone. */
int fsnode_ops_node_stat(struct fsnode_ctx *ctx, const struct fsnode *node, struct stat *st);

/* Makes node's open file as fi asks and stores it in fi->fh. Returns 0,
 * -EISDIR, -EACCES, -ENOMEM or what rendering the node returned. */
int fsnode_ops_open_node(struct fsnode_ctx *ctx, struct fsnode *node, struct fuse_file_info *fi);

/* Undoes fsnode_ops_open_node() when the opener was interrupted: no release
 * will come. */
void fsnode_ops_close_node(struct fsnode_ctx *ctx, struct fuse_file_info *fi);

/* At release: removes the object create(2) made for f when every request
 * f sent was refused, so `echo bad > new-name` leaves no empty object. */
void fsnode_ops_undo_refused_create(struct fsnode_ctx *ctx, struct fsnode_file *f);

/* The directory-entry operations, for the ops table (ops_dir.c). */
void fsnode_ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void fsnode_ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void fsnode_ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void fsnode_ops_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		       struct fuse_file_info *fi);
void fsnode_ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fsnode_ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi);
void fsnode_ops_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/* Fills e for node (ino, timeouts, attributes); the node_stat result. */
int fsnode_ops_entry(struct fsnode_ctx *ctx, const struct fsnode *node, struct fuse_entry_param *e);

#endif
