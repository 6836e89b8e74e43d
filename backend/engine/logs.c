/*
 * backend/engine/logs.c - the multiplexed-stream demuxer and container logs.
 * The demuxer is a two-state machine (collecting a header, passing payload)
 * so a frame may be split anywhere by the network, even inside its header,
 * and payload is handed on as it comes instead of being buffered.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/engine/logs.h"

void engine_demux_init(struct engine_demux *d, bool tty)
{
	memset(d, 0, sizeof(*d));
	d->raw = tty;
}

static int demux_fail(struct engine_demux *d, const char *what)
{
	const unsigned char *h = d->hdr;

	snprintf(d->why, sizeof(d->why),
		 "%s in frame header %02x %02x %02x %02x %02x %02x %02x %02x", what, h[0], h[1],
		 h[2], h[3], h[4], h[5], h[6], h[7]);
	d->error = -EPROTO;
	return d->error;
}

/* Validates a complete header and starts its frame. */
static int demux_header(struct engine_demux *d)
{
	const unsigned char *h = d->hdr;
	uint32_t size = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];

	if (h[0] > 2)
		return demux_fail(d, "bad stream byte");
	/* The engine always zeroes these; text read as a header rarely does. */
	if (h[1] || h[2] || h[3])
		return demux_fail(d, "nonzero padding");
	if (size > ENGINE_DEMUX_FRAME_MAX)
		return demux_fail(d, "oversized frame");
	d->stream = h[0] == ENGINE_STDERR ? ENGINE_STDERR : ENGINE_STDOUT;
	d->remaining = size;
	d->hdr_len = 0;
	return 0;
}

int engine_demux_feed(struct engine_demux *d, const char *data, size_t len, engine_demux_cb cb,
		      void *ud)
{
	size_t n;
	int ret;

	if (d->error)
		return d->error;
	if (d->raw)
		return len ? cb(ENGINE_STDOUT, data, len, ud) : 0;
	while (len) {
		if (d->remaining == 0) {
			n = sizeof(d->hdr) - d->hdr_len;
			n = n < len ? n : len;
			memcpy(d->hdr + d->hdr_len, data, n);
			d->hdr_len += n;
			data += n;
			len -= n;
			if (d->hdr_len == sizeof(d->hdr) && (ret = demux_header(d)) < 0)
				return ret;
			continue;
		}
		n = d->remaining < len ? d->remaining : len;
		d->remaining -= (uint32_t)n;
		ret = cb(d->stream, data, n, ud);
		if (ret)
			return ret;
		data += n;
		len -= n;
	}
	return 0;
}

int engine_demux_end(const struct engine_demux *d, struct nb_err *err)
{
	if (d->error)
		return nb_err_set(err, d->error, "engine stream: %s", d->why);
	if (d->hdr_len)
		return nb_err_set(err, -EPROTO,
				  "engine stream ended inside a frame header (%zu of 8 bytes)",
				  d->hdr_len);
	if (d->remaining)
		return nb_err_set(err, -EPROTO,
				  "engine stream ended inside a frame (%u payload bytes missing)",
				  (unsigned)d->remaining);
	return 0;
}

struct logs_ctx {
	struct engine_demux demux;
	engine_demux_cb cb;
	void *ud;
	bool user_stopped; /* cb returned nonzero: not an error */
};

static int logs_chunk(const char *data, size_t len, void *ud)
{
	struct logs_ctx *ctx = ud;
	int ret = engine_demux_feed(&ctx->demux, data, len, ctx->cb, ctx->ud);

	if (ret && !ctx->demux.error)
		ctx->user_stopped = true;
	return ret != 0;
}

int engine_container_logs(struct engine *eng, const char *id, const struct engine_logs_opts *opts,
			  engine_demux_cb cb, void *ud, struct nb_cancel *stop, struct nb_err *err)
{
	cleanup_free char *eid = engine_escape(id);
	cleanup_free char *etail = engine_escape(opts->tail ? opts->tail : "all");
	cleanup_buf struct nb_buf path = { 0 };
	struct logs_ctx ctx = { .cb = cb, .ud = ud };
	struct engine_req req = { .method = "GET" };
	int ret;

	if (!opts->stdout_ && !opts->stderr_)
		return nb_err_set(err, -EINVAL, "logs: ask for stdout, stderr or both");
	if (opts->since < 0)
		return nb_err_set(err, -EINVAL, "logs: since must not be negative");
	if (!eid || !etail ||
	    nb_buf_printf(&path,
			  "/containers/%s/logs?follow=%d&stdout=%d&stderr=%d&timestamps=%d"
			  "&since=%ld&tail=%s",
			  eid, opts->follow, opts->stdout_, opts->stderr_, opts->timestamps,
			  opts->since, etail) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path.data;
	engine_demux_init(&ctx.demux, opts->tty);
	ret = engine_stream(eng, &req, logs_chunk, &ctx, stop, err);
	if (ret < 0)
		return ret;
	if (ctx.user_stopped || nb_cancelled(stop))
		return 0;
	if (engine_demux_end(&ctx.demux, err) < 0)
		return nb_err_wrap(err, "logs of %s", id);
	return 0;
}
