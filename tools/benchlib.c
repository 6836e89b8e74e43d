/*
 * tools/benchlib.c - clocks, quantiles and a mount's files for the bench
 * drivers: the same reads, writes, transactions and waits in each driver,
 * so their figures are taken the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/benchlib.h"

const char *bench_prog = "bench";

double bench_now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_quantile(double *v, int n, double q)
{
	int i;

	if (n <= 0)
		return -1;
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	i = (int)(q * n);
	return v[i < n ? i : n - 1];
}

int bench_read_value(int fd, char *buf, size_t len)
{
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Reads fd to EOF, keeping the first len - 1 bytes. Length kept or -errno. */
static ssize_t read_to_eof(int fd, char *buf, size_t len)
{
	char spill[4096];
	size_t off = 0;
	ssize_t n;

	for (;;) {
		if (off + 1 < len)
			n = read(fd, buf + off, len - 1 - off);
		else
			n = read(fd, spill, sizeof(spill));
		if (n <= 0)
			break;
		if (off + 1 < len)
			off += (size_t)n;
	}
	buf[off] = '\0';
	return n < 0 ? -errno : (ssize_t)off;
}

int bench_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read_to_eof(fd, buf, len);
	close(fd);
	buf[strcspn(buf, "\n")] = '\0';
	return n < 0 ? (int)n : 0;
}

/* Writes all len bytes of data to fd. 0 or -errno. */
static int write_all(int fd, const void *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

int bench_write_file(const char *path, const void *data, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644), ret;

	if (fd < 0)
		return -errno;
	ret = write_all(fd, data, len);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

int bench_transact_fd(int fd, const void *req, size_t rlen, char *ans, size_t len)
{
	int ret = write_all(fd, req, rlen);

	if (ret < 0) {
		ans[0] = '\0';
		return ret;
	}
	return (int)read_to_eof(fd, ans, len);
}

int bench_transact(const char *path, const void *req, size_t rlen, char *ans, size_t len)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0) {
		ans[0] = '\0';
		return -errno;
	}
	ret = bench_transact_fd(fd, req, rlen, ans, len);
	if (close(fd) < 0 && ret >= 0)
		ret = -errno;
	return ret;
}

int bench_fail(const char *dir, const char *what, int err)
{
	char path[1200], why[512] = "";

	if (dir) {
		snprintf(path, sizeof(path), "%s/last-error", dir);
		(void)bench_read_file(path, why, sizeof(why));
	}
	fprintf(stderr, "%s: %s: %s%s%s\n", bench_prog, what, strerror(-err), why[0] ? ": " : "",
		why);
	return -1;
}

int bench_rmdir(const char *path, int timeout_ms)
{
	double deadline = bench_now_ms(CLOCK_MONOTONIC) + timeout_ms;

	while (rmdir(path) < 0) {
		if (errno != EBUSY || bench_now_ms(CLOCK_MONOTONIC) > deadline)
			return -errno;
		usleep(20000);
	}
	return 0;
}

static bool is_never(const struct bench_wait *w, const char *val)
{
	for (const char *const *p = w->never; p && *p; p++)
		if (strcmp(val, *p) == 0)
			return true;
	return false;
}

/* Re-reads every file not done yet; marks those at want. after_timeout:
 * the read follows a poll() that reported nothing (a missed wakeup if a
 * file is at want). Returns how many got there, or -ECANCELED. */
static int reread(struct pollfd *pfd, int n, struct bench_wait *w, double *seen, bool after_timeout)
{
	char val[sizeof(w->last)];
	int got = 0, ret = 0;

	for (int i = 0; i < n; i++) {
		if (pfd[i].fd < 0 || bench_read_value(pfd[i].fd, val, sizeof(val)) < 0)
			continue;
		if (strcmp(val, w->want) == 0) {
			if (seen)
				seen[i] = bench_now_ms(CLOCK_REALTIME);
			close(pfd[i].fd);
			pfd[i].fd = -1; /* poll() ignores it from now on */
			w->misses += after_timeout;
			got++;
		} else {
			snprintf(w->last, sizeof(w->last), "%s", val);
			if (is_never(w, val))
				ret = -ECANCELED;
		}
	}
	return ret < 0 ? ret : got;
}

int bench_wait_values(const char *const *paths, int n, struct bench_wait *w, double *seen)
{
	double deadline = bench_now_ms(CLOCK_MONOTONIC) + w->timeout_ms;
	struct pollfd pfd[BENCH_WAIT_MAX];
	int done = 0, ret = 0, got;
	bool after_timeout = false;

	if (n > BENCH_WAIT_MAX)
		return -EINVAL;
	w->last[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (seen)
			seen[i] = -1;
		pfd[i].fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		pfd[i].events = POLLPRI;
		if (pfd[i].fd < 0) {
			ret = -errno;
			fprintf(stderr, "%s: %s: %s\n", bench_prog, paths[i], strerror(errno));
			for (int j = 0; j < i; j++)
				close(pfd[j].fd);
			return ret;
		}
	}
	for (;;) {
		double left;
		int slice, pr;

		got = reread(pfd, n, w, seen, after_timeout);
		if (got < 0) {
			ret = got;
			break;
		}
		done += got;
		if (done == n)
			break;
		left = deadline - bench_now_ms(CLOCK_MONOTONIC);
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		slice = left < w->slice_ms ? (int)left + 1 : w->slice_ms;
		pr = poll(pfd, (nfds_t)n, slice);
		if (pr < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		after_timeout = pr == 0;
	}
	for (int i = 0; i < n; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	return ret;
}
