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
 * warm and tput: tools/bench_lambda_warm.c; cold: tools/bench_lambda_cold.c;
 * the POSTs to the port: tools/bench_lambda_port.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "backend/common/buf.h"
#include "tools/bench_lambda.h"
#include "tools/benchfn.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

#define MAX_INVOKES 5000
#define RMDIR_MS    5000 /* the function's rmdir while its container goes */

double bench_lambda_now(void)
{
	return bench_now_ms(CLOCK_MONOTONIC);
}

bool bench_lambda_answered(const struct bench_lambda *b, int ret, const char *ans, const char *what)
{
	char msg[512];

	if (ret >= 0 && strncmp(ans, "{}", 2) == 0)
		return true;
	snprintf(msg, sizeof(msg), "%s (answer \"%.200s\")", what, ans);
	bench_fail(b->fn_dir, msg, ret < 0 ? ret : -EPROTO);
	return false;
}

bool bench_lambda_invoke(const struct bench_lambda *b, const char *what)
{
	char ans[256];
	int ret = bench_fn_invoke(b->invoke, ans, sizeof(ans));

	return bench_lambda_answered(b, ret, ans, what);
}

int bench_lambda_warm_ctr(const struct bench_lambda *b, char id[13], int *port, long *served)
{
	char path[1200], buf[4096], state[16];
	int idle;

	snprintf(path, sizeof(path), "%s/warm", b->fn_dir);
	if (bench_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	if (sscanf(buf, "%12s 127.0.0.1:%d %15s %d %ld", id, port, state, &idle, served) != 5)
		return -1;
	return 0;
}

/* A zip holding function.sh (0644), built with libzip, copied to code.zip. */
static int deploy(const struct bench_lambda *b)
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
	src = zip_source_buffer(za, BENCH_LAMBDA_HANDLER_SH, sizeof(BENCH_LAMBDA_HANDLER_SH) - 1,
				0);
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
	ret = bench_fn_write(b->fn_dir, "code.zip", data.data, data.len);
out:
	unlink(tmp);
	nb_buf_free(&data);
	return ret;
}

/* MNT/lambda/nb-bench-PID: provided.al2023, function.handler, the zip. */
static int make_function(struct bench_lambda *b)
{
	char name[64];

	snprintf(name, sizeof(name), "nb-bench-%d", (int)getpid());
	if (bench_fn_make(b->mnt, name, b->fn_dir, sizeof(b->fn_dir)) < 0)
		return -1;
	snprintf(b->invoke, sizeof(b->invoke), "%s/invoke", b->fn_dir);
	if (bench_fn_write(b->fn_dir, "runtime", "provided.al2023\n", 16) < 0 ||
	    bench_fn_write(b->fn_dir, "handler", "function.handler\n", 17) < 0 || deploy(b) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench_lambda b;
	int invokes, tput, cold, port, ret = 1;
	char id[13];
	long served;

	bench_prog = "bench_lambda";
	if (argc != 6 || (invokes = atoi(argv[3])) <= 0 || invokes > MAX_INVOKES ||
	    (tput = atoi(argv[4])) <= 0 || tput > MAX_INVOKES || (cold = atoi(argv[5])) <= 0 ||
	    cold > BENCH_LAMBDA_MAX_COLD) {
		fprintf(stderr,
			"usage: bench_lambda MOUNTPOINT OWNER-ID INVOKES(1-%d) THROUGHPUT(1-%d) "
			"COLD(1-%d)\n",
			MAX_INVOKES, MAX_INVOKES, BENCH_LAMBDA_MAX_COLD);
		return 2;
	}
	b.mnt = argv[1];
	b.owner = argv[2];
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (bench_engine_open(&b.eng) < 0)
		return 1;
	if (make_function(&b) < 0 || !bench_lambda_invoke(&b, "first invoke"))
		goto out;
	if (bench_lambda_warm_ctr(&b, id, &port, &served) < 0) {
		fprintf(stderr, "bench_lambda: cannot read the warm container\n");
		goto out;
	}
	if (bench_lambda_warm(&b, port, invokes, id) < 0 || bench_lambda_tput(&b, port, tput) < 0 ||
	    bench_lambda_cold(&b, id, cold) < 0)
		goto out;
	ret = 0;
out:
	bench_fn_remove(b.fn_dir, RMDIR_MS);
	bench_lambda_port_done();
	engine_free(b.eng);
	curl_global_cleanup();
	return ret;
}
