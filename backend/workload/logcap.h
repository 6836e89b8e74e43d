/*
 * backend/workload/logcap.h - a container's output captured into files that
 * outlive the container: "<name>.log" (raw lines) and the task's shared
 * "task.log" (each line prefixed "[<name>] "), in a directory the caller
 * gives. "<name>.pos" records how far the capture got, so a capture started
 * again for the same container neither loses nor repeats a line.
 */
#ifndef NB_WORKLOAD_LOGCAP_H
#define NB_WORKLOAD_LOGCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"
#include "backend/engine/logline.h"

struct engine;

/* How far a capture got: the newest message it wrote (see
 * engine_logmark), and the files' sizes then. */
struct wl_logpos {
	struct engine_logmark mark;
	/* The log files' sizes when the position was written, so a capture
	 * started again after a crash cuts off lines it will fetch again; -1
	 * when unknown (a position written by an older nimbusfs). */
	int64_t raw_size, task_size;
};

/*
 * Reads "<name>.pos" in dirfd into *pos ({0} and sizes -1 when there is
 * none). Returns 0, or -EINVAL for a file in any other format than
 * "<sec>.<nsec9> <count>[ <raw size> <task.log size>]\n".
 */
int wl_logpos_load(int dirfd, const char *name, struct wl_logpos *pos, struct nb_err *err);

/* Called from the capture thread with no lock held; see wl_logcap_start(). */
struct wl_logcap_ops {
	/* New lines were written: the files' sizes now. At most once per read
	 * from the engine (a read carries up to 16 KiB of output), right after
	 * its lines reach the files. May be NULL. */
	void (*on_append)(void *ud, const char *name, size_t raw_bytes_now, size_t task_bytes_now);
	/* The stream ended by itself: err 0 when the engine closed it (the
	 * container exited), else a negative errno (-ENOENT container gone,
	 * -EHOSTDOWN engine unreachable, -EPROTO corrupt stream, -EIO/-ENOSPC
	 * a file write failed). The last call; never after wl_logcap_stop().
	 * Must not call wl_logcap_stop() itself. May be NULL. */
	void (*on_done)(void *ud, const char *name, int err);
	/* Each line once written, without its newline. May be NULL. */
	void (*on_line)(void *ud, const char *name, const char *text, size_t len);
	void *ud;
	/* Only "<name>.log": no shared task.log (a container of its own). */
	bool raw_only;
	/* The only capture writing task.log, so it may cut task.log back too. */
	bool sole_writer;
};

struct wl_logcap;

/*
 * Starts a thread following GET /containers/{id}/logs (stdout and stderr,
 * with timestamps, since the time in "<name>.pos"), appending lines to
 * "<name>.log" and "task.log" in dirfd (duplicated; the caller keeps its fd)
 * a read from the engine at a time (one write() per file), then "<name>.pos"
 * (fsync'd at most every 100 ms). When the engine ends the stream, the
 * logs are read once more without follow, since an engine may end it before
 * the container's last message. tty: the container has a TTY, so its
 * output is not framed. name is the task's container name: no "/", not
 * "task", not starting with ".". Only one capture per name at a time: stop
 * the old one before starting again. Returns 0, -EINVAL (bad name, corrupt
 * pos file), or the errno of opening the files. Does not block on the engine.
 */
int wl_logcap_start(struct engine *eng, const char *container_id, const char *name, bool tty,
		    int dirfd, const struct wl_logcap_ops *ops, struct wl_logcap **out,
		    struct nb_err *err);

/*
 * Stops the capture (within ~200 ms even while the stream is idle), writes
 * out a held partial line and "<name>.pos", joins the thread and frees cap.
 * Safe after on_done and with cap NULL. Waits for a callback already running,
 * so do not call it holding a lock the callbacks take. Blocks.
 */
void wl_logcap_stop(struct wl_logcap *cap);

#endif
