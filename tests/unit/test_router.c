/*
 * tests/unit/test_router.c - the route table: which names exist under
 * which directory, with what type, kind, mode and commit rule, and the
 * order a directory listing shows them in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "backend/lambda/package.h"
#include "fs/fsnode.h"
#include "fs/node_root.h"

struct expected_route {
	enum fsnode_type parent;
	const char *name;
	enum fsnode_type type;
	enum fsnode_kind kind;
	mode_t mode;
	enum fsnode_commit commit;
};

static const struct expected_route root_children[] = {
	{ FSNODE_ROOT, "README", FSNODE_README, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE },
	{ FSNODE_ROOT, "version", FSNODE_VERSION, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE },
	{ FSNODE_ROOT, "health", FSNODE_HEALTH, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE },
	{ FSNODE_ROOT, "events", FSNODE_EVENTS, FSNODE_STREAM, 0444, FSNODE_COMMIT_NONE },
	{ FSNODE_ROOT, "metrics", FSNODE_METRICS, FSNODE_TEXT, 0444, FSNODE_COMMIT_NONE },
	{ FSNODE_ROOT, "ctl", FSNODE_CTL, FSNODE_VERB, 0200, FSNODE_COMMIT_EACH_LINE },
	{ FSNODE_ROOT, "last-error", FSNODE_LAST_ERROR, FSNODE_LASTERR, 0444, FSNODE_COMMIT_NONE },
	{ FSNODE_ROOT, "ecs", FSNODE_ECS, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE },
	{ FSNODE_ROOT, "lambda", FSNODE_LAMBDA, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE },
	{ FSNODE_ROOT, "ec2", FSNODE_EC2, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE },
};

static const struct expected_route ecs_children[] = {
	{ FSNODE_ECS, "task-definitions", FSNODE_ECS_TASKDEFS, FSNODE_DIR, 0755,
	  FSNODE_COMMIT_NONE },
	{ FSNODE_ECS, "tasks", FSNODE_ECS_TASKS, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE },
	{ FSNODE_ECS, "secrets", FSNODE_ECS_SECRETS, FSNODE_DIR, 0755, FSNODE_COMMIT_NONE },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_route_is(const struct fsnode_route *r, const struct expected_route *e)
{
	if (!r)
		fail_msg("no route for \"%s\"", e->name);
	assert_string_equal(r->name, e->name);
	assert_int_equal(r->parent, e->parent);
	assert_int_equal(r->type, e->type);
	assert_int_equal(r->kind, e->kind);
	assert_int_equal(r->mode, e->mode);
	assert_int_equal(r->commit, e->commit);
	assert_ptr_equal(r->ops, &fsnode_root_ops);
}

static void test_unknown_names_have_no_route(void **state)
{
	(void)state;
	assert_null(fsnode_route_match(FSNODE_ROOT, "nope"));
	assert_null(fsnode_route_match(FSNODE_ROOT, "readme"));
	assert_null(fsnode_route_match(FSNODE_ROOT, "README "));
	assert_null(fsnode_route_match(FSNODE_ROOT, "ecs/tasks"));
	assert_null(fsnode_route_match(FSNODE_ECS, "nope"));
	assert_null(fsnode_route_match(FSNODE_LAMBDA_FN, "nope"));
	assert_null(fsnode_route_match(FSNODE_EC2_INSTANCE, "nope"));
	assert_null(fsnode_route_match(FSNODE_EI_STATE, "anything"));
}

static void test_empty_dot_and_dotdot_have_no_route(void **state)
{
	(void)state;
	for (int p = FSNODE_NONE; p < FSNODE_TYPE_COUNT; p++) {
		assert_null(fsnode_route_match((enum fsnode_type)p, ""));
		assert_null(fsnode_route_match((enum fsnode_type)p, "."));
		assert_null(fsnode_route_match((enum fsnode_type)p, ".."));
	}
}

static void test_a_name_only_matches_under_its_own_parent(void **state)
{
	(void)state;
	assert_null(fsnode_route_match(FSNODE_ECS, "README"));
	assert_null(fsnode_route_match(FSNODE_ROOT, "tasks"));
	assert_null(fsnode_route_match(FSNODE_ROOT, "task-definitions"));
	assert_null(fsnode_route_match(FSNODE_LAMBDA_FN, "ecs"));
	assert_null(fsnode_route_match(FSNODE_NONE, "README"));
	assert_null(fsnode_route_match(FSNODE_README, "README"));
}

static void test_the_root_route_is_a_directory_with_no_parent(void **state)
{
	const struct fsnode_route *r = fsnode_root_route();

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->parent, FSNODE_NONE);
	assert_string_equal(r->name, "");
	assert_int_equal(r->type, FSNODE_ROOT);
	assert_int_equal(r->kind, FSNODE_DIR);
	assert_int_equal(r->mode, 0755);
	assert_int_equal(r->commit, FSNODE_COMMIT_NONE);
	assert_ptr_equal(fsnode_root_route(), r);
}

static void test_every_root_name_maps_to_its_type_kind_and_mode(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(root_children); i++)
		assert_route_is(fsnode_route_match(FSNODE_ROOT, root_children[i].name),
				&root_children[i]);
}

static void test_ecs_holds_task_definitions_and_tasks(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(ecs_children); i++)
		assert_route_is(fsnode_route_match(FSNODE_ECS, ecs_children[i].name),
				&ecs_children[i]);
}

static void test_readme_is_read_only_text_and_ctl_is_a_write_only_verb(void **state)
{
	const struct fsnode_route *readme = fsnode_route_match(FSNODE_ROOT, "README");
	const struct fsnode_route *ctl = fsnode_route_match(FSNODE_ROOT, "ctl");
	const struct fsnode_route *events = fsnode_route_match(FSNODE_ROOT, "events");

	(void)state;
	assert_int_equal(readme->kind, FSNODE_TEXT);
	assert_int_equal(readme->mode, 0444);
	assert_int_equal(ctl->kind, FSNODE_VERB);
	assert_int_equal(ctl->mode, 0200);
	assert_int_equal(ctl->commit, FSNODE_COMMIT_EACH_LINE);
	assert_int_equal(events->kind, FSNODE_STREAM);
}

static void test_iterating_the_root_lists_its_children_in_table_order(void **state)
{
	const struct fsnode_route *r = NULL;
	size_t i = 0;

	(void)state;
	while ((r = fsnode_route_next(FSNODE_ROOT, r)) != NULL) {
		assert_true(i < N(root_children));
		assert_route_is(r, &root_children[i]);
		i++;
	}
	assert_int_equal(i, N(root_children));
}

static void test_iterating_ecs_lists_only_its_own_children(void **state)
{
	const struct fsnode_route *r = NULL;
	size_t i = 0;

	(void)state;
	while ((r = fsnode_route_next(FSNODE_ECS, r)) != NULL) {
		assert_true(i < N(ecs_children));
		assert_route_is(r, &ecs_children[i]);
		i++;
	}
	assert_int_equal(i, N(ecs_children));
}

static void test_iterating_a_directory_without_routes_yields_nothing(void **state)
{
	(void)state;
	assert_null(fsnode_route_next(FSNODE_LF_STATE, NULL));
	assert_null(fsnode_route_next(FSNODE_EI_CONSOLE, NULL));
	assert_null(fsnode_route_next(FSNODE_TASK_STATUS, NULL));
	assert_null(fsnode_route_next(FSNODE_README, NULL));
}

static void test_ecs_tasks_has_run_latest_and_one_directory_per_task(void **state)
{
	const struct fsnode_route *r;

	(void)state;
	r = fsnode_route_match(FSNODE_ECS_TASKS, "run");
	assert_non_null(r);
	assert_int_equal(r->kind, FSNODE_TXN);
	assert_int_equal(r->mode, 0600);
	assert_int_equal(fsnode_route_match(FSNODE_ECS_TASKS, "latest")->kind, FSNODE_SYMLINK);
	r = fsnode_route_match(FSNODE_ECS_TASKS, "0123456789abcdef0123456789abcdef");
	assert_non_null(r);
	assert_int_equal(r->type, FSNODE_TASK_DIR);
	assert_int_equal(fsnode_route_match(FSNODE_TASK_DIR, "wait")->kind, FSNODE_STREAM);
	assert_int_equal(fsnode_route_match(FSNODE_TASK_DIR, "desired")->mode, 0644);
	assert_int_equal(fsnode_route_match(FSNODE_TASK_DIR, "ctl")->mode, 0200);
	assert_int_equal(fsnode_route_match(FSNODE_TASK_CONTAINERS, "app")->type,
			 FSNODE_TASK_CONTAINER);
	assert_int_equal(fsnode_route_match(FSNODE_TASK_CONTAINER, "ports")->kind, FSNODE_TEXT);
}

static void test_ecs_secrets_holds_last_error_and_one_0600_value_file_per_secret(void **state)
{
	const struct fsnode_route *r;

	(void)state;
	assert_int_equal(fsnode_route_match(FSNODE_ECS_SECRETS, "last-error")->kind,
			 FSNODE_LASTERR);
	r = fsnode_route_match(FSNODE_ECS_SECRETS, "db-password");
	assert_non_null(r);
	assert_int_equal(r->type, FSNODE_SECRET);
	assert_int_equal(r->kind, FSNODE_VALUE);
	assert_int_equal(r->mode, 0600);
	assert_int_equal(r->commit, FSNODE_COMMIT_VALUE);
	assert_non_null(r->ops->create);
	assert_non_null(r->ops->unlink);
}

static void test_lambda_functions_are_directories_with_an_invoke_transaction(void **state)
{
	const struct fsnode_route *r;

	(void)state;
	assert_int_equal(fsnode_route_match(FSNODE_LAMBDA, "last-error")->kind, FSNODE_LASTERR);
	r = fsnode_route_match(FSNODE_LAMBDA, "hello");
	assert_int_equal(r->type, FSNODE_LAMBDA_FN);
	assert_non_null(r->ops->mkdir);
	assert_non_null(r->ops->rmdir);
	r = fsnode_route_match(FSNODE_LAMBDA_FN, "invoke");
	assert_int_equal(r->kind, FSNODE_TXN);
	assert_int_equal(r->mode, 0600);
	assert_non_null(r->ops->prepare);
	assert_non_null(r->ops->run);
	assert_non_null(r->ops->discard);
	r = fsnode_route_match(FSNODE_LAMBDA_FN, "code.zip");
	assert_int_equal(r->commit, FSNODE_COMMIT_CLOSE);
	assert_int_equal(r->write_max, LAMBDA_ZIP_MAX);
	assert_int_equal(fsnode_route_match(FSNODE_LAMBDA_FN, "logs")->kind, FSNODE_APPEND);
	assert_int_equal(fsnode_route_match(FSNODE_LAMBDA_FN, "invoke-async")->mode, 0200);
	assert_int_equal(fsnode_route_match(FSNODE_LF_LAYERS, "01-deps.zip")->type,
			 FSNODE_LF_LAYER);
	/* code/ holds directories, files and links under one "*" name. */
	r = fsnode_route_match(FSNODE_LF_CODE, "lib");
	assert_int_equal(r->type, FSNODE_LF_CODE_DIR);
	assert_true(fsnode_route_ambiguous(r));
	assert_false(fsnode_route_ambiguous(fsnode_route_match(FSNODE_LAMBDA, "hello")));
	assert_false(fsnode_route_ambiguous(fsnode_route_match(FSNODE_LAMBDA_FN, "state")));
}

static void test_every_listed_child_is_found_again_by_name(void **state)
{
	(void)state;
	for (int p = FSNODE_NONE; p < FSNODE_TYPE_COUNT; p++) {
		const struct fsnode_route *r = NULL;

		while ((r = fsnode_route_next((enum fsnode_type)p, r)) != NULL) {
			const struct fsnode_route *m =
				fsnode_route_match((enum fsnode_type)p, r->name);

			assert_int_equal(r->parent, p);
			/* Of several "*" rows, the name finds the first; lookup picks. */
			if (strcmp(r->name, "*") == 0 && m != r)
				assert_true(fsnode_route_ambiguous(m));
			else
				assert_ptr_equal(m, r);
		}
	}
}

static void test_ec2_instances_images_subnets_and_long_transactions(void **state)
{
	const struct fsnode_route *r;

	(void)state;
	r = fsnode_route_match(FSNODE_EC2, "run");
	assert_int_equal(r->kind, FSNODE_TXN);
	assert_int_equal(r->commit, FSNODE_COMMIT_LINE_OR_JSON);
	assert_null(r->ops->run); /* a launch is queued, not waited for */
	assert_int_equal(fsnode_route_match(FSNODE_EC2, "latest")->kind, FSNODE_SYMLINK);
	r = fsnode_route_match(FSNODE_EC2, "i-0123456789abcdef0");
	assert_int_equal(r->type, FSNODE_EC2_INSTANCE);
	assert_non_null(r->ops->rmdir);
	assert_null(r->ops->mkdir);
	r = fsnode_route_match(FSNODE_EC2_IMAGES, "ami-12345678");
	assert_int_equal(r->kind, FSNODE_VALUE);
	assert_non_null(r->ops->create);
	assert_non_null(r->ops->unlink);
	/* Both wait on the engine, so they run off the FUSE workers. */
	r = fsnode_route_match(FSNODE_EC2_SUBNETS, "create");
	assert_int_equal(r->kind, FSNODE_TXN);
	assert_non_null(r->ops->prepare);
	assert_non_null(r->ops->run);
	r = fsnode_route_match(FSNODE_EC2_INSTANCE, "run-command");
	assert_int_equal(r->mode, 0600);
	assert_non_null(r->ops->run);
	assert_non_null(r->ops->discard);
	r = fsnode_route_match(FSNODE_EC2_INSTANCE, "state");
	assert_int_equal(r->kind, FSNODE_VALUE);
	assert_int_equal(r->commit, FSNODE_COMMIT_VALUE);
	assert_int_equal(fsnode_route_match(FSNODE_EC2_INSTANCE, "console")->kind, FSNODE_APPEND);
	assert_int_equal(fsnode_route_match(FSNODE_EI_TAGS, "Name")->type, FSNODE_EI_TAG);
	assert_int_equal(fsnode_route_match(FSNODE_EC2_SUBNET, "cidr")->type, FSNODE_ES_CIDR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_names_have_no_route),
		cmocka_unit_test(test_empty_dot_and_dotdot_have_no_route),
		cmocka_unit_test(test_a_name_only_matches_under_its_own_parent),
		cmocka_unit_test(test_the_root_route_is_a_directory_with_no_parent),
		cmocka_unit_test(test_every_root_name_maps_to_its_type_kind_and_mode),
		cmocka_unit_test(test_ecs_holds_task_definitions_and_tasks),
		cmocka_unit_test(test_readme_is_read_only_text_and_ctl_is_a_write_only_verb),
		cmocka_unit_test(test_iterating_the_root_lists_its_children_in_table_order),
		cmocka_unit_test(test_iterating_ecs_lists_only_its_own_children),
		cmocka_unit_test(test_iterating_a_directory_without_routes_yields_nothing),
		cmocka_unit_test(test_ecs_tasks_has_run_latest_and_one_directory_per_task),
		cmocka_unit_test(
			test_ecs_secrets_holds_last_error_and_one_0600_value_file_per_secret),
		cmocka_unit_test(test_every_listed_child_is_found_again_by_name),
		cmocka_unit_test(test_lambda_functions_are_directories_with_an_invoke_transaction),
		cmocka_unit_test(test_ec2_instances_images_subnets_and_long_transactions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
