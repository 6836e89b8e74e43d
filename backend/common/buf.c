/*
 * backend/common/buf.c - growable byte buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/buf.h"

int nb_buf_reserve(struct nb_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap = b->cap ? b->cap : 64;
	char *p;

	/* len + extra + 1 wrapped, or more than malloc can give (and more than
	 * doubling cap can reach without wrapping to 0) */
	if (need <= b->len || need > PTRDIFF_MAX)
		return -ENOMEM;
	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int nb_buf_append(struct nb_buf *b, const void *data, size_t len)
{
	int ret = nb_buf_reserve(b, len);

	if (ret < 0)
		return ret;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int nb_buf_puts(struct nb_buf *b, const char *s)
{
	return nb_buf_append(b, s, strlen(s));
}

int nb_buf_printf(struct nb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (nb_buf_reserve(b, (size_t)n) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void nb_buf_consume(struct nb_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

void nb_buf_reset(struct nb_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void nb_buf_free(struct nb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

char *nb_buf_steal(struct nb_buf *b)
{
	char *p;

	if (!b->data && nb_buf_reserve(b, 0) < 0)
		return NULL;
	b->data[b->len] = '\0';
	p = b->data;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

int nb_buf_feed_lines(struct nb_buf *partial, const char *data, size_t len,
		      void (*line)(const char *text, size_t len, void *ud), void *ud)
{
	const char *nl;

	while (len && (nl = memchr(data, '\n', len))) {
		size_t n = (size_t)(nl - data);

		if (partial->len) {
			if (nb_buf_append(partial, data, n) < 0)
				return -ENOMEM;
			line(partial->data, partial->len, ud);
			nb_buf_reset(partial);
		} else {
			line(data, n, ud);
		}
		data += n + 1;
		len -= n + 1;
	}
	return nb_buf_append(partial, data, len);
}
