/*
 * tests/unit/test_fnconfig.c - a Lambda function's configuration: defaults,
 * every setter's bounds with AWS's wording, names, runtimes, the dotenv
 * environment, config.json both ways, persistence and the fingerprint.
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

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "tests/unit/helpers.h"

#define S(text) text, strlen(text)

typedef int (*setter)(struct lambda_config *, const char *, size_t, struct nb_err *);

static void expect_set(setter fn, const char *text, int code, const char *msg)
{
	struct lambda_config c, before;
	struct nb_err err = { 0 };
	int ret;

	lambda_config_init(&c, "f");
	before = c;
	ret = fn(&c, text, strlen(text), &err);
	if (ret != code || (msg && strcmp(err.msg, msg) != 0))
		fail_msg("set(\"%s\")\n got  %d \"%s\"\n want %d \"%s\"", text, ret, err.msg, code,
			 msg ? msg : "(any)");
	if (code < 0)
		assert_memory_equal(&c, &before, sizeof(c));
	lambda_config_free(&c);
}

#define RANGE_MSG(value, field, cmp, bound)                                                        \
	"1 validation error detected: Value '" value "' at '" field                                \
	"' failed to satisfy constraint: Member must have value " cmp " than or equal to " bound

static void test_defaults(void **state)
{
	struct lambda_config c;
	cleanup_buf struct nb_buf b = { 0 };

	(void)state;
	lambda_config_init(&c, "my-fn");
	assert_string_equal(c.name, "my-fn");
	assert_string_equal(c.runtime, "");
	assert_int_equal(c.timeout, 3);
	assert_int_equal(c.memory_mb, 128);
	assert_int_equal(c.ephemeral_mb, 512);
	assert_int_equal(c.reserved_concurrency, 10);
	assert_string_equal(c.architecture, "x86_64");
	assert_string_equal(lambda_config_package_type(&c), "Zip");
	assert_int_equal(c.n_env, 0);
	assert_int_equal(lambda_config_render_field(&c, LAMBDA_FIELD_TIMEOUT, &b), 0);
	assert_int_equal(lambda_config_render_field(&c, LAMBDA_FIELD_RUNTIME, &b), 0);
	assert_int_equal(lambda_config_render_field(&c, LAMBDA_FIELD_MEMORY, &b), 0);
	assert_string_equal(b.data, "3\n128\n");
	lambda_config_free(&c);
}

static void test_timeout_bounds(void **state)
{
	(void)state;
	expect_set(lambda_config_set_timeout, "0\n", -EINVAL,
		   RANGE_MSG("0", "timeout", "greater", "1"));
	expect_set(lambda_config_set_timeout, "1\n", 0, NULL);
	expect_set(lambda_config_set_timeout, "  900 \n", 0, NULL);
	expect_set(lambda_config_set_timeout, "901\n", -EINVAL,
		   RANGE_MSG("901", "timeout", "less", "900"));
	expect_set(lambda_config_set_timeout, "-5", -EINVAL,
		   RANGE_MSG("-5", "timeout", "greater", "1"));
	expect_set(lambda_config_set_timeout, "99999999999999999999999", -EINVAL,
		   RANGE_MSG("99999999999999999999999", "timeout", "less", "900"));
	expect_set(
		lambda_config_set_timeout, "3s", -EINVAL,
		"timeout: \"3s\" is not a whole number; write a number of seconds from 1 to 900");
	expect_set(lambda_config_set_timeout, "\n", -EINVAL,
		   "timeout: no value; write a number of seconds from 1 to 900");
	expect_set(lambda_config_set_timeout, "1e3", -EINVAL, NULL);
}

static void test_memory_ephemeral_and_concurrency_bounds(void **state)
{
	struct lambda_config c;
	struct nb_err err = { 0 };

	(void)state;
	expect_set(lambda_config_set_memory, "127", -EINVAL,
		   RANGE_MSG("127", "memorySize", "greater", "128"));
	expect_set(lambda_config_set_memory, "128", 0, NULL);
	expect_set(lambda_config_set_memory, "10240", 0, NULL);
	expect_set(lambda_config_set_memory, "10241", -EINVAL,
		   RANGE_MSG("10241", "memorySize", "less", "10240"));
	expect_set(lambda_config_set_ephemeral, "511", -EINVAL,
		   RANGE_MSG("511", "ephemeralStorage.size", "greater", "512"));
	expect_set(lambda_config_set_ephemeral, "512", 0, NULL);
	expect_set(lambda_config_set_ephemeral, "10240", 0, NULL);
	expect_set(lambda_config_set_ephemeral, "10241", -EINVAL,
		   RANGE_MSG("10241", "ephemeralStorage.size", "less", "10240"));
	expect_set(lambda_config_set_concurrency, "0", 0, NULL);
	expect_set(lambda_config_set_concurrency, "1000", 0, NULL);
	expect_set(lambda_config_set_concurrency, "1001", -EINVAL, NULL);
	expect_set(lambda_config_set_concurrency, "-1", -EINVAL, NULL);

	lambda_config_init(&c, "f");
	assert_int_equal(lambda_config_set_field(&c, LAMBDA_FIELD_MEMORY, S("2048\n"), &err), 0);
	assert_int_equal(c.memory_mb, 2048);
	assert_int_equal(lambda_config_set_timeout(&c, S("30\n"), &err), 0);
	assert_int_equal(c.timeout, 30);
	lambda_config_free(&c);
}

static void test_runtimes(void **state)
{
	struct nb_err err = { 0 };
	struct lambda_config c;

	(void)state;
	assert_string_equal(lambda_runtime_image("python3.12"),
			    "public.ecr.aws/lambda/python:3.12");
	assert_string_equal(lambda_runtime_image("nodejs20.x"), "public.ecr.aws/lambda/nodejs:20");
	assert_string_equal(lambda_runtime_image("java8.al2"), "public.ecr.aws/lambda/java:8.al2");
	assert_string_equal(lambda_runtime_image("provided.al2023"),
			    "public.ecr.aws/lambda/provided:al2023");
	assert_null(lambda_runtime_image("python3.7"));
	assert_null(lambda_runtime_image("cobol"));
	assert_true(lambda_runtime_is_provided("provided.al2"));
	assert_false(lambda_runtime_is_provided("python3.12"));
	assert_int_equal(lambda_runtime_valid("python3.12", &err), 0);

	expect_set(lambda_config_set_runtime, "python3.7\n", -EINVAL,
		   "The runtime parameter of python3.7 is no longer supported for creating or "
		   "updating AWS Lambda functions. We recommend you use the new runtime "
		   "(python3.13) while creating or updating functions.");
	assert_int_equal(lambda_runtime_valid("python9", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "1 validation error detected: Value 'python9' at "
					"'runtime' failed to satisfy constraint: Member must "
					"satisfy enum value set: [nodejs24.x, nodejs22.x"));
	assert_non_null(strstr(err.msg, "provided.al2]"));
	assert_null(strstr(err.msg, "python3.7"));
	expect_set(lambda_config_set_runtime, "", -EINVAL, NULL);

	lambda_config_init(&c, "f");
	assert_int_equal(lambda_config_set_runtime(&c, S(" python3.12 \n"), &err), 0);
	assert_string_equal(c.runtime, "python3.12");
	lambda_config_free(&c);
}

static void test_handler_and_image(void **state)
{
	char long_handler[140];
	struct lambda_config c;
	struct nb_err err = { 0 };

	(void)state;
	expect_set(lambda_config_set_handler, "app.handler\n", 0, NULL);
	expect_set(lambda_config_set_handler, "app handler\n", -EINVAL,
		   "1 validation error detected: Value 'app handler' at 'handler' failed to "
		   "satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+");
	memset(long_handler, 'h', 128);
	long_handler[128] = '\0';
	expect_set(lambda_config_set_handler, long_handler, 0, NULL);
	long_handler[128] = 'h';
	long_handler[129] = '\0';
	expect_set(lambda_config_set_handler, long_handler, -EINVAL, NULL);
	expect_set(lambda_config_set_handler, "\n", -EINVAL, NULL);

	expect_set(lambda_config_set_image, "my-app:latest\n", 0, NULL);
	expect_set(lambda_config_set_image, "localhost:5000/team/app@sha256:abcdef0123", 0, NULL);
	expect_set(lambda_config_set_image, "My-App", -EINVAL, NULL);
	expect_set(lambda_config_set_image, "a b", -EINVAL, NULL);
	expect_set(lambda_config_set_architecture, "arm64", 0, NULL);
	expect_set(lambda_config_set_architecture, "mips", -EINVAL, NULL);

	lambda_config_init(&c, "f");
	assert_int_equal(lambda_config_runnable(&c, &err), -EINVAL);
	assert_int_equal(
		lambda_config_set_image(&c, S("public.ecr.aws/lambda/python:3.12\n"), &err), 0);
	assert_string_equal(lambda_config_package_type(&c), "Image");
	assert_int_equal(lambda_config_runnable(&c, &err), 0);
	lambda_config_free(&c);
}

static void test_names(void **state)
{
	char name[80];
	struct nb_err err = { 0 };

	(void)state;
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_int_equal(lambda_name_valid(name, &err), 0);
	name[64] = 'a';
	name[65] = '\0';
	assert_int_equal(lambda_name_valid(name, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "Member must have length less than or equal to 64"));
	assert_int_equal(lambda_name_valid("My_fn-1", &err), 0);
	assert_int_equal(lambda_name_valid("", &err), -EINVAL);
	assert_int_equal(lambda_name_valid("a/b", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "1 validation error detected: Value 'a/b' at 'functionName' failed to "
			    "satisfy constraint: Member must satisfy regular expression pattern: "
			    "[a-zA-Z0-9-_]+");
	assert_int_equal(lambda_name_valid("a.b", &err), -EINVAL);
	assert_int_equal(lambda_name_valid("caf\xc3\xa9", &err), -EINVAL);
}

/* dotenv */

static void expect_env(const char *text, size_t n, ...)
{
	struct lambda_env_var *vars;
	struct nb_err err = { 0 };
	size_t got;
	va_list ap;

	if (lambda_env_parse(text, strlen(text), &vars, &got, &err) != 0)
		fail_msg("parse(%s): %s", text, err.msg);
	assert_int_equal(got, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *k = va_arg(ap, const char *), *v = va_arg(ap, const char *);

		assert_string_equal(vars[i].key, k);
		assert_string_equal(vars[i].value, v);
	}
	va_end(ap);
	lambda_env_free(vars, got);
}

static void expect_env_error(const char *text, size_t len, int code, const char *msg)
{
	struct lambda_env_var *vars = (void *)1;
	struct nb_err err = { 0 };
	size_t n = 5;
	int ret = lambda_env_parse(text, len, &vars, &n, &err);

	if (ret != code || (msg && !strstr(err.msg, msg)))
		fail_msg("parse(%s)\n got  %d \"%s\"\n want %d \"%s\"", text, ret, err.msg, code,
			 msg ? msg : "");
	assert_null(vars);
	assert_int_equal(n, 0);
}

static void test_env_syntax(void **state)
{
	(void)state;
	expect_env("", 0);
	expect_env("\n# comment\n\n", 0);
	expect_env("AB=1\nexport CD = two words \n", 2, "AB", "1", "CD", "two words");
	expect_env("Q1=\"a \\\"q\\\" \\\\ \\n end\" # c\n", 1, "Q1", "a \"q\" \\ \n end");
	expect_env("Q2='lit \\n $x' \n", 1, "Q2", "lit \\n $x");
	expect_env("V1=a#b c #comment\n", 1, "V1", "a#b c");
	expect_env("V2=\r\nV3=x\r\n", 2, "V2", "", "V3", "x");
	expect_env("ML=\"one\ntwo\"\nNEXT=3", 2, "ML", "one\ntwo", "NEXT", "3");
	expect_env("K1=a\nK2=b\nK1=c\n", 2, "K1", "c", "K2", "b");
	expect_env("export=1\n", 1, "export", "1");
	expect_env_error(S("AB=1\nnoequals\n"), -EINVAL, "environment line 2: expected KEY=VALUE");
	expect_env_error(S("AB=1\n\n1X=2\n"), -EINVAL,
			 "environment line 3: key \"1X\": 1 validation error detected: Value at "
			 "'environment.variables' failed to satisfy constraint: Map keys must "
			 "satisfy constraint: [Member must satisfy regular expression pattern: "
			 "[a-zA-Z]([a-zA-Z0-9_])+]");
	expect_env_error(S("A=1\n"), -EINVAL, "key \"A\"");
	expect_env_error(S("A-B=1\n"), -EINVAL, "key \"A-B\"");
	expect_env_error(S("AB=\"open\n"), -EINVAL,
			 "environment line 1: AB's value has no closing \"");
	expect_env_error(S("AB=\"x\" y\n"), -EINVAL, "unexpected text after the closing quote");
	expect_env_error("AB=x\0y\n", 7, -EINVAL, "contains a NUL byte");
}

static void test_env_reserved_keys(void **state)
{
	(void)state;
	expect_env_error(S("AWS_REGION=eu-west-1\nOK=1\n"), -EINVAL,
			 "Lambda was unable to configure your environment variables because the "
			 "environment variables you have provided contains reserved keys that are "
			 "currently not supported for modification. Reserved keys used in this "
			 "request: AWS_REGION");
	expect_env_error(S("_HANDLER=x\nLAMBDA_TASK_ROOT=y\n"), -EINVAL,
			 "Reserved keys used in this request: _HANDLER, LAMBDA_TASK_ROOT");
	expect_env("AWS_REGION_X=1\n", 1, "AWS_REGION_X", "1");
}

static void test_env_4kb_limit(void **state)
{
	static char text[5000];

	(void)state;
	/* "AB=" + 4094 bytes: 2 + 4094 = 4096, exactly the limit */
	memcpy(text, "AB=", 3);
	memset(text + 3, 'v', 4094);
	text[3 + 4094] = '\0';
	{
		struct lambda_env_var *vars;
		size_t n;
		struct nb_err err = { 0 };

		assert_int_equal(lambda_env_parse(text, strlen(text), &vars, &n, &err), 0);
		lambda_env_free(vars, n);
	}
	text[3 + 4094] = 'v';
	text[3 + 4095] = '\0';
	expect_env_error(text, strlen(text), -EFBIG,
			 "Lambda was unable to configure your environment variables because the "
			 "environment variables you have provided exceeded the 4KB limit. String "
			 "measured: {\"AB\":\"vvv");
	expect_env_error(text, strlen(text), -EFBIG,
			 "(4097 bytes of keys and values; the limit is 4096)");
}

static void test_env_render_round_trip(void **state)
{
	static const struct lambda_env_var vars[] = {
		{ "PLAIN", "value" },  { "EMPTY", "" },		 { "SPACED", "  lead and trail " },
		{ "HASH", "a #b" },    { "NL", "line1\nline2" }, { "QUOTES", "\"dq\" 'sq'" },
		{ "BS", "c:\\dir\\" }, { "CR", "x\ry" },	 { "TAB", "\tt" },
		{ "EQ", "a=b=c" },
	};
	cleanup_buf struct nb_buf b = { 0 };
	struct lambda_env_var *got;
	struct nb_err err = { 0 };
	size_t n, want = sizeof(vars) / sizeof(vars[0]);

	(void)state;
	assert_int_equal(lambda_env_render(vars, want, &b), 0);
	assert_int_equal(lambda_env_parse(b.data, b.len, &got, &n, &err), 0);
	assert_int_equal(n, want);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(got[i].key, vars[i].key);
		assert_string_equal(got[i].value, vars[i].value);
	}
	assert_non_null(strstr(b.data, "PLAIN=value\nEMPTY=\n"));
	lambda_env_free(got, n);
}

static void test_set_env_replaces_all_or_nothing(void **state)
{
	struct lambda_config c;
	struct nb_err err = { 0 };
	cleanup_buf struct nb_buf b = { 0 };

	(void)state;
	lambda_config_init(&c, "f");
	assert_int_equal(lambda_config_set_env(&c, S("AA=1\nBB=2\n"), &err), 0);
	assert_int_equal(lambda_config_set_env(&c, S("AA=3\nAWS_REGION=x\n"), &err), -EINVAL);
	assert_int_equal(lambda_config_render_field(&c, LAMBDA_FIELD_ENVIRONMENT, &b), 0);
	assert_string_equal(b.data, "AA=1\nBB=2\n");
	lambda_config_free(&c);
}

/* config.json */

static struct lambda_config sample(void)
{
	struct lambda_config c;
	struct nb_err err = { 0 };
	static const struct lambda_config_layer layers[] = { { "01-deps.zip", 1234, "" } };

	lambda_config_init(&c, "hello");
	assert_int_equal(lambda_config_set_runtime(&c, S("python3.12"), &err), 0);
	assert_int_equal(lambda_config_set_handler(&c, S("app.handler"), &err), 0);
	assert_int_equal(lambda_config_set_env(&c, S("GREETING=hi\nCOUNT=3\n"), &err), 0);
	assert_int_equal(lambda_config_set_layers(&c, layers, 1), 0);
	snprintf(c.code_sha256, sizeof(c.code_sha256), "%s",
		 "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=");
	c.code_size = 308;
	c.last_modified.tv_sec = 1795946400; /* 2026-11-29T10:00:00Z */
	c.last_modified.tv_nsec = 981000000;
	snprintf(c.state, sizeof(c.state), "Active");
	return c;
}

static cJSON *rendered(const struct lambda_config *c)
{
	cleanup_buf struct nb_buf b = { 0 };
	struct nb_err err = { 0 };
	cJSON *doc;

	assert_int_equal(lambda_config_render_json(c, "us-east-1", "000000000000", &b), 0);
	assert_int_equal(b.data[b.len - 1], '\n');
	doc = json_parse(b.data, b.len, &err);
	assert_non_null(doc);
	return doc;
}

static void test_render_json_shape(void **state)
{
	struct lambda_config c = sample();
	cleanup_cjson cJSON *doc = rendered(&c);
	const char *order[] = {
		"FunctionName", "FunctionArn",	 "Runtime",	     "Role",
		"Handler",	"CodeSize",	 "Description",	     "Timeout",
		"MemorySize",	"LastModified",	 "CodeSha256",	     "Version",
		"Environment",	"TracingConfig", "Layers",	     "State",
		"PackageType",	"Architectures", "EphemeralStorage", "LoggingConfig"
	};
	const cJSON *m;
	size_t i = 0;

	(void)state;
	cJSON_ArrayForEach(m, doc)
	{
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_string_equal(m->string, order[i++]);
	}
	assert_int_equal(i, sizeof(order) / sizeof(order[0]));
	th_assert_json(TH_AT(doc, "FunctionArn"),
		       "'arn:aws:lambda:us-east-1:000000000000:function:hello'");
	th_assert_json(TH_AT(doc, "Role"), "'arn:aws:iam::000000000000:role/nimbusfs-lambda'");
	th_assert_json(TH_AT(doc, "LastModified"), "'2026-11-29T10:00:00.981+0000'");
	th_assert_json(TH_AT(doc, "Environment"), "{'Variables':{'GREETING':'hi','COUNT':'3'}}");
	th_assert_json(TH_AT(doc, "Layers"),
		       "[{'Arn':'arn:aws:lambda:us-east-1:000000000000:layer:01-deps:1',"
		       "'CodeSize':1234}]");
	th_assert_json(TH_AT(doc, "TracingConfig"), "{'Mode':'PassThrough'}");
	th_assert_json(TH_AT(doc, "Architectures"), "['x86_64']");
	th_assert_json(TH_AT(doc, "EphemeralStorage"), "{'Size':512}");
	th_assert_json(TH_AT(doc, "LoggingConfig"),
		       "{'LogFormat':'Text','LogGroup':'/aws/lambda/hello'}");
	th_assert_json(TH_AT(doc, "CodeSize"), "308");
	lambda_config_free(&c);
}

static void test_render_json_image_and_empty_env(void **state)
{
	struct lambda_config c;
	struct nb_err err = { 0 };
	cleanup_cjson cJSON *doc = NULL;

	(void)state;
	lambda_config_init(&c, "img");
	assert_int_equal(lambda_config_set_runtime(&c, S("python3.12"), &err), 0);
	assert_int_equal(lambda_config_set_image(&c, S("my-app:1"), &err), 0);
	doc = rendered(&c);
	assert_null(TH_AT(doc, "Runtime"));
	assert_null(TH_AT(doc, "Handler"));
	assert_null(TH_AT(doc, "Environment"));
	assert_null(TH_AT(doc, "Layers"));
	assert_null(TH_AT(doc, "State"));
	th_assert_json(TH_AT(doc, "PackageType"), "'Image'");
	lambda_config_free(&c);
}

static int apply(struct lambda_config *c, const char *text, struct nb_err *err)
{
	cleanup_free char *json = th_dq(text);

	return lambda_config_apply_json(c, json, strlen(json), err);
}

static void expect_apply_error(const char *text, int code, const char *msg)
{
	struct lambda_config c = sample(), before;
	cleanup_buf struct nb_buf b1 = { 0 };
	cleanup_buf struct nb_buf b2 = { 0 };
	struct nb_err err = { 0 };
	int ret;

	assert_int_equal(lambda_config_copy(&before, &c), 0);
	ret = apply(&c, text, &err);
	if (ret != code || (msg && !strstr(err.msg, msg)))
		fail_msg("apply(%s)\n got  %d \"%s\"\n want %d \"%s\"", text, ret, err.msg, code,
			 msg ? msg : "");
	assert_int_equal(lambda_config_render_json(&c, "r", "a", &b1), 0);
	assert_int_equal(lambda_config_render_json(&before, "r", "a", &b2), 0);
	assert_string_equal(b1.data, b2.data);
	lambda_config_free(&c);
	lambda_config_free(&before);
}

static void test_apply_create_body(void **state)
{
	struct lambda_config c;
	struct nb_err err = { 0 };

	(void)state;
	lambda_config_init(&c, "hello");
	assert_int_equal(
		apply(&c,
		      "{'FunctionName':'hello','Runtime':'nodejs20.x','Role':"
		      "'arn:aws:iam::123456789012:role/lambda-role','Handler':'index.handler',"
		      "'Code':{'ZipFile':''},'Description':'greets','Timeout':15,'MemorySize':256,"
		      "'Publish':false,'Environment':{'Variables':{'LEVEL':'debug'}},"
		      "'Architectures':['arm64'],'EphemeralStorage':{'Size':1024},'Tags':{}}",
		      &err),
		0);
	assert_string_equal(c.runtime, "nodejs20.x");
	assert_string_equal(c.handler, "index.handler");
	assert_string_equal(c.description, "greets");
	assert_string_equal(c.role, "arn:aws:iam::123456789012:role/lambda-role");
	assert_int_equal(c.timeout, 15);
	assert_int_equal(c.memory_mb, 256);
	assert_int_equal(c.ephemeral_mb, 1024);
	assert_string_equal(c.architecture, "arm64");
	assert_int_equal(c.n_env, 1);
	assert_string_equal(c.env[0].key, "LEVEL");
	lambda_config_free(&c);
}

static void test_apply_update_body_and_image(void **state)
{
	struct lambda_config c = sample();
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(apply(&c, "{'FunctionName':'hello','Timeout':60,'Environment':{}}", &err),
			 0);
	assert_int_equal(c.timeout, 60);
	assert_int_equal(c.n_env, 0);
	assert_string_equal(c.runtime, "python3.12");
	assert_int_equal(apply(&c, "{'PackageType':'Image','Code':{'ImageUri':'my-app:2'}}", &err),
			 0);
	assert_string_equal(c.image, "my-app:2");
	assert_int_equal(apply(&c, "{'Runtime':'python3.12'}", &err), -EINVAL);
	assert_string_equal(err.msg, "Please don't provide Handler or Runtime or Layer when the "
				     "intended function PackageType is Image.");
	assert_int_equal(apply(&c, "{'PackageType':'Zip'}", &err), 0);
	assert_string_equal(c.image, "");
	lambda_config_free(&c);
}

static void test_apply_get_output_round_trips(void **state)
{
	struct lambda_config c = sample(), before;
	cleanup_buf struct nb_buf b = { 0 };
	cleanup_buf struct nb_buf again = { 0 };
	struct nb_err err = { 0 };
	char fp1[65], fp2[65];

	(void)state;
	assert_int_equal(lambda_config_copy(&before, &c), 0);
	assert_int_equal(lambda_config_render_json(&c, "us-east-1", "000000000000", &b), 0);
	if (lambda_config_apply_json(&c, b.data, b.len, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(lambda_config_render_json(&c, "us-east-1", "000000000000", &again), 0);
	assert_string_equal(b.data, again.data);
	assert_int_equal(lambda_config_fingerprint(&c, fp1), 0);
	assert_int_equal(lambda_config_fingerprint(&before, fp2), 0);
	assert_string_equal(fp1, fp2);
	lambda_config_free(&c);
	lambda_config_free(&before);
}

/* Found by fuzzing (tests/fuzz/crashes/fnconfig_json/): config.json of a
 * function without a runtime yet shows "Runtime": "" and "Handler": "",
 * and one whose runtime was deprecated since shows that runtime; written
 * back as read, both must apply and change nothing. */
static void test_apply_get_output_of_unset_or_deprecated_runtime_round_trips(void **state)
{
	struct lambda_config fresh, old = sample();
	cleanup_buf struct nb_buf b = { 0 };
	cleanup_buf struct nb_buf again = { 0 };
	struct nb_err err = { 0 };

	(void)state;
	lambda_config_init(&fresh, "fresh");
	assert_int_equal(lambda_config_render_json(&fresh, "us-east-1", "000000000000", &b), 0);
	if (lambda_config_apply_json(&fresh, b.data, b.len, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(lambda_config_render_json(&fresh, "us-east-1", "000000000000", &again), 0);
	assert_string_equal(b.data, again.data);
	assert_string_equal(fresh.runtime, "");
	assert_string_equal(fresh.handler, "");
	/* An unset handler stays unset; a value that is not the current one is
	 * still checked. */
	assert_int_equal(apply(&fresh, "{'Handler':''}", &err), 0);
	assert_int_equal(apply(&fresh, "{'Runtime':'python3.6'}", &err), -EINVAL);

	snprintf(old.runtime, sizeof(old.runtime), "python3.6"); /* as a persisted one keeps */
	nb_buf_reset(&b);
	nb_buf_reset(&again);
	assert_int_equal(lambda_config_render_json(&old, "us-east-1", "000000000000", &b), 0);
	if (lambda_config_apply_json(&old, b.data, b.len, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(lambda_config_render_json(&old, "us-east-1", "000000000000", &again), 0);
	assert_string_equal(b.data, again.data);
	assert_int_equal(apply(&old, "{'Runtime':''}", &err), -EINVAL);
	lambda_config_free(&fresh);
	lambda_config_free(&old);
}

/* Found by fuzzing (tests/fuzz/crashes/fnconfig_field/):
 * a handler, description or environment value written to its file could
 * hold bytes that are not UTF-8, and config.json then showed them: JSON
 * that is not UTF-8, which json_parse refuses, so config.json could no
 * longer be written back (nor a restart load the function's record). */
static void test_text_values_must_be_utf8(void **state)
{
	struct lambda_config c;
	cleanup_buf struct nb_buf b = { 0 };
	struct nb_err err = { 0 };

	(void)state;
	expect_set(lambda_config_set_handler, "index\x83handler\n", -EINVAL, "handler: not UTF-8");
	expect_set(lambda_config_set_description, "caf\xe9\n", -EINVAL, "description: not UTF-8");
	expect_set(lambda_config_set_env, "A1=ok\nB2=\xff\xfe\n", -EINVAL,
		   "environment: the value of B2 is not UTF-8");
	expect_set(lambda_config_set_env, "A1='\xc3'\n", -EINVAL, NULL); /* cut short */
	/* UTF-8 is fine everywhere, and config.json then applies back */
	lambda_config_init(&c, "utf8");
	assert_int_equal(lambda_config_set_handler(&c, S("caf\xc3\xa9.handler"), &err), 0);
	assert_int_equal(lambda_config_set_description(&c, S("\xe2\x82\xac 5"), &err), 0);
	assert_int_equal(lambda_config_set_env(&c, S("GREETING=\xf0\x9f\x91\x8b\n"), &err), 0);
	assert_int_equal(lambda_config_render_json(&c, "us-east-1", "000000000000", &b), 0);
	if (lambda_config_apply_json(&c, b.data, b.len, &err) != 0)
		fail_msg("%s", err.msg);
	lambda_config_free(&c);
}

static void test_apply_refusals(void **state)
{
	(void)state;
	expect_apply_error("{'Timeout':3,'Foo':1}", -EINVAL,
			   "Unknown parameter in input: \"Foo\", must be one of: FunctionName, "
			   "Runtime, Role, Handler, Code");
	expect_apply_error("{'Timeout':'3'}", -EINVAL,
			   "Invalid type for parameter Timeout, value: 3, type: <class 'str'>, "
			   "valid types: <class 'int'>");
	expect_apply_error("{'Timeout':3.5}", -EINVAL, "type: <class 'float'>");
	expect_apply_error("{'Timeout':901}", -EINVAL,
			   "1 validation error detected: Value '901' at 'timeout' failed to "
			   "satisfy constraint: Member must have value less than or equal to 900");
	expect_apply_error("{'FunctionName':'other'}", -EINVAL,
			   "FunctionName \"other\" does not match this function, \"hello\"");
	expect_apply_error("{'Runtime':'python3.6'}", -EINVAL, "no longer supported");
	expect_apply_error("{'Environment':{'Variables':{'AWS_REGION':'x'}}}", -EINVAL,
			   "Reserved keys used in this request: AWS_REGION");
	expect_apply_error("{'Environment':{'Variables':{'N1':1}}}", -EINVAL,
			   "Invalid type for parameter Environment.Variables.N1");
	expect_apply_error("{'EphemeralStorage':{'Size':511}}", -EINVAL,
			   "at 'ephemeralStorage.size'");
	expect_apply_error("{'Architectures':['x86_64','arm64']}", -EINVAL,
			   "Member must have length less than or equal to 1");
	expect_apply_error("{'PackageType':'Image'}", -EINVAL, "needs Code.ImageUri");
	expect_apply_error("{'VpcConfig':{'SubnetIds':['subnet-1']}}", -EINVAL,
			   "VpcConfig is not implemented by nimbusfs");
	expect_apply_error("{'CodeSha256':'other'}", -EINVAL, "is not the function's code");
	expect_apply_error("{'Layers':[]}", -EINVAL, "Layers: config.json does not change");
	expect_apply_error("{'Publish':true}", -EINVAL, "Publish");
	expect_apply_error("[1]", -EINVAL, "must be a JSON object");
	expect_apply_error("{\n  'Timeout': 3,\n  'MemorySize': }", -EINVAL,
			   "invalid JSON at line 3, column 17");
	/* all or nothing: a good Timeout before a bad MemorySize changes neither */
	expect_apply_error("{'Timeout':30,'MemorySize':64}", -EINVAL,
			   "Value '64' at 'memorySize' failed to satisfy constraint: Member must "
			   "have value greater than or equal to 128");
}

/* persistence and the fingerprint */

static void test_to_json_from_json_round_trip(void **state)
{
	struct lambda_config c = sample(), back;
	cleanup_cjson cJSON *j = NULL;
	cleanup_cjson cJSON *j2 = NULL;
	cleanup_free char *t1 = NULL;
	cleanup_free char *t2 = NULL;
	struct nb_err err = { 0 };

	(void)state;
	c.reserved_concurrency = 0;
	snprintf(c.state_reason, sizeof(c.state_reason), "why");
	snprintf(c.state_reason_code, sizeof(c.state_reason_code), "Creating");
	snprintf(c.description, sizeof(c.description), "d");
	assert_int_equal(lambda_config_to_json(&c, &j), 0);
	if (lambda_config_from_json(&back, j, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(lambda_config_to_json(&back, &j2), 0);
	t1 = json_print(j);
	t2 = json_print(j2);
	assert_string_equal(t1, t2);
	assert_int_equal(back.reserved_concurrency, 0);
	assert_int_equal(back.last_modified.tv_sec, c.last_modified.tv_sec);
	assert_int_equal(back.last_modified.tv_nsec, c.last_modified.tv_nsec);
	assert_int_equal(back.n_layers, 1);
	assert_int_equal(back.layers[0].code_size, 1234);
	assert_string_equal(back.env[1].key, "COUNT");
	lambda_config_free(&back);

	cJSON_ReplaceItemInObject(j, "timeout", cJSON_CreateNumber(901));
	assert_int_equal(lambda_config_from_json(&back, j, &err), -EINVAL);
	lambda_config_free(&back);
	lambda_config_free(&c);
}

static void test_fingerprint(void **state)
{
	struct lambda_config c = sample();
	struct nb_err err = { 0 };
	char base[65], fp[65];

	(void)state;
	assert_int_equal(lambda_config_fingerprint(&c, base), 0);
	assert_int_equal(strlen(base), 64);
	assert_int_equal(lambda_config_set_description(&c, S("new words"), &err), 0);
	assert_int_equal(lambda_config_set_concurrency(&c, S("3"), &err), 0);
	lambda_config_fingerprint(&c, fp);
	assert_string_equal(fp, base);
	/* reordering the environment keeps containers */
	assert_int_equal(lambda_config_set_env(&c, S("COUNT=3\nGREETING=hi\n"), &err), 0);
	lambda_config_fingerprint(&c, fp);
	assert_string_equal(fp, base);
	assert_int_equal(lambda_config_set_env(&c, S("COUNT=4\nGREETING=hi\n"), &err), 0);
	lambda_config_fingerprint(&c, fp);
	assert_string_not_equal(fp, base);
	assert_int_equal(lambda_config_set_env(&c, S("COUNT=3\nGREETING=hi\n"), &err), 0);
	c.code_sha256[0] = 'X';
	lambda_config_fingerprint(&c, fp);
	assert_string_not_equal(fp, base);
	lambda_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_timeout_bounds),
		cmocka_unit_test(test_memory_ephemeral_and_concurrency_bounds),
		cmocka_unit_test(test_runtimes),
		cmocka_unit_test(test_handler_and_image),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_env_syntax),
		cmocka_unit_test(test_env_reserved_keys),
		cmocka_unit_test(test_env_4kb_limit),
		cmocka_unit_test(test_env_render_round_trip),
		cmocka_unit_test(test_set_env_replaces_all_or_nothing),
		cmocka_unit_test(test_render_json_shape),
		cmocka_unit_test(test_render_json_image_and_empty_env),
		cmocka_unit_test(test_apply_create_body),
		cmocka_unit_test(test_apply_update_body_and_image),
		cmocka_unit_test(test_apply_get_output_round_trips),
		cmocka_unit_test(test_apply_get_output_of_unset_or_deprecated_runtime_round_trips),
		cmocka_unit_test(test_text_values_must_be_utf8),
		cmocka_unit_test(test_apply_refusals),
		cmocka_unit_test(test_to_json_from_json_round_trip),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
