/*
 * backend/common/deadline.h - an absolute time ms from now on a clock, for
 * pthread_cond_timedwait (whose condvar must use the same clock).
 */
#ifndef NB_COMMON_DEADLINE_H
#define NB_COMMON_DEADLINE_H

#include <time.h>

static inline void nb_deadline_in(struct timespec *ts, clockid_t clock, long ms)
{
	clock_gettime(clock, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

#endif
