/*
 * backend/ec2/request_i.h - the RunInstances parser's insides, shared by
 * request.c and request_tags.c.
 */
#ifndef NB_EC2_REQUEST_I_H
#define NB_EC2_REQUEST_I_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "backend/ec2/request.h"

enum kind { K_STR, K_INT, K_BOOL, K_LIST, K_DICT };

struct parse {
	struct ec2_run_req *r;
	struct nb_err *err;
	long long min, max; /* 0 when not given */
	bool dry_run, tagged_instance, tagged_volume;
};

/* botocore's "Invalid type for parameter" unless v is of kind k. */
int ec2_req_want(struct parse *ps, const char *path, const cJSON *v, enum kind k);

/* TagSpecifications: each instance or volume tag checked and kept. */
int ec2_req_tags(struct parse *ps, const char *key, const cJSON *v);

#endif
