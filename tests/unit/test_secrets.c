/*
 * tests/unit/test_secrets.c - ECS secrets (backend/ecs/secrets.c): names as
 * Secrets Manager allows them, what a valueFrom (name or ARN) refers to,
 * then the store in a fresh mkdtemp state dir: values, resolution into
 * container environment entries, the failure that names the secret, and
 * records that survive a restart.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/ecs/ecs_i.h"
#include "backend/state/statedir.h"
#include "tests/unit/helpers.h"

#define SM  "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
#define SSM "arn:aws:ssm:us-east-1:123456789012:parameter"

/* ---- names ---- */

static void expect_bad_name(const char *name, const char *msg_part)
{
	struct nb_err err = { 0 };

	assert_int_equal(ecs_secret_name_check(name, &err), -EINVAL);
	if (!strstr(err.msg, msg_part))
		fail_msg("name \"%s\": \"%s\" does not say \"%s\"", name, err.msg, msg_part);
}

static void test_bad_names_are_refused_with_the_reason(void **state)
{
	char long_name[ECS_SECRET_NAME_MAX + 2];

	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	expect_bad_name("", "1-512 characters");
	expect_bad_name(long_name, "1-512 characters, got 513");
	expect_bad_name("has space", "may only hold");
	expect_bad_name("a/b", "no '/'");
	expect_bad_name("colon:name", "may only hold");
	expect_bad_name("..", "reserved");
}

static void test_secrets_manager_names_are_accepted(void **state)
{
	char longest[ECS_SECRET_NAME_MAX + 1];

	(void)state;
	memset(longest, 'z', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	assert_int_equal(ecs_secret_name_check("db-password", NULL), 0);
	assert_int_equal(ecs_secret_name_check("A_b+c=d.e@f-9", NULL), 0);
	assert_int_equal(ecs_secret_name_check(longest, NULL), 0);
}

/* ---- references ---- */

static void expect_ref(const char *value_from, const char *name, const char *alt)
{
	struct ecs_secret_ref ref;

	assert_int_equal(ecs_secret_ref_parse(value_from, &ref), 0);
	assert_string_equal(ref.name, name);
	assert_string_equal(ref.alt, alt);
}

static void test_malformed_or_foreign_arns_are_refused(void **state)
{
	struct ecs_secret_ref ref;

	(void)state;
	assert_int_equal(ecs_secret_ref_parse("arn:aws:kms:us-east-1:1:key/abc", &ref), -EINVAL);
	assert_int_equal(ecs_secret_ref_parse(SM, &ref), -EINVAL);
	assert_int_equal(ecs_secret_ref_parse(SSM "/", &ref), -EINVAL);
	assert_int_equal(ecs_secret_ref_parse("arn:aws:secretsmanager:r:1:other:x", &ref), -EINVAL);
}

static void test_json_keys_and_versions_are_not_supported(void **state)
{
	struct ecs_secret_ref ref;

	(void)state;
	assert_int_equal(ecs_secret_ref_parse(SM "db-AbCdEf:password::", &ref), -ENOTSUP);
	assert_int_equal(ecs_secret_ref_parse(SM "db-AbCdEf::AWSCURRENT:", &ref), -ENOTSUP);
	/* empty ones are the same as none */
	expect_ref(SM "db-AbCdEf:::", "db-AbCdEf", "db");
}

static void test_a_plain_value_from_is_the_name_itself(void **state)
{
	(void)state;
	expect_ref("db-password", "db-password", "");
	expect_ref("api-key-AbCdEf", "api-key-AbCdEf", "");
}

static void test_a_secrets_manager_arn_names_its_last_segment_with_and_without_suffix(void **state)
{
	(void)state;
	expect_ref(SM "db-password-AbC123", "db-password-AbC123", "db-password");
	expect_ref(SM "db-password", "db-password", "");
	/* not the random suffix: 5 or 7 characters, or not alphanumeric */
	expect_ref(SM "token-abcde", "token-abcde", "");
	expect_ref(SM "token-abcdefg", "token-abcdefg", "");
	expect_ref(SM "token-abc.de", "token-abc.de", "");
	expect_ref("arn:aws-cn:secretsmanager:cn-north-1:1:secret:x-zzzzzz", "x-zzzzzz", "x");
}

static void test_an_ssm_parameter_arn_names_the_part_after_parameter(void **state)
{
	(void)state;
	expect_ref(SSM "/db-password", "db-password", "");
	expect_ref(SSM "//db-password", "db-password", "");
	expect_ref(SSM "/prod/db", "prod/db", "");
}

/* ---- the store ---- */

struct env {
	char root[64];
	struct state_dir *sd;
	struct state_registry *reg;
	struct state_hub *hub;
	struct ecs *ecs;
};

/* A fresh ECS service on env's state dir, as a restart makes it. */
static int env_open_ecs(struct env *env)
{
	struct ecs_deps deps = { 0 };
	struct nb_err err = { 0 };

	ecs_free(env->ecs);
	env->ecs = NULL;
	state_registry_free(env->reg);
	env->reg = NULL;
	if (state_registry_new(env->sd, &env->reg) < 0)
		return -1;
	deps.reg = env->reg;
	deps.hub = env->hub;
	deps.owner = env->sd->id;
	deps.statedirfd = env->sd->dirfd;
	return ecs_new(&deps, &env->ecs, &err);
}

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));
	struct nb_err err = { 0 };

	if (!env)
		return -1;
	if (th_tmpdir_new("secrets", env->root, sizeof(env->root)) < 0 ||
	    state_dir_open(env->root, &env->sd, &err) < 0 || state_hub_new(&env->hub) < 0 ||
	    env_open_ecs(env) < 0)
		return -1;
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	ecs_free(env->ecs);
	state_registry_free(env->reg);
	state_hub_free(env->hub);
	state_dir_close(env->sd);
	th_tmpdir_remove(env->root);
	free(env);
	return 0;
}

static void put(struct env *env, const char *name, const char *value)
{
	struct nb_err err = { 0 };

	assert_int_equal(ecs_secret_create(env->ecs, name, &err), 0);
	assert_int_equal(ecs_secret_put(env->ecs, name, value, strlen(value), &err), 0);
}

static char *value_of(struct env *env, const char *name)
{
	struct nb_buf out = { 0 };
	struct timespec mtime;

	assert_int_equal(ecs_secret_render(env->ecs, name, &out, &mtime), 0);
	assert_int_equal(nb_buf_puts(&out, ""), 0);
	return out.data;
}

/* Resolves one container's secrets list (JSON) and returns [{name, value}]
 * printed, or the error message. */
static char *resolve(struct env *env, const char *secrets_json)
{
	cleanup_cjson cJSON *cdef = NULL;
	cleanup_cjson cJSON *out = NULL;
	struct nb_err err = { 0 };
	char text[512];

	snprintf(text, sizeof(text), "{\"name\":\"app\",\"secrets\":%s}", secrets_json);
	cdef = json_parse(text, strlen(text), &err);
	assert_non_null(cdef);
	if (ecs_secrets_resolve(env->ecs, cdef, "app", &out, &err) < 0) {
		assert_null(out);
		return strdup(err.msg);
	}
	return out ? json_print(out) : strdup("null");
}

static void test_values_larger_than_64_kib_or_holding_nul_are_refused(void **state)
{
	struct env *env = *state;
	cleanup_free char *big = calloc(1, ECS_SECRET_VALUE_MAX + 1);
	cleanup_free char *kept = NULL;
	struct nb_err err = { 0 };

	memset(big, 'x', ECS_SECRET_VALUE_MAX + 1);
	put(env, "s", "old\n");
	assert_int_equal(ecs_secret_put(env->ecs, "s", big, ECS_SECRET_VALUE_MAX + 1, &err),
			 -EFBIG);
	assert_non_null(strstr(err.msg, "at most 65536 bytes"));
	assert_int_equal(ecs_secret_put(env->ecs, "s", "a\0b", 3, &err), -EINVAL);
	assert_int_equal(ecs_secret_put(env->ecs, "gone", "x", 1, &err), -ENOENT);
	assert_int_equal(ecs_secret_create(env->ecs, "bad/name", &err), -EINVAL);
	kept = value_of(env, "s");
	assert_string_equal(kept, "old\n");
	/* exactly the limit is fine */
	assert_int_equal(ecs_secret_put(env->ecs, "s", big, ECS_SECRET_VALUE_MAX, &err), 0);
}

static void test_a_missing_secret_fails_naming_it_and_the_container(void **state)
{
	struct env *env = *state;
	cleanup_free char *by_name = NULL, *by_arn = NULL, *keyed = NULL;

	put(env, "other", "x");
	by_name = resolve(env, "[{\"name\":\"DB\",\"valueFrom\":\"db-password\"}]");
	assert_string_equal(by_name, "ResourceInitializationError: unable to retrieve secret "
				     "\"db-password\" (valueFrom \"db-password\") for container "
				     "app: no such file ecs/secrets/db-password");
	by_arn = resolve(env, "[{\"name\":\"DB\",\"valueFrom\":\"" SM "db-password-AbCdEf\"}]");
	assert_string_equal(by_arn, "ResourceInitializationError: unable to retrieve secret "
				    "\"db-password\" (valueFrom \"" SM
				    "db-password-AbCdEf\") for container app: no such file "
				    "ecs/secrets/db-password or ecs/secrets/db-password-AbCdEf");
	keyed = resolve(env, "[{\"name\":\"DB\",\"valueFrom\":\"" SM "other:key::\"}]");
	assert_non_null(strstr(keyed, "selects a JSON key"));
}

static void test_secrets_resolve_by_name_and_by_arn_without_one_trailing_newline(void **state)
{
	struct env *env = *state;
	cleanup_free char *got = NULL, *none = NULL;

	put(env, "db-password", "s3cr3t\n");
	put(env, "token-XyZ123", "full-name-wins");
	put(env, "token", "stripped");
	put(env, "multi", "a\nb\n\n");
	got = resolve(env, "[{\"name\":\"A\",\"valueFrom\":\"db-password\"},"
			   "{\"name\":\"B\",\"valueFrom\":\"" SM "db-password-AbCdEf\"},"
			   "{\"name\":\"C\",\"valueFrom\":\"" SSM "/db-password\"},"
			   "{\"name\":\"D\",\"valueFrom\":\"" SM "token-XyZ123\"},"
			   "{\"name\":\"E\",\"valueFrom\":\"multi\"}]");
	assert_string_equal(got, "[{\"name\":\"A\",\"value\":\"s3cr3t\"},"
				 "{\"name\":\"B\",\"value\":\"s3cr3t\"},"
				 "{\"name\":\"C\",\"value\":\"s3cr3t\"},"
				 "{\"name\":\"D\",\"value\":\"full-name-wins\"},"
				 "{\"name\":\"E\",\"value\":\"a\\nb\\n\"}]");
	none = resolve(env, "[]");
	assert_string_equal(none, "null");
}

static int collect(void *ud, const char *name)
{
	return json_array_add_str(ud, name);
}

static void test_secrets_survive_a_restart_and_removal_is_stored_too(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *names = cJSON_CreateArray();
	cleanup_free char *value = NULL;
	char longest[256];
	struct stat st;
	struct nb_err err = { 0 };
	char path[128];

	memset(longest, 'l', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	put(env, "kept", "v1\n");
	put(env, "dropped", "v2");
	put(env, longest, "long names are stored under a hashed id");
	assert_int_equal(ecs_secret_remove(env->ecs, "dropped", &err), 0);
	assert_int_equal(ecs_secret_remove(env->ecs, "dropped", &err), -ENOENT);
	snprintf(path, sizeof(path), "%s/secrets/kept.json", env->root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(env_open_ecs(env), 0);
	assert_int_equal(ecs_list_secrets(env->ecs, collect, names), 0);
	assert_int_equal(cJSON_GetArraySize(names), 2);
	assert_string_equal(cJSON_GetArrayItem(names, 0)->valuestring, "kept");
	assert_string_equal(cJSON_GetArrayItem(names, 1)->valuestring, longest);
	value = value_of(env, "kept");
	assert_string_equal(value, "v1\n");
	assert_false(ecs_secret_exists(env->ecs, "dropped"));
	assert_int_equal(ecs_secret_remove(env->ecs, longest, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names_are_refused_with_the_reason),
		cmocka_unit_test(test_secrets_manager_names_are_accepted),
		cmocka_unit_test(test_malformed_or_foreign_arns_are_refused),
		cmocka_unit_test(test_json_keys_and_versions_are_not_supported),
		cmocka_unit_test(test_a_plain_value_from_is_the_name_itself),
		cmocka_unit_test(
			test_a_secrets_manager_arn_names_its_last_segment_with_and_without_suffix),
		cmocka_unit_test(test_an_ssm_parameter_arn_names_the_part_after_parameter),
		cmocka_unit_test_setup_teardown(
			test_values_larger_than_64_kib_or_holding_nul_are_refused, env_setup,
			env_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_missing_secret_fails_naming_it_and_the_container, env_setup,
			env_teardown),
		cmocka_unit_test_setup_teardown(
			test_secrets_resolve_by_name_and_by_arn_without_one_trailing_newline,
			env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(
			test_secrets_survive_a_restart_and_removal_is_stored_too, env_setup,
			env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
