/*
 * tools/bench_lambda.c - nimbusfs's Lambda figures against floors measured
 * in the same process, with the same clock.
 *
 *   bench_lambda MOUNTPOINT OWNER-ID INVOKES THROUGHPUT COLD
 *
 * Makes a provided.al2023 function whose handler is `handler() { echo '{}'; }`
 * (the zip is built here with libzip), invokes it once to get a warm
 * container, and reads that container's 127.0.0.1 port from `warm`. Then:
 *
 *   warm   INVOKES rounds, each one invocation through the mount (open
 *          `invoke` O_RDWR, write "{}", read to EOF, close) and the same
 *          POST with libcurl straight to the container's published port,
 *          once on one kept-alive connection (what nimbusfs does) and once
 *          on a fresh connection. Interleaved, so drift hits all alike.
 *   tput   THROUGHPUT sequential invocations through the mount, then the
 *          same number of kept-alive POSTs to the port: invocations/s.
 *   cold   COLD rounds of: `echo evict > warm`, wait until the evicted
 *          container is gone from the engine, then one invocation through
 *          the mount (open to answer); against raw create (the warm
 *          container's own image, Cmd, Env, memory, tmpfs and 127.0.0.1:
 *          port binding, as nimbusfs built it) + PUT of a tar holding
 *          function.sh into /var/task + start + inspect for the port +
 *          polling GET / until the emulator answers (every 1 ms) + the
 *          first POST, over one kept-alive Engine API connection
 *          (DOCKER_HOST honoured). Raw containers carry the label
 *          io.nimbusfs.owner=OWNER-ID-floor and are removed after each round.
 *
 * Prints (latencies in microseconds, cold start in milliseconds):
 *   warm <nb med> <nb p90> <curl med> <curl p90> <fresh med> <fresh p90> <samples>
 *   tput <n> <nb invokes/s> <curl invokes/s>
 *   cold <nb med> <nb p90> <raw med> <raw p90> <samples>
 * The function is removed at the end (evict, rmdir). Every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/common/probe.h"
#include "tools/benchlib.h"
#include "backend/engine/containers.h"
#include "backend/engine/engine.h"

#define MAX_INVOKES  5000
#define MAX_COLD     50
#define INVOKE_PATH  "/2015-03-31/functions/function/invocations"
#define HANDLER_SH   "handler() { echo '{}'; }\n"
#define PAYLOAD	     "{}"
#define GONE_WAIT_MS 20000 /* an evicted container's removal */
#define READY_MS     10000 /* a raw container's emulator answering */
#define CURL_TIMEOUT 30000L

static const char *mnt;
static char fn_dir[1024];
static struct engine *eng;

static double now_ms(void)
{
	return bench_now_ms(CLOCK_MONOTONIC);
}

/* ---- the mount ---- */

static int write_file(const char *name, const void *data, size_t len)
{
	char path[1200];
	size_t off = 0;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", fn_dir, name);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bench_lambda: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n < 0) {
			fprintf(stderr, "bench_lambda: write %s: %s\n", path, strerror(errno));
			ret = -1;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && ret == 0) {
		fprintf(stderr, "bench_lambda: close %s: %s\n", path, strerror(errno));
		ret = -1;
	}
	return ret;
}

static int read_file(const char *name, char *out, size_t len)
{
	char path[1200];
	size_t off = 0;
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fn_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (off + 1 < len && (n = read(fd, out + off, len - 1 - off)) > 0)
		off += (size_t)n;
	out[off] = '\0';
	close(fd);
	return n < 0 ? -1 : 0;
}

static void show_last_error(void)
{
	char why[512];

	if (read_file("last-error", why, sizeof(why)) == 0 && why[0])
		fprintf(stderr, "bench_lambda: last-error: %s", why);
}

/* One invocation through the mount: open, write, read to EOF, close.
 * Returns the answer's length, or -1. */
static ssize_t invoke(char *ans, size_t len)
{
	static char path[1200];
	size_t off = 0;
	ssize_t n = 0;
	int fd;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/invoke", fn_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, PAYLOAD, sizeof(PAYLOAD) - 1) != (ssize_t)sizeof(PAYLOAD) - 1) {
		close(fd);
		return -1;
	}
	while (off + 1 < len && (n = read(fd, ans + off, len - 1 - off)) > 0)
		off += (size_t)n;
	ans[off] = '\0';
	if (close(fd) < 0 || n < 0)
		return -1;
	return (ssize_t)off;
}

static bool answer_ok(const char *ans)
{
	return strncmp(ans, "{}", 2) == 0;
}

/* The first line of `warm`: short id and port of the only container. */
static int warm_ctr(char id[13], int *port, long *served)
{
	char buf[4096], state[16];
	int idle;

	if (read_file("warm", buf, sizeof(buf)) < 0)
		return -1;
	if (sscanf(buf, "%12s 127.0.0.1:%d %15s %d %ld", id, port, state, &idle, served) != 5)
		return -1;
	return 0;
}

/* A zip holding function.sh (0644), built with libzip, copied to code.zip. */
static int deploy(void)
{
	char tmp[] = "/tmp/nimbusfs-bench-lambda-XXXXXX";
	struct nb_buf data = { 0 };
	zip_source_t *src;
	zip_int64_t idx;
	zip_t *za;
	char chunk[4096];
	ssize_t n;
	int fd, err = 0, ret = -1;

	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	close(fd);
	za = zip_open(tmp, ZIP_CREATE | ZIP_TRUNCATE, &err);
	if (!za)
		goto out;
	src = zip_source_buffer(za, HANDLER_SH, sizeof(HANDLER_SH) - 1, 0);
	idx = src ? zip_file_add(za, "function.sh", src, ZIP_FL_OVERWRITE) : -1;
	if (idx < 0 ||
	    zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
					     (zip_uint32_t)(S_IFREG | 0644) << 16) < 0 ||
	    zip_close(za) < 0) {
		fprintf(stderr, "bench_lambda: zip: %s\n", zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		nb_buf_append(&data, chunk, (size_t)n);
	close(fd);
	ret = write_file("code.zip", data.data, data.len);
out:
	unlink(tmp);
	nb_buf_free(&data);
	return ret;
}

static int make_function(void)
{
	snprintf(fn_dir, sizeof(fn_dir), "%s/lambda/nb-bench-%d", mnt, (int)getpid());
	if (mkdir(fn_dir, 0755) < 0) {
		fprintf(stderr, "bench_lambda: mkdir %s: %s\n", fn_dir, strerror(errno));
		fn_dir[0] = '\0';
		return -1;
	}
	if (write_file("runtime", "provided.al2023\n", 16) < 0 ||
	    write_file("handler", "function.handler\n", 17) < 0 || deploy() < 0) {
		show_last_error();
		return -1;
	}
	return 0;
}

static void remove_function(void)
{
	if (!fn_dir[0])
		return;
	(void)write_file("warm", "evict\n", 6);
	for (int tries = 0; tries < 100; tries++) {
		if (rmdir(fn_dir) == 0)
			return;
		if (errno != EBUSY)
			break;
		usleep(50000);
	}
	fprintf(stderr, "bench_lambda: rmdir %s: %s\n", fn_dir, strerror(errno));
}

/* ---- straight to the port ---- */

struct sink {
	char data[256];
	size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n, room = sizeof(s->data) - 1 - s->len;

	memcpy(s->data + s->len, p, len < room ? len : room);
	s->len += len < room ? len : room;
	s->data[s->len] = '\0';
	return len;
}

static struct sink curl_sink;
static struct curl_slist *curl_hdrs;

/* A handle set up once for POSTs to port: the same request nimbusfs sends. */
static CURL *port_handle(int port, bool fresh)
{
	static char url[128];
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	if (!curl_hdrs) {
		curl_hdrs = curl_slist_append(curl_hdrs, "Content-Type: application/json");
		curl_hdrs = curl_slist_append(curl_hdrs, "Expect:");
		curl_hdrs = curl_slist_append(curl_hdrs, "X-Amzn-RequestId: "
							 "00000000-0000-4000-8000-000000000000");
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, INVOKE_PATH);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, curl_hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, PAYLOAD);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(sizeof(PAYLOAD) - 1));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, CURL_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &curl_sink);
	if (fresh) {
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	}
	return h;
}

static int post(CURL *h)
{
	long status = 0;
	CURLcode rc;

	curl_sink.len = 0;
	curl_sink.data[0] = '\0';
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200 || !answer_ok(curl_sink.data)) {
		fprintf(stderr, "bench_lambda: POST: %s, HTTP %ld, %s\n", curl_easy_strerror(rc),
			status, curl_sink.data);
		return -1;
	}
	return 0;
}

/* ---- warm latency and throughput ---- */

static int bench_warm(int port, int n, const char *id)
{
	double *t_nb = calloc((size_t)n, sizeof(double)), *t_ka = calloc((size_t)n, sizeof(double));
	double *t_fr = calloc((size_t)n, sizeof(double));
	CURL *ka = port_handle(port, false), *fr = port_handle(port, true);
	char ans[256], id2[13];
	int got = 0, ret = -1, port2;
	long served0 = 0, served1 = 0;

	if (!t_nb || !t_ka || !t_fr || !ka || !fr)
		goto out;
	if (warm_ctr(id2, &port2, &served0) < 0)
		goto out;
	/* Warm-up: a tenth of the rounds, at least 10. */
	for (int i = 0; i < (n / 10 > 10 ? n / 10 : 10); i++)
		if (invoke(ans, sizeof(ans)) < 0 || post(ka) < 0 || post(fr) < 0)
			goto out;
	if (warm_ctr(id2, &port2, &served0) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		double t0 = now_ms(), t1, t2, t3;
		ssize_t len = invoke(ans, sizeof(ans));

		t1 = now_ms();
		if (len < 0 || !answer_ok(ans)) {
			fprintf(stderr, "bench_lambda: invoke: %s (%s)\n", strerror(errno), ans);
			show_last_error();
			goto out;
		}
		if (post(ka) < 0)
			goto out;
		t2 = now_ms();
		if (post(fr) < 0)
			goto out;
		t3 = now_ms();
		t_nb[got] = (t1 - t0) * 1e3;
		t_ka[got] = (t2 - t1) * 1e3;
		t_fr[got] = (t3 - t2) * 1e3;
		got++;
	}
	/* Every invocation through the mount went to the container measured
	 * with curl: the same one, and its served count grew by n. */
	if (warm_ctr(id2, &port2, &served1) < 0 || strcmp(id, id2) != 0 || port != port2 ||
	    served1 - served0 != n)
		fprintf(stderr,
			"bench_lambda: warning: warm container changed (%s:%d -> %s:%d) or served "
			"%ld, not %d\n",
			id, port, id2, port2, served1 - served0, n);
	printf("warm %.1f %.1f %.1f %.1f %.1f %.1f %d\n", bench_quantile(t_nb, got, 0.5),
	       bench_quantile(t_nb, got, 0.9), bench_quantile(t_ka, got, 0.5),
	       bench_quantile(t_ka, got, 0.9), bench_quantile(t_fr, got, 0.5),
	       bench_quantile(t_fr, got, 0.9), got);
	fflush(stdout);
	ret = 0;
out:
	if (ka)
		curl_easy_cleanup(ka);
	if (fr)
		curl_easy_cleanup(fr);
	free(t_nb);
	free(t_ka);
	free(t_fr);
	return ret;
}

static int bench_tput(int port, int n)
{
	CURL *ka = port_handle(port, false);
	char ans[256];
	double t0, nb_s, curl_s;

	if (!ka)
		return -1;
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		if (invoke(ans, sizeof(ans)) < 0 || !answer_ok(ans)) {
			fprintf(stderr, "bench_lambda: invoke: %s (%s)\n", strerror(errno), ans);
			curl_easy_cleanup(ka);
			return -1;
		}
	nb_s = (now_ms() - t0) / 1e3;
	if (post(ka) < 0) { /* connect outside the timed loop, as nimbusfs's is */
		curl_easy_cleanup(ka);
		return -1;
	}
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		if (post(ka) < 0) {
			curl_easy_cleanup(ka);
			return -1;
		}
	curl_s = (now_ms() - t0) / 1e3;
	curl_easy_cleanup(ka);
	printf("tput %d %.0f %.0f\n", n, n / nb_s, n / curl_s);
	fflush(stdout);
	return 0;
}

/* ---- cold start ---- */

static int engine_open(void)
{
	const char *url = getenv("DOCKER_HOST") ? getenv("DOCKER_HOST") : ENGINE_DEFAULT_URL;
	struct engine_info info;
	struct nb_err err = { 0 };

	if (engine_new(url, &eng, &err) < 0 || engine_negotiate(eng, &info, &err) < 0) {
		fprintf(stderr, "bench_lambda: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Waits until the engine no longer knows container id (a short id works). */
static int wait_gone(const char *id)
{
	double deadline = now_ms() + GONE_WAIT_MS;

	while (now_ms() < deadline) {
		cJSON *info = NULL;
		int ret = engine_container_inspect(eng, id, &info, NULL);

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
static cJSON *floor_spec(const char *id, const char *owner)
{
	cleanup_cjson cJSON *info = NULL;
	cJSON *spec, *cfg, *host, *labels, *hc;
	char floor_owner[128];
	struct nb_err err = { 0 };
	static const char *const cfg_keys[] = { "Image", "Cmd", "Env", "ExposedPorts" };
	static const char *const host_keys[] = { "PortBindings", "Memory", "MemorySwap", "Tmpfs" };

	if (engine_container_inspect(eng, id, &info, &err) < 0) {
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
	labels = cJSON_AddObjectToObject(spec, "Labels");
	snprintf(floor_owner, sizeof(floor_owner), "%s-floor", owner);
	json_add_str(labels, "io.nimbusfs.owner", floor_owner);
	json_add_str(labels, "io.nimbusfs.kind", "bench");
	if (!cJSON_GetObjectItem(spec, "Image") || !cJSON_GetObjectItem(host, "PortBindings")) {
		fprintf(stderr, "bench_lambda: container %s has no image or port binding\n", id);
		cJSON_Delete(spec);
		return NULL;
	}
	return spec;
}

/* A tar (ustar) holding function.sh, mode 0644. */
static void make_tar(struct nb_buf *tar)
{
	char hdr[512] = { 0 }, pad[1024] = { 0 };
	size_t len = sizeof(HANDLER_SH) - 1;
	unsigned sum = 0;

	snprintf(hdr, 100, "function.sh");
	snprintf(hdr + 100, 8, "%07o", 0644);
	snprintf(hdr + 108, 8, "%07o", 0);
	snprintf(hdr + 116, 8, "%07o", 0);
	snprintf(hdr + 124, 12, "%011zo", len);
	snprintf(hdr + 136, 12, "%011lo", (unsigned long)time(NULL));
	memset(hdr + 148, ' ', 8);
	hdr[156] = '0';
	memcpy(hdr + 257, "ustar", 6);
	memcpy(hdr + 263, "00", 2);
	for (size_t i = 0; i < sizeof(hdr); i++)
		sum += (unsigned char)hdr[i];
	snprintf(hdr + 148, 8, "%06o", sum);
	hdr[155] = ' ';
	nb_buf_append(tar, hdr, sizeof(hdr));
	nb_buf_append(tar, HANDLER_SH, len);
	nb_buf_append(tar, pad, (512 - len % 512) % 512);
	nb_buf_append(tar, pad, sizeof(pad));
}

/* Raw create + upload + start + port + ready + first POST; ms, or -1.
 * The container is removed afterwards, outside the timing. */
static double raw_cold(const cJSON *spec, const struct nb_buf *tar)
{
	char id[65], path[256], name[64];
	struct nb_err err = { 0 };
	cleanup_cjson cJSON *info = NULL;
	const cJSON *p;
	struct engine_req put = {
		.method = "PUT",
		.path = path,
		.content_type = "application/x-tar",
		.body = tar->data,
		.body_len = tar->len,
	};
	double t0 = now_ms(), deadline, ms = -1;
	int port;
	CURL *h;

	snprintf(name, sizeof(name), "nimbusfs-bench-lambda-%08lx", (unsigned long)random());
	if (engine_container_create(eng, name, spec, id, &err) < 0) {
		fprintf(stderr, "bench_lambda: raw create: %s\n", err.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "/containers/%s/archive?path=/var/task", id);
	if (engine_do(eng, &put, NULL, &err) < 0 || engine_container_start(eng, id, &err) < 0 ||
	    engine_container_inspect(eng, id, &info, &err) < 0) {
		fprintf(stderr, "bench_lambda: raw %.12s: %s\n", id, err.msg);
		goto out;
	}
	p = cJSON_GetObjectItem(cJSON_GetObjectItem(info, "NetworkSettings"), "Ports");
	p = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "8080/tcp"), 0);
	p = cJSON_GetObjectItem(p, "HostPort");
	port = cJSON_IsString(p) ? atoi(p->valuestring) : 0;
	if (port <= 0) {
		fprintf(stderr, "bench_lambda: raw %.12s: no published port\n", id);
		goto out;
	}
	deadline = now_ms() + READY_MS;
	while (!nb_http_answers(port, 500)) {
		if (now_ms() > deadline) {
			fprintf(stderr, "bench_lambda: raw %.12s: no answer on %d\n", id, port);
			goto out;
		}
		usleep(1000);
	}
	h = port_handle(port, false);
	if (h && post(h) == 0)
		ms = now_ms() - t0;
	if (h)
		curl_easy_cleanup(h);
out:
	if (engine_container_remove(eng, id, true, true, &err) < 0)
		fprintf(stderr, "bench_lambda: remove %.12s: %s\n", id, err.msg);
	return ms;
}

/* Evicts the warm container, waits until it is gone, times one invoke. */
static double nb_cold(void)
{
	char id[13], ans[256];
	int port;
	long served;
	double t0, ms;

	if (warm_ctr(id, &port, &served) < 0) {
		fprintf(stderr, "bench_lambda: no warm container to evict\n");
		return -1;
	}
	if (write_file("warm", "evict\n", 6) < 0 || wait_gone(id) < 0)
		return -1;
	t0 = now_ms();
	if (invoke(ans, sizeof(ans)) < 0 || !answer_ok(ans)) {
		fprintf(stderr, "bench_lambda: cold invoke: %s (%s)\n", strerror(errno), ans);
		show_last_error();
		return -1;
	}
	ms = now_ms() - t0;
	return ms;
}

static int bench_cold(const char *owner, const char *id, int n)
{
	double t_nb[MAX_COLD], t_raw[MAX_COLD];
	cleanup_cjson cJSON *spec = floor_spec(id, owner);
	struct nb_buf tar = { 0 };
	int got = 0;

	if (!spec)
		return -1;
	make_tar(&tar);
	for (int i = 0; i < n; i++) {
		double a = nb_cold(), b;

		if (a < 0)
			break;
		b = raw_cold(spec, &tar);
		if (b < 0)
			break;
		t_nb[got] = a;
		t_raw[got] = b;
		got++;
	}
	nb_buf_free(&tar);
	printf("cold %.1f %.1f %.1f %.1f %d\n", bench_quantile(t_nb, got, 0.5),
	       bench_quantile(t_nb, got, 0.9), bench_quantile(t_raw, got, 0.5),
	       bench_quantile(t_raw, got, 0.9), got);
	fflush(stdout);
	return got == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	int invokes, tput, cold, port, ret = 1;
	char ans[256], id[13];
	long served;

	if (argc != 6 || (invokes = atoi(argv[3])) <= 0 || invokes > MAX_INVOKES ||
	    (tput = atoi(argv[4])) <= 0 || tput > MAX_INVOKES || (cold = atoi(argv[5])) <= 0 ||
	    cold > MAX_COLD) {
		fprintf(stderr,
			"usage: bench_lambda MOUNTPOINT OWNER-ID INVOKES(1-%d) THROUGHPUT(1-%d) "
			"COLD(1-%d)\n",
			MAX_INVOKES, MAX_INVOKES, MAX_COLD);
		return 2;
	}
	mnt = argv[1];
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (engine_open() < 0)
		return 1;
	if (make_function() < 0)
		goto out;
	if (invoke(ans, sizeof(ans)) < 0 || !answer_ok(ans)) {
		fprintf(stderr, "bench_lambda: first invoke: %s (%s)\n", strerror(errno), ans);
		show_last_error();
		goto out;
	}
	if (warm_ctr(id, &port, &served) < 0) {
		fprintf(stderr, "bench_lambda: cannot read the warm container\n");
		goto out;
	}
	if (bench_warm(port, invokes, id) < 0 || bench_tput(port, tput) < 0 ||
	    bench_cold(argv[2], id, cold) < 0)
		goto out;
	ret = 0;
out:
	remove_function();
	curl_slist_free_all(curl_hdrs);
	engine_free(eng);
	curl_global_cleanup();
	return ret;
}
