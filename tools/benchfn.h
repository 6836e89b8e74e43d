/*
 * tools/benchfn.h - what bench drivers do with Lambda functions on a
 * mount, as a user would: make one, write its files, invoke it, evict its
 * containers and remove it. Messages go to stderr, prefixed with
 * bench_prog; every wait is bounded.
 */
#ifndef NB_TOOLS_BENCHFN_H
#define NB_TOOLS_BENCHFN_H

#include <stddef.h>

#define BENCH_FN_PAYLOAD "{}" /* what every invocation sends */

/* mkdir MNT/lambda/NAME; its path into dir. 0, or -1 (said; dir[0] is
 * then '\0', so bench_fn_remove() leaves it alone). */
int bench_fn_make(const char *mnt, const char *name, char *dir, size_t len);

/* Writes text (len bytes) to the function's file name, truncating it.
 * 0, or -1 (said, with the function's last-error). */
int bench_fn_write(const char *dir, const char *name, const void *text, size_t len);

/* One invocation through the mount, as a program does it: open the
 * function's `invoke` (its path: invoke_path) O_RDWR, write
 * BENCH_FN_PAYLOAD, read the answer to EOF (its start kept in ans),
 * close. Returns the answer's length kept, or -errno. */
int bench_fn_invoke(const char *invoke_path, char *ans, size_t len);

/* Evicts the function's containers (`echo evict > warm`) and rmdirs it,
 * retrying while it is busy for at most timeout_ms. Failures are said.
 * Does nothing when dir is "". */
void bench_fn_remove(const char *dir, int timeout_ms);

#endif
