/*
 * backend/engine/logs.h - container logs and the engine's stream framing.
 * A container without a TTY has its stdout and stderr multiplexed on one
 * connection in 8-byte-header frames (logs, attach, exec start); a TTY
 * container's output is raw. struct engine_demux undoes the framing for
 * chunks as they arrive, split anywhere, without buffering a whole frame.
 */
#ifndef NB_ENGINE_LOGS_H
#define NB_ENGINE_LOGS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/common/err.h"
#include "backend/engine/engine.h"

#define ENGINE_STDOUT 1
#define ENGINE_STDERR 2

/* A frame bigger than this means we are reading something that is not a
 * multiplexed stream (the engine writes at most a few tens of KB per frame). */
#define ENGINE_DEMUX_FRAME_MAX (64u << 20)

/*
 * Gets each piece of frame payload, in order: stream is ENGINE_STDOUT or
 * ENGINE_STDERR (stdin frames, which the engine never sends on these
 * endpoints, count as stdout), len > 0. One frame may arrive as several
 * pieces. Returns 0 to go on, nonzero to stop: engine_demux_feed() then
 * returns that value.
 */
typedef int (*engine_demux_cb)(int stream, const char *data, size_t len, void *ud);

struct engine_demux {
	bool raw;	      /* TTY passthrough: everything is stdout */
	unsigned char hdr[8]; /* the header being collected */
	size_t hdr_len;	      /* header bytes collected so far */
	uint32_t remaining;   /* payload bytes left in the current frame */
	int stream;	      /* the current frame's stream */
	int error;	      /* sticky: 0 or -EPROTO */
	char why[96];	      /* reason for error, for the caller's message */
};

/* Starts a demuxer at a frame boundary; tty selects raw passthrough. */
void engine_demux_init(struct engine_demux *d, bool tty);

/*
 * Feeds the next len bytes of the stream. Returns 0 when all were consumed,
 * the callback's nonzero value when it asked to stop, or -EPROTO on a bad
 * header (stream byte not 0/1/2, nonzero padding, frame over
 * ENGINE_DEMUX_FRAME_MAX), with the reason in d->why. After an error every
 * later feed fails the same way. Does not block.
 */
int engine_demux_feed(struct engine_demux *d, const char *data, size_t len, engine_demux_cb cb,
		      void *ud);

/* Checks the stream ended at a frame boundary: 0, or -EPROTO when it ended
 * inside a header or a payload, or after an earlier error. */
int engine_demux_end(const struct engine_demux *d, struct nb_err *err);

struct engine_logs_opts {
	bool follow;  /* keep streaming new output until the container stops */
	bool stdout_; /* at least one of stdout_ and stderr_ */
	bool stderr_;
	bool timestamps;  /* prefix each line with an RFC 3339 timestamp */
	long since;	  /* unix seconds; 0: from the start */
	const char *tail; /* "all" or a line count; NULL: "all" */
	bool tty;	  /* the container has a TTY: output is raw, not framed */
};

/*
 * GET /containers/{id}/logs, demultiplexed into cb as it arrives. Returns 0
 * when the engine ends the stream (a stopped container, or !follow), when cb
 * returns nonzero, or when stop (may be NULL) fires; -ENOENT for an unknown container, -EPROTO for
 * a corrupt stream, -EINVAL for bad opts. Blocks; call it from a thread that can wait.
 */
int engine_container_logs(struct engine *eng, const char *id, const struct engine_logs_opts *opts,
			  engine_demux_cb cb, void *ud, struct nb_cancel *stop, struct nb_err *err);

#endif
