/*
 * tests/unit/test_atomic.c - crash-safe state files (atomic.c) and the
 * locked state dir (statedir.c), in fresh mkdtemp dirs under /tmp.
 * Tests run as root, so "not writable" is made with a removed directory
 * or a regular file standing where a directory should be, never chmod;
 * a full or read-only disk with a small tmpfs mounted in the temp dir
 * (skipped where mount is not allowed).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/state/atomic.h"
#include "backend/state/health.h"
#include "backend/state/hub.h"
#include "backend/state/statedir.h"
#include "tests/unit/helpers.h"

struct env {
	char root[64]; /* the mkdtemp dir */
	int dirfd;
	struct nb_err err;
	char mnt[PATH_MAX]; /* a tmpfs of the test's, "" when none */
};

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	if (!env)
		return -1;
	if (th_tmpdir_new("atomic", env->root, sizeof(env->root)) < 0) {
		free(env);
		return -1;
	}
	env->dirfd = open(env->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (env->dirfd < 0) {
		rmdir(env->root);
		free(env);
		return -1;
	}
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	/* Detached: a failed test may still hold files open in it. */
	if (env->mnt[0])
		umount2(env->mnt, MNT_DETACH);
	close(env->dirfd);
	th_tmpdir_remove(env->root);
	free(env);
	return 0;
}

static void path_in(const struct env *env, const char *rel, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", env->root, rel);

	assert_true(n > 0 && (size_t)n < len);
}

static bool exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void write_file_at(int dirfd, const char *name, const char *text)
{
	cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* Reads a whole file by absolute path, through state_read_file. */
static char *read_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	char *text = NULL;
	struct nb_err err = { 0 };
	cleanup_close int dfd = -1;

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(state_read_file(dfd, slash + 1, 4096, &text, NULL, &err), 0);
	return text;
}

/* state_write_atomic / state_read_file: errors first */

static void test_a_name_with_a_slash_is_rejected(void **state)
{
	struct env *env = *state;

	assert_int_equal(state_write_atomic(env->dirfd, "a/b", "x", 1, 0644, &env->err), -EINVAL);
	assert_int_equal(env->err.code, -EINVAL);
	assert_string_equal(env->err.msg, "invalid state file name \"a/b\"");
	assert_int_equal(state_write_atomic(env->dirfd, "../escape", "x", 1, 0644, &env->err),
			 -EINVAL);
	assert_false(exists_at(env->dirfd, "a"));
}

static void test_an_empty_or_overlong_name_is_rejected(void **state)
{
	struct env *env = *state;
	char name[600];

	assert_int_equal(state_write_atomic(env->dirfd, "", "x", 1, 0644, &env->err), -EINVAL);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(state_write_atomic(env->dirfd, name, "x", 1, 0644, &env->err), -EINVAL);
}

static void test_writing_into_a_removed_directory_fails_with_errno_and_reason(void **state)
{
	struct env *env = *state;
	char sub[PATH_MAX];
	cleanup_close int fd = -1;

	path_in(env, "gone", sub, sizeof(sub));
	assert_int_equal(mkdir(sub, 0755), 0);
	fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(state_write_atomic(fd, "state", "x", 1, 0644, &env->err), -ENOENT);
	assert_int_equal(env->err.code, -ENOENT);
	assert_non_null(strstr(env->err.msg, "cannot create state.tmp in the state dir"));
	assert_non_null(strstr(env->err.msg, strerror(ENOENT)));
}

static void test_a_failed_rename_removes_the_temp_file(void **state)
{
	struct env *env = *state;

	/* A directory where the file should go: rename(2) refuses. */
	assert_int_equal(mkdirat(env->dirfd, "victim", 0755), 0);
	assert_int_equal(state_write_atomic(env->dirfd, "victim", "x", 1, 0644, &env->err),
			 -EISDIR);
	assert_non_null(strstr(env->err.msg, "cannot rename victim.tmp over victim"));
	assert_false(exists_at(env->dirfd, "victim.tmp"));
}

static void test_reading_a_missing_file_fails_with_enoent(void **state)
{
	struct env *env = *state;
	char *text = (char *)"untouched";

	assert_int_equal(state_read_file(env->dirfd, "nope", 100, &text, NULL, &env->err), -ENOENT);
	assert_string_equal(text, "untouched");
	assert_non_null(strstr(env->err.msg, "cannot open nope in the state dir"));
}

static void test_reading_a_file_over_max_fails_with_efbig(void **state)
{
	struct env *env = *state;
	char *text = NULL;

	write_file_at(env->dirfd, "big", "0123456789");
	assert_int_equal(state_read_file(env->dirfd, "big", 9, &text, NULL, &env->err), -EFBIG);
	assert_null(text);
	assert_int_equal(env->err.code, -EFBIG);
	assert_non_null(strstr(env->err.msg, "big in the state dir is over 9 bytes"));
}

/* state_write_atomic / state_read_file: success */

static void test_a_file_of_exactly_max_bytes_is_read(void **state)
{
	struct env *env = *state;
	cleanup_free char *text = NULL;
	size_t len = 0;

	write_file_at(env->dirfd, "ten", "0123456789");
	assert_int_equal(state_read_file(env->dirfd, "ten", 10, &text, &len, &env->err), 0);
	assert_int_equal(len, 10);
	assert_string_equal(text, "0123456789");
}

static void test_a_write_creates_the_file_with_its_mode_and_leaves_no_temp(void **state)
{
	struct env *env = *state;
	cleanup_free char *text = NULL;
	struct stat st;
	size_t len;

	assert_int_equal(state_write_atomic(env->dirfd, "task", "{\"a\":1}\n", 8, 0600, &env->err),
			 0);
	assert_int_equal(fstatat(env->dirfd, "task", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_false(exists_at(env->dirfd, "task.tmp"));
	assert_int_equal(state_read_file(env->dirfd, "task", 1024, &text, &len, &env->err), 0);
	assert_int_equal(len, 8);
	assert_string_equal(text, "{\"a\":1}\n");
}

static void test_a_write_replaces_the_old_content_entirely(void **state)
{
	struct env *env = *state;
	cleanup_free char *text = NULL;
	size_t len;

	assert_int_equal(
		state_write_atomic(env->dirfd, "v", "a long old value\n", 17, 0644, &env->err), 0);
	assert_int_equal(state_write_atomic(env->dirfd, "v", "new\n", 4, 0644, &env->err), 0);
	assert_int_equal(state_read_file(env->dirfd, "v", 1024, &text, &len, &env->err), 0);
	assert_int_equal(len, 4);
	assert_string_equal(text, "new\n");
	assert_false(exists_at(env->dirfd, "v.tmp"));
}

static void test_a_stale_temp_file_is_overwritten_and_removed(void **state)
{
	struct env *env = *state;
	cleanup_free char *text = NULL;

	write_file_at(env->dirfd, "v.tmp", "left over by a crash, and longer than the value");
	assert_int_equal(state_write_atomic(env->dirfd, "v", "ok\n", 3, 0644, &env->err), 0);
	assert_false(exists_at(env->dirfd, "v.tmp"));
	assert_int_equal(state_read_file(env->dirfd, "v", 1024, &text, NULL, &env->err), 0);
	assert_string_equal(text, "ok\n");
}

static void test_an_empty_file_round_trips(void **state)
{
	struct env *env = *state;
	cleanup_free char *text = NULL;
	size_t len = 99;

	assert_int_equal(state_write_atomic(env->dirfd, "empty", "", 0, 0644, &env->err), 0);
	assert_int_equal(state_read_file(env->dirfd, "empty", 0, &text, &len, &env->err), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
}

static void test_a_large_file_round_trips_byte_for_byte(void **state)
{
	struct env *env = *state;
	const size_t size = 100000;
	cleanup_free char *data = malloc(size);
	cleanup_free char *text = NULL;
	size_t len;

	assert_non_null(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)(i * 7 + 3);
	assert_int_equal(state_write_atomic(env->dirfd, "big", data, size, 0644, &env->err), 0);
	assert_int_equal(state_read_file(env->dirfd, "big", size, &text, &len, &env->err), 0);
	assert_int_equal(len, size);
	assert_memory_equal(text, data, size);
	assert_int_equal(text[size], '\0');
}

/* state_dir: errors first */

static void test_a_relative_state_dir_is_rejected(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;

	assert_int_equal(state_dir_open("relative/dir", &sd, &env->err), -EINVAL);
	assert_null(sd);
	assert_string_equal(env->err.msg, "state dir must be an absolute path");
	assert_int_equal(state_dir_open(NULL, &sd, &env->err), -EINVAL);
}

static void test_a_state_dir_under_a_regular_file_cannot_be_created(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;
	char path[PATH_MAX];

	write_file_at(env->dirfd, "file", "not a directory\n");
	path_in(env, "file/state/nimbusfs", path, sizeof(path));
	assert_int_equal(state_dir_open(path, &sd, &env->err), -ENOTDIR);
	assert_null(sd);
	assert_non_null(strstr(env->err.msg, "cannot create"));
	assert_non_null(strstr(env->err.msg, "/file/state"));
}

static void test_a_state_dir_that_is_a_regular_file_cannot_be_opened(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;
	char path[PATH_MAX];

	write_file_at(env->dirfd, "plain", "x");
	path_in(env, "plain", path, sizeof(path));
	assert_true(state_dir_open(path, &sd, &env->err) < 0);
	assert_null(sd);
	assert_non_null(strstr(env->err.msg, "plain"));
}

static void test_a_second_open_of_a_locked_state_dir_is_busy_and_names_the_pid(void **state)
{
	struct env *env = *state;
	struct state_dir *first = NULL, *second = NULL;
	char path[PATH_MAX], pid[64];

	path_in(env, "locked", path, sizeof(path));
	assert_int_equal(state_dir_open(path, &first, &env->err), 0);
	assert_int_equal(state_dir_open(path, &second, &env->err), -EBUSY);
	assert_null(second);
	assert_int_equal(env->err.code, -EBUSY);
	snprintf(pid, sizeof(pid), "(pid %d)", (int)getpid());
	assert_non_null(strstr(env->err.msg, pid));
	assert_non_null(strstr(env->err.msg, path));

	state_dir_close(first);
	assert_int_equal(state_dir_open(path, &second, &env->err), 0);
	state_dir_close(second);
}

static void test_a_removed_state_dir_is_not_writable(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;
	char path[PATH_MAX], lock[PATH_MAX + 8], id[PATH_MAX + 8];

	path_in(env, "vanishing", path, sizeof(path));
	assert_int_equal(state_dir_open(path, &sd, &env->err), 0);
	snprintf(lock, sizeof(lock), "%s/lock", path);
	snprintf(id, sizeof(id), "%s/id", path);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(unlink(id), 0);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(state_dir_check_writable(sd, &env->err), -ENOENT);
	assert_non_null(strstr(env->err.msg, "state dir refuses writes: cannot create .probe.tmp"));
	state_dir_close(sd);
}

/* state_dir: success */

static void test_open_creates_nested_dirs_an_id_and_a_lock_with_the_pid(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;
	char path[PATH_MAX], file[PATH_MAX + 8], pid[32];
	cleanup_free char *id = NULL;
	cleanup_free char *lock = NULL;
	struct stat st;

	path_in(env, "a/b/c/nimbusfs", path, sizeof(path));
	assert_int_equal(state_dir_open(path, &sd, &env->err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_string_equal(sd->path, path);
	assert_int_equal(strlen(sd->id), STATE_ID_LEN);
	assert_int_equal(strspn(sd->id, "0123456789abcdef"), STATE_ID_LEN);

	snprintf(file, sizeof(file), "%s/id", path);
	id = read_path(file);
	assert_int_equal(strlen(id), STATE_ID_LEN + 1);
	assert_memory_equal(id, sd->id, STATE_ID_LEN);
	assert_int_equal(id[STATE_ID_LEN], '\n');

	snprintf(file, sizeof(file), "%s/lock", path);
	lock = read_path(file);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	assert_string_equal(lock, pid);
	state_dir_close(sd);
}

static void test_the_id_is_stable_across_reopen(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;
	char path[PATH_MAX], id[STATE_ID_LEN + 1];

	path_in(env, "stable", path, sizeof(path));
	assert_int_equal(state_dir_open(path, &sd, &env->err), 0);
	memcpy(id, sd->id, sizeof(id));
	state_dir_close(sd);
	sd = NULL;
	assert_int_equal(state_dir_open(path, &sd, &env->err), 0);
	assert_string_equal(sd->id, id);
	state_dir_close(sd);
}

static void test_two_state_dirs_get_different_ids(void **state)
{
	struct env *env = *state;
	struct state_dir *a = NULL, *b = NULL;
	char pa[PATH_MAX], pb[PATH_MAX];

	path_in(env, "one", pa, sizeof(pa));
	path_in(env, "two", pb, sizeof(pb));
	assert_int_equal(state_dir_open(pa, &a, &env->err), 0);
	assert_int_equal(state_dir_open(pb, &b, &env->err), 0);
	assert_string_not_equal(a->id, b->id);
	state_dir_close(a);
	state_dir_close(b);
}

static void test_a_corrupt_id_file_is_replaced_by_a_fresh_id(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;
	char path[PATH_MAX];
	cleanup_close int fd = -1;

	path_in(env, "corrupt", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	write_file_at(fd, "id", "not-hex-at-all!!\n");
	assert_int_equal(state_dir_open(path, &sd, &env->err), 0);
	assert_int_equal(strspn(sd->id, "0123456789abcdef"), STATE_ID_LEN);
	state_dir_close(sd);
}

static void test_a_fresh_state_dir_is_writable_and_the_probe_is_removed(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;
	char path[PATH_MAX];

	path_in(env, "probe", path, sizeof(path));
	assert_int_equal(state_dir_open(path, &sd, &env->err), 0);
	assert_int_equal(state_dir_check_writable(sd, &env->err), 0);
	assert_false(exists_at(sd->dirfd, ".probe"));
	assert_false(exists_at(sd->dirfd, ".probe.tmp"));
	state_dir_close(sd);
}

/* The refusal mark: a full, read-only or failing state dir */

struct watched {
	int calls;
	char last[NB_ERR_MSG_MAX]; /* "" for a clear */
};

static void watcher(void *ud, const char *reason)
{
	struct watched *w = ud;

	w->calls++;
	snprintf(w->last, sizeof(w->last), "%s", reason ? reason : "");
}

/* The mark is process-wide: any success clears what a test left. */
static void clear_mark(struct env *env)
{
	assert_int_equal(state_write_atomic(env->dirfd, "clear", "x", 1, 0600, &env->err), 0);
	assert_false(state_write_refused(NULL, 0));
}

/* Mounts a tmpfs of size bytes (read-only when ro) at <root>/<name> and
 * returns its dirfd; skips the test where mounting is not allowed. */
static int tmpfs_at(struct env *env, const char *name, const char *size, bool ro)
{
	char opts[64];
	int fd;

	path_in(env, name, env->mnt, sizeof(env->mnt));
	assert_int_equal(mkdir(env->mnt, 0700), 0);
	snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
	if (mount("tmpfs", env->mnt, "tmpfs", ro ? MS_RDONLY : 0, opts) < 0) {
		env->mnt[0] = '\0';
		skip();
	}
	fd = open(env->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* Writes "fill" in dirfd until no byte is left. */
static void fill(int dirfd)
{
	cleanup_close int fd =
		openat(dirfd, "fill", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char block[4096] = { 0 };

	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	assert_int_equal(errno, ENOSPC);
}

static void test_a_write_to_a_full_dir_marks_it_refusing_until_one_succeeds(void **state)
{
	struct env *env = *state;
	struct watched w = { 0 };
	char reason[NB_ERR_MSG_MAX];
	cleanup_close int full = -1;

	clear_mark(env);
	full = tmpfs_at(env, "full", "64k", false);
	fill(full);
	state_write_watch(watcher, &w);

	assert_int_equal(state_write_atomic(full, "rec", "some bytes", 10, 0600, &env->err),
			 -ENOSPC);
	assert_false(exists_at(full, "rec"));
	assert_false(exists_at(full, "rec.tmp"));
	assert_true(state_write_refused(reason, sizeof(reason)));
	assert_string_equal(reason, "state dir refuses writes: cannot write rec.tmp in the "
				    "state dir: No space left on device");
	assert_int_equal(w.calls, 1);
	assert_string_equal(w.last, reason);

	/* More of the same failure says nothing new; NOSYNC writes count too. */
	assert_int_equal(state_write_atomic_flags(full, "other", "x", 1, 0600, STATE_WRITE_NOSYNC,
						  &env->err),
			 -ENOSPC);
	assert_int_equal(w.calls, 1);
	assert_true(state_write_refused(reason, sizeof(reason)));
	assert_non_null(strstr(reason, "rec.tmp"));

	/* A write elsewhere, or once there is room, clears it, once. */
	assert_int_equal(unlinkat(full, "fill", 0), 0);
	assert_int_equal(state_write_atomic(full, "rec", "some bytes", 10, 0600, &env->err), 0);
	assert_false(state_write_refused(reason, sizeof(reason)));
	assert_string_equal(reason, "");
	assert_int_equal(w.calls, 2);
	assert_string_equal(w.last, "");
	assert_int_equal(state_write_atomic(full, "rec", "more", 4, 0600, &env->err), 0);
	assert_int_equal(w.calls, 2);
	state_write_unwatch(watcher, &w);
}

static void test_a_read_only_dir_marks_it_refusing_with_the_reason(void **state)
{
	struct env *env = *state;
	struct watched w = { 0 };
	char reason[NB_ERR_MSG_MAX];
	cleanup_close int ro = -1;

	clear_mark(env);
	ro = tmpfs_at(env, "ro", "64k", true);
	state_write_watch(watcher, &w);
	assert_int_equal(state_write_atomic(ro, "rec", "x", 1, 0600, &env->err), -EROFS);
	assert_true(state_write_refused(reason, sizeof(reason)));
	assert_string_equal(reason, "state dir refuses writes: cannot create rec.tmp in the "
				    "state dir: Read-only file system");
	assert_int_equal(w.calls, 1);
	clear_mark(env);
	assert_int_equal(w.calls, 2);
	assert_string_equal(w.last, "");

	/* Unwatched: the mark still follows, nobody is called. */
	state_write_unwatch(watcher, &w);
	assert_int_equal(state_write_atomic(ro, "rec", "x", 1, 0600, NULL), -EROFS);
	assert_true(state_write_refused(NULL, 0));
	assert_int_equal(w.calls, 2);
	clear_mark(env);
}

static void test_one_file_s_failure_does_not_mark_the_dir(void **state)
{
	struct env *env = *state;
	struct watched w = { 0 };

	clear_mark(env);
	state_write_watch(watcher, &w);
	assert_int_equal(mkdirat(env->dirfd, "busy.tmp", 0700), 0);
	assert_int_equal(state_write_atomic(env->dirfd, "busy", "x", 1, 0600, &env->err), -EISDIR);
	assert_int_equal(state_write_atomic(env->dirfd, "a/b", "x", 1, 0600, &env->err), -EINVAL);
	assert_false(state_write_refused(NULL, 0));
	assert_int_equal(w.calls, 0);
	state_write_unwatch(watcher, &w);
}

static void test_the_probe_finds_a_full_dir_that_still_takes_empty_files(void **state)
{
	struct env *env = *state;
	struct state_dir *sd = NULL;
	char reason[NB_ERR_MSG_MAX];
	cleanup_close int full = -1;
	cleanup_close int empty = -1;

	clear_mark(env);
	full = tmpfs_at(env, "full", "64k", false);
	assert_int_equal(state_dir_open(env->mnt, &sd, &env->err), 0);
	fill(full);
	/* What the probe used to write, which a full tmpfs still accepts. */
	empty = openat(full, "empty", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(empty >= 0);
	assert_int_equal(state_dir_check_writable(sd, &env->err), -ENOSPC);
	assert_string_equal(env->err.msg, "state dir refuses writes: cannot write .probe.tmp in "
					  "the state dir: No space left on device");
	assert_false(exists_at(full, ".probe.tmp"));
	/* Worded as the mark, so health shows one line, not two. */
	assert_true(state_write_refused(reason, sizeof(reason)));
	assert_string_equal(reason, env->err.msg);

	assert_int_equal(unlinkat(full, "fill", 0), 0);
	assert_int_equal(state_dir_check_writable(sd, &env->err), 0);
	assert_false(state_write_refused(NULL, 0));
	assert_false(exists_at(full, ".probe"));
	state_dir_close(sd);
}

static void test_health_shows_the_refusal_and_clears_it(void **state)
{
	struct env *env = *state;
	struct state_hub *hub = NULL;
	struct state_health h;
	struct nb_buf out = { 0 };
	struct timespec before, mtime;
	uint64_t events;
	cleanup_close int full = -1;

	clear_mark(env);
	full = tmpfs_at(env, "full", "64k", false);
	fill(full);
	assert_int_equal(state_hub_new(&hub), 0);
	state_health_init(&h, hub, "unix:///nonexistent.sock");
	state_health_engine_up(&h, "Docker Engine 20.10 (linux/amd64)", "1.41");
	assert_int_equal(state_health_render(&h, &out, &before), 0);
	assert_string_equal(out.data, "ok\n");
	events = state_hub_count(hub);

	assert_int_equal(state_write_atomic(full, "rec", "x", 1, 0600, &env->err), -ENOSPC);
	nb_buf_reset(&out);
	assert_int_equal(state_health_render(&h, &out, &mtime), 0);
	assert_string_equal(out.data, "state dir refuses writes: cannot write rec.tmp in the "
				      "state dir: No space left on device\n");
	assert_true(mtime.tv_sec > before.tv_sec ||
		    (mtime.tv_sec == before.tv_sec && mtime.tv_nsec > before.tv_nsec));
	assert_int_equal(state_hub_count(hub), events + 1); /* a "state-dir" event */

	clear_mark(env);
	nb_buf_reset(&out);
	assert_int_equal(state_health_render(&h, &out, &mtime), 0);
	assert_string_equal(out.data, "ok\n");
	assert_int_equal(state_hub_count(hub), events + 2);

	/* Destroyed, it is no longer called. */
	state_health_destroy(&h);
	assert_int_equal(state_write_atomic(full, "rec", "x", 1, 0600, &env->err), -ENOSPC);
	assert_int_equal(state_hub_count(hub), events + 2);
	clear_mark(env);
	state_hub_free(hub);
	nb_buf_free(&out);
}

static void test_health_says_when_the_engine_answers_but_its_events_stream_fails(void **state)
{
	struct state_hub *hub = NULL;
	struct state_health h;
	struct nb_buf out = { 0 };
	struct timespec mtime;
	struct nb_err err = { 0 };
	uint64_t events;

	(void)state;
	assert_int_equal(state_hub_new(&hub), 0);
	state_health_init(&h, hub, "unix:///nonexistent.sock");
	state_health_engine_up(&h, "Docker Engine 20.10 (linux/amd64)", "1.41");
	events = state_hub_count(hub);
	state_health_events(&h, "engine: GET /events: 403: forbidden");
	state_health_events(&h, "engine: GET /events: 403: forbidden"); /* no change */
	assert_int_equal(state_hub_count(hub), events + 1);
	assert_int_equal(state_health_render(&h, &out, &mtime), 0);
	assert_string_equal(out.data,
			    "engine events stream failing: engine: GET /events: 403: forbidden\n");
	/* The engine answers, so actions still go to it. */
	assert_true(state_health_engine_ready(&h, &err));
	/* Down says only that; up again, the stream's failure shows again. */
	state_health_engine_down(&h, "engine unreachable at unix:///nonexistent.sock");
	nb_buf_reset(&out);
	assert_int_equal(state_health_render(&h, &out, &mtime), 0);
	assert_string_equal(out.data, "engine unreachable at unix:///nonexistent.sock\n");
	state_health_engine_up(&h, "Docker Engine 20.10 (linux/amd64)", "1.41");
	state_health_events(&h, NULL);
	nb_buf_reset(&out);
	assert_int_equal(state_health_render(&h, &out, &mtime), 0);
	assert_string_equal(out.data, "ok\n");
	assert_int_equal(state_hub_count(hub), events + 4);
	state_health_destroy(&h);
	state_hub_free(hub);
	nb_buf_free(&out);
}

static void test_closing_a_null_state_dir_is_harmless(void **state)
{
	(void)state;
	state_dir_close(NULL);
}

static void test_the_default_state_dir_for_root_is_var_lib_nimbusfs(void **state)
{
	struct env *env = *state;
	char out[PATH_MAX];
	char tiny[8];

	if (geteuid() != 0)
		skip();
	assert_int_equal(state_dir_default(out, sizeof(out), &env->err), 0);
	assert_string_equal(out, "/var/lib/nimbusfs");
	assert_int_equal(state_dir_default(tiny, sizeof(tiny), &env->err), -ENAMETOOLONG);
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_name_with_a_slash_is_rejected),
		T(test_an_empty_or_overlong_name_is_rejected),
		T(test_writing_into_a_removed_directory_fails_with_errno_and_reason),
		T(test_a_failed_rename_removes_the_temp_file),
		T(test_reading_a_missing_file_fails_with_enoent),
		T(test_reading_a_file_over_max_fails_with_efbig),
		T(test_a_file_of_exactly_max_bytes_is_read),
		T(test_a_write_creates_the_file_with_its_mode_and_leaves_no_temp),
		T(test_a_write_replaces_the_old_content_entirely),
		T(test_a_stale_temp_file_is_overwritten_and_removed),
		T(test_an_empty_file_round_trips),
		T(test_a_large_file_round_trips_byte_for_byte),
		T(test_a_relative_state_dir_is_rejected),
		T(test_a_state_dir_under_a_regular_file_cannot_be_created),
		T(test_a_state_dir_that_is_a_regular_file_cannot_be_opened),
		T(test_a_second_open_of_a_locked_state_dir_is_busy_and_names_the_pid),
		T(test_a_removed_state_dir_is_not_writable),
		T(test_open_creates_nested_dirs_an_id_and_a_lock_with_the_pid),
		T(test_the_id_is_stable_across_reopen),
		T(test_two_state_dirs_get_different_ids),
		T(test_a_corrupt_id_file_is_replaced_by_a_fresh_id),
		T(test_a_fresh_state_dir_is_writable_and_the_probe_is_removed),
		T(test_a_write_to_a_full_dir_marks_it_refusing_until_one_succeeds),
		T(test_a_read_only_dir_marks_it_refusing_with_the_reason),
		T(test_one_file_s_failure_does_not_mark_the_dir),
		T(test_the_probe_finds_a_full_dir_that_still_takes_empty_files),
		T(test_health_shows_the_refusal_and_clears_it),
		T(test_health_says_when_the_engine_answers_but_its_events_stream_fails),
		T(test_closing_a_null_state_dir_is_harmless),
		T(test_the_default_state_dir_for_root_is_var_lib_nimbusfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
