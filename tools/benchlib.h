/*
 * tools/benchlib.h - what the bench drivers share: clocks in milliseconds
 * and quantiles of a sample.
 */
#ifndef NB_TOOLS_BENCHLIB_H
#define NB_TOOLS_BENCHLIB_H

#include <time.h>

/* clk's time in milliseconds. */
double bench_now_ms(clockid_t clk);

/* Sorts v and returns its q-quantile (0.5 median, 0.9 p90); -1 when empty. */
double bench_quantile(double *v, int n, double q);

#endif
