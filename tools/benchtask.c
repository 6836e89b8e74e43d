/*
 * tools/benchtask.c - ECS tasks on a mount for the bench drivers: the
 * files a user writes and reads, with bounded waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/benchlib.h"
#include "tools/benchtask.h"

const char *bench_task_prog = "bench";

/* The directory's last-error, for a failed write's message. */
static void last_error(const char *mnt, const char *dir, char *out, size_t len)
{
	char path[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/last-error", mnt, dir);
	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(fd);
}

/* Writes req to the transaction file at path and reads its answer. */
static int transact(const char *path, const char *req, char *ans, size_t len)
{
	size_t off = 0, rlen = strlen(req);
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	while (off < rlen && (n = write(fd, req + off, rlen - off)) > 0)
		off += (size_t)n;
	if (n < 0)
		ret = -errno;
	off = 0;
	while (ret == 0 && off + 1 < len && (n = read(fd, ans + off, len - 1 - off)) > 0)
		off += (size_t)n;
	if (ret == 0 && n < 0)
		ret = -errno;
	ans[off] = '\0';
	close(fd);
	return ret;
}

int bench_task_register(const char *mnt, const char *json)
{
	char path[1024], ans[256], why[256];
	int ret;

	snprintf(path, sizeof(path), "%s/ecs/task-definitions/register", mnt);
	ret = transact(path, json, ans, sizeof(ans));
	if (ret < 0) {
		last_error(mnt, "ecs/task-definitions", why, sizeof(why));
		fprintf(stderr, "%s: register: %s: %s\n", bench_task_prog, strerror(-ret), why);
		return -1;
	}
	return 0;
}

int bench_task_run(const char *mnt, const char *family, char id[BENCH_TASK_ID_LEN + 1])
{
	char path[1024], req[256], ans[256], why[256];
	int ret;

	snprintf(path, sizeof(path), "%s/ecs/tasks/run", mnt);
	snprintf(req, sizeof(req), "%s\n", family);
	ret = transact(path, req, ans, sizeof(ans));
	ans[strcspn(ans, "\n")] = '\0';
	if (ret < 0 || strlen(ans) != BENCH_TASK_ID_LEN) {
		last_error(mnt, "ecs/tasks", why, sizeof(why));
		fprintf(stderr, "%s: run %s: %s: %s\n", bench_task_prog, family,
			ret < 0 ? strerror(-ret) : "no task id", why);
		return -1;
	}
	memcpy(id, ans, BENCH_TASK_ID_LEN + 1);
	return 0;
}

static int read_fd(int fd, char *buf, size_t len)
{
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0 || (n = read(fd, buf, len - 1)) < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int bench_task_read(const char *mnt, const char *id, const char *suffix, char *buf, size_t len)
{
	char path[1024];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/ecs/tasks/%s/%s", mnt, id, suffix);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read_fd(fd, buf, len);
	close(fd);
	return ret;
}

int bench_task_wait_value(const char *mnt, const char *id, const char *suffix, const char *want,
			  int timeout_ms)
{
	double deadline = bench_now_ms(CLOCK_MONOTONIC) + timeout_ms;
	char path[1024], val[256];
	struct pollfd pfd = { .events = POLLPRI };
	int ret = -ETIMEDOUT;

	snprintf(path, sizeof(path), "%s/ecs/tasks/%s/%s", mnt, id, suffix);
	pfd.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd.fd < 0)
		return -errno;
	while (bench_now_ms(CLOCK_MONOTONIC) < deadline) {
		if (read_fd(pfd.fd, val, sizeof(val)) == 0 && strcmp(val, want) == 0) {
			ret = 0;
			break;
		}
		poll(&pfd, 1, 100);
	}
	close(pfd.fd);
	return ret;
}

int bench_task_remove(const char *mnt, const char *id, int timeout_s)
{
	double deadline = bench_now_ms(CLOCK_MONOTONIC) + timeout_s * 1e3;
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/ecs/tasks/%s/ctl", mnt, id);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	/* EBUSY: already stopping or stopped. */
	if (fd < 0 || (write(fd, "stop bench done\n", 16) < 0 && errno != EBUSY))
		fprintf(stderr, "%s: stop %s: %s\n", bench_task_prog, id, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (bench_task_wait_value(mnt, id, "status", "STOPPED", timeout_s * 1000) < 0) {
		fprintf(stderr, "%s: task %s did not stop in %d s\n", bench_task_prog, id,
			timeout_s);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ecs/tasks/%s", mnt, id);
	/* STOPPED is set just before the last steps end; allow a moment. */
	while (rmdir(path) < 0) {
		if (errno != EBUSY || bench_now_ms(CLOCK_MONOTONIC) > deadline) {
			fprintf(stderr, "%s: rmdir %s: %s\n", bench_task_prog, id, strerror(errno));
			return -1;
		}
		usleep(20000);
	}
	return 0;
}
