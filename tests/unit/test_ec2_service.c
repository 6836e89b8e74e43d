/*
 * tests/unit/test_ec2_service.c - the EC2 service on a real state dir with
 * an engine that cannot be reached: AMI registrations, the default
 * subnet, RunInstances validation and addresses, launches that fail with
 * a reason, state transitions, tags, run-command's checks, and what a
 * restart keeps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/ec2/ec2.h"
#include "backend/engine/engine.h"
#include "backend/state/health.h"
#include "backend/state/hub.h"
#include "backend/state/jobs.h"
#include "backend/state/registry.h"
#include "backend/state/statedir.h"
#include "tests/unit/helpers.h"

#define AMI "ami-0123456789abcdef0"

struct env {
	char root[64];
	struct state_dir *sd;
	struct state_registry *reg;
	struct state_hub *hub;
	struct state_health health;
	struct state_jobs *jobs;
	struct engine *eng;
	struct ec2 *ec2;
};

/* A fresh service on env's state dir, as a restart makes it. */
static int env_open(struct env *env)
{
	struct ec2_deps deps = { 0 };
	struct nb_err err = { 0 };

	if (env->ec2) {
		ec2_stop(env->ec2);
		state_jobs_stop(env->jobs);
		env->jobs = NULL;
		ec2_free(env->ec2);
		env->ec2 = NULL;
	}
	state_registry_free(env->reg);
	if (state_registry_new(env->sd, &env->reg) < 0 || state_jobs_start(2, &env->jobs) < 0)
		return -1;
	deps.reg = env->reg;
	deps.hub = env->hub;
	deps.eng = env->eng;
	deps.health = &env->health;
	deps.owner = env->sd->id;
	deps.statedirfd = env->sd->dirfd;
	deps.default_image = "local/busybox:latest";
	if (ec2_new(&deps, &env->ec2, &err) < 0)
		return -1;
	ec2_start(env->ec2, env->jobs);
	return 0;
}

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));
	struct nb_err err = { 0 };

	if (!env || th_tmpdir_new("ec2", env->root, sizeof(env->root)) < 0 ||
	    state_dir_open(env->root, &env->sd, &err) < 0 || state_hub_new(&env->hub) < 0 ||
	    engine_new("unix:///nonexistent/engine.sock", &env->eng, &err) < 0)
		return -1;
	state_health_init(&env->health, env->hub, "unix:///nonexistent/engine.sock");
	/* Said to be up, so requests pass the health check and jobs fail on it. */
	state_health_engine_up(&env->health, "Docker Engine 20.10 (linux/amd64)", "1.41");
	if (env_open(env) < 0)
		return -1;
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	ec2_stop(env->ec2);
	state_jobs_stop(env->jobs);
	ec2_free(env->ec2);
	state_registry_free(env->reg);
	engine_free(env->eng);
	state_health_destroy(&env->health);
	state_hub_free(env->hub);
	state_dir_close(env->sd);
	th_tmpdir_remove(env->root);
	free(env);
	return 0;
}

static int collect(void *ud, const char *name)
{
	struct nb_buf *b = ud;

	return nb_buf_printf(b, "%s\n", name);
}

/* The instance file's content (caller frees). */
static char *instance_file(struct env *env, const char *id, enum ec2_instance_file what)
{
	struct nb_buf out = { 0 };
	struct timespec mtime;

	assert_int_equal(ec2_instance_render(env->ec2, id, what, &out, &mtime), 0);
	assert_int_equal(nb_buf_puts(&out, ""), 0);
	return out.data;
}

static char *run_ok(struct env *env, const char *request)
{
	struct nb_buf answer = { 0 };
	struct nb_err err = { 0 };

	if (ec2_run(env->ec2, request, strlen(request), &answer, &err) != 0)
		fail_msg("run %s: %s", request, err.msg);
	assert_int_equal(nb_buf_puts(&answer, ""), 0);
	return answer.data;
}

static void expect_run_error(struct env *env, const char *request, int code, const char *part)
{
	struct nb_buf answer = { 0 };
	struct nb_err err = { 0 };

	assert_int_equal(ec2_run(env->ec2, request, strlen(request), &answer, &err), code);
	if (!strstr(err.msg, part))
		fail_msg("run %s: \"%s\" does not say \"%s\"", request, err.msg, part);
	assert_int_equal(answer.len, 0);
	nb_buf_free(&answer);
}

/* Waits (bounded) until the instance reads state. */
static void wait_state(struct env *env, const char *id, const char *state)
{
	for (int i = 0; i < 500; i++) {
		char *s = instance_file(env, id, EC2_IF_STATE);
		bool done = strcmp(s, state) == 0;

		free(s);
		if (done)
			return;
		usleep(10000);
	}
	fail_msg("%s never reached %s", id, state);
}

static void test_ami_registrations_are_checked_and_kept(void **state)
{
	struct env *env = *state;
	struct nb_err err = { 0 };
	struct nb_buf out = { 0 };
	struct timespec mtime;

	assert_int_equal(ec2_image_create(env->ec2, "ami-xyz", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "InvalidAMIID.Malformed"));
	assert_int_equal(ec2_image_create(env->ec2, AMI, &err), 0);
	assert_int_equal(ec2_image_put(env->ec2, AMI, "\n", 1, &err), -EINVAL);
	assert_int_equal(ec2_image_put(env->ec2, AMI, "two words\n", 10, &err), -EINVAL);
	assert_int_equal(ec2_image_put(env->ec2, AMI, "local/busybox:latest\n", 21, &err), 0);
	assert_int_equal(env_open(env), 0);
	assert_true(ec2_image_exists(env->ec2, AMI));
	assert_int_equal(ec2_image_render(env->ec2, AMI, &out, &mtime), 0);
	assert_string_equal(out.data, "local/busybox:latest\n");
	nb_buf_free(&out);
	assert_int_equal(ec2_image_remove(env->ec2, AMI, &err), 0);
	assert_int_equal(ec2_image_remove(env->ec2, AMI, &err), -ENOENT);
	assert_int_equal(env_open(env), 0);
	assert_false(ec2_image_exists(env->ec2, AMI));
}

static void test_the_default_subnet_is_a_20_of_10_128_slash_9_and_stays(void **state)
{
	struct env *env = *state;
	struct nb_buf ids = { 0 }, cidr = { 0 }, again = { 0 };
	struct nb_err err = { 0 };
	struct timespec mtime;
	char id[EC2_ID_MAX];
	unsigned a, b, c, d, p;

	assert_int_equal(ec2_list_subnets(env->ec2, collect, &ids), 0);
	assert_int_equal(sscanf(ids.data, "%31[^\n]", id), 1);
	assert_true(ec2_id_valid("subnet", id));
	assert_int_equal(ec2_subnet_render(env->ec2, id, EC2_SF_CIDR, &cidr, &mtime), 0);
	assert_int_equal(sscanf(cidr.data, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &p), 5);
	assert_int_equal(a, 10);
	assert_true(b >= 128);
	assert_int_equal(p, 20);
	assert_int_equal(ec2_subnet_remove(env->ec2, id, &err), -EPERM);
	assert_int_equal(env_open(env), 0);
	assert_int_equal(ec2_subnet_render(env->ec2, id, EC2_SF_CIDR, &again, &mtime), 0);
	assert_string_equal(again.data, cidr.data);
	nb_buf_free(&ids);
	nb_buf_free(&cidr);
	nb_buf_free(&again);
}

static void test_subnet_requests_are_checked_before_the_engine(void **state)
{
	struct env *env = *state;
	struct nb_buf cidr = { 0 }, answer = { 0 }, ids = { 0 };
	struct nb_err err = { 0 };
	struct timespec mtime;
	char id[EC2_ID_MAX], req[128];
	void *priv = NULL;

	assert_int_equal(ec2_list_subnets(env->ec2, collect, &ids), 0);
	sscanf(ids.data, "%31[^\n]", id);
	ec2_subnet_render(env->ec2, id, EC2_SF_CIDR, &cidr, &mtime);
	cidr.data[cidr.len - 1] = '\0';
	snprintf(req, sizeof(req), "{\"CidrBlock\": \"%s\"}", cidr.data);
	assert_int_equal(ec2_subnet_create_prepare(env->ec2, req, strlen(req), &priv, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "InvalidSubnet.Conflict"));
	err = (struct nb_err){ 0 };
	assert_int_equal(ec2_subnet_create_prepare(env->ec2, "{\"CidrBlock\": \"10.0.0.0/8\"}", 26,
						   &priv, &err),
			 -EINVAL);
	err = (struct nb_err){ 0 };
	assert_int_equal(
		ec2_subnet_create_prepare(env->ec2, "{\"Cidr\": \"10.1.0.0/24\"}", 23, &priv, &err),
		-EINVAL);
	assert_non_null(strstr(err.msg, "Unknown parameter"));
	/* Valid, but its network cannot be made: nothing is recorded. */
	err = (struct nb_err){ 0 };
	assert_int_equal(ec2_subnet_create_prepare(env->ec2, "{\"CidrBlock\": \"10.1.0.0/24\"}", 28,
						   &priv, &err),
			 0);
	assert_int_equal(ec2_subnet_create_run(env->ec2, priv, NULL, &answer, &err), -EHOSTDOWN);
	assert_int_equal(answer.len, 0);
	nb_buf_reset(&ids);
	assert_int_equal(ec2_list_subnets(env->ec2, collect, &ids), 0);
	assert_string_equal(ids.data, id[0] ? strcat(strcpy(req, id), "\n") : "");
	nb_buf_free(&ids);
	nb_buf_free(&cidr);
}

static void test_run_requests_are_refused_with_the_field_and_code(void **state)
{
	struct env *env = *state;

	expect_run_error(env, "{\"ImageId\": \"" AMI "\"}", -ENOENT, "InvalidAMIID.NotFound");
	expect_run_error(env, "{\"SubnetId\": \"subnet-0123456789abcdef0\"}", -EINVAL,
			 "InvalidSubnetID.NotFound");
	expect_run_error(env, "{\"InstanceType\": \"t3.nano.huge\"}", -EINVAL, "InstanceType");
	expect_run_error(env, "{\"MinCount\": 3, \"MaxCount\": 2}", -EINVAL, "minCount");
	expect_run_error(env, "{\"UserData\": \"!!!\"}", -EINVAL, "BASE64 encoding of user data");
	expect_run_error(env,
			 "{\"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": "
			 "[{\"Key\": \"a/b\", \"Value\": \"x\"}]}]}",
			 -EINVAL, "cannot name a file");
	expect_run_error(env, "{\"PrivateIpAddress\": \"192.0.2.10\"}", -EINVAL,
			 "does not fall within");
}

static void test_a_launch_the_engine_refuses_ends_terminated_with_the_reason(void **state)
{
	struct env *env = *state;
	char *ids = run_ok(env, "{\"MinCount\": 2, \"MaxCount\": 2, \"ClientToken\": \"t1\"}");
	char a[EC2_ID_MAX], b[EC2_ID_MAX], *ip_a, *ip_b, *desc;
	struct nb_err err = { 0 };
	void *priv = NULL;

	assert_int_equal(sscanf(ids, "%31s %31s", a, b), 2);
	assert_true(ec2_id_valid("i", a) && ec2_id_valid("i", b));
	/* The same ClientToken answers the same instances. */
	char *again = run_ok(env, "{\"MinCount\": 2, \"MaxCount\": 2, \"ClientToken\": \"t1\"}");
	assert_string_equal(again, ids);
	ip_a = instance_file(env, a, EC2_IF_PRIVATE_IP);
	ip_b = instance_file(env, b, EC2_IF_PRIVATE_IP);
	assert_string_not_equal(ip_a, ip_b);
	assert_non_null(strstr(ip_a, ".4\n"));
	wait_state(env, a, "terminated\n");
	wait_state(env, b, "terminated\n");
	desc = instance_file(env, a, EC2_IF_DESCRIBE);
	assert_non_null(strstr(desc, "\"Code\":\t48"));
	assert_non_null(strstr(desc, "Server.InternalError"));
	/* Gone instances refuse what they cannot do, and terminate again is fine. */
	assert_int_equal(ec2_instance_action(env->ec2, a, "start\n", 6, &err), -EPERM);
	assert_non_null(strstr(err.msg, "IncorrectInstanceState"));
	assert_int_equal(ec2_instance_action(env->ec2, a, "stop\n", 5, &err), -EPERM);
	assert_int_equal(ec2_instance_action(env->ec2, a, "reboot\n", 7, &err), -EPERM);
	assert_int_equal(ec2_instance_action(env->ec2, a, "terminate\n", 10, &err), 0);
	assert_int_equal(ec2_instance_action(env->ec2, a, "halt\n", 5, &err), -EINVAL);
	assert_int_equal(ec2_runcmd_prepare(env->ec2, a, "true\n", 5, &priv, &err), -EBUSY);
	assert_int_equal(ec2_runcmd_prepare(env->ec2, a, "{\"commands\": 1}", 15, &priv, &err),
			 -EINVAL);
	/* A terminated instance's address is free again. */
	char *third = run_ok(env, "{}");
	char c[EC2_ID_MAX], *ip_c;

	sscanf(third, "%31s", c);
	ip_c = instance_file(env, c, EC2_IF_PRIVATE_IP);
	assert_string_equal(ip_c, ip_a);
	wait_state(env, c, "terminated\n");
	assert_int_equal(ec2_instance_forget(env->ec2, a, &err), 0);
	assert_false(ec2_instance_exists(env->ec2, a));
	assert_int_equal(env_open(env), 0);
	assert_false(ec2_instance_exists(env->ec2, a));
	assert_true(ec2_instance_exists(env->ec2, b));
	free(ids);
	free(again);
	free(third);
	free(ip_a);
	free(ip_b);
	free(ip_c);
	free(desc);
}

static void test_tags_are_checked_set_removed_and_kept(void **state)
{
	struct env *env = *state;
	char *ids = run_ok(env, "{\"TagSpecifications\": [{\"ResourceType\": \"instance\", "
				"\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}]}");
	struct nb_buf out = { 0 }, keys = { 0 };
	struct nb_err err = { 0 };
	struct timespec mtime;
	char id[EC2_ID_MAX];

	sscanf(ids, "%31s", id);
	assert_int_equal(ec2_tag_render(env->ec2, id, "Name", &out, &mtime), 0);
	assert_string_equal(out.data, "web\n");
	assert_int_equal(ec2_tag_create(env->ec2, id, "aws:x", &err), -EINVAL);
	assert_int_equal(ec2_tag_create(env->ec2, id, "Env", &err), 0);
	assert_int_equal(ec2_tag_put(env->ec2, id, "Env", "a\tb\n", 4, &err), -EINVAL);
	assert_int_equal(ec2_tag_put(env->ec2, id, "Env", "prod\n", 5, &err), 0);
	assert_int_equal(ec2_tag_remove(env->ec2, id, "Name", &err), 0);
	assert_int_equal(ec2_tag_remove(env->ec2, id, "Name", &err), -ENOENT);
	wait_state(env, id, "terminated\n");
	assert_int_equal(env_open(env), 0);
	assert_int_equal(ec2_list_tags(env->ec2, id, collect, &keys), 0);
	assert_string_equal(keys.data, "Env\n");
	free(ids);
	nb_buf_free(&out);
	nb_buf_free(&keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ami_registrations_are_checked_and_kept,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(
			test_the_default_subnet_is_a_20_of_10_128_slash_9_and_stays, env_setup,
			env_teardown),
		cmocka_unit_test_setup_teardown(test_subnet_requests_are_checked_before_the_engine,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(
			test_run_requests_are_refused_with_the_field_and_code, env_setup,
			env_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_launch_the_engine_refuses_ends_terminated_with_the_reason, env_setup,
			env_teardown),
		cmocka_unit_test_setup_teardown(test_tags_are_checked_set_removed_and_kept,
						env_setup, env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
