/*
 * fs/fsnode.h - the filesystem's model: node types, the route table that
 * maps names to them, the per-subtree operations, inodes and open files.
 * Everything under fs/ shares this header; each subtree module (node_root.c,
 * later node_ecs.c, node_lambda.c, node_ec2.c) fills a struct fsnode_ops.
 */
#ifndef NB_FS_FSNODE_H
#define NB_FS_FSNODE_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "backend/common/buf.h"
#include "backend/common/cancel.h"
#include "backend/common/err.h"
#include "backend/daemon.h"
#include "backend/state/hub.h"

enum fsnode_type {
	FSNODE_NONE = 0,
	FSNODE_ROOT,
	FSNODE_README,
	FSNODE_VERSION,
	FSNODE_HEALTH,
	FSNODE_EVENTS,
	FSNODE_METRICS,
	FSNODE_CTL,
	FSNODE_LAST_ERROR,
	FSNODE_ECS,
	FSNODE_ECS_TASKDEFS,
	FSNODE_ECS_TASKS,
	FSNODE_TASKDEF_REGISTER,
	FSNODE_TASKDEF_LASTERR,
	FSNODE_TASKDEF_FAMILY,
	FSNODE_TASKDEF_LATEST,
	FSNODE_TASKDEF_REV,
	FSNODE_TASK_RUN,
	FSNODE_TASK_LATEST,
	FSNODE_TASKS_LASTERR,
	FSNODE_TASK_DIR,
	FSNODE_TASK_STATUS,
	FSNODE_TASK_DESIRED,
	FSNODE_TASK_CTL,
	FSNODE_TASK_TASKDEF,
	FSNODE_TASK_DESCRIBE,
	FSNODE_TASK_HEALTH,
	FSNODE_TASK_EXIT_CODE,
	FSNODE_TASK_STOP_CODE,
	FSNODE_TASK_STOPPED_REASON,
	FSNODE_TASK_LOGS,
	FSNODE_TASK_EVENTS,
	FSNODE_TASK_WAIT,
	FSNODE_TASK_LASTERR,
	FSNODE_TASK_CONTAINERS,
	FSNODE_TASK_CONTAINER,
	FSNODE_TC_STATUS,
	FSNODE_TC_EXIT_CODE,
	FSNODE_TC_HEALTH,
	FSNODE_TC_IMAGE,
	FSNODE_TC_ID,
	FSNODE_TC_IP,
	FSNODE_TC_PORTS,
	FSNODE_TC_LOGS,
	FSNODE_TC_REASON,
	FSNODE_ECS_SECRETS,
	FSNODE_SECRETS_LASTERR,
	FSNODE_SECRET,
	FSNODE_LAMBDA,
	FSNODE_LAMBDA_LASTERR,
	FSNODE_LAMBDA_FN,
	FSNODE_LF_CONFIG,
	FSNODE_LF_RUNTIME,
	FSNODE_LF_HANDLER,
	FSNODE_LF_TIMEOUT,
	FSNODE_LF_MEMORY,
	FSNODE_LF_EPHEMERAL,
	FSNODE_LF_ENVIRONMENT,
	FSNODE_LF_CONCURRENCY,
	FSNODE_LF_IMAGE,
	FSNODE_LF_CODE_ZIP,
	FSNODE_LF_CODE_SHA,
	FSNODE_LF_CODE,
	FSNODE_LF_CODE_DIR,
	FSNODE_LF_CODE_FILE,
	FSNODE_LF_CODE_LINK,
	FSNODE_LF_LAYERS,
	FSNODE_LF_LAYER,
	FSNODE_LF_LAYERS_LASTERR,
	FSNODE_LF_STATE,
	FSNODE_LF_INVOKE,
	FSNODE_LF_INVOKE_ASYNC,
	FSNODE_LF_RESPONSE,
	FSNODE_LF_LAST_INVOCATION,
	FSNODE_LF_LOGS,
	FSNODE_LF_WARM,
	FSNODE_LF_LASTERR,
	FSNODE_EC2,
	FSNODE_EC2_RUN,
	FSNODE_EC2_LATEST,
	FSNODE_EC2_LASTERR,
	FSNODE_EC2_IMAGES,
	FSNODE_EC2_IMAGES_LASTERR,
	FSNODE_EC2_IMAGE,
	FSNODE_EC2_SUBNETS,
	FSNODE_EC2_SUBNET_CREATE,
	FSNODE_EC2_SUBNETS_LASTERR,
	FSNODE_EC2_SUBNET,
	FSNODE_ES_CIDR,
	FSNODE_ES_PRIVATE,
	FSNODE_ES_DEFAULT,
	FSNODE_ES_NETWORK,
	FSNODE_ES_INSTANCES,
	FSNODE_ES_DESCRIBE,
	FSNODE_EC2_INSTANCE,
	FSNODE_EI_STATE,
	FSNODE_EI_CONSOLE,
	FSNODE_EI_USER_DATA,
	FSNODE_EI_USER_DATA_STATUS,
	FSNODE_EI_IMAGE,
	FSNODE_EI_TYPE,
	FSNODE_EI_PRIVATE_IP,
	FSNODE_EI_HOSTNAME,
	FSNODE_EI_SUBNET,
	FSNODE_EI_CONTAINER,
	FSNODE_EI_DESCRIBE,
	FSNODE_EI_RUN_COMMAND,
	FSNODE_EI_LASTERR,
	FSNODE_EI_TAGS,
	FSNODE_EI_TAG,
	FSNODE_EI_TAGS_LASTERR,
	FSNODE_TYPE_COUNT
};

enum fsnode_kind {
	FSNODE_DIR,
	FSNODE_VALUE,	/* read/write attribute, one value */
	FSNODE_TEXT,	/* generated, read-only */
	FSNODE_APPEND,	/* read-only and only ever grows (logs): a read past
			   what this fd has seen fetches what was added */
	FSNODE_SYMLINK, /* render gives the target */
	FSNODE_VERB,	/* write-only command lines */
	FSNODE_TXN,	/* write a request, read its answer on the same fd */
	FSNODE_STREAM,	/* blocking reads, size 0 */
	FSNODE_LASTERR, /* the directory's last error, kept by fs/ */
};

/* When the bytes written so far form a request to commit. */
enum fsnode_commit {
	FSNODE_COMMIT_NONE,
	FSNODE_COMMIT_VALUE,	    /* whole content, once it ends with a newline */
	FSNODE_COMMIT_EACH_LINE,    /* every newline-terminated line on its own */
	FSNODE_COMMIT_JSON,	    /* a complete JSON document */
	FSNODE_COMMIT_LINE_OR_JSON, /* a JSON document if it starts with '{' or '[', else a line */
	FSNODE_COMMIT_CLOSE	    /* whole content at close (binary files: code.zip) */
};

/* A stream cursor's seq once the stream has ended: reads return 0 bytes. */
#define FSNODE_STREAM_EOF UINT64_MAX

struct fsnode_ctx;
struct fsnode;
struct fsnode_ops;

struct fsnode_route {
	enum fsnode_type parent;
	const char *name; /* "*" matches an object name; the ops decide which exist */
	enum fsnode_type type;
	enum fsnode_kind kind;
	mode_t mode;
	enum fsnode_commit commit;
	const struct fsnode_ops *ops;
	size_t write_max; /* largest request an open file buffers; 0: FSNODE_WRITE_MAX */
};

/* An inode: a route applied to a path. Immutable but for the fields that
 * name the table lock. */
struct fsnode {
	fuse_ino_t ino;
	const struct fsnode_route *route; /* the root's is a static route too */
	char *path;			  /* relative to the mount root; "" for the root */
	char *obj;		  /* the names matched by "*" routes, joined by '/'; "" if none */
	uint64_t nlookup;	  /* protected by the table lock */
	uint64_t change_gen;	  /* protected by the table lock */
	_Atomic uint64_t commits; /* requests to it that succeeded, from any fd */
	struct fsnode_file *open_files;	     /* protected by the table lock */
	struct fsnode *next_ino, *next_path; /* protected by the table lock */
};

typedef int (*fsnode_emit_fn)(void *ud, const char *name);

struct fsnode_ops {
	/* "*" routes: 0 when an object called name exists under dir, else -ENOENT. */
	int (*lookup)(struct fsnode_ctx *ctx, const struct fsnode *dir,
		      const struct fsnode_route *route, const char *name);
	/* "*" routes: emit every existing object name under dir. */
	int (*list)(struct fsnode_ctx *ctx, const struct fsnode *dir,
		    const struct fsnode_route *route, fsnode_emit_fn emit, void *ud);
	/* The content of a value, text, symlink or transaction file (what a read
	 * shows before any request), and when it last changed. From memory. */
	int (*render)(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
		      struct timespec *mtime);
	/* A complete request written to a value, verb or transaction file.
	 * Validates synchronously; never waits on the engine. A transaction's
	 * answer goes to answer. */
	int (*commit)(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
		      size_t len, struct nb_buf *answer, struct nb_err *err);
	/*
	 * Transactions that take long (a Lambda invoke): prepare validates a
	 * complete request in the write() that completes it and reserves
	 * what it needs (*priv); run performs it at the first read or at
	 * close, whose caller waits, answering into answer, and consumes
	 * priv; discard drops a prepared request that never ran. The kernel
	 * holds the file's lock across a write() but not across a read or
	 * a close, so requests on other fds run in parallel. run happens on a
	 * thread of its own (longtxn.c) and stops early, failing with -EINTR,
	 * once cancel fires (the caller was interrupted).
	 */
	int (*prepare)(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
		       size_t len, void **priv, struct nb_err *err);
	int (*run)(struct fsnode_ctx *ctx, const struct fsnode *node, void *priv, const char *data,
		   size_t len, struct nb_cancel *cancel, struct nb_buf *answer, struct nb_err *err);
	void (*discard)(struct fsnode_ctx *ctx, void *priv);
	/* Streams: where a new reader starts, and what it can read from cur on
	 * (appended to out, at most max bytes; 0 when nothing yet). */
	void (*stream_open)(struct fsnode_ctx *ctx, const struct fsnode *node,
			    struct state_hub_cursor *cur);
	size_t (*stream_read)(struct fsnode_ctx *ctx, const struct fsnode *node,
			      struct state_hub_cursor *cur, struct nb_buf *out, size_t max);
	/* mkdir/rmdir of an object called name under dir. */
	int (*mkdir)(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
		     struct nb_err *err);
	int (*rmdir)(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
		     struct nb_err *err);
	/* "*" file routes: create makes an empty object called name under dir
	 * (0 when it already exists), which the kernel then opens; unlink
	 * removes it (-ENOENT when absent). Without them, EACCES and EPERM. */
	int (*create)(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
		      struct nb_err *err);
	int (*unlink)(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
		      struct nb_err *err);
	/*
	 * Files backed by a file in the state dir (logs, code.zip): opens that
	 * file read-only into *fd, or sets *fd to -1 when the object has none
	 * yet (it reads empty), and sets *mtime to the object's change time
	 * for that case. -ENOENT when the object is gone. Takes a service lock
	 * only to find the object; fs/ then takes size and mtime from fstat and
	 * bytes from pread, holding no service lock, whatever the file's size.
	 * A route with it needs no render for reads (render still serves `>>`).
	 */
	int (*backing)(struct fsnode_ctx *ctx, const struct fsnode *node, int *fd,
		       struct timespec *mtime);
};

/* One open file: fi->fh. */
struct fsnode_file {
	pthread_mutex_t lock; /* serialises this file's reads and writes */
	struct fsnode *node;  /* held by the kernel's reference while open */
	int flags;
	struct nb_buf snap;		/* protected by lock: rendered value, or a txn's answer */
	bool answered;			/* protected by lock: snap holds a txn's answer */
	bool fresh;			/* protected by lock: snap rendered by open, unread */
	size_t rpos;			/* protected by lock: a transaction's answer read so far */
	struct nb_buf wbuf;		/* protected by lock: bytes written */
	size_t committed;		/* protected by lock: wbuf bytes already committed */
	struct state_hub_cursor cursor; /* streams: protected by the park lock */
	uint64_t gen_at_render;		/* protected by lock */
	void *prepared;			/* protected by lock: ops->prepare's reservation */
	size_t prepared_len;		/* protected by lock: wbuf bytes it was made for */
	struct nb_cancel *cancel;	/* protected by lock: set while a long run runs */
	bool refused; /* protected by lock: a write went over the limit: nothing of this fd commits
		       */
	size_t appended; /* protected by lock: `>>` on a value file: wbuf bytes already added */
	/* create(2) made this object in created_in (a directory the open file
	 * pins): when a request of this fd was refused and none succeeded,
	 * release removes it again, so a refused first write leaves nothing. */
	struct fsnode *created_in;
	uint64_t created_commits; /* node->commits at the create */
	bool refusal;		  /* protected by lock: a request of this fd failed */
	bool success;		  /* protected by lock: a request of this fd succeeded */
	bool truncated; /* protected by lock: O_TRUNC or ftruncate: `>>` replaces, not adds */
	struct fuse_pollhandle *ph;    /* protected by the table lock */
	struct fsnode_file *next_open; /* protected by the table lock */
	/* protected by lock: ops->backing's file, or -1 (none, or nothing yet) */
	int backing_fd;
};

struct fsnode_table;
struct fsnode_park;
struct fsnode_notify;
struct fsnode_lasterr;
struct fsnode_longtxns;

struct fsnode_ctx {
	struct daemon *d;
	struct fuse_session *se;
	struct fsnode_table *nodes;
	struct fsnode_park *park;
	struct fsnode_notify *notify;
	struct fsnode_lasterr *lasterr;
	struct fsnode_longtxns *longtxns;
	struct timespec mounted;
	uid_t uid;
	gid_t gid;
};

/* router.c */
const struct fsnode_route *fsnode_root_route(void);
/* The route a name takes under a directory of type parent, or NULL. A "*"
 * route matches any name that is not a fixed sibling. */
const struct fsnode_route *fsnode_route_match(enum fsnode_type parent, const char *name);
/* The route of an existing name under dir: a fixed name, or the first "*"
 * route whose ops->lookup finds the object; NULL when there is none. */
const struct fsnode_route *fsnode_route_lookup(struct fsnode_ctx *ctx, const struct fsnode *dir,
					       const char *name);
/* Whether r is a "*" route with another "*" sibling after it, so the kind
 * of a name it matched is known only after lookup. */
bool fsnode_route_ambiguous(const struct fsnode_route *r);
/* Iterates the routes under parent: pass NULL first, then the last result. */
const struct fsnode_route *fsnode_route_next(enum fsnode_type parent,
					     const struct fsnode_route *prev);

/* inode.c: the table of inodes the kernel knows, by number and by path. */
int fsnode_table_new(struct fsnode_table **out);
void fsnode_table_free(struct fsnode_table *t);
struct fsnode *fsnode_root(struct fsnode_table *t);
/* Finds or creates the node for name under parent and adds one lookup. */
int fsnode_table_lookup(struct fsnode_table *t, struct fsnode *parent,
			const struct fsnode_route *route, const char *name, struct fsnode **out);
struct fsnode *fsnode_table_get(struct fsnode_table *t, fuse_ino_t ino);
/* Drops n lookups; frees the node at zero (never the root). */
void fsnode_table_forget(struct fsnode_table *t, fuse_ino_t ino, uint64_t n);
/* The inode number of a path the kernel knows, or 0. */
fuse_ino_t fsnode_table_ino_of(struct fsnode_table *t, const char *path);
/* Marks path changed: bumps its generation and wakes every poller of it. */
void fsnode_table_changed(struct fsnode_table *t, const char *path);
void fsnode_table_attach(struct fsnode_table *t, struct fsnode_file *f);
void fsnode_table_detach(struct fsnode_table *t, struct fsnode_file *f);
/* Stores ph (taking it) for f; returns the node's generation. */
uint64_t fsnode_table_poll(struct fsnode_table *t, struct fsnode_file *f,
			   struct fuse_pollhandle *ph);
uint64_t fsnode_table_gen(struct fsnode_table *t, const struct fsnode *node);

/* lasterr.c: each directory's `last-error`. */
int fsnode_lasterr_new(struct fsnode_lasterr **out);
void fsnode_lasterr_free(struct fsnode_lasterr *l);
void fsnode_lasterr_set(struct fsnode_ctx *ctx, const char *dir, const char *msg);
/* Drops the entries of path and of every directory below it: its object
 * was removed, so one made again under that name starts clean. */
void fsnode_lasterr_forget(struct fsnode_ctx *ctx, const char *path);
int fsnode_lasterr_render(struct fsnode_lasterr *l, const char *dir, struct nb_buf *out,
			  struct timespec *mtime);
/* The directory part of path ("" for a top-level name) into out. */
void fsnode_dirname(const char *path, char *out, size_t len);

#endif
