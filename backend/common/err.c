/*
 * backend/common/err.c - setting and wrapping struct nb_err.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend/common/err.h"

int nb_err_set(struct nb_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int nb_err_wrap(struct nb_err *err, const char *fmt, ...)
{
	char joined[NB_ERR_MSG_MAX];
	size_t n;
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	n = (size_t)vsnprintf(joined, sizeof(joined), fmt, ap);
	va_end(ap);
	/* Copied by hand: the message is truncated on purpose when long. */
	for (const char *p = ": "; *p && n + 1 < sizeof(joined); p++)
		joined[n++] = *p;
	for (const char *p = err->msg; *p && n + 1 < sizeof(joined); p++)
		joined[n++] = *p;
	joined[n < sizeof(joined) ? n : sizeof(joined) - 1] = '\0';
	memcpy(err->msg, joined, sizeof(err->msg));
	return err->code;
}

void nb_err_clear(struct nb_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
