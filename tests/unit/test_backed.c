/*
 * tests/unit/test_backed.c - files backed by a file in the state dir
 * (fs/openfile.c with ops->backing: logs, code.zip): size and mtime come
 * from fstat, bytes from pread at the offset asked, whatever the size;
 * the service is asked only to open the file, never to read it. A test
 * backing op stands in for the services, over a file in a temp dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fs/fsnode.h"
#include "fs/openfile.h"
#include "tests/unit/helpers.h"

/* What the test service holds: whether its object exists, and the file
 * that backs it; how often it was asked to open it, and to render. */
static struct {
	char dir[256], path[300];
	bool exists;
	int opens, renders;
	struct timespec object_mtime;
} svc;

static int test_backing(struct fsnode_ctx *ctx, const struct fsnode *node, int *fd,
			struct timespec *mtime)
{
	(void)ctx;
	(void)node;
	svc.opens++;
	*fd = -1;
	if (!svc.exists)
		return -ENOENT;
	*mtime = svc.object_mtime;
	*fd = open(svc.path, O_RDONLY | O_CLOEXEC);
	return *fd < 0 && errno != ENOENT ? -errno : 0;
}

static int test_render(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
		       struct timespec *mtime)
{
	(void)ctx;
	(void)node;
	(void)out;
	(void)mtime;
	svc.renders++;
	return 0;
}

static const struct fsnode_ops backed_ops = {
	.render = test_render,
	.backing = test_backing,
};

static const struct fsnode_route r_log = { .parent = FSNODE_ECS,
					   .name = "logs",
					   .type = FSNODE_NONE,
					   .kind = FSNODE_APPEND,
					   .mode = 0444,
					   .commit = FSNODE_COMMIT_NONE,
					   .ops = &backed_ops };
static const struct fsnode_route r_zip = { .parent = FSNODE_ECS,
					   .name = "code.zip",
					   .type = FSNODE_NONE,
					   .kind = FSNODE_VALUE,
					   .mode = 0644,
					   .commit = FSNODE_COMMIT_CLOSE,
					   .ops = &backed_ops };
static const struct fsnode_route r_dir = { .parent = FSNODE_ROOT,
					   .name = "ecs",
					   .type = FSNODE_ECS,
					   .kind = FSNODE_DIR,
					   .mode = 0755,
					   .commit = FSNODE_COMMIT_NONE,
					   .ops = &backed_ops };

struct env {
	struct fsnode_ctx ctx;
	struct fsnode *dir;
	struct fsnode_file *f;
	struct nb_buf out;
};

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	if (!env)
		return -1;
	memset(&svc, 0, sizeof(svc));
	svc.exists = true;
	svc.object_mtime.tv_sec = 1000;
	if (th_tmpdir_new("backed", svc.dir, sizeof(svc.dir)) < 0 ||
	    fsnode_table_new(&env->ctx.nodes) < 0 || fsnode_lasterr_new(&env->ctx.lasterr) < 0 ||
	    fsnode_table_lookup(env->ctx.nodes, fsnode_root(env->ctx.nodes), &r_dir, "ecs",
				&env->dir) < 0)
		return -1;
	snprintf(svc.path, sizeof(svc.path), "%s/file", svc.dir);
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	if (env->f) {
		fsnode_table_detach(env->ctx.nodes, env->f);
		fsnode_file_free(env->f);
	}
	nb_buf_free(&env->out);
	fsnode_lasterr_free(env->ctx.lasterr);
	fsnode_table_free(env->ctx.nodes);
	th_tmpdir_remove(svc.dir);
	free(env);
	return 0;
}

/* Appends len bytes of c to the backing file, as a capture does. */
static void grow(char c, size_t len)
{
	int fd = open(svc.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	char buf[4096];

	assert_true(fd >= 0);
	memset(buf, c, sizeof(buf));
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		len -= n;
	}
	close(fd);
}

static struct fsnode *node_of(struct env *env, const struct fsnode_route *r)
{
	struct fsnode *node;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, r, r->name, &node), 0);
	return node;
}

/* Opens as ops.c's open does: the file is opened, not rendered. */
static int open_file(struct env *env, const struct fsnode_route *r)
{
	int ret;

	env->f = fsnode_file_new(node_of(env, r), O_RDONLY);
	assert_non_null(env->f);
	fsnode_table_attach(env->ctx.nodes, env->f);
	ret = fsnode_file_render(&env->ctx, env->f);
	env->f->fresh = ret == 0;
	return ret;
}

/* What a read of size bytes at off returns, as ops.c's read gets it. */
static int read_at(struct env *env, off_t off, size_t size)
{
	nb_buf_reset(&env->out);
	return fsnode_file_read_backed(&env->ctx, env->f, off, size, &env->out);
}

/* Errors first */

static void test_a_backed_file_whose_object_is_gone_fails_stat_and_open_with_enoent(void **state)
{
	struct env *env = *state;
	struct timespec mtime;
	off_t size = 7;

	svc.exists = false;
	assert_int_equal(fsnode_file_backing_stat(&env->ctx, node_of(env, &r_log), &size, &mtime),
			 -ENOENT);
	assert_int_equal(open_file(env, &r_log), -ENOENT);
}

static void test_a_read_past_the_end_after_the_object_went_fails_with_enoent(void **state)
{
	struct env *env = *state;

	grow('a', 10);
	assert_int_equal(open_file(env, &r_log), 0);
	assert_int_equal(read_at(env, 0, 4096), 0);
	assert_int_equal(env->out.len, 10);
	svc.exists = false; /* rmdir of the task: tail -f's next read fails */
	assert_int_equal(read_at(env, 10, 4096), -ENOENT);
}

static void test_a_log_not_captured_yet_stats_and_reads_empty(void **state)
{
	struct env *env = *state;
	struct timespec mtime = { 0 };
	off_t size = 7;

	assert_int_equal(fsnode_file_backing_stat(&env->ctx, node_of(env, &r_log), &size, &mtime),
			 0);
	assert_int_equal(size, 0);
	assert_int_equal(mtime.tv_sec, 1000); /* the object's */
	assert_int_equal(open_file(env, &r_log), 0);
	assert_int_equal(env->f->backing_fd, -1);
	assert_int_equal(read_at(env, 0, 4096), 0);
	assert_int_equal(env->out.len, 0);
}

/* Sizes and bytes */

static void test_stat_gives_the_files_exact_size_and_mtime_without_rendering(void **state)
{
	struct env *env = *state;
	struct timespec mtime = { 0 };
	struct stat st;
	off_t size;

	grow('x', 12345);
	assert_int_equal(stat(svc.path, &st), 0);
	assert_int_equal(fsnode_file_backing_stat(&env->ctx, node_of(env, &r_log), &size, &mtime),
			 0);
	assert_int_equal(size, 12345);
	assert_int_equal(mtime.tv_sec, st.st_mtim.tv_sec);
	assert_int_equal(mtime.tv_nsec, st.st_mtim.tv_nsec);
	assert_int_equal(svc.opens, 1);
	assert_int_equal(svc.renders, 0);
}

static void test_a_file_past_64_mib_stats_exactly_and_reads_at_any_offset(void **state)
{
	struct env *env = *state;
	const off_t big = ((off_t)1 << 30) + 3; /* 1 GiB and 3 bytes, sparse */
	struct timespec mtime;
	off_t size;
	int fd;

	fd = open(svc.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "head", 4, 0), 4);
	assert_int_equal(pwrite(fd, "end", 3, big - 3), 3);
	close(fd);
	assert_int_equal(fsnode_file_backing_stat(&env->ctx, node_of(env, &r_log), &size, &mtime),
			 0);
	assert_int_equal(size, big);
	assert_int_equal(open_file(env, &r_log), 0);
	assert_int_equal(read_at(env, 0, 4), 0);
	assert_memory_equal(env->out.data, "head", 4);
	/* A read near the end costs one pread: nothing before it is read. */
	assert_int_equal(read_at(env, big - 5, 131072), 0);
	assert_int_equal(env->out.len, 5);
	assert_memory_equal(env->out.data, "\0\0end", 5);
	assert_int_equal(svc.opens, 2); /* the stat's and the open's */
	assert_int_equal(svc.renders, 0);
}

static void test_reads_inside_the_file_never_ask_the_service_again(void **state)
{
	struct env *env = *state;

	grow('a', 100000);
	assert_int_equal(open_file(env, &r_log), 0);
	for (off_t off = 0; off < 100000; off += 4096) {
		assert_int_equal(read_at(env, off, 4096), 0);
		assert_int_equal(env->out.len, off + 4096 <= 100000 ? 4096 : 100000 - off);
	}
	assert_int_equal(svc.opens, 1);
}

/* Growth: tail -f */

static void test_a_log_read_at_its_end_sees_what_was_appended_since(void **state)
{
	struct env *env = *state;

	grow('a', 10);
	assert_int_equal(open_file(env, &r_log), 0);
	assert_int_equal(read_at(env, 0, 4096), 0);
	assert_int_equal(env->out.len, 10);
	assert_int_equal(read_at(env, 10, 4096), 0);
	assert_int_equal(env->out.len, 0);
	grow('b', 5);
	assert_int_equal(read_at(env, 10, 4096), 0);
	assert_int_equal(env->out.len, 5);
	assert_memory_equal(env->out.data, "bbbbb", 5);
}

static void test_a_log_created_after_the_open_is_read_at_the_end(void **state)
{
	struct env *env = *state;

	assert_int_equal(open_file(env, &r_log), 0);
	assert_int_equal(read_at(env, 0, 4096), 0);
	assert_int_equal(env->out.len, 0);
	assert_int_equal(svc.opens, 2); /* the open's, and again at the end */
	grow('c', 3);			/* the first line is captured */
	assert_int_equal(read_at(env, 0, 4096), 0);
	assert_string_equal(env->out.data, "ccc");
}

static void test_a_log_open_gets_the_generation_poll_compares_with(void **state)
{
	struct env *env = *state;

	assert_int_equal(open_file(env, &r_log), 0);
	fsnode_table_changed(env->ctx.nodes, "ecs/logs");
	assert_int_equal(fsnode_table_poll(env->ctx.nodes, env->f, NULL),
			 env->f->gen_at_render + 1);
	/* Reading it again from 0 (after poll) takes the new generation. */
	assert_int_equal(read_at(env, 0, 10), 0);
	assert_int_equal(read_at(env, 0, 10), 0);
	assert_int_equal(fsnode_table_poll(env->ctx.nodes, env->f, NULL), env->f->gen_at_render);
}

/* Replaced files: code.zip */

static void test_a_replaced_file_is_read_whole_old_until_a_read_at_zero(void **state)
{
	struct env *env = *state;
	char tmp[320];

	grow('o', 8000);
	assert_int_equal(open_file(env, &r_zip), 0);
	assert_int_equal(read_at(env, 0, 4096), 0);
	/* A deploy writes the new zip aside and renames it over the old. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", svc.path);
	{
		int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "new", 3), 3);
		close(fd);
	}
	assert_int_equal(rename(tmp, svc.path), 0);
	/* The rest of this read pass is the old file: never two mixed. */
	assert_int_equal(read_at(env, 4096, 8192), 0);
	assert_int_equal(env->out.len, 8000 - 4096);
	assert_int_equal(env->out.data[0], 'o');
	/* A value file does not reopen at its end, unlike a log. */
	assert_int_equal(read_at(env, 8000, 4096), 0);
	assert_int_equal(env->out.len, 0);
	assert_int_equal(read_at(env, 0, 4096), 0);
	assert_string_equal(env->out.data, "new");
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_backed_file_whose_object_is_gone_fails_stat_and_open_with_enoent),
		T(test_a_read_past_the_end_after_the_object_went_fails_with_enoent),
		T(test_a_log_not_captured_yet_stats_and_reads_empty),
		T(test_stat_gives_the_files_exact_size_and_mtime_without_rendering),
		T(test_a_file_past_64_mib_stats_exactly_and_reads_at_any_offset),
		T(test_reads_inside_the_file_never_ask_the_service_again),
		T(test_a_log_read_at_its_end_sees_what_was_appended_since),
		T(test_a_log_created_after_the_open_is_read_at_the_end),
		T(test_a_log_open_gets_the_generation_poll_compares_with),
		T(test_a_replaced_file_is_read_whole_old_until_a_read_at_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
