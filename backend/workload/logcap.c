/*
 * backend/workload/logcap.c - captures a container's output into files that
 * outlive it. The engine's timestamps are stripped from what users read but
 * kept in "<name>.pos", so a restarted capture asks the engine for output
 * since that exact nanosecond and drops what it already wrote. Timestamps
 * and line splitting are in logline.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/fdio.h"
#include "backend/common/log.h"
#include "backend/workload/logcap.h"
#include "backend/engine/engine.h"
#include "backend/engine/logs.h"
#include "backend/state/atomic.h"

#define POS_SAVE_NS  100000000LL /* at most one fsync'd pos write per 100 ms */
#define WRITE_MAX    (64u << 10) /* queued bytes written out even mid-read */
#define POS_MAX	     128
#define NAME_MAX_LEN 200 /* leaves room for ".pos.tmp" in state_write_atomic */
#define TASK_LOG     "task.log"

/* ---- position file ---- */

static void pos_name(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s.pos", name);
}

int wl_logpos_load(int dirfd, const char *name, struct wl_logpos *pos, struct nb_err *err)
{
	cleanup_free char *buf = NULL;
	char file[NAME_MAX_LEN + 8];
	const char *p;
	size_t len;
	int ret, i;
	uint64_t v;

	*pos = (struct wl_logpos){ .raw_size = -1, .task_size = -1 };
	pos_name(file, sizeof(file), name);
	ret = state_read_file(dirfd, file, POS_MAX, &buf, &len, err);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	p = buf;
	for (v = 0; *p >= '0' && *p <= '9' && v < INT64_MAX / 10; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (p == buf || *p++ != '.')
		goto bad;
	pos->mark.ts.sec = (int64_t)v;
	for (i = 0; i < 9; i++, p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		pos->mark.ts.nsec = pos->mark.ts.nsec * 10 + (*p - '0');
	}
	if (*p++ != ' ' || *p < '0' || *p > '9')
		goto bad;
	for (v = 0; *p >= '0' && *p <= '9' && v < UINT32_MAX / 10; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	pos->mark.count = (unsigned)v;
	for (int f = 0; f < 2 && *p == ' '; f++) {
		const char *start = ++p;

		for (v = 0; *p >= '0' && *p <= '9' && v < INT64_MAX / 10; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		if (p == start)
			goto bad;
		*(f ? &pos->task_size : &pos->raw_size) = (int64_t)v;
	}
	if (*p++ != '\n' || (size_t)(p - buf) != len || (pos->raw_size < 0) != (pos->task_size < 0))
		goto bad;
	return 0;
bad:
	*pos = (struct wl_logpos){ .raw_size = -1, .task_size = -1 };
	return nb_err_set(err, -EINVAL, "%s is corrupt: expected \"<sec>.<nsec> <count>\"", file);
}

/* ---- the capture ---- */

struct wl_logcap {
	struct engine *eng;
	char *id;
	char *name;
	char *prefix; /* "[<name>] ", before each of its lines in task.log */
	size_t prefix_len;
	bool tty;
	int dirfd;
	int rawfd;  /* <name>.log, O_APPEND */
	int taskfd; /* task.log, O_APPEND, shared with the task's other captures */
	struct wl_logcap_ops ops;
	pthread_t thread;
	struct nb_cancel stop;
	/* The rest belongs to the capture thread (and to start before it runs). */
	struct engine_demux demux;
	struct engine_linebuf lb[2]; /* stdout, stderr: their lines never mix */
	struct wl_logpos resume;     /* written before the current read began */
	struct wl_logpos pos;	     /* what the files hold, resume included */
	struct engine_logmark next;  /* pos's mark with the queued lines too */
	struct nb_buf rawq;	     /* whole lines for <name>.log, not written yet */
	struct nb_buf taskq;	     /* the same lines prefixed, for task.log */
	bool pos_dirty;		     /* the files moved on since <name>.pos was written */
	int64_t pos_saved_ns;
	size_t raw_bytes;   /* <name>.log's size */
	size_t task_bytes;  /* task.log's end after this capture's last write */
	unsigned task_skip; /* lines fetched again that task.log already has */
	bool scan_task;	    /* count those first: task.log grew past the position */
	bool wrote;	    /* since the last on_append */
	int werr;	    /* first file write error: ends the capture */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Empties a written queue, keeping the room a read needs, not what a long
 * line grew it to. */
static void queue_empty(struct nb_buf *q)
{
	if (q->cap > 2 * WRITE_MAX)
		nb_buf_free(q);
	else
		nb_buf_reset(q);
}

/*
 * Writes the queued lines out: task.log's in one write(), so O_APPEND
 * keeps them whole between the lines of the task's other captures (a
 * write() to a regular file is not interleaved with another), then the
 * container's log. The position moves only after both, so a kill at any
 * point leaves the files ahead of it, never behind: a capture started
 * again cuts or skips what is ahead (see wl_logcap_start()).
 */
static int cap_write_out(struct wl_logcap *cap)
{
	int ret = 0;

	if (cap->werr)
		return cap->werr;
	if (cap->taskq.len) {
		off_t end;

		ret = nb_write_all(cap->taskfd, cap->taskq.data, cap->taskq.len);
		end = ret ? -1 : lseek(cap->taskfd, 0, SEEK_CUR);
		if (end >= 0)
			cap->task_bytes = (size_t)end;
	}
	if (ret == 0 && cap->rawq.len) {
		ret = nb_write_all(cap->rawfd, cap->rawq.data, cap->rawq.len);
		cap->raw_bytes += ret ? 0 : cap->rawq.len;
	}
	if (ret < 0)
		return cap->werr = log_error(ret, "logs of %s: cannot write: %s", cap->name,
					     strerror(-ret));
	if (cap->ops.on_line) {
		for (const char *p = cap->rawq.data, *end = p + cap->rawq.len, *nl; p < end;
		     p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			cap->ops.on_line(cap->ops.ud, cap->name, p, (size_t)(nl - p));
		}
	}
	cap->wrote = cap->wrote || cap->rawq.len;
	cap->pos_dirty = cap->pos_dirty || cap->rawq.len ||
			 engine_ts_cmp(&cap->next.ts, &cap->pos.mark.ts) ||
			 cap->next.count != cap->pos.mark.count;
	cap->pos.mark = cap->next;
	queue_empty(&cap->rawq);
	queue_empty(&cap->taskq);
	return 0;
}

/* Queues one line for both files; the queue is written out at the end of
 * each read from the engine, or when it grows past WRITE_MAX. */
static int cap_line(void *ud, const struct engine_line *line)
{
	struct wl_logcap *cap = ud;
	bool to_task = cap->taskfd >= 0 && !cap->task_skip;

	if (cap->taskfd >= 0 && cap->task_skip)
		cap->task_skip--;
	/* Room first, so a line goes to both queues or to neither. */
	if (nb_buf_reserve(&cap->rawq, line->len + 1) < 0 ||
	    (to_task && nb_buf_reserve(&cap->taskq, cap->prefix_len + line->len + 1) < 0))
		return cap->werr = -ENOMEM;
	if (to_task) {
		nb_buf_append(&cap->taskq, cap->prefix, cap->prefix_len);
		nb_buf_append(&cap->taskq, line->text, line->len);
		nb_buf_append(&cap->taskq, "\n", 1);
	}
	nb_buf_append(&cap->rawq, line->text, line->len);
	nb_buf_append(&cap->rawq, "\n", 1);
	if (line->has_ts) {
		int c = engine_ts_cmp(&line->ts, &cap->next.ts);

		if (c > 0)
			cap->next = (struct engine_logmark){ .ts = line->ts, .count = line->nts };
		else if (c == 0)
			cap->next.count += line->nts;
	}
	if (cap->rawq.len + cap->taskq.len >= WRITE_MAX)
		return cap_write_out(cap);
	return 0;
}

static void cap_save_pos(struct wl_logcap *cap, bool force)
{
	char file[NAME_MAX_LEN + 8], text[POS_MAX];
	struct nb_err err = { 0 };
	int64_t now = now_ns();
	int n;

	bool sync = force || now - cap->pos_saved_ns >= POS_SAVE_NS;

	if (!cap->pos_dirty)
		return;
	pos_name(file, sizeof(file), cap->name);
	n = snprintf(text, sizeof(text), "%" PRId64 ".%09" PRId32 " %u %zu %zu\n",
		     cap->pos.mark.ts.sec, cap->pos.mark.ts.nsec, cap->pos.mark.count,
		     cap->raw_bytes, cap->task_bytes);
	/* Every write-out's position reaches the file, so a killed nimbusfs
	 * fetches little again when it captures again; the fsync, which only
	 * a machine crash needs, at most every 100 ms. */
	if (state_write_atomic_flags(cap->dirfd, file, text, (size_t)n, 0600,
				     sync ? 0 : STATE_WRITE_NOSYNC, &err) < 0) {
		/* Not fatal: a later save, or more fetched again after a crash. */
		log_warn("logs of %s: %s", cap->name, err.msg);
		return;
	}
	cap->pos_dirty = false;
	if (sync)
		cap->pos_saved_ns = now;
}

static void cap_announce(struct wl_logcap *cap)
{
	if (!cap->wrote)
		return;
	cap->wrote = false;
	if (cap->ops.on_append && !nb_cancelled(&cap->stop))
		cap->ops.on_append(cap->ops.ud, cap->name, cap->raw_bytes, cap->task_bytes);
}

/* Writes out what is queued, tells the service, then saves the position
 * (a reader need not wait for the rename: the files are already ahead). */
static int cap_commit(struct wl_logcap *cap, bool sync)
{
	int ret = cap_write_out(cap);

	cap_announce(cap);
	cap_save_pos(cap, sync);
	return ret;
}

static int cap_piece(int stream, const char *data, size_t len, void *ud)
{
	struct wl_logcap *cap = ud;
	struct engine_linebuf *lb = &cap->lb[stream == ENGINE_STDERR];
	int ret = engine_linebuf_feed(lb, data, len, cap_line, cap);

	if (ret)
		return cap->werr ? cap->werr : ret;
	/* The demuxer counts a piece out before handing it on, so nothing left
	 * means this piece ended the frame, which is one engine message. */
	if (!cap->demux.raw && cap->demux.remaining == 0)
		engine_linebuf_end_message(lb);
	return 0;
}

static int cap_chunk(const char *data, size_t len, void *ud)
{
	struct wl_logcap *cap = ud;

	return engine_demux_feed(&cap->demux, data, len, cap_piece, cap) != 0;
}

/* The engine handed over all it read at once: the lines it completed are
 * written out now, so a reader sees each line as soon as the engine sent it,
 * and a burst costs a write per file and a position per read, not per line. */
static int cap_drained(void *ud)
{
	return cap_commit(ud, false) != 0;
}

/* Reads the logs since cap->resume: following them until the engine ends
 * the stream or stop is set, or (!follow) only what is there now. */
static int cap_read(struct wl_logcap *cap, bool follow, struct nb_err *err)
{
	cleanup_free char *eid = engine_escape(cap->id);
	cleanup_buf struct nb_buf path = { 0 };
	struct engine_req req = { .method = "GET" };
	static const struct engine_stream_hooks hooks = { .drained = cap_drained };
	int ret;

	/* since is inclusive to the nanosecond (checked on Engine 20.10): the
	 * messages at resume.mark.ts come again and the line buffers drop them. */
	if (!eid ||
	    nb_buf_printf(&path,
			  "/containers/%s/logs?follow=%d&stdout=1&stderr=1&timestamps=1"
			  "&since=%" PRId64 ".%09" PRId32 "&tail=all",
			  eid, follow, cap->resume.mark.ts.sec, cap->resume.mark.ts.nsec) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path.data;
	engine_demux_init(&cap->demux, cap->tty);
	ret = engine_stream_hooked(cap->eng, &req, cap_chunk, &hooks, cap, &cap->stop, err);
	if (cap->werr)
		return nb_err_set(err, cap->werr, "logs of %s: cannot write the log files",
				  cap->name);
	if (ret < 0 || nb_cancelled(&cap->stop))
		return ret;
	if (cap->demux.error)
		return nb_err_set(err, cap->demux.error, "logs of %s: %s", cap->name,
				  cap->demux.why);
	return engine_demux_end(&cap->demux, err);
}

/* Queues the held partial lines (of a stream that ended or stops). */
static void cap_flush(struct wl_logcap *cap)
{
	for (int i = 0; i < 2 && !cap->werr; i++)
		engine_linebuf_flush(&cap->lb[i], cap_line, cap);
}

/*
 * Engine 20.10 may end a follow stream at the container's exit before
 * sending its last message (seen with a final line without a newline), so
 * a stream that ended by itself is read once more, without follow, from
 * where the capture got: what was written already is dropped.
 */
static int cap_follow(struct wl_logcap *cap, struct nb_err *err)
{
	int ret = cap_read(cap, true, err);

	if (ret < 0 || nb_cancelled(&cap->stop))
		return ret;
	cap_flush(cap);
	if (cap_commit(cap, false) < 0)
		return nb_err_set(err, cap->werr, "logs of %s: cannot write the log files",
				  cap->name);
	cap->resume = cap->pos;
	return cap_read(cap, false, err);
}

/* How many lines of task.log from byte from on start with prefix: the
 * lines a capture wrote there after its position was saved. */
static unsigned own_lines_after(int dirfd, size_t from, const char *prefix, size_t prefix_len)
{
	cleanup_close int fd = openat(dirfd, TASK_LOG, O_RDONLY | O_CLOEXEC);
	size_t matched = 0; /* bytes of prefix matched at this line's start */
	bool mismatch = false;
	unsigned lines = 0;
	char buf[8192];
	ssize_t n;

	while (fd >= 0 && (n = pread(fd, buf, sizeof(buf), (off_t)from)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				matched = 0;
				mismatch = false;
				continue;
			}
			if (mismatch || matched == prefix_len)
				continue;
			if (buf[i] != prefix[matched]) {
				mismatch = true;
				continue;
			}
			if (++matched == prefix_len)
				lines++;
		}
		from += (size_t)n;
	}
	return lines;
}

static void *cap_main(void *arg)
{
	struct wl_logcap *cap = arg;
	struct nb_err err = { 0 };
	int ret;

	/* The shared task.log past the saved size holds the task's other
	 * captures' lines too: a read to its end, which can be long. */
	if (cap->scan_task)
		cap->task_skip = own_lines_after(cap->dirfd, (size_t)cap->resume.task_size,
						 cap->prefix, cap->prefix_len);
	ret = cap_follow(cap, &err);

	if (ret < 0 && !nb_cancelled(&cap->stop))
		log_warn("logs of %s (%s): %s", cap->name, cap->id, err.msg);
	/* Written, not dropped: a stopped capture must not lose a held piece
	 * that another stream's newer line has already moved pos past. */
	cap_flush(cap);
	cap_commit(cap, true);
	if (cap->werr && ret == 0)
		ret = cap->werr;
	if (cap->ops.on_done && !nb_cancelled(&cap->stop))
		cap->ops.on_done(cap->ops.ud, cap->name, ret);
	return NULL;
}

static void cap_free(struct wl_logcap *cap)
{
	for (int i = 0; i < 2; i++)
		engine_linebuf_free(&cap->lb[i]);
	nb_buf_free(&cap->rawq);
	nb_buf_free(&cap->taskq);
	nb_close_p(&cap->dirfd);
	nb_close_p(&cap->rawfd);
	nb_close_p(&cap->taskfd);
	nb_cancel_destroy(&cap->stop);
	free(cap->id);
	free(cap->name);
	free(cap->prefix);
	free(cap);
}

static void cap_free_p(struct wl_logcap **p)
{
	if (*p)
		cap_free(*p);
}

static int open_log(struct wl_logcap *cap, const char *file, size_t *size, struct nb_err *err)
{
	int fd = openat(cap->dirfd, file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	off_t end;

	if (fd < 0)
		return nb_err_set(err, -errno, "cannot open %s: %s", file, strerror(errno));
	end = lseek(fd, 0, SEEK_END);
	*size = end > 0 ? (size_t)end : 0;
	return fd;
}

static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	return len && len <= NAME_MAX_LEN && name[0] != '.' && !strchr(name, '/') &&
	       strcmp(name, "task");
}

int wl_logcap_start(struct engine *eng, const char *container_id, const char *name, bool tty,
		    int dirfd, const struct wl_logcap_ops *ops, struct wl_logcap **out,
		    struct nb_err *err)
{
	__attribute__((cleanup(cap_free_p))) struct wl_logcap *cap = NULL;
	char file[NAME_MAX_LEN + 8];
	int ret;

	if (!container_id || !container_id[0])
		return nb_err_set(err, -EINVAL, "logs: no container to follow");
	if (!name || !name_ok(name))
		return nb_err_set(err, -EINVAL, "logs: \"%s\" cannot name a log file",
				  name ? name : "");
	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return nb_err_set(err, -ENOMEM, "out of memory");
	cap->dirfd = cap->rawfd = cap->taskfd = -1;
	nb_cancel_init(&cap->stop);
	cap->eng = eng;
	cap->tty = tty;
	cap->ops = ops ? *ops : (struct wl_logcap_ops){ 0 };
	cap->id = strdup(container_id);
	cap->name = strdup(name);
	if (!cap->id || !cap->name || asprintf(&cap->prefix, "[%s] ", name) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	cap->prefix_len = strlen(cap->prefix);
	cap->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (cap->dirfd < 0)
		return nb_err_set(err, -errno, "logs of %s: bad directory fd: %s", name,
				  strerror(errno));
	if (wl_logpos_load(cap->dirfd, name, &cap->resume, err) < 0)
		return nb_err_wrap(err, "logs of %s", name);
	cap->pos = cap->resume;
	snprintf(file, sizeof(file), "%s.log", name);
	if ((cap->rawfd = open_log(cap, file, &cap->raw_bytes, err)) < 0 ||
	    (!cap->ops.raw_only &&
	     (cap->taskfd = open_log(cap, TASK_LOG, &cap->task_bytes, err)) < 0))
		return nb_err_wrap(err, "logs of %s", name);
	/* Lines written after the position was (a crash came between the two):
	 * the capture fetches them again, so they go, or they would repeat.
	 * task.log, when other captures append to it too, cannot be cut back
	 * without losing their lines: there as many lines fetched again as it
	 * holds of this container's after the position are left out instead. */
	if (cap->resume.raw_size >= 0 && (int64_t)cap->raw_bytes > cap->resume.raw_size &&
	    ftruncate(cap->rawfd, (off_t)cap->resume.raw_size) == 0)
		cap->raw_bytes = (size_t)cap->resume.raw_size;
	if (cap->taskfd >= 0 && cap->resume.task_size >= 0 &&
	    (int64_t)cap->task_bytes > cap->resume.task_size) {
		if (!cap->ops.sole_writer)
			cap->scan_task = true; /* by the thread: the caller may hold a lock */
		else if (ftruncate(cap->taskfd, (off_t)cap->resume.task_size) == 0)
			cap->task_bytes = (size_t)cap->resume.task_size;
	}
	cap->next = cap->resume.mark;
	for (int i = 0; i < 2; i++)
		cap->lb[i] = (struct engine_linebuf){ .timestamps = true,
						      .strip_cr = tty,
						      .resume = &cap->resume.mark };
	ret = pthread_create(&cap->thread, NULL, cap_main, cap);
	if (ret)
		return nb_err_set(err, -ret, "logs of %s: cannot start a thread: %s", name,
				  strerror(ret));
	*out = move_ptr(cap);
	return 0;
}

void wl_logcap_stop(struct wl_logcap *cap)
{
	if (!cap)
		return;
	nb_cancel_fire(&cap->stop);
	pthread_join(cap->thread, NULL);
	cap_free(cap);
}
