/*
 * tools/bench_ecs.c - nimbusfs's ECS figures against floors measured in the
 * same process, with the same clock.
 *
 *   bench_ecs launch MOUNTPOINT OWNER-ID IMAGE RUNS
 *     Task launch: writing a family to ecs/tasks/run until the task's
 *     `status` reads RUNNING, for a 1- and a 3-container task (bridge,
 *     `sleep 3600`, stopTimeout 2), against raw create+start of the same
 *     containers over one kept-alive Engine API connection. nimbusfs runs
 *     and floor runs alternate, so drift hits both alike. The tasks and
 *     the raw containers of a size are cleaned up after its runs.
 *     Prints per size: "<containers> <raw med> <raw p90> <nb med> <nb p90>
 *     <samples> <poll timeouts>" (ms). (tools/bench_ecs_launch.c)
 *
 *   bench_ecs exit MOUNTPOINT OWNER-ID IMAGE RUNS
 *     A task whose container runs `sleep 2; exit 3`: from the container's
 *     `die` event (its timeNano) to the event's arrival on a raw /events
 *     stream (floor), to containers/NAME/status reading STOPPED (the event-
 *     driven part) and to the task's status reading STOPPED (which adds
 *     nimbusfs's stop steps: inspect, end of output capture, remove).
 *     Prints: "<raw med> <raw p90> <ctr med> <ctr p90> <task med> <task p90>
 *     <samples> <poll timeouts>" (ms). (tools/bench_ecs_exit.c)
 *
 *   bench_ecs idle MOUNTPOINT NIMBUSFS-PID DOCKERD-PID IMAGE TASKS SECONDS
 *     Starts TASKS 1-container tasks (RunTask count 10 at a time), waits
 *     until all are RUNNING, then measures the CPU time (utime+stime) of
 *     nimbusfs and of dockerd over SECONDS of no activity, then stops and
 *     removes the tasks.
 *     Prints: "<nb cpu-s/s> <dockerd cpu-s/s> <nb> <dockerd> <running>
 *     <launch s> <stop s>": first from utime+stime (/proc/PID/stat, 10 ms
 *     ticks), then the same from the threads' schedstat (ns).
 *     (tools/bench_ecs_idle.c)
 *
 * Value files are watched the way nimbusfs documents: read from offset 0,
 * poll() for POLLPRI, lseek 0, read again. Each poll() is capped at 1 s and
 * the file is re-read when it times out; "poll timeouts" counts the times a
 * value had changed without a wakeup (0 when poll() is reliable). Tasks
 * are removed with ctl stop, `wait` and rmdir (tools/benchtask.c). Every
 * wait is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/bench_ecs.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

const char *const bench_ecs_cnames[3] = { "c1", "c2", "c3" };

int bench_ecs_define(const char *mnt, const char *family, const char *image, int n,
		     const char *const *argv)
{
	return bench_task_define(mnt, family, image, bench_ecs_cnames, n, argv);
}

int bench_ecs_wait(const char *mnt, const char *id, const char *const *suffixes, int n,
		   const char *want, int timeout_ms, double *seen, int *misses)
{
	static const char *const never_running[] = { "STOPPED", NULL };
	struct bench_wait w = {
		.want = want,
		.never = strcmp(want, "RUNNING") == 0 ? never_running : NULL,
		.timeout_ms = timeout_ms,
		.slice_ms = BENCH_ECS_POLL_SLICE,
	};
	char paths[BENCH_WAIT_MAX][1024];
	const char *p[BENCH_WAIT_MAX];
	int ret;

	for (int i = 0; i < n && i < BENCH_WAIT_MAX; i++) {
		bench_task_path(paths[i], sizeof(paths[i]), mnt, id, suffixes[i]);
		p[i] = paths[i];
	}
	ret = bench_wait_values(p, n, &w, seen);
	*misses += w.misses;
	return ret;
}

int bench_ecs_start(const char *mnt, int run, const char *req, char id[BENCH_TASK_ID_LEN + 1],
		    double *seen, int *misses)
{
	static const char *const status[] = { "status" };
	char ids[1][BENCH_TASK_ID_LEN + 1];
	int got = bench_task_run_on(mnt, run, req, ids, 1);

	close(run);
	id[0] = '\0';
	if (got != 1)
		return -1;
	snprintf(id, BENCH_TASK_ID_LEN + 1, "%s", ids[0]);
	if (bench_ecs_wait(mnt, id, status, 1, "RUNNING", BENCH_ECS_LAUNCH_WAIT, seen, misses) <
	    0) {
		fprintf(stderr, "bench_ecs: task %s not RUNNING\n", id);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct engine *eng = NULL;
	int runs, ret;

	bench_prog = "bench_ecs";
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (argc == 6 && (strcmp(argv[1], "launch") == 0 || strcmp(argv[1], "exit") == 0)) {
		runs = atoi(argv[5]);
		if (runs <= 0 || runs > BENCH_ECS_MAX_RUNS) {
			fprintf(stderr, "bench_ecs: RUNS must be 1-%d\n", BENCH_ECS_MAX_RUNS);
			return 2;
		}
		if (bench_engine_open(&eng) < 0)
			return 1;
		ret = strcmp(argv[1], "launch") == 0
			      ? bench_ecs_launch(argv[2], eng, argv[3], argv[4], runs)
			      : bench_ecs_exit(argv[2], eng, argv[3], argv[4], runs);
		engine_free(eng);
		return ret;
	}
	if (argc == 8 && strcmp(argv[1], "idle") == 0) {
		int count = atoi(argv[6]), seconds = atoi(argv[7]);

		if (count <= 0 || count > BENCH_ECS_MAX_TASKS || seconds <= 0 || seconds > 3600) {
			fprintf(stderr, "bench_ecs: TASKS 1-%d, SECONDS 1-3600\n",
				BENCH_ECS_MAX_TASKS);
			return 2;
		}
		return bench_ecs_idle(argv[2], argv[3], argv[4], argv[5], count, seconds);
	}
	fprintf(stderr, "usage: bench_ecs launch|exit MOUNTPOINT OWNER-ID IMAGE RUNS\n"
			"       bench_ecs idle MOUNTPOINT NIMBUSFS-PID DOCKERD-PID IMAGE TASKS "
			"SECONDS\n");
	return 2;
}
