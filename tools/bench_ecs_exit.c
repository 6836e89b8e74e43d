/*
 * tools/bench_ecs_exit.c - bench_ecs exit: from a container's `die` event
 * (its own timestamp) to the event's arrival on a raw /events stream
 * (floor), to containers/NAME/status reading STOPPED, and to the task's
 * status reading STOPPED.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/bench_ecs.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

#define MAX_DIES    256
#define DIE_WAIT    5000  /* ms the raw die event may lag behind STOPPED */
#define STOPPED_MAX 15000 /* ms from RUNNING to both files reading STOPPED */

struct die {
	char id[65];
	double tnano_ms, arrived_ms;
};

/* The die events the raw stream delivered, in order of arrival. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* broadcast on each new one */
	struct die d[MAX_DIES]; /* protected by lock */
	int n;			/* protected by lock */
} dies = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { { "", 0, 0 } }, 0 };

static void on_event(const char *action, const char *id, double time_nano, double arrived_ms,
		     void *ud)
{
	(void)ud;
	if (strcmp(action, "die") != 0)
		return;
	pthread_mutex_lock(&dies.lock);
	if (dies.n < MAX_DIES) {
		struct die *d = &dies.d[dies.n++];

		snprintf(d->id, sizeof(d->id), "%s", id);
		d->tnano_ms = time_nano / 1e6;
		d->arrived_ms = arrived_ms;
	}
	pthread_cond_broadcast(&dies.cond);
	pthread_mutex_unlock(&dies.lock);
}

/* The die event of container id, waiting up to DIE_WAIT ms for it. */
static int find_die(const char *id, struct die *out)
{
	struct timespec until;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DIE_WAIT / 1000;
	pthread_mutex_lock(&dies.lock);
	for (;;) {
		for (int i = 0; i < dies.n; i++)
			if (strcmp(dies.d[i].id, id) == 0) {
				*out = dies.d[i];
				pthread_mutex_unlock(&dies.lock);
				return 0;
			}
		if (ret)
			break;
		ret = pthread_cond_timedwait(&dies.cond, &dies.lock, &until);
	}
	pthread_mutex_unlock(&dies.lock);
	return -1;
}

/* One task of bench-exit (written to run, which the caller opened; closed
 * here), run until it is RUNNING; then the CLOCK_REALTIME ms at which its
 * container's status (seen[0]) and its own (seen[1]) read STOPPED, and its
 * container's id. Its id goes to id ('\0' when none came back). 0 or -1. */
static int one_exit(const char *mnt, int run, char id[BENCH_TASK_ID_LEN + 1], char cid[128],
		    double seen[2], int *misses)
{
	static const char *const stopped[] = { "containers/c1/status", "status" };

	if (bench_ecs_start(mnt, run, "bench-exit\n", id, seen, misses) < 0)
		return -1;
	if (bench_task_read(mnt, id, "containers/c1/id", cid, 128) < 0 || !cid[0]) {
		fprintf(stderr, "bench_ecs: task %s: no container id\n", id);
		return -1;
	}
	if (bench_ecs_wait(mnt, id, stopped, 2, "STOPPED", STOPPED_MAX, seen, misses) < 0) {
		fprintf(stderr, "bench_ecs: task %s not STOPPED in %d s\n", id, STOPPED_MAX / 1000);
		return -1;
	}
	return 0;
}

int bench_ecs_exit(const char *mnt, struct engine *eng, const char *owner, const char *image,
		   int runs)
{
	static const char *const exit_argv[] = { "sh", "-c", "sleep 2; exit 3", NULL };
	static char ids[BENCH_ECS_MAX_RUNS][BENCH_TASK_ID_LEN + 1];
	double raw[BENCH_ECS_MAX_RUNS], ctr[BENCH_ECS_MAX_RUNS], task[BENCH_ECS_MAX_RUNS];
	struct bench_raw_events ev;
	int n = 0, ntasks = 0, misses = 0;

	if (bench_raw_events_start(&ev, eng, owner, on_event, NULL) < 0)
		return 1;
	if (bench_ecs_define(mnt, "bench-exit", image, 1, exit_argv) < 0) {
		bench_raw_events_stop(&ev);
		return 1;
	}
	usleep(300000); /* the raw subscription in place */
	for (int r = 0; r < runs; r++) {
		char cid[128];
		double seen[2];
		struct die d;
		int fd = bench_task_open_run(mnt), ret;

		if (fd < 0)
			break;
		ret = one_exit(mnt, fd, ids[ntasks], cid, seen, &misses);
		if (ids[ntasks][0])
			ntasks++;
		if (ret < 0)
			continue;
		if (find_die(cid, &d) < 0) {
			fprintf(stderr, "bench_ecs: no die event for %.12s\n", cid);
			continue;
		}
		raw[n] = d.arrived_ms - d.tnano_ms;
		ctr[n] = seen[0] - d.tnano_ms;
		task[n] = seen[1] - d.tnano_ms;
		n++;
	}
	bench_task_remove_all(mnt, ids, ntasks, BENCH_ECS_STOP_WAIT_S);
	printf("%.3f %.3f %.3f %.3f %.1f %.1f %d %d\n", bench_quantile(raw, n, 0.5),
	       bench_quantile(raw, n, 0.9), bench_quantile(ctr, n, 0.5),
	       bench_quantile(ctr, n, 0.9), bench_quantile(task, n, 0.5),
	       bench_quantile(task, n, 0.9), n, misses);
	fflush(stdout);
	bench_raw_events_stop(&ev);
	return 0;
}
