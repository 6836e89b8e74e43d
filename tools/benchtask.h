/*
 * tools/benchtask.h - what bench drivers do with ECS tasks on a mount, as a
 * user would: register a family, run tasks, wait for a value, stop and
 * remove them. Every wait is bounded; messages go to stderr, prefixed with
 * bench_prog.
 */
#ifndef NB_TOOLS_BENCHTASK_H
#define NB_TOOLS_BENCHTASK_H

#include <stddef.h>

#define BENCH_TASK_ID_LEN 32

/* MNT/ecs/tasks/ID/SUFFIX into out; "" for the task's directory. */
void bench_task_path(char *out, size_t len, const char *mnt, const char *id, const char *suffix);

/* Registers family through MNT/ecs/task-definitions/register: networkMode
 * bridge, n essential containers named names[i], each of image, with
 * stopTimeout 2 and command argv (NULL-terminated). 0 or -1 (said on
 * stderr, with the directory's last-error). */
int bench_task_define(const char *mnt, const char *family, const char *image,
		      const char *const *names, int n, const char *const *argv);

/* Opens MNT/ecs/tasks/run for bench_task_run_on(); the fd or -1 (said). */
int bench_task_open_run(const char *mnt);

/* Writes req (a family and a newline, or a RunTask JSON) to run, opened by
 * bench_task_open_run(), and reads the task ids it answers into ids (at
 * most max). Returns how many, or -1 (said, with last-error). */
int bench_task_run_on(const char *mnt, int run, const char *req, char ids[][BENCH_TASK_ID_LEN + 1],
		      int max);

/* Runs one task of family (open run, write, read, close); its id into id.
 * 0 or -1 (said). */
int bench_task_run(const char *mnt, const char *family, char id[BENCH_TASK_ID_LEN + 1]);

/* Reads MNT/ecs/tasks/ID/SUFFIX into buf, newline stripped. 0 or -errno. */
int bench_task_read(const char *mnt, const char *id, const char *suffix, char *buf, size_t len);

/* Waits (bench_wait_values(), re-reading at least every 100 ms) until
 * MNT/ecs/tasks/ID/SUFFIX reads want, at most timeout_ms. 0 or -errno. */
int bench_task_wait_value(const char *mnt, const char *id, const char *suffix, const char *want,
			  int timeout_ms);

/* Stops every task (ctl stop, all first), waits on each one's `wait`
 * (bounded overall by timeout_s), then rmdirs it. Returns how many were
 * removed; failures are said. */
int bench_task_remove_all(const char *mnt, char ids[][BENCH_TASK_ID_LEN + 1], int n, int timeout_s);

/* bench_task_remove_all() of one task: 0 or -1. */
int bench_task_remove(const char *mnt, const char *id, int timeout_s);

#endif
