/*
 * fs/openfile.c - per-open buffers and the rule that turns written bytes
 * into committed requests. A shell's echo never sees an error from close,
 * so a request is committed in the write() that completes it and its error
 * is that write's result; flush commits only what was left incomplete.
 * Files backed by a file in the state dir keep that file open instead of
 * a snapshot and read it with pread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/buf.h"
#include "backend/common/json.h"
#include "fs/openfile.h"

struct fsnode_file *fsnode_file_new(struct fsnode *node, int flags)
{
	struct fsnode_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->node = node;
	f->flags = flags;
	f->truncated = flags & O_TRUNC;
	f->backing_fd = -1;
	return f;
}

void fsnode_file_free(struct fsnode_file *f)
{
	if (!f)
		return;
	if (f->backing_fd >= 0)
		close(f->backing_fd);
	nb_buf_free(&f->snap);
	nb_buf_free(&f->wbuf);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

bool fsnode_kind_readable(enum fsnode_kind kind)
{
	return kind != FSNODE_VERB && kind != FSNODE_DIR;
}

bool fsnode_kind_writable(enum fsnode_kind kind)
{
	return kind == FSNODE_VALUE || kind == FSNODE_VERB || kind == FSNODE_TXN;
}

int fsnode_file_backing_stat(struct fsnode_ctx *ctx, const struct fsnode *node, off_t *size,
			     struct timespec *mtime)
{
	struct stat st;
	int fd = -1, ret = node->route->ops->backing(ctx, node, &fd, mtime);

	*size = 0;
	if (ret < 0 || fd < 0)
		return ret;
	if (fstat(fd, &st) == 0) {
		*size = st.st_size;
		*mtime = st.st_mtim;
	} else {
		ret = -errno;
	}
	close(fd);
	return ret;
}

/* Opens the backing file again: what this fd reads from now on. */
static int backing_reopen(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	struct timespec mtime;
	int fd = -1, ret;

	f->gen_at_render = fsnode_table_gen(ctx->nodes, f->node);
	ret = f->node->route->ops->backing(ctx, f->node, &fd, &mtime);
	if (ret < 0)
		return ret;
	if (f->backing_fd >= 0)
		close(f->backing_fd);
	f->backing_fd = fd;
	return 0;
}

int fsnode_file_render(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	const struct fsnode_ops *ops = f->node->route->ops;
	struct timespec mtime;

	nb_buf_reset(&f->snap);
	f->answered = false;
	f->rpos = 0;
	if (ops->backing)
		return backing_reopen(ctx, f);
	f->gen_at_render = fsnode_table_gen(ctx->nodes, f->node);
	if (f->node->route->kind == FSNODE_LASTERR) {
		char dir[4096];

		fsnode_dirname(f->node->path, dir, sizeof(dir));
		return fsnode_lasterr_render(ctx->lasterr, dir, &f->snap, &mtime);
	}
	if (!ops->render)
		return 0;
	return ops->render(ctx, f->node, &f->snap, &mtime);
}

void fsnode_file_discard(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	if (f->prepared)
		f->node->route->ops->discard(ctx, f->prepared);
	f->prepared = NULL;
	f->prepared_len = 0;
}

static int fail(struct fsnode_ctx *ctx, struct fsnode_file *f, struct nb_err *err, int ret)
{
	char dir[4096];

	f->refusal = true;
	if (!err->msg[0])
		nb_err_set(err, ret, "%s: %s", f->node->path, strerror(-ret));
	fsnode_dirname(f->node->path, dir, sizeof(dir));
	fsnode_lasterr_set(ctx, dir, err->msg);
	return ret;
}

/* After a request ran: a transaction's answer is what this fd reads next;
 * a failure leaves nothing to read and says why in last-error. */
static int answered(struct fsnode_ctx *ctx, struct fsnode_file *f, struct nb_err *err, int ret)
{
	if (ret < 0) {
		nb_buf_reset(&f->snap);
		return fail(ctx, f, err, ret);
	}
	f->answered = f->node->route->kind == FSNODE_TXN;
	f->rpos = 0;
	f->success = true;
	atomic_fetch_add(&f->node->commits, 1);
	return 0;
}

/* Validates the whole request and reserves what it needs, once per content. */
static int prepare(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	struct nb_err err = { 0 };
	int ret;

	if (f->prepared && f->prepared_len == f->wbuf.len)
		return 0;
	fsnode_file_discard(ctx, f);
	ret = f->node->route->ops->prepare(ctx, f->node, f->wbuf.data, f->wbuf.len, &f->prepared,
					   &err);
	if (ret < 0)
		return fail(ctx, f, &err, ret);
	f->prepared_len = f->wbuf.len;
	return 0;
}

/* Performs a prepared request: its answer is what this fd reads next. */
static int run(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	struct nb_err err = { 0 };
	void *priv;
	int ret = prepare(ctx, f);

	if (ret < 0)
		return ret;
	priv = f->prepared;
	f->prepared = NULL;
	f->prepared_len = 0;
	nb_buf_reset(&f->snap);
	ret = f->node->route->ops->run(ctx, f->node, priv, f->wbuf.data, f->wbuf.len, f->cancel,
				       &f->snap, &err);
	return answered(ctx, f, &err, ret);
}

static int commit(struct fsnode_ctx *ctx, struct fsnode_file *f, const char *data, size_t len)
{
	const struct fsnode_ops *ops = f->node->route->ops;
	struct nb_err err = { 0 };
	int ret;

	if (!ops->commit)
		return -EACCES;
	nb_buf_reset(&f->snap);
	ret = ops->commit(ctx, f->node, data, len, &f->snap, &err);
	return answered(ctx, f, &err, ret);
}

/* `>>` writers of one value serialise here, so none of them adds to a value
 * another is replacing: each reads the value as it is now. Striped by
 * inode, so a slow append (a deploy) holds up only its own stripe. */
#define APPEND_LOCKS 64
static pthread_mutex_t append_locks[APPEND_LOCKS] = { [0 ... APPEND_LOCKS - 1] =
							      PTHREAD_MUTEX_INITIALIZER };

static bool appends_value(const struct fsnode_file *f)
{
	return f->node->route->kind == FSNODE_VALUE && f->flags & O_APPEND && !f->truncated;
}

/* `>>` on a value file: the request is the value as it is at this commit,
 * not at open, followed by what this fd wrote since its last commit. */
static int commit_append(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	pthread_mutex_t *lock = &append_locks[f->node->ino % APPEND_LOCKS];
	const struct fsnode_ops *ops = f->node->route->ops;
	struct nb_buf value = { 0 };
	struct nb_err err = { 0 };
	struct timespec mtime;
	int ret;

	/* Only blanks (`echo >> file`): nothing to add, as for `>`. */
	if (strspn(f->wbuf.data + f->appended, " \t\r\n") == f->wbuf.len - f->appended) {
		f->appended = f->wbuf.len;
		return 0;
	}
	pthread_mutex_lock(lock);
	ret = ops->render ? ops->render(ctx, f->node, &value, &mtime) : 0;
	if (ret == 0)
		ret = nb_buf_append(&value, f->wbuf.data + f->appended, f->wbuf.len - f->appended);
	if (ret < 0) {
		pthread_mutex_unlock(lock);
		nb_buf_free(&value);
		return fail(ctx, f, &err, ret);
	}
	ret = commit(ctx, f, value.data, value.len);
	pthread_mutex_unlock(lock);
	nb_buf_free(&value);
	if (ret == 0)
		f->appended = f->wbuf.len;
	return ret;
}

static enum fsnode_commit commit_mode(const struct fsnode_file *f)
{
	enum fsnode_commit mode = f->node->route->commit;
	const char *p = f->wbuf.data;
	size_t i = 0;

	if (mode != FSNODE_COMMIT_LINE_OR_JSON)
		return mode;
	while (i < f->wbuf.len && nb_is_blank(p[i]))
		i++;
	return i < f->wbuf.len && (p[i] == '{' || p[i] == '[') ? FSNODE_COMMIT_JSON
							       : FSNODE_COMMIT_VALUE;
}

/* Commits the requests the buffer holds; at_close also commits an
 * incomplete tail. */
static int commit_ready(struct fsnode_ctx *ctx, struct fsnode_file *f, bool at_close)
{
	struct nb_buf *w = &f->wbuf;
	enum fsnode_commit mode;
	char *nl;
	int ret;

	if (f->committed >= w->len)
		return 0;
	mode = commit_mode(f);
	/* Whitespace written after a committed value or document (a newline
	 * sent by its own write) is not a new request: do not commit it twice. */
	if (mode != FSNODE_COMMIT_EACH_LINE && f->committed > 0 &&
	    strspn(w->data + f->committed, " \t\r\n") == w->len - f->committed) {
		f->committed = w->len;
		return 0;
	}
	switch (mode) {
	case FSNODE_COMMIT_EACH_LINE:
		while (f->committed < w->len) {
			const char *line = w->data + f->committed;
			size_t n;

			nl = memchr(line, '\n', w->len - f->committed);
			if (!nl && !at_close)
				return 0;
			n = nl ? (size_t)(nl - line) + 1 : w->len - f->committed;
			f->committed += n;
			ret = commit(ctx, f, line, n);
			if (ret < 0) {
				f->committed = w->len; /* drop the rest with it */
				return ret;
			}
		}
		return 0;
	case FSNODE_COMMIT_JSON:
		if (!at_close && !json_is_complete(w->data, w->len))
			return 0;
		break;
	case FSNODE_COMMIT_CLOSE:
		if (!at_close)
			return 0;
		break;
	case FSNODE_COMMIT_VALUE:
	default:
		if (!at_close && w->data[w->len - 1] != '\n')
			return 0;
		break;
	}
	/* Value and JSON requests are the whole content written so far. */
	if (f->node->route->ops->prepare && !at_close) {
		ret = prepare(ctx, f);
		if (ret < 0) {
			nb_buf_reset(w);
			f->committed = 0;
		}
		return ret;
	}
	f->committed = w->len;
	if (f->node->route->ops->prepare)
		ret = run(ctx, f);
	else if (appends_value(f))
		ret = commit_append(ctx, f);
	else
		ret = commit(ctx, f, w->data, w->len);
	if (ret < 0) {
		nb_buf_reset(w);
		f->committed = 0;
		f->appended = 0;
	}
	return ret;
}

ssize_t fsnode_file_write(struct fsnode_ctx *ctx, struct fsnode_file *f, const char *data,
			  size_t size, off_t off)
{
	struct nb_buf *w = &f->wbuf;
	struct nb_err err = { 0 };
	const struct fsnode_route *r = f->node->route;
	size_t max = r->write_max	     ? r->write_max
		     : r->kind == FSNODE_TXN ? FSNODE_WRITE_MAX
					     : FSNODE_VALUE_WRITE_MAX;
	size_t end;
	int ret;

	/* Once over the limit, the rest of the stream is refused too: a prefix
	 * of an oversized request must never commit, now or at close. */
	if (f->refused)
		return -EFBIG;
	if (f->flags & O_APPEND || (size_t)off > w->len)
		off = (off_t)w->len; /* appends, and writes past what we hold */
	end = (size_t)off + size;
	if (end > max) {
		nb_err_set(&err, -EFBIG, "%s: a request may be at most %zu bytes", f->node->path,
			   max);
		f->refused = true;
		nb_buf_free(w); /* and its memory */
		f->committed = 0;
		f->appended = 0;
		return fail(ctx, f, &err, -EFBIG);
	}
	if (end > w->len) {
		ret = nb_buf_reserve(w, end - w->len);
		if (ret < 0)
			return ret;
	}
	if (size) /* a zero-length write to an empty buffer has no w->data */
		memcpy(w->data + off, data, size);
	if (end > w->len) {
		w->len = end;
		w->data[w->len] = '\0';
	}
	if ((size_t)off < f->committed)
		f->committed = (size_t)off; /* an editor rewrote committed bytes */
	ret = commit_ready(ctx, f, false);
	return ret < 0 ? ret : (ssize_t)size;
}

int fsnode_file_flush(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	if (f->refused)
		return 0; /* said at the write that went over */
	return commit_ready(ctx, f, true);
}

int fsnode_file_read_backed(struct fsnode_ctx *ctx, struct fsnode_file *f, off_t off, size_t size,
			    struct nb_buf *out)
{
	bool reopened = false;
	ssize_t n;
	int ret;

	/* As for a rendered file: a read at 0 after the first sees the file
	 * as it is now (a code.zip deployed since is another file). */
	if (off == 0 && !f->fresh) {
		ret = backing_reopen(ctx, f);
		if (ret < 0)
			return ret;
		reopened = true;
	}
	f->fresh = false;
	if (size == 0)
		return 0;
	if (nb_buf_reserve(out, size) < 0)
		return -ENOMEM;
	for (;;) {
		n = f->backing_fd < 0 ? 0 : pread(f->backing_fd, out->data + out->len, size, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0 || reopened || f->node->route->kind != FSNODE_APPEND)
			break;
		/* The end of what this fd holds. A log only grows, so the file
		 * as it is now (made since the open, if there was none) never
		 * mixes two states; and an object removed since fails here. */
		ret = backing_reopen(ctx, f);
		if (ret < 0)
			return ret;
		reopened = true;
	}
	out->len += (size_t)n;
	out->data[out->len] = '\0';
	return 0;
}

int fsnode_file_read(struct fsnode_ctx *ctx, struct fsnode_file *f, off_t off, size_t size,
		     const char **data, size_t *len)
{
	int ret;

	if (f->node->route->ops->backing) {
		nb_buf_reset(&f->snap);
		ret = fsnode_file_read_backed(ctx, f, off, size, &f->snap);
		*data = f->snap.data;
		*len = f->snap.len;
		return ret;
	}
	if (f->node->route->kind == FSNODE_TXN && f->committed < f->wbuf.len) {
		ret = fsnode_file_flush(ctx, f);
		if (ret < 0)
			return ret;
	} else if ((off == 0 && !f->answered && !f->fresh) ||
		   (f->node->route->kind == FSNODE_APPEND && (size_t)off >= f->snap.len)) {
		/* Content only grows, so re-reading it for `tail -f` never
		 * mixes two states. */
		ret = fsnode_file_render(ctx, f);
		if (ret < 0)
			return ret;
	}
	f->fresh = false;
	/* A transaction's answer is read from where the last read ended, not
	 * from the fd offset, which the request's bytes have moved on. */
	if (f->node->route->kind == FSNODE_TXN)
		off = (off_t)(f->rpos < f->snap.len ? f->rpos : f->snap.len);
	if ((size_t)off >= f->snap.len) {
		*data = NULL;
		*len = 0;
		return 0;
	}
	*data = f->snap.data + off;
	*len = f->snap.len - (size_t)off < size ? f->snap.len - (size_t)off : size;
	if (f->node->route->kind == FSNODE_TXN)
		f->rpos = (size_t)off + *len;
	return 0;
}

void fsnode_file_truncate(struct fsnode_ctx *ctx, struct fsnode_file *f)
{
	fsnode_file_discard(ctx, f);
	nb_buf_reset(&f->wbuf);
	f->committed = 0;
	f->appended = 0;
	f->truncated = true;
}
