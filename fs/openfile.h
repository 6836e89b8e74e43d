/*
 * fs/openfile.h - per-open buffers: what a reader of this fd sees and what
 * a writer has written so far, and when written bytes become a request.
 */
#ifndef NB_FS_OPENFILE_H
#define NB_FS_OPENFILE_H

#include "fs/fsnode.h"

/* Largest request one open file buffers: Lambda's sync invoke payload
 * (6 MB) plus room; a service checks its own, smaller, limit. */
#define FSNODE_WRITE_MAX (6u * 1024 * 1024 + 4096)
/* Value and verb files hold less: 1 MiB is past every such limit (a
 * secret's 64 KiB, a function's 4 KB environment), so 32 fds fed garbage
 * hold 32 MiB, not 200. */
#define FSNODE_VALUE_WRITE_MAX (1024u * 1024)

struct fsnode_file *fsnode_file_new(struct fsnode *node, int flags);
void fsnode_file_free(struct fsnode_file *f);

/* Renders the node's value into f->snap (at open, and on a read at offset
 * 0, so a reader who seeks back after poll() sees the new value); for a
 * backed file, opens its backing file instead. */
int fsnode_file_render(struct fsnode_ctx *ctx, struct fsnode_file *f);

/*
 * Adds size bytes at off (O_APPEND: at the end) and commits every request
 * they complete. Returns size, or the negative errno of the commit that
 * failed; the failure's reason goes to the directory's last-error and the
 * bytes of the failed request are dropped, so close does not retry them.
 */
ssize_t fsnode_file_write(struct fsnode_ctx *ctx, struct fsnode_file *f, const char *data,
			  size_t size, off_t off);

/* Commits what is still uncommitted (a last line without newline, an
 * unterminated JSON document, which then fails). 0 or negative errno. */
int fsnode_file_flush(struct fsnode_ctx *ctx, struct fsnode_file *f);

/* What a read at off returns: the snapshot, or for a transaction file the
 * answer (committing a pending request first), or for a backed file what
 * fsnode_file_read_backed() reads. Sets *data and *len. */
int fsnode_file_read(struct fsnode_ctx *ctx, struct fsnode_file *f, off_t off, size_t size,
		     const char **data, size_t *len);

/*
 * Files whose route has ops->backing. read_backed appends to out what a
 * read of size bytes at off returns, with one pread of the backing file
 * (opened again at a read at 0 after the first, and for a log at its end,
 * so growth and a file made since the open are seen); -ENOENT once the
 * object is gone. f->lock held; no service lock is held across the I/O.
 * backing_stat gives the file's size and mtime now (0 and the object's
 * mtime when it has none yet).
 */
int fsnode_file_read_backed(struct fsnode_ctx *ctx, struct fsnode_file *f, off_t off, size_t size,
			    struct nb_buf *out);
int fsnode_file_backing_stat(struct fsnode_ctx *ctx, const struct fsnode *node, off_t *size,
			     struct timespec *mtime);

/* Forgets written bytes (O_TRUNC, ftruncate to 0). */
void fsnode_file_truncate(struct fsnode_ctx *ctx, struct fsnode_file *f);

/* Drops a prepared request that will not run (the fd is closing). */
void fsnode_file_discard(struct fsnode_ctx *ctx, struct fsnode_file *f);

/* Whether the route's kind permits this access mode. */
bool fsnode_kind_readable(enum fsnode_kind kind);
bool fsnode_kind_writable(enum fsnode_kind kind);

#endif
