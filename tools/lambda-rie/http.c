// SPDX-License-Identifier: MIT
/*
 * tools/lambda-rie/http.c - HTTP/1.1 on the wire: parsing a request head,
 * sending a response, closing a connection without losing an early answer.
 */
#include "tools/lambda-rie/rie.h"

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
int rie_send_all(int fd, struct iovec *iov, int iovcnt)
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
			if (rie_poll(&p, 1, SEND_STALL_MS) == 0 && !p.revents)
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
int rie_send_response(struct conn *c, int status, const char *extra, const char *body, size_t len,
		      bool keep_alive)
{
	struct buf head = { 0 };
	struct iovec iov[2];
	int r;

	rie_buf_printf(&head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n", status,
		       reason(status));
	if (extra)
		rie_buf_puts(&head, extra);
	rie_buf_printf(&head, "Content-Length: %zu\r\nConnection: %s\r\n\r\n", len,
		       keep_alive ? "keep-alive" : "close");
	iov[0] = (struct iovec){ .iov_base = head.data, .iov_len = head.len };
	iov[1] = (struct iovec){ .iov_base = (void *)body, .iov_len = len };
	r = rie_send_all(c->fd, iov, len ? 2 : 1);
	rie_buf_free(&head);
	return r;
}

void rie_conn_close(struct conn *c)
{
	if (close(c->fd) < 0 && errno != EINTR)
		rie_log("close: %m");
	rie_buf_free(&c->in);
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
		rie_conn_close(c);
		return;
	}
	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		rie_die("clock_gettime: %m");
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;
		long ms;

		if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
			rie_die("clock_gettime: %m");
		ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= LINGER_MS || rie_poll(&p, 1, (int)(LINGER_MS - ms)) <= 0)
			break;
		n = read(c->fd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	rie_conn_close(c);
}

void rie_error_and_close(struct conn *c, int status, const char *body)
{
	if (rie_send_response(c, status, NULL, body, strlen(body), false) < 0) {
		rie_conn_close(c);
		return;
	}
	linger_close(c);
}

/* Offset just past the blank line ending the head, or 0 if it is not all here. */
size_t rie_head_end(const char *p, size_t n)
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
int rie_parse_head(const char *p, size_t n, struct request *rq)
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
