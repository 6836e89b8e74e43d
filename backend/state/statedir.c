/*
 * backend/state/statedir.c - locating, creating and locking the state dir.
 * The lock is an flock on "lock", released by the kernel when the daemon
 * dies, so a crashed daemon never leaves a stale lock behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/log.h"
#include "backend/state/atomic.h"
#include "backend/state/statedir.h"

int state_dir_default(char *out, size_t len, struct nb_err *err)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (geteuid() == 0)
		n = snprintf(out, len, "/var/lib/nimbusfs");
	else if (xdg && xdg[0] == '/')
		n = snprintf(out, len, "%s/nimbusfs", xdg);
	else if (home && home[0] == '/')
		n = snprintf(out, len, "%s/.local/state/nimbusfs", home);
	else
		return nb_err_set(err, -EINVAL,
				  "no state dir: set --state-dir, XDG_STATE_HOME or HOME");
	if (n < 0 || (size_t)n >= len)
		return nb_err_set(err, -ENAMETOOLONG, "state dir path is too long");
	return 0;
}

static int mkdir_p(const char *path, struct nb_err *err)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return nb_err_set(err, -ENAMETOOLONG, "state dir path is too long");
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return nb_err_set(err, -errno, "cannot create %s: %s", tmp,
					  strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return nb_err_set(err, -errno, "cannot create state dir %s: %s", tmp,
				  strerror(errno));
	return 0;
}

static int load_or_create_id(struct state_dir *sd, struct nb_err *err)
{
	cleanup_free char *text = NULL;
	unsigned char raw[STATE_ID_LEN / 2];
	char line[STATE_ID_LEN + 2];
	size_t len;
	int ret = state_read_file(sd->dirfd, "id", 64, &text, &len, err);

	if (ret == 0 && len >= STATE_ID_LEN && strspn(text, "0123456789abcdef") >= STATE_ID_LEN) {
		(void)fchmodat(sd->dirfd, "id", 0600, 0); /* made 0644 by older versions */
		memcpy(sd->id, text, STATE_ID_LEN);
		sd->id[STATE_ID_LEN] = '\0';
		return 0;
	}
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return nb_err_set(err, -EIO, "cannot read random bytes for the state id");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(sd->id + 2 * i, 3, "%02x", raw[i]);
	snprintf(line, sizeof(line), "%s\n", sd->id);
	return state_write_atomic(sd->dirfd, "id", line, strlen(line), 0600, err);
}

static int take_lock(struct state_dir *sd, struct nb_err *err)
{
	char pid[32];
	ssize_t n;

	sd->lockfd = openat(sd->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sd->lockfd < 0)
		return nb_err_set(err, -errno, "cannot open %s/lock: %s", sd->path,
				  strerror(errno));
	(void)fchmod(sd->lockfd, 0600); /* made 0644 by older versions */
	if (flock(sd->lockfd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;

		n = pread(sd->lockfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (saved == EWOULDBLOCK)
			return nb_err_set(err, -EBUSY,
					  "state dir %s is in use by another nimbusfs (pid %s)",
					  sd->path, pid[0] ? pid : "unknown");
		return nb_err_set(err, -saved, "cannot lock %s/lock: %s", sd->path,
				  strerror(saved));
	}
	return state_dir_record_pid(sd, err);
}

int state_dir_record_pid(struct state_dir *sd, struct nb_err *err)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

	if (ftruncate(sd->lockfd, 0) < 0 || pwrite(sd->lockfd, pid, (size_t)n, 0) != n)
		return nb_err_set(err, -errno, "cannot write %s/lock: %s", sd->path,
				  strerror(errno));
	return 0;
}

/* Secrets and state are the owner's alone: a state dir of ours that others
 * may enter (made by hand, or by an older version) is made 0700. */
static void owner_only(struct state_dir *sd)
{
	struct stat st;

	if (fstat(sd->dirfd, &st) < 0 || st.st_uid != geteuid() || !(st.st_mode & 077))
		return;
	if (fchmod(sd->dirfd, 0700) < 0)
		log_warn("state dir %s is mode 0%o and cannot be made 0700: %s", sd->path,
			 (unsigned)(st.st_mode & 07777), strerror(errno));
	else
		log_info("state dir %s was mode 0%o; made 0700", sd->path,
			 (unsigned)(st.st_mode & 07777));
}

int state_dir_open(const char *path, struct state_dir **out, struct nb_err *err)
{
	struct state_dir *sd;
	int ret;

	if (!path || path[0] != '/')
		return nb_err_set(err, -EINVAL, "state dir must be an absolute path");
	ret = mkdir_p(path, err);
	if (ret < 0)
		return ret;
	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return nb_err_set(err, -ENOMEM, "out of memory");
	sd->lockfd = -1;
	sd->path = strdup(path);
	sd->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!sd->path || sd->dirfd < 0) {
		ret = nb_err_set(err, sd->path ? -errno : -ENOMEM, "cannot open state dir %s: %s",
				 path, strerror(errno));
		state_dir_close(sd);
		return ret;
	}
	ret = take_lock(sd, err);
	if (ret == 0)
		ret = load_or_create_id(sd, err);
	if (ret == 0)
		owner_only(sd);
	if (ret < 0) {
		state_dir_close(sd);
		return ret;
	}
	*out = sd;
	return 0;
}

void state_dir_close(struct state_dir *sd)
{
	if (!sd)
		return;
	if (sd->lockfd >= 0)
		close(sd->lockfd); /* releases the flock */
	if (sd->dirfd >= 0)
		close(sd->dirfd);
	free(sd->path);
	free(sd);
}

int state_dir_check_writable(struct state_dir *sd, struct nb_err *err)
{
	/* Some bytes, not an empty file: a full tmpfs or ext4 still creates
	 * empty files (an inode is not a block), so only a write finds out. */
	static const char probe[STATE_DIR_PROBE_BYTES] = { 0 };
	int ret = state_write_atomic(sd->dirfd, ".probe", probe, sizeof(probe), 0600, err);

	/* Worded as the atomic writer's refusal mark words it, so that health
	 * shows the one problem once. */
	if (ret < 0)
		return nb_err_wrap(err, STATE_WRITE_REFUSED);
	/* No fsync: a probe left behind by a crash is harmless. */
	unlinkat(sd->dirfd, ".probe", 0);
	return 0;
}
