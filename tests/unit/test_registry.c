/*
 * tests/unit/test_registry.c - the object registry (registry.c): JSON
 * records by kind and id, in memory and as <statedir>/<kind>/<id>.json,
 * in a fresh mkdtemp state dir under /tmp for each test.
 * Tests run as root, so "cannot write" is made with a regular file or a
 * directory standing where the registry wants the other, never chmod.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/log.h"
#include "backend/state/atomic.h"
#include "backend/state/registry.h"
#include "backend/state/statedir.h"
#include "tests/unit/helpers.h"

/* The longest id under its own file name: "<id>.json.tmp" must fit in
 * NAME_MAX. Longer ones, to STATE_REGISTRY_LONG_ID_MAX, are hashed. */
#define ID_LONGEST (NAME_MAX - 9)

struct env {
	char root[64]; /* the mkdtemp dir, opened as the state dir */
	struct state_dir *sd;
	struct state_registry *reg;
	struct nb_err err;
};

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	if (!env)
		return -1;
	if (th_tmpdir_new("registry", env->root, sizeof(env->root)) < 0) {
		free(env);
		return -1;
	}
	if (state_dir_open(env->root, &env->sd, &env->err) < 0 ||
	    state_registry_new(env->sd, &env->reg) < 0) {
		state_dir_close(env->sd);
		th_tmpdir_remove(env->root);
		free(env);
		return -1;
	}
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	state_registry_free(env->reg);
	state_dir_close(env->sd);
	th_tmpdir_remove(env->root);
	free(env);
	return 0;
}

static bool exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void write_file_at(int dirfd, const char *name, const char *text)
{
	cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* The entries of a directory under the state dir ("." for itself), sorted
 * and joined with ','. */
static char *entries_of(struct env *env, const char *rel)
{
	struct nb_buf out = { 0 };
	struct dirent **names = NULL;
	int n = scandirat(env->sd->dirfd, rel, &names, NULL, alphasort);

	assert_true(n >= 0);
	assert_int_equal(nb_buf_puts(&out, ""), 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
			if (out.len)
				assert_int_equal(nb_buf_puts(&out, ","), 0);
			assert_int_equal(nb_buf_puts(&out, names[i]->d_name), 0);
		}
		free(names[i]);
	}
	free(names);
	return nb_buf_steal(&out);
}

/* Reads <statedir>/<kind>/<file>. */
static char *read_record_file(struct env *env, const char *kind, const char *file)
{
	cleanup_close int fd = openat(env->sd->dirfd, kind, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct nb_err err = { 0 };
	char *text = NULL;

	assert_true(fd >= 0);
	assert_int_equal(state_read_file(fd, file, 1 << 20, &text, NULL, &err), 0);
	return text;
}

static cJSON *make_doc(const char *name, int n)
{
	cJSON *doc = cJSON_CreateObject();

	assert_non_null(doc);
	assert_non_null(cJSON_AddStringToObject(doc, "name", name));
	assert_non_null(cJSON_AddNumberToObject(doc, "n", n));
	return doc;
}

static void put(struct env *env, const char *kind, const char *id, int n)
{
	cleanup_cjson cJSON *doc = make_doc(id, n);

	assert_int_equal(state_registry_put(env->reg, kind, id, doc, &env->err), 0);
}

/* The "n" field of kind/id as stored. */
static int n_of(struct state_registry *reg, const char *kind, const char *id)
{
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *n;

	assert_int_equal(state_registry_get(reg, kind, id, &doc), 0);
	n = cJSON_GetObjectItemCaseSensitive(doc, "n");
	assert_true(cJSON_IsNumber(n));
	return n->valueint;
}

struct listing {
	struct nb_buf ids; /* joined with ',' */
	int calls;
	int stop_after; /* return stop_ret from this call on; 0: never */
	int stop_ret;
};

static int emit(void *ud, const char *id)
{
	struct listing *l = ud;

	if (l->ids.len)
		assert_int_equal(nb_buf_puts(&l->ids, ","), 0);
	assert_int_equal(nb_buf_puts(&l->ids, id), 0);
	l->calls++;
	return l->stop_after && l->calls >= l->stop_after ? l->stop_ret : 0;
}

/* The ids of kind in listing order, joined with ','. */
static char *list_of(struct state_registry *reg, const char *kind)
{
	struct listing l = { 0 };

	assert_int_equal(nb_buf_puts(&l.ids, ""), 0);
	assert_int_equal(state_registry_list(reg, kind, emit, &l), 0);
	return nb_buf_steal(&l.ids);
}

/* Errors first */

static void test_invalid_kind_or_id_names_are_einval_and_write_nothing(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *doc = make_doc("x", 1);
	cleanup_free char *before = entries_of(env, ".");
	cleanup_free char *after = NULL;
	char longname[STATE_REGISTRY_ID_MAX + 2], longid[STATE_REGISTRY_LONG_ID_MAX + 2];
	/* The shape of a hashed file name, which a long id may need. */
	const char *hashlike = "~0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *bad[] = { "", ".", "..", "a/b", "/", "../x", longname };

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(strlen(longname), 256);
	memset(longid, 'i', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nb_err_clear(&env->err);
		assert_int_equal(state_registry_put(env->reg, bad[i], "ok", doc, &env->err),
				 -EINVAL);
		assert_int_equal(env->err.code, -EINVAL);
		assert_non_null(strstr(env->err.msg, "invalid record name"));
		if (bad[i] == longname)
			continue; /* too long for a kind, not for an id */
		nb_err_clear(&env->err);
		assert_int_equal(state_registry_put(env->reg, "ok", bad[i], doc, &env->err),
				 -EINVAL);
		assert_int_equal(env->err.code, -EINVAL);
	}
	/* An id over the limit is refused up front, not by the disk. */
	assert_int_equal(strlen(longid), 513);
	assert_int_equal(state_registry_put(env->reg, "ok", longid, doc, &env->err), -EINVAL);
	assert_int_equal(env->err.code, -EINVAL);
	assert_int_equal(state_registry_put(env->reg, "ok", hashlike, doc, &env->err), -EINVAL);
	assert_int_equal(env->err.code, -EINVAL);
	assert_int_equal(state_registry_remove(env->reg, "ok", longid, &env->err), -ENOENT);
	after = entries_of(env, ".");
	assert_string_equal(after, before);
	assert_false(exists_at(env->sd->dirfd, "ok"));
	assert_int_equal(state_registry_count(env->reg, "ok"), 0);
}

static void test_a_put_that_cannot_create_the_kind_dir_fails_and_changes_nothing(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *doc = make_doc("web", 1);
	cleanup_cjson cJSON *got = NULL;

	/* A regular file where <statedir>/<kind> should be a directory. */
	write_file_at(env->sd->dirfd, "tasks", "not a dir\n");
	assert_int_equal(state_registry_put(env->reg, "tasks", "web", doc, &env->err), -ENOTDIR);
	assert_int_equal(env->err.code, -ENOTDIR);
	assert_non_null(strstr(env->err.msg, "tasks"));
	assert_non_null(strstr(env->err.msg, strerror(ENOTDIR)));
	assert_int_equal(state_registry_get(env->reg, "tasks", "web", &got), -ENOENT);
	assert_null(got);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 0);
	assert_false(state_registry_exists(env->reg, "tasks", "web"));
}

static void test_a_failed_put_over_an_existing_id_keeps_the_old_record(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *doc = make_doc("web", 2);
	cleanup_free char *file = NULL;

	put(env, "tasks", "web", 1);
	/* A directory where the temp file should go: the write cannot start. */
	assert_int_equal(mkdirat(env->sd->dirfd, "tasks/web.json.tmp", 0700), 0);
	assert_int_equal(state_registry_put(env->reg, "tasks", "web", doc, &env->err), -EISDIR);
	assert_int_equal(env->err.code, -EISDIR);
	assert_non_null(strstr(env->err.msg, "web.json.tmp"));
	assert_int_equal(n_of(env->reg, "tasks", "web"), 1);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 1);
	file = read_record_file(env, "tasks", "web.json");
	assert_non_null(strstr(file, "\"n\":\t1"));
}

static void test_get_and_render_of_an_absent_id_or_unknown_kind_are_enoent(void **state)
{
	struct env *env = *state;
	cleanup_buf struct nb_buf out = { 0 };
	struct timespec mtime = { 7, 7 };
	cJSON *got = NULL;

	put(env, "tasks", "web", 1);
	assert_int_equal(state_registry_get(env->reg, "tasks", "db", &got), -ENOENT);
	assert_int_equal(state_registry_get(env->reg, "services", "web", &got), -ENOENT);
	assert_null(got);
	assert_int_equal(nb_buf_puts(&out, "keep"), 0);
	assert_int_equal(state_registry_render(env->reg, "tasks", "db", &out, &mtime), -ENOENT);
	assert_int_equal(state_registry_render(env->reg, "services", "web", &out, &mtime), -ENOENT);
	assert_string_equal(out.data, "keep");
	assert_int_equal(mtime.tv_sec, 7);
	assert_int_equal(mtime.tv_nsec, 7);
}

static void test_removing_an_absent_id_is_enoent(void **state)
{
	struct env *env = *state;

	put(env, "tasks", "web", 1);
	assert_int_equal(state_registry_remove(env->reg, "tasks", "db", &env->err), -ENOENT);
	assert_int_equal(env->err.code, -ENOENT);
	assert_non_null(strstr(env->err.msg, "tasks/db"));
	assert_int_equal(state_registry_remove(env->reg, "services", "web", &env->err), -ENOENT);
	assert_int_equal(state_registry_remove(env->reg, "tasks", "..", &env->err), -ENOENT);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 1);
	assert_true(exists_at(env->sd->dirfd, "tasks/web.json"));
}

static void test_an_unknown_kind_lists_nothing_and_counts_zero(void **state)
{
	struct env *env = *state;
	struct listing l = { 0 };

	assert_int_equal(state_registry_list(env->reg, "tasks", emit, &l), 0);
	assert_int_equal(l.calls, 0);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 0);
	assert_false(state_registry_exists(env->reg, "tasks", "web"));
	nb_buf_free(&l.ids);
}

/* put / get / render */

static void test_put_then_get_returns_an_equal_copy(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *doc = make_doc("web", 1);
	cleanup_cjson cJSON *got = NULL;
	cleanup_cjson cJSON *again = NULL;
	cJSON *nested = cJSON_AddObjectToObject(doc, "labels");

	assert_non_null(nested);
	assert_non_null(cJSON_AddStringToObject(nested, "app", "shop"));
	assert_int_equal(state_registry_put(env->reg, "tasks", "web", doc, &env->err), 0);
	assert_int_equal(state_registry_get(env->reg, "tasks", "web", &got), 0);
	assert_non_null(got);
	assert_ptr_not_equal(got, doc);
	assert_true(cJSON_Compare(got, doc, true));

	/* Neither the caller's original nor the copy it got is the stored one. */
	cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "n"), 99);
	assert_non_null(cJSON_AddStringToObject(nested, "extra", "y"));
	cJSON_DeleteItemFromObjectCaseSensitive(got, "labels");
	assert_int_equal(state_registry_get(env->reg, "tasks", "web", &again), 0);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(again, "n")->valueint, 1);
	nested = cJSON_GetObjectItemCaseSensitive(again, "labels");
	assert_non_null(nested);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(nested, "app")->valuestring, "shop");
	assert_null(cJSON_GetObjectItemCaseSensitive(nested, "extra"));
}

static void test_put_writes_the_formatted_json_plus_newline_with_mode_0600(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *doc = make_doc("web", 1);
	cleanup_free char *printed = cJSON_Print(doc);
	cleanup_free char *file = NULL;
	cleanup_free char *entries = NULL;
	struct stat st;

	assert_non_null(printed);
	assert_int_equal(state_registry_put(env->reg, "tasks", "web", doc, &env->err), 0);
	file = read_record_file(env, "tasks", "web.json");
	assert_int_equal(strlen(file), strlen(printed) + 1);
	assert_memory_equal(file, printed, strlen(printed));
	assert_int_equal(file[strlen(printed)], '\n');
	assert_int_equal(fstatat(env->sd->dirfd, "tasks/web.json", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fstatat(env->sd->dirfd, "tasks", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	entries = entries_of(env, "tasks");
	assert_string_equal(entries, "web.json");
}

static void test_render_appends_exactly_the_file_text_and_gives_an_mtime(void **state)
{
	struct env *env = *state;
	cleanup_buf struct nb_buf out = { 0 };
	cleanup_free char *file = NULL;
	struct timespec before, after, mtime = { 0, 0 };

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &before), 0);
	put(env, "tasks", "web", 1);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &after), 0);
	file = read_record_file(env, "tasks", "web.json");
	assert_int_equal(nb_buf_puts(&out, "head:"), 0);
	assert_int_equal(state_registry_render(env->reg, "tasks", "web", &out, &mtime), 0);
	assert_int_equal(out.len, strlen("head:") + strlen(file));
	assert_memory_equal(out.data, "head:", 5);
	assert_string_equal(out.data + 5, file);
	assert_true(mtime.tv_sec > before.tv_sec ||
		    (mtime.tv_sec == before.tv_sec && mtime.tv_nsec >= before.tv_nsec));
	assert_true(mtime.tv_sec < after.tv_sec ||
		    (mtime.tv_sec == after.tv_sec && mtime.tv_nsec <= after.tv_nsec));
}

static void test_a_put_over_an_existing_id_replaces_it_and_keeps_its_place(void **state)
{
	struct env *env = *state;
	cleanup_buf struct nb_buf out = { 0 };
	cleanup_free char *order = NULL;
	cleanup_free char *file = NULL;
	struct timespec mtime;

	put(env, "tasks", "a", 1);
	put(env, "tasks", "b", 2);
	put(env, "tasks", "c", 3);
	put(env, "tasks", "a", 10);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 3);
	assert_int_equal(n_of(env->reg, "tasks", "a"), 10);
	order = list_of(env->reg, "tasks");
	assert_string_equal(order, "a,b,c");
	file = read_record_file(env, "tasks", "a.json");
	assert_int_equal(state_registry_render(env->reg, "tasks", "a", &out, &mtime), 0);
	assert_string_equal(out.data, file);
	assert_non_null(strstr(file, "\"n\":\t10"));
}

/* list / count / exists / remove */

static void test_list_emits_ids_in_first_put_order(void **state)
{
	struct env *env = *state;
	cleanup_free char *order = NULL;
	cleanup_free char *other = NULL;

	put(env, "tasks", "zeta", 1);
	put(env, "tasks", "alpha", 2);
	put(env, "services", "mid", 3);
	put(env, "tasks", "mid", 4);
	order = list_of(env->reg, "tasks");
	assert_string_equal(order, "zeta,alpha,mid");
	other = list_of(env->reg, "services");
	assert_string_equal(other, "mid");
}

static void test_list_stops_at_the_first_non_zero_emit_and_returns_it(void **state)
{
	struct env *env = *state;
	struct listing l = { .stop_after = 2, .stop_ret = -42 };

	put(env, "tasks", "a", 1);
	put(env, "tasks", "b", 2);
	put(env, "tasks", "c", 3);
	assert_int_equal(state_registry_list(env->reg, "tasks", emit, &l), -42);
	assert_int_equal(l.calls, 2);
	assert_string_equal(l.ids.data, "a,b");
	nb_buf_reset(&l.ids);
	l.calls = 0;
	l.stop_after = 1;
	l.stop_ret = 1;
	assert_int_equal(state_registry_list(env->reg, "tasks", emit, &l), 1);
	assert_int_equal(l.calls, 1);
	assert_string_equal(l.ids.data, "a");
	nb_buf_free(&l.ids);
}

static void test_count_and_exists_follow_puts_and_removes_per_kind(void **state)
{
	struct env *env = *state;

	put(env, "tasks", "web", 1);
	put(env, "tasks", "db", 2);
	put(env, "services", "web", 3);
	put(env, "tasks", "web", 4);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 2);
	assert_int_equal(state_registry_count(env->reg, "services"), 1);
	assert_true(state_registry_exists(env->reg, "tasks", "web"));
	assert_true(state_registry_exists(env->reg, "tasks", "db"));
	assert_true(state_registry_exists(env->reg, "services", "web"));
	assert_false(state_registry_exists(env->reg, "services", "db"));
	assert_int_equal(state_registry_remove(env->reg, "tasks", "web", &env->err), 0);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 1);
	assert_false(state_registry_exists(env->reg, "tasks", "web"));
	assert_true(state_registry_exists(env->reg, "services", "web"));
}

static void test_remove_deletes_the_file_and_the_record(void **state)
{
	struct env *env = *state;
	cleanup_free char *order = NULL;
	cleanup_free char *entries = NULL;
	cleanup_buf struct nb_buf out = { 0 };
	struct timespec mtime;
	cJSON *got = NULL;

	put(env, "tasks", "a", 1);
	put(env, "tasks", "b", 2);
	put(env, "tasks", "c", 3);
	assert_int_equal(state_registry_remove(env->reg, "tasks", "b", &env->err), 0);
	assert_false(exists_at(env->sd->dirfd, "tasks/b.json"));
	assert_int_equal(state_registry_get(env->reg, "tasks", "b", &got), -ENOENT);
	assert_int_equal(state_registry_render(env->reg, "tasks", "b", &out, &mtime), -ENOENT);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 2);
	order = list_of(env->reg, "tasks");
	assert_string_equal(order, "a,c");
	entries = entries_of(env, "tasks");
	assert_string_equal(entries, "a.json,c.json");
	assert_int_equal(state_registry_remove(env->reg, "tasks", "b", &env->err), -ENOENT);

	/* Removing the first and last keeps the order links right. */
	assert_int_equal(state_registry_remove(env->reg, "tasks", "a", &env->err), 0);
	assert_int_equal(state_registry_remove(env->reg, "tasks", "c", &env->err), 0);
	free(order);
	order = list_of(env->reg, "tasks");
	assert_string_equal(order, "");
	put(env, "tasks", "b", 5);
	free(order);
	order = list_of(env->reg, "tasks");
	assert_string_equal(order, "b");
	assert_int_equal(n_of(env->reg, "tasks", "b"), 5);
}

static void test_the_longest_valid_kind_and_id_round_trip(void **state)
{
	struct env *env = *state;
	char kind[STATE_REGISTRY_ID_MAX + 1], id[ID_LONGEST + 1];
	struct state_registry *fresh = NULL;

	memset(kind, 'k', sizeof(kind) - 1);
	kind[sizeof(kind) - 1] = '\0';
	memset(id, 'i', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	put(env, kind, "short", 1);
	put(env, "tasks", id, 2);
	assert_int_equal(n_of(env->reg, kind, "short"), 1);
	assert_int_equal(n_of(env->reg, "tasks", id), 2);

	assert_int_equal(state_registry_new(env->sd, &fresh), 0);
	assert_int_equal(state_registry_load(fresh, "tasks", &env->err), 1);
	assert_int_equal(n_of(fresh, "tasks", id), 2);
	state_registry_free(fresh);
	assert_int_equal(state_registry_remove(env->reg, "tasks", id, &env->err), 0);
	assert_int_equal(state_registry_count(env->reg, "tasks"), 0);
}

/* ids too long for a file name */

/* "~<sha256 of id, hex>.json", as the registry names a long id's file. */
static void hashed_file(const char *id, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	assert_true(EVP_Digest(id, strlen(id), md, &len, EVP_sha256(), NULL));
	assert_int_equal(len, 32);
	out[0] = '~';
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	snprintf(out + 65, 7, ".json");
}

/* A task definition's id, "<family>:1", with a family of n chars. */
static void family_id(char *out, size_t n)
{
	memset(out, 'f', n);
	snprintf(out + n, 3, ":1");
}

static void test_a_255_char_family_round_trips_under_a_hashed_name(void **state)
{
	struct env *env = *state;
	char id[255 + 3], file[72], path[128];
	struct state_registry *fresh = NULL;
	cleanup_cjson cJSON *ids = NULL;
	cleanup_cjson cJSON *want = make_doc("long", 7);
	cleanup_cjson cJSON *got = NULL;
	cleanup_cjson cJSON *on_disk = NULL;
	cleanup_free char *text = NULL;
	cleanup_free char *entries = NULL;
	cleanup_free char *order = NULL;
	cleanup_buf struct nb_buf out = { 0 };
	struct timespec mtime;

	family_id(id, 255);
	assert_int_equal(strlen(id), 257);
	hashed_file(id, file);
	put(env, "task-definitions", "web:1", 1);
	assert_int_equal(state_registry_put(env->reg, "task-definitions", id, want, &env->err), 0);

	/* On disk: the hashed name, holding the real id and the record. */
	entries = entries_of(env, "task-definitions");
	snprintf(path, sizeof(path), "web:1.json,%s", file);
	assert_string_equal(entries, path);
	text = read_record_file(env, "task-definitions", file);
	on_disk = cJSON_Parse(text);
	assert_non_null(on_disk);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(on_disk, "id")->valuestring, id);
	assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(on_disk, "record"), want, true));

	/* In memory: the record alone, under its id. */
	assert_int_equal(state_registry_get(env->reg, "task-definitions", id, &got), 0);
	assert_true(cJSON_Compare(got, want, true));
	assert_int_equal(state_registry_render(env->reg, "task-definitions", id, &out, &mtime), 0);
	assert_null(strstr(out.data, "\"record\""));
	assert_non_null(strstr(out.data, "\"long\""));
	order = list_of(env->reg, "task-definitions");
	assert_string_equal(strchr(order, ',') + 1, id);

	/* A new registry (a remount) loads it back under the real id. */
	assert_int_equal(state_registry_new(env->sd, &fresh), 0);
	assert_int_equal(state_registry_load_ids(fresh, "task-definitions", &ids, &env->err), 0);
	assert_int_equal(cJSON_GetArraySize(ids), 2);
	assert_string_equal(cJSON_GetArrayItem(ids, 0)->valuestring, "web:1");
	assert_string_equal(cJSON_GetArrayItem(ids, 1)->valuestring, id);
	assert_int_equal(n_of(fresh, "task-definitions", id), 7);
	nb_buf_reset(&out);
	assert_int_equal(state_registry_render(fresh, "task-definitions", id, &out, &mtime), 0);
	assert_null(strstr(out.data, "\"record\""));

	/* A put over it replaces the one file; remove deletes it. */
	put(env, "task-definitions", id, 8);
	assert_int_equal(n_of(env->reg, "task-definitions", id), 8);
	free(entries);
	entries = entries_of(env, "task-definitions");
	assert_string_equal(entries, path);
	assert_int_equal(state_registry_remove(fresh, "task-definitions", id, &env->err), 0);
	assert_false(state_registry_exists(fresh, "task-definitions", id));
	free(entries);
	entries = entries_of(env, "task-definitions");
	assert_string_equal(entries, "web:1.json");
	assert_int_equal(state_registry_remove(fresh, "task-definitions", id, &env->err), -ENOENT);
	state_registry_free(fresh);
}

static void test_a_244_char_family_keeps_its_plain_file_name(void **state)
{
	struct env *env = *state;
	char id[244 + 3], file[260];
	struct state_registry *fresh = NULL;
	cleanup_free char *entries = NULL;
	cleanup_free char *text = NULL;

	family_id(id, 244);
	assert_int_equal(strlen(id), ID_LONGEST);
	put(env, "task-definitions", id, 3);
	snprintf(file, sizeof(file), "%s.json", id);
	entries = entries_of(env, "task-definitions");
	assert_string_equal(entries, file);
	/* The record itself, as before long ids: old state dirs still load. */
	text = read_record_file(env, "task-definitions", file);
	assert_null(strstr(text, "\"record\""));
	assert_int_equal(state_registry_new(env->sd, &fresh), 0);
	assert_int_equal(state_registry_load(fresh, "task-definitions", &env->err), 1);
	assert_int_equal(n_of(fresh, "task-definitions", id), 3);
	state_registry_free(fresh);
}

static void test_the_longest_id_and_the_first_hashed_one_round_trip(void **state)
{
	struct env *env = *state;
	char first[ID_LONGEST + 2], longest[STATE_REGISTRY_LONG_ID_MAX + 1], file[72], path[80];
	struct state_registry *fresh = NULL;

	memset(first, 'a', sizeof(first) - 1);
	first[sizeof(first) - 1] = '\0';
	memset(longest, 'z', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	put(env, "things", first, 1);
	put(env, "things", longest, 2);
	hashed_file(first, file);
	snprintf(path, sizeof(path), "things/%s", file);
	assert_true(exists_at(env->sd->dirfd, path));
	hashed_file(longest, file);
	snprintf(path, sizeof(path), "things/%s", file);
	assert_true(exists_at(env->sd->dirfd, path));
	assert_int_equal(state_registry_new(env->sd, &fresh), 0);
	assert_int_equal(state_registry_load(fresh, "things", &env->err), 2);
	assert_int_equal(n_of(fresh, "things", first), 1);
	assert_int_equal(n_of(fresh, "things", longest), 2);
	state_registry_free(fresh);
}

static void test_load_skips_hashed_files_that_do_not_name_their_id(void **state)
{
	struct env *env = *state;
	char id[300], other[300], file[72], wrong[72];
	struct state_registry *fresh = NULL;
	cleanup_free char *order = NULL;
	cleanup_close int fd = -1;

	family_id(id, 250);
	family_id(other, 251);
	put(env, "tasks", id, 1);
	hashed_file(id, file);
	hashed_file(other, wrong);
	fd = openat(env->sd->dirfd, "tasks", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	/* Copied under another id's name, or a short id, or no wrapper. */
	assert_int_equal(linkat(fd, file, fd, wrong, 0), 0);
	hashed_file("short", wrong);
	write_file_at(fd, wrong, "{\"id\": \"short\", \"record\": {\"n\": 5}}\n");
	hashed_file("bare", wrong);
	write_file_at(fd, wrong, "{\"n\": 6}\n");
	/* '~' and 16 hex digits (secrets' own hashed ids) is a plain id. */
	write_file_at(fd, "~0123456789abcdef.json", "{\"n\": 9}\n");

	assert_int_equal(state_registry_new(env->sd, &fresh), 0);
	assert_int_equal(state_registry_load(fresh, "tasks", &env->err), 2);
	assert_int_equal(n_of(fresh, "tasks", id), 1);
	assert_int_equal(n_of(fresh, "tasks", "~0123456789abcdef"), 9);
	assert_false(state_registry_exists(fresh, "tasks", other));
	assert_false(state_registry_exists(fresh, "tasks", "short"));
	assert_false(state_registry_exists(fresh, "tasks", "bare"));
	state_registry_free(fresh);
}

/* load */

static void test_a_fresh_registry_loads_the_records_in_name_order(void **state)
{
	struct env *env = *state;
	struct state_registry *fresh = NULL;
	cleanup_free char *order = NULL;
	cleanup_free char *file = NULL;
	cleanup_buf struct nb_buf out = { 0 };
	cleanup_cjson cJSON *want = NULL;
	cleanup_cjson cJSON *got = NULL;
	struct timespec mtime;
	struct stat st;

	put(env, "tasks", "c", 3);
	put(env, "tasks", "a", 1);
	put(env, "tasks", "b", 2);
	put(env, "services", "s", 9);
	assert_int_equal(state_registry_new(env->sd, &fresh), 0);
	assert_int_equal(state_registry_load(fresh, "tasks", &env->err), 3);
	assert_int_equal(state_registry_count(fresh, "tasks"), 3);
	assert_int_equal(state_registry_count(fresh, "services"), 0);
	order = list_of(fresh, "tasks");
	assert_string_equal(order, "a,b,c");
	assert_int_equal(state_registry_get(env->reg, "tasks", "b", &want), 0);
	assert_int_equal(state_registry_get(fresh, "tasks", "b", &got), 0);
	assert_true(cJSON_Compare(got, want, true));

	/* The text is the file's; the mtime is the file's. */
	file = read_record_file(env, "tasks", "b.json");
	assert_int_equal(state_registry_render(fresh, "tasks", "b", &out, &mtime), 0);
	assert_string_equal(out.data, file);
	assert_int_equal(fstatat(env->sd->dirfd, "tasks/b.json", &st, 0), 0);
	assert_int_equal(mtime.tv_sec, st.st_mtim.tv_sec);
	assert_int_equal(mtime.tv_nsec, st.st_mtim.tv_nsec);

	/* Loading again adds nothing. */
	assert_int_equal(state_registry_load(fresh, "tasks", &env->err), 0);
	assert_int_equal(state_registry_count(fresh, "tasks"), 3);
	state_registry_free(fresh);
}

static void test_load_skips_files_that_are_not_json_or_not_named_json(void **state)
{
	struct env *env = *state;
	struct state_registry *fresh = NULL;
	cleanup_free char *order = NULL;
	cleanup_close int fd = -1;

	put(env, "tasks", "good", 1);
	fd = openat(env->sd->dirfd, "tasks", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	write_file_at(fd, "x.json.tmp", "{\"n\": 5}\n");
	write_file_at(fd, "junk.json", "{oops");
	write_file_at(fd, "empty.json", "");
	write_file_at(fd, "notes.txt", "{\"n\": 6}\n");
	write_file_at(fd, ".json", "{\"n\": 7}\n");
	write_file_at(fd, "..json", "{\"n\": 7}\n");
	write_file_at(fd, "...json", "{\"n\": 7}\n");
	assert_int_equal(mkdirat(fd, "sub.json", 0700), 0);
	write_file_at(fd, "also.json", "{\"n\": 8}");

	assert_int_equal(state_registry_new(env->sd, &fresh), 0);
	assert_int_equal(state_registry_load(fresh, "tasks", &env->err), 2);
	order = list_of(fresh, "tasks");
	assert_string_equal(order, "also,good");
	assert_int_equal(n_of(fresh, "tasks", "also"), 8);
	assert_int_equal(n_of(fresh, "tasks", "good"), 1);
	assert_false(state_registry_exists(fresh, "tasks", "junk"));
	assert_false(state_registry_exists(fresh, "tasks", "x.json"));
	assert_false(state_registry_exists(fresh, "tasks", "x"));
	assert_false(state_registry_exists(fresh, "tasks", "sub"));
	assert_false(state_registry_exists(fresh, "tasks", "."));
	assert_false(state_registry_exists(fresh, "tasks", ".."));
	state_registry_free(fresh);
}

static void test_load_of_a_kind_with_no_directory_creates_it_and_returns_zero(void **state)
{
	struct env *env = *state;
	struct stat st;

	assert_int_equal(state_registry_load(env->reg, "volumes", &env->err), 0);
	assert_int_equal(fstatat(env->sd->dirfd, "volumes", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(state_registry_count(env->reg, "volumes"), 0);
	put(env, "volumes", "data", 1);
	assert_int_equal(state_registry_count(env->reg, "volumes"), 1);
}

static void test_load_of_a_kind_that_is_a_regular_file_fails_with_a_reason(void **state)
{
	struct env *env = *state;

	write_file_at(env->sd->dirfd, "tasks", "not a dir\n");
	assert_int_equal(state_registry_load(env->reg, "tasks", &env->err), -ENOTDIR);
	assert_int_equal(env->err.code, -ENOTDIR);
	assert_non_null(strstr(env->err.msg, "tasks"));
	assert_int_equal(state_registry_count(env->reg, "tasks"), 0);
}

/* many records */

static void test_three_thousand_records_are_all_found_after_the_hash_grows(void **state)
{
	struct env *env = *state;
	struct nb_buf want = { 0 };
	cleanup_free char *want_s = NULL;
	cleanup_free char *order = NULL;
	char id[32];
	enum { N = 3000 };

	assert_int_equal(nb_buf_puts(&want, ""), 0);
	for (int i = 0; i < N; i++) {
		/* Not in name order, so listing order is insertion order. */
		snprintf(id, sizeof(id), "r%d", (i * 7919) % N);
		put(env, "tasks", id, i);
		if (want.len)
			assert_int_equal(nb_buf_puts(&want, ","), 0);
		assert_int_equal(nb_buf_puts(&want, id), 0);
	}
	want_s = nb_buf_steal(&want);
	assert_int_equal(state_registry_count(env->reg, "tasks"), N);
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "r%d", (i * 7919) % N);
		assert_true(state_registry_exists(env->reg, "tasks", id));
		assert_int_equal(n_of(env->reg, "tasks", id), i);
	}
	assert_false(state_registry_exists(env->reg, "tasks", "r3000"));
	order = list_of(env->reg, "tasks");
	assert_string_equal(order, want_s);

	/* Removal after growth finds each record in its new bucket. */
	for (int i = 0; i < N; i += 2) {
		snprintf(id, sizeof(id), "r%d", i);
		assert_int_equal(state_registry_remove(env->reg, "tasks", id, &env->err), 0);
	}
	assert_int_equal(state_registry_count(env->reg, "tasks"), N / 2);
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		assert_int_equal(state_registry_exists(env->reg, "tasks", id), i % 2);
	}
}

static void test_freeing_a_registry_with_records_leaks_nothing(void **state)
{
	struct env *env = *state;
	struct state_registry *reg = NULL;
	cleanup_cjson cJSON *doc = make_doc("x", 1);

	assert_int_equal(state_registry_new(env->sd, &reg), 0);
	assert_int_equal(state_registry_put(reg, "tasks", "a", doc, &env->err), 0);
	assert_int_equal(state_registry_put(reg, "tasks", "a", doc, &env->err), 0);
	assert_int_equal(state_registry_put(reg, "services", "b", doc, &env->err), 0);
	assert_int_equal(state_registry_load(reg, "tasks", &env->err), 0);
	state_registry_free(reg);
	state_registry_free(NULL);
	/* ASan and valgrind check the rest. */
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_invalid_kind_or_id_names_are_einval_and_write_nothing),
		T(test_a_put_that_cannot_create_the_kind_dir_fails_and_changes_nothing),
		T(test_a_failed_put_over_an_existing_id_keeps_the_old_record),
		T(test_get_and_render_of_an_absent_id_or_unknown_kind_are_enoent),
		T(test_removing_an_absent_id_is_enoent),
		T(test_an_unknown_kind_lists_nothing_and_counts_zero),
		T(test_load_of_a_kind_that_is_a_regular_file_fails_with_a_reason),
		T(test_put_then_get_returns_an_equal_copy),
		T(test_put_writes_the_formatted_json_plus_newline_with_mode_0600),
		T(test_render_appends_exactly_the_file_text_and_gives_an_mtime),
		T(test_a_put_over_an_existing_id_replaces_it_and_keeps_its_place),
		T(test_list_emits_ids_in_first_put_order),
		T(test_list_stops_at_the_first_non_zero_emit_and_returns_it),
		T(test_count_and_exists_follow_puts_and_removes_per_kind),
		T(test_remove_deletes_the_file_and_the_record),
		T(test_the_longest_valid_kind_and_id_round_trip),
		T(test_a_255_char_family_round_trips_under_a_hashed_name),
		T(test_a_244_char_family_keeps_its_plain_file_name),
		T(test_the_longest_id_and_the_first_hashed_one_round_trip),
		T(test_load_skips_hashed_files_that_do_not_name_their_id),
		T(test_a_fresh_registry_loads_the_records_in_name_order),
		T(test_load_skips_files_that_are_not_json_or_not_named_json),
		T(test_load_of_a_kind_with_no_directory_creates_it_and_returns_zero),
		T(test_three_thousand_records_are_all_found_after_the_hash_grows),
		T(test_freeing_a_registry_with_records_leaks_nothing),
	};

	nb_log_set_level(NB_LOG_ERROR); /* load's "skipping" warnings are expected */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
