// SPDX-License-Identifier: MIT
/*
 * tools/lambda-rie/invoke.c - the invoke route: runs the handler for a
 * request and answers as the Invoke API does, with Lambda's errors, the
 * log tail and the START, END and REPORT lines.
 */
#include "tools/lambda-rie/rie.h"

static void new_uuid(char out[37])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = read(rie.urandom_fd, r + got, sizeof(r) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rie_die("reading /dev/urandom: %m");
		got += (size_t)n;
	}
	r[6] = (r[6] & 0x0f) | 0x40; /* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
}

/* Go's os/exec wording: "exit status 2", "signal: killed". */
static void describe_status(struct buf *b, int status)
{
	static const char *const names[] = {
		[SIGHUP] = "hangup",
		[SIGINT] = "interrupt",
		[SIGQUIT] = "quit",
		[SIGILL] = "illegal instruction",
		[SIGTRAP] = "trace/breakpoint trap",
		[SIGABRT] = "aborted",
		[SIGBUS] = "bus error",
		[SIGFPE] = "floating point exception",
		[SIGKILL] = "killed",
		[SIGUSR1] = "user defined signal 1",
		[SIGSEGV] = "segmentation fault",
		[SIGUSR2] = "user defined signal 2",
		[SIGPIPE] = "broken pipe",
		[SIGALRM] = "alarm clock",
		[SIGTERM] = "terminated",
		[SIGSTKFLT] = "stack fault",
		[SIGXCPU] = "CPU time limit exceeded",
		[SIGXFSZ] = "file size limit exceeded",
		[SIGVTALRM] = "virtual timer expired",
		[SIGPROF] = "profiling timer expired",
		[SIGSYS] = "bad system call",
	};
	int sig;

	if (WIFEXITED(status)) {
		rie_buf_printf(b, "exit status %d", WEXITSTATUS(status));
		return;
	}
	sig = WTERMSIG(status);
	if (sig > 0 && (size_t)sig < sizeof(names) / sizeof(names[0]) && names[sig])
		rie_buf_printf(b, "signal: %s", names[sig]);
	else
		rie_buf_printf(b, "signal: signal %d", sig);
	if (WCOREDUMP(status))
		rie_buf_puts(b, " (core dumped)");
}

/* Does the handler's stdout look like a JSON error object of its own? */
static bool is_error_object(const struct buf *out)
{
	size_t a = 0, b = out->len;

	while (a < b && isspace((unsigned char)out->data[a]))
		a++;
	while (b > a && isspace((unsigned char)out->data[b - 1]))
		b--;
	return b - a >= 2 && out->data[a] == '{' && out->data[b - 1] == '}' &&
	       memmem(out->data + a, b - a, "\"errorMessage\"", 14);
}

static void error_body(struct buf *b, const char *id, const char *message, const char *type)
{
	rie_buf_puts(b, "{\"errorMessage\":\"RequestId: ");
	rie_buf_json_escape(b, id);
	rie_buf_puts(b, " Error: ");
	rie_buf_json_escape(b, message);
	rie_buf_puts(b, "\",\"errorType\":\"");
	rie_buf_json_escape(b, type);
	rie_buf_puts(b, "\"}");
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t) < 0)
		rie_die("clock_gettime: %m");
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Run the handler for the request on C and answer it. Returns -1 if C broke. */
static int invoke(struct conn *c, const char *event, size_t len)
{
	static struct invocation inv; /* static: the 48 KiB tail is not stack material */
	struct buf body = { 0 }, extra = { 0 }, msg = { 0 };
	const char *error = NULL;
	char uuid[37];
	struct timespec t0;
	long mb;
	int r;

	inv = (struct invocation){ .event = event, .event_len = len };
	if (c->rq.id[0]) {
		inv.id = c->rq.id;
	} else {
		new_uuid(uuid);
		inv.id = uuid;
	}
	/* On stderr, where the handler's output goes: see the header. */
	dprintf(STDERR_FILENO, "START RequestId: %s Version: $LATEST\n", inv.id);
	if (clock_gettime(CLOCK_MONOTONIC, &t0) < 0)
		rie_die("clock_gettime: %m");
	rie_run_handler(&inv);

	if (inv.not_found) {
		rie_buf_puts(&msg, "Handler file not found: ");
		rie_buf_puts(&msg, inv.script);
		error_body(&body, inv.id, msg.data, "Runtime.HandlerNotFound");
		error = "Unhandled";
	} else if (!WIFEXITED(inv.status) || WEXITSTATUS(inv.status) != 0) {
		error = "Unhandled";
		if (!inv.out_overflow && is_error_object(&inv.out)) {
			rie_buf_append(&body, inv.out.data, inv.out.len);
		} else {
			rie_buf_puts(&msg, "Runtime exited with error: ");
			describe_status(&msg, inv.status);
			error_body(&body, inv.id, msg.data, "Runtime.ExitError");
		}
	} else if (inv.out_overflow) {
		error = "Unhandled";
		rie_buf_puts(&body,
			     "{\"errorMessage\":\"Response payload size exceeded maximum allowed "
			     "payload size (6291556 bytes).\",\"errorType\":\"Function."
			     "ResponseSizeTooLarge\"}");
	} else if (inv.out.len) {
		rie_buf_append(&body, inv.out.data, inv.out.len);
	}

	/* ru_maxrss is in KiB; rounded up to MiB, at least 1 as Lambda reports. */
	mb = (inv.ru.ru_maxrss + 1023) / 1024;
	if (mb < 1)
		mb = 1;
	rie_buf_puts(&extra, "X-Amzn-RequestId: ");
	rie_buf_puts(&extra, inv.id);
	rie_buf_puts(&extra, "\r\n");
	if (error)
		rie_buf_printf(&extra, "X-Amz-Function-Error: %s\r\n", error);
	rie_buf_puts(&extra, "X-Amz-Executed-Version: $LATEST\r\n");
	/* NIMBUSFS_RIE_NO_LOG_RESULT makes it answer as AWS's emulator does,
	 * with the output only in the container's log. */
	if (!getenv("NIMBUSFS_RIE_NO_LOG_RESULT")) {
		rie_buf_puts(&extra, "X-Amz-Log-Result: ");
		rie_buf_base64(&extra, (const unsigned char *)inv.tail, inv.tail_len);
		rie_buf_puts(&extra, "\r\n");
	}
	rie_buf_printf(&extra, "X-Nimbusfs-Max-Memory-Used-MB: %ld\r\n", mb);
	dprintf(STDERR_FILENO, "END RequestId: %s\n", inv.id);
	dprintf(STDERR_FILENO, "REPORT RequestId: %s\tDuration: %.2f ms\tMax Memory Used: %ld MB\n",
		inv.id, ms_since(&t0), mb);

	r = rie_send_response(c, 200, extra.data, body.data, body.len, c->rq.keep_alive);
	rie_buf_free(&inv.out);
	rie_buf_free(&body);
	rie_buf_free(&extra);
	rie_buf_free(&msg);
	return r;
}

/* One complete request on C. Returns -1 if the connection is to be closed. */
int rie_dispatch(struct conn *c, const char *body, size_t len)
{
	static const char not_found[] =
		"{\"errorMessage\":\"Not found: the only route is POST " INVOKE_PATH
		"\",\"errorType\":\"ResourceNotFoundException\"}";

	rie.clock++;
	c->last_used = rie.clock;
	if (c->rq.invoke)
		return invoke(c, body, len);
	return rie_send_response(c, 404, NULL, not_found, sizeof(not_found) - 1, c->rq.keep_alive);
}
