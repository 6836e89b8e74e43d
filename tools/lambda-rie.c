// SPDX-License-Identifier: MIT
/*
 * lambda-rie.c - a small AWS Lambda Runtime Interface Emulator for the local
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
 * Build: gcc -std=gnu11 -D_GNU_SOURCE -static -O2 -Wall -Wextra -Werror \
 *        -Wshadow -Wformat=2 -o build/tools/lambda-rie tools/lambda-rie.c
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PORT   8080
#define INVOKE_PATH    "/2015-03-31/functions/function/invocations"
#define MAX_EVENT      6291456u	   /* Lambda's synchronous request limit */
#define MAX_RESPONSE   6291556u	   /* and its response limit, as its message says */
#define MAX_HEAD       (64 * 1024) /* request line + headers */
#define LOG_TAIL       (48 * 1024)
#define MAX_ARG	       (128 * 1024) /* MAX_ARG_STRLEN, including the NUL */
#define MAX_CONNS      32
#define READ_CHUNK     (64 * 1024)
#define REQUEST_ID_MAX 128
#define SEND_STALL_MS  60000 /* a client that reads nothing for this long is dropped */
#define LINGER_MS      2000  /* how long a closing connection's extra input is drained */
#define SBX_UID	       993   /* sbx_user1051, as in Lambda */
#define SBX_GID	       990

struct buf {
	char *data;
	size_t len, cap;
};

struct request {
	char method[16];
	bool invoke; /* POST to the invocation route */
	uint64_t length;
	bool expect_continue;
	bool keep_alive;
	bool transfer_encoding;
	char id[REQUEST_ID_MAX + 1]; /* X-Amzn-RequestId, "" if absent or unusable */
};

struct conn {
	int fd; /* -1: free slot */
	struct buf in;
	size_t head_len; /* 0 until the head is complete */
	struct request rq;
	bool continued; /* 100 Continue sent for rq */
	uint64_t last_used;
};

/* One invocation's outcome. */
struct invocation {
	const char *id;
	const char *event;
	size_t event_len;
	struct buf out;
	bool out_overflow;
	char tail[LOG_TAIL];
	size_t tail_len;
	bool not_found;
	char script[4096];
	int status;
	struct rusage ru;
};

static struct {
	int sigfd;
	int listen_fd;
	int urandom_fd;
	const char *task_root;
	char *file; /* FILE of FILE.FUNCTION */
	char *func;
	pid_t child; /* the running handler's shell, 0 if none */
	bool child_done;
	int child_status;
	struct rusage child_ru;
	struct conn conns[MAX_CONNS];
	uint64_t clock; /* counts requests, for evicting the stalest idle connection */
} g;

/* --- messages and memory ---------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static void logmsg(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* dprintf, not stdio: nothing may sit in a buffer when we exit or fork. */
	dprintf(STDERR_FILENO, "lambda-rie: %s\n", msg);
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logmsg("error: %s", msg);
	if (g.child > 0 && !g.child_done)
		kill(-g.child, SIGKILL);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static void buf_reserve(struct buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 4096;

	if (b->len + extra <= b->cap)
		return;
	while (cap < b->len + extra)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

static void buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n + 1);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("formatting a message failed");
	buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void buf_consume(struct buf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

static void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}

/* JSON string contents: quotes, backslashes and control bytes escaped. */
static void buf_json_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\t')
			buf_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_append(b, s, 1);
	}
}

static void buf_base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];

	for (; n >= 3; p += 3, n -= 3) {
		q[0] = abc[p[0] >> 2];
		q[1] = abc[((p[0] & 3) << 4) | (p[1] >> 4)];
		q[2] = abc[((p[1] & 15) << 2) | (p[2] >> 6)];
		q[3] = abc[p[2] & 63];
		buf_append(b, q, 4);
	}
	if (n) {
		q[0] = abc[p[0] >> 2];
		q[1] = abc[((p[0] & 3) << 4) | (n == 2 ? p[1] >> 4 : 0)];
		q[2] = n == 2 ? abc[(p[1] & 15) << 2] : '=';
		q[3] = '=';
		buf_append(b, q, 4);
	}
}

/* --- process management -------------------------------------------------------- */

/*
 * Reap every exited child: as PID 1 we inherit the orphans of the handlers.
 * The handler's own shell is looked at first with WNOWAIT so that its
 * leftovers are killed while its zombie still pins the process group id
 * (after the reap the id could be reused).
 */
static void reap_children(void)
{
	int status;
	struct rusage ru;
	pid_t pid;

	if (g.child > 0 && !g.child_done) {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)g.child, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
			die("waitid %d: %m", (int)g.child);
		if (si.si_pid == g.child) {
			if (kill(-g.child, SIGKILL) < 0 && errno != ESRCH)
				logmsg("killing the handler's process group: %m");
			if (wait4(g.child, &g.child_status, 0, &g.child_ru) < 0)
				die("wait4 %d: %m", (int)g.child);
			g.child_done = true;
		}
	}
	for (;;) {
		pid = wait4(-1, &status, WNOHANG, &ru);
		if (pid == 0)
			return;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				return;
			die("wait4: %m");
		}
		if (pid == g.child && !g.child_done) { /* exited between the two calls */
			g.child_status = status;
			g.child_ru = ru;
			g.child_done = true;
		}
	}
}

__attribute__((noreturn)) static void terminate(int sig)
{
	/* The handler dies with us: a stop must not leave work running. */
	if (g.child > 0 && !g.child_done && kill(-g.child, SIGKILL) < 0 && errno != ESRCH)
		logmsg("killing the handler's process group: %m");
	logmsg("%s received, exiting", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	exit(0);
}

/* Everything queued on the signalfd: SIGCHLD reaps, SIGTERM/SIGINT exit. */
static void handle_signals(void)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(g.sigfd, &si, sizeof(si));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			die("reading the signalfd: %m");
		}
		if (n != sizeof(si))
			die("short read on the signalfd (%zd bytes)", n);
		if (si.ssi_signo == SIGCHLD)
			reap_children();
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			terminate((int)si.ssi_signo);
	}
}

/* Poll FDS plus the signalfd; signals are handled here. Returns poll's result. */
static int poll_with_signals(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct pollfd all[MAX_CONNS + 4];
	int r;

	if (n + 1 > sizeof(all) / sizeof(all[0]))
		die("poll_with_signals: %zu descriptors", (size_t)n);
	memcpy(all, fds, n * sizeof(*fds));
	all[n] = (struct pollfd){ .fd = g.sigfd, .events = POLLIN };
	do {
		r = poll(all, n + 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		die("poll: %m");
	if (all[n].revents) {
		handle_signals();
		r--;
	}
	for (nfds_t i = 0; i < n; i++)
		fds[i].revents = all[i].revents;
	return r;
}

static void set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		die("fcntl O_NONBLOCK: %m");
}

/* --- the handler ------------------------------------------------------------------ */

/* The event as a file: seekable, and never blocks a handler that ignores it. */
static int event_file(const char *event, size_t len)
{
	int fd = memfd_create("event", MFD_CLOEXEC);

	if (fd < 0) /* no memfd (old kernel, seccomp): an unlinked file in /tmp */
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		die("creating the event file: %m");
	while (len > 0) {
		ssize_t n = write(fd, event, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("writing the event file: %m");
		event += n;
		len -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		die("rewinding the event file: %m");
	return fd;
}

__attribute__((noreturn)) static void child_fail(const char *what)
{
	dprintf(STDERR_FILENO, "lambda-rie: %s: %s\n", what, strerror(errno));
	_exit(127);
}

/* In the forked child: become the handler. Never returns. */
__attribute__((noreturn)) static void child_exec(struct invocation *inv, int event_fd, int out_fd,
						 int err_fd)
{
	static char script[] = ". \"$LAMBDA_TASK_ROOT/$1.sh\" && \"$2\" \"$3\"";
	sigset_t none;
	char *argv[8];
	char *event;

	/* Blocked signals and ignored dispositions survive exec: undo ours. */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail("sigprocmask");
	if (signal(SIGPIPE, SIG_DFL) == SIG_ERR)
		child_fail("signal SIGPIPE");
	/* Our own group, so that killing it reaches the handler's children. */
	if (setpgid(0, 0) < 0)
		child_fail("setpgid");
	if (dup2(event_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		child_fail("dup2");
	if (chdir(g.task_root) < 0)
		child_fail(g.task_root);
	if (setenv("LAMBDA_TASK_ROOT", g.task_root, 1) < 0 || setenv("HOME", "/tmp", 1) < 0 ||
	    setenv("_X_AMZN_REQUEST_ID", inv->id, 1) < 0)
		child_fail("setenv");
	if (geteuid() == 0) {
		gid_t gid = SBX_GID;

		if (setgroups(1, &gid) < 0 || setgid(SBX_GID) < 0 || setuid(SBX_UID) < 0)
			child_fail("dropping privileges to uid 993 gid 990");
	}
	/* argv is built from separate strings: no shell ever parses user data. */
	event = "";
	if (inv->event_len < MAX_ARG && !memchr(inv->event, '\0', inv->event_len)) {
		event = malloc(inv->event_len + 1);
		if (!event)
			child_fail("malloc");
		memcpy(event, inv->event, inv->event_len);
		event[inv->event_len] = '\0';
	}
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = "sh"; /* $0 */
	argv[4] = g.file;
	argv[5] = g.func;
	argv[6] = event;
	argv[7] = NULL;
	execv("/bin/sh", argv);
	child_fail("exec /bin/sh");
}

static void tail_append(struct invocation *inv, const char *p, size_t n)
{
	if (n >= LOG_TAIL) {
		memcpy(inv->tail, p + n - LOG_TAIL, LOG_TAIL);
		inv->tail_len = LOG_TAIL;
		return;
	}
	if (inv->tail_len + n > LOG_TAIL) {
		size_t drop = inv->tail_len + n - LOG_TAIL;

		memmove(inv->tail, inv->tail + drop, inv->tail_len - drop);
		inv->tail_len -= drop;
	}
	memcpy(inv->tail + inv->tail_len, p, n);
	inv->tail_len += n;
}

/* Copy to our stderr (best effort: a broken log must not fail the invoke). */
static void copy_to_stderr(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* A message of ours that belongs in the invocation's log as well. */
__attribute__((format(printf, 2, 3))) static void inv_log(struct invocation *inv, const char *fmt,
							  ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	copy_to_stderr(msg, (size_t)n);
	tail_append(inv, msg, (size_t)n);
}

/*
 * Read once from *FD: 1 if data came, 0 if nothing is there now, -1 at EOF
 * (*FD is then closed and set to -1). stdout is kept up to the response limit
 * and drained beyond it, so the handler never blocks on a full pipe; stderr is
 * copied to ours and into the tail.
 */
static int read_pipe(struct invocation *inv, int *fd, bool is_stdout)
{
	char chunk[READ_CHUNK];
	ssize_t n;

	n = read(*fd, chunk, sizeof(chunk));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		die("reading the handler's %s: %m", is_stdout ? "stdout" : "stderr");
	}
	if (n == 0) {
		if (close(*fd) < 0)
			logmsg("close: %m");
		*fd = -1;
		return -1;
	}
	if (!is_stdout) {
		copy_to_stderr(chunk, (size_t)n);
		tail_append(inv, chunk, (size_t)n);
	} else if (!inv->out_overflow && inv->out.len + (size_t)n <= MAX_RESPONSE) {
		buf_append(&inv->out, chunk, (size_t)n);
	} else if (!inv->out_overflow) {
		inv->out_overflow = true;
		buf_free(&inv->out);
	}
	return 1;
}

/*
 * After the shell is gone (and its group killed): take what is still
 * buffered, then close. Bounded, in case a process that escaped the group
 * (setsid) keeps writing.
 */
static void drain_pipe(struct invocation *inv, int *fd, bool is_stdout)
{
	for (int i = 0; *fd >= 0 && i < 1024; i++)
		if (read_pipe(inv, fd, is_stdout) == 0)
			break;
	if (*fd >= 0 && close(*fd) < 0)
		logmsg("close: %m");
	*fd = -1;
}

/* Both pipes concurrently, so a chatty handler cannot deadlock against us. */
static void collect_output(struct invocation *inv, int out_fd, int err_fd)
{
	struct pollfd p[2];

	while (!g.child_done) {
		p[0] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = err_fd, .events = POLLIN };
		if (poll_with_signals(p, 2, -1) <= 0)
			continue;
		if (out_fd >= 0 && p[0].revents)
			read_pipe(inv, &out_fd, true);
		if (err_fd >= 0 && p[1].revents)
			read_pipe(inv, &err_fd, false);
	}
	drain_pipe(inv, &out_fd, true);
	drain_pipe(inv, &err_fd, false);
}

static void run_handler(struct invocation *inv)
{
	struct stat st;
	int out[2], err[2], event_fd;
	pid_t pid;

	snprintf(inv->script, sizeof(inv->script), "%s/%s.sh", g.task_root, g.file);
	if (stat(inv->script, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		inv->not_found = true;
		inv_log(inv, "lambda-rie: handler file %s not found\n", inv->script);
		return;
	}
	event_fd = event_file(inv->event, inv->event_len);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		die("pipe2: %m");
	g.child_done = false;
	pid = fork();
	if (pid < 0)
		die("fork: %m");
	if (pid == 0)
		child_exec(inv, event_fd, out[1], err[1]);
	g.child = pid;
	/* Also here, so the group exists before we ever signal it; EACCES means
	 * the child has exec'd already, having done it itself. */
	if (setpgid(pid, pid) < 0 && errno != EACCES && errno != ESRCH)
		logmsg("setpgid %d: %m", (int)pid);
	if (close(event_fd) < 0 || close(out[1]) < 0 || close(err[1]) < 0)
		die("close: %m");
	set_nonblock(out[0]);
	set_nonblock(err[0]);
	collect_output(inv, out[0], err[0]);
	inv->status = g.child_status;
	inv->ru = g.child_ru;
	g.child = 0;
}

/* --- HTTP ---------------------------------------------------------------------------- */

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 411:
		return "Length Required";
	case 413:
		return "Request Entity Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

/* Send everything or fail; a client that takes nothing for a minute is dropped. */
static int send_all(int fd, struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };

	while (msg.msg_iovlen > 0) {
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (n < 0) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			if (poll_with_signals(&p, 1, SEND_STALL_MS) == 0 && !p.revents)
				return -1;
			continue;
		}
		while (msg.msg_iovlen > 0 && (size_t)n >= msg.msg_iov->iov_len) {
			n -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen > 0) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* A response; EXTRA holds further header lines, each ending in CRLF. */
static int send_response(struct conn *c, int status, const char *extra, const char *body,
			 size_t len, bool keep_alive)
{
	struct buf head = { 0 };
	struct iovec iov[2];
	int r;

	buf_printf(&head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n", status,
		   reason(status));
	if (extra)
		buf_puts(&head, extra);
	buf_printf(&head, "Content-Length: %zu\r\nConnection: %s\r\n\r\n", len,
		   keep_alive ? "keep-alive" : "close");
	iov[0] = (struct iovec){ .iov_base = head.data, .iov_len = head.len };
	iov[1] = (struct iovec){ .iov_base = (void *)body, .iov_len = len };
	r = send_all(c->fd, iov, len ? 2 : 1);
	buf_free(&head);
	return r;
}

static void conn_close(struct conn *c)
{
	if (close(c->fd) < 0 && errno != EINTR)
		logmsg("close: %m");
	buf_free(&c->in);
	*c = (struct conn){ .fd = -1 };
}

/*
 * Close after an early answer (413, 400...): the client may still be sending
 * a body; closing with unread input would reset the connection and could
 * destroy our answer before the client reads it. So stop writing, and drain
 * for a little while first.
 */
static void linger_close(struct conn *c)
{
	char sink[READ_CHUNK];
	struct timespec start, now;

	if (shutdown(c->fd, SHUT_WR) < 0) {
		conn_close(c);
		return;
	}
	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		die("clock_gettime: %m");
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;
		long ms;

		if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
			die("clock_gettime: %m");
		ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= LINGER_MS || poll_with_signals(&p, 1, (int)(LINGER_MS - ms)) <= 0)
			break;
		n = read(c->fd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	conn_close(c);
}

static void error_and_close(struct conn *c, int status, const char *body)
{
	if (send_response(c, status, NULL, body, strlen(body), false) < 0) {
		conn_close(c);
		return;
	}
	linger_close(c);
}

/* Offset just past the blank line ending the head, or 0 if it is not all here. */
static size_t head_end(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Next line of [*pos, end): its start and length without CR LF. */
static const char *next_line(const char **pos, const char *end, size_t *len)
{
	const char *s = *pos, *nl = memchr(s, '\n', (size_t)(end - s));

	if (!nl)
		nl = end;
	*pos = nl < end ? nl + 1 : end;
	*len = (size_t)(nl - s);
	if (*len && s[*len - 1] == '\r')
		(*len)--;
	return s;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

/* Is TOKEN in the comma-separated list VALUE (case-insensitive)? */
static bool has_token(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token);

	while (len > 0) {
		const char *comma = memchr(v, ',', len);
		size_t item = comma ? (size_t)(comma - v) : len;
		size_t a = 0, b = item;

		while (a < b && (v[a] == ' ' || v[a] == '\t'))
			a++;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b - a == tl && strncasecmp(v + a, token, tl) == 0)
			return true;
		if (!comma)
			break;
		len -= item + 1;
		v = comma + 1;
	}
	return false;
}

/* Content-Length: digits only; huge values saturate (they get a 413). */
static int parse_length(const char *v, size_t len, uint64_t *out)
{
	uint64_t n = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		n = n > UINT64_MAX / 20 ? UINT64_MAX / 2 : n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return 0;
}

/* A request id we can echo in a header and in JSON: 1..128 visible ASCII. */
static void take_request_id(struct request *rq, const char *v, size_t len)
{
	if (len == 0 || len > REQUEST_ID_MAX)
		return;
	for (size_t i = 0; i < len; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return;
	memcpy(rq->id, v, len);
	rq->id[len] = '\0';
}

/* Parse the head [p, p+n). Returns 0 or the HTTP status to fail with. */
static int parse_head(const char *p, size_t n, struct request *rq)
{
	const char *end = p + n, *line, *sp1, *sp2, *target, *query;
	size_t len, tlen, mlen;
	bool http11, has_length = false, conn_close_tok = false, conn_keep = false;

	*rq = (struct request){ 0 };
	line = next_line(&p, end, &len);
	sp1 = memchr(line, ' ', len);
	if (!sp1)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(line + len - sp1 - 1));
	if (!sp2)
		return 400;
	mlen = (size_t)(sp1 - line);
	if (mlen == 0 || mlen >= sizeof(rq->method))
		return 400;
	memcpy(rq->method, line, mlen);
	target = sp1 + 1;
	tlen = (size_t)(sp2 - target);
	if ((size_t)(line + len - sp2 - 1) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return 505;
	if (sp2[8] != '0' && sp2[8] != '1')
		return 505;
	http11 = sp2[8] == '1';
	query = memchr(target, '?', tlen); /* ?Qualifier=... is accepted and ignored */
	if (query)
		tlen = (size_t)(query - target);
	rq->invoke = tlen == strlen(INVOKE_PATH) && memcmp(target, INVOKE_PATH, tlen) == 0 &&
		     strcmp(rq->method, "POST") == 0;

	while (p < end) {
		const char *colon, *v;
		size_t vlen;

		line = next_line(&p, end, &len);
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') /* obsolete line folding */
			return 400;
		colon = memchr(line, ':', len);
		if (!colon || colon == line)
			return 400;
		v = colon + 1;
		vlen = (size_t)(line + len - v);
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		len = (size_t)(colon - line);
		if (name_is(line, len, "Content-Length")) {
			uint64_t l;

			if (parse_length(v, vlen, &l) < 0 || (has_length && l != rq->length))
				return 400;
			rq->length = l;
			has_length = true;
		} else if (name_is(line, len, "Transfer-Encoding")) {
			rq->transfer_encoding = true;
		} else if (name_is(line, len, "Expect")) {
			rq->expect_continue =
				http11 && vlen == 12 && !strncasecmp(v, "100-continue", 12);
		} else if (name_is(line, len, "Connection")) {
			conn_close_tok |= has_token(v, vlen, "close");
			conn_keep |= has_token(v, vlen, "keep-alive");
		} else if (name_is(line, len, "X-Amzn-RequestId")) {
			take_request_id(rq, v, vlen);
		}
	}
	rq->keep_alive = http11 ? !conn_close_tok : conn_keep && !conn_close_tok;
	return 0;
}

static void new_uuid(char out[37])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = read(g.urandom_fd, r + got, sizeof(r) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("reading /dev/urandom: %m");
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
		buf_printf(b, "exit status %d", WEXITSTATUS(status));
		return;
	}
	sig = WTERMSIG(status);
	if (sig > 0 && (size_t)sig < sizeof(names) / sizeof(names[0]) && names[sig])
		buf_printf(b, "signal: %s", names[sig]);
	else
		buf_printf(b, "signal: signal %d", sig);
	if (WCOREDUMP(status))
		buf_puts(b, " (core dumped)");
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
	buf_puts(b, "{\"errorMessage\":\"RequestId: ");
	buf_json_escape(b, id);
	buf_puts(b, " Error: ");
	buf_json_escape(b, message);
	buf_puts(b, "\",\"errorType\":\"");
	buf_json_escape(b, type);
	buf_puts(b, "\"}");
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t) < 0)
		die("clock_gettime: %m");
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
		die("clock_gettime: %m");
	run_handler(&inv);

	if (inv.not_found) {
		buf_puts(&msg, "Handler file not found: ");
		buf_puts(&msg, inv.script);
		error_body(&body, inv.id, msg.data, "Runtime.HandlerNotFound");
		error = "Unhandled";
	} else if (!WIFEXITED(inv.status) || WEXITSTATUS(inv.status) != 0) {
		error = "Unhandled";
		if (!inv.out_overflow && is_error_object(&inv.out)) {
			buf_append(&body, inv.out.data, inv.out.len);
		} else {
			buf_puts(&msg, "Runtime exited with error: ");
			describe_status(&msg, inv.status);
			error_body(&body, inv.id, msg.data, "Runtime.ExitError");
		}
	} else if (inv.out_overflow) {
		error = "Unhandled";
		buf_puts(&body,
			 "{\"errorMessage\":\"Response payload size exceeded maximum allowed "
			 "payload size (6291556 bytes).\",\"errorType\":\"Function."
			 "ResponseSizeTooLarge\"}");
	} else if (inv.out.len) {
		buf_append(&body, inv.out.data, inv.out.len);
	}

	/* ru_maxrss is in KiB; rounded up to MiB, at least 1 as Lambda reports. */
	mb = (inv.ru.ru_maxrss + 1023) / 1024;
	if (mb < 1)
		mb = 1;
	buf_puts(&extra, "X-Amzn-RequestId: ");
	buf_puts(&extra, inv.id);
	buf_puts(&extra, "\r\n");
	if (error)
		buf_printf(&extra, "X-Amz-Function-Error: %s\r\n", error);
	buf_puts(&extra, "X-Amz-Executed-Version: $LATEST\r\n");
	/* NIMBUSFS_RIE_NO_LOG_RESULT makes it answer as AWS's emulator does,
	 * with the output only in the container's log. */
	if (!getenv("NIMBUSFS_RIE_NO_LOG_RESULT")) {
		buf_puts(&extra, "X-Amz-Log-Result: ");
		buf_base64(&extra, (const unsigned char *)inv.tail, inv.tail_len);
		buf_puts(&extra, "\r\n");
	}
	buf_printf(&extra, "X-Nimbusfs-Max-Memory-Used-MB: %ld\r\n", mb);
	dprintf(STDERR_FILENO, "END RequestId: %s\n", inv.id);
	dprintf(STDERR_FILENO, "REPORT RequestId: %s\tDuration: %.2f ms\tMax Memory Used: %ld MB\n",
		inv.id, ms_since(&t0), mb);

	r = send_response(c, 200, extra.data, body.data, body.len, c->rq.keep_alive);
	buf_free(&inv.out);
	buf_free(&body);
	buf_free(&extra);
	buf_free(&msg);
	return r;
}

/* One complete request on C. Returns -1 if the connection is to be closed. */
static int dispatch(struct conn *c, const char *body, size_t len)
{
	static const char not_found[] =
		"{\"errorMessage\":\"Not found: the only route is POST " INVOKE_PATH
		"\",\"errorType\":\"ResourceNotFoundException\"}";

	g.clock++;
	c->last_used = g.clock;
	if (c->rq.invoke)
		return invoke(c, body, len);
	return send_response(c, 404, NULL, not_found, sizeof(not_found) - 1, c->rq.keep_alive);
}

/* Answer every complete request buffered on C (a client may pipeline). */
static void conn_process(struct conn *c)
{
	for (;;) {
		size_t need;

		if (!c->head_len) {
			size_t hl = head_end(c->in.data, c->in.len);
			int status;

			if (!hl && c->in.len <= MAX_HEAD)
				return;
			if (!hl || hl > MAX_HEAD) {
				error_and_close(c, 431,
						"{\"errorMessage\":\"Request header too "
						"large\",\"errorType\":\"BadRequest\"}");
				return;
			}
			status = parse_head(c->in.data, hl, &c->rq);
			if (status) {
				error_and_close(c, status,
						"{\"errorMessage\":\"Malformed HTTP "
						"request\",\"errorType\":\"BadRequest\"}");
				return;
			}
			if (c->rq.transfer_encoding) {
				error_and_close(c, 411,
						"{\"errorMessage\":\"A Content-Length is "
						"required\",\"errorType\":\"BadRequest\"}");
				return;
			}
			if (c->rq.length > MAX_EVENT) {
				/* Answered before the body is read; a 100-continue client
				 * then never sends it. */
				error_and_close(
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
				if (send_all(c->fd, &iov, 1) < 0)
					conn_close(c);
			}
			return;
		}
		if (dispatch(c, c->in.data + c->head_len, (size_t)c->rq.length) < 0) {
			conn_close(c);
			return;
		}
		buf_consume(&c->in, need);
		c->head_len = 0;
		if (!c->rq.keep_alive) {
			/* The request was read whole: a plain close loses nothing. */
			conn_close(c);
			return;
		}
	}
}

/* Read what the client sent (one chunk: poll is level-triggered) and answer. */
static void conn_readable(struct conn *c)
{
	ssize_t n;

	buf_reserve(&c->in, READ_CHUNK + 1);
	n = read(c->fd, c->in.data + c->in.len, READ_CHUNK);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		conn_close(c); /* ECONNRESET and the like: the client is gone */
		return;
	}
	if (n == 0) {
		conn_close(c);
		return;
	}
	c->in.len += (size_t)n;
	conn_process(c);
}

static struct conn *free_slot(void)
{
	struct conn *idle = NULL;

	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &g.conns[i];

		if (c->fd < 0)
			return c;
		if (c->in.len == 0 && (!idle || c->last_used < idle->last_used))
			idle = c;
	}
	/* Full: a new client beats the stalest idle kept-alive one. */
	if (idle)
		conn_close(idle);
	return idle;
}

static void accept_conn(void)
{
	struct conn *c;
	int fd, one = 1;

	fd = accept4(g.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			logmsg("accept: %m"); /* EMFILE and the like: try again later */
		return;
	}
	/* Small answers in one writev: no Nagle delay against a delayed ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		logmsg("TCP_NODELAY: %m");
	c = free_slot();
	if (!c) {
		if (close(fd) < 0)
			logmsg("close: %m");
		return;
	}
	g.clock++;
	*c = (struct conn){ .fd = fd, .last_used = g.clock };
}

static bool can_accept(void)
{
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (g.conns[i].fd < 0 || g.conns[i].in.len == 0)
			return true;
	return false;
}

__attribute__((noreturn)) static void serve(void)
{
	struct pollfd p[1 + MAX_CONNS];

	for (;;) {
		p[0] = (struct pollfd){ .fd = can_accept() ? g.listen_fd : -1, .events = POLLIN };
		for (size_t i = 0; i < MAX_CONNS; i++)
			p[1 + i] = (struct pollfd){ .fd = g.conns[i].fd, .events = POLLIN };
		if (poll_with_signals(p, 1 + MAX_CONNS, -1) <= 0)
			continue;
		for (size_t i = 0; i < MAX_CONNS; i++)
			if (p[1 + i].revents && g.conns[i].fd == p[1 + i].fd)
				conn_readable(&g.conns[i]);
		if (p[0].revents)
			accept_conn();
	}
}

/* --- setup ------------------------------------------------------------------------------ */

static void noop(int sig)
{
	(void)sig;
}

/*
 * Signals arrive through a signalfd, so they are blocked. They also get a
 * (never run) handler: the kernel drops a signal sent to a PID namespace's
 * init when its disposition is SIG_DFL, and we do not want to depend on the
 * blocked-signal exception to that rule.
 */
static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = noop };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGCHLD, &sa, NULL) < 0)
		die("sigaction: %m");
	/* A client gone mid-answer must be an EPIPE, not our death. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("signal SIGPIPE: %m");
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask: %m");
	g.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (g.sigfd < 0)
		die("signalfd: %m");
}

/* Descriptors 0-2 must be open, or a pipe could land on them. */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			exit(1);
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
		die("AWS_LAMBDA_RIE_PORT '%s' is not a port number", s);
	return (int)port;
}

static void setup_listener(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	g.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g.listen_fd < 0)
		die("socket: %m");
	if (setsockopt(g.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR: %m");
	if (bind(g.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind 0.0.0.0:%d: %m", port);
	if (listen(g.listen_fd, 128) < 0)
		die("listen: %m");
}

/* FILE.FUNCTION, split at the last dot. */
static void setup_handler(int argc, char **argv)
{
	const char *h = argc > 1 ? argv[1] : getenv("_HANDLER");
	char *dot;

	if (!h || !*h)
		die("no handler: give FILE.FUNCTION as the argument or in _HANDLER");
	g.file = strdup(h);
	if (!g.file)
		die("out of memory");
	dot = strrchr(g.file, '.');
	if (!dot || dot == g.file || !dot[1])
		die("handler '%s' is not FILE.FUNCTION", h);
	*dot = '\0';
	g.func = dot + 1;
	g.task_root = getenv("LAMBDA_TASK_ROOT");
	if (!g.task_root || !*g.task_root)
		g.task_root = "/var/task";
}

int main(int argc, char **argv)
{
	int port;

	ensure_std_fds();
	for (size_t i = 0; i < MAX_CONNS; i++)
		g.conns[i].fd = -1;
	setup_handler(argc, argv);
	port = listen_port();
	setup_signals();
	g.urandom_fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (g.urandom_fd < 0)
		die("/dev/urandom: %m");
	setup_listener(port);
	logmsg("listening on 0.0.0.0:%d, handler %s.%s in %s", port, g.file, g.func, g.task_root);
	serve();
}
