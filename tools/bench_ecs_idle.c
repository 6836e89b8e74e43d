/*
 * tools/bench_ecs_idle.c - bench_ecs idle: the CPU time nimbusfs and
 * dockerd spend while many tasks run and nothing happens, from
 * /proc/PID/stat (10 ms ticks) and from each thread's schedstat (ns).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench_ecs.h"
#include "tools/benchlib.h"

#define LAUNCH_ALL_MS 240000 /* ms all the tasks may take to be RUNNING */
#define RUN_BATCH     10     /* tasks a RunTask asks for */

/* utime+stime of pid in clock ticks, or -1. */
static long long cpu_ticks(const char *pid)
{
	char path[64], buf[2048], *p;
	long long utime = 0, stime = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* Fields after "(comm)": state is field 3, utime 14, stime 15. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &utime,
			 &stime) != 2)
		return -1;
	return utime + stime;
}

/* CPU time of all of pid's threads in ns, from each one's schedstat (ns
 * precision where stat counts 10 ms ticks), or -1. A thread that ends
 * inside the window takes its time with it; an idle process starts none. */
static long long cpu_ns(const char *pid)
{
	char path[128], buf[256];
	long long sum = 0, v;
	struct dirent *de;
	DIR *dir;
	ssize_t n;
	int fd, found = 0;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%.32s/schedstat", pid, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (sscanf(buf, "%lld", &v) == 1) {
			sum += v;
			found++;
		}
	}
	closedir(dir);
	return found ? sum : -1;
}

/* Runs count tasks of family idle, RUN_BATCH per RunTask; their ids into
 * ids. Returns how many were started. */
static int run_all(const char *mnt, char ids[][BENCH_TASK_ID_LEN + 1], int count)
{
	int n = 0;

	while (n < count) {
		char req[128];
		int batch = count - n < RUN_BATCH ? count - n : RUN_BATCH, fd, got;

		snprintf(req, sizeof(req), "{\"taskDefinition\":\"idle\",\"count\":%d}", batch);
		fd = bench_task_open_run(mnt);
		if (fd < 0)
			break;
		got = bench_task_run_on(mnt, fd, req, ids + n, batch);
		close(fd);
		if (got <= 0)
			break;
		n += got;
	}
	return n;
}

int bench_ecs_idle(const char *mnt, const char *nbpid, const char *dpid, const char *image,
		   int count, int seconds)
{
	static const char *const sleep_argv[] = { "sleep", "3600", NULL };
	static const char *const status[] = { "status" };
	static char ids[BENCH_ECS_MAX_TASKS][BENCH_TASK_ID_LEN + 1];
	double t0, launch_s, stop_s, seen, hz = (double)sysconf(_SC_CLK_TCK);
	long long nb0, nb1, d0, d1, nbs0, nbs1, ds0, ds1;
	int n, running = 0, misses = 0;

	if (bench_ecs_define(mnt, "idle", image, 1, sleep_argv) < 0)
		return 1;
	t0 = bench_now_ms(CLOCK_MONOTONIC);
	n = run_all(mnt, ids, count);
	for (int i = 0; i < n; i++) {
		double left = LAUNCH_ALL_MS - (bench_now_ms(CLOCK_MONOTONIC) - t0);

		if (left > 0 && bench_ecs_wait(mnt, ids[i], status, 1, "RUNNING", (int)left, &seen,
					       &misses) == 0)
			running++;
	}
	launch_s = (bench_now_ms(CLOCK_MONOTONIC) - t0) / 1e3;
	sleep(2); /* let the launch's aftermath (log captures opening) settle */
	nb0 = cpu_ticks(nbpid);
	d0 = cpu_ticks(dpid);
	nbs0 = cpu_ns(nbpid);
	ds0 = cpu_ns(dpid);
	t0 = bench_now_ms(CLOCK_MONOTONIC);
	sleep((unsigned)seconds);
	nb1 = cpu_ticks(nbpid);
	d1 = cpu_ticks(dpid);
	nbs1 = cpu_ns(nbpid);
	ds1 = cpu_ns(dpid);
	seen = (bench_now_ms(CLOCK_MONOTONIC) - t0) / 1e3;
	t0 = bench_now_ms(CLOCK_MONOTONIC);
	bench_task_remove_all(mnt, ids, n, BENCH_ECS_STOP_WAIT_S);
	stop_s = (bench_now_ms(CLOCK_MONOTONIC) - t0) / 1e3;
	if (nb0 < 0 || nb1 < 0 || d0 < 0 || d1 < 0) {
		fprintf(stderr, "bench_ecs: cannot read /proc/%s/stat or /proc/%s/stat\n", nbpid,
			dpid);
		return 1;
	}
	printf("%.5f %.5f %.6f %.6f %d %.1f %.1f\n", (double)(nb1 - nb0) / hz / seen,
	       (double)(d1 - d0) / hz / seen,
	       nbs0 < 0 || nbs1 < 0 ? -1 : (double)(nbs1 - nbs0) / 1e9 / seen,
	       ds0 < 0 || ds1 < 0 ? -1 : (double)(ds1 - ds0) / 1e9 / seen, running, launch_s,
	       stop_s);
	fflush(stdout);
	return 0;
}
