/*
 * tests/unit/test_hub.c - the event ring: publishing lines, cursors,
 * bounded reads that resume mid-line, id filters, overflow, and the
 * listener that the filesystem's notifier hangs on the hub.
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
#include "backend/state/hub.h"

struct env {
	struct state_hub *hub;
	struct state_hub_cursor cur;
	struct nb_buf out;
};

static int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	if (!env || state_hub_new(&env->hub) < 0) {
		free(env);
		return -1;
	}
	state_hub_cursor_init(env->hub, &env->cur);
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *env = *state;

	nb_buf_free(&env->out);
	state_hub_free(env->hub);
	free(env);
	return 0;
}

static void publish(struct env *env, const char *type, const char *id)
{
	assert_int_equal(state_hub_publish(env->hub, type, id, NULL), 0);
}

static void publish_n(struct env *env, uint64_t from, uint64_t to)
{
	char id[32];

	for (uint64_t i = from; i < to; i++) {
		snprintf(id, sizeof(id), "e%llu", (unsigned long long)i);
		publish(env, "tick", id);
	}
}

/* Parses the line at *p (which must end with '\n'), advancing *p past it. */
static cJSON *next_line(const char **p)
{
	const char *nl = strchr(*p, '\n');
	struct nb_err err = { 0 };
	cJSON *doc;

	if (!nl)
		fail_msg("no complete line in \"%s\"", *p);
	doc = json_parse(*p, (size_t)(nl - *p), &err);
	if (!doc)
		fail_msg("bad line: %s", err.msg);
	*p = nl + 1;
	return doc;
}

static const char *str_of(const cJSON *doc, const char *field)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, field);

	assert_true(cJSON_IsString(item));
	return item->valuestring;
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* Errors and edges first. */

static void test_a_fresh_hub_has_nothing_to_read(void **state)
{
	struct env *env = *state;

	assert_int_equal(state_hub_count(env->hub), 0);
	assert_int_equal(state_hub_pending(env->hub, &env->cur, NULL), 0);
	assert_int_equal(state_hub_read(env->hub, &env->cur, NULL, &env->out, 4096), 0);
	assert_int_equal(env->out.len, 0);
}

static void test_a_read_with_no_room_returns_nothing_and_keeps_the_cursor(void **state)
{
	struct env *env = *state;

	publish(env, "created", "a");
	assert_int_equal(state_hub_read(env->hub, &env->cur, NULL, &env->out, 0), 0);
	assert_int_equal(env->cur.seq, 0);
	assert_int_equal(env->cur.off, 0);
	assert_int_equal(state_hub_pending(env->hub, &env->cur, NULL), 1);
}

static void test_a_reader_that_falls_behind_gets_an_overflow_line_then_the_oldest_kept(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *note = NULL;
	cleanup_cjson cJSON *first = NULL;
	const cJSON *dropped;
	const char *p;
	size_t n;

	publish_n(env, 0, STATE_HUB_RING + 5);
	assert_int_equal(state_hub_pending(env->hub, &env->cur, NULL), 1);
	n = state_hub_read(env->hub, &env->cur, NULL, &env->out, 1 << 20);
	assert_int_equal(n, env->out.len);
	p = env->out.data;
	assert_memory_equal(p, "{\"type\":\"overflow\",\"dropped\":5}\n", 32);
	note = next_line(&p);
	dropped = cJSON_GetObjectItemCaseSensitive(note, "dropped");
	assert_int_equal(dropped->valuedouble, 5);
	first = next_line(&p);
	assert_string_equal(str_of(first, "id"), "e5");
	/* The note, then every kept event, each once. */
	assert_int_equal(count_lines(env->out.data, env->out.len), 1 + STATE_HUB_RING);
	assert_int_equal(env->cur.seq, STATE_HUB_RING + 5);
	assert_int_equal(state_hub_pending(env->hub, &env->cur, NULL), 0);
}

static void test_after_an_overflow_reading_continues_with_new_events(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *ev = NULL;
	const char *p;

	publish_n(env, 0, STATE_HUB_RING + 1);
	state_hub_read(env->hub, &env->cur, NULL, &env->out, 1 << 20);
	nb_buf_reset(&env->out);
	publish(env, "later", "z");
	assert_true(state_hub_read(env->hub, &env->cur, NULL, &env->out, 1 << 20) > 0);
	p = env->out.data;
	ev = next_line(&p);
	assert_string_equal(str_of(ev, "id"), "z");
	assert_string_equal(p, "");
}

static void test_a_read_too_small_for_the_overflow_note_returns_no_stale_event(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *note = NULL;
	const char *p;

	publish_n(env, 0, STATE_HUB_RING + 3);
	/* The note is 32 bytes; 10 cannot hold it, and the slot at the
	 * cursor now holds a newer event that must not be served. */
	assert_int_equal(state_hub_read(env->hub, &env->cur, NULL, &env->out, 10), 0);
	assert_int_equal(env->out.len, 0);
	assert_int_equal(state_hub_read(env->hub, &env->cur, NULL, &env->out, 32), 32);
	p = env->out.data;
	note = next_line(&p);
	assert_string_equal(str_of(note, "type"), "overflow");
	assert_int_equal(env->cur.seq, 3);
}

static void test_a_reader_behind_mid_line_is_never_served_past_a_line(void **state)
{
	struct env *env = *state;

	publish(env, "a-rather-long-event-type-to-make-the-line-long", "first");
	assert_int_equal(state_hub_read(env->hub, &env->cur, NULL, &env->out, 90), 90);
	/* Overwrite the partly read line with a much shorter one. */
	for (int i = 0; i < STATE_HUB_RING; i++)
		publish(env, "t", "x");
	nb_buf_reset(&env->out);
	/* Too small for the note: nothing, and no read out of bounds. */
	assert_int_equal(state_hub_read(env->hub, &env->cur, NULL, &env->out, 20), 0);
}

/* Publishing */

static void test_publish_puts_time_type_and_id_first_and_keeps_the_fields(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *ev = NULL;
	cJSON *fields = cJSON_CreateObject();
	const cJSON *item;
	const char *p, *time;
	int y, mo, d, h, mi, s;
	long ns;
	char z;

	assert_non_null(fields);
	assert_int_equal(json_add_str(fields, "status", "RUNNING"), 0);
	assert_int_equal(json_add_num(fields, "exitCode", 3), 0);
	assert_int_equal(state_hub_publish(env->hub, "task-state", "web-1", fields), 0);
	assert_int_equal(state_hub_count(env->hub), 1);
	state_hub_read(env->hub, &env->cur, NULL, &env->out, 4096);
	assert_int_equal(env->out.data[env->out.len - 1], '\n');
	assert_int_equal(count_lines(env->out.data, env->out.len), 1);
	assert_memory_equal(env->out.data, "{\"time\":\"", 9);

	p = env->out.data;
	ev = next_line(&p);
	item = ev->child;
	assert_string_equal(item->string, "time");
	item = item->next;
	assert_string_equal(item->string, "type");
	assert_string_equal(item->valuestring, "task-state");
	item = item->next;
	assert_string_equal(item->string, "id");
	assert_string_equal(item->valuestring, "web-1");
	item = item->next;
	assert_string_equal(item->string, "status");
	assert_string_equal(item->valuestring, "RUNNING");
	item = item->next;
	assert_string_equal(item->string, "exitCode");
	assert_int_equal(item->valuedouble, 3);
	assert_null(item->next);

	time = str_of(ev, "time");
	assert_int_equal(strlen(time), 30);
	assert_int_equal(
		sscanf(time, "%4d-%2d-%2dT%2d:%2d:%2d.%9ld%c", &y, &mo, &d, &h, &mi, &s, &ns, &z),
		8);
	assert_int_equal(z, 'Z');
	assert_true(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31);
}

static void test_publish_without_fields_makes_a_three_field_line(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *ev = NULL;
	const char *p;

	publish(env, "deleted", "fn");
	state_hub_read(env->hub, &env->cur, NULL, &env->out, 4096);
	p = env->out.data;
	ev = next_line(&p);
	assert_int_equal(cJSON_GetArraySize(ev), 3);
	assert_string_equal(str_of(ev, "type"), "deleted");
	assert_string_equal(str_of(ev, "id"), "fn");
	assert_string_equal(p, "");
}

static void test_a_cursor_initialised_at_the_head_sees_only_later_events(void **state)
{
	struct env *env = *state;
	struct state_hub_cursor late;
	cleanup_cjson cJSON *ev = NULL;
	const char *p;

	publish(env, "early", "a");
	publish(env, "early", "b");
	state_hub_cursor_init(env->hub, &late);
	assert_int_equal(late.seq, 2);
	assert_int_equal(state_hub_pending(env->hub, &late, NULL), 0);
	assert_int_equal(state_hub_read(env->hub, &late, NULL, &env->out, 4096), 0);
	publish(env, "late", "c");
	assert_int_equal(state_hub_pending(env->hub, &late, NULL), 1);
	assert_true(state_hub_read(env->hub, &late, NULL, &env->out, 4096) > 0);
	p = env->out.data;
	ev = next_line(&p);
	assert_string_equal(str_of(ev, "id"), "c");
	assert_string_equal(p, "");
}

static void test_small_reads_split_lines_and_resume_mid_line(void **state)
{
	struct env *env = *state;
	struct state_hub_cursor whole;
	struct nb_buf all = { 0 };
	size_t n, reads = 0;

	publish(env, "created", "one");
	publish(env, "created", "two");
	whole = env->cur;
	state_hub_read(env->hub, &whole, NULL, &all, 1 << 20);

	while ((n = state_hub_read(env->hub, &env->cur, NULL, &env->out, 7)) > 0) {
		assert_true(n <= 7);
		reads++;
	}
	assert_true(reads > 2);
	assert_int_equal(env->out.len, all.len);
	assert_memory_equal(env->out.data, all.data, all.len);
	assert_int_equal(count_lines(env->out.data, env->out.len), 2);
	assert_int_equal(env->cur.seq, 2);
	assert_int_equal(env->cur.off, 0);
	nb_buf_free(&all);
}

static void test_a_read_that_ends_mid_line_leaves_the_cursor_inside_it(void **state)
{
	struct env *env = *state;

	publish(env, "created", "one");
	assert_int_equal(state_hub_read(env->hub, &env->cur, NULL, &env->out, 5), 5);
	assert_memory_equal(env->out.data, "{\"tim", 5);
	assert_int_equal(env->cur.seq, 0);
	assert_int_equal(env->cur.off, 5);
	assert_int_equal(state_hub_pending(env->hub, &env->cur, NULL), 1);
	assert_int_equal(state_hub_read(env->hub, &env->cur, NULL, &env->out, 4), 4);
	assert_memory_equal(env->out.data, "{\"time\":\"", 9);
}

static void test_an_id_filter_reads_only_that_objects_events(void **state)
{
	struct env *env = *state;
	cleanup_cjson cJSON *first = NULL;
	cleanup_cjson cJSON *second = NULL;
	const char *p;

	publish(env, "created", "web");
	publish(env, "created", "db");
	publish(env, "stopped", "web");
	assert_int_equal(state_hub_pending(env->hub, &env->cur, "cache"), 0);
	assert_int_equal(state_hub_pending(env->hub, &env->cur, "db"), 1);
	assert_true(state_hub_read(env->hub, &env->cur, "web", &env->out, 4096) > 0);
	assert_int_equal(count_lines(env->out.data, env->out.len), 2);
	p = env->out.data;
	first = next_line(&p);
	second = next_line(&p);
	assert_string_equal(str_of(first, "type"), "created");
	assert_string_equal(str_of(first, "id"), "web");
	assert_string_equal(str_of(second, "type"), "stopped");
	assert_string_equal(str_of(second, "id"), "web");
	assert_int_equal(env->cur.seq, 3);
	assert_int_equal(state_hub_pending(env->hub, &env->cur, "web"), 0);
}

static void test_an_id_filter_is_an_exact_match(void **state)
{
	struct env *env = *state;

	publish(env, "created", "web-2");
	publish(env, "created", "we");
	assert_int_equal(state_hub_read(env->hub, &env->cur, "web", &env->out, 4096), 0);
	assert_int_equal(env->cur.seq, 2);
}

static void test_pending_follows_what_is_left_to_read(void **state)
{
	struct env *env = *state;

	publish(env, "a", "1");
	assert_int_equal(state_hub_pending(env->hub, &env->cur, NULL), 1);
	state_hub_read(env->hub, &env->cur, NULL, &env->out, 4096);
	assert_int_equal(state_hub_pending(env->hub, &env->cur, NULL), 0);
	publish(env, "a", "2");
	assert_int_equal(state_hub_pending(env->hub, &env->cur, NULL), 1);
}

static void test_count_is_every_event_ever_published(void **state)
{
	struct env *env = *state;

	publish_n(env, 0, STATE_HUB_RING + 10);
	assert_int_equal(state_hub_count(env->hub), STATE_HUB_RING + 10);
}

/* The listener */

struct heard {
	int events;
	int changed;
	char last_path[64];
	char last_error[128];
	void *ud_seen;
};

static void on_event(void *ud)
{
	struct heard *h = ud;

	h->events++;
	h->ud_seen = ud;
}

static void on_changed(void *ud, const char *path)
{
	struct heard *h = ud;

	h->changed++;
	snprintf(h->last_path, sizeof(h->last_path), "%s", path);
}

static void on_error(void *ud, const char *dir, const char *msg)
{
	struct heard *h = ud;

	snprintf(h->last_error, sizeof(h->last_error), "%s: %s", dir, msg);
}

static void test_changes_without_a_listener_are_dropped_quietly(void **state)
{
	struct env *env = *state;

	state_hub_changed(env->hub, "ecs/tasks/web/status");
	state_hub_error(env->hub, "ecs/tasks/web", "stop failed");
	publish(env, "x", "y");
}

static void test_a_job_error_reaches_the_listener_with_its_directory(void **state)
{
	struct env *env = *state;
	struct heard h = { 0 };
	const struct state_hub_listener l = {
		.on_event = on_event, .on_changed = on_changed, .on_error = on_error, .ud = &h
	};

	state_hub_listen(env->hub, &l);
	state_hub_error(env->hub, "ecs/tasks/web", "container app could not be stopped");
	assert_string_equal(h.last_error, "ecs/tasks/web: container app could not be stopped");
	assert_int_equal(h.changed, 0);
	assert_int_equal(h.events, 0);
}

static void test_the_listener_hears_every_event_and_every_change(void **state)
{
	struct env *env = *state;
	struct heard h = { 0 };
	const struct state_hub_listener l = { .on_event = on_event,
					      .on_changed = on_changed,
					      .ud = &h };

	state_hub_listen(env->hub, &l);
	publish(env, "a", "1");
	publish(env, "b", "2");
	assert_int_equal(h.events, 2);
	assert_ptr_equal(h.ud_seen, &h);
	assert_int_equal(h.changed, 0);
	state_hub_changed(env->hub, "ecs/tasks/web/status");
	assert_int_equal(h.changed, 1);
	assert_string_equal(h.last_path, "ecs/tasks/web/status");
	assert_int_equal(h.events, 2);
}

static void test_freeing_a_hub_with_events_in_the_ring_leaks_nothing(void **state)
{
	struct state_hub *hub = NULL;
	cJSON *fields;

	(void)state;
	assert_int_equal(state_hub_new(&hub), 0);
	for (int i = 0; i < STATE_HUB_RING + 50; i++) {
		fields = cJSON_CreateObject();
		assert_non_null(fields);
		assert_int_equal(json_add_num(fields, "n", i), 0);
		assert_int_equal(state_hub_publish(hub, "tick", "id", fields), 0);
	}
	state_hub_free(hub);
	state_hub_free(NULL);
	/* ASan and valgrind check the rest. */
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_fresh_hub_has_nothing_to_read),
		T(test_a_read_with_no_room_returns_nothing_and_keeps_the_cursor),
		T(test_a_reader_that_falls_behind_gets_an_overflow_line_then_the_oldest_kept),
		T(test_after_an_overflow_reading_continues_with_new_events),
		T(test_a_read_too_small_for_the_overflow_note_returns_no_stale_event),
		T(test_a_reader_behind_mid_line_is_never_served_past_a_line),
		T(test_publish_puts_time_type_and_id_first_and_keeps_the_fields),
		T(test_publish_without_fields_makes_a_three_field_line),
		T(test_a_cursor_initialised_at_the_head_sees_only_later_events),
		T(test_small_reads_split_lines_and_resume_mid_line),
		T(test_a_read_that_ends_mid_line_leaves_the_cursor_inside_it),
		T(test_an_id_filter_reads_only_that_objects_events),
		T(test_an_id_filter_is_an_exact_match),
		T(test_pending_follows_what_is_left_to_read),
		T(test_count_is_every_event_ever_published),
		T(test_changes_without_a_listener_are_dropped_quietly),
		T(test_a_job_error_reaches_the_listener_with_its_directory),
		T(test_the_listener_hears_every_event_and_every_change),
		T(test_freeing_a_hub_with_events_in_the_ring_leaks_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
