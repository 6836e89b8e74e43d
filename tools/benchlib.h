/*
 * tools/benchlib.h - what the bench drivers share: clocks in milliseconds,
 * quantiles of a sample, and the files of a mount as a user's program
 * uses them (value files, transaction files, last-error, waits for a
 * value). Messages go to stderr, prefixed with the driver's name
 * (bench_prog). Every wait is bounded.
 */
#ifndef NB_TOOLS_BENCHLIB_H
#define NB_TOOLS_BENCHLIB_H

#include <stddef.h>
#include <time.h>

/* The driver's name for messages ("bench_ecs"); main() sets it. */
extern const char *bench_prog;

/* clk's time in milliseconds. */
double bench_now_ms(clockid_t clk);

/* Sorts v and returns its q-quantile (0.5 median, 0.9 p90); -1 when empty. */
double bench_quantile(double *v, int n, double q);

/* Reads an open value file from offset 0 (one read) into buf, cut at its
 * first newline. 0 or -errno. */
int bench_read_value(int fd, char *buf, size_t len);

/* Reads the small file at path to its end; its first len - 1 bytes, cut
 * at the first newline, into buf. 0 or -errno. */
int bench_read_file(const char *path, char *buf, size_t len);

/* Opens path O_WRONLY | flags (O_TRUNC, O_CREAT...; mode 0644), writes
 * all len bytes (one write() for a small value, as `echo v > path` does)
 * and closes it; a refusal nimbusfs gives at close counts. 0 or -errno. */
int bench_write_file(const char *path, const void *data, size_t len, int flags);

/* One transaction on an open transaction file: writes all rlen bytes of
 * req, then reads the answer to EOF, keeping its first len - 1 bytes in ans
 * (NUL-terminated). Returns the length kept or -errno. */
int bench_transact_fd(int fd, const void *req, size_t rlen, char *ans, size_t len);

/* The same on the file at path: open O_RDWR, write, read to EOF, close (a
 * failed close fails it). Returns the answer's length kept or -errno. */
int bench_transact(const char *path, const void *req, size_t rlen, char *ans, size_t len);

/* Says on stderr "PROG: what: strerror(-err)", then ": " and dir's
 * last-error (dir: a directory's full path; NULL for none) when it has
 * one. Returns -1. */
int bench_fail(const char *dir, const char *what, int err);

/* rmdir(path), retried every 20 ms while it fails with EBUSY (an object's
 * last steps after its final state), for at most timeout_ms. 0 or -errno. */
int bench_rmdir(const char *path, int timeout_ms);

#define BENCH_WAIT_MAX 8 /* value files one bench_wait_values() watches */

/* A wait until value files read a value (see bench_wait_values()). */
struct bench_wait {
	const char *want;
	/* Values from which want cannot follow without another request,
	 * NULL-terminated (NULL: none): the wait gives up on reading one. */
	const char *const *never;
	int timeout_ms;
	/* The longest single poll() before the files are re-read. */
	int slice_ms;
	/* Added to: the files seen at want only by the re-read after a poll()
	 * timeout, not by a POLLPRI wakeup. */
	int misses;
	/* Set: what a file that is not done read last. */
	char last[64];
};

/*
 * Waits until each of the n (at most BENCH_WAIT_MAX) value files at paths
 * reads w->want, watching them the way nimbusfs documents: read from
 * offset 0, poll() for POLLPRI, lseek 0, read again. seen (may be NULL)
 * gets, for each file, the CLOCK_REALTIME ms at which it was first read as
 * want (-1 if never). Returns 0 when all did within w->timeout_ms,
 * -ETIMEDOUT, -ECANCELED when a file read one of w->never, or -errno (a
 * file that cannot be opened is said on stderr).
 */
int bench_wait_values(const char *const *paths, int n, struct bench_wait *w, double *seen);

#endif
