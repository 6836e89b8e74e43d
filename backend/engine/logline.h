/*
 * backend/engine/logline.h - the engine's log stream ("logs with
 * timestamps"), line by line: its RFC 3339 message times, and whole lines
 * out of framed messages, dropping what a resumed reader already has.
 * Pure: no I/O, no locks.
 */
#ifndef NB_ENGINE_LOGLINE_H
#define NB_ENGINE_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/common/buf.h"

/* A log message's time, as the engine stamps it (nanoseconds since 1970, UTC). */
struct engine_ts {
	int64_t sec;
	int32_t nsec;
};

/*
 * Where a reader of the stream got to: the newest message time it has, and
 * how many messages with exactly that time it has. The count matters
 * because the engine stamps every 16 KB piece of a long line with the same
 * time.
 */
struct engine_logmark {
	struct engine_ts ts; /* {0, 0}: nothing yet */
	unsigned count;
};

/* Parses an RFC 3339 time ("2026-11-23T19:35:44.260766239Z", any fraction
 * length, "Z" or "+hh:mm"). Returns 0 or -EINVAL. Pure. */
int engine_ts_parse(const char *s, size_t len, struct engine_ts *out);

/* -1, 0 or 1 as a is before, equal to or after b. */
int engine_ts_cmp(const struct engine_ts *a, const struct engine_ts *b);

/* One complete line, timestamp stripped, without its newline. */
struct engine_line {
	const char *text;
	size_t len;
	bool has_ts;	     /* ts/nts are valid: at least one message had a time */
	struct engine_ts ts; /* the newest message time in the line */
	unsigned nts;	     /* how many of the line's messages carry exactly ts */
};

/* Returns 0 to go on, nonzero to stop: the feed returns that value. */
typedef int (*engine_line_cb)(void *ud, const struct engine_line *line);

#define ENGINE_LINE_MAX (1u << 20) /* a longer line is cut, so memory stays bounded */

/*
 * Turns one output stream (stdout or stderr, never both) of "logs with
 * timestamps" into lines. Each engine message starts with "<time> "; a
 * message without a newline (a long line's 16 KB piece) is held and the next
 * message's text continues it. Zero it, set the public fields, feed it;
 * engine_linebuf_free() releases the held line.
 */
struct engine_linebuf {
	bool timestamps;	       /* public: messages start with "<time> " */
	bool strip_cr;		       /* public: drop a "\r" before "\n" (TTY output) */
	struct engine_logmark *resume; /* public, may be NULL: messages at or before it are
					* dropped (count of them at exactly ts); shared by
					* a container's two streams, decremented as they skip */
	/* private */
	int state;
	char tsbuf[48];
	size_t tslen;
	struct nb_buf line;
	bool open; /* a message contributed to the held line */
	bool has_ts;
	struct engine_ts ts;
	unsigned nts;
};

/* Feeds the next len bytes of the stream; calls cb once per completed line.
 * Returns 0, cb's nonzero value, or -ENOMEM. Does not block. */
int engine_linebuf_feed(struct engine_linebuf *lb, const char *data, size_t len, engine_line_cb cb,
			void *ud);

/* Marks the end of an engine message (a frame): the next byte starts a new
 * message with its own time. Without it only a newline ends a message. */
void engine_linebuf_end_message(struct engine_linebuf *lb);

/* Emits the held partial line, if any, as a complete line. Returns 0 or cb's
 * nonzero value. */
int engine_linebuf_flush(struct engine_linebuf *lb, engine_line_cb cb, void *ud);

void engine_linebuf_free(struct engine_linebuf *lb);

#endif
