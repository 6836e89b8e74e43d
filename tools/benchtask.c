/*
 * tools/benchtask.c - ECS tasks on a mount for the bench drivers: the
 * files a user writes and reads, with bounded waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "tools/benchlib.h"
#include "tools/benchtask.h"

void bench_task_path(char *out, size_t len, const char *mnt, const char *id, const char *suffix)
{
	snprintf(out, len, "%s/ecs/tasks/%.32s%s%s", mnt, id, suffix[0] ? "/" : "", suffix);
}

/* The RegisterTaskDefinition body, ending in a newline; NULL on ENOMEM. */
static char *family_json(const char *family, const char *image, const char *const *names, int n,
			 const char *const *argv)
{
	cleanup_cjson cJSON *def = cJSON_CreateObject();
	cJSON *ctrs;
	char *text, *out;

	if (!def || json_add_str(def, "family", family) < 0 ||
	    json_add_str(def, "networkMode", "bridge") < 0 ||
	    !(ctrs = cJSON_AddArrayToObject(def, "containerDefinitions")))
		return NULL;
	for (int i = 0; i < n; i++) {
		cJSON *c = cJSON_CreateObject(), *cmd;

		if (!c || !cJSON_AddItemToArray(ctrs, c) || json_add_str(c, "name", names[i]) < 0 ||
		    json_add_str(c, "image", image) < 0 ||
		    json_add_bool(c, "essential", true) < 0 ||
		    json_add_num(c, "stopTimeout", 2) < 0 ||
		    !(cmd = cJSON_AddArrayToObject(c, "command")))
			return NULL;
		for (const char *const *a = argv; *a; a++)
			if (json_array_add_str(cmd, *a) < 0)
				return NULL;
	}
	text = json_print(def);
	if (!text)
		return NULL;
	out = NULL;
	if (asprintf(&out, "%s\n", text) < 0)
		out = NULL;
	free(text);
	return out;
}

int bench_task_define(const char *mnt, const char *family, const char *image,
		      const char *const *names, int n, const char *const *argv)
{
	cleanup_free char *json = family_json(family, image, names, n, argv);
	char path[1100], dir[1024], ans[1024];
	int ret;

	if (!json)
		return bench_fail(NULL, "register", -ENOMEM);
	snprintf(dir, sizeof(dir), "%s/ecs/task-definitions", mnt);
	snprintf(path, sizeof(path), "%s/register", dir);
	ret = bench_transact(path, json, strlen(json), ans, sizeof(ans));
	return ret < 0 ? bench_fail(dir, "register", ret) : 0;
}

int bench_task_open_run(const char *mnt)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/ecs/tasks/run", mnt);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "%s: %s: %s\n", bench_prog, path, strerror(errno));
	return fd;
}

int bench_task_run_on(const char *mnt, int run, const char *req, char ids[][BENCH_TASK_ID_LEN + 1],
		      int max)
{
	char ans[4096], dir[1024], what[160];
	int ret, n = 0;

	ret = bench_transact_fd(run, req, strlen(req), ans, sizeof(ans));
	if (ret < 0) {
		snprintf(dir, sizeof(dir), "%s/ecs/tasks", mnt);
		snprintf(what, sizeof(what), "run %.*s", (int)strcspn(req, "\n"), req);
		return bench_fail(dir, what, ret);
	}
	for (char *line = strtok(ans, "\n"); line && n < max; line = strtok(NULL, "\n"))
		if (strlen(line) == BENCH_TASK_ID_LEN)
			snprintf(ids[n++], BENCH_TASK_ID_LEN + 1, "%s", line);
	return n;
}

int bench_task_run(const char *mnt, const char *family, char id[BENCH_TASK_ID_LEN + 1])
{
	char req[256], ids[1][BENCH_TASK_ID_LEN + 1];
	int fd = bench_task_open_run(mnt), got;

	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req), "%s\n", family);
	got = bench_task_run_on(mnt, fd, req, ids, 1);
	close(fd);
	if (got != 1) {
		if (got == 0)
			fprintf(stderr, "%s: run %s: no task id\n", bench_prog, family);
		return -1;
	}
	memcpy(id, ids[0], BENCH_TASK_ID_LEN + 1);
	return 0;
}

int bench_task_read(const char *mnt, const char *id, const char *suffix, char *buf, size_t len)
{
	char path[1024];

	bench_task_path(path, sizeof(path), mnt, id, suffix);
	return bench_read_file(path, buf, len);
}

int bench_task_wait_value(const char *mnt, const char *id, const char *suffix, const char *want,
			  int timeout_ms)
{
	struct bench_wait w = { .want = want, .timeout_ms = timeout_ms, .slice_ms = 100 };
	char path[1024];
	const char *paths[] = { path };

	bench_task_path(path, sizeof(path), mnt, id, suffix);
	return bench_wait_values(paths, 1, &w, NULL);
}

/* Waits on the task's `wait` stream, which answers once it is STOPPED,
 * until the deadline (CLOCK_MONOTONIC ms). */
static void wait_stopped(const char *mnt, const char *id, double deadline)
{
	char path[1024], buf[64];
	struct pollfd pfd = { .events = POLLIN };
	double left = deadline - bench_now_ms(CLOCK_MONOTONIC);

	bench_task_path(path, sizeof(path), mnt, id, "wait");
	pfd.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd.fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", bench_prog, path, strerror(errno));
		return;
	}
	/* Short slices: each poll() asks the filesystem again, so this ends
	 * promptly even if a wakeup for `wait` were missed. */
	while (left > 0 && poll(&pfd, 1, 100) == 0)
		left = deadline - bench_now_ms(CLOCK_MONOTONIC);
	if (left > 0 && (pfd.revents & POLLIN))
		(void)!read(pfd.fd, buf, sizeof(buf));
	close(pfd.fd);
}

int bench_task_remove_all(const char *mnt, char ids[][BENCH_TASK_ID_LEN + 1], int n, int timeout_s)
{
	double deadline = bench_now_ms(CLOCK_MONOTONIC) + timeout_s * 1e3;
	char path[1024];
	int removed = 0, ret;

	for (int i = 0; i < n; i++) {
		bench_task_path(path, sizeof(path), mnt, ids[i], "ctl");
		ret = bench_write_file(path, "stop bench done\n", 16, 0);
		/* EBUSY: already stopping or stopped. */
		if (ret < 0 && ret != -EBUSY)
			fprintf(stderr, "%s: stop %s: %s\n", bench_prog, ids[i], strerror(-ret));
	}
	for (int i = 0; i < n; i++) {
		double left;

		wait_stopped(mnt, ids[i], deadline);
		left = deadline - bench_now_ms(CLOCK_MONOTONIC);
		bench_task_path(path, sizeof(path), mnt, ids[i], "");
		/* STOPPED is set just before `wait` ends; allow a moment. */
		ret = bench_rmdir(path, left < 2000 ? (left > 0 ? (int)left : 0) : 2000);
		if (ret < 0)
			fprintf(stderr, "%s: rmdir %s: %s\n", bench_prog, ids[i], strerror(-ret));
		else
			removed++;
	}
	return removed;
}

int bench_task_remove(const char *mnt, const char *id, int timeout_s)
{
	char ids[1][BENCH_TASK_ID_LEN + 1];

	snprintf(ids[0], sizeof(ids[0]), "%s", id);
	return bench_task_remove_all(mnt, ids, 1, timeout_s) == 1 ? 0 : -1;
}
