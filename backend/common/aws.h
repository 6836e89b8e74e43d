/*
 * backend/common/aws.h - the one account and region a local cloud has, as
 * every service's ARNs and environment name them.
 */
#ifndef NB_AWS_H
#define NB_AWS_H

#define NB_AWS_ACCOUNT "000000000000"
#define NB_AWS_REGION  "local"

#endif
