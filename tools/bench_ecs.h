/*
 * tools/bench_ecs.h - the parts of bench_ecs (tools/bench_ecs.c), one
 * figure each, and what they share.
 */
#ifndef NB_TOOLS_BENCH_ECS_H
#define NB_TOOLS_BENCH_ECS_H

#include "backend/engine/engine.h"
#include "tools/benchtask.h"

#define BENCH_ECS_MAX_RUNS    100
#define BENCH_ECS_MAX_TASKS   200
#define BENCH_ECS_LAUNCH_WAIT 60000 /* ms a launch may take before it counts as failed */
#define BENCH_ECS_STOP_WAIT_S 180   /* s a batch of stops may take */
#define BENCH_ECS_POLL_SLICE  1000  /* ms: longest single poll() before a re-read */

/* The containers' names in a bench family, in order: c1, c2, c3. */
extern const char *const bench_ecs_cnames[3];

/* Registers family: n (1-3) containers of image running argv (see
 * bench_task_define()). 0 or -1. */
int bench_ecs_define(const char *mnt, const char *family, const char *image, int n,
		     const char *const *argv);

/* Waits until the task's n files suffixes[i] ("status",
 * "containers/c1/status") all read want, within timeout_ms; seen[i] gets
 * the CLOCK_REALTIME ms of each. A wait for RUNNING gives up on STOPPED.
 * *misses counts the changes seen only after a poll() timeout. 0 or -errno
 * (see bench_wait_values()). */
int bench_ecs_wait(const char *mnt, const char *id, const char *const *suffixes, int n,
		   const char *want, int timeout_ms, double *seen, int *misses);

/* Writes req (a family and a newline) to run, which the caller opened
 * (and started its clock after); closes it; waits until the task it
 * started reads RUNNING. id gets the task's id ('\0' when none came
 * back), *seen the CLOCK_REALTIME ms at which it read RUNNING. 0 or -1
 * (said). */
int bench_ecs_start(const char *mnt, int run, const char *req, char id[BENCH_TASK_ID_LEN + 1],
		    double *seen, int *misses);

/* The figures; each prints its line(s) and returns main()'s exit code. */
int bench_ecs_launch(const char *mnt, struct engine *eng, const char *owner, const char *image,
		     int runs);
int bench_ecs_exit(const char *mnt, struct engine *eng, const char *owner, const char *image,
		   int runs);
int bench_ecs_idle(const char *mnt, const char *nbpid, const char *dpid, const char *image,
		   int count, int seconds);

#endif
