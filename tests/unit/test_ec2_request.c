/*
 * tests/unit/test_ec2_request.c - RunInstances requests: the empty request,
 * a full CLI-shaped one, every field's good and bad values and bounds,
 * unknown fields, wrong types, invalid JSON, and user data's base64.
 * JSON in this file is written with ' for " so it stays readable.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/ec2/request.h"
#include "tests/unit/helpers.h"

/* Parses JSON written with ' for "; fails unless it returns code (and, when
 * msg, that message). On success r is the caller's to free. */
static void parse_as(const char *json, struct ec2_run_req *r, int code, const char *msg)
{
	cleanup_free char *text = th_dq(json);
	struct nb_err err = { 0 };
	int ret = ec2_run_parse(text, strlen(text), r, &err);

	if (ret != code || (msg && strcmp(err.msg, msg) != 0))
		fail_msg("parse(%s)\n got  %d \"%s\"\n want %d \"%s\"", json, ret, err.msg, code,
			 msg ? msg : "(any)");
	if (ret < 0) { /* left empty */
		assert_null(r->tags);
		assert_null(r->user_data);
		assert_null(r->type);
		assert_int_equal(r->n_tags, 0);
		assert_string_equal(r->image_id, "");
	}
}

static void expect_error(const char *json, int code, const char *msg)
{
	struct ec2_run_req r;

	parse_as(json, &r, code, msg);
	ec2_run_req_free(&r);
}

static void expect_ok(const char *json)
{
	struct ec2_run_req r;

	parse_as(json, &r, 0, NULL);
	ec2_run_req_free(&r);
}

static void assert_defaults(const struct ec2_run_req *r)
{
	assert_string_equal(r->image_id, "");
	assert_ptr_equal(r->type, ec2_type_find("t3.micro"));
	assert_int_equal(r->min, 1);
	assert_int_equal(r->max, 1);
	assert_null(r->user_data);
	assert_int_equal(r->user_data_len, 0);
	assert_string_equal(r->subnet_id, "");
	assert_int_equal(r->private_ip, 0);
	assert_null(r->tags);
	assert_int_equal(r->n_tags, 0);
	assert_string_equal(r->client_token, "");
	assert_string_equal(r->key_name, "");
}

static void test_empty_request(void **state)
{
	static const char *const empties[] = { "", " ", "\n", " \t\r\n\n", "{}", " {}\n" };
	struct nb_err err = { 0 };
	struct ec2_run_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		assert_int_equal(ec2_run_parse(empties[i], strlen(empties[i]), &r, &err), 0);
		assert_defaults(&r);
		ec2_run_req_free(&r);
	}
	assert_int_equal(ec2_run_parse(NULL, 0, &r, &err), 0);
	assert_defaults(&r);
	ec2_run_req_free(&r);
	ec2_run_req_free(&r); /* twice is harmless */
}

static void test_full_cli_request(void **state)
{
	struct ec2_run_req r;

	(void)state;
	/* `aws ec2 run-instances --generate-cli-skeleton`, filled in as a user
	 * does, with the fields that change nothing left as the skeleton has
	 * them or given plausibly */
	parse_as(
		"{\n"
		"  'BlockDeviceMappings': [{'DeviceName': '/dev/xvda', 'Ebs': {'VolumeSize': "
		"8}}],\n"
		"  'ImageId': 'ami-0abcdef1234567890',\n"
		"  'InstanceType': 't4g.small',\n"
		"  'Ipv6AddressCount': 0,\n"
		"  'Ipv6Addresses': [],\n"
		"  'KernelId': '',\n"
		"  'KeyName': 'my-key',\n"
		"  'MaxCount': 1,\n"
		"  'MinCount': 1,\n"
		"  'Monitoring': {'Enabled': false},\n"
		"  'Placement': {'AvailabilityZone': 'us-east-1a', 'Tenancy': 'default'},\n"
		"  'RamdiskId': '',\n"
		"  'SecurityGroupIds': ['sg-0123456789abcdef0', 'sg-1a2b3c4d'],\n"
		"  'SecurityGroups': ['default'],\n"
		"  'SubnetId': 'subnet-0123456789abcdef0',\n"
		"  'UserData': 'IyEvYmluL3NoCmVjaG8gaGkK',\n"
		"  'ElasticGpuSpecification': [],\n"
		"  'TagSpecifications': [\n"
		"    {'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': 'web'},\n"
		"                                          {'Key': 'env', 'Value': ''},\n"
		"                                          {'Key': 'solo'}]},\n"
		"    {'ResourceType': 'volume', 'Tags': [{'Key': 'Name', 'Value': 'web-root'}]}\n"
		"  ],\n"
		"  'LaunchTemplate': {},\n"
		"  'InstanceMarketOptions': {'MarketType': ''},\n"
		"  'CreditSpecification': {'CpuCredits': 'standard'},\n"
		"  'CpuOptions': {'CoreCount': 1, 'ThreadsPerCore': 2},\n"
		"  'MetadataOptions': {'HttpTokens': 'required'},\n"
		"  'EnclaveOptions': {'Enabled': false},\n"
		"  'PrivateDnsNameOptions': {'HostnameType': 'ip-name'},\n"
		"  'MaintenanceOptions': {'AutoRecovery': 'default'},\n"
		"  'DisableApiStop': false,\n"
		"  'EnablePrimaryIpv6': false,\n"
		"  'DryRun': false,\n"
		"  'DisableApiTermination': true,\n"
		"  'InstanceInitiatedShutdownBehavior': 'terminate',\n"
		"  'PrivateIpAddress': '10.0.1.25',\n"
		"  'ClientToken': 'launch-web-1',\n"
		"  'AdditionalInfo': '',\n"
		"  'NetworkInterfaces': [],\n"
		"  'IamInstanceProfile': {'Name': 'web'},\n"
		"  'EbsOptimized': false,\n"
		"  'HibernationOptions': {'Configured': false},\n"
		"  'LicenseSpecifications': [],\n"
		"  'CapacityReservationSpecification': {'CapacityReservationPreference': 'open'},\n"
		"  'NetworkPerformanceOptions': {},\n"
		"  'Operator': null,\n"
		"  'ElasticInferenceAccelerators': []\n"
		"}\n",
		&r, 0, NULL);
	assert_string_equal(r.image_id, "ami-0abcdef1234567890");
	assert_string_equal(r.type->name, "t4g.small");
	assert_string_equal(r.type->arch, "arm64");
	assert_int_equal(r.min, 1);
	assert_int_equal(r.max, 1);
	assert_int_equal(r.user_data_len, strlen("#!/bin/sh\necho hi\n"));
	assert_string_equal((const char *)r.user_data, "#!/bin/sh\necho hi\n");
	assert_string_equal(r.subnet_id, "subnet-0123456789abcdef0");
	assert_int_equal(r.private_ip, 10u << 24 | 1u << 8 | 25u);
	assert_int_equal(r.n_tags, 3);
	assert_string_equal(r.tags[0].key, "Name");
	assert_string_equal(r.tags[0].value, "web");
	assert_string_equal(r.tags[1].key, "env");
	assert_string_equal(r.tags[1].value, "");
	assert_string_equal(r.tags[2].key, "solo");
	assert_string_equal(r.tags[2].value, "");
	assert_string_equal(r.client_token, "launch-web-1");
	assert_string_equal(r.key_name, "my-key");
	ec2_run_req_free(&r);
	assert_null(r.tags);
	assert_null(r.type);
}

static void test_image_and_type(void **state)
{
	struct ec2_run_req r;

	(void)state;
	expect_ok("{'ImageId': 'ami-12345678'}");
	expect_ok("{'ImageId': 'ami-0123456789abcdef0'}");
	expect_error("{'ImageId': 'ami-0123456789ABCDEF0'}", -EINVAL,
		     "InvalidAMIID.Malformed: Invalid id: \"ami-0123456789ABCDEF0\" (expecting "
		     "\"ami-...\")");
	expect_error(
		"{'ImageId': 'ubuntu:22.04'}", -EINVAL,
		"InvalidAMIID.Malformed: Invalid id: \"ubuntu:22.04\" (expecting \"ami-...\")");
	expect_error("{'ImageId': 'ami-1234567'}", -EINVAL, NULL);
	expect_error("{'ImageId': ''}", -EINVAL, NULL);
	parse_as("{'ImageId': null, 'InstanceType': 'c5.9xlarge'}", &r, 0, NULL);
	assert_string_equal(r.image_id, "");
	assert_int_equal(r.type->vcpus, 36);
	ec2_run_req_free(&r);
	expect_error("{'InstanceType': 't3.mega'}", -EINVAL,
		     "InvalidParameterValue: Invalid value 't3.mega' for InstanceType.");
	expect_error("{'InstanceType': 'T3.micro'}", -EINVAL,
		     "InvalidParameterValue: Invalid value 'T3.micro' for InstanceType.");
	expect_error("{'InstanceType': ''}", -EINVAL,
		     "InvalidParameterValue: Invalid value '' for InstanceType.");
}

static void test_counts(void **state)
{
	struct ec2_run_req r;

	(void)state;
	parse_as("{'MinCount': 2, 'MaxCount': 5}", &r, 0, NULL);
	assert_int_equal(r.min, 2);
	assert_int_equal(r.max, 5);
	ec2_run_req_free(&r);
	parse_as("{'MinCount': 3}", &r, 0, NULL);
	assert_int_equal(r.min, 3);
	assert_int_equal(r.max, 3);
	ec2_run_req_free(&r);
	parse_as("{'MaxCount': 4}", &r, 0, NULL);
	assert_int_equal(r.min, 4);
	assert_int_equal(r.max, 4);
	ec2_run_req_free(&r);
	parse_as("{'MinCount': 20, 'MaxCount': 20}", &r, 0, NULL);
	assert_int_equal(r.min, 20);
	assert_int_equal(r.max, 20);
	ec2_run_req_free(&r);
	/* a MaxCount over the limit launches as many as fit, as AWS does */
	parse_as("{'MinCount': 1, 'MaxCount': 100}", &r, 0, NULL);
	assert_int_equal(r.min, 1);
	assert_int_equal(r.max, 20);
	ec2_run_req_free(&r);

	expect_error("{'MinCount': 0}", -EINVAL,
		     "InvalidParameterValue: Value (0) for parameter minCount is invalid. It must "
		     "be a positive integer.");
	expect_error("{'MaxCount': 0, 'MinCount': 1}", -EINVAL,
		     "InvalidParameterValue: Value (0) for parameter maxCount is invalid. It must "
		     "be a positive integer.");
	expect_error("{'MinCount': -3}", -EINVAL, NULL);
	expect_error("{'MinCount': 3, 'MaxCount': 2}", -EINVAL,
		     "InvalidParameterValue: Value (2) for parameter maxCount is invalid. It must "
		     "be greater than or equal to minCount (3).");
	expect_error("{'MinCount': 21, 'MaxCount': 30}", -EDQUOT,
		     "InstanceLimitExceeded: You have requested more instances (21) than your "
		     "current instance limit of 20 allows for the specified instance type. Please "
		     "visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment "
		     "to this limit.");
	expect_error("{'MinCount': 21}", -EDQUOT, NULL);
	expect_error("{'MaxCount': 21}", -EDQUOT, NULL);
	expect_error("{'MinCount': 1e300, 'MaxCount': 1e300}", -EDQUOT,
		     "InstanceLimitExceeded: You have requested more instances (1000000000) than "
		     "your current instance limit of 20 allows for the specified instance type. "
		     "Please visit http://aws.amazon.com/contact-us/ec2-request to request an "
		     "adjustment to this limit.");
	/* the CLI's types */
	expect_error("{'MinCount': '1'}", -EINVAL,
		     "Invalid type for parameter MinCount, value: 1, type: <class 'str'>, valid "
		     "types: <class 'int'>");
	expect_error("{'MaxCount': 1.5}", -EINVAL,
		     "Invalid type for parameter MaxCount, value: 1.5, type: <class 'float'>, "
		     "valid types: <class 'int'>");
	expect_error("{'MaxCount': true}", -EINVAL,
		     "Invalid type for parameter MaxCount, value: true, type: <class 'bool'>, "
		     "valid types: <class 'int'>");
}

/* Base64 of n bytes of 'x' (n a multiple of 3 encodes without padding). */
static char *b64_of_x(size_t n)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct nb_buf b = { 0 };

	for (size_t i = 0; i < n; i += 3) {
		size_t left = n - i;
		uint32_t v = (uint32_t)'x' << 16 | (left > 1 ? (uint32_t)'x' << 8 : 0) |
			     (left > 2 ? (uint32_t)'x' : 0);
		char q[5] = { tbl[v >> 18 & 63], tbl[v >> 12 & 63],
			      left > 1 ? tbl[v >> 6 & 63] : '=', left > 2 ? tbl[v & 63] : '=', 0 };

		assert_int_equal(nb_buf_puts(&b, q), 0);
	}
	return nb_buf_steal(&b);
}

static void expect_user_data(size_t n, int code)
{
	cleanup_free char *b64 = b64_of_x(n);
	cleanup_buf struct nb_buf json = { 0 };
	struct nb_err err = { 0 };
	struct ec2_run_req r;
	int ret;

	assert_int_equal(nb_buf_printf(&json, "{\"UserData\": \"%s\"}", b64), 0);
	ret = ec2_run_parse(json.data, json.len, &r, &err);
	if (ret != code)
		fail_msg("%zu bytes of user data: %d \"%s\", want %d", n, ret, err.msg, code);
	if (code == 0) {
		assert_int_equal(r.user_data_len, n);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(r.user_data[i], 'x');
		assert_int_equal(r.user_data[n], '\0');
	} else {
		assert_string_equal(err.msg,
				    "InvalidParameterValue: User data is limited to 16384 bytes");
	}
	ec2_run_req_free(&r);
}

static void test_user_data(void **state)
{
	static const char invalid[] =
		"InvalidParameterValue: Invalid BASE64 encoding of user data.";
	struct ec2_run_req r;
	unsigned char *out;
	size_t len;
	struct nb_err err = { 0 };

	(void)state;
	expect_user_data(16383, 0);
	expect_user_data(16384, 0);
	expect_user_data(16385, -EFBIG);
	expect_user_data(1, 0);
	expect_user_data(2, 0);
	expect_user_data(3, 0);
	expect_user_data(100000, -EFBIG);

	parse_as("{'UserData': ''}", &r, 0, NULL);
	assert_null(r.user_data);
	assert_int_equal(r.user_data_len, 0);
	ec2_run_req_free(&r);
	/* as `base64` wraps it */
	parse_as("{'UserData': 'aGVsbG8g\\nd29ybGQ=\\n'}", &r, 0, NULL);
	assert_string_equal((const char *)r.user_data, "hello world");
	ec2_run_req_free(&r);
	expect_error("{'UserData': '#!/bin/bash\\necho hi'}", -EINVAL, invalid);
	expect_error("{'UserData': 'aGVsbG8'}", -EINVAL, invalid);   /* unpadded */
	expect_error("{'UserData': 'aGVsbG8=='}", -EINVAL, invalid); /* 9 characters */
	expect_error("{'UserData': 'aGVs=G8='}", -EINVAL, invalid);  /* '=' inside */
	expect_error("{'UserData': 'aG===='}", -EINVAL, invalid);
	expect_error("{'UserData': 'aGVsbG8-'}", -EINVAL, invalid); /* base64url */
	expect_error("{'UserData': '===='}", -EINVAL, invalid);
	expect_error("{'UserData': 12}", -EINVAL,
		     "Invalid type for parameter UserData, value: 12, type: <class 'int'>, valid "
		     "types: <class 'str'>");

	/* the decoder alone: binary bytes survive, NUL included */
	assert_int_equal(ec2_user_data_decode("AP8A/w==", 16, &out, &len, &err), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "\x00\xff\x00\xff", 4);
	free(out);
	assert_int_equal(ec2_user_data_decode("+/+/", 16, &out, &len, &err), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "\xfb\xff\xbf", 3);
	free(out);
	assert_int_equal(ec2_user_data_decode("aGk=", 1, &out, &len, &err), -EFBIG);
	assert_null(out);
	assert_string_equal(err.msg, "InvalidParameterValue: User data is limited to 1 bytes");
	assert_int_equal(ec2_user_data_decode(" \n", 16, &out, &len, &err), 0);
	assert_null(out);
	assert_int_equal(len, 0);
}

static void test_subnet_and_private_ip(void **state)
{
	struct ec2_run_req r;

	(void)state;
	expect_ok("{'SubnetId': 'subnet-1a2b3c4d'}");
	expect_error("{'SubnetId': 'subnet-XYZ'}", -EINVAL,
		     "InvalidSubnetID.Malformed: Invalid id: \"subnet-XYZ\" (expecting "
		     "\"subnet-...\")");
	expect_error("{'SubnetId': 'sn-0123456789abcdef0'}", -EINVAL, NULL);
	expect_error("{'SubnetId': ''}", -EINVAL, NULL);
	expect_error("{'SubnetId': ['subnet-1a2b3c4d']}", -EINVAL,
		     "Invalid type for parameter SubnetId, value: [\"subnet-1a2b3c4d\"], type: "
		     "<class 'list'>, valid types: <class 'str'>");

	parse_as("{'PrivateIpAddress': '172.31.16.9'}", &r, 0, NULL);
	assert_int_equal(r.private_ip, 172u << 24 | 31u << 16 | 16u << 8 | 9u);
	ec2_run_req_free(&r);
	expect_ok("{'PrivateIpAddress': '10.0.0.9', 'MinCount': 1, 'MaxCount': 1}");
	expect_error("{'PrivateIpAddress': '10.0.0.256'}", -EINVAL,
		     "InvalidParameterValue: Invalid value '10.0.0.256' for PrivateIpAddress: it "
		     "must be an IPv4 address such as 10.0.1.5.");
	expect_error("{'PrivateIpAddress': '10.0.0.9/32'}", -EINVAL, NULL);
	expect_error("{'PrivateIpAddress': '0.0.0.0'}", -EINVAL, NULL);
	expect_error("{'PrivateIpAddress': 'fe80::1'}", -EINVAL, NULL);
	expect_error("{'PrivateIpAddress': '10.0.0.9', 'MinCount': 1, 'MaxCount': 2}", -EINVAL,
		     "InvalidParameterCombination: PrivateIpAddress can only be used when "
		     "launching a single instance (MaxCount is 2)");
	expect_error("{'MaxCount': 30, 'MinCount': 1, 'PrivateIpAddress': '10.0.0.9'}", -EINVAL,
		     "InvalidParameterCombination: PrivateIpAddress can only be used when "
		     "launching a single instance (MaxCount is 30)");
	expect_error("{'MinCount': 2, 'PrivateIpAddress': '10.0.0.9'}", -EINVAL, NULL);
}

/* {'ResourceType': 'instance', 'Tags': [n tags with key of key_len chars]} */
static char *tags_json(const char *type, size_t n, size_t key_len, size_t value_len)
{
	struct nb_buf b = { 0 };

	assert_int_equal(
		nb_buf_printf(&b, "{'TagSpecifications': [{'ResourceType': '%s', 'Tags': [", type),
		0);
	for (size_t i = 0; i < n; i++) {
		char key[300];

		snprintf(key, sizeof(key), "%zu", i);
		while (strlen(key) < key_len)
			strcat(key, "k");
		assert_int_equal(
			nb_buf_printf(&b, "%s{'Key': '%s', 'Value': '", i ? ", " : "", key), 0);
		for (size_t j = 0; j < value_len; j++)
			assert_int_equal(nb_buf_puts(&b, "v"), 0);
		assert_int_equal(nb_buf_puts(&b, "'}"), 0);
	}
	assert_int_equal(nb_buf_puts(&b, "]}]}"), 0);
	return nb_buf_steal(&b);
}

static void expect_tags(const char *type, size_t n, size_t key_len, size_t value_len, int code,
			const char *msg, size_t kept)
{
	cleanup_free char *json = tags_json(type, n, key_len, value_len);
	struct ec2_run_req r;

	parse_as(json, &r, code, msg);
	if (code == 0)
		assert_int_equal(r.n_tags, kept);
	ec2_run_req_free(&r);
}

static void test_tags(void **state)
{
	struct ec2_run_req r;

	(void)state;
	expect_tags("instance", 50, 3, 10, 0, NULL, 50);
	expect_tags("instance", 51, 3, 10, -EINVAL,
		    "TagLimitExceeded: The maximum number of Tags for a resource has been reached. "
		    "(TagSpecifications[0].Tags holds 51; at most 50)",
		    0);
	expect_tags("volume", 50, 3, 10, 0, NULL, 0); /* accepted, dropped */
	expect_tags("volume", 51, 3, 10, -EINVAL, NULL, 0);
	expect_tags("instance", 1, 128, 0, 0, NULL, 1);
	expect_tags("instance", 1, 129, 0, -EINVAL,
		    "InvalidParameterValue: Tag key exceeds the maximum length of 128 characters "
		    "(TagSpecifications[0].Tags[0])",
		    0);
	expect_tags("instance", 1, 5, 256, 0, NULL, 1);
	expect_tags("instance", 1, 5, 257, -EINVAL,
		    "InvalidParameterValue: Tag value exceeds the maximum length of 256 characters "
		    "(TagSpecifications[0].Tags[0])",
		    0);
	/* lengths are in characters: 128 two-byte characters fit */
	{
		struct nb_buf b = { 0 };
		struct nb_err err = { 0 };
		cleanup_free char *json = NULL;

		assert_int_equal(nb_buf_puts(&b, "{\"TagSpecifications\": [{\"ResourceType\": "
						 "\"instance\", \"Tags\": [{\"Key\": \""),
				 0);
		for (int i = 0; i < 128; i++)
			assert_int_equal(nb_buf_puts(&b, "\xc3\xa9"), 0);
		assert_int_equal(nb_buf_puts(&b, "\"}]}]}"), 0);
		json = nb_buf_steal(&b);
		assert_int_equal(ec2_run_parse(json, strlen(json), &r, &err), 0);
		assert_int_equal(strlen(r.tags[0].key), 256);
		ec2_run_req_free(&r);
	}

	/* Found by fuzzing (tests/fuzz/crashes/ec2_run/): bytes that continue no
	 * sequence counted as nothing, so a tag key of them was "0 characters"
	 * and any number of them passed the limits (the JSON parser may refuse
	 * such text first; tag files reach the count directly). Each counts as
	 * one character now. */
	assert_int_equal(ec2_utf8_chars("\xc3\xa9t\xe2\x82\xac\xf0\x9f\x98\x80"), 4);
	assert_int_equal(ec2_utf8_chars("\x80\x80\xbf"), 3);
	assert_int_equal(ec2_utf8_chars("\xe2\x82x\xc3"), 4); /* cut sequences */
	assert_int_equal(ec2_utf8_chars(""), 0);

	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': "
		     "'aws:cloudformation:stack-name', 'Value': 'x'}]}]}",
		     -EINVAL,
		     "InvalidParameterValue: Tag keys starting with 'aws:' are reserved for "
		     "internal use (TagSpecifications[0].Tags[0])");
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': "
		     "'AWS:x'}]}]}",
		     -EINVAL, NULL);
	expect_ok("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': "
		  "'awsome'}, {'Key': 'aws'}]}]}");
	expect_error(
		"{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': ''}]}]}",
		-EINVAL,
		"InvalidParameterValue: Tag key must not be empty (TagSpecifications[0].Tags[0])");
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Value': "
		     "'x'}]}]}",
		     -EINVAL, NULL);
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': 'a'}, "
		     "{'Key': 'b'}, {'Key': 'a', 'Value': '2'}]}]}",
		     -EINVAL,
		     "InvalidParameterValue: Duplicate tag key 'a' specified "
		     "(TagSpecifications[0].Tags[2])");
	/* the same key on the instance and on its volume is fine */
	parse_as("{'TagSpecifications': [{'ResourceType': 'volume', 'Tags': [{'Key': 'Name', "
		 "'Value': 'disk'}]}, {'ResourceType': 'instance', 'Tags': [{'Key': 'Name', "
		 "'Value': 'box'}]}]}",
		 &r, 0, NULL);
	assert_int_equal(r.n_tags, 1);
	assert_string_equal(r.tags[0].value, "box");
	ec2_run_req_free(&r);

	expect_error("{'TagSpecifications': [{'ResourceType': 'snapshot', 'Tags': [{'Key': "
		     "'a'}]}]}",
		     -EINVAL,
		     "InvalidParameterValue: 'snapshot' is not a valid taggable resource type for "
		     "this operation.");
	expect_error("{'TagSpecifications': [{'ResourceType': 'Instance', 'Tags': [{'Key': "
		     "'a'}]}]}",
		     -EINVAL, NULL);
	expect_error("{'TagSpecifications': [{'Tags': [{'Key': 'a'}]}]}", -EINVAL,
		     "InvalidParameterValue: Tag specification resource type must have a value "
		     "(TagSpecifications[0].ResourceType)");
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': []}]}", -EINVAL,
		     "InvalidParameterValue: Tag specification must have at least one tag "
		     "(TagSpecifications[0].Tags)");
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance'}]}", -EINVAL, NULL);
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': "
		     "'a'}]}, {'ResourceType': 'instance', 'Tags': [{'Key': 'b'}]}]}",
		     -EINVAL,
		     "InvalidParameterValue: The same resource type may not be specified more than "
		     "once in tag specifications.");
	expect_ok("{'TagSpecifications': []}");
	/* shapes, in the CLI's words */
	expect_error("{'TagSpecifications': {'ResourceType': 'instance'}}", -EINVAL,
		     "Invalid type for parameter TagSpecifications, value: "
		     "{\"ResourceType\":\"instance\"}, type: <class 'dict'>, valid types: <class "
		     "'list'>, <class 'tuple'>");
	expect_error("{'TagSpecifications': ['instance']}", -EINVAL,
		     "Invalid type for parameter TagSpecifications[0], value: instance, type: "
		     "<class 'str'>, valid types: <class 'dict'>");
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': {'Key': "
		     "'a'}}]}",
		     -EINVAL, NULL);
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': "
		     "'a', 'Value': 7}]}]}",
		     -EINVAL,
		     "Invalid type for parameter TagSpecifications[0].Tags[0].Value, value: 7, "
		     "type: <class 'int'>, valid types: <class 'str'>");
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tags': [{'Key': "
		     "'a', 'Colour': 'red'}]}]}",
		     -EINVAL,
		     "Unknown parameter in TagSpecifications[0].Tags[0]: \"Colour\", must be one "
		     "of: Key, Value");
	expect_error("{'TagSpecifications': [{'ResourceType': 'instance', 'Tag': []}]}", -EINVAL,
		     "Unknown parameter in TagSpecifications[0]: \"Tag\", must be one of: "
		     "ResourceType, Tags");
}

static void test_ignored_and_unsupported(void **state)
{
	struct ec2_run_req r;

	(void)state;
	parse_as("{'KeyName': 'k', 'ClientToken': 'abc'}", &r, 0, NULL);
	assert_string_equal(r.key_name, "k");
	assert_string_equal(r.client_token, "abc");
	ec2_run_req_free(&r);
	expect_ok("{'ClientToken': "
		  "'1234567890123456789012345678901234567890123456789012345678901234'}");
	expect_error("{'ClientToken': "
		     "'12345678901234567890123456789012345678901234567890123456789012345'}",
		     -EINVAL, NULL);
	expect_error("{'SecurityGroupIds': ['sg-12']}", -EINVAL,
		     "InvalidGroupId.Malformed: Invalid id: \"sg-12\" (expecting \"sg-...\")");
	expect_error("{'SecurityGroupIds': 'sg-1a2b3c4d'}", -EINVAL,
		     "Invalid type for parameter SecurityGroupIds, value: sg-1a2b3c4d, type: "
		     "<class 'str'>, valid types: <class 'list'>, <class 'tuple'>");
	expect_error("{'SecurityGroupIds': [7]}", -EINVAL,
		     "Invalid type for parameter SecurityGroupIds[0], value: 7, type: <class "
		     "'int'>, valid types: <class 'str'>");
	expect_error("{'SecurityGroups': [false]}", -EINVAL, NULL);
	expect_error("{'Monitoring': true}", -EINVAL,
		     "Invalid type for parameter Monitoring, value: true, type: <class 'bool'>, "
		     "valid types: <class 'dict'>");
	expect_error("{'EbsOptimized': 'yes'}", -EINVAL, NULL);
	expect_ok("{'InstanceInitiatedShutdownBehavior': 'stop'}");
	expect_error("{'InstanceInitiatedShutdownBehavior': 'hibernate'}", -EINVAL,
		     "InvalidParameterValue: Value (hibernate) for parameter "
		     "instanceInitiatedShutdownBehavior is invalid. Valid values are 'stop' and "
		     "'terminate'.");
	expect_error("{'NetworkInterfaces': [{'DeviceIndex': 0}]}", -EINVAL,
		     "NetworkInterfaces is not implemented by nimbusfs (leave it out)");
	expect_error("{'LaunchTemplate': {'LaunchTemplateName': 'web'}}", -EINVAL,
		     "LaunchTemplate is not implemented by nimbusfs (leave it out)");
	expect_error("{'Ipv6AddressCount': 1}", -EINVAL, NULL);
	expect_error("{'EnablePrimaryIpv6': true}", -EINVAL, NULL);
	expect_error("{'KernelId': 'aki-12345678'}", -EINVAL, NULL);
	expect_error("{'LaunchTemplate': []}", -EINVAL,
		     "Invalid type for parameter LaunchTemplate, value: [], type: <class 'list'>, "
		     "valid types: <class 'dict'>");
}

static void test_dry_run(void **state)
{
	(void)state;
	expect_ok("{'DryRun': false}");
	expect_error("{'DryRun': true}", -ECANCELED,
		     "DryRunOperation: Request would have succeeded, but DryRun flag is set.");
	/* a dry run still reports what is wrong first */
	expect_error("{'DryRun': true, 'InstanceType': 'x'}", -EINVAL,
		     "InvalidParameterValue: Invalid value 'x' for InstanceType.");
	expect_error("{'DryRun': true, 'MinCount': 99}", -EDQUOT, NULL);
	expect_error("{'DryRun': 'true'}", -EINVAL,
		     "Invalid type for parameter DryRun, value: true, type: <class 'str'>, valid "
		     "types: <class 'bool'>");
}

static void test_unknown_and_shape(void **state)
{
	struct ec2_run_req r;
	struct nb_err err = { 0 };
	cleanup_free char *text = th_dq("{'ImageId': 'ami-12345678', 'Count': 2}");

	(void)state;
	assert_int_equal(ec2_run_parse(text, strlen(text), &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "Unknown parameter in input: \"Count\", must be one of: "
					"BlockDeviceMappings, ImageId, InstanceType, "));
	/* the whole list fits in the message */
	assert_non_null(strstr(err.msg, ", IamInstanceProfile, EbsOptimized"));
	assert_true(strlen(err.msg) < NB_ERR_MSG_MAX - 1);
	ec2_run_req_free(&r);
	/* field names are case-sensitive, as botocore's */
	expect_error("{'imageId': 'ami-12345678'}", -EINVAL, NULL);
	expect_error("[]", -EINVAL,
		     "A RunInstances request must be a JSON object, as `aws ec2 run-instances "
		     "--generate-cli-skeleton` prints it");
	expect_error("'ami-12345678'", -EINVAL, NULL);
	expect_error("null", -EINVAL, NULL);
}

static void test_invalid_json(void **state)
{
	(void)state;
	expect_error("{\n  'ImageId': 'ami-12345678',\n  'MinCount': 1,,\n}", -EINVAL,
		     "invalid JSON at line 3, column 18");
	expect_error("{'ImageId': 'ami-12345678'", -EINVAL, NULL);
	expect_error("{} {}", -EINVAL,
		     "invalid JSON at line 1, column 4: unexpected data after the document");
	expect_error("  \n x", -EINVAL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_request),
		cmocka_unit_test(test_full_cli_request),
		cmocka_unit_test(test_image_and_type),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_user_data),
		cmocka_unit_test(test_subnet_and_private_ip),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_ignored_and_unsupported),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_unknown_and_shape),
		cmocka_unit_test(test_invalid_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
