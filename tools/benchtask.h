/*
 * tools/benchtask.h - what bench drivers do with ECS tasks on a mount, as a
 * user would: register a family, run a task, wait for a value, stop and
 * remove it. Every wait is bounded. Messages go to stderr, prefixed with
 * the driver's name (bench_task_prog).
 */
#ifndef NB_TOOLS_BENCHTASK_H
#define NB_TOOLS_BENCHTASK_H

#include <stddef.h>

#define BENCH_TASK_ID_LEN 32

/* The driver's name for messages ("bench_logs"). */
extern const char *bench_task_prog;

/* Registers a task definition (JSON ending in a newline) through
 * MNT/ecs/task-definitions/register. Returns 0 or -1 (said on stderr, with
 * the directory's last-error). */
int bench_task_register(const char *mnt, const char *json);

/* Runs one task of family; its id into id. Returns 0 or -1. */
int bench_task_run(const char *mnt, const char *family, char id[BENCH_TASK_ID_LEN + 1]);

/* Reads MNT/ecs/tasks/ID/SUFFIX into buf, newline stripped. 0 or -errno. */
int bench_task_read(const char *mnt, const char *id, const char *suffix, char *buf, size_t len);

/* Waits (poll() for POLLPRI, re-reading at least every 100 ms) until
 * MNT/ecs/tasks/ID/SUFFIX reads want, at most timeout_ms. 0 or -ETIMEDOUT. */
int bench_task_wait_value(const char *mnt, const char *id, const char *suffix, const char *want,
			  int timeout_ms);

/* Stops the task (ctl stop), waits for STOPPED and rmdirs it, within
 * timeout_s. Returns 0 or -1. */
int bench_task_remove(const char *mnt, const char *id, int timeout_s);

#endif
