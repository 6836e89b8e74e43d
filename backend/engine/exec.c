/*
 * backend/engine/exec.c - exec create/start/inspect.
 * Start is a stream (the engine hijacks the connection and sends framed
 * output until the command exits), so it runs on engine_stream() and the
 * demuxer rather than buffering a reply of unknown size.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/engine/exec.h"
#include "backend/engine/engine_i.h"
#include "backend/engine/logs.h"

static cJSON *exec_spec(const char *const argv[], bool attach_out)
{
	cleanup_cjson cJSON *spec = cJSON_CreateObject();
	cJSON *cmd;

	if (!spec || json_add_bool(spec, "AttachStdin", false) < 0 ||
	    json_add_bool(spec, "AttachStdout", attach_out) < 0 ||
	    json_add_bool(spec, "AttachStderr", attach_out) < 0 ||
	    json_add_bool(spec, "Tty", false) < 0 || !(cmd = cJSON_AddArrayToObject(spec, "Cmd")))
		return NULL;
	for (size_t i = 0; argv[i]; i++)
		if (!cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i])))
			return NULL;
	return move_ptr(spec);
}

int engine_exec_create(struct engine *eng, const char *container, const char *const argv[],
		       bool attach_out, char exec_id[65], struct nb_err *err)
{
	cleanup_free char *eid = container ? engine_escape(container) : NULL;
	cleanup_buf struct nb_buf path = { 0 };
	cleanup_cjson cJSON *spec = NULL;
	cleanup_cjson cJSON *reply = NULL;
	int ret;

	if (!container || !*container)
		return nb_err_set(err, -EINVAL, "container id is empty");
	if (!argv || !argv[0] || !*argv[0])
		return nb_err_set(err, -EINVAL, "exec needs a command");
	spec = exec_spec(argv, attach_out);
	if (!eid || !spec || nb_buf_printf(&path, "/containers/%s/exec", eid) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = engine_do_json(eng, "POST", path.data, spec, &reply, err);
	if (ret < 0)
		return ret;
	return engine_reply_id(reply, "create exec", exec_id, err);
}

struct exec_ctx {
	struct engine_demux demux;
	struct nb_buf *bufs[3]; /* indexed by stream; [0] unused */
	size_t cap;
	size_t dropped;
	bool nomem;
};

static int exec_collect(int stream, const char *data, size_t len, void *ud)
{
	struct exec_ctx *ctx = ud;
	struct nb_buf *b = ctx->bufs[stream];
	size_t room, take;

	if (!b)
		return 0;
	room = b->len < ctx->cap ? ctx->cap - b->len : 0;
	take = len < room ? len : room;
	if (take && nb_buf_append(b, data, take) < 0) {
		ctx->nomem = true;
		return 1;
	}
	ctx->dropped += len - take;
	return 0;
}

static int exec_chunk(const char *data, size_t len, void *ud)
{
	struct exec_ctx *ctx = ud;

	return engine_demux_feed(&ctx->demux, data, len, exec_collect, ctx) != 0;
}

int engine_exec_start(struct engine *eng, const char *exec_id, struct nb_buf *out,
		      struct nb_buf *errout, size_t cap, long timeout_ms, struct nb_cancel *stop,
		      struct nb_err *err)
{
	static const char body[] = "{\"Detach\":false,\"Tty\":false}";
	cleanup_free char *eid = exec_id ? engine_escape(exec_id) : NULL;
	cleanup_buf struct nb_buf path = { 0 };
	struct exec_ctx ctx = { .bufs = { NULL, out, errout }, .cap = cap };
	struct engine_req req = {
		.method = "POST",
		.body = body,
		.body_len = sizeof(body) - 1,
		.timeout_ms = timeout_ms ? timeout_ms : ENGINE_TIMEOUT_MS,
	};
	int ret;

	if (!exec_id || !*exec_id)
		return nb_err_set(err, -EINVAL, "exec id is empty");
	if (timeout_ms < 0)
		return nb_err_set(err, -EINVAL, "exec timeout must not be negative");
	if (!eid || nb_buf_printf(&path, "/exec/%s/start", eid) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path.data;
	engine_demux_init(&ctx.demux, false);
	ret = engine_stream(eng, &req, exec_chunk, &ctx, stop, err);
	if (ret < 0)
		return ret;
	if (nb_cancelled(stop))
		return nb_err_set(err, -EINTR, "exec %s: interrupted", exec_id);
	if (ctx.nomem)
		return nb_err_set(err, -ENOMEM, "out of memory collecting exec output");
	if (engine_demux_end(&ctx.demux, err) < 0)
		return nb_err_wrap(err, "exec %s", exec_id);
	return ctx.dropped > INT_MAX ? INT_MAX : (int)ctx.dropped;
}

int engine_exec_inspect(struct engine *eng, const char *exec_id, int *exit_code, bool *running,
			struct nb_err *err)
{
	cleanup_free char *eid = exec_id ? engine_escape(exec_id) : NULL;
	cleanup_buf struct nb_buf path = { 0 };
	cleanup_cjson cJSON *reply = NULL;
	struct nb_err why = { 0 };
	const cJSON *code;
	bool run;
	int ret;

	if (!exec_id || !*exec_id)
		return nb_err_set(err, -EINVAL, "exec id is empty");
	if (!eid || nb_buf_printf(&path, "/exec/%s/json", eid) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = engine_do_json(eng, "GET", path.data, NULL, &reply, err);
	if (ret < 0)
		return ret;
	if (json_get_bool_opt(reply, "Running", false, &run, &why) < 0)
		return nb_err_set(err, -EIO, "engine: inspect exec %s: %s", exec_id, why.msg);
	/* ExitCode is null until the command has exited. */
	code = cJSON_GetObjectItemCaseSensitive(reply, "ExitCode");
	if (code && !cJSON_IsNull(code) && !cJSON_IsNumber(code))
		return nb_err_set(err, -EIO,
				  "engine: inspect exec %s: \"ExitCode\" is not a number", exec_id);
	if (running)
		*running = run;
	if (exit_code)
		*exit_code = run || !cJSON_IsNumber(code) ? -1 : code->valueint;
	return 0;
}

int engine_exec_pid(struct engine *eng, const char *exec_id, long *pid, struct nb_err *err)
{
	cleanup_free char *eid = exec_id ? engine_escape(exec_id) : NULL;
	cleanup_buf struct nb_buf path = { 0 };
	cleanup_cjson cJSON *reply = NULL;
	const cJSON *p;
	int ret;

	if (!exec_id || !*exec_id)
		return nb_err_set(err, -EINVAL, "exec id is empty");
	if (!eid || nb_buf_printf(&path, "/exec/%s/json", eid) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = engine_do_json(eng, "GET", path.data, NULL, &reply, err);
	if (ret < 0)
		return ret;
	p = cJSON_GetObjectItemCaseSensitive(reply, "Pid");
	*pid = cJSON_IsNumber(p) ? (long)p->valuedouble : 0;
	return 0;
}
