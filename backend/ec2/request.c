/*
 * backend/ec2/request.c - RunInstances requests: the AWS CLI's checks
 * (fields, types) in botocore's words, then EC2's in EC2's. Tags are in
 * request_tags.c, user data's base64 and lengths in request_userdata.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/ec2/request_i.h"

static const char *valid_types(enum kind k)
{
	switch (k) {
	case K_STR:
		return "<class 'str'>";
	case K_INT:
		return "<class 'int'>";
	case K_BOOL:
		return "<class 'bool'>";
	case K_LIST:
		return "<class 'list'>, <class 'tuple'>";
	case K_DICT:
		return "<class 'dict'>";
	}
	return "?";
}

static bool is_kind(const cJSON *v, enum kind k)
{
	switch (k) {
	case K_STR:
		return cJSON_IsString(v);
	case K_INT:
		return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
		       v->valuedouble == floor(v->valuedouble);
	case K_BOOL:
		return cJSON_IsBool(v);
	case K_LIST:
		return cJSON_IsArray(v);
	case K_DICT:
		return cJSON_IsObject(v);
	}
	return false;
}

int ec2_req_want(struct parse *ps, const char *path, const cJSON *v, enum kind k)
{
	if (is_kind(v, k))
		return 0;
	return json_bad_type(ps->err, path, v, valid_types(k));
}

typedef int (*field_fn)(struct parse *ps, const char *key, const cJSON *v);

static int f_image(struct parse *ps, const char *key, const cJSON *v)
{
	(void)key;
	if (!ec2_ami_valid(v->valuestring))
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidAMIID.Malformed: Invalid id: \"%.64s\" (expecting "
				  "\"ami-...\")",
				  v->valuestring);
	snprintf(ps->r->image_id, sizeof(ps->r->image_id), "%s", v->valuestring);
	return 0;
}

static int f_type(struct parse *ps, const char *key, const cJSON *v)
{
	const struct ec2_type *t = ec2_type_find(v->valuestring);

	(void)key;
	if (!t)
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterValue: Invalid value '%.64s' for InstanceType.",
				  v->valuestring);
	ps->r->type = t;
	return 0;
}

/* MinCount and MaxCount, held as given (huge values clamped) until both
 * are known. */
static int f_count(struct parse *ps, const char *key, const cJSON *v)
{
	double d = v->valuedouble;
	long long n = d > 1e9 ? 1000000000LL : d < -1e9 ? -1000000000LL : (long long)d;
	bool is_min = strcmp(key, "MinCount") == 0;

	if (n < 1)
		return nb_err_set(
			ps->err, -EINVAL,
			"InvalidParameterValue: Value (%lld) for parameter %s is invalid. "
			"It must be a positive integer.",
			n, is_min ? "minCount" : "maxCount");
	if (is_min)
		ps->min = n;
	else
		ps->max = n;
	return 0;
}

static int f_user_data(struct parse *ps, const char *key, const cJSON *v)
{
	unsigned char *bytes;
	size_t len;
	int ret;

	(void)key;
	ret = ec2_user_data_decode(v->valuestring, EC2_USER_DATA_MAX, &bytes, &len, ps->err);
	if (ret < 0)
		return ret;
	free(ps->r->user_data);
	ps->r->user_data = bytes;
	ps->r->user_data_len = len;
	return 0;
}

static int f_subnet(struct parse *ps, const char *key, const cJSON *v)
{
	(void)key;
	if (!ec2_id_valid("subnet", v->valuestring))
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidSubnetID.Malformed: Invalid id: \"%.64s\" (expecting "
				  "\"subnet-...\")",
				  v->valuestring);
	snprintf(ps->r->subnet_id, sizeof(ps->r->subnet_id), "%s", v->valuestring);
	return 0;
}

static int f_private_ip(struct parse *ps, const char *key, const cJSON *v)
{
	uint32_t ip;

	(void)key;
	if (ec2_ip_parse(v->valuestring, &ip, NULL) < 0 || ip == 0)
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterValue: Invalid value '%.64s' for "
				  "PrivateIpAddress: it must be an IPv4 address such as 10.0.1.5.",
				  v->valuestring);
	ps->r->private_ip = ip;
	return 0;
}

/* A string parameter EC2 caps at max characters, copied into dst. */
static int capped(struct parse *ps, const cJSON *v, const char *param, char *dst, size_t dst_len,
		  size_t max)
{
	if (strlen(v->valuestring) > max)
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterValue: Value (%.80s...) for parameter %s is "
				  "invalid. Length exceeds maximum of %zu.",
				  v->valuestring, param, max);
	snprintf(dst, dst_len, "%s", v->valuestring);
	return 0;
}

static int f_client_token(struct parse *ps, const char *key, const cJSON *v)
{
	(void)key;
	return capped(ps, v, "clientToken", ps->r->client_token, sizeof(ps->r->client_token),
		      EC2_CLIENT_TOKEN_MAX);
}

static int f_key_name(struct parse *ps, const char *key, const cJSON *v)
{
	(void)key;
	return capped(ps, v, "keyName", ps->r->key_name, sizeof(ps->r->key_name), EC2_KEY_NAME_MAX);
}

static int f_dry_run(struct parse *ps, const char *key, const cJSON *v)
{
	(void)key;
	ps->dry_run = cJSON_IsTrue(v);
	return 0;
}

static int f_group_ids(struct parse *ps, const char *key, const cJSON *v)
{
	const cJSON *m;
	char path[64];
	size_t i = 0;
	int ret;

	cJSON_ArrayForEach(m, v)
	{
		snprintf(path, sizeof(path), "%s[%zu]", key, i++);
		if ((ret = ec2_req_want(ps, path, m, K_STR)) < 0)
			return ret;
		if (!ec2_id_valid("sg", m->valuestring))
			return nb_err_set(ps->err, -EINVAL,
					  "InvalidGroupId.Malformed: Invalid id: \"%.64s\" "
					  "(expecting \"sg-...\")",
					  m->valuestring);
	}
	return 0;
}

static int f_group_names(struct parse *ps, const char *key, const cJSON *v)
{
	const cJSON *m;
	char path[64];
	size_t i = 0;
	int ret;

	cJSON_ArrayForEach(m, v)
	{
		snprintf(path, sizeof(path), "%s[%zu]", key, i++);
		if ((ret = ec2_req_want(ps, path, m, K_STR)) < 0)
			return ret;
	}
	return 0;
}

static int f_shutdown(struct parse *ps, const char *key, const cJSON *v)
{
	(void)key;
	if (strcmp(v->valuestring, "stop") != 0 && strcmp(v->valuestring, "terminate") != 0)
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterValue: Value (%.64s) for parameter "
				  "instanceInitiatedShutdownBehavior is invalid. Valid values are "
				  "'stop' and 'terminate'.",
				  v->valuestring);
	return 0;
}

/* AWS fields nimbusfs cannot honour: accepted when they say nothing. */
static int f_unsupported(struct parse *ps, const char *key, const cJSON *v)
{
	if (json_is_empty(v) || (cJSON_IsNumber(v) && v->valuedouble == 0)) /* Ipv6AddressCount 0 */
		return 0;
	return nb_err_set(ps->err, -EINVAL, "%s is not implemented by nimbusfs (leave it out)",
			  key);
}

/* RunInstancesRequest's members in botocore's order, as its "Unknown
 * parameter" message lists them. A NULL fn type-checks and ignores. */
static const struct {
	const char *key;
	enum kind kind;
	field_fn fn;
} fields[] = {
	{ "BlockDeviceMappings", K_LIST, NULL },
	{ "ImageId", K_STR, f_image },
	{ "InstanceType", K_STR, f_type },
	{ "Ipv6AddressCount", K_INT, f_unsupported },
	{ "Ipv6Addresses", K_LIST, f_unsupported },
	{ "KernelId", K_STR, f_unsupported },
	{ "KeyName", K_STR, f_key_name },
	{ "MaxCount", K_INT, f_count },
	{ "MinCount", K_INT, f_count },
	{ "Monitoring", K_DICT, NULL },
	{ "Placement", K_DICT, NULL },
	{ "RamdiskId", K_STR, f_unsupported },
	{ "SecurityGroupIds", K_LIST, f_group_ids },
	{ "SecurityGroups", K_LIST, f_group_names },
	{ "SubnetId", K_STR, f_subnet },
	{ "UserData", K_STR, f_user_data },
	{ "ElasticGpuSpecification", K_LIST, f_unsupported },
	{ "ElasticInferenceAccelerators", K_LIST, f_unsupported },
	{ "TagSpecifications", K_LIST, ec2_req_tags },
	{ "LaunchTemplate", K_DICT, f_unsupported },
	{ "InstanceMarketOptions", K_DICT, f_unsupported },
	{ "CreditSpecification", K_DICT, NULL },
	{ "CpuOptions", K_DICT, NULL },
	{ "CapacityReservationSpecification", K_DICT, NULL },
	{ "HibernationOptions", K_DICT, NULL },
	{ "LicenseSpecifications", K_LIST, f_unsupported },
	{ "MetadataOptions", K_DICT, NULL },
	{ "EnclaveOptions", K_DICT, f_unsupported },
	{ "PrivateDnsNameOptions", K_DICT, NULL },
	{ "MaintenanceOptions", K_DICT, NULL },
	{ "DisableApiStop", K_BOOL, NULL },
	{ "EnablePrimaryIpv6", K_BOOL, f_unsupported },
	{ "NetworkPerformanceOptions", K_DICT, NULL },
	{ "Operator", K_DICT, f_unsupported },
	{ "DryRun", K_BOOL, f_dry_run },
	{ "DisableApiTermination", K_BOOL, NULL },
	{ "InstanceInitiatedShutdownBehavior", K_STR, f_shutdown },
	{ "PrivateIpAddress", K_STR, f_private_ip },
	{ "ClientToken", K_STR, f_client_token },
	{ "AdditionalInfo", K_STR, NULL },
	{ "NetworkInterfaces", K_LIST, f_unsupported },
	{ "IamInstanceProfile", K_DICT, NULL },
	{ "EbsOptimized", K_BOOL, NULL },
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static int unknown(struct parse *ps, const char *key)
{
	char list[NB_ERR_MSG_MAX];
	size_t n = 0;

	list[0] = '\0';
	for (size_t i = 0; i < N_FIELDS && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
				      fields[i].key);
	return nb_err_set(ps->err, -EINVAL,
			  "Unknown parameter in input: \"%.64s\", must be one of: %s", key, list);
}

static void req_init(struct ec2_run_req *r)
{
	memset(r, 0, sizeof(*r));
}

void ec2_run_req_free(struct ec2_run_req *r)
{
	for (size_t i = 0; i < r->n_tags; i++) {
		free(r->tags[i].key);
		free(r->tags[i].value);
	}
	free(r->tags);
	free(r->user_data);
	req_init(r);
}

/* What needs every field: the counts, their limit and combinations. */
static int finish(struct parse *ps)
{
	struct ec2_run_req *r = ps->r;

	if (!ps->min && !ps->max)
		ps->min = ps->max = 1;
	else if (!ps->min)
		ps->min = ps->max;
	else if (!ps->max)
		ps->max = ps->min;
	if (ps->max < ps->min)
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterValue: Value (%lld) for parameter maxCount is "
				  "invalid. It must be greater than or equal to minCount (%lld).",
				  ps->max, ps->min);
	if (ps->min > EC2_RUN_MAX_INSTANCES)
		return nb_err_set(ps->err, -EDQUOT,
				  "InstanceLimitExceeded: You have requested more instances (%lld) "
				  "than your current instance limit of %d allows for the specified "
				  "instance type. Please visit "
				  "http://aws.amazon.com/contact-us/ec2-request to request an "
				  "adjustment to this limit.",
				  ps->min, EC2_RUN_MAX_INSTANCES);
	if (r->private_ip && ps->max > 1)
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterCombination: PrivateIpAddress can only be used "
				  "when launching a single instance (MaxCount is %lld)",
				  ps->max);
	r->min = (int)ps->min;
	r->max = (int)(ps->max < EC2_RUN_MAX_INSTANCES ? ps->max : EC2_RUN_MAX_INSTANCES);
	if (!r->type)
		r->type = ec2_type_default();
	if (ps->dry_run)
		return nb_err_set(
			ps->err, -ECANCELED,
			"DryRunOperation: Request would have succeeded, but DryRun flag is "
			"set.");
	return 0;
}

static int parse_doc(struct parse *ps, const cJSON *doc)
{
	const cJSON *m;
	int ret;

	if (!cJSON_IsObject(doc))
		return nb_err_set(ps->err, -EINVAL,
				  "A RunInstances request must be a JSON object, as `aws ec2 "
				  "run-instances --generate-cli-skeleton` prints it");
	cJSON_ArrayForEach(m, doc)
	{
		size_t i;

		for (i = 0; i < N_FIELDS && strcmp(fields[i].key, m->string) != 0; i++)
			;
		if (i == N_FIELDS)
			return unknown(ps, m->string);
		if (cJSON_IsNull(m))
			continue;
		if ((ret = ec2_req_want(ps, m->string, m, fields[i].kind)) < 0)
			return ret;
		if (fields[i].fn && (ret = fields[i].fn(ps, m->string, m)) < 0)
			return ret;
	}
	return finish(ps);
}

int ec2_run_parse(const char *text, size_t len, struct ec2_run_req *out, struct nb_err *err)
{
	struct parse ps = { .r = out, .err = err };
	cleanup_cjson cJSON *doc = NULL;
	size_t i = 0;
	int ret;

	req_init(out);
	while (i < len && nb_is_blank(text[i]))
		i++;
	if (i == len) {
		ret = finish(&ps);
	} else {
		doc = json_parse(text, len, err);
		ret = doc ? parse_doc(&ps, doc) : -EINVAL;
	}
	if (ret < 0)
		ec2_run_req_free(out);
	return ret;
}
