/*
 * backend/state/atomic.c - crash-safe replacement of state files:
 * temp file, fsync, rename, fsync of the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/fdio.h"
#include "backend/state/atomic.h"

/* The refusal mark. refusing is read without the lock on the fast path
 * (a success with nothing marked); every change takes the lock. */
static pthread_mutex_t mark_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool refusing;
static char mark_reason[NB_ERR_MSG_MAX]; /* protected by mark_lock */
static int mark_code;			 /* protected by mark_lock */
static state_write_watch_fn watch_fn;	 /* protected by mark_lock */
static void *watch_ud;			 /* protected by mark_lock */

void state_write_watch(state_write_watch_fn fn, void *ud)
{
	pthread_mutex_lock(&mark_lock);
	watch_fn = fn;
	watch_ud = fn ? ud : NULL;
	pthread_mutex_unlock(&mark_lock);
}

void state_write_unwatch(state_write_watch_fn fn, void *ud)
{
	pthread_mutex_lock(&mark_lock);
	if (watch_fn == fn && watch_ud == ud) {
		watch_fn = NULL;
		watch_ud = NULL;
	}
	pthread_mutex_unlock(&mark_lock);
}

bool state_write_refused(char *reason, size_t len)
{
	bool marked;

	pthread_mutex_lock(&mark_lock);
	marked = atomic_load(&refusing);
	if (len)
		snprintf(reason, len, "%s", marked ? mark_reason : "");
	pthread_mutex_unlock(&mark_lock);
	return marked;
}

/* Errors that say the state dir as a whole refuses writes; others (a bad
 * name, a directory in the way) are one file's problem. */
static bool refusal(int code)
{
	return code == -ENOSPC || code == -EDQUOT || code == -EROFS || code == -EIO;
}

/* A change of the mark, maybe: a refusal, or a success while marked. */
static void mark_slow(int ret, const struct nb_err *err)
{
	struct nb_err why = { 0 };

	if (ret < 0) {
		why = *err;
		nb_err_wrap(&why, STATE_WRITE_REFUSED);
	}
	pthread_mutex_lock(&mark_lock);
	/* Another success cleared it, or it is marked for this error already:
	 * a failing disk fails every write, and one reason is enough (the
	 * first: the others differ only in the file). */
	if (ret == 0 ? !atomic_load(&refusing) : atomic_load(&refusing) && mark_code == ret) {
		pthread_mutex_unlock(&mark_lock);
		return;
	}
	atomic_store(&refusing, ret < 0);
	mark_code = ret;
	snprintf(mark_reason, sizeof(mark_reason), "%s", why.msg);
	if (watch_fn)
		watch_fn(watch_ud, ret < 0 ? mark_reason : NULL);
	pthread_mutex_unlock(&mark_lock);
}

static void mark(int ret, const struct nb_err *err)
{
	if (ret == 0 ? atomic_load_explicit(&refusing, memory_order_relaxed) : refusal(ret))
		mark_slow(ret, err);
}

int state_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       struct nb_err *err)
{
	return state_write_atomic_flags(dirfd, name, data, len, mode, 0, err);
}

static int write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			unsigned flags, struct nb_err *err)
{
	bool sync = !(flags & STATE_WRITE_NOSYNC);
	char tmp[512];
	int ret;

	if (!name[0] || strchr(name, '/') ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return nb_err_set(err, -EINVAL, "invalid state file name \"%s\"", name);
	{
		cleanup_close int fd =
			openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

		if (fd < 0)
			return nb_err_set(err, -errno, "cannot create %s in the state dir: %s", tmp,
					  strerror(errno));
		/* The mode is the caller's, whatever the umask or a stale temp
		 * file left over by a crash had. */
		ret = fchmod(fd, mode) < 0 ? -errno : 0;
		if (ret == 0)
			ret = nb_write_all(fd, data, len);
		if (ret == 0 && sync && fsync(fd) < 0)
			ret = -errno;
		if (ret < 0) {
			unlinkat(dirfd, tmp, 0);
			return nb_err_set(err, ret, "cannot write %s in the state dir: %s", tmp,
					  strerror(-ret));
		}
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		ret = -errno;
		unlinkat(dirfd, tmp, 0);
		return nb_err_set(err, ret, "cannot rename %s over %s in the state dir: %s", tmp,
				  name, strerror(-ret));
	}
	if (sync && fsync(dirfd) < 0)
		return nb_err_set(err, -errno, "cannot sync the state dir: %s", strerror(errno));
	return 0;
}

int state_write_atomic_flags(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			     unsigned flags, struct nb_err *err)
{
	struct nb_err local = { 0 };
	int ret = write_atomic(dirfd, name, data, len, mode, flags, err ? err : &local);

	mark(ret, err ? err : &local);
	return ret;
}

int state_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
		    struct nb_err *err)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t used = 0, cap = 0;

	if (fd < 0)
		return nb_err_set(err, -errno, "cannot open %s in the state dir: %s", name,
				  strerror(errno));
	for (;;) {
		ssize_t n;

		if (used + 4096 + 1 > cap) {
			char *p;

			cap = cap ? cap * 2 : 8192;
			p = realloc(buf, cap);
			if (!p)
				return nb_err_set(err, -ENOMEM, "out of memory");
			buf = p;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nb_err_set(err, -errno, "cannot read %s in the state dir: %s", name,
					  strerror(errno));
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return nb_err_set(err, -EFBIG, "%s in the state dir is over %zu bytes",
					  name, max);
	}
	buf[used] = '\0';
	*out = move_ptr(buf);
	if (len)
		*len = used;
	return 0;
}
