/*
 * backend/common/probe.c - an HTTP readiness probe of a 127.0.0.1 port.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/common/probe.h"

bool nb_http_answers(int port, int timeout_ms)
{
	static const char probe[] = "GET / HTTP/1.0\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct pollfd pfd;
	char buf[16];
	bool ok = false;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, probe, sizeof(probe) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(probe) - 1) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		ok = poll(&pfd, 1, timeout_ms) == 1 && recv(fd, buf, sizeof(buf), 0) > 0;
	}
	close(fd);
	return ok;
}
