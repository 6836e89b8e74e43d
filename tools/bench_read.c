/*
 * tools/bench_read.c - times stat + open + read + close of one file from a
 * C loop (a `cat` process alone costs more than the thing measured).
 * Prints the median and the 90th percentile in microseconds.
 *
 *   bench_read [--stat] [--floor FLOOR] FILE ITERATIONS
 *
 * --stat times a statx(AT_STATX_FORCE_SYNC) alone: each one reaches the
 * filesystem (a FUSE getattr), never the kernel's attribute cache, so it
 * measures what the filesystem does to learn a file's size.
 * --floor times FLOOR the same way, alternating with FILE iteration by
 * iteration, so a shared machine's drift weighs on both alike; it prints
 * FLOOR's median and p90 after FILE's.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One timed access of path; -1 on error. */
static double once(const char *path, bool stat_only)
{
	static char buf[65536];
	double start = now_us();
	struct statx stx;
	struct stat st;
	int fd;

	if (stat_only) {
		if (statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_SIZE | STATX_MTIME, &stx) < 0)
			return -1;
		return now_us() - start;
	}
	if (stat(path, &st) < 0 || (fd = open(path, O_RDONLY)) < 0)
		return -1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return now_us() - start;
}

int main(int argc, char **argv)
{
	const char *floor = NULL;
	bool stat_only = false;
	double *t, *f;
	int i = 1, n;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--stat") == 0)
			stat_only = true;
		else if (strcmp(argv[i], "--floor") == 0 && i + 1 < argc)
			floor = argv[++i];
		else
			break;
	}
	if (argc - i != 2 || (n = atoi(argv[i + 1])) <= 0) {
		fprintf(stderr, "usage: bench_read [--stat] [--floor FLOOR] FILE ITERATIONS\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof(*t));
	f = calloc((size_t)n, sizeof(*f));
	if (!t || !f)
		return 1;
	for (int k = -n / 10; k < n; k++) { /* the first tenth warms up */
		double a = once(argv[i], stat_only), b = floor ? once(floor, stat_only) : 0;

		if (a < 0 || b < 0) {
			perror(a < 0 ? argv[i] : floor);
			return 1;
		}
		if (k >= 0) {
			t[k] = a;
			f[k] = b;
		}
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	qsort(f, (size_t)n, sizeof(*f), cmp);
	if (floor)
		printf("%.1f %.1f %.1f %.1f\n", t[n / 2], t[n * 9 / 10], f[n / 2], f[n * 9 / 10]);
	else
		printf("%.1f %.1f\n", t[n / 2], t[n * 9 / 10]);
	free(t);
	free(f);
	return 0;
}
