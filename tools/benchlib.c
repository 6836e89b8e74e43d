/*
 * tools/benchlib.c - clocks and quantiles for the bench drivers.
 */
#include <stdlib.h>

#include "tools/benchlib.h"

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
