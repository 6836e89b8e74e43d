/*
 * backend/engine/stream.c - streaming requests (events, logs, attach): a
 * handle of their own driven by a multi handle, so a cancel token ends one
 * at once even when no data flows, and an idle one costs no wakeups.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "backend/common/cleanup.h"
#include "backend/engine/engine.h"
#include "backend/engine/engine_i.h"

/* A stream's poll wakes for data, curl's own timers, its cancel token,
 * or at the latest after this: a safety net, not a polling interval, so
 * idle streams cost nothing. */
#define STREAM_POLL_MS 5000

struct stream_ctx {
	CURL *h;
	engine_stream_cb cb;
	void *ud;
	bool delivered;	       /* a chunk went to cb since the last drained */
	int64_t opened_ms;     /* CLOCK_MONOTONIC when a 2xx answer's headers ended */
	long status;	       /* 0 until the first body byte */
	struct nb_buf errbody; /* body of a non-2xx reply */
	bool cb_stopped;
};

static size_t stream_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct stream_ctx *ctx = ud;
	size_t n = size * nmemb;

	if (!ctx->status)
		curl_easy_getinfo(ctx->h, CURLINFO_RESPONSE_CODE, &ctx->status);
	if (ctx->status >= 300)
		return ctx->errbody.len + n > 65536 || nb_buf_append(&ctx->errbody, data, n) < 0
			       ? 0
			       : n;
	ctx->delivered = true;
	if (ctx->cb(data, n, ctx->ud)) {
		ctx->cb_stopped = true;
		return 0;
	}
	return n;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Notes when a 2xx answer's headers end: the stream is open from there. */
static size_t stream_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct stream_ctx *ctx = ud;
	size_t n = size * nmemb;
	long status = 0;

	if ((n == 2 && data[0] == '\r') || (n == 1 && data[0] == '\n')) {
		curl_easy_getinfo(ctx->h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300 && !ctx->opened_ms)
			ctx->opened_ms = mono_ms();
	}
	return n;
}

/* A stream's poll returns at once once its cancel token fires. */
static void stream_wake(void *multi)
{
	curl_multi_wakeup(multi); /* sticky: a later poll returns at once */
}

int engine_stream(struct engine *eng, const struct engine_req *req, engine_stream_cb cb, void *ud,
		  struct nb_cancel *stop, struct nb_err *err)
{
	return engine_stream_hooked(eng, req, cb, NULL, ud, stop, err);
}

/* Tells a batching caller that the read it was handed is over. */
static bool stream_drained(struct stream_ctx *ctx, const struct engine_stream_hooks *hooks)
{
	if (!hooks || !hooks->drained || !ctx->delivered)
		return false;
	ctx->delivered = false;
	if (hooks->drained(ctx->ud)) {
		ctx->cb_stopped = true;
		return true;
	}
	return false;
}

/* Calls settled once the stream has been open long enough; returns how
 * long the next wait may be so that it is not late. */
static int stream_settle(struct stream_ctx *ctx, const struct engine_stream_hooks *hooks,
			 bool *settled)
{
	int64_t left;

	if (*settled || !hooks || !hooks->settled || !ctx->opened_ms)
		return STREAM_POLL_MS;
	left = ctx->opened_ms + hooks->settle_ms - mono_ms();
	if (left > 0)
		return left < STREAM_POLL_MS ? (int)left : STREAM_POLL_MS;
	*settled = true;
	hooks->settled(ctx->ud);
	return STREAM_POLL_MS;
}

int engine_stream_hooked(struct engine *eng, const struct engine_req *req, engine_stream_cb cb,
			 const struct engine_stream_hooks *hooks, void *ud, struct nb_cancel *stop,
			 struct nb_err *err)
{
	bool settled = false;
	struct nb_cancel_hook waker = { .fn = stream_wake };
	cleanup_slist struct curl_slist *headers = NULL;
	cleanup_free char *url = engine_build_url(eng, req->path, true);
	struct stream_ctx ctx = { .cb = cb, .ud = ud };
	char errbuf[CURL_ERROR_SIZE];
	CURLM *multi = NULL;
	CURLcode rc = CURLE_OK;
	int running = 1, ret = 0;
	CURLMsg *msg;
	int left;

	if (!url)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ctx.h = curl_easy_init();
	multi = curl_multi_init();
	if (!ctx.h || !multi) {
		ret = nb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (engine_setup_handle(eng, ctx.h, req, url, &headers, errbuf) < 0) {
		ret = nb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (req->timeout_ms)
		curl_easy_setopt(ctx.h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(ctx.h, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(ctx.h, CURLOPT_WRITEDATA, &ctx);
	curl_easy_setopt(ctx.h, CURLOPT_HEADERFUNCTION, stream_header);
	curl_easy_setopt(ctx.h, CURLOPT_HEADERDATA, &ctx);
	curl_multi_add_handle(multi, ctx.h);
	waker.ud = multi;
	nb_cancel_hook_add(stop, &waker);
	while (running) {
		if (nb_cancelled(stop))
			break;
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			rc = CURLE_RECV_ERROR;
			break;
		}
		if (stream_drained(&ctx, hooks) || !running)
			break;
		curl_multi_poll(multi, NULL, 0, stream_settle(&ctx, hooks, &settled), NULL);
	}
	while ((msg = curl_multi_info_read(multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	nb_cancel_hook_del(stop, &waker);
	curl_multi_remove_handle(multi, ctx.h);
	if (!ctx.status)
		curl_easy_getinfo(ctx.h, CURLINFO_RESPONSE_CODE, &ctx.status);
	if (ctx.cb_stopped || nb_cancelled(stop))
		ret = 0;
	else if (rc != CURLE_OK)
		ret = engine_curl_error(eng, ctx.h, rc, errbuf, err);
	else
		ret = engine_status_error(eng, req, ctx.status, &ctx.errbody, err);
out:
	nb_buf_free(&ctx.errbody);
	if (multi)
		curl_multi_cleanup(multi);
	if (ctx.h)
		curl_easy_cleanup(ctx.h);
	return ret;
}
