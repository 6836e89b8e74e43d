/*
 * backend/ecs/logcap.h - a container's output captured into files that
 * outlive the container: "<name>.log" (raw lines) and the task's shared
 * "task.log" (each line prefixed "[<name>] "), in a directory the caller
 * gives. "<name>.pos" records how far the capture got, so a capture started
 * again for the same container neither loses nor repeats a line.
 */
#ifndef NB_ECS_LOGCAP_H
#define NB_ECS_LOGCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"

struct engine;

/* A log message's time, as the engine stamps it (nanoseconds since 1970, UTC). */
struct ecs_ts {
	int64_t sec;
	int32_t nsec;
};

/*
 * How far a capture got: the newest message time written, and how many
 * messages with exactly that time were written. The count matters because
 * the engine stamps every 16 KB piece of a long line with the same time.
 */
struct ecs_logpos {
	struct ecs_ts ts; /* {0, 0}: nothing captured yet */
	unsigned count;
	/* The log files' sizes when the position was written, so a capture
	 * started again after a crash cuts off lines it will fetch again; -1
	 * when unknown (a position written by an older nimbusfs). */
	int64_t raw_size, task_size;
};

/* Parses an RFC 3339 time ("2026-11-23T19:35:44.260766239Z", any fraction
 * length, "Z" or "+hh:mm"). Returns 0 or -EINVAL. Pure. */
int ecs_ts_parse(const char *s, size_t len, struct ecs_ts *out);

/* -1, 0 or 1 as a is before, equal to or after b. */
int ecs_ts_cmp(const struct ecs_ts *a, const struct ecs_ts *b);

/* One complete line, timestamp stripped, without its newline. */
struct ecs_line {
	const char *text;
	size_t len;
	bool has_ts;	  /* ts/nts are valid: at least one message had a time */
	struct ecs_ts ts; /* the newest message time in the line */
	unsigned nts;	  /* how many of the line's messages carry exactly ts */
};

/* Returns 0 to go on, nonzero to stop: the feed returns that value. */
typedef int (*ecs_line_cb)(void *ud, const struct ecs_line *line);

#define ECS_LINE_MAX (1u << 20) /* a longer line is cut, so memory stays bounded */

/*
 * Turns one output stream (stdout or stderr, never both) of "logs with
 * timestamps" into lines. Each engine message starts with "<time> "; a
 * message without a newline (a long line's 16 KB piece) is held and the next
 * message's text continues it. Zero it, set the public fields, feed it;
 * ecs_linebuf_free() releases the held line.
 */
struct ecs_linebuf {
	bool timestamps;	   /* public: messages start with "<time> " */
	bool strip_cr;		   /* public: drop a "\r" before "\n" (TTY output) */
	struct ecs_logpos *resume; /* public, may be NULL: messages at or before it are
				    * dropped (count of them at exactly ts); shared by
				    * a container's two streams, decremented as they skip */
	/* private */
	int state;
	char tsbuf[48];
	size_t tslen;
	struct nb_buf line;
	bool open; /* a message contributed to the held line */
	bool has_ts;
	struct ecs_ts ts;
	unsigned nts;
};

/* Feeds the next len bytes of the stream; calls cb once per completed line.
 * Returns 0, cb's nonzero value, or -ENOMEM. Does not block. */
int ecs_linebuf_feed(struct ecs_linebuf *lb, const char *data, size_t len, ecs_line_cb cb,
		     void *ud);

/* Marks the end of an engine message (a frame): the next byte starts a new
 * message with its own time. Without it only a newline ends a message. */
void ecs_linebuf_end_message(struct ecs_linebuf *lb);

/* Emits the held partial line, if any, as a complete line. Returns 0 or cb's
 * nonzero value. */
int ecs_linebuf_flush(struct ecs_linebuf *lb, ecs_line_cb cb, void *ud);

void ecs_linebuf_free(struct ecs_linebuf *lb);

/*
 * Reads "<name>.pos" in dirfd into *pos ({0} and sizes -1 when there is
 * none). Returns 0, or -EINVAL for a file in any other format than
 * "<sec>.<nsec9> <count>[ <raw size> <task.log size>]\n".
 */
int ecs_logpos_load(int dirfd, const char *name, struct ecs_logpos *pos, struct nb_err *err);

/* Called from the capture thread with no lock held; see ecs_logcap_start(). */
struct ecs_logcap_ops {
	/* New lines were written: the files' sizes now. At most once per chunk
	 * received from the engine. May be NULL. */
	void (*on_append)(void *ud, const char *name, size_t raw_bytes_now, size_t task_bytes_now);
	/* The stream ended by itself: err 0 when the engine closed it (the
	 * container exited), else a negative errno (-ENOENT container gone,
	 * -EHOSTDOWN engine unreachable, -EPROTO corrupt stream, -EIO/-ENOSPC
	 * a file write failed). The last call; never after ecs_logcap_stop().
	 * Must not call ecs_logcap_stop() itself. May be NULL. */
	void (*on_done)(void *ud, const char *name, int err);
	/* Each line once written, without its newline. May be NULL. */
	void (*on_line)(void *ud, const char *name, const char *text, size_t len);
	void *ud;
	/* Only "<name>.log": no shared task.log (a container of its own). */
	bool raw_only;
	/* The only capture writing task.log, so it may cut task.log back too. */
	bool sole_writer;
};

struct ecs_logcap;

/*
 * Starts a thread following GET /containers/{id}/logs (stdout and stderr,
 * with timestamps, since the time in "<name>.pos"), appending lines to
 * "<name>.log" and "task.log" in dirfd (duplicated; the caller keeps its fd)
 * and "<name>.pos" at most every 100 ms. When the engine ends the stream, the
 * logs are read once more without follow, since an engine may end it before
 * the container's last message. tty: the container has a TTY, so its
 * output is not framed. name is the task's container name: no "/", not
 * "task", not starting with ".". Only one capture per name at a time: stop
 * the old one before starting again. Returns 0, -EINVAL (bad name, corrupt
 * pos file), or the errno of opening the files. Does not block on the engine.
 */
int ecs_logcap_start(struct engine *eng, const char *container_id, const char *name, bool tty,
		     int dirfd, const struct ecs_logcap_ops *ops, struct ecs_logcap **out,
		     struct nb_err *err);

/*
 * Stops the capture (within ~200 ms even while the stream is idle), writes
 * out a held partial line and "<name>.pos", joins the thread and frees cap.
 * Safe after on_done and with cap NULL. Waits for a callback already running,
 * so do not call it holding a lock the callbacks take. Blocks.
 */
void ecs_logcap_stop(struct ecs_logcap *cap);

#endif
