/*
 * backend/common/buf.h - a growable byte buffer.
 * Used for rendered file contents, per-open write buffers and HTTP bodies.
 * Functions return 0 or -ENOMEM; a buffer that failed to grow keeps its bytes.
 */
#ifndef NB_BUF_H
#define NB_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct nb_buf {
	char *data; /* always NUL-terminated when not NULL */
	size_t len;
	size_t cap;
};

int nb_buf_reserve(struct nb_buf *b, size_t extra);
int nb_buf_append(struct nb_buf *b, const void *data, size_t len);
int nb_buf_puts(struct nb_buf *b, const char *s);
int nb_buf_printf(struct nb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes. */
void nb_buf_consume(struct nb_buf *b, size_t n);
void nb_buf_reset(struct nb_buf *b);
void nb_buf_free(struct nb_buf *b);
/* Hands the bytes out (NUL-terminated, never NULL on success) and empties b. */
char *nb_buf_steal(struct nb_buf *b);

/* Splits a byte stream into lines: appends data to partial and calls line
 * (without its '\n') for each complete one, keeping an unfinished tail in
 * partial for the next call. Returns 0 or -ENOMEM. */
int nb_buf_feed_lines(struct nb_buf *partial, const char *data, size_t len,
		      void (*line)(const char *text, size_t len, void *ud), void *ud);

/* JSON's whitespace, around requests and values. Unlike strchr(" \t\r\n", c)
 * it is false for a NUL byte, which must never pass for a blank. */
static inline bool nb_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

#define cleanup_buf __attribute__((cleanup(nb_buf_free)))

#endif
