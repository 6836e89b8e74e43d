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
#include "tools/benchlib.h"
#include "tools/benchraw.h"

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

/* An event of the raw stream: the engine's own event shape. */
static void raw_event(const char *action, const char *id, double time_nano, double arrived_ms,
		      void *ud)
{
	(void)arrived_ms;
	(void)ud;
	if (strcmp(action, "start") == 0)
		record(&raw_sink, id, time_nano);
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

static double median_ms(struct sink *s)
{
	return s->n ? bench_quantile(s->delays, s->n, 0.5) / 1e6 : -1;
}

int main(int argc, char **argv)
{
	char events_path[4096], id[65];
	struct bench_raw_events raw;
	struct nb_err err = { 0 };
	struct engine *eng;
	pthread_t fs;
	int count;

	bench_prog = "bench_events";

	if (argc != 5 || (count = atoi(argv[4])) <= 0 || count > MAX_SAMPLES) {
		fprintf(stderr, "usage: bench_events MOUNTPOINT OWNER-ID IMAGE COUNT(1-%d)\n",
			MAX_SAMPLES);
		return 2;
	}
	pthread_mutex_init(&raw_sink.lock, NULL);
	pthread_cond_init(&raw_sink.cond, NULL);
	pthread_mutex_init(&fs_sink.lock, NULL);
	pthread_cond_init(&fs_sink.cond, NULL);
	if (bench_engine_open(&eng) < 0)
		return 1;
	snprintf(events_path, sizeof(events_path), "%s/events", argv[1]);
	if (bench_raw_events_start(&raw, eng, argv[2], raw_event, NULL) < 0 ||
	    pthread_create(&fs, NULL, fs_thread, events_path) != 0)
		return 1;
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
	bench_raw_events_stop(&raw);
	_exit(0);
}
