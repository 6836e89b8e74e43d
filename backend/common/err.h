/*
 * backend/common/err.h - errors that carry a reason up to the user.
 * Functions return 0 (or a count) or a negative errno; when the user needs to
 * know why, they also fill a caller-owned struct nb_err. Nothing allocates,
 * so an error path can never fail in its turn.
 */
#ifndef NB_ERR_H
#define NB_ERR_H

#include <stddef.h>

#define NB_ERR_MSG_MAX 1024

struct nb_err {
	int code;		  /* negative errno, 0 when unset */
	char msg[NB_ERR_MSG_MAX]; /* human text, no trailing newline */
};

/* Sets err (when not NULL) to code and the formatted message; returns code. */
int nb_err_set(struct nb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes err's message with "<context>: "; returns err->code. */
int nb_err_wrap(struct nb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err to "no error". */
void nb_err_clear(struct nb_err *err);

#endif
