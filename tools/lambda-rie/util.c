// SPDX-License-Identifier: MIT
/*
 * tools/lambda-rie/util.c - messages, exit on error, and growable buffers
 * (with JSON escaping and base64).
 */
#include "tools/lambda-rie/rie.h"

/* --- messages and memory ---------------------------------------------------- */

__attribute__((format(printf, 1, 2))) void rie_log(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* dprintf, not stdio: nothing may sit in a buffer when we exit or fork. */
	dprintf(STDERR_FILENO, "lambda-rie: %s\n", msg);
}

__attribute__((format(printf, 1, 2), noreturn)) void rie_die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rie_log("error: %s", msg);
	if (rie.child > 0 && !rie.child_done)
		kill(-rie.child, SIGKILL);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		rie_die("out of memory (%zu bytes)", n);
	return p;
}

void rie_buf_reserve(struct buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 4096;

	if (b->len + extra <= b->cap)
		return;
	while (cap < b->len + extra)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void rie_buf_append(struct buf *b, const void *p, size_t n)
{
	rie_buf_reserve(b, n + 1);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void rie_buf_puts(struct buf *b, const char *s)
{
	rie_buf_append(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) void rie_buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		rie_die("formatting a message failed");
	rie_buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void rie_buf_consume(struct buf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void rie_buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}

/* JSON string contents: quotes, backslashes and control bytes escaped. */
void rie_buf_json_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			rie_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			rie_buf_puts(b, "\\n");
		else if (c == '\t')
			rie_buf_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			rie_buf_printf(b, "\\u%04x", c);
		else
			rie_buf_append(b, s, 1);
	}
}

void rie_buf_base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];

	for (; n >= 3; p += 3, n -= 3) {
		q[0] = abc[p[0] >> 2];
		q[1] = abc[((p[0] & 3) << 4) | (p[1] >> 4)];
		q[2] = abc[((p[1] & 15) << 2) | (p[2] >> 6)];
		q[3] = abc[p[2] & 63];
		rie_buf_append(b, q, 4);
	}
	if (n) {
		q[0] = abc[p[0] >> 2];
		q[1] = abc[((p[0] & 3) << 4) | (n == 2 ? p[1] >> 4 : 0)];
		q[2] = n == 2 ? abc[(p[1] & 15) << 2] : '=';
		q[3] = '=';
		rie_buf_append(b, q, 4);
	}
}

void rie_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		rie_die("fcntl O_NONBLOCK: %m");
}
