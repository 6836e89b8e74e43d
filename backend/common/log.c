/*
 * backend/common/log.c - one line per message on stderr, whole lines only,
 * so messages from several threads never interleave mid-line.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "backend/common/log.h"

static _Atomic int max_level = NB_LOG_WARN;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void nb_log_set_level(enum nb_log_level level)
{
	max_level = level;
}

int nb_log_enabled(enum nb_log_level level)
{
	return (int)level <= max_level;
}

void nb_log_at(enum nb_log_level level, const char *file, int line, const char *fmt, ...)
{
	char msg[2048];
	struct timespec ts;
	va_list ap;

	if (!nb_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "nimbusfs[%lld.%03ld] %s: %s (%s:%d)\n", (long long)ts.tv_sec,
		ts.tv_nsec / 1000000, level_names[level], msg, file, line);
}
