/*
 * tools/bench_ec2.c - nimbusfs's EC2 figures against floors measured in the
 * same process, with the same clock.
 *
 *   bench_ec2 MOUNTPOINT OWNER-ID N
 *
 * One instance and one container of each floor are launched first, untimed
 * (the image, the networks and the engine connection warm up); the floors
 * copy HostConfig Init, NanoCpus and Memory from that instance's container.
 * Then, N rounds of each figure, nimbusfs and the floors in turn (which one
 * goes first rotates, so drift hits all alike):
 *
 *   launch     "\n" written to ec2/run (open O_RDWR, write, read the id
 *              back, close) until the instance's `state` reads running;
 *              against raw create+start of an equivalent container over one
 *              kept-alive Engine API connection (image local/busybox:latest,
 *              Init, `sh -c 'exec sleep 2147483647'`, a hostname, the default
 *              bridge network). The instances and containers stay up until
 *              the end, so each side launches beside as many of its own.
 *   stopstart  on the first instance: "stop" written to `state` until it
 *              reads stopped, then "start" until running; against raw
 *              POST /containers/{id}/stop?t=STOP_TIMEOUT_S + start of the
 *              first floor container (of each floor). Same stop grace
 *              period both ways (nimbusfs's EC2_STOP_TIMEOUT).
 *   runcmd     on the first instance: open `run-command` O_RDWR, write
 *              "true\n", read the JSON answer to EOF (Status Success), close;
 *              against exec create (sh -c true, output attached) + start
 *              (collecting output) + inspect (exit code 0) on the first
 *              default-bridge floor container.
 *
 * A second floor, measured in the same rounds, puts raw containers on a
 * user-defined bridge network with a static IPv4 address, as nimbusfs puts
 * an instance on its subnet's network (the driver makes its own network,
 * a /24 of 10.64.0.0/12 labelled OWNER-ID-floor, so nimbusfs's address
 * accounting is untouched): attaching there costs the engine more than the
 * default bridge does, and that share of nimbusfs's figure is the engine's.
 *
 * Prints (launch and stopstart in ms, runcmd in microseconds):
 *   launch <nb med> <nb p90> <raw med> <raw p90> <samples>
 *   launch-net <nb med> <nb p90> <raw-net med> <raw-net p90> <samples>
 *   stopstart <nb med> <nb p90> <raw med> <raw p90> <samples>
 *   stopstart-net <nb med> <nb p90> <raw-net med> <raw-net p90> <samples>
 *   runcmd <nb med> <nb p90> <raw med> <raw p90> <samples>
 * The -net lines repeat nimbusfs's samples against the second floor; they
 * are left out when the floor's network cannot be made.
 *
 * `state` is watched the way nimbusfs documents: read from offset 0, poll()
 * for POLLPRI, lseek 0, read again; each poll() is capped at POLL_SLICE ms
 * and a change seen only by the re-read after a timeout is reported on
 * stderr as a missed wakeup. At the end every instance launched is
 * terminated (waited for, bounded) and rmdir'ed, and the floor containers
 * and network (labelled io.nimbusfs.owner=OWNER-ID-floor) are removed.
 * Environment: BENCH_EC2_STOP_TIMEOUT (seconds, default STOP_TIMEOUT_S)
 * for the raw side's stop grace period, if nimbusfs's changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "tools/benchlib.h"
#include "backend/engine/containers.h"
#include "backend/engine/engine.h"
#include "backend/engine/exec.h"
#include "backend/engine/networks.h"

#define MAX_N	       100
#define ID_LEN	       19 /* "i-" + 17 hex */
#define IMAGE	       "local/busybox:latest"
#define LAUNCH_WAIT    60000 /* ms a launch may take before it counts as failed */
#define STOP_WAIT      60000 /* ms a stop or a start may take (plus the grace period) */
#define TERM_WAIT_S    180   /* s the final terminations may take, all together */
#define POLL_SLICE     1000  /* ms: longest single poll() before a re-read */
#define STOP_TIMEOUT_S 10    /* the stop grace period, both ways */
#define ANSWER_MAX     65536
#define OUT_CAP	       65536

static const char *mnt;
static struct engine *eng;
static int stop_timeout_s = STOP_TIMEOUT_S;
static int poll_misses;

/* Instances launched (all terminated at the end) and floor containers:
 * [0] on the default bridge, [1] on the floor's own network. */
static char insts[MAX_N + 1][ID_LEN + 1];
static int ninsts;
static char floors[2][MAX_N + 1][65];
static int nfloors[2];
static char floor_net[64], floor_net_id[65];
static unsigned floor_net_base; /* the network's 10.x.y.0, host order */

static double now_ms(void)
{
	return bench_now_ms(CLOCK_MONOTONIC);
}

/* ---- the mount ---- */

/* MOUNTPOINT/ec2/ID + suffix ("/state", "" for the directory). */
static void inst_path(char *out, size_t len, const char *id, const char *suffix)
{
	snprintf(out, len, "%s/ec2/%.*s%.32s", mnt, ID_LEN, id, suffix);
}

/* dir's last-error (dir below MOUNTPOINT), on stderr after what failed. */
static void show_last_error(const char *dir, const char *what, int errnum)
{
	char path[1024], why[512] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/last-error", mnt, dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, why, sizeof(why) - 1);
		why[n > 0 ? n : 0] = '\0';
		why[strcspn(why, "\n")] = '\0';
		close(fd);
	}
	fprintf(stderr, "bench_ec2: %s: %s%s%s\n", what, strerror(errnum), why[0] ? ": " : "", why);
}

static int write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

/* Reads a whole small file into buf, newline stripped. */
static int read_str(const char *path, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (off + 1 < len && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fd);
	return n < 0 ? -1 : 0;
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
 * Waits until instance id's `state` reads want, by poll()ing for POLLPRI.
 * Returns 0 when it did within timeout_ms, -ETIMEDOUT, or -ECANCELED when it
 * reads a state from which want cannot follow without another request
 * (terminated, or stopped while waiting for running).
 */
static int wait_state(const char *id, const char *want, int timeout_ms)
{
	char path[1024], val[64] = "";
	struct pollfd pfd = { .events = POLLPRI };
	double deadline = now_ms() + timeout_ms;
	int ret = 0;

	inst_path(path, sizeof(path), id, "/state");
	pfd.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd.fd < 0) {
		ret = -errno;
		fprintf(stderr, "bench_ec2: %s: %s\n", path, strerror(errno));
		return ret;
	}
	for (;;) {
		double left;
		int slice, pr;

		if (read_value(pfd.fd, val, sizeof(val)) == 0) {
			if (strcmp(val, want) == 0)
				break;
			if ((strcmp(val, "terminated") == 0) ||
			    (strcmp(want, "running") == 0 && strcmp(val, "stopped") == 0)) {
				ret = -ECANCELED;
				break;
			}
		}
		left = deadline - now_ms();
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		slice = left < POLL_SLICE ? (int)left + 1 : POLL_SLICE;
		pr = poll(&pfd, 1, slice);
		if (pr == 0) {
			/* A change poll() did not report would be seen by this
			 * re-read; count it. */
			if (read_value(pfd.fd, val, sizeof(val)) == 0 && strcmp(val, want) == 0) {
				poll_misses++;
				break;
			}
		} else if (pr < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	close(pfd.fd);
	if (ret < 0)
		fprintf(stderr, "bench_ec2: %s: waiting for %s: %s (reads \"%s\")\n", id, want,
			ret == -ECANCELED ? "gave up" : strerror(-ret), val);
	return ret;
}

/* One launch through the mount: "\n" to ec2/run, the id read back on the
 * same fd, until state reads running. ms, or -1. */
static double nb_launch(void)
{
	char path[1024], ans[256];
	size_t off = 0;
	ssize_t n = 0;
	double t0 = now_ms();
	int fd;

	snprintf(path, sizeof(path), "%s/ec2/run", mnt);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bench_ec2: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (write(fd, "\n", 1) != 1) {
		show_last_error("ec2", "write ec2/run", errno);
		close(fd);
		return -1;
	}
	while (off + 1 < sizeof(ans) && (n = read(fd, ans + off, sizeof(ans) - 1 - off)) > 0)
		off += (size_t)n;
	ans[off] = '\0';
	if (n < 0) {
		show_last_error("ec2", "read ec2/run", errno);
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		show_last_error("ec2", "close ec2/run", errno);
		return -1;
	}
	ans[strcspn(ans, "\n")] = '\0';
	if (strlen(ans) != ID_LEN || strncmp(ans, "i-", 2) != 0) {
		fprintf(stderr, "bench_ec2: ec2/run answered \"%s\", not an instance id\n", ans);
		return -1;
	}
	snprintf(insts[ninsts++], ID_LEN + 1, "%s", ans);
	if (wait_state(ans, "running", LAUNCH_WAIT) < 0)
		return -1;
	return now_ms() - t0;
}

/* Writes verb to the instance's state, then waits until it reads want. */
static int nb_transition(const char *id, const char *verb, const char *want)
{
	char path[1024], what[128];
	int ret;

	inst_path(path, sizeof(path), id, "/state");
	ret = write_str(path, verb);
	if (ret < 0) {
		char dir[64];

		snprintf(dir, sizeof(dir), "ec2/%s", id);
		snprintf(what, sizeof(what), "%s: write %.*s to state", id,
			 (int)strcspn(verb, "\n"), verb);
		show_last_error(dir, what, -ret);
		return ret;
	}
	return wait_state(id, want, STOP_WAIT + stop_timeout_s * 1000);
}

/* stop until stopped, start until running. ms, or -1. */
static double nb_stopstart(const char *id)
{
	double t0 = now_ms();

	if (nb_transition(id, "stop\n", "stopped") < 0 ||
	    nb_transition(id, "start\n", "running") < 0)
		return -1;
	return now_ms() - t0;
}

/* One command through the mount: open, write, read to EOF, close. us, or -1. */
static double nb_runcmd(const char *id)
{
	static char ans[ANSWER_MAX];
	char path[1024];
	size_t off = 0;
	ssize_t n = 0;
	double t0 = now_ms(), t1;
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *st, *code;
	int fd;

	inst_path(path, sizeof(path), id, "/run-command");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bench_ec2: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (write(fd, "true\n", 5) != 5) {
		int e = errno;
		char dir[64];

		close(fd);
		snprintf(dir, sizeof(dir), "ec2/%s", id);
		show_last_error(dir, "write run-command", e);
		return -1;
	}
	while (off + 1 < sizeof(ans) && (n = read(fd, ans + off, sizeof(ans) - 1 - off)) > 0)
		off += (size_t)n;
	ans[off] = '\0';
	if (close(fd) < 0 || n < 0) {
		fprintf(stderr, "bench_ec2: run-command: %s\n", strerror(errno));
		return -1;
	}
	t1 = now_ms();
	doc = cJSON_ParseWithLength(ans, off);
	st = cJSON_GetObjectItem(doc, "Status");
	code = cJSON_GetObjectItem(doc, "ExitCode");
	if (!cJSON_IsString(st) || strcmp(st->valuestring, "Success") != 0 ||
	    !cJSON_IsNumber(code) || code->valueint != 0) {
		fprintf(stderr, "bench_ec2: run-command answered: %.300s\n", ans);
		return -1;
	}
	return (t1 - t0) * 1e3;
}

/* Terminates every instance launched, waits (bounded overall) until each
 * reads terminated, rmdirs it. */
static void cleanup_instances(void)
{
	double deadline = now_ms() + TERM_WAIT_S * 1e3;
	char path[1024];
	int ret;

	for (int i = 0; i < ninsts; i++) {
		inst_path(path, sizeof(path), insts[i], "/state");
		ret = write_str(path, "terminate\n");
		if (ret < 0)
			fprintf(stderr, "bench_ec2: terminate %s: %s\n", insts[i], strerror(-ret));
	}
	for (int i = 0; i < ninsts; i++) {
		double left = deadline - now_ms();

		if (wait_state(insts[i], "terminated", left > 1 ? (int)left : 1) < 0)
			continue;
		inst_path(path, sizeof(path), insts[i], "");
		for (int tries = 0; tries < 100; tries++) {
			if (rmdir(path) == 0)
				break;
			if (errno != EBUSY || now_ms() > deadline) {
				fprintf(stderr, "bench_ec2: rmdir %s: %s\n", insts[i],
					strerror(errno));
				break;
			}
			usleep(20000);
		}
	}
}

/* ---- raw engine ---- */

static int engine_open(void)
{
	const char *url = getenv("DOCKER_HOST") ? getenv("DOCKER_HOST") : ENGINE_DEFAULT_URL;
	struct engine_info info;
	struct nb_err err = { 0 };

	if (engine_new(url, &eng, &err) < 0 || engine_negotiate(eng, &info, &err) < 0) {
		fprintf(stderr, "bench_ec2: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/*
 * The floor's ContainerCreate body: local/busybox:latest under tini running
 * `exec sleep`, on the default bridge, floor labels; Init, NanoCpus and
 * Memory as nimbusfs gave instance id's container (Init alone when it has
 * none to read).
 */
static cJSON *floor_spec(const char *owner, const char *id)
{
	static const char *const host_keys[] = { "Init", "NanoCpus", "Memory" };
	cleanup_cjson cJSON *info = NULL;
	cJSON *spec = cJSON_CreateObject(), *cmd, *labels, *host;
	const cJSON *hc = NULL;
	char path[1024], cid[128], floor_owner[128];
	struct nb_err err = { 0 };

	inst_path(path, sizeof(path), id, "/container");
	if (read_str(path, cid, sizeof(cid)) < 0 || !cid[0])
		fprintf(stderr, "bench_ec2: %s: no container id\n", path);
	else if (engine_container_inspect(eng, cid, &info, &err) < 0)
		fprintf(stderr, "bench_ec2: inspect %.12s: %s\n", cid, err.msg);
	else
		hc = cJSON_GetObjectItem(info, "HostConfig");

	json_add_str(spec, "Image", IMAGE);
	cmd = cJSON_AddArrayToObject(spec, "Cmd");
	json_array_add_str(cmd, "sh");
	json_array_add_str(cmd, "-c");
	json_array_add_str(cmd, "exec sleep 2147483647");
	labels = cJSON_AddObjectToObject(spec, "Labels");
	snprintf(floor_owner, sizeof(floor_owner), "%s-floor", owner);
	json_add_str(labels, "io.nimbusfs.owner", floor_owner);
	json_add_str(labels, "io.nimbusfs.kind", "bench");
	host = cJSON_AddObjectToObject(spec, "HostConfig");
	json_add_bool(host, "Init", true);
	for (size_t i = 0; hc && i < sizeof(host_keys) / sizeof(host_keys[0]); i++) {
		cJSON *v = cJSON_GetObjectItem(hc, host_keys[i]);

		if (v && !cJSON_IsNull(v)) {
			cJSON_DeleteItemFromObject(host, host_keys[i]);
			cJSON_AddItemToObject(host, host_keys[i], cJSON_Duplicate(v, true));
		}
	}
	json_add_str(host, "NetworkMode", "bridge");
	return spec;
}

/*
 * The floor's own user-defined bridge network: a free /24 of 10.64.0.0/12
 * (outside Docker's default pools and nimbusfs's default subnets in
 * 10.128.0.0/9), labelled as the floor containers are.
 */
static int make_floor_net(const char *owner)
{
	cleanup_cjson cJSON *labels = cJSON_CreateObject();
	char floor_owner[128], cidr[32];
	struct nb_err err = { 0 };
	int ret = -EBUSY;

	snprintf(floor_owner, sizeof(floor_owner), "%s-floor", owner);
	json_add_str(labels, "io.nimbusfs.owner", floor_owner);
	json_add_str(labels, "io.nimbusfs.kind", "bench");
	snprintf(floor_net, sizeof(floor_net), "nimbusfs-bench-ec2-%08lx", (unsigned long)random());
	for (int tries = 0; tries < 32 && (ret == -EBUSY || ret == -EPERM); tries++) {
		unsigned r = (unsigned)random() % 4096;

		floor_net_base = (10u << 24) | ((64u + r / 256) << 16) | ((r % 256) << 8);
		snprintf(cidr, sizeof(cidr), "10.%u.%u.0/24", 64 + r / 256, r % 256);
		err = (struct nb_err){ 0 };
		ret = engine_network_create_subnet(eng, floor_net, labels, cidr, false,
						   floor_net_id, &err);
	}
	if (ret < 0) {
		fprintf(stderr, "bench_ec2: floor network: %s\n", err.msg);
		floor_net_id[0] = '\0';
	}
	return ret;
}

/* spec on the floor's network with the k-th static address, k < 240. */
static void floor_net_spec(cJSON *spec, int k)
{
	char ip[16];
	unsigned a = floor_net_base + 10u + (unsigned)k;
	cJSON *host = cJSON_GetObjectItem(spec, "HostConfig"), *net, *eps, *ep, *ipam;

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	cJSON_DeleteItemFromObject(host, "NetworkMode");
	json_add_str(host, "NetworkMode", floor_net);
	cJSON_DeleteItemFromObject(spec, "NetworkingConfig");
	net = cJSON_AddObjectToObject(spec, "NetworkingConfig");
	eps = cJSON_AddObjectToObject(net, "EndpointsConfig");
	ep = cJSON_AddObjectToObject(eps, floor_net);
	ipam = cJSON_AddObjectToObject(ep, "IPAMConfig");
	json_add_str(ipam, "IPv4Address", ip);
}

/* Raw create+start with a fresh hostname, on the default bridge (which 0)
 * or on the floor's network (which 1). ms, or -1. */
static double raw_launch(const cJSON *bridge_spec, int which)
{
	cleanup_cjson cJSON *spec = cJSON_Duplicate(bridge_spec, true);
	char name[64], *id = floors[which][nfloors[which]];
	struct nb_err err = { 0 };
	double t0;

	snprintf(name, sizeof(name), "nimbusfs-bench-ec2-%08lx", (unsigned long)random());
	json_add_str(spec, "Hostname", name + 15); /* "ec2-xxxxxxxx" */
	if (which)
		floor_net_spec(spec, nfloors[which]);
	t0 = now_ms();
	if (engine_container_create(eng, name, spec, id, &err) < 0) {
		fprintf(stderr, "bench_ec2: raw create: %s\n", err.msg);
		return -1;
	}
	nfloors[which]++;
	if (engine_container_start(eng, id, &err) < 0) {
		fprintf(stderr, "bench_ec2: raw start %.12s: %s\n", id, err.msg);
		return -1;
	}
	return now_ms() - t0;
}

static double raw_stopstart(const char *id)
{
	struct nb_err err = { 0 };
	double t0 = now_ms();

	if (engine_container_stop(eng, id, stop_timeout_s, &err) < 0 ||
	    engine_container_start(eng, id, &err) < 0) {
		fprintf(stderr, "bench_ec2: raw stop/start %.12s: %s\n", id, err.msg);
		return -1;
	}
	return now_ms() - t0;
}

static double raw_runcmd(const char *id)
{
	static const char *const argv[] = { "/bin/sh", "-c", "true", NULL };
	struct nb_buf out = { 0 }, errout = { 0 };
	struct nb_err err = { 0 };
	char exec_id[65];
	int code = -1, ret;
	bool running = true;
	double t0 = now_ms(), t1;

	ret = engine_exec_create(eng, id, argv, true, exec_id, &err);
	if (ret == 0)
		ret = engine_exec_start(eng, exec_id, &out, &errout, OUT_CAP, 0, NULL, &err);
	if (ret >= 0)
		ret = engine_exec_inspect(eng, exec_id, &code, &running, &err);
	t1 = now_ms();
	nb_buf_free(&out);
	nb_buf_free(&errout);
	if (ret < 0 || code != 0 || running) {
		fprintf(stderr, "bench_ec2: raw exec on %.12s: %s (exit %d%s)\n", id,
			ret < 0 ? err.msg : "ok", code, running ? ", running" : "");
		return -1;
	}
	return (t1 - t0) * 1e3;
}

static void cleanup_floors(void)
{
	struct nb_err err = { 0 };

	for (int w = 0; w < 2; w++)
		for (int i = 0; i < nfloors[w]; i++)
			if (engine_container_remove(eng, floors[w][i], true, true, &err) < 0)
				fprintf(stderr, "bench_ec2: remove raw %.12s: %s\n", floors[w][i],
					err.msg);
	if (floor_net_id[0] && engine_network_remove(eng, floor_net_id, &err) < 0)
		fprintf(stderr, "bench_ec2: remove network %s: %s\n", floor_net, err.msg);
}

/* ---- the figures ---- */

static void print_line(const char *name, double *nb, double *raw, int got, int misses)
{
	printf("%s %.1f %.1f %.1f %.1f %d\n", name, bench_quantile(nb, got, 0.5),
	       bench_quantile(nb, got, 0.9), bench_quantile(raw, got, 0.5),
	       bench_quantile(raw, got, 0.9), got);
	fflush(stdout);
	if (misses)
		fprintf(stderr,
			"bench_ec2: %s: %d state change(s) seen only after a %d ms poll "
			"timeout (no POLLPRI wakeup)\n",
			name, misses, POLL_SLICE);
}

/* One sample of side 0 (nimbusfs), 1 (raw, default bridge) or 2 (raw,
 * the floor's network) of a round; sides without a floor network skip 2. */
static int sides(void)
{
	return floor_net_id[0] ? 3 : 2;
}

static int bench_launch(const cJSON *spec, int n)
{
	double t[3][MAX_N];
	int got = 0, m = sides();

	poll_misses = 0;
	for (int i = 0; i < n; i++) {
		double v[3];
		bool ok = true;

		/* Each round starts with another side. */
		for (int k = 0; k < m && ok; k++) {
			int side = (i + k) % m;

			v[side] = side == 0 ? nb_launch() : raw_launch(spec, side - 1);
			ok = v[side] >= 0;
		}
		if (!ok)
			break;
		for (int side = 0; side < m; side++)
			t[side][got] = v[side];
		got++;
	}
	print_line("launch", t[0], t[1], got, poll_misses);
	if (m == 3)
		print_line("launch-net", t[0], t[2], got, 0);
	return got == n ? 0 : -1;
}

static int bench_stopstart(const char *id, int n)
{
	double t[3][MAX_N];
	int got = 0, m = sides();

	poll_misses = 0;
	for (int i = 0; i < n; i++) {
		double v[3];
		bool ok = true;

		for (int k = 0; k < m && ok; k++) {
			int side = (i + k) % m;

			v[side] = side == 0 ? nb_stopstart(id) : raw_stopstart(floors[side - 1][0]);
			ok = v[side] >= 0;
		}
		if (!ok)
			break;
		for (int side = 0; side < m; side++)
			t[side][got] = v[side];
		got++;
	}
	print_line("stopstart", t[0], t[1], got, poll_misses);
	if (m == 3)
		print_line("stopstart-net", t[0], t[2], got, 0);
	return got == n ? 0 : -1;
}

static int bench_runcmd(const char *id, const char *fid, int n)
{
	double nb[MAX_N], raw[MAX_N];
	int got = 0;

	/* Warm-up: the exec paths on both sides, untimed. */
	for (int i = 0; i < 3; i++)
		if (nb_runcmd(id) < 0 || raw_runcmd(fid) < 0)
			return -1;
	for (int i = 0; i < n; i++) {
		double a, b;

		if (i % 2 == 0) {
			a = nb_runcmd(id);
			b = a < 0 ? -1 : raw_runcmd(fid);
		} else {
			b = raw_runcmd(fid);
			a = b < 0 ? -1 : nb_runcmd(id);
		}
		if (a < 0 || b < 0)
			break;
		nb[got] = a;
		raw[got] = b;
		got++;
	}
	print_line("runcmd", nb, raw, got, 0);
	return got == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	cleanup_cjson cJSON *spec = NULL;
	const char *env = getenv("BENCH_EC2_STOP_TIMEOUT");
	int n, ret = 1;

	if (argc != 4 || (n = atoi(argv[3])) <= 0 || n > MAX_N) {
		fprintf(stderr, "usage: bench_ec2 MOUNTPOINT OWNER-ID N(1-%d)\n", MAX_N);
		return 2;
	}
	if (env && *env) {
		stop_timeout_s = atoi(env);
		if (stop_timeout_s < 0 || stop_timeout_s > ENGINE_STOP_TIMEOUT_MAX) {
			fprintf(stderr, "bench_ec2: BENCH_EC2_STOP_TIMEOUT must be 0-%d\n",
				ENGINE_STOP_TIMEOUT_MAX);
			return 2;
		}
	}
	mnt = argv[1];
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (engine_open() < 0)
		return 1;
	/* Warm-up, untimed: the first instance and the first floor containers
	 * are the ones stopstart and runcmd use. */
	if (nb_launch() < 0)
		goto out;
	spec = floor_spec(argv[2], insts[0]);
	if (raw_launch(spec, 0) < 0)
		goto out;
	if (make_floor_net(argv[2]) == 0 && raw_launch(spec, 1) < 0)
		goto out;
	if (bench_launch(spec, n) < 0 || bench_stopstart(insts[0], n) < 0 ||
	    bench_runcmd(insts[0], floors[0][0], n) < 0)
		goto out;
	ret = 0;
out:
	cleanup_instances();
	cleanup_floors();
	engine_free(eng);
	return ret;
}
