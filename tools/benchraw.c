/*
 * tools/benchraw.c - the Engine API used straight for the bench drivers'
 * floors: the connection, the floor label, create+start and removal of raw
 * containers, and a raw /events stream followed on a thread of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/common/labels.h"
#include "backend/engine/containers.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

int bench_engine_open(struct engine **eng)
{
	const char *url = getenv("DOCKER_HOST") ? getenv("DOCKER_HOST") : ENGINE_DEFAULT_URL;
	struct engine_info info;
	struct nb_err err = { 0 };

	if (engine_new(url, eng, &err) < 0 || engine_negotiate(*eng, &info, &err) < 0) {
		fprintf(stderr, "%s: %s\n", bench_prog, err.msg);
		return -1;
	}
	return 0;
}

cJSON *bench_floor_labels(cJSON *spec, const char *owner)
{
	cJSON *labels = cJSON_AddObjectToObject(spec, "Labels");
	char floor_owner[128];

	snprintf(floor_owner, sizeof(floor_owner), "%s-floor", owner);
	if (!labels || json_add_str(labels, NB_LABEL_OWNER, floor_owner) < 0 ||
	    json_add_str(labels, NB_LABEL_KIND, "bench") < 0)
		return NULL;
	return labels;
}

int bench_raw_create_start(struct engine *eng, const char *name, const cJSON *spec, char id[65])
{
	struct nb_err err = { 0 };

	id[0] = '\0';
	if (engine_container_create(eng, name, spec, id, &err) < 0) {
		id[0] = '\0';
		fprintf(stderr, "%s: raw create: %s\n", bench_prog, err.msg);
		return -1;
	}
	if (engine_container_start(eng, id, &err) < 0) {
		fprintf(stderr, "%s: raw start %.12s: %s\n", bench_prog, id, err.msg);
		return -1;
	}
	return 0;
}

void bench_raw_remove(struct engine *eng, char ids[][65], int n)
{
	struct nb_err err = { 0 };

	for (int i = 0; i < n; i++)
		if (engine_container_remove(eng, ids[i], true, true, &err) < 0)
			fprintf(stderr, "%s: remove raw %.12s: %s\n", bench_prog, ids[i], err.msg);
}

static void event_line(const char *line, size_t len, void *ud)
{
	struct bench_raw_events *ev = ud;
	double arrived = bench_now_ms(CLOCK_REALTIME);
	cleanup_cjson cJSON *doc = cJSON_ParseWithLength(line, len);
	const cJSON *action = cJSON_GetObjectItem(doc, "Action");
	const cJSON *id = cJSON_GetObjectItem(doc, "id");
	const cJSON *t = cJSON_GetObjectItem(doc, "timeNano");

	if (cJSON_IsString(action) && cJSON_IsString(id) && cJSON_IsNumber(t))
		ev->cb(action->valuestring, id->valuestring, t->valuedouble, arrived, ev->ud);
}

static int event_chunk(const char *data, size_t len, void *ud)
{
	struct bench_raw_events *ev = ud;

	return nb_buf_feed_lines(&ev->partial, data, len, event_line, ev) < 0;
}

static void *events_main(void *arg)
{
	struct bench_raw_events *ev = arg;
	struct engine_req req = { .method = "GET", .path = ev->path };
	struct nb_err err = { 0 };

	if (engine_stream(ev->eng, &req, event_chunk, ev, &ev->stop, &err) < 0 &&
	    !nb_cancelled(&ev->stop))
		fprintf(stderr, "%s: raw stream: %s\n", bench_prog, err.msg);
	return NULL;
}

int bench_raw_events_start(struct bench_raw_events *ev, struct engine *eng, const char *owner,
			   bench_event_cb cb, void *ud)
{
	*ev = (struct bench_raw_events){ .eng = eng, .cb = cb, .ud = ud };
	/* filters={"label":["io.nimbusfs.owner=OWNER"]} */
	snprintf(ev->path, sizeof(ev->path),
		 "/events?filters=%%7B%%22label%%22%%3A%%5B%%22io.nimbusfs.owner%%3D%s%%22%%5D%%7D",
		 owner);
	nb_cancel_init(&ev->stop);
	if (pthread_create(&ev->thread, NULL, events_main, ev) != 0) {
		nb_cancel_destroy(&ev->stop);
		return -1;
	}
	return 0;
}

void bench_raw_events_stop(struct bench_raw_events *ev)
{
	nb_cancel_fire(&ev->stop);
	pthread_join(ev->thread, NULL);
	nb_cancel_destroy(&ev->stop);
	nb_buf_free(&ev->partial);
}
