/*
 * tests/unit/test_events.c - the events thread against tests/unit/
 * fake_engine.c: when it lists again at once and when it backs off, and
 * what it reports. The windows are bounded; the counts they allow are far
 * apart (a thread that does not back off lists hundreds of times in them).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/engine/engine.h"
#include "backend/engine/events.h"
#include "tests/unit/fake_engine.h"
#include "tests/unit/helpers.h"

#define LIST_PATH   "/v1.41/containers/json"
#define EVENTS_PATH "/v1.41/events"
#define MAX_SYNCS   1024

struct env {
	struct fake_engine fe;
	struct engine *eng;
	struct engine_events *ev;
	struct nb_err err;
	char *version; /* the recorded /version reply */
	char *list;    /* the recorded container list */
	struct fake_route routes[4];
	pthread_mutex_t lock;
	int syncs;		   /* protected by lock */
	double sync_ms[MAX_SYNCS]; /* protected by lock: CLOCK_MONOTONIC of each */
	int downs;		   /* protected by lock */
	int failing;		   /* protected by lock: on_stream with a reason */
	int running;		   /* protected by lock: on_stream(NULL) */
	char failing_reason[512];  /* protected by lock */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_up(void *ud, const struct engine_info *info)
{
	(void)ud;
	(void)info;
}

static void on_down(void *ud, const char *reason)
{
	struct env *env = ud;

	(void)reason;
	pthread_mutex_lock(&env->lock);
	env->downs++;
	pthread_mutex_unlock(&env->lock);
}

static void on_stream(void *ud, const char *failing_or_null)
{
	struct env *env = ud;

	pthread_mutex_lock(&env->lock);
	if (failing_or_null) {
		env->failing++;
		snprintf(env->failing_reason, sizeof(env->failing_reason), "%s", failing_or_null);
	} else {
		env->running++;
	}
	pthread_mutex_unlock(&env->lock);
}

static void on_sync(void *ud, const cJSON *containers)
{
	struct env *env = ud;

	(void)containers;
	pthread_mutex_lock(&env->lock);
	if (env->syncs < MAX_SYNCS)
		env->sync_ms[env->syncs] = now_ms();
	env->syncs++;
	pthread_mutex_unlock(&env->lock);
}

static void on_event(void *ud, const cJSON *event)
{
	(void)ud;
	(void)event;
}

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	if (!env)
		return -1;
	pthread_mutex_init(&env->lock, NULL);
	env->version = th_fixture("engine", "version.json", 1 << 16, NULL);
	env->list = th_fixture("engine", "container_list.json", 1 << 16, NULL);
	env->routes[0] =
		(struct fake_route){ .method = "GET", .path = "/version", .body = env->version };
	env->routes[1] =
		(struct fake_route){ .method = "GET", .path = LIST_PATH, .body = env->list };
	if (fake_engine_start(&env->fe, NULL) < 0 ||
	    engine_new(env->fe.url, &env->eng, &env->err) < 0) {
		free(env);
		return -1;
	}
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	engine_events_stop(env->ev);
	engine_free(env->eng);
	fake_engine_stop(&env->fe);
	free(env->version);
	free(env->list);
	pthread_mutex_destroy(&env->lock);
	free(env);
	return 0;
}

/* Serves /events as events (the version and list always answer). */
static void serve_events(struct env *env, struct fake_route events)
{
	events.method = "GET";
	events.path = EVENTS_PATH;
	env->routes[2] = events;
	env->routes[3] = (struct fake_route){ 0 };
	fake_engine_set_routes(&env->fe, env->routes);
}

static void start(struct env *env)
{
	const struct engine_events_ops ops = { .on_up = on_up,
					       .on_down = on_down,
					       .on_stream = on_stream,
					       .on_sync = on_sync,
					       .on_event = on_event,
					       .ud = env };

	assert_int_equal(
		engine_events_start(env->eng, "io.nimbusfs.owner=t", &ops, &env->ev, &env->err), 0);
}

/* What the callbacks counted, copied out, so a failed assertion never
 * leaves the lock held (the thread's next callback would wait forever). */
struct counts {
	int syncs, downs, failing, running;
	char failing_reason[512];
	double sync_ms[MAX_SYNCS];
};

static void snapshot(struct env *env, struct counts *c)
{
	pthread_mutex_lock(&env->lock);
	c->syncs = env->syncs;
	c->downs = env->downs;
	c->failing = env->failing;
	c->running = env->running;
	memcpy(c->failing_reason, env->failing_reason, sizeof(c->failing_reason));
	memcpy(c->sync_ms, env->sync_ms, sizeof(c->sync_ms));
	pthread_mutex_unlock(&env->lock);
}

static int syncs(struct env *env)
{
	int n;

	pthread_mutex_lock(&env->lock);
	n = env->syncs;
	pthread_mutex_unlock(&env->lock);
	return n;
}

static void test_a_403_on_events_backs_off_instead_of_listing_in_a_loop(void **state)
{
	struct env *env = *state;
	static struct counts c[1];

	serve_events(env, (struct fake_route){ .status = 403,
					       .body = "{\"message\":\"forbidden by proxy\"}" });
	start(env);
	/* Tries at 0, 0.1, 0.3, 0.7 and 1.5 s: at most 5 in 1.6 s. */
	usleep(1600 * 1000);
	snapshot(env, c);
	assert_in_range(c->syncs, 2, 6);
	assert_in_range(c->failing, c->syncs - 1, c->syncs);
	assert_int_equal(c->downs, 0);
	assert_int_equal(c->running, 0);
	assert_non_null(strstr(c->failing_reason, "403: forbidden by proxy"));
}

static void test_a_stream_that_ends_at_once_backs_off_too(void **state)
{
	struct env *env = *state;
	static struct counts c[1];

	serve_events(env, (struct fake_route){ .status = 200, .body = "" });
	start(env);
	usleep(1600 * 1000);
	snapshot(env, c);
	assert_in_range(c->syncs, 2, 6);
	assert_int_equal(c->downs, 0);
	assert_non_null(strstr(c->failing_reason, "closed the events stream at once"));
}

static void test_a_resync_lists_again_at_once_even_while_the_stream_fails(void **state)
{
	struct env *env = *state;
	int before;

	serve_events(env, (struct fake_route){ .status = 403, .body = "{\"message\":\"no\"}" });
	start(env);
	/* Backing off 800 ms, then 1 s: no try of its own for a while. */
	usleep(750 * 1000);
	before = syncs(env);
	for (int i = 0; i < 3; i++) {
		engine_events_resync(env->ev);
		for (int t = 0; t < 200 && syncs(env) < before + i + 1; t++)
			usleep(1000);
	}
	/* Three lists within at most 600 ms, where backing off allows one. */
	assert_true(syncs(env) >= before + 3);
}

/* The stream ran (open past ENGINE_EVENTS_RAN_MS): the failure it follows
 * is reported over, and its end is followed at once by a new list, with
 * the backoff built up by the failures forgotten. */
static void test_a_stream_that_ran_clears_the_failure_and_reconnects_at_once(void **state)
{
	static const struct fake_piece event[] = {
		{ "{\"status\":\"start\",\"id\":\"abc\",\"Type\":\"container\"}\n", 0 }, { 0 }
	};
	struct env *env = *state;
	static struct counts c[1];
	int first;

	serve_events(env, (struct fake_route){ .status = 403, .body = "{\"message\":\"no\"}" });
	start(env);
	/* Failing until its backoff reaches 800 ms and 1 s. */
	usleep(1200 * 1000);
	first = syncs(env);
	serve_events(env, (struct fake_route){ .status = 200,
					       .content_type = "application/json",
					       .chunks = event,
					       .chunk_delay_ms = 1300 });
	/* The next try (within 1 s) opens a stream that ends after 1.3 s; the
	 * one after must follow at once, not after the 1 s backoff. */
	for (int t = 0; t < 6000 && syncs(env) < first + 2; t++)
		usleep(1000);
	snapshot(env, c);
	assert_true(c->syncs >= first + 2);
	assert_true(c->running >= 1);
	/* A try of the backoff (at most 1 s), or a stream open 1.3 s and then
	 * at once: every gap well under 1.3 s + a 1 s backoff. */
	for (int i = first; i < first + 2; i++)
		assert_true(c->sync_ms[i] - c->sync_ms[i - 1] < 1900);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_a_403_on_events_backs_off_instead_of_listing_in_a_loop),
		T(test_a_stream_that_ends_at_once_backs_off_too),
		T(test_a_resync_lists_again_at_once_even_while_the_stream_fails),
		T(test_a_stream_that_ran_clears_the_failure_and_reconnects_at_once),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
