// SPDX-License-Identifier: MIT
/*
 * tools/lambda-rie/handler.c - one invocation's handler: a forked /bin/sh
 * as sbx_user1051 in its own process group, the event on stdin and in
 * "$1", its stdout kept as the response and its stderr copied to ours and
 * into the log tail.
 */
#include "tools/lambda-rie/rie.h"

/* --- the handler ------------------------------------------------------------------ */

/* The event as a file: seekable, and never blocks a handler that ignores it. */
static int event_file(const char *event, size_t len)
{
	int fd = memfd_create("event", MFD_CLOEXEC);

	if (fd < 0) /* no memfd (old kernel, seccomp): an unlinked file in /tmp */
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		rie_die("creating the event file: %m");
	while (len > 0) {
		ssize_t n = write(fd, event, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rie_die("writing the event file: %m");
		event += n;
		len -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		rie_die("rewinding the event file: %m");
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
	if (chdir(rie.task_root) < 0)
		child_fail(rie.task_root);
	if (setenv("LAMBDA_TASK_ROOT", rie.task_root, 1) < 0 || setenv("HOME", "/tmp", 1) < 0 ||
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
	argv[4] = rie.file;
	argv[5] = rie.func;
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
		rie_die("reading the handler's %s: %m", is_stdout ? "stdout" : "stderr");
	}
	if (n == 0) {
		if (close(*fd) < 0)
			rie_log("close: %m");
		*fd = -1;
		return -1;
	}
	if (!is_stdout) {
		copy_to_stderr(chunk, (size_t)n);
		tail_append(inv, chunk, (size_t)n);
	} else if (!inv->out_overflow && inv->out.len + (size_t)n <= MAX_RESPONSE) {
		rie_buf_append(&inv->out, chunk, (size_t)n);
	} else if (!inv->out_overflow) {
		inv->out_overflow = true;
		rie_buf_free(&inv->out);
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
		rie_log("close: %m");
	*fd = -1;
}

/* Both pipes concurrently, so a chatty handler cannot deadlock against us. */
static void collect_output(struct invocation *inv, int out_fd, int err_fd)
{
	struct pollfd p[2];

	while (!rie.child_done) {
		p[0] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = err_fd, .events = POLLIN };
		if (rie_poll(p, 2, -1) <= 0)
			continue;
		if (out_fd >= 0 && p[0].revents)
			read_pipe(inv, &out_fd, true);
		if (err_fd >= 0 && p[1].revents)
			read_pipe(inv, &err_fd, false);
	}
	drain_pipe(inv, &out_fd, true);
	drain_pipe(inv, &err_fd, false);
}

void rie_run_handler(struct invocation *inv)
{
	struct stat st;
	int out[2], err[2], event_fd;
	pid_t pid;

	snprintf(inv->script, sizeof(inv->script), "%s/%s.sh", rie.task_root, rie.file);
	if (stat(inv->script, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		inv->not_found = true;
		inv_log(inv, "lambda-rie: handler file %s not found\n", inv->script);
		return;
	}
	event_fd = event_file(inv->event, inv->event_len);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		rie_die("pipe2: %m");
	rie.child_done = false;
	pid = fork();
	if (pid < 0)
		rie_die("fork: %m");
	if (pid == 0)
		child_exec(inv, event_fd, out[1], err[1]);
	rie.child = pid;
	/* Also here, so the group exists before we ever signal it; EACCES means
	 * the child has exec'd already, having done it itself. */
	if (setpgid(pid, pid) < 0 && errno != EACCES && errno != ESRCH)
		rie_log("setpgid %d: %m", (int)pid);
	if (close(event_fd) < 0 || close(out[1]) < 0 || close(err[1]) < 0)
		rie_die("close: %m");
	rie_set_nonblock(out[0]);
	rie_set_nonblock(err[0]);
	collect_output(inv, out[0], err[0]);
	inv->status = rie.child_status;
	inv->ru = rie.child_ru;
	rie.child = 0;
}
