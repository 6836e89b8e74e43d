/*
 * backend/lambda/runlogs.c - an invocation's output from the container's
 * log, for runtimes that do not hand it back in X-Amz-Log-Result (AWS's
 * own emulator prints it instead). The lines timestamped from the
 * invocation's start on are kept, but for the runtime's own START, END and
 * REPORT lines: nimbusfs writes its own. The read ends at the runtime's END
 * line: the one naming this invocation's request id when the runtime uses
 * the id nimbusfs sent (the local emulator does), else any (AWS's emulator
 * makes up its own ids), so a previous invocation's END logged late never
 * ends this one's read early.
 *
 * The engine keeps a container's stdout and stderr in one log but reads the
 * two pipes independently and stamps each line when it reads it: a line
 * written to stderr before the END on stdout can be logged, and stamped,
 * after it. Only lines of the END's own stream are sure to be in the log
 * once the END is; the local emulator therefore writes its START, END and
 * REPORT lines where it copies the handler's output, to stderr.
 */
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "backend/engine/logline.h"
#include "backend/engine/logs.h"
#include "backend/lambda/runlogs.h"

/* The runtime prints END when the invocation is over; the engine's log may
 * lag behind the response a little. */
#define RUNLOGS_TRIES	20
#define RUNLOGS_WAIT_US 5000
#define RUNLOGS_MAX	(256u * 1024)

struct collect {
	struct nb_buf raw;
};

static int on_chunk(int stream, const char *data, size_t len, void *ud)
{
	struct collect *c = ud;

	(void)stream;
	if (c->raw.len + len > RUNLOGS_MAX)
		return 1;
	return nb_buf_append(&c->raw, data, len) < 0;
}

static bool runtime_line(const char *text, size_t len)
{
	static const char *const marks[] = { "START RequestId: ", "END RequestId: ",
					     "REPORT RequestId: " };

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (len >= strlen(marks[i]) && memcmp(text, marks[i], strlen(marks[i])) == 0)
			return true;
	return false;
}

/* Calls fn for each line of raw[0..len) stamped at or after since, with
 * its text (after the timestamp); stops when fn returns true. */
static void each_line(const char *raw, size_t len, const struct engine_ts *since,
		      bool (*fn)(const char *text, size_t tlen, void *ud), void *ud)
{
	const char *p = raw, *end = raw + len;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		struct engine_ts ts;

		if (sp && engine_ts_parse(p, (size_t)(sp - p), &ts) == 0 &&
		    engine_ts_cmp(&ts, since) >= 0 && fn(sp + 1, (size_t)(eol - sp - 1), ud))
			return;
		p = nl ? nl + 1 : end;
	}
}

struct scan {
	const char *id; /* this invocation's request id */
	bool named;	/* the runtime names it (START or END RequestId: id) */
	bool ended;
	struct nb_buf *out;
};

/* "MARK<id>" followed by the end of the line or a blank. */
static bool names(const char *text, size_t tlen, const char *mark, const char *id)
{
	size_t m = strlen(mark), n = strlen(id);

	return tlen >= m + n && memcmp(text, mark, m) == 0 && memcmp(text + m, id, n) == 0 &&
	       (tlen == m + n || text[m + n] == ' ' || text[m + n] == '\t' || text[m + n] == '\r');
}

static bool find_name(const char *text, size_t tlen, void *ud)
{
	struct scan *s = ud;

	s->named = names(text, tlen, "START RequestId: ", s->id) ||
		   names(text, tlen, "END RequestId: ", s->id);
	return s->named;
}

static bool collect_line(const char *text, size_t tlen, void *ud)
{
	struct scan *s = ud;

	if (!runtime_line(text, tlen)) {
		nb_buf_append(s->out, text, tlen);
		nb_buf_puts(s->out, "\n");
	} else if (memcmp(text, "END ", 4) == 0 &&
		   (!s->named || names(text, tlen, "END RequestId: ", s->id))) {
		s->ended = true;
	}
	return false;
}

bool lambda_runlogs_keep(const char *raw, size_t len, const struct engine_ts *since,
			 const char *request_id, struct nb_buf *out)
{
	struct scan s = { .id = request_id, .out = out };

	each_line(raw, len, since, find_name, &s);
	each_line(raw, len, since, collect_line, &s);
	return s.ended;
}

int lambda_runlogs_fetch(struct engine *eng, const char *container, const struct timespec *start,
			 const char *request_id, struct nb_buf *out)
{
	struct engine_logs_opts opts = {
		.stdout_ = true,
		.stderr_ = true,
		.timestamps = true,
		.since = start->tv_sec,
	};
	struct engine_ts since = { start->tv_sec, (int32_t)start->tv_nsec };
	int ret = 0;

	for (int i = 0; i < RUNLOGS_TRIES; i++) {
		struct collect c = { 0 };
		bool ended;

		ret = engine_container_logs(eng, container, &opts, on_chunk, &c, NULL, NULL);
		nb_buf_reset(out);
		ended = lambda_runlogs_keep(c.raw.data, c.raw.len, &since, request_id, out);
		nb_buf_free(&c.raw);
		if (ret < 0 || ended)
			break;
		usleep(RUNLOGS_WAIT_US);
	}
	return ret;
}
