/*
 * backend/common/log.h - operator logging to stderr with file and line.
 * log_error() returns its first argument so a failure can be logged and
 * returned in one expression where no user is waiting for the reason.
 */
#ifndef NB_LOG_H
#define NB_LOG_H

enum nb_log_level { NB_LOG_ERROR, NB_LOG_WARN, NB_LOG_INFO, NB_LOG_DEBUG };

/* The most verbose level printed; NB_LOG_WARN unless -d. */
void nb_log_set_level(enum nb_log_level level);
int nb_log_enabled(enum nb_log_level level);

void nb_log_at(enum nb_log_level level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_error(ret, ...)                                                                        \
	({                                                                                         \
		nb_log_at(NB_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__);                          \
		(ret);                                                                             \
	})
#define log_warn(...)  nb_log_at(NB_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...)  nb_log_at(NB_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...) nb_log_at(NB_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

#endif
