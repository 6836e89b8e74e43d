/*
 * tools/bench_events.c - how long an engine event takes to reach a reader
 * of nimbusfs's `events` file, against the same event on a raw /events
 * stream read in the same process. Both delays are measured from the
 * event's own timestamp (timeNano) with the same clock.
 *
 *   bench_events MOUNTPOINT OWNER-ID IMAGE COUNT
 *
 * Prints: "<raw median ms> <nimbusfs median ms> <samples>".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/engine/containers.h"
#include "backend/engine/engine.h"

#define MAX_SAMPLES 200

struct sink {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char last_start[13]; /* short id of the last "start" seen */
	double delays[MAX_SAMPLES];
	int n;
};

static struct sink raw_sink, fs_sink;
static struct nb_cancel stopping = { .lock = PTHREAD_MUTEX_INITIALIZER };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void record(struct sink *s, const char *id, double tnano)
{
	double delay = now_ns() - tnano;

	pthread_mutex_lock(&s->lock);
	if (s->n < MAX_SAMPLES)
		s->delays[s->n++] = delay;
	snprintf(s->last_start, sizeof(s->last_start), "%.12s", id);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* One line of the raw stream: the engine's own event shape. */
static void raw_line(const char *line, size_t len)
{
	cleanup_cjson cJSON *ev = cJSON_ParseWithLength(line, len);
	const cJSON *action = cJSON_GetObjectItem(ev, "Action");
	const cJSON *id = cJSON_GetObjectItem(ev, "id");
	const cJSON *t = cJSON_GetObjectItem(ev, "timeNano");

	if (cJSON_IsString(action) && strcmp(action->valuestring, "start") == 0 &&
	    cJSON_IsString(id) && cJSON_IsNumber(t))
		record(&raw_sink, id->valuestring, t->valuedouble);
}

static struct nb_buf raw_partial;

static void raw_line_cb(const char *line, size_t len, void *ud)
{
	(void)ud;
	raw_line(line, len);
}

static int raw_chunk(const char *data, size_t len, void *ud)
{
	(void)ud;
	return nb_buf_feed_lines(&raw_partial, data, len, raw_line_cb, NULL) < 0;
}

struct raw_args {
	struct engine *eng;
	const char *path;
};

static void *raw_thread(void *arg)
{
	struct raw_args *a = arg;
	struct engine_req req = { .method = "GET", .path = a->path };
	struct nb_err err = { 0 };

	if (engine_stream(a->eng, &req, raw_chunk, NULL, &stopping, &err) < 0)
		fprintf(stderr, "bench_events: raw stream: %s\n", err.msg);
	return NULL;
}

/* Lines of nimbusfs's `events`: nimbusfs's shape. */
static void *fs_thread(void *arg)
{
	FILE *f = fopen(arg, "r");
	char line[8192];

	if (!f) {
		perror(arg);
		return NULL;
	}
	while (!nb_cancelled(&stopping) && fgets(line, sizeof(line), f)) {
		cleanup_cjson cJSON *ev = cJSON_Parse(line);
		const cJSON *action = cJSON_GetObjectItem(ev, "action");
		const cJSON *c = cJSON_GetObjectItem(ev, "container");
		const cJSON *t = cJSON_GetObjectItem(ev, "engineTimeNano");

		if (cJSON_IsString(action) && strcmp(action->valuestring, "start") == 0 &&
		    cJSON_IsString(c) && cJSON_IsNumber(t))
			record(&fs_sink, c->valuestring, t->valuedouble);
	}
	fclose(f);
	return NULL;
}

static int wait_for(struct sink *s, const char *id)
{
	struct timespec until;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&s->lock);
	while (strncmp(s->last_start, id, 12) != 0 && ret == 0)
		ret = pthread_cond_timedwait(&s->cond, &s->lock, &until);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_ms(struct sink *s)
{
	qsort(s->delays, (size_t)s->n, sizeof(double), cmp);
	return s->n ? s->delays[s->n / 2] / 1e6 : -1;
}

int main(int argc, char **argv)
{
	const char *url = getenv("DOCKER_HOST") ? getenv("DOCKER_HOST") : ENGINE_DEFAULT_URL;
	char events_path[4096], label[128], raw_path[512], id[65];
	struct engine_info info;
	struct nb_err err = { 0 };
	struct engine *eng;
	pthread_t raw, fs;
	struct raw_args ra;
	int count;

	if (argc != 5 || (count = atoi(argv[4])) <= 0 || count > MAX_SAMPLES) {
		fprintf(stderr, "usage: bench_events MOUNTPOINT OWNER-ID IMAGE COUNT(1-%d)\n",
			MAX_SAMPLES);
		return 2;
	}
	pthread_mutex_init(&raw_sink.lock, NULL);
	pthread_cond_init(&raw_sink.cond, NULL);
	pthread_mutex_init(&fs_sink.lock, NULL);
	pthread_cond_init(&fs_sink.cond, NULL);
	if (engine_new(url, &eng, &err) < 0 || engine_negotiate(eng, &info, &err) < 0) {
		fprintf(stderr, "bench_events: %s\n", err.msg);
		return 1;
	}
	snprintf(label, sizeof(label), "io.nimbusfs.owner=%s", argv[2]);
	snprintf(raw_path, sizeof(raw_path),
		 "/events?filters=%%7B%%22label%%22%%3A%%5B%%22io.nimbusfs.owner%%3D%s%%22%%5D%%7D",
		 argv[2]);
	snprintf(events_path, sizeof(events_path), "%s/events", argv[1]);
	ra.eng = eng;
	ra.path = raw_path;
	pthread_create(&raw, NULL, raw_thread, &ra);
	pthread_create(&fs, NULL, fs_thread, events_path);
	usleep(300000); /* both subscriptions in place */
	for (int i = 0; i < count; i++) {
		cleanup_cjson cJSON *spec = cJSON_CreateObject();
		cJSON *labels = cJSON_AddObjectToObject(spec, "Labels");
		cJSON *cmd = cJSON_AddArrayToObject(spec, "Cmd");

		json_add_str(spec, "Image", argv[3]);
		cJSON_AddItemToArray(cmd, cJSON_CreateString("true"));
		json_add_str(labels, "io.nimbusfs.owner", argv[2]);
		json_add_str(labels, "io.nimbusfs.kind", "bench");
		if (engine_container_create(eng, NULL, spec, id, &err) < 0 ||
		    engine_container_start(eng, id, &err) < 0) {
			fprintf(stderr, "bench_events: %s\n", err.msg);
			break;
		}
		if (wait_for(&raw_sink, id) || wait_for(&fs_sink, id))
			fprintf(stderr, "bench_events: start of %.12s not seen in 10 s\n", id);
		engine_container_remove(eng, id, true, true, &err);
	}
	printf("%.3f %.3f %d\n", median_ms(&raw_sink), median_ms(&fs_sink),
	       raw_sink.n < fs_sink.n ? raw_sink.n : fs_sink.n);
	fflush(stdout);
	/* The fs reader is blocked in read(); the process exit ends it. */
	nb_cancel_fire(&stopping);
	pthread_join(raw, NULL);
	(void)label;
	_exit(0);
}
