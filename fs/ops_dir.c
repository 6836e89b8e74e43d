/*
 * fs/ops_dir.c - the directory-entry operations: mkdir, rmdir, unlink and
 * create, allowed only where a "*" route has ops for them, and opendir,
 * readdir and releasedir, which list a snapshot taken at opendir.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/log.h"
#include "fs/ops.h"
#include "fs/ops_i.h"

static void reply_new_dir(fuse_req_t req, struct fsnode *dir, const char *name)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	const struct fsnode_route *r = fsnode_route_match(dir->route->type, name);
	struct fuse_entry_param e;
	struct fsnode *node;
	int ret = r ? fsnode_table_lookup(ctx->nodes, dir, r, name, &node) : -ENOENT;

	if (ret < 0)
		return fsnode_ops_reply_err(req, -ret);
	fsnode_ops_entry(ctx, node, &e);
	fuse_reply_entry(req, &e);
}

/* mkdir/rmdir: allowed only where a "*" directory route has ops for it. */
static const struct fsnode_route *object_dir_route(struct fsnode *dir, const char *name)
{
	const struct fsnode_route *r = fsnode_route_match(dir->route->type, name);

	if (!r || r->kind != FSNODE_DIR || strcmp(r->name, "*") != 0)
		return NULL;
	return r;
}

void fsnode_ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	struct fsnode *dir = fsnode_ops_node_of(req, parent);
	const struct fsnode_route *r;
	struct nb_err err = { 0 };
	int ret;

	(void)mode;
	fsnode_ops_count(req, STATE_OP_OTHER);
	if (!dir)
		return fsnode_ops_reply_err(req, ENOENT);
	if (fsnode_route_match(dir->route->type, name) &&
	    strcmp(fsnode_route_match(dir->route->type, name)->name, "*") != 0)
		return fsnode_ops_reply_err(req, EEXIST);
	r = object_dir_route(dir, name);
	if (!r || !r->ops->mkdir) {
		fsnode_lasterr_set(ctx, dir->path, "mkdir: objects here are not created by mkdir");
		return fsnode_ops_reply_err(req, EPERM);
	}
	ret = r->ops->mkdir(ctx, dir, name, &err);
	if (ret < 0) {
		fsnode_lasterr_set(ctx, dir->path, err.msg);
		return fsnode_ops_reply_err(req, -ret);
	}
	reply_new_dir(req, dir, name);
}

/* create/unlink: allowed only where a "*" file route has ops for it. */
static const struct fsnode_route *object_file_route(struct fsnode *dir, const char *name)
{
	const struct fsnode_route *r = fsnode_route_match(dir->route->type, name);

	if (!r || r->kind == FSNODE_DIR || strcmp(r->name, "*") != 0)
		return NULL;
	return r;
}

/*
 * Every removal of an object goes through here: the route's op removes
 * it, then what fs/ keeps about it goes too (its last-error and those
 * below it), so an object made again under the name does not inherit them.
 */
static int remove_object(struct fsnode_ctx *ctx, const struct fsnode *dir,
			 const struct fsnode_route *r, const char *name, struct nb_err *err)
{
	int (*remove)(struct fsnode_ctx *, const struct fsnode *, const char *, struct nb_err *) =
		r->kind == FSNODE_DIR ? r->ops->rmdir : r->ops->unlink;
	char path[4096];
	int ret = remove(ctx, dir, name, err);

	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s%s%s", dir->path, dir->path[0] ? "/" : "", name);
	fsnode_lasterr_forget(ctx, path);
	return 0;
}

/* rmdir and unlink: the object's ops remove it, else EPERM (ENOENT for a
 * name that is not there) with the reason in last-error. */
static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name, bool is_dir)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	struct fsnode *dir = fsnode_ops_node_of(req, parent);
	const struct fsnode_route *r;
	struct nb_err err = { 0 };
	int ret;

	fsnode_ops_count(req, STATE_OP_OTHER);
	if (!dir)
		return fsnode_ops_reply_err(req, ENOENT);
	r = is_dir ? object_dir_route(dir, name) : object_file_route(dir, name);
	if (!r || !(is_dir ? r->ops->rmdir : r->ops->unlink)) {
		if (!fsnode_route_match(dir->route->type, name))
			return fsnode_ops_reply_err(req, ENOENT);
		fsnode_lasterr_set(ctx, dir->path,
				   is_dir ? "rmdir: this directory cannot be removed"
					  : "rm: this file cannot be removed");
		return fsnode_ops_reply_err(req, EPERM);
	}
	ret = remove_object(ctx, dir, r, name, &err);
	if (ret < 0) {
		fsnode_lasterr_set(ctx, dir->path, err.msg);
		return fsnode_ops_reply_err(req, -ret);
	}
	fuse_reply_err(req, 0);
}

void fsnode_ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, true);
}

void fsnode_ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, false);
}

void fsnode_ops_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		       struct fuse_file_info *fi)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	struct fsnode *dir = fsnode_ops_node_of(req, parent), *node;
	const struct fsnode_route *r;
	struct fuse_entry_param e;
	struct nb_err err = { 0 };
	bool made = false;
	int ret;

	(void)mode; /* the route's mode is the file's */
	fsnode_ops_count(req, STATE_OP_OTHER);
	if (!dir)
		return fsnode_ops_reply_err(req, ENOENT);
	r = object_file_route(dir, name);
	/* Elsewhere every file that exists is already there; new names are
	 * not files. */
	if (!r || !r->ops->create)
		return fsnode_ops_reply_err(req, EACCES);
	if (r->ops->lookup && r->ops->lookup(ctx, dir, r, name) == 0) {
		if (fi->flags & O_EXCL)
			return fsnode_ops_reply_err(req, EEXIST);
	} else {
		ret = r->ops->create(ctx, dir, name, &err);
		if (ret < 0) {
			fsnode_lasterr_set(ctx, dir->path, err.msg);
			return fsnode_ops_reply_err(req, -ret);
		}
		made = true;
	}
	ret = fsnode_table_lookup(ctx->nodes, dir, r, name, &node);
	if (ret < 0)
		return fsnode_ops_reply_err(req, -ret);
	ret = fsnode_ops_entry(ctx, node, &e);
	if (ret == 0)
		ret = fsnode_ops_open_node(ctx, node, fi);
	if (ret < 0) {
		if (made && r->ops->unlink) /* nobody will write it: leave nothing */
			remove_object(ctx, dir, r, name, &err);
		fsnode_table_forget(ctx->nodes, node->ino, 1);
		return fsnode_ops_reply_err(req, -ret);
	}
	if (made) {
		struct fsnode_file *f = (struct fsnode_file *)(uintptr_t)fi->fh;

		f->created_in = dir;
		f->created_commits = atomic_load(&node->commits);
	}
	if (fuse_reply_create(req, &e, fi) == -ENOENT) {
		/* The creator was interrupted and never got the fd. */
		if (made && r->ops->unlink)
			remove_object(ctx, dir, r, name, &err);
		fsnode_ops_close_node(ctx, fi);
		fsnode_table_forget(ctx->nodes, node->ino, 1);
	}
}

void fsnode_ops_undo_refused_create(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	const char *name = strrchr(f->node->path, '/');
	struct nb_err err = { 0 };
	const struct fsnode_ops *ops = f->node->route->ops;

	/* Another fd's request succeeded meanwhile: the object is its now. */
	if (!f->created_in || !f->refusal || f->success || !ops->unlink ||
	    atomic_load(&f->node->commits) != f->created_commits)
		return;
	name = name ? name + 1 : f->node->path;
	/* Already gone (a refused layer cleans up itself) is fine. */
	if (remove_object(ctx, f->created_in, f->node->route, name, &err) < 0 &&
	    err.code != -ENOENT)
		log_warn("%s: cannot remove what a refused create made: %s", f->node->path,
			 err.msg);
}

/* A fixed symlink (`latest`) is listed only while it points somewhere, so
 * `ls -l` never shows one that lookup would not find. */
static bool fixed_listed(struct fsnode_ctx *ctx, const struct fsnode *dir,
			 const struct fsnode_route *r)
{
	struct fsnode probe = { .route = r, .path = dir->path, .obj = dir->obj };
	struct nb_buf target = { 0 };
	struct timespec mtime = { 0 };
	int ret;

	if (r->kind != FSNODE_SYMLINK || !r->ops->render)
		return true;
	ret = r->ops->render(ctx, &probe, &target, &mtime);
	nb_buf_free(&target);
	return ret != -ENOENT;
}

struct dir_listing {
	struct nb_buf names; /* NUL-separated */
};

static int emit_name(void *ud, const char *name)
{
	struct dir_listing *l = ud;

	return nb_buf_append(&l->names, name, strlen(name) + 1);
}

void fsnode_ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	struct fsnode *dir = fsnode_ops_node_of(req, ino);
	const struct fsnode_route *r = NULL;
	struct dir_listing *l;
	int ret = 0;

	fsnode_ops_count(req, STATE_OP_READDIR);
	if (!dir)
		return fsnode_ops_reply_err(req, ENOENT);
	if (dir->route->kind != FSNODE_DIR)
		return fsnode_ops_reply_err(req, ENOTDIR);
	l = calloc(1, sizeof(*l));
	if (!l)
		return fsnode_ops_reply_err(req, ENOMEM);
	/* A snapshot at opendir keeps offsets stable while objects come and go. */
	ret = emit_name(l, ".");
	if (ret == 0)
		ret = emit_name(l, "..");
	while (ret == 0 && (r = fsnode_route_next(dir->route->type, r))) {
		if (strcmp(r->name, "*") != 0) {
			if (fixed_listed(ctx, dir, r))
				ret = emit_name(l, r->name);
		} else if (r->ops->list)
			ret = r->ops->list(ctx, dir, r, emit_name, l);
	}
	if (ret < 0) {
		nb_buf_free(&l->names);
		free(l);
		return fsnode_ops_reply_err(req, -ret);
	}
	fi->fh = (uintptr_t)l;
	fi->cache_readdir = 0;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		nb_buf_free(&l->names);
		free(l);
	}
}

void fsnode_ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct dir_listing *l = (struct dir_listing *)(uintptr_t)fi->fh;
	struct fsnode *dir = fsnode_ops_node_of(req, ino);
	char *buf = malloc(size);
	size_t used = 0, pos = 0;
	off_t index = 0;

	fsnode_ops_count(req, STATE_OP_READDIR);
	if (!buf)
		return fsnode_ops_reply_err(req, ENOMEM);
	while (pos < l->names.len) {
		const char *name = l->names.data + pos;
		const struct fsnode_route *r =
			dir ? fsnode_route_match(dir->route->type, name) : NULL;
		struct stat st = { 0 };
		size_t n;

		pos += strlen(name) + 1;
		if (index++ < off)
			continue;
		st.st_ino = 0xffffffff; /* "unknown": lookup gives the real one */
		/* 0 is DT_UNKNOWN: find and ls then ask with lookup. */
		st.st_mode = r && fsnode_route_ambiguous(r) ? 0
			     : !r || r->kind == FSNODE_DIR  ? S_IFDIR
			     : r->kind == FSNODE_SYMLINK    ? S_IFLNK
							    : S_IFREG;
		n = fuse_add_direntry(req, buf + used, size - used, name, &st, index);
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

void fsnode_ops_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_listing *l = (struct dir_listing *)(uintptr_t)fi->fh;

	(void)ino;
	nb_buf_free(&l->names);
	free(l);
	fuse_reply_err(req, 0);
}
