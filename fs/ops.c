/*
 * fs/ops.c - the FUSE front door: each request is resolved to its node and
 * handed to that node's subtree module through the route's ops. Handlers
 * answer from memory and never wait on the engine. This file holds the ops
 * table, the helpers every handler shares and the file operations; the
 * directory-entry operations are in ops_dir.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/log.h"
#include "fs/longtxn.h"
#include "fs/openfile.h"
#include "fs/ops.h"
#include "fs/ops_i.h"
#include "fs/park.h"

struct fsnode_ctx *fsnode_ops_ctx_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

void fsnode_ops_count(fuse_req_t req, enum state_metric_op op)
{
	state_metrics_count_op(&fsnode_ops_ctx_of(req)->d->metrics, op);
}

void fsnode_ops_reply_err(fuse_req_t req, int err)
{
	if (err)
		atomic_fetch_add_explicit(&fsnode_ops_ctx_of(req)->d->metrics.fuse_errors, 1,
					  memory_order_relaxed);
	fuse_reply_err(req, err);
}

struct fsnode *fsnode_ops_node_of(fuse_req_t req, fuse_ino_t ino)
{
	return fsnode_table_get(fsnode_ops_ctx_of(req)->nodes, ino);
}

static void set_time(struct timespec *ts, const struct timespec *src)
{
	*ts = *src;
}

/* Fills st from what the node shows now; -ENOENT when its object is gone. */
int fsnode_ops_node_stat(struct fsnode_ctx *ctx, const struct fsnode *node, struct stat *st)
{
	const struct fsnode_route *r = node->route;
	struct nb_buf content = { 0 };
	struct timespec mtime = ctx->mounted;
	off_t size = -1;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	st->st_ino = node->ino;
	st->st_uid = ctx->uid;
	st->st_gid = ctx->gid;
	st->st_blksize = 4096;
	switch (r->kind) {
	case FSNODE_DIR:
		st->st_mode = S_IFDIR | r->mode;
		st->st_nlink = 2;
		break;
	case FSNODE_STREAM:
		st->st_mode = S_IFREG | r->mode;
		st->st_nlink = 1;
		clock_gettime(CLOCK_REALTIME, &mtime);
		break;
	case FSNODE_LASTERR: {
		char dir[4096];

		fsnode_dirname(node->path, dir, sizeof(dir));
		ret = fsnode_lasterr_render(ctx->lasterr, dir, &content, &mtime);
		st->st_mode = S_IFREG | r->mode;
		st->st_nlink = 1;
		break;
	}
	default:
		/* A backed file's size is its file's: nothing is read. */
		if (r->ops->backing)
			ret = fsnode_file_backing_stat(ctx, node, &size, &mtime);
		else if (r->ops->render)
			ret = r->ops->render(ctx, node, &content, &mtime);
		st->st_mode = (r->kind == FSNODE_SYMLINK ? S_IFLNK : S_IFREG) | r->mode;
		st->st_nlink = 1;
		break;
	}
	if (size < 0)
		size = (off_t)content.len;
	st->st_size = size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	set_time(&st->st_mtim, &mtime);
	set_time(&st->st_ctim, &mtime);
	set_time(&st->st_atim, &mtime);
	nb_buf_free(&content);
	return ret;
}

int fsnode_ops_entry(struct fsnode_ctx *ctx, const struct fsnode *node, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = node->ino;
	e->generation = 1;
	e->attr_timeout = FSNODE_ATTR_TIMEOUT;
	e->entry_timeout = FSNODE_ATTR_TIMEOUT;
	return fsnode_ops_node_stat(ctx, node, &e->attr);
}

static void do_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	struct fsnode *dir = fsnode_ops_node_of(req, parent), *node;
	const struct fsnode_route *r;
	struct fuse_entry_param e;
	int ret;

	fsnode_ops_count(req, STATE_OP_LOOKUP);
	if (!dir)
		return fsnode_ops_reply_err(req, ENOENT);
	r = fsnode_route_lookup(ctx, dir, name);
	if (!r)
		return fsnode_ops_reply_err(req, ENOENT);
	ret = fsnode_table_lookup(ctx->nodes, dir, r, name, &node);
	if (ret < 0)
		return fsnode_ops_reply_err(req, -ret);
	ret = fsnode_ops_entry(ctx, node, &e);
	if (ret < 0) {
		fsnode_table_forget(ctx->nodes, node->ino, 1);
		return fsnode_ops_reply_err(req, -ret);
	}
	fuse_reply_entry(req, &e);
}

static void do_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fsnode_table_forget(fsnode_ops_ctx_of(req)->nodes, ino, nlookup);
	fuse_reply_none(req);
}

static void do_forget_multi(fuse_req_t req, size_t count_, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count_; i++)
		fsnode_table_forget(fsnode_ops_ctx_of(req)->nodes, forgets[i].ino,
				    forgets[i].nlookup);
	fuse_reply_none(req);
}

static void do_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsnode *node = fsnode_ops_node_of(req, ino);
	struct stat st;
	int ret;

	(void)fi;
	fsnode_ops_count(req, STATE_OP_GETATTR);
	if (!node)
		return fsnode_ops_reply_err(req, ENOENT);
	ret = fsnode_ops_node_stat(fsnode_ops_ctx_of(req), node, &st);
	if (ret < 0)
		return fsnode_ops_reply_err(req, -ret);
	fuse_reply_attr(req, &st, FSNODE_ATTR_TIMEOUT);
}

/* Only truncation to 0 (what `>` sends) is meaningful, and only on files a
 * write can go to; times and modes are the system's to say. */
static void do_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct fsnode *node = fsnode_ops_node_of(req, ino);
	struct stat st;
	int ret;

	fsnode_ops_count(req, STATE_OP_OTHER);
	if (!node)
		return fsnode_ops_reply_err(req, ENOENT);
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
		return fsnode_ops_reply_err(req, EPERM);
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (!fsnode_kind_writable(node->route->kind))
			return fsnode_ops_reply_err(req, EACCES);
		if (attr->st_size != 0)
			return fsnode_ops_reply_err(req, EINVAL);
		if (fi && fi->fh) {
			struct fsnode_file *f = (struct fsnode_file *)(uintptr_t)fi->fh;

			pthread_mutex_lock(&f->lock);
			fsnode_file_truncate(fsnode_ops_ctx_of(req), f);
			pthread_mutex_unlock(&f->lock);
		}
	}
	ret = fsnode_ops_node_stat(fsnode_ops_ctx_of(req), node, &st);
	if (ret < 0)
		return fsnode_ops_reply_err(req, -ret);
	fuse_reply_attr(req, &st, FSNODE_ATTR_TIMEOUT);
}

static void do_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fsnode *node = fsnode_ops_node_of(req, ino);
	struct nb_buf target = { 0 };
	struct timespec mtime;
	int ret;

	fsnode_ops_count(req, STATE_OP_OTHER);
	if (!node || node->route->kind != FSNODE_SYMLINK)
		return fsnode_ops_reply_err(req, node ? EINVAL : ENOENT);
	ret = node->route->ops->render(fsnode_ops_ctx_of(req), node, &target, &mtime);
	if (ret < 0 || !target.data) {
		nb_buf_free(&target);
		return fsnode_ops_reply_err(req, ret < 0 ? -ret : ENOENT);
	}
	fuse_reply_readlink(req, target.data);
	nb_buf_free(&target);
}

/* Makes node's open file as fi asks and stores it in fi->fh. */
int fsnode_ops_open_node(struct fsnode_ctx *ctx, struct fsnode *node, struct fuse_file_info *fi)
{
	int acc = fi->flags & O_ACCMODE;
	enum fsnode_kind kind = node->route->kind;
	struct fsnode_file *f;
	int ret = 0;

	if (kind == FSNODE_DIR)
		return -EISDIR;
	if ((acc != O_WRONLY && !fsnode_kind_readable(kind)) ||
	    (acc != O_RDONLY && !fsnode_kind_writable(kind)) ||
	    (fi->flags & O_TRUNC && !fsnode_kind_writable(kind)))
		return -EACCES;
	f = fsnode_file_new(node, fi->flags);
	if (!f)
		return -ENOMEM;
	if (kind == FSNODE_STREAM) {
		node->route->ops->stream_open(ctx, node, &f->cursor);
		fi->nonseekable = 1;
	} else if (kind != FSNODE_VERB && acc != O_WRONLY) {
		/* A write-only open never shows the value: `cp x.zip code.zip`
		 * need not read the old package first. */
		ret = fsnode_file_render(ctx, f);
		/* The first read at 0 serves this render instead of another. */
		f->fresh = ret == 0;
	}
	if (ret < 0) {
		fsnode_file_free(f);
		return ret;
	}
	/* Content is generated per open; the page cache would only hide it. */
	fi->direct_io = 1;
	/* A reader has nothing to commit at close: spare it the FLUSH trip. */
	fi->noflush = acc == O_RDONLY;
	fi->keep_cache = 0;
	fi->fh = (uintptr_t)f;
	fsnode_table_attach(ctx->nodes, f);
	atomic_fetch_add(&ctx->d->metrics.open_files, 1);
	return 0;
}

/* Undoes fsnode_ops_open_node() when the opener was interrupted: no release
 * will come. */
void fsnode_ops_close_node(struct fsnode_ctx *ctx, struct fuse_file_info *fi)
{
	struct fsnode_file *f = (struct fsnode_file *)(uintptr_t)fi->fh;

	fsnode_table_detach(ctx->nodes, f);
	atomic_fetch_sub(&ctx->d->metrics.open_files, 1);
	fsnode_file_free(f);
}

static void do_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	struct fsnode *node = fsnode_ops_node_of(req, ino);
	int ret;

	fsnode_ops_count(req, STATE_OP_OPEN);
	if (!node)
		return fsnode_ops_reply_err(req, ENOENT);
	ret = fsnode_ops_open_node(ctx, node, fi);
	if (ret < 0)
		return fsnode_ops_reply_err(req, -ret);
	if (fuse_reply_open(req, fi) == -ENOENT)
		fsnode_ops_close_node(ctx, fi);
}

static void do_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fsnode_file *f = (struct fsnode_file *)(uintptr_t)fi->fh;
	struct nb_buf out = { 0 };
	const char *data;
	size_t len;
	int ret;

	(void)ino;
	fsnode_ops_count(req, STATE_OP_READ);
	if (f->node->route->kind == FSNODE_STREAM)
		return fsnode_park_read(fsnode_ops_ctx_of(req)->park, req, f, size);
	/* The reply goes out after the unlock: once the reader has its bytes
	 * it may close, and the release may free f on another worker. The
	 * bytes are copied because another read on this fd may re-render. */
	pthread_mutex_lock(&f->lock);
	if (fsnode_longtxn_pending(f)) {
		pthread_mutex_unlock(&f->lock);
		return fsnode_longtxn_start(fsnode_ops_ctx_of(req)->longtxns, req, f, size, off,
					    true);
	}
	if (f->node->route->ops->backing) {
		ret = fsnode_file_read_backed(fsnode_ops_ctx_of(req), f, off, size, &out);
	} else {
		ret = fsnode_file_read(fsnode_ops_ctx_of(req), f, off, size, &data, &len);
		if (ret == 0 && len)
			ret = nb_buf_append(&out, data, len);
	}
	pthread_mutex_unlock(&f->lock);
	if (ret < 0)
		fsnode_ops_reply_err(req, -ret);
	else
		fuse_reply_buf(req, out.data, out.len);
	nb_buf_free(&out);
}

static void do_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct fsnode_file *f = (struct fsnode_file *)(uintptr_t)fi->fh;
	ssize_t ret;

	(void)ino;
	fsnode_ops_count(req, STATE_OP_WRITE);
	pthread_mutex_lock(&f->lock);
	ret = fsnode_file_write(fsnode_ops_ctx_of(req), f, buf, size, off);
	pthread_mutex_unlock(&f->lock);
	if (ret < 0)
		return fsnode_ops_reply_err(req, (int)-ret);
	fuse_reply_write(req, (size_t)ret);
}

static void do_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsnode_file *f = (struct fsnode_file *)(uintptr_t)fi->fh;
	int ret;

	(void)ino;
	fsnode_ops_count(req, STATE_OP_OTHER);
	pthread_mutex_lock(&f->lock);
	if (fsnode_longtxn_pending(f)) {
		pthread_mutex_unlock(&f->lock);
		return fsnode_longtxn_start(fsnode_ops_ctx_of(req)->longtxns, req, f, 0, 0, false);
	}
	ret = fsnode_file_flush(fsnode_ops_ctx_of(req), f);
	pthread_mutex_unlock(&f->lock);
	fsnode_ops_reply_err(req, -ret);
}

static void do_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	struct fsnode_file *f = (struct fsnode_file *)(uintptr_t)fi->fh;

	(void)ino;
	fsnode_table_detach(ctx->nodes, f);
	atomic_fetch_sub(&ctx->d->metrics.open_files, 1);
	fsnode_file_discard(ctx, f);
	fsnode_ops_undo_refused_create(ctx, f);
	fsnode_file_free(f);
	fuse_reply_err(req, 0);
}

static void do_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct fsnode_ctx *ctx = fsnode_ops_ctx_of(req);
	struct fsnode_file *f = (struct fsnode_file *)(uintptr_t)fi->fh;
	unsigned revents = 0;
	uint64_t gen;

	(void)ino;
	fsnode_ops_count(req, STATE_OP_POLL);
	gen = fsnode_table_poll(ctx->nodes, f, ph);
	if (f->node->route->kind == FSNODE_STREAM) {
		if (fsnode_park_ready(ctx->park, f))
			revents |= POLLIN | POLLRDNORM;
	} else {
		/* As sysfs: always readable; POLLPRI|POLLERR once the value
		 * changed since this fd last read it from offset 0. */
		revents = POLLIN | POLLRDNORM;
		pthread_mutex_lock(&f->lock);
		if (gen != f->gen_at_render)
			revents |= POLLPRI | POLLERR;
		pthread_mutex_unlock(&f->lock);
		if (fsnode_kind_writable(f->node->route->kind))
			revents |= POLLOUT | POLLWRNORM;
	}
	fuse_reply_poll(req, revents);
}

static void do_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st = { .f_bsize = 4096, .f_frsize = 4096, .f_namemax = 255 };

	(void)ino;
	fuse_reply_statfs(req, &st);
}

/* Every open log and package holds its backing file's fd: lift the soft
 * fd limit (1024 by default) to the hard one, so a thousand readers of
 * logs do not starve the engine client of sockets. Nothing here uses
 * select(), whose sets stop at 1024. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("cannot raise the open-file limit: %s", strerror(errno));
	}
}

static void do_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	raise_fd_limit();
	/* O_TRUNC comes with open, so `>` needs no separate setattr. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->want &= ~FUSE_CAP_READDIRPLUS;
}

const struct fuse_lowlevel_ops fsnode_ll_ops = {
	.init = do_init,
	.lookup = do_lookup,
	.forget = do_forget,
	.forget_multi = do_forget_multi,
	.getattr = do_getattr,
	.setattr = do_setattr,
	.readlink = do_readlink,
	.mkdir = fsnode_ops_mkdir,
	.rmdir = fsnode_ops_rmdir,
	.unlink = fsnode_ops_unlink,
	.create = fsnode_ops_create,
	.open = do_open,
	.read = do_read,
	.write = do_write,
	.flush = do_flush,
	.release = do_release,
	.poll = do_poll,
	.opendir = fsnode_ops_opendir,
	.readdir = fsnode_ops_readdir,
	.releasedir = fsnode_ops_releasedir,
	.statfs = do_statfs,
};
