/*
 * tests/fuzz/zipcheck.h - what the two package harnesses check on a zip
 * (fuzz_lambda_zip.c takes the zip as it comes, fuzz_lambda_zip_tree.c
 * builds one from a list of entries): lambda_pkg_check() in memory and
 * lambda_pkg_unpack() into a scratch directory under $TMPDIR, with a
 * 1 MiB unzipped budget to keep each run short. The two must agree (the
 * unpack applies every check of the check), an unpacked tree tars for the
 * engine (nb_tar_dir), nothing is ever written outside the unpacked
 * tree, and every symlink in it resolves inside it (or nowhere).
 */
#ifndef NB_TESTS_FUZZ_ZIPCHECK_H
#define NB_TESTS_FUZZ_ZIPCHECK_H

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/buf.h"
#include "backend/common/tar.h"
#include "backend/lambda/package.h"
#include "tests/fuzz/fuzz.h"

#define ZIPCHECK_BUDGET (1024u * 1024)

static char zc_scratch[4096]; /* $TMPDIR/nbfuzz-zip.XXXXXX */
static char zc_unpacked[4200];
static char zc_real[PATH_MAX]; /* realpath of zc_unpacked while it exists */

static void zc_cleanup(void)
{
	if (zc_scratch[0])
		(void)lambda_pkg_remove_tree(zc_scratch);
}

static void zc_init(void)
{
	const char *tmp = getenv("TMPDIR");

	fuzz_quiet();
	snprintf(zc_scratch, sizeof(zc_scratch), "%s/nbfuzz-zip.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(zc_scratch)) {
		perror("zipcheck: mkdtemp");
		abort();
	}
	snprintf(zc_unpacked, sizeof(zc_unpacked), "%s/code", zc_scratch);
	atexit(zc_cleanup);
}

/* The scratch directory holds nothing, or only "code". */
static void zc_check_scratch(bool code_allowed)
{
	DIR *d = opendir(zc_scratch);
	struct dirent *e;

	FUZZ_CHECK(d != NULL, "scratch directory %s is gone", zc_scratch);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		FUZZ_CHECK(code_allowed && strcmp(e->d_name, "code") == 0,
			   "something was written beside the unpacked tree: %s", e->d_name);
	}
	closedir(d);
}

/* Every symlink of the tree resolves inside it, or is dangling. */
static int zc_link_inside(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char real[PATH_MAX];
	size_t n = strlen(zc_real);

	(void)st;
	(void)ftw;
	if (flag != FTW_SL && flag != FTW_SLN)
		return 0;
	if (!realpath(path, real))
		return 0; /* dangling, or a loop: it reaches nothing */
	FUZZ_CHECK(strncmp(real, zc_real, n) == 0 && (real[n] == '/' || real[n] == '\0'),
		   "symlink %s resolves outside the package, to %s", path, real);
	return 0;
}

static void zc_check_package(const void *zip, size_t size)
{
	uint64_t checked = 0, unzipped = 0;
	struct nb_err err = { 0 }, uerr = { 0 };
	struct nb_buf tar = { 0 };
	int ret, uret;

	ret = lambda_pkg_check(zip, size, ZIPCHECK_BUDGET, &checked, &err);
	FUZZ_CHECK_ERR(ret, &err);
	uret = lambda_pkg_unpack(zip, size, zc_unpacked, ZIPCHECK_BUDGET, &unzipped, &uerr);
	FUZZ_CHECK_ERR(uret, &uerr);
	if (uret == 0) {
		zc_check_scratch(true);
		FUZZ_CHECK(ret == 0, "unpack took a package the check refuses (%s)", err.msg);
		FUZZ_CHECK(unzipped == checked, "check counted %llu bytes, unpack %llu",
			   (unsigned long long)checked, (unsigned long long)unzipped);
		FUZZ_CHECK(realpath(zc_unpacked, zc_real) != NULL, "realpath(%s)", zc_unpacked);
		FUZZ_CHECK(nftw(zc_unpacked, zc_link_inside, 16, FTW_PHYS) == 0, "nftw(%s)",
			   zc_unpacked);
		memset(&err, 0, sizeof(err));
		ret = nb_tar_dir(zc_unpacked, &tar, &err);
		FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "an unpacked tree does not tar: %d %s", ret,
			   err.msg);
		FUZZ_CHECK(lambda_pkg_remove_tree(zc_unpacked) == 0, "cannot remove %s",
			   zc_unpacked);
	} else {
		FUZZ_CHECK(ret != 0 || uret == -ENOMEM,
			   "check accepts a package the unpack refuses: %d %s", uret, uerr.msg);
	}
	zc_check_scratch(false);
	nb_buf_free(&tar);
}

#endif
