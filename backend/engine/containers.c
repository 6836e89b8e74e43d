/*
 * backend/engine/containers.c - typed container calls on engine_do().
 * Every id and query value is URL-escaped: ids come from users (names,
 * prefixes), and an unescaped '?' or '/' would address another endpoint.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/engine/containers.h"
#include "backend/engine/engine_i.h"

/* Grace on top of the stop timeout: the engine answers only after the
 * container is gone, which takes a moment after the SIGKILL. */
#define STOP_MARGIN_MS 15000L

/* Runs method on "/containers/<escaped id><suffix>" with an optional JSON
 * reply; suffix carries any query, already escaped. */
static int container_call(struct engine *eng, const char *method, const char *id,
			  const char *suffix, long timeout_ms, struct engine_resp *resp,
			  struct nb_err *err)
{
	cleanup_free char *eid = id ? engine_escape(id) : NULL;
	cleanup_buf struct nb_buf path = { 0 };
	struct engine_req req = { .method = method, .timeout_ms = timeout_ms };

	if (!id || !*id)
		return nb_err_set(err, -EINVAL, "container id is empty");
	if (!eid || nb_buf_printf(&path, "/containers/%s%s", eid, suffix) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path.data;
	return engine_do(eng, &req, resp, err);
}

int engine_container_create(struct engine *eng, const char *name, const cJSON *spec,
			    char id_out[65], struct nb_err *err)
{
	cleanup_free char *ename = name ? engine_escape(name) : NULL;
	cleanup_buf struct nb_buf path = { 0 };
	cleanup_cjson cJSON *reply = NULL;
	int ret;

	if (!cJSON_IsObject(spec))
		return nb_err_set(err, -EINVAL, "container spec must be a JSON object");
	if (name && !*name)
		return nb_err_set(err, -EINVAL, "container name is empty");
	if ((name && !ename) || nb_buf_printf(&path, "/containers/create%s%s", name ? "?name=" : "",
					      name ? ename : "") < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = engine_do_json(eng, "POST", path.data, spec, &reply, err);
	if (ret < 0)
		return ret;
	return engine_reply_id(reply, "create container", id_out, err);
}

int engine_container_start(struct engine *eng, const char *id, struct nb_err *err)
{
	return container_call(eng, "POST", id, "/start", 0, NULL, err);
}

int engine_container_stop(struct engine *eng, const char *id, int timeout_s, struct nb_err *err)
{
	char suffix[32];

	if (timeout_s < 0 || timeout_s > ENGINE_STOP_TIMEOUT_MAX)
		return nb_err_set(err, -EINVAL, "stop timeout %d s is not between 0 and %d",
				  timeout_s, ENGINE_STOP_TIMEOUT_MAX);
	snprintf(suffix, sizeof(suffix), "/stop?t=%d", timeout_s);
	return container_call(eng, "POST", id, suffix, timeout_s * 1000L + STOP_MARGIN_MS, NULL,
			      err);
}

int engine_container_restart(struct engine *eng, const char *id, int timeout_s, struct nb_err *err)
{
	char suffix[32];

	if (timeout_s < 0 || timeout_s > ENGINE_STOP_TIMEOUT_MAX)
		return nb_err_set(err, -EINVAL, "restart timeout %d s is not between 0 and %d",
				  timeout_s, ENGINE_STOP_TIMEOUT_MAX);
	snprintf(suffix, sizeof(suffix), "/restart?t=%d", timeout_s);
	return container_call(eng, "POST", id, suffix, timeout_s * 1000L + STOP_MARGIN_MS, NULL,
			      err);
}

int engine_container_put_archive(struct engine *eng, const char *id, const char *dest,
				 const void *tar, size_t len, struct nb_err *err)
{
	cleanup_free char *eid = id ? engine_escape(id) : NULL;
	cleanup_free char *edest = dest ? engine_escape(dest) : NULL;
	cleanup_buf struct nb_buf path = { 0 };
	struct engine_req req = {
		.method = "PUT",
		.content_type = "application/x-tar",
		.body = tar,
		.body_len = len,
	};

	if (!id || !*id)
		return nb_err_set(err, -EINVAL, "container id is empty");
	if (!eid || !edest ||
	    nb_buf_printf(&path, "/containers/%s/archive?path=%s", eid, edest) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path.data;
	return engine_do(eng, &req, NULL, err);
}

int engine_container_kill(struct engine *eng, const char *id, const char *signal,
			  struct nb_err *err)
{
	cleanup_free char *esig = engine_escape(signal ? signal : "KILL");
	cleanup_buf struct nb_buf suffix = { 0 };

	if (signal && !*signal)
		return nb_err_set(err, -EINVAL, "signal name is empty");
	if (!esig || nb_buf_printf(&suffix, "/kill?signal=%s", esig) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	return container_call(eng, "POST", id, suffix.data, 0, NULL, err);
}

int engine_container_remove(struct engine *eng, const char *id, bool force, bool volumes,
			    struct nb_err *err)
{
	char suffix[32];

	snprintf(suffix, sizeof(suffix), "?force=%d&v=%d", force, volumes);
	return container_call(eng, "DELETE", id, suffix, 0, NULL, err);
}

static int parse_reply(struct engine_resp *resp, const char *what, cJSON **out, struct nb_err *err)
{
	*out = json_parse(resp->body.data, resp->body.len, err);
	if (!*out)
		return nb_err_set(err, -EIO, "engine: %s: reply is not JSON", what);
	return 0;
}

int engine_container_inspect(struct engine *eng, const char *id, cJSON **out, struct nb_err *err)
{
	struct engine_resp resp = { 0 };
	int ret = container_call(eng, "GET", id, "/json", 0, &resp, err);

	*out = NULL;
	if (ret == 0)
		ret = parse_reply(&resp, "inspect container", out, err);
	nb_buf_free(&resp.body);
	return ret;
}

static bool wait_condition_ok(const char *c)
{
	return !strcmp(c, "not-running") || !strcmp(c, "next-exit") || !strcmp(c, "removed");
}

/* The reply is {"StatusCode": N, "Error": null | {"Message": "..."}}. */
static int wait_result(const cJSON *reply, const char *id, int *exit_code, struct nb_err *err)
{
	struct nb_err why = { 0 };
	const cJSON *error;
	const char *msg = "";
	int64_t code;

	if (json_get_int(reply, "StatusCode", INT_MIN, INT_MAX, &code, &why) < 0 ||
	    json_get_object_opt(reply, "Error", &error, &why) < 0 ||
	    (error && json_get_str_opt(error, "Message", "", &msg, &why) < 0))
		return nb_err_set(err, -EIO, "engine: wait for %s: unexpected reply: %s", id,
				  why.msg);
	if (*msg)
		return nb_err_set(err, -EIO, "engine: wait for %s: %s", id, msg);
	if (exit_code)
		*exit_code = (int)code;
	return 0;
}

int engine_container_wait(struct engine *eng, const char *id, const char *condition,
			  long timeout_ms, int *exit_code, struct nb_err *err)
{
	cleanup_free char *econd = NULL;
	cleanup_buf struct nb_buf suffix = { 0 };
	cleanup_cjson cJSON *reply = NULL;
	struct engine_resp resp = { 0 };
	int ret;

	if (!condition)
		condition = "not-running";
	if (!wait_condition_ok(condition))
		return nb_err_set(err, -EINVAL,
				  "wait condition \"%s\" is not not-running, next-exit or removed",
				  condition);
	if (timeout_ms < 0)
		return nb_err_set(err, -EINVAL, "wait timeout must not be negative");
	econd = engine_escape(condition);
	if (!econd || nb_buf_printf(&suffix, "/wait?condition=%s", econd) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = container_call(eng, "POST", id, suffix.data, timeout_ms, &resp, err);
	if (ret == 0)
		ret = parse_reply(&resp, "wait for container", &reply, err);
	nb_buf_free(&resp.body);
	if (ret < 0)
		return ret;
	return wait_result(reply, id, exit_code, err);
}

int engine_container_list(struct engine *eng, const char *label_filter, bool all, cJSON **out,
			  struct nb_err *err)
{
	cleanup_cjson cJSON *filters = NULL;
	cleanup_free char *text = NULL;
	cleanup_free char *etext = NULL;
	cleanup_buf struct nb_buf path = { 0 };
	cJSON *labels;
	int ret;

	*out = NULL;
	if (label_filter && !*label_filter)
		return nb_err_set(err, -EINVAL, "label filter is empty");
	if (label_filter) {
		/* {"label": ["key=value"]}, as the engine's filters argument wants. */
		filters = cJSON_CreateObject();
		labels = filters ? cJSON_AddArrayToObject(filters, "label") : NULL;
		if (!labels || !cJSON_AddItemToArray(labels, cJSON_CreateString(label_filter)) ||
		    !(text = json_print(filters)) || !(etext = engine_escape(text)))
			return nb_err_set(err, -ENOMEM, "out of memory");
	}
	if (nb_buf_printf(&path, "/containers/json?all=%d%s%s", all, etext ? "&filters=" : "",
			  etext ? etext : "") < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = engine_do_json(eng, "GET", path.data, NULL, out, err);
	if (ret < 0)
		return ret;
	if (!cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return nb_err_set(err, -EIO, "engine: list containers: reply is not a JSON array");
	}
	return 0;
}
