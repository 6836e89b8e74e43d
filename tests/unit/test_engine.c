/*
 * tests/unit/test_engine.c - the engine transport and the typed calls,
 * against tests/unit/fake_engine.c serving replies recorded from a real
 * engine (tests/fixtures/engine/). No real engine is needed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "backend/common/json.h"
#include "backend/engine/containers.h"
#include "backend/engine/engine.h"
#include "backend/engine/exec.h"
#include "backend/engine/images.h"
#include "backend/engine/logs.h"
#include "backend/engine/networks.h"
#include "tests/unit/fake_engine.h"
#include "tests/unit/helpers.h"

#define MAX_FIXTURES 8

struct env {
	struct fake_engine fe;
	struct engine *eng;
	struct nb_err err;
	char *fixtures[MAX_FIXTURES]; /* freed at teardown, after the server stops */
	int nfixtures;
};

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	if (!env || fake_engine_start(&env->fe, NULL) < 0 ||
	    engine_new(env->fe.url, &env->eng, &env->err) < 0) {
		free(env);
		return -1;
	}
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	engine_free(env->eng);
	fake_engine_stop(&env->fe);
	for (int i = 0; i < env->nfixtures; i++)
		free(env->fixtures[i]);
	free(env);
	return 0;
}

/* Reads tests/fixtures/engine/<name>; env frees it at teardown. */
static char *fixture(struct env *env, const char *name, size_t *len_out)
{
	char *buf = th_fixture("engine", name, 1 << 16, len_out);

	assert_true(env->nfixtures < MAX_FIXTURES);
	env->fixtures[env->nfixtures++] = buf;
	return buf;
}

/* The last request the fake engine saw; its body is freed by the caller. */
static struct fake_request last_req(struct env *env)
{
	struct fake_request req;

	assert_true(fake_engine_request(&env->fe, -1, &req));
	return req;
}

static void assert_last_path(struct env *env, const char *method, const char *path)
{
	struct fake_request req = last_req(env);

	free(req.body);
	assert_string_equal(req.method, method);
	assert_string_equal(req.path, path);
}

/* ---- transport errors ---- */

static void test_engine_new_rejects_bad_urls(void **state)
{
	static const char *const bad[] = { "", "unix://relative", "ftp://x", "tcp://" };
	struct nb_err err = { 0 };
	struct engine *eng = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nb_err_clear(&err);
		assert_int_equal(engine_new(bad[i], &eng, &err), -EINVAL);
		assert_int_equal(err.code, -EINVAL);
		assert_true(err.msg[0]);
	}
	assert_int_equal(engine_new(NULL, &eng, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(engine_new("unix://relative", &eng, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "absolute"));
}

static void test_unreachable_engine_is_hostdown_naming_the_url(void **state)
{
	struct nb_err err = { 0 };
	struct engine *eng;

	(void)state;
	assert_int_equal(engine_new("unix:///nonexistent/nimbusfs-test.sock", &eng, &err), 0);
	assert_int_equal(engine_container_start(eng, "abc", &err), -EHOSTDOWN);
	assert_non_null(strstr(err.msg, "unix:///nonexistent/nimbusfs-test.sock"));
	engine_free(eng);
}

static void test_engine_going_down_is_hostdown(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST", .path = "/v1.41/containers/abc/start", .status = 204 },
		{ 0 },
	};

	fake_engine_set_routes(&env->fe, routes);
	/* First a kept-alive connection, which must not hide the outage. */
	assert_int_equal(engine_container_start(env->eng, "abc", &env->err), 0);
	fake_engine_close_listener(&env->fe);
	assert_int_equal(engine_container_start(env->eng, "abc", &env->err), -EHOSTDOWN);
	assert_non_null(strstr(env->err.msg, env->fe.url));
}

static void test_not_found_is_enoent_with_the_engine_message(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/v1.41/containers/nosuch/json",
		  .status = 404,
		  .body = fixture(env, "container_404.json", NULL) },
		{ 0 },
	};
	cJSON *out = (cJSON *)1;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_container_inspect(env->eng, "nosuch", &out, &env->err), -ENOENT);
	assert_null(out);
	assert_non_null(strstr(env->err.msg, "No such container: nosuch"));
}

static void test_conflict_is_ebusy(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "DELETE",
		  .path = "/v1.41/containers/",
		  .status = 409,
		  .body = fixture(env, "container_409.json", NULL) },
		{ 0 },
	};

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_container_remove(env->eng, "web", false, true, &env->err), -EBUSY);
	assert_non_null(strstr(env->err.msg, "You cannot remove a running container"));
	assert_last_path(env, "DELETE", "/v1.41/containers/web?force=0&v=1");
}

static void test_not_modified_on_start_and_stop_is_success(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST", .path = "/v1.41/containers/abc/start", .status = 304 },
		{ .method = "POST", .path = "/v1.41/containers/abc/stop", .status = 304 },
		{ 0 },
	};

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_container_start(env->eng, "abc", &env->err), 0);
	assert_int_equal(engine_container_stop(env->eng, "abc", 5, &env->err), 0);
	assert_last_path(env, "POST", "/v1.41/containers/abc/stop?t=5");
	assert_int_equal(engine_container_stop(env->eng, "abc", -1, &env->err), -EINVAL);
}

static void test_kept_alive_connection_is_reused_and_a_close_is_survived(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/containers/bye/start",
		  .status = 204,
		  .close = true },
		{ .method = "POST", .path = "/v1.41/containers/", .status = 204 },
		{ 0 },
	};

	fake_engine_set_routes(&env->fe, routes);
	for (int i = 0; i < 3; i++)
		assert_int_equal(engine_container_start(env->eng, "abc", &env->err), 0);
	assert_int_equal(atomic_load(&env->fe.accepted), 1);
	assert_int_equal(engine_container_start(env->eng, "bye", &env->err), 0);
	assert_int_equal(engine_container_start(env->eng, "abc", &env->err), 0);
	assert_int_equal(atomic_load(&env->fe.accepted), 2);
}

/* ---- negotiation ---- */

/* The recorded GET /version reply, claiming API version api. */
static const char *version_reply(struct env *env, const char *api)
{
	cJSON *doc = cJSON_Parse(fixture(env, "version.json", NULL));
	char *text;

	assert_non_null(doc);
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "ApiVersion", cJSON_CreateString(api));
	text = json_print(doc);
	cJSON_Delete(doc);
	assert_non_null(text);
	assert_true(env->nfixtures < MAX_FIXTURES);
	env->fixtures[env->nfixtures++] = text;
	return text;
}

static void test_daemon_older_than_1_40_is_refused(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/version",
		  .status = 200,
		  .body = version_reply(env, "1.39") },
		{ 0 },
	};
	struct engine_info info;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_negotiate(env->eng, &info, &env->err), -EPROTONOSUPPORT);
	assert_non_null(strstr(env->err.msg, "1.39"));
}

static void test_newer_daemon_is_capped_at_1_41(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/version",
		  .status = 200,
		  .body = version_reply(env, "1.43") },
		{ 0 },
	};
	struct engine_info info;
	char api[16];

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_negotiate(env->eng, &info, &env->err), 0);
	assert_string_equal(info.api_version, "1.41");
	assert_string_equal(info.daemon_api, "1.43");
	assert_string_equal(info.version, "20.10.24+dfsg1");
	assert_true(info.name[0]);
	engine_api_version(env->eng, api, sizeof(api));
	assert_string_equal(api, "1.41");
	/* /version itself is asked unversioned: any daemon answers it. */
	assert_last_path(env, "GET", "/version");
}

static void test_daemon_at_1_40_is_spoken_to_in_1_40(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/version",
		  .status = 200,
		  .body = version_reply(env, "1.40") },
		{ .method = "POST", .path = "/v1.40/containers/abc/start", .status = 204 },
		{ 0 },
	};
	struct engine_info info;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_negotiate(env->eng, &info, &env->err), 0);
	assert_string_equal(info.api_version, "1.40");
	assert_int_equal(engine_container_start(env->eng, "abc", &env->err), 0);
	assert_last_path(env, "POST", "/v1.40/containers/abc/start");
}

/* ---- containers ---- */

static void test_container_create_sends_name_and_spec_and_returns_the_id(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/containers/create",
		  .status = 201,
		  .body = fixture(env, "container_create.json", NULL) },
		{ 0 },
	};
	cJSON *spec = cJSON_Parse("{\"Image\":\"local/busybox:latest\",\"Cmd\":[\"sleep\",\"9\"],"
				  "\"Labels\":{\"io.nimbusfs.owner\":\"abc\"}}");
	char *want = json_print(spec);
	char id[65];
	struct fake_request req;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_container_create(env->eng, "web 1", spec, id, &env->err), 0);
	assert_string_equal(id, "ee95584584abcf7a9a8c1fa66b840230fc5bd74d66ca6c142e6d480dd57355ad");
	req = last_req(env);
	assert_string_equal(req.path, "/v1.41/containers/create?name=web%201");
	assert_string_equal(req.content_type, "application/json");
	assert_non_null(req.body);
	assert_string_equal(req.body, want);
	free(req.body);

	assert_int_equal(engine_container_create(env->eng, NULL, spec, id, &env->err), 0);
	assert_last_path(env, "POST", "/v1.41/containers/create");
	assert_int_equal(engine_container_create(env->eng, "x", NULL, id, &env->err), -EINVAL);
	free(want);
	cJSON_Delete(spec);
}

static void test_container_create_without_an_id_in_the_reply_fails(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/containers/create",
		  .status = 201,
		  .body = "{\"Warnings\":[]}" },
		{ 0 },
	};
	cJSON *spec = cJSON_Parse("{\"Image\":\"x\"}");
	char id[65];

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_container_create(env->eng, NULL, spec, id, &env->err), -EIO);
	assert_non_null(strstr(env->err.msg, "Id"));
	cJSON_Delete(spec);
}

static void test_container_list_sends_the_label_filter(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/v1.41/containers/json",
		  .status = 200,
		  .body = fixture(env, "container_list.json", NULL) },
		{ 0 },
	};
	cJSON *out = NULL;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(
		engine_container_list(env->eng, "io.nimbusfs.owner=abc", true, &out, &env->err), 0);
	assert_true(cJSON_IsArray(out));
	assert_int_equal(cJSON_GetArraySize(out), 1);
	cJSON_Delete(out);
	assert_last_path(env, "GET",
			 "/v1.41/containers/json?all=1&filters="
			 "%7B%22label%22%3A%5B%22io.nimbusfs.owner%3Dabc%22%5D%7D");
	assert_int_equal(engine_container_list(env->eng, NULL, false, &out, &env->err), 0);
	cJSON_Delete(out);
	assert_last_path(env, "GET", "/v1.41/containers/json?all=0");
}

static void test_container_inspect_kill_remove_and_wait(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/v1.41/containers/ee95/json",
		  .status = 200,
		  .body = fixture(env, "container_inspect.json", NULL) },
		{ .method = "POST", .path = "/v1.41/containers/ee95/kill", .status = 204 },
		{ .method = "DELETE", .path = "/v1.41/containers/ee95", .status = 204 },
		{ .method = "POST",
		  .path = "/v1.41/containers/ee95/wait",
		  .status = 200,
		  .body = fixture(env, "container_wait.json", NULL) },
		{ .method = "POST",
		  .path = "/v1.41/containers/bad/wait",
		  .status = 200,
		  .body = "{\"Error\":{\"Message\":\"container removal "
			  "failed\"},\"StatusCode\":-1}" },
		{ 0 },
	};
	cJSON *out = NULL;
	const cJSON *st;
	const char *status;
	int code = 0;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_container_inspect(env->eng, "ee95", &out, &env->err), 0);
	assert_int_equal(json_get_object_opt(out, "State", &st, NULL), 0);
	assert_int_equal(json_get_str(st, "Status", &status, NULL), 0);
	assert_string_equal(status, "running");
	cJSON_Delete(out);

	assert_int_equal(engine_container_kill(env->eng, "ee95", NULL, &env->err), 0);
	assert_last_path(env, "POST", "/v1.41/containers/ee95/kill?signal=KILL");
	assert_int_equal(engine_container_kill(env->eng, "ee95", "SIGTERM", &env->err), 0);
	assert_last_path(env, "POST", "/v1.41/containers/ee95/kill?signal=SIGTERM");
	assert_int_equal(engine_container_remove(env->eng, "ee95", true, false, &env->err), 0);
	assert_last_path(env, "DELETE", "/v1.41/containers/ee95?force=1&v=0");

	assert_int_equal(engine_container_wait(env->eng, "ee95", "sideways", 0, &code, &env->err),
			 -EINVAL);
	assert_int_equal(engine_container_wait(env->eng, "ee95", NULL, 2000, &code, &env->err), 0);
	assert_int_equal(code, 137);
	assert_last_path(env, "POST", "/v1.41/containers/ee95/wait?condition=not-running");
	assert_int_equal(engine_container_wait(env->eng, "bad", "removed", 0, &code, &env->err),
			 -EIO);
	assert_non_null(strstr(env->err.msg, "container removal failed"));
}

static void test_ids_are_escaped_into_the_path(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST", .path = "/v1.41/containers/", .status = 204 },
		{ 0 },
	};

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_container_start(env->eng, "a/../b?x=1", &env->err), 0);
	assert_last_path(env, "POST", "/v1.41/containers/a%2F..%2Fb%3Fx%3D1/start");
	assert_int_equal(engine_container_start(env->eng, "", &env->err), -EINVAL);
}

/* ---- logs ---- */

struct collect {
	struct nb_buf out, err;
	_Atomic int calls;
};

static int collect_cb(int stream, const char *data, size_t len, void *ud)
{
	struct collect *c = ud;

	atomic_fetch_add(&c->calls, 1);
	return nb_buf_append(stream == ENGINE_STDERR ? &c->err : &c->out, data, len) < 0;
}

static void test_logs_are_demuxed_from_a_chunked_stream(void **state)
{
	struct env *env = *state;
	/* Frames cut across chunks, one cut inside a header. */
	const struct fake_piece pieces[] = {
		{ .data = "\1\0\0\0\0\0\0\6hel", .len = 11 },
		{ .data = "lo\n\2\0\0", .len = 6 },
		{ .data = "\0\0\0\0\5oops\n", .len = 10 },
		{ .data = "\1\0\0\0\0\0\0\6world\n", .len = 14 },
		{ 0 },
	};
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/v1.41/containers/abc/logs",
		  .status = 200,
		  .content_type = "application/vnd.docker.raw-stream",
		  .chunks = pieces,
		  .chunk_delay_ms = 5 },
		{ 0 },
	};
	struct engine_logs_opts opts = { .stdout_ = true, .stderr_ = true, .tail = "10" };
	struct collect c = { 0 };

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(
		engine_container_logs(env->eng, "abc", &opts, collect_cb, &c, NULL, &env->err), 0);
	assert_string_equal(c.out.data, "hello\nworld\n");
	assert_string_equal(c.err.data, "oops\n");
	assert_last_path(env, "GET",
			 "/v1.41/containers/abc/logs?follow=0&stdout=1&stderr=1&timestamps=0"
			 "&since=0&tail=10");
	nb_buf_free(&c.out);
	nb_buf_free(&c.err);
}

static void test_logs_of_a_truncated_or_corrupt_stream_fail(void **state)
{
	struct env *env = *state;
	size_t len;
	const char *recorded = fixture(env, "logs_multiplexed.bin", &len);
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/v1.41/containers/short/logs",
		  .status = 200,
		  .body = recorded,
		  .body_len = len - 2 },
		{ .method = "GET",
		  .path = "/v1.41/containers/tty/logs",
		  .status = 200,
		  .body = "plain text\n" },
		{ 0 },
	};
	struct engine_logs_opts opts = { .stdout_ = true, .stderr_ = true };
	struct collect c = { 0 };

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(
		engine_container_logs(env->eng, "short", &opts, collect_cb, &c, NULL, &env->err),
		-EPROTO);
	assert_non_null(strstr(env->err.msg, "short"));
	assert_int_equal(
		engine_container_logs(env->eng, "tty", &opts, collect_cb, &c, NULL, &env->err),
		-EPROTO);
	/* The same reply read as a TTY container's is fine. */
	opts.tty = true;
	nb_buf_free(&c.out);
	assert_int_equal(
		engine_container_logs(env->eng, "tty", &opts, collect_cb, &c, NULL, &env->err), 0);
	assert_string_equal(c.out.data, "plain text\n");
	opts.stdout_ = opts.stderr_ = false;
	assert_int_equal(
		engine_container_logs(env->eng, "tty", &opts, collect_cb, &c, NULL, &env->err),
		-EINVAL);
	nb_buf_free(&c.out);
	nb_buf_free(&c.err);
}

struct follower {
	struct engine *eng;
	struct collect c;
	struct nb_cancel stop;
	int ret;
	struct nb_err err;
};

static void *follow_main(void *arg)
{
	struct follower *f = arg;
	struct engine_logs_opts opts = { .follow = true, .stdout_ = true, .stderr_ = true };

	f->ret = engine_container_logs(f->eng, "abc", &opts, collect_cb, &f->c, &f->stop, &f->err);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_stop_flag_ends_a_silent_stream(void **state)
{
	struct env *env = *state;
	const struct fake_piece pieces[] = { { .data = "\1\0\0\0\0\0\0\3hi\n", .len = 11 }, { 0 } };
	const struct fake_route routes[] = {
		{ .method = "GET",
		  .path = "/v1.41/containers/abc/logs",
		  .status = 200,
		  .chunks = pieces,
		  .hang = true },
		{ 0 },
	};
	struct follower f = { .eng = env->eng };
	struct timespec deadline;
	pthread_t t;

	nb_cancel_init(&f.stop);
	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(pthread_create(&t, NULL, follow_main, &f), 0);
	for (int i = 0; i < 500 && !atomic_load(&f.c.calls); i++)
		sleep_ms(10);
	assert_true(atomic_load(&f.c.calls) > 0);
	nb_cancel_fire(&f.stop);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	assert_int_equal(pthread_timedjoin_np(t, NULL, &deadline), 0);
	assert_int_equal(f.ret, 0);
	assert_string_equal(f.c.out.data, "hi\n");
	nb_buf_free(&f.c.out);
	nb_buf_free(&f.c.err);
	nb_cancel_destroy(&f.stop);
}

/* ---- exec ---- */

static void test_exec_create_start_and_inspect(void **state)
{
	struct env *env = *state;
	const struct fake_piece pieces[] = {
		{ .data = "\1\0\0\0\0\0\0\3hi\n\2\0\0\0", .len = 15 },
		{ .data = "\0\0\0\5oops\n", .len = 9 },
		{ 0 },
	};
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/containers/ee95/exec",
		  .status = 201,
		  .body = fixture(env, "exec_create.json", NULL) },
		{ .method = "POST",
		  .path = "/v1.41/exec/9964",
		  .status = 200,
		  .content_type = "application/vnd.docker.raw-stream",
		  .chunks = pieces },
		{ .method = "GET",
		  .path = "/v1.41/exec/9964",
		  .status = 200,
		  .body = fixture(env, "exec_inspect.json", NULL) },
		{ .method = "GET",
		  .path = "/v1.41/exec/busy/json",
		  .status = 200,
		  .body = "{\"Running\":true,\"ExitCode\":null}" },
		{ 0 },
	};
	const char *const argv[] = { "sh", "-c", "echo \"hi\"", NULL };
	const char *const none[] = { NULL };
	struct nb_buf out = { 0 }, err = { 0 };
	struct fake_request req;
	cJSON *body;
	char id[65];
	bool running = true;
	int code = 0;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_exec_create(env->eng, "ee95", none, true, id, &env->err), -EINVAL);
	assert_int_equal(engine_exec_create(env->eng, "ee95", argv, true, id, &env->err), 0);
	assert_string_equal(id, "9964157ec707729cec9a2047751be5c9a6a24e5726c05d85ac2945556be79f74");
	req = last_req(env);
	body = cJSON_Parse(req.body);
	free(req.body);
	assert_non_null(body);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(body, "Cmd"), 2)->valuestring,
			    "echo \"hi\"");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(body, "AttachStdout")));
	cJSON_Delete(body);

	assert_int_equal(
		engine_exec_start(env->eng, "9964", &out, &err, 1024, 2000, NULL, &env->err), 0);
	assert_string_equal(out.data, "hi\n");
	assert_string_equal(err.data, "oops\n");
	assert_last_path(env, "POST", "/v1.41/exec/9964/start");
	nb_buf_reset(&out);
	nb_buf_reset(&err);
	/* Over the cap: kept up to it, the rest counted as dropped. */
	assert_int_equal(engine_exec_start(env->eng, "9964", &out, &err, 2, 2000, NULL, &env->err),
			 4);
	assert_string_equal(out.data, "hi");
	assert_string_equal(err.data, "oo");
	nb_buf_free(&out);
	nb_buf_free(&err);

	assert_int_equal(engine_exec_inspect(env->eng, "9964", &code, &running, &env->err), 0);
	assert_int_equal(code, 3);
	assert_false(running);
	assert_last_path(env, "GET", "/v1.41/exec/9964/json");
	assert_int_equal(engine_exec_inspect(env->eng, "busy", &code, &running, &env->err), 0);
	assert_int_equal(code, -1);
	assert_true(running);
}

/* ---- images ---- */

static void test_image_ref_split(void **state)
{
	static const struct {
		const char *ref, *name, *tag;
	} ok[] = {
		{ "busybox", "busybox", "latest" },
		{ "busybox:1.36", "busybox", "1.36" },
		{ "library/busybox:1.36", "library/busybox", "1.36" },
		{ "localhost:5000/app", "localhost:5000/app", "latest" },
		{ "localhost:5000/team/app:v2", "localhost:5000/team/app", "v2" },
		{ "app@sha256:0123abcd", "app", "sha256:0123abcd" },
		{ "reg:443/app:v1@sha256:0123abcd", "reg:443/app", "sha256:0123abcd" },
	};
	static const char *const bad[] = {
		"", ":tag", "app:", "app@", "app@nodigest", "reg:5000/", "a b", "app@sha256:x@y"
	};
	char name[64], tag[64];
	struct nb_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(engine_image_ref_split(ok[i].ref, name, sizeof(name), tag,
							sizeof(tag), &err),
				 0);
		assert_string_equal(name, ok[i].name);
		assert_string_equal(tag, ok[i].tag);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
			engine_image_ref_split(bad[i], name, sizeof(name), tag, sizeof(tag), &err),
			-EINVAL);
	assert_int_equal(
		engine_image_ref_split("averylongname:tag", name, 8, tag, sizeof(tag), &err),
		-EINVAL);
}

static void test_image_import_error_inside_a_200_stream_fails(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/images/create",
		  .status = 200,
		  .body = fixture(env, "image_import_error_stream.json", NULL) },
		{ 0 },
	};
	static const char tar[] = "not really a tar\0with a NUL";
	struct fake_request req;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(
		engine_image_import(env->eng, tar, sizeof(tar), "local/app", "v1", &env->err),
		-EIO);
	assert_non_null(strstr(env->err.msg, "archive/tar: invalid tar header"));
	req = last_req(env);
	assert_string_equal(req.path, "/v1.41/images/create?fromSrc=-&repo=local%2Fapp&tag=v1");
	assert_string_equal(req.content_type, "application/x-tar");
	assert_int_equal(req.body_len, sizeof(tar));
	assert_memory_equal(req.body, tar, sizeof(tar));
	free(req.body);
	assert_int_equal(engine_image_import(env->eng, tar, 0, "local/app", NULL, &env->err),
			 -EINVAL);
}

static void test_image_import_inspect_tag_and_list(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/images/create",
		  .status = 200,
		  .body = fixture(env, "image_import.json", NULL) },
		{ .method = "GET",
		  .path = "/v1.41/images/local%2Fbusybox%3Alatest/json",
		  .status = 200,
		  .body = fixture(env, "image_inspect.json", NULL) },
		{ .method = "GET",
		  .path = "/v1.41/images/nosuch",
		  .status = 404,
		  .body = fixture(env, "image_404.json", NULL) },
		{ .method = "POST", .path = "/v1.41/images/local%2Fbusybox/tag", .status = 201 },
		{ .method = "GET", .path = "/v1.41/images/json", .status = 200, .body = "[]" },
		{ 0 },
	};
	cJSON *out = NULL;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_image_import(env->eng, "x", 1, "local/app", NULL, &env->err), 0);
	assert_last_path(env, "POST", "/v1.41/images/create?fromSrc=-&repo=local%2Fapp&tag=latest");
	assert_int_equal(engine_image_inspect(env->eng, "local/busybox:latest", &out, &env->err),
			 0);
	assert_string_equal(
		cJSON_GetObjectItem(out, "Id")->valuestring,
		"sha256:b64158c96395a0522c482b06c8fe5b06d1ab30cac0d2839ba3ccafd724ad54c9");
	cJSON_Delete(out);
	assert_int_equal(engine_image_inspect(env->eng, "nosuch:latest", &out, &env->err), -ENOENT);
	assert_non_null(strstr(env->err.msg, "No such image"));
	assert_int_equal(engine_image_tag(env->eng, "local/busybox", "nb/app", "v1", &env->err), 0);
	assert_last_path(env, "POST", "/v1.41/images/local%2Fbusybox/tag?repo=nb%2Fapp&tag=v1");
	assert_int_equal(engine_image_list(env->eng, &out, &env->err), 0);
	assert_int_equal(cJSON_GetArraySize(out), 0);
	cJSON_Delete(out);
}

static int count_progress(const cJSON *msg, void *ud)
{
	(void)msg;
	(*(int *)ud)++;
	return 0;
}

static void test_image_pull_streams_progress_and_catches_late_errors(void **state)
{
	struct env *env = *state;
	const struct fake_piece good[] = {
		{ .data = "{\"status\":\"Pulling from library/app\",\"id\":\"v1\"}\r\n{\"stat" },
		{ .data = "us\":\"Downloading\"}\r\n" },
		{ .data = "{\"status\":\"Digest: sha256:00\"}\r\n" },
		{ 0 },
	};
	const struct fake_piece bad[] = {
		{ .data = "{\"status\":\"Pulling fs "
			  "layer\"}\r\n{\"errorDetail\":{\"message\":\"unexp" },
		{ .data = "ected EOF\"},\"error\":\"unexpected EOF\"}\r\n" },
		{ 0 },
	};
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/images/create?fromImage=reg%3A5000%2Fapp&tag=v1",
		  .status = 200,
		  .chunks = good },
		{ .method = "POST",
		  .path = "/v1.41/images/create?fromImage=app&tag=latest",
		  .status = 200,
		  .chunks = bad },
		{ 0 },
	};
	int n = 0;

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(
		engine_image_pull(env->eng, "reg:5000/app:v1", count_progress, &n, &env->err), 0);
	assert_int_equal(n, 3);
	n = 0;
	assert_int_equal(engine_image_pull(env->eng, "app", count_progress, &n, &env->err), -EIO);
	assert_int_equal(n, 1);
	assert_non_null(strstr(env->err.msg, "unexpected EOF"));
}

struct puller {
	struct engine *eng;
	_Atomic int progress;
	struct nb_cancel stop;
	int ret;
	struct nb_err err;
};

static int puller_progress(const cJSON *msg, void *ud)
{
	struct puller *p = ud;

	(void)msg;
	atomic_fetch_add(&p->progress, 1);
	return 0;
}

static void *pull_main(void *arg)
{
	struct puller *p = arg;

	p->ret = engine_image_pull_cancel(p->eng, "app", puller_progress, p, &p->stop, &p->err);
	return NULL;
}

static void test_image_pull_ends_at_once_when_its_token_fires(void **state)
{
	struct env *env = *state;
	const struct fake_piece pieces[] = { { .data = "{\"status\":\"Pulling fs layer\"}\r\n" },
					     { 0 } };
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/images/create?fromImage=app&tag=latest",
		  .status = 200,
		  .chunks = pieces,
		  .hang = true },
		{ 0 },
	};
	struct puller p = { .eng = env->eng };
	struct timespec deadline;
	pthread_t t;

	nb_cancel_init(&p.stop);
	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(pthread_create(&t, NULL, pull_main, &p), 0);
	for (int i = 0; i < 500 && !atomic_load(&p.progress); i++)
		sleep_ms(10);
	assert_true(atomic_load(&p.progress) > 0);
	nb_cancel_fire(&p.stop);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	assert_int_equal(pthread_timedjoin_np(t, NULL, &deadline), 0);
	assert_int_equal(p.ret, -EINTR);
	assert_non_null(strstr(p.err.msg, "the pull of app was interrupted"));
	nb_cancel_destroy(&p.stop);
}

/* ---- networks ---- */

static void test_network_create_connect_inspect_remove(void **state)
{
	struct env *env = *state;
	const struct fake_route routes[] = {
		{ .method = "POST",
		  .path = "/v1.41/networks/create",
		  .status = 201,
		  .body = fixture(env, "network_create.json", NULL) },
		{ .method = "POST", .path = "/v1.41/networks/nb-net/connect", .status = 200 },
		{ .method = "GET",
		  .path = "/v1.41/networks/nb-net",
		  .status = 200,
		  .body = fixture(env, "network_inspect.json", NULL) },
		{ .method = "DELETE", .path = "/v1.41/networks/nb-net", .status = 204 },
		{ 0 },
	};
	const char *const aliases[] = { "web", "web.local", NULL };
	cJSON *labels = cJSON_Parse("{\"io.nimbusfs.owner\":\"abc\"}");
	cJSON *body, *out = NULL;
	struct fake_request req;
	char id[65];

	fake_engine_set_routes(&env->fe, routes);
	assert_int_equal(engine_network_create(env->eng, "nb-net", labels, id, &env->err), 0);
	assert_string_equal(id, "a9c4fb63ba5675f17e726405691af06f28f358028fc31b2f385e03860fdff63a");
	req = last_req(env);
	body = cJSON_Parse(req.body);
	free(req.body);
	assert_string_equal(cJSON_GetObjectItem(body, "Name")->valuestring, "nb-net");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(body, "CheckDuplicate")));
	assert_true(cJSON_Compare(cJSON_GetObjectItem(body, "Labels"), labels, true));
	cJSON_Delete(body);
	cJSON_Delete(labels);

	assert_int_equal(engine_network_connect(env->eng, "nb-net", "ee95", aliases, &env->err), 0);
	req = last_req(env);
	body = cJSON_Parse(req.body);
	free(req.body);
	assert_string_equal(cJSON_GetObjectItem(body, "Container")->valuestring, "ee95");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
				 cJSON_GetObjectItem(body, "EndpointConfig"), "Aliases")),
			 2);
	cJSON_Delete(body);

	assert_int_equal(engine_network_inspect(env->eng, "nb-net", &out, &env->err), 0);
	assert_string_equal(cJSON_GetObjectItem(out, "Name")->valuestring, "nbfix-net");
	cJSON_Delete(out);
	assert_int_equal(engine_network_remove(env->eng, "nb-net", &env->err), 0);
	assert_last_path(env, "DELETE", "/v1.41/networks/nb-net");
	assert_int_equal(engine_network_inspect(env->eng, "gone", &out, &env->err), -ENOENT);
}

#define T(name) cmocka_unit_test_setup_teardown(name, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_new_rejects_bad_urls),
		cmocka_unit_test(test_unreachable_engine_is_hostdown_naming_the_url),
		T(test_engine_going_down_is_hostdown),
		T(test_not_found_is_enoent_with_the_engine_message),
		T(test_conflict_is_ebusy),
		T(test_not_modified_on_start_and_stop_is_success),
		T(test_kept_alive_connection_is_reused_and_a_close_is_survived),
		T(test_daemon_older_than_1_40_is_refused),
		T(test_newer_daemon_is_capped_at_1_41),
		T(test_daemon_at_1_40_is_spoken_to_in_1_40),
		T(test_container_create_sends_name_and_spec_and_returns_the_id),
		T(test_container_create_without_an_id_in_the_reply_fails),
		T(test_container_list_sends_the_label_filter),
		T(test_container_inspect_kill_remove_and_wait),
		T(test_ids_are_escaped_into_the_path),
		T(test_logs_are_demuxed_from_a_chunked_stream),
		T(test_logs_of_a_truncated_or_corrupt_stream_fail),
		T(test_stop_flag_ends_a_silent_stream),
		T(test_exec_create_start_and_inspect),
		cmocka_unit_test(test_image_ref_split),
		T(test_image_import_error_inside_a_200_stream_fails),
		T(test_image_import_inspect_tag_and_list),
		T(test_image_pull_streams_progress_and_catches_late_errors),
		T(test_image_pull_ends_at_once_when_its_token_fires),
		T(test_network_create_connect_inspect_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
