/*
 * tests/unit/test_openfile.c - open files (fs/openfile.c): when written
 * bytes become a committed request, where a failure's reason goes, what a
 * read returns; and the inode table (fs/inode.c) and last-error
 * (fs/lasterr.c) they stand on. Test routes with a recording commit stand
 * in for the services; nothing is mounted and no engine is needed.
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
#include <cmocka.h>

#include "backend/common/json.h"
#include "fs/fsnode.h"
#include "fs/openfile.h"

#define MAX_COMMITS 16

/* What the test ops saw. Requests starting with "bad" fail with -EINVAL
 * and a reason; "silent" fails with -EIO and no reason; a request starting
 * with '{' fails when it is not valid JSON. */
static struct recorder {
	int commits;
	char data[MAX_COMMITS][256];
	int renders;
} rec;

static int test_render(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
		       struct timespec *mtime)
{
	(void)ctx;
	mtime->tv_sec = 0;
	mtime->tv_nsec = 0;
	rec.renders++;
	return nb_buf_printf(out, "%s render %d\n", node->path, rec.renders);
}

static int test_commit(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
		       size_t len, struct nb_buf *answer, struct nb_err *err)
{
	(void)ctx;
	if (rec.commits < MAX_COMMITS)
		snprintf(rec.data[rec.commits], sizeof(rec.data[0]), "%.*s", (int)len, data);
	rec.commits++;
	if (len >= 3 && memcmp(data, "bad", 3) == 0)
		return nb_err_set(err, -EINVAL, "test: rejected \"%.*s\"", (int)strcspn(data, "\n"),
				  data);
	if (len >= 6 && memcmp(data, "silent", 6) == 0)
		return -EIO;
	if (len && data[0] == '{') {
		cJSON *doc = json_parse(data, len, err);

		if (!doc)
			return err->code;
		cJSON_Delete(doc);
	}
	if (node->route->kind == FSNODE_TXN)
		return nb_buf_printf(answer, "answer %d to %.*s", rec.commits, (int)len, data);
	return 0;
}

static const struct fsnode_ops test_ops = {
	.render = test_render,
	.commit = test_commit,
};

/* A long transaction: prepare reserves (a counter), run answers, discard
 * gives the reservation back. Requests starting with "bad" fail to prepare. */
static struct {
	int prepared, ran, discarded;
} txn;

static int test_prepare(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
			size_t len, void **priv, struct nb_err *err)
{
	(void)ctx;
	(void)node;
	if (len >= 3 && memcmp(data, "bad", 3) == 0)
		return nb_err_set(err, -EAGAIN, "test: throttled");
	*priv = &txn;
	txn.prepared++;
	return 0;
}

static int test_run(struct fsnode_ctx *ctx, const struct fsnode *node, void *priv, const char *data,
		    size_t len, struct nb_cancel *cancel, struct nb_buf *answer, struct nb_err *err)
{
	(void)ctx;
	(void)node;
	(void)err;
	(void)cancel;
	assert_ptr_equal(priv, &txn);
	txn.ran++;
	return nb_buf_printf(answer, "ran %.*s", (int)strcspn(data, "\n"), len ? data : "");
}

static void test_discard(struct fsnode_ctx *ctx, void *priv)
{
	(void)ctx;
	assert_ptr_equal(priv, &txn);
	txn.discarded++;
}

static const struct fsnode_ops long_txn_ops = {
	.render = test_render,
	.prepare = test_prepare,
	.run = test_run,
	.discard = test_discard,
};

static const struct fsnode_ops render_only_ops = {
	.render = test_render,
};

/* Test routes: files under "ecs", served by the recording ops. */
#define TEST_ROUTE(parent_, name_, type_, kind_, mode_, commit_, ops_)                             \
	{                                                                                          \
		.parent = (parent_), .name = (name_), .type = (type_), .kind = (kind_),            \
		.mode = (mode_), .commit = (commit_), .ops = (ops_)                                \
	}

static const struct fsnode_route r_value = TEST_ROUTE(
	FSNODE_ECS, "value", FSNODE_NONE, FSNODE_VALUE, 0644, FSNODE_COMMIT_VALUE, &test_ops);
static const struct fsnode_route r_verb = TEST_ROUTE(FSNODE_ECS, "verb", FSNODE_NONE, FSNODE_VERB,
						     0200, FSNODE_COMMIT_EACH_LINE, &test_ops);
static const struct fsnode_route r_txn = TEST_ROUTE(FSNODE_ECS, "txn", FSNODE_NONE, FSNODE_TXN,
						    0600, FSNODE_COMMIT_LINE_OR_JSON, &test_ops);
static const struct fsnode_route r_long =
	TEST_ROUTE(FSNODE_ECS, "long", FSNODE_NONE, FSNODE_TXN, 0600, FSNODE_COMMIT_LINE_OR_JSON,
		   &long_txn_ops);
static const struct fsnode_route r_json = TEST_ROUTE(FSNODE_ECS, "json", FSNODE_NONE, FSNODE_VALUE,
						     0644, FSNODE_COMMIT_JSON, &test_ops);
static const struct fsnode_route r_readonly = TEST_ROUTE(
	FSNODE_ECS, "ro", FSNODE_NONE, FSNODE_VALUE, 0444, FSNODE_COMMIT_VALUE, &render_only_ops);
static const struct fsnode_route r_log = TEST_ROUTE(FSNODE_ECS, "log", FSNODE_NONE, FSNODE_APPEND,
						    0444, FSNODE_COMMIT_NONE, &render_only_ops);
static const struct fsnode_route r_lasterr =
	TEST_ROUTE(FSNODE_ECS, "last-error", FSNODE_LAST_ERROR, FSNODE_LASTERR, 0444,
		   FSNODE_COMMIT_NONE, &render_only_ops);
static const struct fsnode_route r_dir = TEST_ROUTE(FSNODE_ROOT, "ecs", FSNODE_ECS, FSNODE_DIR,
						    0755, FSNODE_COMMIT_NONE, &render_only_ops);
static const struct fsnode_route r_star = TEST_ROUTE(FSNODE_ECS, "*", FSNODE_ECS_TASKS, FSNODE_DIR,
						     0755, FSNODE_COMMIT_NONE, &render_only_ops);

struct env {
	struct fsnode_ctx ctx;
	struct fsnode *dir; /* "ecs" */
	struct fsnode_file *f;
	struct nb_buf text;
};

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	if (!env)
		return -1;
	memset(&rec, 0, sizeof(rec));
	memset(&txn, 0, sizeof(txn));
	if (fsnode_table_new(&env->ctx.nodes) < 0 || fsnode_lasterr_new(&env->ctx.lasterr) < 0 ||
	    fsnode_table_lookup(env->ctx.nodes, fsnode_root(env->ctx.nodes), &r_dir, "ecs",
				&env->dir) < 0) {
		fsnode_table_free(env->ctx.nodes);
		fsnode_lasterr_free(env->ctx.lasterr);
		free(env);
		return -1;
	}
	env->ctx.notify = NULL;
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
	nb_buf_free(&env->text);
	fsnode_lasterr_free(env->ctx.lasterr);
	fsnode_table_free(env->ctx.nodes);
	free(env);
	return 0;
}

/* Opens the env's file on route under "ecs", as ops.c's open does. */
static struct fsnode_file *open_file(struct env *env, const struct fsnode_route *route, int flags)
{
	struct fsnode *node;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, route, route->name, &node),
			 0);
	env->f = fsnode_file_new(node, flags);
	assert_non_null(env->f);
	fsnode_table_attach(env->ctx.nodes, env->f);
	assert_int_equal(fsnode_file_render(&env->ctx, env->f), 0);
	return env->f;
}

static ssize_t write_str(struct env *env, const char *s, off_t off)
{
	return fsnode_file_write(&env->ctx, env->f, s, strlen(s), off);
}

/* Writes s at the end of what the file holds, as successive write(2)s do. */
static ssize_t append_str(struct env *env, const char *s)
{
	return write_str(env, s, (off_t)env->f->wbuf.len);
}

static const char *lasterr_of(struct env *env, const char *dir)
{
	struct timespec mtime = { 0 };

	nb_buf_reset(&env->text);
	assert_int_equal(fsnode_lasterr_render(env->ctx.lasterr, dir, &env->text, &mtime), 0);
	return env->text.data ? env->text.data : "";
}

static const char *read_all(struct env *env, off_t off)
{
	const char *data;
	size_t len;

	assert_int_equal(fsnode_file_read(&env->ctx, env->f, off, 65536, &data, &len), 0);
	nb_buf_reset(&env->text);
	assert_int_equal(nb_buf_append(&env->text, data ? data : "", len), 0);
	return env->text.data;
}

/* Long transactions: prepared in write(), run at read or close */

static void test_a_long_transaction_is_prepared_in_write_and_runs_at_the_read(void **state)
{
	struct env *env = *state;

	open_file(env, &r_long, O_RDWR);
	assert_int_equal(append_str(env, "{\"a\": 1}\n"), 9);
	assert_int_equal(txn.prepared, 1);
	assert_int_equal(txn.ran, 0);
	assert_string_equal(read_all(env, 9), "ran {\"a\": 1}");
	assert_int_equal(txn.ran, 1);
	/* ran once: close has nothing left to do */
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(txn.ran, 1);
	assert_int_equal(txn.discarded, 0);
}

static void test_a_long_transaction_written_alone_runs_at_close(void **state)
{
	struct env *env = *state;

	open_file(env, &r_long, O_WRONLY);
	assert_int_equal(append_str(env, "{}\n"), 3);
	assert_int_equal(txn.ran, 0);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(txn.prepared, 1);
	assert_int_equal(txn.ran, 1);
}

static void test_a_long_transaction_that_cannot_be_prepared_fails_the_write(void **state)
{
	struct env *env = *state;

	open_file(env, &r_long, O_WRONLY);
	assert_int_equal(append_str(env, "bad\n"), -EAGAIN);
	assert_string_equal(lasterr_of(env, "ecs"), "test: throttled\n");
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(txn.ran, 0);
}

static void test_a_prepared_transaction_never_run_is_discarded(void **state)
{
	struct env *env = *state;

	open_file(env, &r_long, O_WRONLY);
	assert_int_equal(append_str(env, "{}\n"), 3);
	fsnode_file_truncate(&env->ctx, env->f); /* O_TRUNC of what was written */
	assert_int_equal(txn.discarded, 1);
	assert_int_equal(append_str(env, "{}\n"), 3);
	assert_int_equal(txn.prepared, 2);
	fsnode_file_discard(&env->ctx, env->f); /* the fd closes without a flush */
	assert_int_equal(txn.discarded, 2);
	assert_int_equal(txn.ran, 0);
}

/* Open files: errors first */

static void test_a_failing_value_commit_fails_the_write_and_explains_in_last_error(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(append_str(env, "bad value\n"), -EINVAL);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "bad value\n");
	assert_string_equal(lasterr_of(env, "ecs"), "test: rejected \"bad value\"\n");
	/* The failed request's bytes are gone: close does not retry them. */
	assert_int_equal(env->f->wbuf.len, 0);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
}

static void test_a_failure_without_a_reason_gets_one_naming_the_path(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(append_str(env, "silent\n"), -EIO);
	assert_string_equal(lasterr_of(env, "ecs"), "ecs/value: Input/output error\n");
}

static void test_a_failure_at_flush_is_returned_by_flush(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(append_str(env, "bad, no newline"), 15);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), -EINVAL);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(lasterr_of(env, "ecs"), "test: rejected \"bad, no newline\"\n");
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
}

static void test_a_failing_verb_line_fails_the_write_and_drops_the_lines_after_it(void **state)
{
	struct env *env = *state;

	open_file(env, &r_verb, O_WRONLY);
	assert_int_equal(append_str(env, "one\nbad two\nthree\nfour"), -EINVAL);
	assert_int_equal(rec.commits, 2);
	assert_string_equal(rec.data[0], "one\n");
	assert_string_equal(rec.data[1], "bad two\n");
	assert_string_equal(lasterr_of(env, "ecs"), "test: rejected \"bad two\"\n");
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 2);
}

static void test_invalid_json_commits_at_once_and_fails_the_write(void **state)
{
	struct env *env = *state;

	open_file(env, &r_json, O_WRONLY);
	assert_int_equal(append_str(env, "{bad json}\n"), -EINVAL);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "{bad json}\n");
	assert_non_null(strstr(lasterr_of(env, "ecs"), "invalid JSON at line 1, column "));
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
}

static void test_an_unfinished_json_document_is_committed_and_fails_at_flush(void **state)
{
	struct env *env = *state;

	open_file(env, &r_json, O_WRONLY);
	assert_int_equal(append_str(env, "{\"a\": "), 6);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), -EINVAL);
	assert_int_equal(rec.commits, 1);
	assert_non_null(strstr(lasterr_of(env, "ecs"), "invalid JSON"));
}

static void test_a_write_past_the_request_limit_fails_with_efbig_and_explains(void **state)
{
	struct env *env = *state;
	const size_t size = FSNODE_VALUE_WRITE_MAX + 1;
	char *big = malloc(size);
	char expect[128];

	assert_non_null(big);
	memset(big, 'x', size);
	open_file(env, &r_value, O_WRONLY);
	/* The limit counts what is already held, too. */
	assert_int_equal(fsnode_file_write(&env->ctx, env->f, big, size - 1, 0),
			 (ssize_t)(size - 1));
	assert_int_equal(append_str(env, "yy"), -EFBIG);
	assert_int_equal(rec.commits, 0);
	snprintf(expect, sizeof(expect), "ecs/value: a request may be at most %u bytes\n",
		 FSNODE_VALUE_WRITE_MAX);
	assert_string_equal(lasterr_of(env, "ecs"), expect);
	/* The rest of the stream is refused, and no prefix commits at close. */
	assert_int_equal(append_str(env, "y\n"), -EFBIG);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(env->f->wbuf.len, 0);
	free(big);
}

static void test_a_commit_to_a_file_without_commit_is_refused(void **state)
{
	struct env *env = *state;

	open_file(env, &r_readonly, O_WRONLY);
	assert_int_equal(append_str(env, "x\n"), -EACCES);
}

static void test_a_transaction_read_whose_pending_request_fails_returns_the_error(void **state)
{
	struct env *env = *state;
	const char *data = (const char *)&data;
	size_t len = 99;

	open_file(env, &r_txn, O_RDWR);
	assert_int_equal(append_str(env, "bad request"), 11);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(fsnode_file_read(&env->ctx, env->f, 0, 4096, &data, &len), -EINVAL);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(lasterr_of(env, "ecs"), "test: rejected \"bad request\"\n");
}

/* Open files: commits */

static void test_a_value_without_newline_waits_for_flush(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(append_str(env, "abc"), 3);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "abc");
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
}

static void test_a_value_ending_in_newline_commits_in_that_write(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(append_str(env, "42\n"), 3);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "42\n");
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(lasterr_of(env, "ecs"), "");
}

static void test_two_writes_that_make_one_line_commit_once_with_the_whole_line(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(write_str(env, "hel", 0), 3);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(write_str(env, "lo\n", 3), 3);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "hello\n");
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
}

static void test_verb_lines_commit_one_by_one(void **state)
{
	struct env *env = *state;

	open_file(env, &r_verb, O_WRONLY);
	assert_int_equal(append_str(env, "start\nstop\nhalf"), 15);
	assert_int_equal(rec.commits, 2);
	assert_string_equal(rec.data[0], "start\n");
	assert_string_equal(rec.data[1], "stop\n");
	assert_int_equal(append_str(env, "-line\n"), 6);
	assert_int_equal(rec.commits, 3);
	assert_string_equal(rec.data[2], "half-line\n");
	assert_int_equal(append_str(env, "last"), 4);
	assert_int_equal(rec.commits, 3);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 4);
	assert_string_equal(rec.data[3], "last");
}

static void test_json_split_across_writes_commits_only_when_complete(void **state)
{
	struct env *env = *state;

	open_file(env, &r_json, O_WRONLY);
	assert_int_equal(append_str(env, "{\"name\": \"a}b\", "), 16);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(append_str(env, "\"env\": {\"K\": \"\\\"}\"}"), 19);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(append_str(env, "\n}"), 2);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "{\"name\": \"a}b\", \"env\": {\"K\": \"\\\"}\"}\n}");
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
}

static void test_a_newline_after_a_committed_json_document_does_not_commit_it_again(void **state)
{
	struct env *env = *state;

	open_file(env, &r_json, O_WRONLY);
	assert_int_equal(append_str(env, "{\"a\": 1}"), 8);
	assert_int_equal(rec.commits, 1);
	assert_int_equal(append_str(env, "\n"), 1);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
}

static void test_a_transaction_read_returns_the_answer_to_the_write(void **state)
{
	struct env *env = *state;

	open_file(env, &r_txn, O_RDWR);
	/* Before any request, a read shows the rendered value. */
	assert_string_equal(read_all(env, 0), "ecs/txn render 2\n");
	assert_int_equal(append_str(env, "status\n"), 7);
	assert_int_equal(rec.commits, 1);
	/* The answer is read from where the last read ended, whatever the fd
	 * offset (the request moved it), and only once; never a fresh render. */
	assert_string_equal(read_all(env, 7), "answer 1 to status\n");
	assert_string_equal(read_all(env, 0), "");
	assert_string_equal(read_all(env, 100), "");
	assert_int_equal(rec.renders, 2);
}

static void test_a_transaction_read_commits_a_pending_request_first(void **state)
{
	struct env *env = *state;

	open_file(env, &r_txn, O_RDWR);
	assert_int_equal(append_str(env, "status"), 6);
	assert_int_equal(rec.commits, 0);
	assert_string_equal(read_all(env, 0), "answer 1 to status");
	assert_int_equal(rec.commits, 1);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
}

static void test_a_transaction_takes_json_when_it_starts_with_a_brace(void **state)
{
	struct env *env = *state;

	open_file(env, &r_txn, O_RDWR);
	assert_int_equal(append_str(env, "  {\"n\":\n"), 8);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(append_str(env, "1}"), 2);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(read_all(env, 0), "answer 1 to   {\"n\":\n1}");
}

static void test_o_append_writes_go_to_the_end(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY | O_APPEND);
	assert_int_equal(write_str(env, "ab", 0), 2);
	assert_int_equal(write_str(env, "c\n", 0), 2);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "ecs/value render 2\nabc\n");
}

/* Concurrent `>>` writers must not lose each other's additions: each adds
 * to the value as it is when its line completes, not as it was at open. */
static void test_o_append_adds_to_the_value_as_it_is_at_each_commit(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY | O_APPEND);
	assert_int_equal(rec.renders, 1);
	assert_int_equal(write_str(env, "one\n", 0), 4);
	assert_int_equal(write_str(env, "two\n", 0), 4);
	assert_int_equal(rec.commits, 2);
	assert_string_equal(rec.data[0], "ecs/value render 2\none\n");
	assert_string_equal(rec.data[1], "ecs/value render 3\ntwo\n");
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 2);
}

/* `echo >> file` adds nothing; after ftruncate(fd, 0) (or O_TRUNC) the
 * fd's bytes replace the value, as without O_APPEND. */
static void test_o_append_of_blanks_adds_nothing_and_a_truncate_replaces(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_RDWR | O_APPEND);
	assert_int_equal(write_str(env, "\n", 0), 1);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 0);
	fsnode_file_truncate(&env->ctx, env->f);
	assert_int_equal(write_str(env, "new\n", 0), 4);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "new\n");
}

static void test_a_write_at_an_offset_overwrites_and_one_past_the_end_appends(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(write_str(env, "xyz", 0), 3);
	assert_int_equal(write_str(env, "ab", 0), 2);
	assert_int_equal(write_str(env, "!", 1000), 1);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "abz!");
}

static void test_truncate_forgets_the_written_bytes(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(append_str(env, "draft"), 5);
	fsnode_file_truncate(&env->ctx, env->f);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 0);
	assert_int_equal(append_str(env, "final\n"), 6);
	assert_int_equal(rec.commits, 1);
	assert_string_equal(rec.data[0], "final\n");
}

static void test_a_zero_length_write_to_a_fresh_file_commits_nothing(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_WRONLY);
	assert_int_equal(fsnode_file_write(&env->ctx, env->f, "", 0, 0), 0);
	assert_int_equal(fsnode_file_flush(&env->ctx, env->f), 0);
	assert_int_equal(rec.commits, 0);
}

/* Open files: reads */

static void test_a_value_read_serves_the_snapshot_and_rerenders_at_offset_zero(void **state)
{
	struct env *env = *state;

	open_file(env, &r_value, O_RDONLY);
	assert_int_equal(rec.renders, 1);
	assert_string_equal(read_all(env, 4), "value render 1\n");
	assert_int_equal(rec.renders, 1);
	assert_string_equal(read_all(env, 0), "ecs/value render 2\n");
	assert_string_equal(read_all(env, 50), "");
}

static void test_an_append_only_file_renders_again_when_read_past_its_end(void **state)
{
	struct env *env = *state;
	size_t len;
	int renders;

	/* tail -f keeps its fd and reads on past the end: it must see what
	 * was added since open. */
	open_file(env, &r_log, O_RDONLY);
	len = strlen(read_all(env, 0));
	renders = rec.renders;
	read_all(env, (off_t)len);
	assert_int_equal(rec.renders, renders + 1);
}

static void test_a_value_file_read_past_its_end_does_not_render_again(void **state)
{
	struct env *env = *state;
	size_t len;
	int renders;

	open_file(env, &r_value, O_RDONLY);
	len = strlen(read_all(env, 0));
	renders = rec.renders;
	assert_string_equal(read_all(env, (off_t)len), "");
	assert_int_equal(rec.renders, renders);
}

static void test_a_read_is_bounded_by_its_size(void **state)
{
	struct env *env = *state;
	const char *data;
	size_t len;

	open_file(env, &r_value, O_RDONLY);
	assert_int_equal(fsnode_file_read(&env->ctx, env->f, 4, 5, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "value", 5);
}

static void test_a_last_error_file_shows_its_directorys_last_error(void **state)
{
	struct env *env = *state;
	struct fsnode_file *writer;
	struct fsnode *node;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &node),
			 0);
	writer = fsnode_file_new(node, O_WRONLY);
	assert_non_null(writer);
	assert_int_equal(fsnode_file_write(&env->ctx, writer, "bad\n", 4, 0), -EINVAL);
	fsnode_file_free(writer);

	open_file(env, &r_lasterr, O_RDONLY);
	assert_string_equal(read_all(env, 0), "test: rejected \"bad\"\n");
	assert_int_equal(rec.renders, 0);
	assert_string_equal(lasterr_of(env, ""), "");
}

static void test_readable_and_writable_kinds_follow_the_table(void **state)
{
	static const struct {
		enum fsnode_kind kind;
		bool readable, writable;
	} table[] = {
		{ FSNODE_DIR, false, false },	{ FSNODE_VALUE, true, true },
		{ FSNODE_TEXT, true, false },	{ FSNODE_SYMLINK, true, false },
		{ FSNODE_VERB, false, true },	{ FSNODE_TXN, true, true },
		{ FSNODE_STREAM, true, false }, { FSNODE_LASTERR, true, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(fsnode_kind_readable(table[i].kind), table[i].readable);
		assert_int_equal(fsnode_kind_writable(table[i].kind), table[i].writable);
	}
}

/* last-error and dirname */

static void test_dirname_takes_everything_before_the_last_slash(void **state)
{
	char out[64], tiny[4];

	(void)state;
	fsnode_dirname("ecs/tasks/web/status", out, sizeof(out));
	assert_string_equal(out, "ecs/tasks/web");
	fsnode_dirname("README", out, sizeof(out));
	assert_string_equal(out, "");
	fsnode_dirname("", out, sizeof(out));
	assert_string_equal(out, "");
	fsnode_dirname("ecs/tasks/x", tiny, sizeof(tiny));
	assert_string_equal(tiny, "ecs");
}

static void test_a_directory_without_errors_has_an_empty_last_error(void **state)
{
	struct env *env = *state;

	assert_string_equal(lasterr_of(env, "ecs"), "");
}

static void test_the_newest_error_replaces_the_old_one_per_directory(void **state)
{
	struct env *env = *state;

	fsnode_lasterr_set(&env->ctx, "ecs", "first");
	fsnode_lasterr_set(&env->ctx, "lambda", "other");
	fsnode_lasterr_set(&env->ctx, "ecs", "second");
	assert_string_equal(lasterr_of(env, "ecs"), "second\n");
	assert_string_equal(lasterr_of(env, "lambda"), "other\n");
	assert_string_equal(lasterr_of(env, ""), "");
}

/* The inode table */

static void test_a_lookup_creates_a_node_with_a_new_number_and_a_joined_path(void **state)
{
	struct env *env = *state;
	struct fsnode *root = fsnode_root(env->ctx.nodes), *a, *b;

	assert_int_equal(root->ino, FUSE_ROOT_ID);
	assert_string_equal(root->path, "");
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, FUSE_ROOT_ID), root);
	assert_true(env->dir->ino > FUSE_ROOT_ID);
	assert_string_equal(env->dir->path, "ecs");
	assert_string_equal(env->dir->obj, "");
	assert_int_equal(env->dir->nlookup, 1);

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &a), 0);
	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_verb, "verb", &b), 0);
	assert_string_equal(a->path, "ecs/value");
	assert_ptr_equal(a->route, &r_value);
	assert_true(a->ino > env->dir->ino);
	assert_true(b->ino > a->ino);
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, a->ino), a);
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, b->ino), b);
}

static void test_star_routes_record_the_object_names(void **state)
{
	struct env *env = *state;
	struct fsnode *web, *inner;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_star, "web", &web), 0);
	assert_string_equal(web->obj, "web");
	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, web, &r_star, "v2", &inner), 0);
	assert_string_equal(inner->path, "ecs/web/v2");
	assert_string_equal(inner->obj, "web/v2");
}

static void test_a_second_lookup_returns_the_same_node_and_counts(void **state)
{
	struct env *env = *state;
	struct fsnode *a, *again;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &a), 0);
	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &again),
			 0);
	assert_ptr_equal(a, again);
	assert_int_equal(a->nlookup, 2);
	assert_int_equal(fsnode_table_ino_of(env->ctx.nodes, "ecs/value"), a->ino);
}

static void test_forget_frees_a_node_only_at_zero_lookups(void **state)
{
	struct env *env = *state;
	struct fsnode *a;
	fuse_ino_t ino;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &a), 0);
	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &a), 0);
	ino = a->ino;
	fsnode_table_forget(env->ctx.nodes, ino, 1);
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, ino), a);
	assert_int_equal(a->nlookup, 1);
	fsnode_table_forget(env->ctx.nodes, ino, 1);
	/* Freed: ASan and valgrind would report a leak or a use otherwise. */
	assert_null(fsnode_table_get(env->ctx.nodes, ino));
	assert_int_equal(fsnode_table_ino_of(env->ctx.nodes, "ecs/value"), 0);
	/* A new lookup gets a new number: numbers are never reused. */
	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &a), 0);
	assert_true(a->ino > ino);
}

static void test_forgetting_more_than_looked_up_frees_and_unknown_numbers_are_ignored(void **state)
{
	struct env *env = *state;
	struct fsnode *a;
	fuse_ino_t ino;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &a), 0);
	ino = a->ino;
	fsnode_table_forget(env->ctx.nodes, ino, 10);
	assert_null(fsnode_table_get(env->ctx.nodes, ino));
	fsnode_table_forget(env->ctx.nodes, ino, 1);
	fsnode_table_forget(env->ctx.nodes, 123456, 1);
	assert_null(fsnode_table_get(env->ctx.nodes, 123456));
}

static void test_the_root_is_never_forgotten(void **state)
{
	struct env *env = *state;

	fsnode_table_forget(env->ctx.nodes, FUSE_ROOT_ID, 100);
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, FUSE_ROOT_ID),
			 fsnode_root(env->ctx.nodes));
	assert_int_equal(fsnode_table_ino_of(env->ctx.nodes, ""), FUSE_ROOT_ID);
}

static void test_a_node_forgotten_while_open_is_freed_by_its_last_release(void **state)
{
	struct env *env = *state;
	struct fsnode_file *f = open_file(env, &r_value, O_RDONLY);
	fuse_ino_t ino = f->node->ino;

	fsnode_table_forget(env->ctx.nodes, ino, 1);
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, ino), f->node);
	fsnode_table_detach(env->ctx.nodes, f);
	fsnode_file_free(f);
	env->f = NULL;
	assert_null(fsnode_table_get(env->ctx.nodes, ino));
}

static void test_ino_of_an_unknown_path_is_zero(void **state)
{
	struct env *env = *state;

	assert_int_equal(fsnode_table_ino_of(env->ctx.nodes, "ecs/nope"), 0);
	assert_int_equal(fsnode_table_ino_of(env->ctx.nodes, "ecs"), env->dir->ino);
}

static void test_a_lookup_with_another_route_at_the_same_path_gets_a_new_number(void **state)
{
	struct env *env = *state;
	struct fsnode *old, *new;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "x", &old), 0);
	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_verb, "x", &new), 0);
	assert_ptr_not_equal(old, new);
	assert_true(new->ino > old->ino);
	assert_ptr_equal(new->route, &r_verb);
	assert_int_equal(new->nlookup, 1);
	assert_int_equal(fsnode_table_ino_of(env->ctx.nodes, "ecs/x"), new->ino);
	/* The kernel may still hold the old number until it forgets it. */
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, old->ino), old);
	fsnode_table_forget(env->ctx.nodes, old->ino, 1);
	assert_int_equal(fsnode_table_ino_of(env->ctx.nodes, "ecs/x"), new->ino);
}

static void test_a_change_bumps_the_generation_of_that_path_only(void **state)
{
	struct env *env = *state;
	struct fsnode *a, *b;
	uint64_t ga, gb;

	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, "value", &a), 0);
	assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_verb, "verb", &b), 0);
	ga = fsnode_table_gen(env->ctx.nodes, a);
	gb = fsnode_table_gen(env->ctx.nodes, b);
	fsnode_table_changed(env->ctx.nodes, "ecs/value");
	assert_int_equal(fsnode_table_gen(env->ctx.nodes, a), ga + 1);
	assert_int_equal(fsnode_table_gen(env->ctx.nodes, b), gb);
	fsnode_table_changed(env->ctx.nodes, "ecs/not-looked-up");
	assert_int_equal(fsnode_table_gen(env->ctx.nodes, a), ga + 1);
}

static void test_an_open_file_remembers_the_generation_it_rendered(void **state)
{
	struct env *env = *state;
	struct fsnode_file *f = open_file(env, &r_value, O_RDONLY);

	fsnode_table_changed(env->ctx.nodes, "ecs/value");
	assert_int_equal(fsnode_table_poll(env->ctx.nodes, f, NULL), f->gen_at_render + 1);
	assert_int_equal(fsnode_file_render(&env->ctx, f), 0);
	assert_int_equal(fsnode_table_poll(env->ctx.nodes, f, NULL), f->gen_at_render);
}

static void test_the_table_grows_and_still_finds_every_node(void **state)
{
	struct env *env = *state;
	enum { COUNT = 1024 * 2 * 3 };
	static fuse_ino_t inos[COUNT];
	struct fsnode *n;
	char name[32], path[48];

	for (int i = 0; i < COUNT; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(fsnode_table_lookup(env->ctx.nodes, env->dir, &r_value, name, &n),
				 0);
		inos[i] = n->ino;
	}
	for (int i = 0; i < COUNT; i++) {
		snprintf(path, sizeof(path), "ecs/n%d", i);
		n = fsnode_table_get(env->ctx.nodes, inos[i]);
		assert_non_null(n);
		assert_string_equal(n->path, path);
		assert_int_equal(fsnode_table_ino_of(env->ctx.nodes, path), inos[i]);
	}
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, env->dir->ino), env->dir);
	assert_ptr_equal(fsnode_table_get(env->ctx.nodes, FUSE_ROOT_ID),
			 fsnode_root(env->ctx.nodes));
	/* Forgetting half still leaves the other half reachable. */
	for (int i = 0; i < COUNT; i += 2)
		fsnode_table_forget(env->ctx.nodes, inos[i], 1);
	for (int i = 0; i < COUNT; i++)
		assert_int_equal(fsnode_table_get(env->ctx.nodes, inos[i]) != NULL, i % 2 == 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

static void test_a_removed_objects_last_errors_go_with_it_and_those_below_it(void **state)
{
	struct env *env = *state;
	static const char *const dirs[] = { "lambda",	  "lambda/fn", "lambda/fn/layers",
					    "lambda/fnx", "lambda/f",  NULL };

	for (int i = 0; dirs[i]; i++)
		fsnode_lasterr_set(&env->ctx, dirs[i], dirs[i]);
	fsnode_lasterr_forget(&env->ctx, "lambda/fn");
	assert_string_equal(lasterr_of(env, "lambda/fn"), "");
	assert_string_equal(lasterr_of(env, "lambda/fn/layers"), "");
	/* Names that only start alike, and the directory it was in, keep theirs. */
	assert_string_equal(lasterr_of(env, "lambda/fnx"), "lambda/fnx\n");
	assert_string_equal(lasterr_of(env, "lambda/f"), "lambda/f\n");
	assert_string_equal(lasterr_of(env, "lambda"), "lambda\n");
	/* The root is never removed: forgetting "" drops nothing. */
	fsnode_lasterr_forget(&env->ctx, "");
	assert_string_equal(lasterr_of(env, "lambda"), "lambda\n");
	fsnode_lasterr_forget(&env->ctx, "lambda");
	assert_string_equal(lasterr_of(env, "lambda/fnx"), "");
	assert_string_equal(lasterr_of(env, "lambda"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_failing_value_commit_fails_the_write_and_explains_in_last_error),
		T(test_a_failure_without_a_reason_gets_one_naming_the_path),
		T(test_a_failure_at_flush_is_returned_by_flush),
		T(test_a_failing_verb_line_fails_the_write_and_drops_the_lines_after_it),
		T(test_invalid_json_commits_at_once_and_fails_the_write),
		T(test_an_unfinished_json_document_is_committed_and_fails_at_flush),
		T(test_a_write_past_the_request_limit_fails_with_efbig_and_explains),
		T(test_a_commit_to_a_file_without_commit_is_refused),
		T(test_a_transaction_read_whose_pending_request_fails_returns_the_error),
		T(test_a_value_without_newline_waits_for_flush),
		T(test_a_value_ending_in_newline_commits_in_that_write),
		T(test_two_writes_that_make_one_line_commit_once_with_the_whole_line),
		T(test_verb_lines_commit_one_by_one),
		T(test_json_split_across_writes_commits_only_when_complete),
		T(test_a_newline_after_a_committed_json_document_does_not_commit_it_again),
		T(test_a_transaction_read_returns_the_answer_to_the_write),
		T(test_a_transaction_read_commits_a_pending_request_first),
		T(test_a_transaction_takes_json_when_it_starts_with_a_brace),
		T(test_o_append_writes_go_to_the_end),
		T(test_o_append_adds_to_the_value_as_it_is_at_each_commit),
		T(test_o_append_of_blanks_adds_nothing_and_a_truncate_replaces),
		T(test_a_write_at_an_offset_overwrites_and_one_past_the_end_appends),
		T(test_truncate_forgets_the_written_bytes),
		T(test_a_long_transaction_is_prepared_in_write_and_runs_at_the_read),
		T(test_a_long_transaction_written_alone_runs_at_close),
		T(test_a_long_transaction_that_cannot_be_prepared_fails_the_write),
		T(test_a_prepared_transaction_never_run_is_discarded),
		T(test_a_zero_length_write_to_a_fresh_file_commits_nothing),
		T(test_a_value_read_serves_the_snapshot_and_rerenders_at_offset_zero),
		T(test_an_append_only_file_renders_again_when_read_past_its_end),
		T(test_a_value_file_read_past_its_end_does_not_render_again),
		T(test_a_read_is_bounded_by_its_size),
		T(test_a_last_error_file_shows_its_directorys_last_error),
		T(test_readable_and_writable_kinds_follow_the_table),
		T(test_dirname_takes_everything_before_the_last_slash),
		T(test_a_directory_without_errors_has_an_empty_last_error),
		T(test_the_newest_error_replaces_the_old_one_per_directory),
		T(test_a_lookup_creates_a_node_with_a_new_number_and_a_joined_path),
		T(test_star_routes_record_the_object_names),
		T(test_a_second_lookup_returns_the_same_node_and_counts),
		T(test_forget_frees_a_node_only_at_zero_lookups),
		T(test_forgetting_more_than_looked_up_frees_and_unknown_numbers_are_ignored),
		T(test_the_root_is_never_forgotten),
		T(test_a_node_forgotten_while_open_is_freed_by_its_last_release),
		T(test_ino_of_an_unknown_path_is_zero),
		T(test_a_lookup_with_another_route_at_the_same_path_gets_a_new_number),
		T(test_a_change_bumps_the_generation_of_that_path_only),
		T(test_an_open_file_remembers_the_generation_it_rendered),
		T(test_the_table_grows_and_still_finds_every_node),
		T(test_a_removed_objects_last_errors_go_with_it_and_those_below_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
