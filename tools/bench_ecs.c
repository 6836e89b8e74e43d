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
 *     <samples> <poll timeouts>" (ms).
 *
 *   bench_ecs exit MOUNTPOINT OWNER-ID IMAGE RUNS
 *     A task whose container runs `sleep 2; exit 3`: from the container's
 *     `die` event (its timeNano) to the event's arrival on a raw /events
 *     stream (floor), to containers/NAME/status reading STOPPED (the event-
 *     driven part) and to the task's status reading STOPPED (which adds
 *     nimbusfs's stop steps: inspect, end of output capture, remove).
 *     Prints: "<raw med> <raw p90> <ctr med> <ctr p90> <task med> <task p90>
 *     <samples> <poll timeouts>" (ms).
 *
 *   bench_ecs idle MOUNTPOINT NIMBUSFS-PID DOCKERD-PID IMAGE TASKS SECONDS
 *     Starts TASKS 1-container tasks (RunTask count 10 at a time), waits
 *     until all are RUNNING, then measures the CPU time (utime+stime) of
 *     nimbusfs and of dockerd over SECONDS of no activity, then stops and
 *     removes the tasks.
 *     Prints: "<nb cpu-s/s> <dockerd cpu-s/s> <nb> <dockerd> <running>
 *     <launch s> <stop s>": first from utime+stime (/proc/PID/stat, 10 ms
 *     ticks), then the same from the threads' schedstat (ns).
 *
 * Value files are watched the way nimbusfs documents: read from offset 0,
 * poll() for POLLPRI, lseek 0, read again. Each poll() is capped at 1 s and
 * the file is re-read when it times out; "poll timeouts" counts the times a
 * value had changed without a wakeup (0 when poll() is reliable).
 * Every wait is bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "tools/benchlib.h"
#include "backend/engine/containers.h"
#include "backend/engine/engine.h"

#define MAX_RUNS     100
#define MAX_TASKS    200
#define MAX_DIES     256
#define ID_LEN	     32
#define LAUNCH_WAIT  60000 /* ms a launch may take before it counts as failed */
#define STOP_WAIT_S  180   /* s a batch of stops may take */
#define POLL_SLICE   1000  /* ms: longest single poll() before a re-read */
#define DIE_WAIT     5000  /* ms the raw die event may lag behind STOPPED */
#define ERR_MSG_SIZE 256

static const char *mnt;
static int poll_timeouts;

/* ---- the mount ---- */

/* MOUNTPOINT/ecs/tasks/ID + suffix ("/status", "" for the directory). */
static void task_path(char *out, size_t len, const char *id, const char *suffix)
{
	snprintf(out, len, "%s/ecs/tasks/%.32s%s", mnt, id, suffix);
}

/* The directory's last-error, for a failed write's message. */
static void last_error(const char *dir, char *out, size_t len)
{
	char path[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/last-error", mnt, dir);
	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(fd);
}

/* Writes a whole request to an open transaction file, reads its answer. */
static int transact(int fd, const char *req, char *ans, size_t len)
{
	size_t off = 0, rlen = strlen(req);
	ssize_t n;

	while (off < rlen) {
		n = write(fd, req + off, rlen - off);
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	off = 0;
	while (off + 1 < len && (n = read(fd, ans + off, len - 1 - off)) > 0)
		off += (size_t)n;
	ans[off] = '\0';
	return n < 0 ? -errno : 0;
}

static int register_taskdef(const char *json)
{
	char path[1024], ans[1024], why[ERR_MSG_SIZE];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/ecs/task-definitions/register", mnt);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bench_ecs: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = transact(fd, json, ans, sizeof(ans));
	close(fd);
	if (ret < 0) {
		last_error("ecs/task-definitions", why, sizeof(why));
		fprintf(stderr, "bench_ecs: register: %s: %s\n", strerror(-ret), why);
		return -1;
	}
	return 0;
}

/* Runs a request on an already open ecs/tasks/run; returns the number of
 * task ids read back into ids. */
static int run_on(int fd, const char *req, char ids[][ID_LEN + 1], int max)
{
	char ans[4096], why[ERR_MSG_SIZE];
	int ret, n = 0;

	ret = transact(fd, req, ans, sizeof(ans));
	if (ret < 0) {
		last_error("ecs/tasks", why, sizeof(why));
		fprintf(stderr, "bench_ecs: run %s", req);
		fprintf(stderr, "bench_ecs: run: %s: %s\n", strerror(-ret), why);
		return -1;
	}
	for (char *line = strtok(ans, "\n"); line && n < max; line = strtok(NULL, "\n"))
		if (strlen(line) == ID_LEN)
			snprintf(ids[n++], ID_LEN + 1, "%s", line);
	return n;
}

static int open_run(void)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/ecs/tasks/run", mnt);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "bench_ecs: %s: %s\n", path, strerror(errno));
	return fd;
}

/* Reads a value file from offset 0 into buf, newline stripped. */
static int read_value(int fd, char *buf, size_t len)
{
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Waits until each of the n value files reads want, by poll()ing for
 * POLLPRI; seen[i] gets the CLOCK_REALTIME ms at which file i was first
 * read as want. Returns 0 when all did within timeout_ms, else -ETIMEDOUT
 * (or the value a file settled on that can never become want: -ECANCELED
 * when it reads STOPPED while waiting for RUNNING).
 */
static int wait_values(char paths[][1024], int n, const char *want, int timeout_ms, double *seen)
{
	struct pollfd pfd[4];
	char val[64];
	double deadline = bench_now_ms(CLOCK_MONOTONIC) + timeout_ms;
	int done = 0, ret = 0;

	for (int i = 0; i < n; i++) {
		seen[i] = -1;
		pfd[i].fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		pfd[i].events = POLLPRI;
		if (pfd[i].fd < 0) {
			fprintf(stderr, "bench_ecs: %s: %s\n", paths[i], strerror(errno));
			for (int j = 0; j < i; j++)
				close(pfd[j].fd);
			return -errno;
		}
	}
	for (;;) {
		double left;
		int slice, pr;

		for (int i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || read_value(pfd[i].fd, val, sizeof(val)) < 0)
				continue;
			if (strcmp(val, want) == 0) {
				seen[i] = bench_now_ms(CLOCK_REALTIME);
				close(pfd[i].fd);
				pfd[i].fd = -1; /* poll() ignores it from now on */
				done++;
			} else if (strcmp(want, "RUNNING") == 0 && strcmp(val, "STOPPED") == 0) {
				ret = -ECANCELED;
			}
		}
		if (done == n || ret < 0)
			break;
		left = deadline - bench_now_ms(CLOCK_MONOTONIC);
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		slice = left < POLL_SLICE ? (int)left + 1 : POLL_SLICE;
		pr = poll(pfd, (nfds_t)n, slice);
		if (pr == 0) {
			/* A change poll() did not report would be seen by this
			 * re-read; count it. */
			for (int i = 0; i < n; i++)
				if (pfd[i].fd >= 0 &&
				    read_value(pfd[i].fd, val, sizeof(val)) == 0 &&
				    strcmp(val, want) == 0)
					poll_timeouts++;
		} else if (pr < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	for (int i = 0; i < n; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	return ret;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Stops every task (ctl stop), waits on each one's `wait` stream (bounded
 * overall by timeout_s), then rmdirs it. Returns how many were removed. */
static int cleanup_tasks(char ids[][ID_LEN + 1], int n, int timeout_s)
{
	double deadline = bench_now_ms(CLOCK_MONOTONIC) + timeout_s * 1e3;
	char path[1024], buf[64];
	int removed = 0, ret;

	for (int i = 0; i < n; i++) {
		task_path(path, sizeof(path), ids[i], "/ctl");
		ret = write_str(path, "stop bench done\n");
		/* EBUSY: already stopping or stopped. */
		if (ret < 0 && ret != -EBUSY)
			fprintf(stderr, "bench_ecs: stop %s: %s\n", ids[i], strerror(-ret));
	}
	for (int i = 0; i < n; i++) {
		struct pollfd pfd;
		double left = deadline - bench_now_ms(CLOCK_MONOTONIC);

		task_path(path, sizeof(path), ids[i], "/wait");
		pfd.fd = open(path, O_RDONLY | O_CLOEXEC);
		pfd.events = POLLIN;
		if (pfd.fd < 0) {
			fprintf(stderr, "bench_ecs: %s: %s\n", path, strerror(errno));
			continue;
		}
		/* Short slices: each poll() asks the filesystem again, so this
		 * ends promptly even if a wakeup for `wait` were missed. */
		while (left > 0 && poll(&pfd, 1, 100) == 0)
			left = deadline - bench_now_ms(CLOCK_MONOTONIC);
		if (left > 0 && (pfd.revents & POLLIN))
			(void)!read(pfd.fd, buf, sizeof(buf));
		close(pfd.fd);
		task_path(path, sizeof(path), ids[i], "");
		/* STOPPED is set just before `wait` ends; allow a moment. */
		for (int tries = 0; tries < 100; tries++) {
			if (rmdir(path) == 0) {
				removed++;
				break;
			}
			if (errno != EBUSY || bench_now_ms(CLOCK_MONOTONIC) > deadline) {
				fprintf(stderr, "bench_ecs: rmdir %s: %s\n", ids[i],
					strerror(errno));
				break;
			}
			usleep(20000);
		}
	}
	return removed;
}

/* ---- raw engine ---- */

static struct engine *eng;

static int engine_open(void)
{
	const char *url = getenv("DOCKER_HOST") ? getenv("DOCKER_HOST") : ENGINE_DEFAULT_URL;
	struct engine_info info;
	struct nb_err err = { 0 };

	if (engine_new(url, &eng, &err) < 0 || engine_negotiate(eng, &info, &err) < 0) {
		fprintf(stderr, "bench_ecs: %s\n", err.msg);
		return -1;
	}
	return 0;
}

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
	cJSON_AddItemToArray(cmd, cJSON_CreateString("sleep"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("3600"));
	cJSON_AddNumberToObject(spec, "StopTimeout", 2);
	labels = cJSON_AddObjectToObject(spec, "Labels");
	json_add_str(labels, "com.amazonaws.ecs.container-name", name);
	json_add_str(labels, "com.amazonaws.ecs.task-definition-family", family);
	json_add_str(labels, "com.amazonaws.ecs.task-definition-version", "1");
	json_add_str(labels, "io.nimbusfs.owner", owner);
	json_add_str(labels, "io.nimbusfs.kind", "bench");
	json_add_str(labels, "io.nimbusfs.object", task);
	json_add_str(labels, "io.nimbusfs.container", name);
	host = cJSON_AddObjectToObject(spec, "HostConfig");
	cJSON_AddNumberToObject(host, "CpuShares", 2);
	json_add_str(host, "NetworkMode", "bridge");
	return spec;
}

static void random_hex(char out[ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < ID_LEN; i++)
		out[i] = hex[random() % 16];
	out[ID_LEN] = '\0';
}

/* ---- launch ---- */

static const char *const cnames[] = { "c1", "c2", "c3" };

static void taskdef_json(char *out, size_t len, const char *family, const char *image, int n,
			 const char *cmd)
{
	size_t off = (size_t)snprintf(out, len,
				      "{\"family\":\"%s\",\"networkMode\":\"bridge\","
				      "\"containerDefinitions\":[",
				      family);

	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(out + off, len - off,
					"%s{\"name\":\"%s\",\"image\":\"%s\",\"essential\":true,"
					"\"stopTimeout\":2,\"command\":%s}",
					i ? "," : "", cnames[i], image, cmd);
	if (off < len)
		snprintf(out + off, len - off, "]}\n");
}

static int bench_launch(const char *owner, const char *image, int runs)
{
	char floor_owner[128];

	snprintf(floor_owner, sizeof(floor_owner), "%s-floor", owner);
	for (int size = 1; size <= 3; size += 2) {
		char family[32], json[2048], req[64], path[2][1024];
		char ids[MAX_RUNS][ID_LEN + 1];
		char raw_ids[MAX_RUNS * 3][65];
		double raw[MAX_RUNS], nb[MAX_RUNS], seen;
		int nraw = 0, nnb = 0, ntasks = 0, nraw_ids = 0;
		struct nb_err err = { 0 };

		poll_timeouts = 0;
		snprintf(family, sizeof(family), "bench-launch-%d", size);
		taskdef_json(json, sizeof(json), family, image, size, "[\"sleep\",\"3600\"]");
		if (register_taskdef(json) < 0)
			return 1;
		snprintf(req, sizeof(req), "%s\n", family);
		for (int r = 0; r < runs; r++) {
			char task[ID_LEN + 1];
			double t0;
			int fd, got;

			/* nimbusfs: write the family, watch status. */
			fd = open_run();
			if (fd < 0)
				return 1;
			t0 = bench_now_ms(CLOCK_REALTIME);
			got = run_on(fd, req, ids + ntasks, 1);
			close(fd);
			if (got == 1) {
				task_path(path[0], sizeof(path[0]), ids[ntasks], "/status");
				if (wait_values(path, 1, "RUNNING", LAUNCH_WAIT, &seen) == 0)
					nb[nnb++] = seen - t0;
				else
					fprintf(stderr, "bench_ecs: task %s not RUNNING\n",
						ids[ntasks]);
				ntasks++;
			}

			/* floor: the same containers, created and started in turn. */
			random_hex(task);
			t0 = bench_now_ms(CLOCK_REALTIME);
			got = 0;
			for (int c = 0; c < size; c++) {
				char name[128];
				cleanup_cjson cJSON *spec = NULL;

				snprintf(name, sizeof(name), "%s-%s", task, cnames[c]);
				spec = floor_spec(floor_owner, image, family, task, cnames[c]);
				if (engine_container_create(eng, name, spec, raw_ids[nraw_ids],
							    &err) < 0) {
					fprintf(stderr, "bench_ecs: create: %s\n", err.msg);
					break;
				}
				if (engine_container_start(eng, raw_ids[nraw_ids++], &err) < 0) {
					fprintf(stderr, "bench_ecs: start: %s\n", err.msg);
					break;
				}
				got++;
			}
			if (got == size)
				raw[nraw++] = bench_now_ms(CLOCK_REALTIME) - t0;
		}
		for (int i = 0; i < nraw_ids; i++)
			if (engine_container_remove(eng, raw_ids[i], true, true, &err) < 0)
				fprintf(stderr, "bench_ecs: remove raw %.12s: %s\n", raw_ids[i],
					err.msg);
		cleanup_tasks(ids, ntasks, STOP_WAIT_S);
		printf("%d %.1f %.1f %.1f %.1f %d %d\n", size, bench_quantile(raw, nraw, 0.5),
		       bench_quantile(raw, nraw, 0.9), bench_quantile(nb, nnb, 0.5),
		       bench_quantile(nb, nnb, 0.9), nraw < nnb ? nraw : nnb, poll_timeouts);
		fflush(stdout);
	}
	return 0;
}

/* ---- exit ---- */

struct die {
	char id[65];
	double tnano_ms, arrived_ms;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct die d[MAX_DIES];
	int n;
} dies = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { { "", 0, 0 } }, 0 };

static struct nb_cancel stopping = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct nb_buf raw_partial;

static void raw_line(const char *line, size_t len)
{
	double arrived = bench_now_ms(CLOCK_REALTIME);
	cleanup_cjson cJSON *ev = cJSON_ParseWithLength(line, len);
	const cJSON *action = cJSON_GetObjectItem(ev, "Action");
	const cJSON *id = cJSON_GetObjectItem(ev, "id");
	const cJSON *t = cJSON_GetObjectItem(ev, "timeNano");

	if (!cJSON_IsString(action) || strcmp(action->valuestring, "die") != 0 ||
	    !cJSON_IsString(id) || !cJSON_IsNumber(t))
		return;
	pthread_mutex_lock(&dies.lock);
	if (dies.n < MAX_DIES) {
		struct die *d = &dies.d[dies.n++];

		snprintf(d->id, sizeof(d->id), "%s", id->valuestring);
		d->tnano_ms = t->valuedouble / 1e6;
		d->arrived_ms = arrived;
	}
	pthread_cond_broadcast(&dies.cond);
	pthread_mutex_unlock(&dies.lock);
}

static void raw_line_cb(const char *line, size_t len, void *ud)
{
	(void)ud;
	raw_line(line, len);
}

static int raw_chunk(const char *data, size_t len, void *ud)
{
	(void)ud;
	return nb_buf_feed_lines(&raw_partial, data, len, raw_line_cb, NULL) < 0;
}

static void *raw_thread(void *arg)
{
	struct engine_req req = { .method = "GET", .path = arg };
	struct nb_err err = { 0 };

	if (engine_stream(eng, &req, raw_chunk, NULL, &stopping, &err) < 0 &&
	    !nb_cancelled(&stopping))
		fprintf(stderr, "bench_ecs: raw stream: %s\n", err.msg);
	return NULL;
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

static int bench_exit(const char *owner, const char *image, int runs)
{
	char json[2048], raw_path[512], ids[MAX_RUNS][ID_LEN + 1];
	double raw[MAX_RUNS], ctr[MAX_RUNS], task[MAX_RUNS];
	int n = 0, ntasks = 0;
	pthread_t th;

	snprintf(raw_path, sizeof(raw_path),
		 "/events?filters=%%7B%%22label%%22%%3A%%5B%%22io.nimbusfs.owner%%3D%s%%22%%5D%%7D",
		 owner);
	if (pthread_create(&th, NULL, raw_thread, raw_path) != 0)
		return 1;
	taskdef_json(json, sizeof(json), "bench-exit", image, 1,
		     "[\"sh\",\"-c\",\"sleep 2; exit 3\"]");
	if (register_taskdef(json) < 0)
		return 1;
	usleep(300000); /* the raw subscription in place */
	poll_timeouts = 0;
	for (int r = 0; r < runs; r++) {
		char path[2][1024], cid[128];
		double seen[2];
		struct die d;
		int fd, got;

		fd = open_run();
		if (fd < 0)
			break;
		got = run_on(fd, "bench-exit\n", ids + ntasks, 1);
		close(fd);
		if (got != 1)
			continue;
		task_path(path[0], sizeof(path[0]), ids[ntasks], "/status");
		if (wait_values(path, 1, "RUNNING", LAUNCH_WAIT, seen) < 0) {
			fprintf(stderr, "bench_ecs: task %s not RUNNING\n", ids[ntasks]);
			ntasks++;
			continue;
		}
		task_path(path[0], sizeof(path[0]), ids[ntasks], "/containers/c1/id");
		fd = open(path[0], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read_value(fd, cid, sizeof(cid)) < 0 || !cid[0]) {
			fprintf(stderr, "bench_ecs: %s: no container id\n", path[0]);
			if (fd >= 0)
				close(fd);
			ntasks++;
			continue;
		}
		close(fd);
		task_path(path[0], sizeof(path[0]), ids[ntasks], "/containers/c1/status");
		task_path(path[1], sizeof(path[1]), ids[ntasks], "/status");
		if (wait_values(path, 2, "STOPPED", 15000, seen) < 0) {
			fprintf(stderr, "bench_ecs: task %s not STOPPED in 15 s\n", ids[ntasks]);
			ntasks++;
			continue;
		}
		ntasks++;
		if (find_die(cid, &d) < 0) {
			fprintf(stderr, "bench_ecs: no die event for %.12s\n", cid);
			continue;
		}
		raw[n] = d.arrived_ms - d.tnano_ms;
		ctr[n] = seen[0] - d.tnano_ms;
		task[n] = seen[1] - d.tnano_ms;
		n++;
	}
	cleanup_tasks(ids, ntasks, STOP_WAIT_S);
	printf("%.3f %.3f %.3f %.3f %.1f %.1f %d %d\n", bench_quantile(raw, n, 0.5),
	       bench_quantile(raw, n, 0.9), bench_quantile(ctr, n, 0.5),
	       bench_quantile(ctr, n, 0.9), bench_quantile(task, n, 0.5),
	       bench_quantile(task, n, 0.9), n, poll_timeouts);
	fflush(stdout);
	nb_cancel_fire(&stopping);
	pthread_join(th, NULL);
	return 0;
}

/* ---- idle ---- */

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

static int bench_idle(const char *nbpid, const char *dpid, const char *image, int count,
		      int seconds)
{
	static char ids[MAX_TASKS][ID_LEN + 1];
	char json[2048], path[1][1024];
	double t0, launch_s, stop_s, seen, hz = (double)sysconf(_SC_CLK_TCK);
	long long nb0, nb1, d0, d1, nbs0, nbs1, ds0, ds1;
	int n = 0, running = 0, fd, got;

	taskdef_json(json, sizeof(json), "idle", image, 1, "[\"sleep\",\"3600\"]");
	if (register_taskdef(json) < 0)
		return 1;
	t0 = bench_now_ms(CLOCK_MONOTONIC);
	while (n < count) {
		char req[128];
		int batch = count - n < 10 ? count - n : 10;

		snprintf(req, sizeof(req), "{\"taskDefinition\":\"idle\",\"count\":%d}", batch);
		fd = open_run();
		if (fd < 0)
			break;
		got = run_on(fd, req, ids + n, batch);
		close(fd);
		if (got <= 0)
			break;
		n += got;
	}
	for (int i = 0; i < n; i++) {
		double left = 240000 - (bench_now_ms(CLOCK_MONOTONIC) - t0);

		task_path(path[0], sizeof(path[0]), ids[i], "/status");
		if (left > 0 && wait_values(path, 1, "RUNNING", (int)left, &seen) == 0)
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
	cleanup_tasks(ids, n, STOP_WAIT_S);
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

int main(int argc, char **argv)
{
	int runs;

	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (argc == 6 && (strcmp(argv[1], "launch") == 0 || strcmp(argv[1], "exit") == 0)) {
		runs = atoi(argv[5]);
		if (runs <= 0 || runs > MAX_RUNS) {
			fprintf(stderr, "bench_ecs: RUNS must be 1-%d\n", MAX_RUNS);
			return 2;
		}
		mnt = argv[2];
		if (engine_open() < 0)
			return 1;
		return strcmp(argv[1], "launch") == 0 ? bench_launch(argv[3], argv[4], runs)
						      : bench_exit(argv[3], argv[4], runs);
	}
	if (argc == 8 && strcmp(argv[1], "idle") == 0) {
		int count = atoi(argv[6]), seconds = atoi(argv[7]);

		if (count <= 0 || count > MAX_TASKS || seconds <= 0 || seconds > 3600) {
			fprintf(stderr, "bench_ecs: TASKS 1-%d, SECONDS 1-3600\n", MAX_TASKS);
			return 2;
		}
		mnt = argv[2];
		return bench_idle(argv[3], argv[4], argv[5], count, seconds);
	}
	fprintf(stderr, "usage: bench_ecs launch|exit MOUNTPOINT OWNER-ID IMAGE RUNS\n"
			"       bench_ecs idle MOUNTPOINT NIMBUSFS-PID DOCKERD-PID IMAGE TASKS "
			"SECONDS\n");
	return 2;
}
