/*
 * tests/unit/test_package.c - Lambda deployment packages
 * (backend/lambda/package*.c): zips built here with libzip, some then
 * patched byte by byte into what libzip would not write (duplicates,
 * control characters, a flipped data byte, a lying size). A good package
 * passes, unpacks with the right modes whatever the umask and tars with
 * root ownership and 0444/0555 modes (read back with libarchive); every
 * hostile one is refused with its errno and a message naming the entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <zip.h>
#include <cmocka.h>

#include "backend/common/cleanup.h"
#include "backend/common/tar.h"
#include "backend/lambda/package.h"
#include "tests/unit/helpers.h"

/* ---- building zips ---- */

#define REG  0100644
#define EXE  0100755
#define DIRM 040755
#define LNK  0120777

/* Replaces every occurrence of from by to (the same length) in buf. */
static void patch(char *buf, size_t len, const char *from, const char *to, size_t n)
{
	int hits = 0;

	for (char *p = buf; (p = memmem(p, len - (size_t)(p - buf), from, n)); p += n, hits++)
		memcpy(p, to, n);
	assert_true(hits > 0);
}

/* Stores v little-endian at the 4 bytes off past every signature sig. */
static void patch_u32(char *buf, size_t len, const char *sig, size_t off, uint32_t v)
{
	int hits = 0;

	for (char *p = buf; (p = memmem(p, len - (size_t)(p - buf), sig, 4)); p += 4, hits++)
		for (int i = 0; i < 4; i++)
			p[off + (size_t)i] = (char)(v >> (8 * i));
	assert_true(hits > 0);
}

static void expect_reject_limits(const char *zip, size_t len, const struct lambda_pkg_limits *lim,
				 int code, const char *entry, const char *why)
{
	struct nb_err err = { 0 };
	uint64_t unzipped = 12345;

	assert_int_equal(lambda_pkg_check_limits(zip, len, lim, &unzipped, &err), code);
	assert_int_equal(err.code, code);
	if ((entry && !strstr(err.msg, entry)) || !strstr(err.msg, why))
		fail_msg("\"%s\" does not name %s and say \"%s\"", err.msg, entry ? entry : "-",
			 why);
	assert_int_equal(unzipped, 12345);
}

static const struct lambda_pkg_limits default_limits = {
	.zip_max = LAMBDA_ZIP_MAX,
	.unzipped_max = LAMBDA_UNZIPPED_MAX,
	.entries_max = LAMBDA_ZIP_ENTRIES_MAX,
	.ratio_max = LAMBDA_ZIP_RATIO_MAX,
	.ratio_floor = LAMBDA_ZIP_RATIO_FLOOR,
};

static void expect_reject(const char *zip, size_t len, int code, const char *entry, const char *why)
{
	expect_reject_limits(zip, len, &default_limits, code, entry, why);
}

/* A zip of the entries must be refused with code, the message holding
 * entry (quoted as the message quotes it) and why. */
static void expect_zip_rejected(const struct th_zent *z, size_t n, int code, const char *entry,
				const char *why)
{
	size_t len;
	cleanup_free char *zip = th_zip(z, n, &len);

	expect_reject(zip, len, code, entry, why);
}

/* ---- a good package ---- */

static const char script[] = "#!/bin/sh\necho hello\n";
static const char helper[] = "def handler(event, context):\n    return 42\n";
static const char data[] = "{\"k\": [1, 2, 3]}\n";

static const struct th_zent good[] = {
	{ "./", NULL, 0, DIRM, false }, /* the root itself: skipped */
	{ "function.sh", script, 0, EXE, false },
	{ "lib/", NULL, 0, DIRM, false },
	{ "lib/helper.py", helper, 0, REG, true },
	{ "lib/deep/more/data.json", data, 0, 0, false }, /* parents implied, no unix attrs */
	{ "bin/tool", "../lib/helper.py", 0, LNK, true },
	{ "./top-link", "lib/deep/./more", 0, LNK, false },
	{ "empty.txt", "", 0, REG, false },
};

static void test_a_good_package_passes_and_reports_its_size(void **state)
{
	struct nb_err err = { 0 };
	uint64_t unzipped = 0;
	size_t len;
	cleanup_free char *zip = th_zip(good, sizeof(good) / sizeof(good[0]), &len);

	(void)state;
	assert_int_equal(lambda_pkg_check(zip, len, LAMBDA_UNZIPPED_MAX, &unzipped, &err), 0);
	assert_int_equal(unzipped, strlen(script) + strlen(helper) + strlen(data) +
					   strlen("../lib/helper.py") + strlen("lib/deep/./more"));
	/* Exactly at the budget is still fine; a byte less is not. */
	assert_int_equal(lambda_pkg_check(zip, len, unzipped, NULL, &err), 0);
	assert_int_equal(lambda_pkg_check(zip, len, unzipped - 1, NULL, &err), -EFBIG);
}

static void expect_mode(const char *dir, const char *path, mode_t want)
{
	char full[4096];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	assert_int_equal(lstat(full, &st), 0);
	if (st.st_mode != want)
		fail_msg("%s: mode 0%o, want 0%o", path, (unsigned)st.st_mode, (unsigned)want);
}

static void test_a_good_package_unpacks_with_its_modes(void **state)
{
	char tmp[256], dir[300], link[64];
	struct nb_err err = { 0 };
	mode_t old;
	size_t len;
	cleanup_free char *zip = th_zip(good, sizeof(good) / sizeof(good[0]), &len);

	(void)state;
	assert_int_equal(th_tmpdir_new("pkg", tmp, sizeof(tmp)), 0);
	snprintf(dir, sizeof(dir), "%s/code", tmp);
	old = umask(077); /* modes are the package's, not the umask's */
	assert_int_equal(lambda_pkg_unpack(zip, len, dir, LAMBDA_UNZIPPED_MAX, NULL, &err), 0);
	umask(old);
	/* In the state dir: the owner's alone, the execute bit kept. */
	expect_mode(tmp, "code", S_IFDIR | 0700);
	expect_mode(dir, "function.sh", S_IFREG | 0700);
	expect_mode(dir, "lib", S_IFDIR | 0700);
	expect_mode(dir, "lib/helper.py", S_IFREG | 0600);
	expect_mode(dir, "lib/deep", S_IFDIR | 0700);
	expect_mode(dir, "lib/deep/more/data.json", S_IFREG | 0600);
	expect_mode(dir, "empty.txt", S_IFREG | 0600);
	expect_mode(dir, "bin/tool", S_IFLNK | 0777);
	snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), "/code/bin/tool");
	assert_int_equal(readlink(tmp, link, sizeof(link)), (ssize_t)strlen("../lib/helper.py"));
	assert_memory_equal(link, "../lib/helper.py", strlen("../lib/helper.py"));
	*strstr(tmp, "/code/") = '\0';
	/* The directory must not exist yet. */
	assert_int_equal(lambda_pkg_unpack(zip, len, dir, LAMBDA_UNZIPPED_MAX, NULL, &err),
			 -EEXIST);
	assert_non_null(strstr(err.msg, dir));
	assert_int_equal(lambda_pkg_remove_tree(dir), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(lambda_pkg_remove_tree(dir), 0); /* already gone: fine */
	th_tmpdir_remove(tmp);
}

struct tar_seen {
	const char *path;
	int type;
	mode_t mode;
	const char *link;
	const char *content;
};

static void test_the_unpacked_tree_tars_as_root_read_only(void **state)
{
	char tmp[256], dir[300], path[1024], long_name[400], long_link[200], long_dir[300];
	struct nb_err err = { 0 };
	struct nb_buf tar cleanup_buf = { 0 };
	struct archive *a;
	struct archive_entry *ae;
	size_t len, seen = 0;
	cleanup_free char *zip = th_zip(good, sizeof(good) / sizeof(good[0]), &len);
	/* Sorted, relative, no entry for the directory itself. */
	const struct tar_seen want[] = {
		{ "bin/", AE_IFDIR, 0555, NULL, NULL },
		{ "bin/tool", AE_IFLNK, 0777, "../lib/helper.py", NULL },
		{ long_dir, AE_IFDIR, 0555, NULL, NULL },
		{ long_name, AE_IFREG, 0444, NULL, "x" },
		{ "empty.txt", AE_IFREG, 0444, NULL, "" },
		{ "function.sh", AE_IFREG, 0555, NULL, script },
		{ "lib/", AE_IFDIR, 0555, NULL, NULL },
		{ "lib/deep/", AE_IFDIR, 0555, NULL, NULL },
		{ "lib/deep/more/", AE_IFDIR, 0555, NULL, NULL },
		{ "lib/deep/more/data.json", AE_IFREG, 0444, NULL, data },
		{ "lib/helper.py", AE_IFREG, 0444, NULL, helper },
		{ "long-link", AE_IFLNK, 0777, long_link, NULL },
		{ "top-link", AE_IFLNK, 0777, "lib/deep/./more", NULL },
	};

	(void)state;
	assert_int_equal(th_tmpdir_new("pkgtar", tmp, sizeof(tmp)), 0);
	snprintf(dir, sizeof(dir), "%s/code", tmp);
	assert_int_equal(lambda_pkg_unpack(zip, len, dir, LAMBDA_UNZIPPED_MAX, NULL, &err), 0);
	/* Names past ustar's 100 bytes: one split into prefix and name, one
	 * that only a pax record can hold; a link target past 100 bytes. */
	memset(long_dir, 'd', 150);
	strcpy(long_dir + 150, "/");
	snprintf(path, sizeof(path), "%s/%s", dir, long_dir);
	assert_int_equal(mkdir(path, 0700), 0);
	memset(long_name, 0, sizeof(long_name));
	memcpy(long_name, long_dir, 151);
	memset(long_name + 151, 'f', 200);
	snprintf(path, sizeof(path), "%s/%s", dir, long_name);
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "x", 1), 1);
		close(fd);
	}
	memset(long_link, 'l', 150);
	long_link[150] = '\0';
	snprintf(path, sizeof(path), "%s/long-link", dir);
	assert_int_equal(symlink(long_link, path), 0);

	nb_buf_puts(&tar, "x"); /* appended after what the buffer holds */
	assert_int_equal(nb_tar_dir(dir, &tar, &err), 0);
	assert_int_equal((tar.len - 1) % 512, 0);

	a = archive_read_new();
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_memory(a, tar.data + 1, tar.len - 1), ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		const struct tar_seen *w = &want[seen];
		char body[64] = { 0 };

		assert_true(seen < sizeof(want) / sizeof(want[0]));
		assert_string_equal(archive_entry_pathname(ae), w->path);
		assert_int_equal(archive_entry_filetype(ae), w->type);
		assert_int_equal(archive_entry_perm(ae), w->mode);
		assert_int_equal(archive_entry_uid(ae), 0);
		assert_int_equal(archive_entry_gid(ae), 0);
		assert_string_equal(archive_entry_uname(ae), "root");
		if (w->link)
			assert_string_equal(archive_entry_symlink(ae), w->link);
		if (w->content) {
			assert_int_equal(archive_entry_size(ae), strlen(w->content));
			assert_int_equal(archive_read_data(a, body, sizeof(body)),
					 strlen(w->content));
			assert_string_equal(body, w->content);
		}
		seen++;
	}
	assert_int_equal(seen, sizeof(want) / sizeof(want[0]));
	archive_read_free(a);

	/* Removing the tree leaves what a symlink in it points to. */
	snprintf(path, sizeof(path), "%s/outside", tmp);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/out-link", dir);
	snprintf(long_name, sizeof(long_name), "%s/outside", tmp);
	assert_int_equal(symlink(long_name, path), 0);
	assert_int_equal(lambda_pkg_remove_tree(dir), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(access(long_name, F_OK), 0);
	th_tmpdir_remove(tmp);
}

static void test_tar_refuses_special_files(void **state)
{
	char tmp[256], path[300];
	struct nb_err err = { 0 };
	struct nb_buf tar cleanup_buf = { 0 };

	(void)state;
	assert_int_equal(th_tmpdir_new("pkgfifo", tmp, sizeof(tmp)), 0);
	snprintf(path, sizeof(path), "%s/pipe", tmp);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(nb_tar_dir(tmp, &tar, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "pipe: special file"));
	assert_int_equal(tar.len, 0);
	th_tmpdir_remove(tmp);
}

/* ---- hostile names ---- */

static void test_names_that_escape_are_refused(void **state)
{
	const struct th_zent slip[] = { { "ok.txt", "x", 0, REG, false },
					{ "../evil", "x", 0, REG, false } };
	const struct th_zent slip2[] = { { "a/../../evil", "x", 0, REG, false } };
	const struct th_zent inner[] = { { "a/../b", "x", 0, REG, false } };
	const struct th_zent abs[] = { { "/etc/x", "x", 0, REG, false } };
	const struct th_zent bslash[] = { { "..\\evil", "x", 0, REG, false } };

	(void)state;
	expect_zip_rejected(slip, 2, -EINVAL, "entry \"../evil\"", "path escapes the package");
	expect_zip_rejected(slip2, 1, -EINVAL, "entry \"a/../../evil\"",
			    "path escapes the package");
	expect_zip_rejected(inner, 1, -EINVAL, "entry \"a/../b\"", "\"..\" component");
	expect_zip_rejected(abs, 1, -EINVAL, "entry \"/etc/x\"", "absolute path");
	expect_zip_rejected(bslash, 1, -EINVAL, "entry \"..\\\\evil\"", "backslash");
}

static void test_duplicates_after_normalising_are_refused(void **state)
{
	const struct th_zent dup[] = { { "a/b.txt", "1", 0, REG, false },
				       { "a//./b.txt", "2", 0, REG, false } };
	const struct th_zent dir_file[] = { { "x/", NULL, 0, DIRM, false },
					    { "x", "file", 0, REG, false } };
	const struct th_zent below_file[] = { { "f", "file", 0, REG, false },
					      { "f/g", "below", 0, REG, false } };
	const struct th_zent root_file[] = { { ".", "x", 0, REG, false } };
	const struct th_zent same[] = { { "dupA", "1", 0, REG, false },
					{ "dupB", "2", 0, REG, false } };
	size_t len;
	cleanup_free char *zip = th_zip(same, 2, &len);

	(void)state;
	expect_zip_rejected(dup, 2, -EINVAL, "entry \"a//./b.txt\"",
			    "duplicate name (entry \"a/b.txt\"");
	expect_zip_rejected(dir_file, 2, -EINVAL, "entry \"x\"", "duplicate name");
	expect_zip_rejected(below_file, 2, -EINVAL, "entry \"f/g\"",
			    "lies below \"f\", which is a file");
	expect_zip_rejected(root_file, 1, -EINVAL, "entry \".\"", "empty once normalised");
	/* Byte-identical names: libzip would not write them, so patch them in. */
	patch(zip, len, "dupB", "dupA", 4);
	expect_reject(zip, len, -EINVAL, "entry \"dupA\"", "duplicate name");
}

static void test_control_characters_in_names_are_refused(void **state)
{
	const struct th_zent z[] = { { "nl_X_name", "x", 0, REG, false } };
	size_t len;
	cleanup_free char *zip = th_zip(z, 1, &len);
	cleanup_free char *zip2 = malloc(len);

	(void)state;
	memcpy(zip2, zip, len);
	patch(zip, len, "_X_", "_\n_", 3);
	expect_reject(zip, len, -EINVAL, "entry \"nl_\\n_name\"", "control character");
	patch(zip2, len, "_X_", "_\x1b_", 3);
	expect_reject(zip2, len, -EINVAL, "entry \"nl_\\x1b_name\"", "control character");
}

/* ---- symlinks and types ---- */

static void test_symlinks_pointing_out_are_refused(void **state)
{
	const struct th_zent up[] = { { "link", "../../etc/passwd", 0, LNK, false } };
	const struct th_zent abs[] = { { "link", "/etc/passwd", 0, LNK, false } };
	const struct th_zent deep[] = { { "a/b/link", "../../../x", 0, LNK, false } };
	/* Balanced on paper, out through "lnk" -> "." in fact. */
	const struct th_zent chain[] = { { "lnk", ".", 0, LNK, false },
					 { "esc", "lnk/lnk/../..", 0, LNK, false } };
	const struct th_zent loop[] = { { "l1", "l2/x", 0, LNK, false },
					{ "l2", "l1/x", 0, LNK, false } };
	const struct th_zent via[] = { { "lnk", "sub", 0, LNK, false },
				       { "sub/", NULL, 0, DIRM, false },
				       { "lnk/file", "x", 0, REG, false } };
	const struct th_zent nul[] = { { "link", "a\0b", 3, LNK, false } };

	(void)state;
	expect_zip_rejected(up, 1, -EINVAL, "entry \"link\"",
			    "symlink target \"../../etc/passwd\" escapes the package");
	expect_zip_rejected(abs, 1, -EINVAL, "entry \"link\"",
			    "symlink target \"/etc/passwd\" is absolute");
	expect_zip_rejected(deep, 1, -EINVAL, "entry \"a/b/link\"", "escapes the package");
	expect_zip_rejected(chain, 2, -EINVAL, "entry \"esc\"", "escapes the package");
	expect_zip_rejected(loop, 2, -EINVAL, "entry \"l1\"", "more than 40 symlinks");
	expect_zip_rejected(via, 3, -EINVAL, "entry \"lnk/file\"",
			    "lies below \"lnk\", which is a symlink");
	expect_zip_rejected(nul, 1, -EINVAL, "entry \"link\"", "NUL byte");
}

static void test_symlinks_inside_the_tree_are_accepted(void **state)
{
	const struct th_zent z[] = {
		{ "a/b/c/real.txt", "x", 0, REG, false },
		{ "a/b/up", "../../a/b/c/real.txt", 0, LNK, false },
		{ "a/here", ".", 0, LNK, false },
		{ "a/b/c/to-root", "../../..", 0, LNK, false },
		{ "a/dangling", "nothing/here", 0, LNK, false },
		{ "via", "a/here/here/b", 0, LNK, false },
	};
	size_t len;
	cleanup_free char *zip = th_zip(z, sizeof(z) / sizeof(z[0]), &len);
	struct nb_err err = { 0 };

	(void)state;
	if (lambda_pkg_check(zip, len, LAMBDA_UNZIPPED_MAX, NULL, &err) != 0)
		fail_msg("%s", err.msg);
}

static void test_special_files_and_encryption_are_refused(void **state)
{
	const struct th_zent fifo[] = { { "pipe", "", 0, 010644, false } };
	const struct th_zent z[] = { { "secret.txt", "hush", 0, REG, false } };
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	cleanup_free char *zip = NULL;

	(void)state;
	expect_zip_rejected(fifo, 1, -EINVAL, "entry \"pipe\"", "special file (mode 010644)");
	if (!zip_encryption_method_supported(ZIP_EM_AES_256, 1)) {
		print_message("libzip without AES: encryption not tested\n");
		return;
	}
	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	zip_source_keep(src);
	assert_int_equal(zip_file_add(za, z[0].name, zip_source_buffer(za, "hush", 4, 0), 0), 0);
	assert_int_equal(zip_file_set_encryption(za, 0, ZIP_EM_AES_256, "pw"), 0);
	assert_int_equal(zip_close(za), 0);
	assert_int_equal(zip_source_stat(src, &st), 0);
	assert_int_equal(zip_source_open(src), 0);
	zip = malloc(st.size);
	assert_int_equal(zip_source_read(src, zip, st.size), (zip_int64_t)st.size);
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	expect_reject(zip, st.size, -ENOTSUP, "entry \"secret.txt\"", "encrypted");
}

/* ---- limits and corruption ---- */

static void test_not_a_zip_is_refused(void **state)
{
	(void)state;
	expect_reject("hello, world\n", 13, -EINVAL, NULL, "not a zip archive: ");
	expect_reject("", 0, -EINVAL, NULL, "not a zip archive: ");
}

static void test_a_compression_bomb_is_refused(void **state)
{
	/* 4 MiB of zeros deflate to ~4 KiB: 1000:1. */
	size_t big = 4u << 20;
	cleanup_free char *zeros = calloc(1, big);
	const struct th_zent z[] = { { "small.txt", "hi", 0, REG, false },
				     { "bomb.bin", zeros, big, REG, false } };

	(void)state;
	expect_zip_rejected(z, 2, -EFBIG, "entry \"bomb.bin\"", "compression ratio over 100:1");
}

static void test_too_many_entries_are_refused(void **state)
{
	struct th_zent z[11];
	char names[11][16];
	struct lambda_pkg_limits lim = default_limits;
	size_t len;
	cleanup_free char *zip = NULL;

	(void)state;
	for (int i = 0; i < 11; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		z[i] = (struct th_zent){ names[i], "x", 0, REG, false };
	}
	zip = th_zip(z, 11, &len);
	lim.entries_max = 10;
	expect_reject_limits(zip, len, &lim, -EFBIG, NULL, "11 entries, over the limit of 10");
	lim.entries_max = 11;
	assert_int_equal(lambda_pkg_check_limits(zip, len, &lim, NULL, NULL), 0);
}

static void test_sizes_over_the_limits_are_refused(void **state)
{
	char a[600], b[600];
	const struct th_zent z[] = { { "a.bin", a, sizeof(a), REG, true },
				     { "b.bin", b, sizeof(b), REG, true } };
	struct lambda_pkg_limits lim = default_limits;
	struct nb_err err = { 0 };
	size_t len;
	cleanup_free char *zip = NULL;

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	zip = th_zip(z, 2, &len);
	/* Unzipped: the second entry crosses a budget of 1000 bytes. */
	assert_int_equal(lambda_pkg_check(zip, len, 1000, NULL, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "entry \"b.bin\""));
	assert_non_null(strstr(err.msg, "over its budget of 1000 bytes"));
	/* Zipped. */
	lim.zip_max = len - 1;
	expect_reject_limits(zip, len, &lim, -EFBIG, NULL, "bytes zipped, over the limit");
	lim.zip_max = len;
	assert_int_equal(lambda_pkg_check_limits(zip, len, &lim, NULL, NULL), 0);
}

static void test_a_corrupted_entry_is_refused_and_unpack_cleans_up(void **state)
{
	static const char body[] = "PAYLOAD-THAT-GETS-CORRUPTED";
	const struct th_zent z[] = { { "a-first.txt", "fine", 0, REG, false },
				     { "b-corrupt.txt", body, 0, REG, true } };
	char tmp[256], dir[300];
	struct nb_err err = { 0 };
	size_t len;
	cleanup_free char *zip = th_zip(z, 2, &len);

	(void)state;
	patch(zip, len, "GETS", "GOTS", 4);
	expect_reject(zip, len, -EBADMSG, "entry \"b-corrupt.txt\"", "CRC mismatch");
	/* Unpack finds it only when it reaches the data, after writing
	 * a-first.txt: nothing may stay behind. */
	assert_int_equal(th_tmpdir_new("pkgcrc", tmp, sizeof(tmp)), 0);
	snprintf(dir, sizeof(dir), "%s/code", tmp);
	assert_int_equal(lambda_pkg_unpack(zip, len, dir, LAMBDA_UNZIPPED_MAX, NULL, &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "CRC mismatch"));
	assert_int_equal(access(dir, F_OK), -1);
	th_tmpdir_remove(tmp);
}

static void test_a_header_that_lies_about_the_size_is_caught(void **state)
{
	char text[8192];
	const struct th_zent z[] = { { "liar.txt", text, sizeof(text), REG, false } };
	size_t len;
	cleanup_free char *zip = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	zip = th_zip(z, 1, &len);
	/* Declares 100 bytes in both headers: the data inflates to 8192. */
	patch_u32(zip, len, "PK\3\4", 22, 100);
	patch_u32(zip, len, "PK\1\2", 24, 100);
	expect_reject(zip, len, -EBADMSG, "entry \"liar.txt\"", "header declares");
}

/* ---- CodeSha256 ---- */

static void test_code_sha256_is_base64_of_the_digest(void **state)
{
	char b64[LAMBDA_SHA256_B64_LEN], hex[LAMBDA_SHA256_HEX_LEN];

	(void)state;
	lambda_pkg_sha256_b64("", 0, b64);
	assert_string_equal(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	lambda_pkg_sha256_b64("abc", 3, b64);
	assert_string_equal(b64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
	lambda_pkg_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_good_package_passes_and_reports_its_size),
		cmocka_unit_test(test_a_good_package_unpacks_with_its_modes),
		cmocka_unit_test(test_the_unpacked_tree_tars_as_root_read_only),
		cmocka_unit_test(test_tar_refuses_special_files),
		cmocka_unit_test(test_names_that_escape_are_refused),
		cmocka_unit_test(test_duplicates_after_normalising_are_refused),
		cmocka_unit_test(test_control_characters_in_names_are_refused),
		cmocka_unit_test(test_symlinks_pointing_out_are_refused),
		cmocka_unit_test(test_symlinks_inside_the_tree_are_accepted),
		cmocka_unit_test(test_special_files_and_encryption_are_refused),
		cmocka_unit_test(test_not_a_zip_is_refused),
		cmocka_unit_test(test_a_compression_bomb_is_refused),
		cmocka_unit_test(test_too_many_entries_are_refused),
		cmocka_unit_test(test_sizes_over_the_limits_are_refused),
		cmocka_unit_test(test_a_corrupted_entry_is_refused_and_unpack_cleans_up),
		cmocka_unit_test(test_a_header_that_lies_about_the_size_is_caught),
		cmocka_unit_test(test_code_sha256_is_base64_of_the_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
