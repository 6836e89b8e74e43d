/*
 * tests/unit/fake_engine.c - canned-reply HTTP/1.1 server on a unix socket.
 * Every blocking step polls with a short timeout and rechecks the stop and
 * down flags, so fake_engine_stop() and fake_engine_close_listener() take
 * effect within ~50 ms even while a reply hangs or the client stops reading.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/fake_engine.h"

#define HEAD_MAX (64u << 10)
#define BODY_MAX (8u << 20)
#define POLL_MS	 20

static bool quitting(struct fake_engine *fe)
{
	return atomic_load(&fe->stopping) || atomic_load(&fe->down);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits until fd is ready for events; false when quitting or on error. */
static bool wait_fd(struct fake_engine *fe, int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	while (!quitting(fe)) {
		int n = poll(&p, 1, POLL_MS);

		if (n > 0)
			return !(p.revents & (POLLERR | POLLNVAL)) || (p.revents & events);
		if (n < 0 && errno != EINTR)
			return false;
	}
	return false;
}

static bool send_all(struct fake_engine *fe, int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n;

		if (!wait_fd(fe, fd, POLLOUT))
			return false;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool send_str(struct fake_engine *fe, int fd, const char *s)
{
	return send_all(fe, fd, s, strlen(s));
}

/* Sleeps ms in short steps; false when told to quit meanwhile. */
static bool nap(struct fake_engine *fe, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (quitting(fe))
			return false;
		sleep_ms(ms < 10 ? ms : 10);
	}
	return !quitting(fe);
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 500:
		return "Internal Server Error";
	default:
		return "Status";
	}
}

static const struct fake_route *route_find(struct fake_engine *fe, const char *method,
					   const char *path)
{
	const struct fake_route *r, *found = NULL;

	pthread_mutex_lock(&fe->lock);
	for (r = fe->routes; r && r->path && !found; r++)
		if ((!r->method || !strcmp(r->method, method)) &&
		    !strncmp(path, r->path, strlen(r->path)))
			found = r;
	pthread_mutex_unlock(&fe->lock);
	return found;
}

static void record(struct fake_engine *fe, const struct fake_request *req)
{
	struct fake_request *slot;

	pthread_mutex_lock(&fe->lock);
	if (fe->nreqs < FAKE_ENGINE_MAX_REQS) {
		slot = &fe->reqs[fe->nreqs++];
		*slot = *req;
		slot->body = req->body_len ? malloc(req->body_len + 1) : NULL;
		if (slot->body) {
			memcpy(slot->body, req->body, req->body_len);
			slot->body[req->body_len] = '\0';
		} else {
			slot->body_len = 0;
		}
	}
	pthread_mutex_unlock(&fe->lock);
}

/* Every piece of r as its own HTTP chunk, all in one send(): what a busy
 * engine's stream looks like to a reader that fell behind. */
static bool send_chunks_at_once(struct fake_engine *fe, int fd, const struct fake_route *r)
{
	size_t total = 0, off = 0;
	char *buf;
	bool ok;

	for (const struct fake_piece *p = r->chunks; p->data; p++)
		total += 24 + (p->len ? p->len : strlen(p->data));
	buf = malloc(total + 1);
	if (!buf)
		return false;
	for (const struct fake_piece *p = r->chunks; p->data; p++) {
		size_t plen = p->len ? p->len : strlen(p->data);

		off += (size_t)snprintf(buf + off, total + 1 - off, "%zx\r\n", plen);
		memcpy(buf + off, p->data, plen);
		off += plen;
		memcpy(buf + off, "\r\n", 2);
		off += 2;
	}
	ok = send_all(fe, fd, buf, off);
	free(buf);
	return ok;
}

/* Sends the reply for route r (NULL: a 404); false when the connection
 * must close. */
static bool reply(struct fake_engine *fe, int fd, const struct fake_route *r,
		  const struct fake_request *req, bool client_close)
{
	char head[512], nobody[FAKE_ENGINE_PATH_MAX + 128];
	const char *body = r ? r->body : nobody;
	int status = r ? (r->status ? r->status : 200) : 404;
	bool close_after = client_close || (r && r->close);
	bool has_body = status != 204 && status != 304;
	size_t len;

	if (!r)
		snprintf(nobody, sizeof(nobody),
			 "{\"message\":\"fake engine: no route for %s %s\"}", req->method,
			 req->path);
	len = body ? (r && r->body_len ? r->body_len : strlen(body)) : 0;
	if (!has_body)
		len = 0;
	snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nServer: fake-engine\r\n%s%s%s", status,
		 reason(status), has_body ? "Content-Type: " : "",
		 has_body ? (r && r->content_type ? r->content_type : "application/json") : "",
		 has_body ? "\r\n" : "");
	if (!send_str(fe, fd, head))
		return false;
	if (close_after && !send_str(fe, fd, "Connection: close\r\n"))
		return false;
	if (r && r->chunks && has_body) {
		if (!send_str(fe, fd, "Transfer-Encoding: chunked\r\n\r\n"))
			return false;
		if (r->one_write && !send_chunks_at_once(fe, fd, r))
			return false;
		for (const struct fake_piece *p = r->chunks; !r->one_write && p->data; p++) {
			size_t plen = p->len ? p->len : strlen(p->data);

			if (!nap(fe, r->chunk_delay_ms))
				return false;
			snprintf(head, sizeof(head), "%zx\r\n", plen);
			if (!send_str(fe, fd, head) || !send_all(fe, fd, p->data, plen) ||
			    !send_str(fe, fd, "\r\n"))
				return false;
		}
		if (r->hang) {
			/* Until the client gives up (EOF) or we are told to quit. */
			char sink[256];

			while (wait_fd(fe, fd, POLLIN))
				if (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) == 0)
					break;
			return false;
		}
		if (!send_str(fe, fd, "0\r\n\r\n"))
			return false;
	} else {
		snprintf(head, sizeof(head), "Content-Length: %zu\r\n\r\n", len);
		if (!send_str(fe, fd, head) || (len && !send_all(fe, fd, body, len)))
			return false;
	}
	return !close_after;
}

/* Value of header name in the head block, copied into out; false if absent. */
static bool header(const char *head, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	const char *line = strstr(head, "\r\n");

	while (line && line[2] != '\r') {
		const char *start = line + 2, *end = strstr(start, "\r\n");

		if (!end)
			break;
		if ((size_t)(end - start) > nlen && !strncasecmp(start, name, nlen) &&
		    start[nlen] == ':') {
			start += nlen + 1;
			while (*start == ' ')
				start++;
			snprintf(out, size, "%.*s", (int)(end - start), start);
			return true;
		}
		line = end;
	}
	return false;
}

/* Reads until buf holds a whole request head; returns its length (with the
 * blank line) or 0 when the connection is over. */
static size_t read_head(struct fake_engine *fe, int fd, char *buf, size_t *have)
{
	char *end;

	for (;;) {
		ssize_t n;

		buf[*have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			return (size_t)(end - buf) + 4;
		if (*have >= HEAD_MAX)
			return 0;
		if (!wait_fd(fe, fd, POLLIN))
			return 0;
		n = recv(fd, buf + *have, HEAD_MAX - *have, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return 0;
		*have += (size_t)n;
	}
}

/* Serves one request from buf; false when the connection is over. */
static bool serve_one(struct fake_engine *fe, int fd, char *buf, size_t *have)
{
	struct fake_request req = { 0 };
	char value[64], version[16];
	size_t head_len = read_head(fe, fd, buf, have), clen = 0, got;
	bool client_close, ok;

	if (!head_len)
		return false;
	buf[head_len - 2] = '\0'; /* keep the last header's CRLF for header() */
	if (sscanf(buf, "%15s %2047s %15s", req.method, req.path, version) != 3)
		return false;
	if (header(buf, "Transfer-Encoding", value, sizeof(value)))
		return false; /* chunked uploads: not needed by any test */
	if (header(buf, "Content-Length", value, sizeof(value)))
		clen = strtoul(value, NULL, 10);
	if (clen > BODY_MAX)
		return false;
	header(buf, "Content-Type", req.content_type, sizeof(req.content_type));
	client_close =
		header(buf, "Connection", value, sizeof(value)) && !strcasecmp(value, "close");
	req.body = clen ? malloc(clen + 1) : NULL;
	if (clen && !req.body)
		return false;
	got = *have - head_len < clen ? *have - head_len : clen;
	if (got)
		memcpy(req.body, buf + head_len, got);
	memmove(buf, buf + head_len + got, *have - head_len - got);
	*have -= head_len + got;
	while (got < clen) {
		ssize_t n;

		if (!wait_fd(fe, fd, POLLIN))
			break;
		n = recv(fd, req.body + got, clen - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < clen) {
		free(req.body);
		return false;
	}
	if (req.body)
		req.body[clen] = '\0';
	req.body_len = clen;
	record(fe, &req);
	ok = reply(fe, fd, route_find(fe, req.method, req.path), &req, client_close);
	free(req.body);
	return ok;
}

static void *conn_main(void *arg)
{
	struct fake_conn *c = arg;
	char *buf = malloc(HEAD_MAX + 1);
	size_t have = 0;

	while (buf && serve_one(c->fe, c->fd, buf, &have))
		;
	free(buf);
	close(c->fd);
	atomic_store(&c->done, true);
	return NULL;
}

static void reap(struct fake_engine *fe, bool all)
{
	for (int i = 0; i < FAKE_ENGINE_MAX_CONNS; i++) {
		struct fake_conn *c = &fe->conns[i];

		if (c->used && (all || atomic_load(&c->done))) {
			pthread_join(c->thread, NULL);
			c->used = false;
		}
	}
}

static void accept_one(struct fake_engine *fe)
{
	int fd = accept4(fe->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	atomic_fetch_add(&fe->accepted, 1);
	for (int i = 0; i < FAKE_ENGINE_MAX_CONNS; i++) {
		struct fake_conn *c = &fe->conns[i];

		if (c->used)
			continue;
		c->fd = fd;
		c->fe = fe;
		atomic_store(&c->done, false);
		if (pthread_create(&c->thread, NULL, conn_main, c) == 0) {
			c->used = true;
			return;
		}
		break;
	}
	close(fd); /* too many connections: the client sees a reset */
}

static void *accept_main(void *arg)
{
	struct fake_engine *fe = arg;
	struct pollfd p;

	while (!atomic_load(&fe->stopping)) {
		reap(fe, false);
		if (atomic_load(&fe->down)) {
			if (fe->listen_fd >= 0) {
				close(fe->listen_fd);
				fe->listen_fd = -1;
				atomic_store(&fe->listen_closed, true);
			}
			sleep_ms(POLL_MS);
			continue;
		}
		p = (struct pollfd){ .fd = fe->listen_fd, .events = POLLIN };
		if (poll(&p, 1, POLL_MS) > 0 && (p.revents & POLLIN))
			accept_one(fe);
	}
	reap(fe, true);
	return NULL;
}

int fake_engine_start(struct fake_engine *fe, const struct fake_route *routes)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int ret;

	memset(fe, 0, sizeof(*fe));
	fe->listen_fd = -1;
	fe->routes = routes;
	snprintf(fe->dir, sizeof(fe->dir), "/tmp/fake-engine-XXXXXX");
	if (!mkdtemp(fe->dir))
		return -errno;
	snprintf(fe->sock, sizeof(fe->sock), "%s/sock", fe->dir);
	snprintf(fe->url, sizeof(fe->url), "unix://%s", fe->sock);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", fe->sock);
	pthread_mutex_init(&fe->lock, NULL);
	fe->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fe->listen_fd < 0 || bind(fe->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fe->listen_fd, 16) < 0)
		goto fail;
	ret = pthread_create(&fe->thread, NULL, accept_main, fe);
	if (ret) {
		errno = ret;
		goto fail;
	}
	return 0;
fail:
	ret = -errno;
	if (fe->listen_fd >= 0)
		close(fe->listen_fd);
	unlink(fe->sock);
	rmdir(fe->dir);
	pthread_mutex_destroy(&fe->lock);
	return ret;
}

void fake_engine_close_listener(struct fake_engine *fe)
{
	/* The accept thread closes the socket itself, so it never polls a
	 * closed (or reused) descriptor; wait until it has. */
	atomic_store(&fe->down, true);
	for (int i = 0; i < 2000 && !atomic_load(&fe->listen_closed); i++)
		sleep_ms(1);
}

void fake_engine_stop(struct fake_engine *fe)
{
	atomic_store(&fe->stopping, true);
	pthread_join(fe->thread, NULL);
	if (fe->listen_fd >= 0)
		close(fe->listen_fd);
	unlink(fe->sock);
	rmdir(fe->dir);
	fake_engine_clear(fe);
	pthread_mutex_destroy(&fe->lock);
}

void fake_engine_set_routes(struct fake_engine *fe, const struct fake_route *routes)
{
	pthread_mutex_lock(&fe->lock);
	fe->routes = routes;
	pthread_mutex_unlock(&fe->lock);
}

int fake_engine_nreqs(struct fake_engine *fe)
{
	int n;

	pthread_mutex_lock(&fe->lock);
	n = fe->nreqs;
	pthread_mutex_unlock(&fe->lock);
	return n;
}

bool fake_engine_request(struct fake_engine *fe, int i, struct fake_request *out)
{
	bool ok = false;

	pthread_mutex_lock(&fe->lock);
	if (i < 0)
		i += fe->nreqs;
	if (i >= 0 && i < fe->nreqs) {
		*out = fe->reqs[i];
		out->body = NULL;
		if (fe->reqs[i].body) {
			out->body = malloc(fe->reqs[i].body_len + 1);
			if (out->body)
				memcpy(out->body, fe->reqs[i].body, fe->reqs[i].body_len + 1);
			else
				out->body_len = 0;
		}
		ok = true;
	}
	pthread_mutex_unlock(&fe->lock);
	return ok;
}

void fake_engine_clear(struct fake_engine *fe)
{
	pthread_mutex_lock(&fe->lock);
	for (int i = 0; i < fe->nreqs; i++)
		free(fe->reqs[i].body);
	fe->nreqs = 0;
	pthread_mutex_unlock(&fe->lock);
}
