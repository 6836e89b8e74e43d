/*
 * tools/bench_read.c - times stat + open + read + close of one file from a
 * C loop (a `cat` process alone costs more than the thing measured).
 * Prints the median and the 90th percentile in microseconds.
 *
 *   bench_read FILE ITERATIONS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
	char buf[65536];
	double *t;
	int n;

	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench_read FILE ITERATIONS\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (int i = -n / 10; i < n; i++) { /* the first tenth warms up */
		struct stat st;
		double start = now_us();
		int fd;

		if (stat(argv[1], &st) < 0 || (fd = open(argv[1], O_RDONLY)) < 0) {
			perror(argv[1]);
			return 1;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		if (i >= 0)
			t[i] = now_us() - start;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%.1f %.1f\n", t[n / 2], t[n * 9 / 10]);
	free(t);
	return 0;
}
