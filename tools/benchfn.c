/*
 * tools/benchfn.c - Lambda functions on a mount for the bench drivers:
 * the directory, the files a user writes, an invocation and the removal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/benchfn.h"
#include "tools/benchlib.h"

int bench_fn_make(const char *mnt, const char *name, char *dir, size_t len)
{
	snprintf(dir, len, "%s/lambda/%s", mnt, name);
	if (mkdir(dir, 0755) < 0) {
		fprintf(stderr, "%s: mkdir %s: %s\n", bench_prog, dir, strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	return 0;
}

int bench_fn_write(const char *dir, const char *name, const void *text, size_t len)
{
	char path[1200], what[1300];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = bench_write_file(path, text, len, O_TRUNC);
	if (ret < 0) {
		snprintf(what, sizeof(what), "write %s", path);
		return bench_fail(dir, what, ret);
	}
	return 0;
}

int bench_fn_invoke(const char *invoke_path, char *ans, size_t len)
{
	return bench_transact(invoke_path, BENCH_FN_PAYLOAD, sizeof(BENCH_FN_PAYLOAD) - 1, ans,
			      len);
}

void bench_fn_remove(const char *dir, int timeout_ms)
{
	char path[1200];
	int ret;

	if (!dir[0])
		return;
	snprintf(path, sizeof(path), "%s/warm", dir);
	(void)bench_write_file(path, "evict\n", 6, O_TRUNC);
	ret = bench_rmdir(dir, timeout_ms);
	if (ret < 0)
		fprintf(stderr, "%s: rmdir %s: %s\n", bench_prog, dir, strerror(-ret));
}
