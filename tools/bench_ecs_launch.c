/*
 * tools/bench_ecs_launch.c - bench_ecs launch: a task of 1 and of 3
 * containers from the write to ecs/tasks/run until its `status` reads
 * RUNNING, against raw create+start of the same containers, one after the
 * other, over the driver's kept-alive Engine API connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/common/labels.h"
#include "tools/bench_ecs.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

/* The ContainerCreate body nimbusfs builds for a bridge container of the
 * bench families (backend/ecs/spec.c): same image, command, stop timeout,
 * labels (owner changed, so nimbusfs does not follow these) and host config. */
static cJSON *floor_spec(const char *owner, const char *image, const char *family, const char *task,
			 const char *name)
{
	cJSON *spec = cJSON_CreateObject();
	cJSON *cmd = cJSON_AddArrayToObject(spec, "Cmd");
	cJSON *labels, *host;

	json_add_str(spec, "Image", image);
	json_array_add_str(cmd, "sleep");
	json_array_add_str(cmd, "3600");
	cJSON_AddNumberToObject(spec, "StopTimeout", 2);
	labels = bench_floor_labels(spec, owner);
	json_add_str(labels, "com.amazonaws.ecs.container-name", name);
	json_add_str(labels, "com.amazonaws.ecs.task-definition-family", family);
	json_add_str(labels, "com.amazonaws.ecs.task-definition-version", "1");
	json_add_str(labels, NB_LABEL_OBJECT, task);
	json_add_str(labels, NB_LABEL_CONTAINER, name);
	host = cJSON_AddObjectToObject(spec, "HostConfig");
	cJSON_AddNumberToObject(host, "CpuShares", 2);
	json_add_str(host, "NetworkMode", "bridge");
	return spec;
}

static void random_hex(char out[BENCH_TASK_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < BENCH_TASK_ID_LEN; i++)
		out[i] = hex[random() % 16];
	out[BENCH_TASK_ID_LEN] = '\0';
}

/* One launch through the mount: the family written to run (opened by the
 * caller, before the clock starts; closed here) until the task's status
 * reads RUNNING; its id into id ('\0' when none came back). ms, or -1. */
static double nb_launch(const char *mnt, int run, const char *req, char id[BENCH_TASK_ID_LEN + 1],
			int *misses)
{
	double t0 = bench_now_ms(CLOCK_REALTIME), seen;

	if (bench_ecs_start(mnt, run, req, id, &seen, misses) < 0)
		return -1;
	return seen - t0;
}

/* The same containers raw, created and started in turn; their ids are
 * appended to raw_ids (*nraw_ids). ms, or -1. */
static double raw_launch(struct engine *eng, const char *owner, const char *image,
			 const char *family, int size, char raw_ids[][65], int *nraw_ids)
{
	char task[BENCH_TASK_ID_LEN + 1];
	double t0;

	random_hex(task);
	t0 = bench_now_ms(CLOCK_REALTIME);
	for (int c = 0; c < size; c++) {
		char name[128];
		cleanup_cjson cJSON *spec = NULL;
		int ret;

		snprintf(name, sizeof(name), "%s-%s", task, bench_ecs_cnames[c]);
		spec = floor_spec(owner, image, family, task, bench_ecs_cnames[c]);
		ret = bench_raw_create_start(eng, name, spec, raw_ids[*nraw_ids]);
		if (raw_ids[*nraw_ids][0])
			(*nraw_ids)++;
		if (ret < 0)
			return -1;
	}
	return bench_now_ms(CLOCK_REALTIME) - t0;
}

int bench_ecs_launch(const char *mnt, struct engine *eng, const char *owner, const char *image,
		     int runs)
{
	static const char *const sleep_argv[] = { "sleep", "3600", NULL };

	for (int size = 1; size <= 3; size += 2) {
		static char ids[BENCH_ECS_MAX_RUNS][BENCH_TASK_ID_LEN + 1];
		static char raw_ids[BENCH_ECS_MAX_RUNS * 3][65];
		char family[32], req[64];
		double raw[BENCH_ECS_MAX_RUNS], nb[BENCH_ECS_MAX_RUNS], ms;
		int nraw = 0, nnb = 0, ntasks = 0, nraw_ids = 0, misses = 0, fd;

		snprintf(family, sizeof(family), "bench-launch-%d", size);
		if (bench_ecs_define(mnt, family, image, size, sleep_argv) < 0)
			return 1;
		snprintf(req, sizeof(req), "%s\n", family);
		for (int r = 0; r < runs; r++) {
			/* nimbusfs: write the family, watch status. */
			fd = bench_task_open_run(mnt);
			if (fd < 0)
				return 1;
			ms = nb_launch(mnt, fd, req, ids[ntasks], &misses);
			if (ids[ntasks][0])
				ntasks++;
			if (ms >= 0)
				nb[nnb++] = ms;

			/* floor: the same containers, created and started in turn. */
			ms = raw_launch(eng, owner, image, family, size, raw_ids, &nraw_ids);
			if (ms >= 0)
				raw[nraw++] = ms;
		}
		bench_raw_remove(eng, raw_ids, nraw_ids);
		bench_task_remove_all(mnt, ids, ntasks, BENCH_ECS_STOP_WAIT_S);
		printf("%d %.1f %.1f %.1f %.1f %d %d\n", size, bench_quantile(raw, nraw, 0.5),
		       bench_quantile(raw, nraw, 0.9), bench_quantile(nb, nnb, 0.5),
		       bench_quantile(nb, nnb, 0.9), nraw < nnb ? nraw : nnb, misses);
		fflush(stdout);
	}
	return 0;
}
