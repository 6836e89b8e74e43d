// SPDX-License-Identifier: MIT
/*
 * tools/lambda-rie/main.c - lambda-rie, a small AWS Lambda Runtime Interface Emulator for the local
 * image local/lambda-provided:al2023, where the real (Go) emulator cannot be
 * downloaded.
 *
 * It is PID 1 of the container. It listens on 0.0.0.0:8080 (or
 * $AWS_LAMBDA_RIE_PORT) and answers the one route that matters:
 *
 *   POST /2015-03-31/functions/function/invocations   body = the event
 *
 * Anything else gets a 404 with a small JSON body (GET / is the readiness
 * probe). Requests are served one at a time, as Lambda runs one invocation
 * per execution environment at a time; several kept-alive connections may be
 * open, but a request waits while another one's handler runs.
 *
 * The handler is argv[1], else $_HANDLER, as FILE.FUNCTION (split at the last
 * dot), the convention of AWS's custom-runtime tutorial: FILE.sh in
 * $LAMBDA_TASK_ROOT (default /var/task) is sourced by /bin/sh and its shell
 * function FUNCTION is called with the event as "$1":
 *
 *   /bin/sh -c '. "$LAMBDA_TASK_ROOT/$1.sh" && "$2" "$3"' sh FILE FUNCTION EVENT
 *
 * The event is also the handler's stdin (a memfd, so a handler that never
 * reads it cannot block us). Linux limits one argument to 128 KiB: a larger
 * event, or one holding a NUL byte, is passed as an empty "$1" and is then
 * only on stdin.
 *
 * The handler runs as sbx_user1051 (uid 993, gid 990) when we are root, in
 * $LAMBDA_TASK_ROOT, with HOME=/tmp, the container's environment plus
 * _X_AMZN_REQUEST_ID, in its own process group. Its stdout (at most 6291556
 * bytes) is the response body; its stderr is copied to ours as it comes and
 * its last 48 KiB are returned base64-encoded in X-Amz-Log-Result. Our own
 * START, END and REPORT lines around it go to stderr too: the engine reads
 * a container's stdout and stderr separately and may log a line of one
 * after a later line of the other, so only one stream keeps the handler's
 * output before its END in the container's log, where a caller that gets
 * no X-Amz-Log-Result reads it back. When the handler's shell exits, whatever is left in its
 * process group is killed, so that nothing of one invocation runs on into the next (Lambda would
 * freeze it instead).
 *
 * Errors, as the Invoke API reports them (HTTP 200 and X-Amz-Function-Error):
 *   - non-zero exit or death by a signal: the handler's stdout if it looks
 *     like a JSON object with "errorMessage" (a cheap check, not a parser),
 *     else Runtime.ExitError "... exit status N" / "... signal: killed",
 *     worded as Go's os/exec does since that is what AWS shows;
 *   - FILE.sh missing: Runtime.HandlerNotFound (clearer than sh's status 127);
 *   - stdout over 6291556 bytes: Function.ResponseSizeTooLarge.
 * A function missing from FILE.sh is sh's "not found", exit status 127.
 *
 * Nothing is bounded by time: the caller enforces timeouts by killing the
 * container. SIGTERM and SIGINT kill a running handler and exit(0).
 *
 * This file serves the connections and sets up; rie.h lists the others.
 * Built static by the Makefile ($(BUILD)/tools/lambda-rie) from every .c
 * here.
 */
#include "tools/lambda-rie/rie.h"

struct rie_state rie;

/* Answer every complete request buffered on C (a client may pipeline). */
static void conn_process(struct conn *c)
{
	for (;;) {
		size_t need;

		if (!c->head_len) {
			size_t hl = rie_head_end(c->in.data, c->in.len);
			int status;

			if (!hl && c->in.len <= MAX_HEAD)
				return;
			if (!hl || hl > MAX_HEAD) {
				rie_error_and_close(c, 431,
						    "{\"errorMessage\":\"Request header too "
						    "large\",\"errorType\":\"BadRequest\"}");
				return;
			}
			status = rie_parse_head(c->in.data, hl, &c->rq);
			if (status) {
				rie_error_and_close(c, status,
						    "{\"errorMessage\":\"Malformed HTTP "
						    "request\",\"errorType\":\"BadRequest\"}");
				return;
			}
			if (c->rq.transfer_encoding) {
				rie_error_and_close(c, 411,
						    "{\"errorMessage\":\"A Content-Length is "
						    "required\",\"errorType\":\"BadRequest\"}");
				return;
			}
			if (c->rq.length > MAX_EVENT) {
				/* Answered before the body is read; a 100-continue client
				 * then never sends it. */
				rie_error_and_close(
					c, 413,
					"{\"errorMessage\":\"Request must be smaller than "
					"6291456 bytes for the InvokeFunction operation\","
					"\"errorType\":\"RequestEntityTooLargeException\"}");
				return;
			}
			c->head_len = hl;
			c->continued = false;
		}
		need = c->head_len + (size_t)c->rq.length;
		if (c->in.len < need) {
			if (c->rq.expect_continue && !c->continued) {
				struct iovec iov = { .iov_base = "HTTP/1.1 100 Continue\r\n\r\n",
						     .iov_len = 25 };

				c->continued = true;
				if (rie_send_all(c->fd, &iov, 1) < 0)
					rie_conn_close(c);
			}
			return;
		}
		if (rie_dispatch(c, c->in.data + c->head_len, (size_t)c->rq.length) < 0) {
			rie_conn_close(c);
			return;
		}
		rie_buf_consume(&c->in, need);
		c->head_len = 0;
		if (!c->rq.keep_alive) {
			/* The request was read whole: a plain close loses nothing. */
			rie_conn_close(c);
			return;
		}
	}
}

/* Read what the client sent (one chunk: poll is level-triggered) and answer. */
static void conn_readable(struct conn *c)
{
	ssize_t n;

	rie_buf_reserve(&c->in, READ_CHUNK + 1);
	n = read(c->fd, c->in.data + c->in.len, READ_CHUNK);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		rie_conn_close(c); /* ECONNRESET and the like: the client is gone */
		return;
	}
	if (n == 0) {
		rie_conn_close(c);
		return;
	}
	c->in.len += (size_t)n;
	conn_process(c);
}

static struct conn *free_slot(void)
{
	struct conn *idle = NULL;

	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &rie.conns[i];

		if (c->fd < 0)
			return c;
		if (c->in.len == 0 && (!idle || c->last_used < idle->last_used))
			idle = c;
	}
	/* Full: a new client beats the stalest idle kept-alive one. */
	if (idle)
		rie_conn_close(idle);
	return idle;
}

static void accept_conn(void)
{
	struct conn *c;
	int fd, one = 1;

	fd = accept4(rie.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			rie_log("accept: %m"); /* EMFILE and the like: try again later */
		return;
	}
	/* Small answers in one writev: no Nagle delay against a delayed ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		rie_log("TCP_NODELAY: %m");
	c = free_slot();
	if (!c) {
		if (close(fd) < 0)
			rie_log("close: %m");
		return;
	}
	rie.clock++;
	*c = (struct conn){ .fd = fd, .last_used = rie.clock };
}

static bool can_accept(void)
{
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (rie.conns[i].fd < 0 || rie.conns[i].in.len == 0)
			return true;
	return false;
}

__attribute__((noreturn)) static void serve(void)
{
	struct pollfd p[1 + MAX_CONNS];

	for (;;) {
		p[0] = (struct pollfd){ .fd = can_accept() ? rie.listen_fd : -1, .events = POLLIN };
		for (size_t i = 0; i < MAX_CONNS; i++)
			p[1 + i] = (struct pollfd){ .fd = rie.conns[i].fd, .events = POLLIN };
		if (rie_poll(p, 1 + MAX_CONNS, -1) <= 0)
			continue;
		for (size_t i = 0; i < MAX_CONNS; i++)
			if (p[1 + i].revents && rie.conns[i].fd == p[1 + i].fd)
				conn_readable(&rie.conns[i]);
		if (p[0].revents)
			accept_conn();
	}
}

static int listen_port(void)
{
	const char *s = getenv("AWS_LAMBDA_RIE_PORT");
	char *end;
	long port;

	if (!s || !*s)
		return DEFAULT_PORT;
	errno = 0;
	port = strtol(s, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		rie_die("AWS_LAMBDA_RIE_PORT '%s' is not a port number", s);
	return (int)port;
}

static void setup_listener(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	rie.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rie.listen_fd < 0)
		rie_die("socket: %m");
	if (setsockopt(rie.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		rie_die("SO_REUSEADDR: %m");
	if (bind(rie.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rie_die("bind 0.0.0.0:%d: %m", port);
	if (listen(rie.listen_fd, 128) < 0)
		rie_die("listen: %m");
}

/* FILE.FUNCTION, split at the last dot. */
static void setup_handler(int argc, char **argv)
{
	const char *h = argc > 1 ? argv[1] : getenv("_HANDLER");
	char *dot;

	if (!h || !*h)
		rie_die("no handler: give FILE.FUNCTION as the argument or in _HANDLER");
	rie.file = strdup(h);
	if (!rie.file)
		rie_die("out of memory");
	dot = strrchr(rie.file, '.');
	if (!dot || dot == rie.file || !dot[1])
		rie_die("handler '%s' is not FILE.FUNCTION", h);
	*dot = '\0';
	rie.func = dot + 1;
	rie.task_root = getenv("LAMBDA_TASK_ROOT");
	if (!rie.task_root || !*rie.task_root)
		rie.task_root = "/var/task";
}

int main(int argc, char **argv)
{
	int port;

	rie_ensure_std_fds();
	for (size_t i = 0; i < MAX_CONNS; i++)
		rie.conns[i].fd = -1;
	setup_handler(argc, argv);
	port = listen_port();
	rie_setup_signals();
	rie.urandom_fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (rie.urandom_fd < 0)
		rie_die("/dev/urandom: %m");
	setup_listener(port);
	rie_log("listening on 0.0.0.0:%d, handler %s.%s in %s", port, rie.file, rie.func,
		rie.task_root);
	serve();
}
