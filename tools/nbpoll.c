/*
 * tools/nbpoll.c - waits for a nimbusfs file to change, as a script would
 * with poll(2): reads the file once, then polls for POLLPRI (a value file
 * changed, as with sysfs) or, with --in, for POLLIN (a stream has data).
 * Prints "changed" and exits 0, or "timeout" and exits 1.
 *
 *   nbpoll [--in] FILE TIMEOUT_MS
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int want = POLLPRI, argi = 1, fd, ret;
	struct pollfd pfd;
	char buf[4096];

	if (argc > 1 && strcmp(argv[1], "--in") == 0) {
		want = POLLIN;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: nbpoll [--in] FILE TIMEOUT_MS\n");
		return 2;
	}
	fd = open(argv[argi], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "nbpoll: %s: %s\n", argv[argi], strerror(errno));
		return 2;
	}
	if (want == POLLPRI)
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	pfd.fd = fd;
	pfd.events = (short)want;
	ret = poll(&pfd, 1, atoi(argv[argi + 1]));
	if (ret < 0) {
		fprintf(stderr, "nbpoll: poll: %s\n", strerror(errno));
		return 2;
	}
	if (ret > 0 && (pfd.revents & want)) {
		printf("changed\n");
		return 0;
	}
	printf("timeout\n");
	return 1;
}
