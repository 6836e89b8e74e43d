/*
 * tools/bench_lambda_cold.c - bench_lambda's cold start: `echo evict >
 * warm`, the evicted container gone from the engine, then one invocation
 * through the mount; against raw create (the warm container's own image,
 * Cmd, Env, memory, tmpfs and 127.0.0.1: port binding, as nimbusfs built
 * it) + PUT of a tar holding function.sh into /var/task + start + inspect
 * for the port + polling GET / until the emulator answers (every 1 ms) +
 * the first POST, over one kept-alive Engine API connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/probe.h"
#include "backend/common/tar.h"
#include "backend/engine/containers.h"
#include "tools/bench_lambda.h"
#include "tools/benchfn.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

#define GONE_WAIT_MS 20000 /* an evicted container's removal */
#define READY_MS     10000 /* a raw container's emulator answering */

/* Waits until the engine no longer knows container id (a short id works). */
static int wait_gone(const struct bench_lambda *b, const char *id)
{
	double deadline = bench_lambda_now() + GONE_WAIT_MS;

	while (bench_lambda_now() < deadline) {
		cJSON *info = NULL;
		int ret = engine_container_inspect(b->eng, id, &info, NULL);

		cJSON_Delete(info);
		if (ret == -ENOENT)
			return 0;
		usleep(20000);
	}
	fprintf(stderr, "bench_lambda: container %s still there after %d ms\n", id, GONE_WAIT_MS);
	return -1;
}

/* The floor's ContainerCreate body: the warm container's own image, Cmd,
 * Env, exposed port, port binding, memory and tmpfs; floor labels. */
static cJSON *floor_spec(const struct bench_lambda *b, const char *id)
{
	static const char *const cfg_keys[] = { "Image", "Cmd", "Env", "ExposedPorts" };
	static const char *const host_keys[] = { "PortBindings", "Memory", "MemorySwap", "Tmpfs" };
	cleanup_cjson cJSON *info = NULL;
	cJSON *spec, *cfg, *host, *hc;
	struct nb_err err = { 0 };

	if (engine_container_inspect(b->eng, id, &info, &err) < 0) {
		fprintf(stderr, "bench_lambda: inspect %s: %s\n", id, err.msg);
		return NULL;
	}
	cfg = cJSON_GetObjectItem(info, "Config");
	hc = cJSON_GetObjectItem(info, "HostConfig");
	spec = cJSON_CreateObject();
	host = cJSON_AddObjectToObject(spec, "HostConfig");
	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++) {
		cJSON *v = cJSON_GetObjectItem(cfg, cfg_keys[i]);

		if (v)
			cJSON_AddItemToObject(spec, cfg_keys[i], cJSON_Duplicate(v, true));
	}
	for (size_t i = 0; i < sizeof(host_keys) / sizeof(host_keys[0]); i++) {
		cJSON *v = cJSON_GetObjectItem(hc, host_keys[i]);

		if (v)
			cJSON_AddItemToObject(host, host_keys[i], cJSON_Duplicate(v, true));
	}
	bench_floor_labels(spec, b->owner);
	if (!cJSON_GetObjectItem(spec, "Image") || !cJSON_GetObjectItem(host, "PortBindings")) {
		fprintf(stderr, "bench_lambda: container %s has no image or port binding\n", id);
		cJSON_Delete(spec);
		return NULL;
	}
	return spec;
}

/* The port the engine published for the emulator's 8080/tcp; 0 if none. */
static int published_port(const cJSON *info)
{
	const cJSON *p = cJSON_GetObjectItem(cJSON_GetObjectItem(info, "NetworkSettings"), "Ports");

	p = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "8080/tcp"), 0);
	p = cJSON_GetObjectItem(p, "HostPort");
	return cJSON_IsString(p) ? atoi(p->valuestring) : 0;
}

/* Raw create + upload + start + port + ready + first POST; ms, or -1.
 * The container is removed afterwards, outside the timing. */
static double raw_cold(const struct bench_lambda *b, const cJSON *spec, const struct nb_buf *tar)
{
	char id[65], path[256], name[64];
	struct nb_err err = { 0 };
	cleanup_cjson cJSON *info = NULL;
	struct engine_req put = {
		.method = "PUT",
		.path = path,
		.content_type = "application/x-tar",
		.body = tar->data,
		.body_len = tar->len,
	};
	double t0 = bench_lambda_now(), deadline, ms = -1;
	int port;
	CURL *h;

	snprintf(name, sizeof(name), "nimbusfs-bench-lambda-%08lx", (unsigned long)random());
	if (engine_container_create(b->eng, name, spec, id, &err) < 0) {
		fprintf(stderr, "bench_lambda: raw create: %s\n", err.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "/containers/%s/archive?path=/var/task", id);
	if (engine_do(b->eng, &put, NULL, &err) < 0 ||
	    engine_container_start(b->eng, id, &err) < 0 ||
	    engine_container_inspect(b->eng, id, &info, &err) < 0) {
		fprintf(stderr, "bench_lambda: raw %.12s: %s\n", id, err.msg);
		goto out;
	}
	port = published_port(info);
	if (port <= 0) {
		fprintf(stderr, "bench_lambda: raw %.12s: no published port\n", id);
		goto out;
	}
	deadline = bench_lambda_now() + READY_MS;
	while (!nb_http_answers(port, 500)) {
		if (bench_lambda_now() > deadline) {
			fprintf(stderr, "bench_lambda: raw %.12s: no answer on %d\n", id, port);
			goto out;
		}
		usleep(1000);
	}
	h = bench_lambda_port_handle(port, false);
	if (h && bench_lambda_post(h) == 0)
		ms = bench_lambda_now() - t0;
	if (h)
		curl_easy_cleanup(h);
out:
	bench_raw_remove(b->eng, &id, 1);
	return ms;
}

/* Evicts the warm container, waits until it is gone, times one invoke. */
static double nb_cold(const struct bench_lambda *b)
{
	char id[13];
	int port;
	long served;
	double t0;

	if (bench_lambda_warm_ctr(b, id, &port, &served) < 0) {
		fprintf(stderr, "bench_lambda: no warm container to evict\n");
		return -1;
	}
	if (bench_fn_write(b->fn_dir, "warm", "evict\n", 6) < 0 || wait_gone(b, id) < 0)
		return -1;
	t0 = bench_lambda_now();
	if (!bench_lambda_invoke(b, "cold invoke"))
		return -1;
	return bench_lambda_now() - t0;
}

int bench_lambda_cold(struct bench_lambda *b, const char *id, int n)
{
	double t_nb[BENCH_LAMBDA_MAX_COLD], t_raw[BENCH_LAMBDA_MAX_COLD];
	cleanup_cjson cJSON *spec = floor_spec(b, id);
	struct nb_buf tar = { 0 };
	struct nb_err err = { 0 };
	int got = 0;

	if (!spec)
		return -1;
	if (nb_tar_file("function.sh", 0644, BENCH_LAMBDA_HANDLER_SH,
			sizeof(BENCH_LAMBDA_HANDLER_SH) - 1, &tar, &err) < 0) {
		fprintf(stderr, "bench_lambda: tar: %s\n", err.msg);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		double x = nb_cold(b), y;

		if (x < 0)
			break;
		y = raw_cold(b, spec, &tar);
		if (y < 0)
			break;
		t_nb[got] = x;
		t_raw[got] = y;
		got++;
	}
	nb_buf_free(&tar);
	printf("cold %.1f %.1f %.1f %.1f %d\n", bench_quantile(t_nb, got, 0.5),
	       bench_quantile(t_nb, got, 0.9), bench_quantile(t_raw, got, 0.5),
	       bench_quantile(t_raw, got, 0.9), got);
	fflush(stdout);
	return got == n ? 0 : -1;
}
