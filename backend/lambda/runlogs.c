/*
 * backend/lambda/runlogs.c - an invocation's output from the container's
 * log, for runtimes that do not hand it back in X-Amz-Log-Result (AWS's
 * own emulator prints it instead). The lines timestamped from the
 * invocation's start on are kept, but for the runtime's own START, END and
 * REPORT lines: nimbusfs writes its own.
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

/* Keeps the lines of raw stamped at or after since; true when the
 * runtime's END line is among them. */
static bool keep(const struct nb_buf *raw, const struct engine_ts *since, struct nb_buf *out)
{
	const char *p = raw->data, *end = raw->data + raw->len;
	bool ended = false;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *sp = memchr(p, ' ', (size_t)((nl ? nl : end) - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		struct engine_ts ts;

		if (sp && engine_ts_parse(p, (size_t)(sp - p), &ts) == 0 &&
		    engine_ts_cmp(&ts, since) >= 0) {
			const char *text = sp + 1;
			size_t tlen = len - (size_t)(text - p);

			if (!runtime_line(text, tlen)) {
				nb_buf_append(out, text, tlen);
				nb_buf_puts(out, "\n");
			} else if (memcmp(text, "END ", 4) == 0) {
				/* AWS's emulator names its own request id: any END
				 * after the start is this invocation's. */
				ended = true;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return ended;
}

int lambda_runlogs_fetch(struct engine *eng, const char *container, const struct timespec *start,
			 struct nb_buf *out)
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
		ended = keep(&c.raw, &since, out);
		nb_buf_free(&c.raw);
		if (ret < 0 || ended)
			break;
		usleep(RUNLOGS_WAIT_US);
	}
	return ret;
}
