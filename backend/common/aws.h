/*
 * backend/common/aws.h - the one account and region a local cloud has, as
 * every service's ARNs and environment name them, and its clock.
 */
#ifndef NB_AWS_H
#define NB_AWS_H

#include <time.h>

#define NB_AWS_ACCOUNT "000000000000"
#define NB_AWS_REGION  "local"

/* Now, as AWS's JSON timestamps are: seconds since 1970 with milliseconds. */
static inline double nb_aws_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1e3;
}

#endif
