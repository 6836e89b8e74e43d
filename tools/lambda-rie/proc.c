// SPDX-License-Identifier: MIT
/*
 * tools/lambda-rie/proc.c - signals through a signalfd, reaping children
 * as PID 1, and poll() that handles them.
 */
#include "tools/lambda-rie/rie.h"

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

	if (rie.child > 0 && !rie.child_done) {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)rie.child, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
			rie_die("waitid %d: %m", (int)rie.child);
		if (si.si_pid == rie.child) {
			if (kill(-rie.child, SIGKILL) < 0 && errno != ESRCH)
				rie_log("killing the handler's process group: %m");
			if (wait4(rie.child, &rie.child_status, 0, &rie.child_ru) < 0)
				rie_die("wait4 %d: %m", (int)rie.child);
			rie.child_done = true;
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
			rie_die("wait4: %m");
		}
		if (pid == rie.child && !rie.child_done) { /* exited between the two calls */
			rie.child_status = status;
			rie.child_ru = ru;
			rie.child_done = true;
		}
	}
}

__attribute__((noreturn)) static void terminate(int sig)
{
	/* The handler dies with us: a stop must not leave work running. */
	if (rie.child > 0 && !rie.child_done && kill(-rie.child, SIGKILL) < 0 && errno != ESRCH)
		rie_log("killing the handler's process group: %m");
	rie_log("%s received, exiting", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	exit(0);
}

/* Everything queued on the signalfd: SIGCHLD reaps, SIGTERM/SIGINT exit. */
static void handle_signals(void)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(rie.sigfd, &si, sizeof(si));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			rie_die("reading the signalfd: %m");
		}
		if (n != sizeof(si))
			rie_die("short read on the signalfd (%zd bytes)", n);
		if (si.ssi_signo == SIGCHLD)
			reap_children();
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			terminate((int)si.ssi_signo);
	}
}

/* Poll FDS plus the signalfd; signals are handled here. Returns poll's result. */
int rie_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct pollfd all[MAX_CONNS + 4];
	int r;

	if (n + 1 > sizeof(all) / sizeof(all[0]))
		rie_die("poll_with_signals: %zu descriptors", (size_t)n);
	memcpy(all, fds, n * sizeof(*fds));
	all[n] = (struct pollfd){ .fd = rie.sigfd, .events = POLLIN };
	do {
		r = poll(all, n + 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		rie_die("poll: %m");
	if (all[n].revents) {
		handle_signals();
		r--;
	}
	for (nfds_t i = 0; i < n; i++)
		fds[i].revents = all[i].revents;
	return r;
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
void rie_setup_signals(void)
{
	struct sigaction sa = { .sa_handler = noop };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGCHLD, &sa, NULL) < 0)
		rie_die("sigaction: %m");
	/* A client gone mid-answer must be an EPIPE, not our death. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		rie_die("signal SIGPIPE: %m");
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		rie_die("sigprocmask: %m");
	rie.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (rie.sigfd < 0)
		rie_die("signalfd: %m");
}

/* Descriptors 0-2 must be open, or a pipe could land on them. */
void rie_ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			exit(1);
	}
}
