/*
 * tests/fuzz/fuzz_ec2_run.c - RunInstances JSON as written to ec2/run:
 * ec2_run_parse() (and the framing check json_is_complete() that decides
 * when the bytes are a request). What it accepts must hold what
 * backend/ec2/request.h promises the service.
 */
#include "backend/common/json.h"
#include "backend/ec2/request.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void check_req(const struct ec2_run_req *r)
{
	FUZZ_CHECK(r->type != NULL, "no instance type");
	FUZZ_CHECK(r->min >= 1 && r->min <= r->max && r->max <= EC2_RUN_MAX_INSTANCES,
		   "MinCount %d MaxCount %d", r->min, r->max);
	FUZZ_CHECK(!r->image_id[0] || ec2_ami_valid(r->image_id), "ImageId \"%s\"", r->image_id);
	FUZZ_CHECK(!r->subnet_id[0] || ec2_id_valid("subnet", r->subnet_id), "SubnetId \"%s\"",
		   r->subnet_id);
	FUZZ_CHECK(!r->private_ip || r->max == 1, "PrivateIpAddress with MaxCount %d", r->max);
	FUZZ_CHECK((r->user_data == NULL) == (r->user_data_len == 0), "user data %p, %zu bytes",
		   (void *)r->user_data, r->user_data_len);
	FUZZ_CHECK(r->user_data_len <= EC2_USER_DATA_MAX, "%zu bytes of user data",
		   r->user_data_len);
	FUZZ_CHECK(!r->user_data || r->user_data[r->user_data_len] == '\0',
		   "user data not terminated");
	FUZZ_CHECK(r->n_tags <= EC2_TAGS_MAX, "%zu tags", r->n_tags);
	for (size_t i = 0; i < r->n_tags; i++) {
		size_t k = ec2_utf8_chars(r->tags[i].key), v = ec2_utf8_chars(r->tags[i].value);

		FUZZ_CHECK(k >= 1 && k <= EC2_TAG_KEY_MAX, "tag key of %zu characters", k);
		FUZZ_CHECK(v <= EC2_TAG_VALUE_MAX, "tag value of %zu characters", v);
		FUZZ_CHECK(strncasecmp(r->tags[i].key, "aws:", 4) != 0, "tag key \"%s\"",
			   r->tags[i].key);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(r->tags[i].key, r->tags[j].key) != 0, "tag \"%s\" twice",
				   r->tags[i].key);
	}
	FUZZ_CHECK(strlen(r->client_token) <= EC2_CLIENT_TOKEN_MAX, "ClientToken");
	FUZZ_CHECK(strlen(r->key_name) <= EC2_KEY_NAME_MAX, "KeyName");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	struct ec2_run_req r;
	struct nb_err err = { 0 };
	int ret;

	if (!buf)
		return 0;
	(void)json_is_complete(buf, size);
	memset(&r, 0xa5, sizeof(r)); /* the parser must not rely on a zeroed out */
	ret = ec2_run_parse(buf, size, &r, &err);
	FUZZ_CHECK_ERR(ret, &err);
	if (ret == 0)
		check_req(&r);
	else
		FUZZ_CHECK(r.tags == NULL && r.user_data == NULL && r.n_tags == 0,
			   "error %d left the request filled", ret);
	ec2_run_req_free(&r);
	free(buf);
	return 0;
}
