/*
 * tests/unit/test_deploy_recover.c - a deploy cut short by a crash
 * (backend/lambda/deploy.c lambda_deploy_recover, run by every load). Real
 * packages are deployed first (code A then B, layer X then Y) and their
 * files kept; each test then builds, from those files, the state dir a
 * kill -9 leaves at one point of the commit protocol (staging, before the
 * commit, each rename of lambda_deploy_put) and loads it: the function must be
 * whole, all old or (once committed) all new, with nothing staged left,
 * and a second load must change nothing. No engine is needed.
 */
#include <dirent.h>
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
#include <zip.h>
#include <cmocka.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/lambda/lambda.h"
#include "backend/lambda/package.h"
#include "backend/state/atomic.h"
#include "backend/state/hub.h"
#include "tests/unit/helpers.h"

#define FN	"fn"
#define LAYER	"01-x.zip"
#define HANDLER "handler() { echo hi; }\n"

static char root[256], state[300], fndir[400];
static int statefd = -1;
static struct state_hub *hub;

/* ---- fixtures ---- */

/* A zip holding function.sh and which (its content: which, a newline). */
static char *make_zip(const char *which, size_t *len)
{
	char whichtext[8];
	const struct th_zent z[] = { { .name = "function.sh", .data = HANDLER },
				     { .name = "which", .data = whichtext } };

	snprintf(whichtext, sizeof(whichtext), "%s\n", which);
	return th_zip(z, 2, len);
}

static struct lambda *load(void)
{
	struct lambda_deps deps = {
		.hub = hub, .owner = "unit", .statedirfd = statefd, .state_path = state
	};
	struct nb_err err = { 0 };
	struct lambda *l = NULL;

	if (lambda_new(&deps, &l, &err) < 0)
		fail_msg("lambda_new: %s", err.msg);
	return l;
}

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
}

static void write_file(struct lambda *l, enum lambda_file f, const char *data, size_t len)
{
	struct nb_err err = { 0 };

	if (lambda_write(l, FN, f, data, len, &err) < 0)
		fail_msg("write %d: %s", (int)f, err.msg);
}

static void write_layer(struct lambda *l, const char *which)
{
	struct nb_err err = { 0 };
	cleanup_free char *zip = NULL;
	size_t len;

	zip = make_zip(which, &len);
	if (lambda_layer_write(l, FN, LAYER, zip, len, &err) < 0)
		fail_msg("layer %s: %s", which, err.msg);
}

static void write_code(struct lambda *l, const char *which)
{
	cleanup_free char *zip = NULL;
	size_t len;

	zip = make_zip(which, &len);
	write_file(l, LAMBDA_F_CODE_ZIP, zip, len);
}

/* Snapshots root/0 (no package yet), root/A (code A, layer X) and root/B
 * (code B, layer Y) of the function's directory, deployed for real. */
static int setup(void **unused)
{
	struct nb_err err = { 0 };
	struct lambda *l;

	(void)unused;
	assert_int_equal(th_tmpdir_new("deploy", root, sizeof(root)), 0);
	snprintf(state, sizeof(state), "%s/state", root);
	snprintf(fndir, sizeof(fndir), "%s/lambda/" FN, state);
	assert_int_equal(mkdir(state, 0700), 0);
	statefd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(statefd >= 0);
	assert_int_equal(state_hub_new(&hub), 0);

	l = load();
	assert_int_equal(lambda_create(l, FN, &err), 0);
	write_file(l, LAMBDA_F_RUNTIME, "provided.al2023\n", 16);
	write_file(l, LAMBDA_F_HANDLER, "function.handler\n", 17);
	lambda_free(l);
	sh("cp -a %s %s/0", fndir, root);

	l = load();
	write_code(l, "A");
	assert_int_equal(lambda_layer_create(l, FN, LAYER, &err), 0);
	write_layer(l, "X");
	lambda_free(l);
	sh("cp -a %s %s/A", fndir, root);

	l = load();
	write_code(l, "B");
	write_layer(l, "Y");
	lambda_free(l);
	sh("cp -a %s %s/B", fndir, root);
	return 0;
}

static int teardown(void **unused)
{
	(void)unused;
	state_hub_free(hub);
	close(statefd);
	th_tmpdir_remove(root);
	return 0;
}

/* ---- torn states ---- */

/* One file or tree of the torn state: dst in the function's directory is
 * src of snapshot snap ("0", "A" or "B"); snap "dir": an empty directory;
 * "part": a tree with only some of its files. */
struct piece {
	const char *dst, *snap, *src;
};

/* clang-format off */
#define CODE_A { "config.json", "A", "config.json" }, { "code.zip", "A", "code.zip" }, \
	{ "code.tar", "A", "code.tar" }, { "code", "A", "code" }
#define LAYERS_A { "layers", "A", "layers" }
#define STAGED_B { "code.new", "B", "code" }, { "code.tar.next", "B", "code.tar" }, \
	{ "code.zip.next", "B", "code.zip" }
/* clang-format on */
#define MAX_PIECES 12

static void build(const struct piece *p)
{
	lambda_pkg_remove_tree(fndir);
	assert_int_equal(mkdir(fndir, 0700), 0);
	for (; p->dst; p++) {
		if (strcmp(p->snap, "dir") == 0) {
			sh("mkdir %s/%s", fndir, p->dst);
			continue;
		}
		if (strcmp(p->snap, "part") == 0) {
			/* an unpack cut short: the directory and one file */
			sh("mkdir %s/%s && echo partial > %s/%s/which", fndir, p->dst, fndir,
			   p->dst);
			continue;
		}
		sh("cp -a %s/%s/%s %s/%s", root, p->snap, p->src, fndir, p->dst);
	}
}

/* ---- what a whole function is ---- */

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	struct nb_err err = { 0 };

	if (state_read_file(AT_FDCWD, path, 1 << 24, &data, len, &err) < 0)
		fail_msg("%s", err.msg);
	return data;
}

static void assert_same_file(const char *a, const char *b)
{
	cleanup_free char *da = NULL, *db = NULL;
	size_t la, lb;

	da = slurp(a, &la);
	db = slurp(b, &lb);
	if (la != lb || memcmp(da, db, la) != 0)
		fail_msg("%s is not %s", a, b);
}

static void assert_which(const char *tree, const char *want)
{
	char path[600], line[8];
	cleanup_free char *data = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/which", tree);
	data = slurp(path, &len);
	snprintf(line, sizeof(line), "%s\n", want);
	if (len != strlen(line) || memcmp(data, line, len) != 0)
		fail_msg("%s holds %.*s, not %s", path, (int)len, data, want);
}

static void assert_nothing_staged(const char *dir)
{
	static const char *const suffixes[] = { ".new", ".next", ".old" };
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		for (size_t i = 0; i < 3; i++) {
			size_t s = strlen(suffixes[i]);

			if (n > s && strcmp(de->d_name + n - s, suffixes[i]) == 0)
				fail_msg("%s/%s left behind", dir, de->d_name);
		}
	}
	closedir(d);
}

static void assert_absent(const char *file)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", fndir, file);
	if (lstat(path, &st) == 0)
		fail_msg("%s exists", path);
}

/* code: "0" (no package), "A" or "B"; layer "X" or "Y" (its files are
 * those of snapshot A or B). */
static void check(struct lambda *l, const char *code, const char *layer)
{
	char a[600], b[600];
	cleanup_free char *sha_text = NULL;
	struct nb_buf out = { 0 };
	const char *snap = strcmp(layer, "X") == 0 ? "A" : "B";
	char sha[LAMBDA_SHA256_B64_LEN];
	size_t len;

	snprintf(a, sizeof(a), "%s/layers", fndir);
	assert_nothing_staged(fndir);
	assert_nothing_staged(a);

	assert_int_equal(lambda_render(l, FN, LAMBDA_F_CODE_SHA, &out, NULL), 0);
	if (strcmp(code, "0") == 0) {
		assert_int_equal(out.len, 0);
		assert_absent("code");
		assert_absent("code.zip");
		assert_absent("code.tar");
	} else {
		snprintf(b, sizeof(b), "%s/%s/code.zip", root, code);
		sha_text = slurp(b, &len);
		lambda_pkg_sha256_b64(sha_text, len, sha);
		if (out.len != strlen(sha) + 1 || memcmp(out.data, sha, strlen(sha)) != 0)
			fail_msg("code-sha256 %.*s, package %s is %s", (int)out.len, out.data, code,
				 sha);
		snprintf(a, sizeof(a), "%s/code.zip", fndir);
		assert_same_file(a, b);
		snprintf(a, sizeof(a), "%s/code.tar", fndir);
		snprintf(b, sizeof(b), "%s/%s/code.tar", root, code);
		assert_same_file(a, b);
		snprintf(a, sizeof(a), "%s/code", fndir);
		assert_which(a, code);
		out.len = 0;
		assert_int_equal(lambda_render(l, FN, LAMBDA_F_STATE, &out, NULL), 0);
		if (out.len < 7 || memcmp(out.data, "Active\n", 7) != 0)
			fail_msg("state %.*s", (int)out.len, out.data);
	}
	nb_buf_free(&out);

	assert_true(lambda_layer_exists(l, FN, LAYER));
	snprintf(a, sizeof(a), "%s/layers/" LAYER, fndir);
	snprintf(b, sizeof(b), "%s/%s/layers/" LAYER, root, snap);
	assert_same_file(a, b);
	snprintf(a, sizeof(a), "%s/layers/01-x.tar", fndir);
	snprintf(b, sizeof(b), "%s/%s/layers/01-x.tar", root, snap);
	assert_same_file(a, b);
	snprintf(a, sizeof(a), "%s/layers/01-x.d", fndir);
	assert_which(a, layer);
}

/* Builds the torn state, loads it twice (the second load must find it
 * whole already) and checks it each time. */
static void torn(const struct piece *p, const char *code, const char *layer)
{
	struct lambda *l;

	build(p);
	l = load();
	check(l, code, layer);
	lambda_free(l);
	l = load();
	check(l, code, layer);
	lambda_free(l);
}

/* ---- the code: before the commit (config.json names A) ---- */

static void test_code_cut_while_unpacking_keeps_the_old(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A, LAYERS_A, { "code.new", "part", NULL } };

	(void)unused;
	torn(p, "A", "X");
}

static void test_code_cut_before_its_zip_was_staged_keeps_the_old(void **unused)
{
	const struct piece p[MAX_PIECES] = {
		CODE_A, LAYERS_A, { "code.new", "B", "code" }, { "code.tar.next", "B", "code.tar" }
	};

	(void)unused;
	torn(p, "A", "X");
}

static void test_code_staged_whole_but_not_committed_keeps_the_old(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A, LAYERS_A, STAGED_B };

	(void)unused;
	torn(p, "A", "X");
}

static void test_the_same_package_staged_again_stays(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A,
					     LAYERS_A,
					     { "code.new", "A", "code" },
					     { "code.tar.next", "A", "code.tar" },
					     { "code.zip.next", "A", "code.zip" } };

	(void)unused;
	torn(p, "A", "X");
}

static void test_a_first_package_not_committed_leaves_none(void **unused)
{
	const struct piece p[MAX_PIECES] = { { "config.json", "0", "config.json" },
					     LAYERS_A,
					     STAGED_B };

	(void)unused;
	torn(p, "0", "X");
}

/* ---- the code: committed (config.json names B), each rename ---- */

static void test_code_committed_before_any_move_rolls_forward(void **unused)
{
	const struct piece p[MAX_PIECES] = { { "config.json", "B", "config.json" },
					     { "code.zip", "A", "code.zip" },
					     { "code.tar", "A", "code.tar" },
					     { "code", "A", "code" },
					     LAYERS_A,
					     STAGED_B };

	(void)unused;
	torn(p, "B", "X");
}

static void test_code_cut_between_the_tree_renames_rolls_forward(void **unused)
{
	const struct piece p[MAX_PIECES] = { { "config.json", "B", "config.json" },
					     { "code.zip", "A", "code.zip" },
					     { "code.tar", "A", "code.tar" },
					     { "code.old", "A", "code" },
					     LAYERS_A,
					     STAGED_B };

	(void)unused;
	torn(p, "B", "X");
}

static void test_code_cut_after_the_tree_moved_rolls_forward(void **unused)
{
	const struct piece p[MAX_PIECES] = {
		{ "config.json", "B", "config.json" }, { "code.zip", "A", "code.zip" },
		{ "code.tar", "A", "code.tar" },       { "code", "B", "code" },
		{ "code.old", "A", "code" },	       LAYERS_A,
		{ "code.tar.next", "B", "code.tar" },  { "code.zip.next", "B", "code.zip" }
	};

	(void)unused;
	torn(p, "B", "X");
}

static void test_code_cut_after_the_tar_moved_rolls_forward(void **unused)
{
	const struct piece p[MAX_PIECES] = {
		{ "config.json", "B", "config.json" }, { "code.zip", "A", "code.zip" },
		{ "code.tar", "B", "code.tar" },       { "code", "B", "code" },
		{ "code.old", "A", "code" },	       LAYERS_A,
		{ "code.zip.next", "B", "code.zip" }
	};

	(void)unused;
	torn(p, "B", "X");
}

static void test_code_cut_before_the_old_tree_went_removes_it(void **unused)
{
	const struct piece p[MAX_PIECES] = {
		{ "config.json", "B", "config.json" }, { "code.zip", "B", "code.zip" },
		{ "code.tar", "B", "code.tar" },       { "code", "B", "code" },
		{ "code.old", "A", "code" },	       LAYERS_A
	};

	(void)unused;
	torn(p, "B", "X");
}

static void test_a_first_package_committed_rolls_forward(void **unused)
{
	const struct piece p[MAX_PIECES] = { { "config.json", "B", "config.json" },
					     LAYERS_A,
					     STAGED_B };

	(void)unused;
	torn(p, "B", "X");
}

/* ---- layers (the staged zip is their commit) ---- */

static void test_layer_cut_while_unpacking_keeps_the_old(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A,
					     LAYERS_A,
					     { "layers/01-x.d.new", "part", NULL },
					     { "layers/01-x.tar.next", "B", "layers/01-x.tar" } };

	(void)unused;
	torn(p, "A", "X");
}

static void test_layer_staged_whole_rolls_forward(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A,
					     LAYERS_A,
					     { "layers/01-x.d.new", "B", "layers/01-x.d" },
					     { "layers/01-x.tar.next", "B", "layers/01-x.tar" },
					     { "layers/01-x.zip.next", "B", "layers/" LAYER } };

	(void)unused;
	torn(p, "A", "Y");
}

static void test_layer_cut_between_the_tree_renames_rolls_forward(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A,
					     { "layers", "dir", NULL },
					     { "layers/" LAYER, "A", "layers/" LAYER },
					     { "layers/01-x.tar", "A", "layers/01-x.tar" },
					     { "layers/01-x.d.old", "A", "layers/01-x.d" },
					     { "layers/01-x.d.new", "B", "layers/01-x.d" },
					     { "layers/01-x.tar.next", "B", "layers/01-x.tar" },
					     { "layers/01-x.zip.next", "B", "layers/" LAYER } };

	(void)unused;
	torn(p, "A", "Y");
}

static void test_layer_cut_after_the_tar_moved_rolls_forward(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A,
					     { "layers", "dir", NULL },
					     { "layers/" LAYER, "A", "layers/" LAYER },
					     { "layers/01-x.tar", "B", "layers/01-x.tar" },
					     { "layers/01-x.d", "B", "layers/01-x.d" },
					     { "layers/01-x.d.old", "A", "layers/01-x.d" },
					     { "layers/01-x.zip.next", "B", "layers/" LAYER } };

	(void)unused;
	torn(p, "A", "Y");
}

static void test_a_new_layer_cut_while_staging_is_dropped(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A,
					     LAYERS_A,
					     { "layers/02-y.d.new", "B", "layers/01-x.d" },
					     { "layers/02-y.tar.next", "B", "layers/01-x.tar" } };
	struct lambda *l;

	(void)unused;
	torn(p, "A", "X");
	l = load();
	assert_false(lambda_layer_exists(l, FN, "02-y.zip"));
	lambda_free(l);
}

static void test_a_new_layer_staged_whole_is_added(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A,
					     LAYERS_A,
					     { "layers/02-y.d.new", "B", "layers/01-x.d" },
					     { "layers/02-y.tar.next", "B", "layers/01-x.tar" },
					     { "layers/02-y.zip.next", "B", "layers/" LAYER } };
	char a[600];
	struct lambda *l;

	(void)unused;
	torn(p, "A", "X");
	l = load();
	assert_true(lambda_layer_exists(l, FN, "02-y.zip"));
	lambda_free(l);
	snprintf(a, sizeof(a), "%s/layers/02-y.d", fndir);
	assert_which(a, "Y");
}

/* rm of a layer removes its zip first (the commit), then its tar and
 * tree: what a kill leaves of them goes at the next load. */
static void test_a_layer_rm_cut_short_leaves_nothing(void **unused)
{
	const struct piece p[MAX_PIECES] = { CODE_A,
					     LAYERS_A,
					     { "layers/02-y.d", "B", "layers/01-x.d" },
					     { "layers/02-y.tar", "B", "layers/01-x.tar" } };
	struct lambda *l;

	(void)unused;
	torn(p, "A", "X");
	l = load();
	assert_false(lambda_layer_exists(l, FN, "02-y.zip"));
	lambda_free(l);
	assert_absent("layers/02-y.d");
	assert_absent("layers/02-y.tar");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_cut_while_unpacking_keeps_the_old),
		cmocka_unit_test(test_code_cut_before_its_zip_was_staged_keeps_the_old),
		cmocka_unit_test(test_code_staged_whole_but_not_committed_keeps_the_old),
		cmocka_unit_test(test_the_same_package_staged_again_stays),
		cmocka_unit_test(test_a_first_package_not_committed_leaves_none),
		cmocka_unit_test(test_code_committed_before_any_move_rolls_forward),
		cmocka_unit_test(test_code_cut_between_the_tree_renames_rolls_forward),
		cmocka_unit_test(test_code_cut_after_the_tree_moved_rolls_forward),
		cmocka_unit_test(test_code_cut_after_the_tar_moved_rolls_forward),
		cmocka_unit_test(test_code_cut_before_the_old_tree_went_removes_it),
		cmocka_unit_test(test_a_first_package_committed_rolls_forward),
		cmocka_unit_test(test_layer_cut_while_unpacking_keeps_the_old),
		cmocka_unit_test(test_layer_staged_whole_rolls_forward),
		cmocka_unit_test(test_layer_cut_between_the_tree_renames_rolls_forward),
		cmocka_unit_test(test_layer_cut_after_the_tar_moved_rolls_forward),
		cmocka_unit_test(test_a_new_layer_cut_while_staging_is_dropped),
		cmocka_unit_test(test_a_new_layer_staged_whole_is_added),
		cmocka_unit_test(test_a_layer_rm_cut_short_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
