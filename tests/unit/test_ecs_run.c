/*
 * tests/unit/test_ecs_run.c - RunTask's answer when not every task can
 * start: the tasks that did, and a failure with its reason for each that
 * did not; never an id lost, never a task left waiting on a launch that
 * was not queued. The state dir is a small tmpfs (root only; skipped
 * otherwise), the engine unreachable, and the job workers held busy so
 * no launch runs while the request is answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/common/cleanup.h"
#include "backend/ecs/ecs.h"
#include "backend/engine/engine.h"
#include "backend/state/health.h"
#include "backend/state/hub.h"
#include "backend/state/jobs.h"
#include "backend/state/registry.h"
#include "backend/state/statedir.h"
#include "tests/unit/helpers.h"

#define TASKDEF                                                                                    \
	"{\"family\": \"web\", \"networkMode\": \"bridge\", \"containerDefinitions\": "            \
	"[{\"name\": \"app\", \"image\": \"local/busybox:latest\"}]}"

struct env {
	char root[64];
	char mnt[128];
	struct state_dir *sd;
	struct state_registry *reg;
	struct state_hub *hub;
	struct state_health health;
	struct state_jobs *jobs;
	struct engine *eng;
	struct ecs *ecs;
	pthread_mutex_t hold_lock;
	pthread_cond_t hold_cond;
	bool held, release;
};

/* Keeps the one worker busy until teardown, so no launch runs. */
static void hold(void *ud)
{
	struct env *env = ud;

	pthread_mutex_lock(&env->hold_lock);
	env->held = true;
	pthread_cond_broadcast(&env->hold_cond);
	while (!env->release)
		pthread_cond_wait(&env->hold_cond, &env->hold_lock);
	pthread_mutex_unlock(&env->hold_lock);
}

static int setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));
	struct ecs_deps deps = { 0 };
	struct nb_err err = { 0 };

	if (!env || th_tmpdir_new("ecsrun", env->root, sizeof(env->root)) < 0)
		return -1;
	pthread_mutex_init(&env->hold_lock, NULL);
	pthread_cond_init(&env->hold_cond, NULL);
	snprintf(env->mnt, sizeof(env->mnt), "%s/state", env->root);
	if (mkdir(env->mnt, 0700) < 0)
		return -1;
	if (mount("tmpfs", env->mnt, "tmpfs", 0, "size=256k,mode=0700") < 0) {
		env->mnt[0] = '\0';
		*state = env;
		return 0; /* each test skips */
	}
	if (state_dir_open(env->mnt, &env->sd, &err) < 0 || state_hub_new(&env->hub) < 0 ||
	    engine_new("unix:///nonexistent/engine.sock", &env->eng, &err) < 0 ||
	    state_registry_new(env->sd, &env->reg) < 0)
		return -1;
	state_health_init(&env->health, env->hub, "unix:///nonexistent/engine.sock");
	state_health_engine_up(&env->health, "Docker Engine 20.10 (linux/amd64)", "1.41");
	deps.reg = env->reg;
	deps.hub = env->hub;
	deps.eng = env->eng;
	deps.health = &env->health;
	deps.owner = env->sd->id;
	deps.statedirfd = env->sd->dirfd;
	if (ecs_new(&deps, &env->ecs, &err) < 0)
		return -1;
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct env *env = *state;

	pthread_mutex_lock(&env->hold_lock);
	env->release = true;
	pthread_cond_broadcast(&env->hold_cond);
	pthread_mutex_unlock(&env->hold_lock);
	if (env->ecs)
		ecs_stop(env->ecs);
	state_jobs_stop(env->jobs);
	ecs_free(env->ecs);
	state_registry_free(env->reg);
	engine_free(env->eng);
	if (env->hub) {
		state_health_destroy(&env->health);
		state_hub_free(env->hub);
	}
	state_dir_close(env->sd);
	if (env->mnt[0])
		umount2(env->mnt, MNT_DETACH);
	th_tmpdir_remove(env->root);
	pthread_cond_destroy(&env->hold_cond);
	pthread_mutex_destroy(&env->hold_lock);
	free(env);
	return 0;
}

static void start_held(struct env *env)
{
	assert_int_equal(state_jobs_start(1, &env->jobs), 0);
	assert_int_equal(state_jobs_submit(env->jobs, hold, NULL, env), 0);
	pthread_mutex_lock(&env->hold_lock);
	while (!env->held)
		pthread_cond_wait(&env->hold_cond, &env->hold_lock);
	pthread_mutex_unlock(&env->hold_lock);
	ecs_start(env->ecs, env->jobs);
}

static void registered(struct env *env)
{
	cleanup_buf struct nb_buf answer = { 0 };
	struct nb_err err = { 0 };

	assert_int_equal(ecs_register(env->ecs, TASKDEF, strlen(TASKDEF), &answer, &err), 0);
}

static int collect(void *ud, const char *name)
{
	return nb_buf_printf(ud, "%s\n", name);
}

/* Leaves the state dir's file system with room for `pages` pages. */
static void leave_pages(struct env *env, int pages)
{
	char path[160];
	char block[4096] = { 0 };
	cleanup_close int fd = -1;
	off_t size = 0;

	snprintf(path, sizeof(path), "%s/fill", env->mnt);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) == (ssize_t)sizeof(block))
		size += (off_t)sizeof(block);
	assert_int_equal(ftruncate(fd, size > pages * 4096 ? size - pages * 4096 : 0), 0);
}

static void test_a_run_that_can_queue_no_launch_is_refused_and_leaves_no_task(void **state)
{
	struct env *env = *state;
	cleanup_buf struct nb_buf answer = { 0 };
	cleanup_buf struct nb_buf tasks = { 0 };
	struct nb_err err = { 0 };

	if (!env->mnt[0])
		skip();
	registered(env);
	/* Not started: no job can be queued. */
	assert_true(ecs_run(env->ecs, "web", 3, &answer, &err) < 0);
	assert_non_null(strstr(err.msg, "no task of web:1 started"));
	assert_non_null(strstr(err.msg, "cannot queue the task's launch"));
	assert_int_equal(answer.len, 0);
	assert_int_equal(ecs_list_tasks(env->ecs, collect, &tasks), 0);
	assert_int_equal(tasks.len, 0);
}

static void test_a_run_whose_later_tasks_cannot_be_recorded_answers_the_started_ones(void **state)
{
	struct env *env = *state;
	const char *req = "{\"taskDefinition\": \"web\", \"count\": 10}";
	cleanup_buf struct nb_buf answer = { 0 };
	cleanup_buf struct nb_buf tasks = { 0 };
	cleanup_buf struct nb_buf ids = { 0 };
	struct nb_err err = { 0 };
	int started = 0, failed = 0;

	if (!env->mnt[0])
		skip();
	registered(env);
	start_held(env);
	leave_pages(env, 4);
	assert_int_equal(ecs_run(env->ecs, req, strlen(req), &answer, &err), 0);
	for (char *line = answer.data, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		if (strncmp(line, "failure: ", 9) == 0) {
			failed++;
			assert_non_null(strstr(line, "cannot record the task"));
			assert_non_null(strstr(line, "No space left on device"));
		} else {
			assert_int_equal(nl - line, 32);
			assert_int_equal(failed, 0); /* the ids come first */
			started++;
			nb_buf_append(&ids, line, (size_t)(nl - line) + 1);
		}
	}
	assert_true(started >= 1);
	assert_true(failed >= 1);
	assert_int_equal(started + failed, 10);
	/* Every task that exists was answered; no other one exists. */
	assert_int_equal(ecs_list_tasks(env->ecs, collect, &tasks), 0);
	assert_string_equal(tasks.data, ids.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_a_run_that_can_queue_no_launch_is_refused_and_leaves_no_task, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_run_whose_later_tasks_cannot_be_recorded_answers_the_started_ones,
			setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
