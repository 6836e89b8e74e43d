/*
 * backend/ec2/request.h - a RunInstances request as the AWS CLI's
 * --cli-input-json takes it (`aws ec2 run-instances --generate-cli-skeleton`
 * shows the shape), parsed and validated against EC2's own limits.
 *
 * Errors are a negative errno with the reason in struct nb_err, and every
 * reason names the field:
 *  - what the AWS CLI refuses before sending, in botocore's words: unknown
 *    fields ("Unknown parameter in input: \"Foo\", must be one of: ..."),
 *    wrong types ("Invalid type for parameter MinCount, value: 1, type:
 *    <class 'str'>, valid types: <class 'int'>"), invalid JSON (line and
 *    column);
 *  - what EC2 refuses, as "<Code>: <message>" in EC2's words:
 *    "InvalidAMIID.Malformed: Invalid id: \"ami-x\" (expecting \"ami-...\")".
 * -EINVAL a bad request; -EFBIG user data over 16 KB; -EDQUOT MinCount over
 * EC2_RUN_MAX_INSTANCES (InstanceLimitExceeded); -ECANCELED a valid request
 * with DryRun true (DryRunOperation: nothing is launched, as on AWS);
 * -ENOMEM. Pure functions: no locks, no I/O, never block.
 */
#ifndef NB_EC2_REQUEST_H
#define NB_EC2_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/common/err.h"
#include "backend/ec2/ec2types.h"
#include "backend/ec2/netmath.h"

/* nimbusfs's On-Demand instance limit, per request. */
#define EC2_RUN_MAX_INSTANCES 20
/* UserData: 16 KB decoded, as AWS ("User data is limited to 16384 bytes"). */
#define EC2_USER_DATA_MAX 16384
/* Tags per resource, key and value lengths in characters (UTF-8). */
#define EC2_TAGS_MAX	     50
#define EC2_TAG_KEY_MAX	     128
#define EC2_TAG_VALUE_MAX    256
#define EC2_CLIENT_TOKEN_MAX 64
#define EC2_KEY_NAME_MAX     255

struct ec2_tag {
	char *key;
	char *value; /* "" for a tag without a value */
};

struct ec2_run_req {
	/* "" when not given: the service picks its default image. Its
	 * existence is the service's to check (InvalidAMIID.NotFound). */
	char image_id[EC2_ID_MAX];
	const struct ec2_type *type; /* into the table; EC2_DEFAULT_TYPE when not given */
	int min, max;		     /* 1 <= min <= max <= EC2_RUN_MAX_INSTANCES */
	unsigned char *user_data;    /* decoded bytes, NUL-terminated; NULL when none */
	size_t user_data_len;
	char subnet_id[EC2_ID_MAX]; /* "" when not given: the default subnet */
	uint32_t private_ip;	    /* 0 = none; only when max is 1. That it lies
				     * in the subnet is the service's to check. */
	struct ec2_tag *tags;	    /* the "instance" TagSpecifications, in order */
	size_t n_tags;
	char client_token[EC2_CLIENT_TOKEN_MAX + 1]; /* "" when not given */
	char key_name[EC2_KEY_NAME_MAX + 1];	     /* "" when not given */
};

/*
 * Parses a RunInstances request of len bytes. Empty text (only blanks) is
 * a valid request: one instance of EC2_DEFAULT_TYPE, defaults for the rest.
 *
 * ImageId (ec2_ami_valid), InstanceType (ec2_type_find), MinCount and
 * MaxCount (at least 1, MinCount <= MaxCount; AWS requires both, nimbusfs
 * defaults a missing one to the other, and both to 1; a MaxCount over
 * EC2_RUN_MAX_INSTANCES is lowered to it, as AWS launches "the largest
 * possible number" above MinCount; a MinCount over it is
 * InstanceLimitExceeded), UserData (base64 as the API takes it - note the
 * AWS CLI itself would base64-encode raw text; whitespace between groups is
 * allowed; at most 16 KB decoded), SubnetId (ec2_id_valid("subnet")),
 * PrivateIpAddress (a dotted quad; only with MaxCount 1), TagSpecifications
 * (ResourceType "instance" kept, "volume" validated and dropped, anything
 * else refused; keys 1-128 characters not starting with "aws:" in any case,
 * unique; values 0-256 characters; at most 50 per resource), ClientToken
 * (at most 64 characters), KeyName (at most 255; kept, its existence not
 * checked), DryRun. Fields that change nothing for a container are
 * type-checked and ignored (SecurityGroupIds - each a valid "sg-" id -,
 * SecurityGroups, Monitoring, Placement, BlockDeviceMappings,
 * MetadataOptions, ...); fields nimbusfs cannot honour (NetworkInterfaces,
 * LaunchTemplate, Ipv6Addresses, InstanceMarketOptions, ...) are accepted
 * only when they say nothing (null, false, "", [], {} or made of such, and
 * Ipv6AddressCount 0). A field given null is as if absent.
 *
 * On success *out (caller frees with ec2_run_req_free) holds the request;
 * on error it is left empty (freeable, as ec2_run_req_free leaves it).
 */
int ec2_run_parse(const char *text, size_t len, struct ec2_run_req *out, struct nb_err *err);

/* Characters in UTF-8 text (bytes that do not continue a sequence), as
 * AWS counts a tag's length. */
size_t ec2_utf8_chars(const char *s);

/* Frees tags and user data; r is left empty: no type, min and max 0. */
void ec2_run_req_free(struct ec2_run_req *r);

/* Base64 as EC2 takes UserData: the standard alphabet, padded to a
 * multiple of four, blanks and newlines between characters ignored. *out
 * (caller frees; NUL-terminated, NULL when *len is 0) gets the bytes.
 * -EINVAL "InvalidParameterValue: Invalid BASE64 encoding of user data.",
 * -EFBIG past max decoded bytes, -ENOMEM. */
int ec2_user_data_decode(const char *text, size_t max, unsigned char **out, size_t *len,
			 struct nb_err *err);

#endif
