/*
 * backend/lambda/coldstart.c - a function's container, from nothing to
 * answering: pick the image, create the container with the function's
 * limits and environment, upload the package through the Engine API's
 * archive endpoint (so a remote engine works too), start it, find its
 * 127.0.0.1 port and wait until the emulator answers there. It runs on
 * the invocation's own thread and stops between its steps, and while it
 * waits, once the invocation's cancel token (or the service's stop) fires;
 * what it made then goes to the reaper, off the caller's path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <string.h>
#include <unistd.h>

#include "backend/common/labels.h"
#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/common/probe.h"
#include "backend/engine/containers.h"
#include "backend/engine/images.h"
#include "backend/lambda/coldstart.h"

#define LAMBDA_LABEL_CONFIG "io.nimbusfs.lambda.config"

/* Whether the cold start is to stop: its caller went away, or nimbusfs is
 * stopping. */
static bool stopped(struct lambda *l, struct nb_cancel *cancel)
{
	return nb_cancelled(cancel) || nb_cancelled(&l->async_cancel);
}

/* Fires the pull's own token when either token fires. */
struct pull_stop {
	struct nb_cancel token;
	struct nb_cancel_hook caller, service;
};

static void fire_pull(void *ud)
{
	nb_cancel_fire(ud);
}

static int pull(struct lambda *l, const char *image, struct nb_cancel *cancel, struct nb_err *err)
{
	struct pull_stop p;
	int ret;

	nb_cancel_init(&p.token);
	p.caller = (struct nb_cancel_hook){ .fn = fire_pull, .ud = &p.token };
	p.service = (struct nb_cancel_hook){ .fn = fire_pull, .ud = &p.token };
	nb_cancel_hook_add(cancel, &p.caller);
	nb_cancel_hook_add(&l->async_cancel, &p.service);
	ret = engine_image_pull_cancel(l->deps.eng, image, NULL, NULL, &p.token, err);
	nb_cancel_hook_del(&l->async_cancel, &p.service);
	nb_cancel_hook_del(cancel, &p.caller);
	nb_cancel_destroy(&p.token);
	return ret;
}

int lambda_image_for(struct lambda *l, const struct lambda_config *cfg, struct nb_cancel *cancel,
		     char *out, size_t len, struct nb_err *err)
{
	const char *aws;
	cJSON *info = NULL;
	int ret;

	if (cfg->image[0]) {
		snprintf(out, len, "%s", cfg->image);
		return 0;
	}
	for (int i = 0; i < l->deps.n_images; i++)
		if (strcmp(l->deps.images[i].runtime, cfg->runtime) == 0) {
			snprintf(out, len, "%s", l->deps.images[i].image);
			return 0;
		}
	aws = lambda_runtime_image(cfg->runtime);
	if (!aws)
		return nb_err_set(err, -EINVAL, "runtime %s has no image", cfg->runtime);
	snprintf(out, len, "%s", aws);
	if (engine_image_inspect(l->deps.eng, aws, &info, NULL) == 0) {
		cJSON_Delete(info);
		return 0;
	}
	/* No registry answers here: OS-only runtimes fall back to the shell
	 * runtime nimbusfs builds itself. Others are pulled (and say why not). */
	if (lambda_runtime_is_provided(cfg->runtime)) {
		snprintf(out, len, "%s", LAMBDA_LOCAL_PROVIDED_IMAGE);
		return 0;
	}
	ret = pull(l, aws, cancel, err);
	if (ret < 0 && ret != -EINTR)
		return nb_err_wrap(err,
				   "Runtime.ImagePullError: cannot pull %s for %s (use "
				   "--lambda-image %s=IMAGE)",
				   aws, cfg->runtime, cfg->runtime);
	return ret;
}

static void add_env(cJSON *env, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_env(cJSON *env, const char *key, const char *fmt, ...)
{
	char value[512], line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s=%s", key, value);
	json_array_add_str(env, line);
}

/* Lambda's standard environment, then the function's own variables. */
static cJSON *environment(const char *name, const struct lambda_config *cfg)
{
	cJSON *env = cJSON_CreateArray();

	if (!env)
		return NULL;
	add_env(env, "AWS_LAMBDA_FUNCTION_NAME", "%s", name);
	add_env(env, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
	add_env(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "%d", cfg->memory_mb);
	add_env(env, "AWS_LAMBDA_FUNCTION_TIMEOUT", "%d", cfg->timeout);
	add_env(env, "AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/%s", name);
	add_env(env, "AWS_LAMBDA_LOG_STREAM_NAME", "$LATEST");
	add_env(env, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
	add_env(env, "AWS_REGION", "%s", NB_AWS_REGION);
	add_env(env, "AWS_DEFAULT_REGION", "%s", NB_AWS_REGION);
	if (cfg->runtime[0])
		add_env(env, "AWS_EXECUTION_ENV", "AWS_Lambda_%s", cfg->runtime);
	add_env(env, "_HANDLER", "%s", cfg->handler);
	add_env(env, "LAMBDA_TASK_ROOT", "/var/task");
	add_env(env, "LAMBDA_RUNTIME_DIR", "/var/runtime");
	add_env(env, "TZ", ":UTC");
	for (size_t i = 0; i < cfg->n_env; i++) {
		size_t klen = strlen(cfg->env[i].key), vlen = strlen(cfg->env[i].value);
		char *line = malloc(klen + vlen + 2);

		if (!line)
			continue;
		memcpy(line, cfg->env[i].key, klen);
		line[klen] = '=';
		memcpy(line + klen + 1, cfg->env[i].value, vlen + 1);
		json_array_add_str(env, line);
		free(line);
	}
	return env;
}

cJSON *lambda_container_spec(struct lambda *l, const char *fn_name, const struct lambda_config *cfg,
			     const char *image, const char *fp)
{
	cleanup_cjson cJSON *spec = cJSON_CreateObject();
	cJSON *labels, *host, *bindings, *binding, *tmpfs, *ports, *cmd;
	char opts[128];
	double bytes = (double)cfg->memory_mb * 1024 * 1024;

	if (!spec)
		return NULL;
	json_add_str(spec, "Image", image);
	if (!cfg->image[0] && (cmd = cJSON_AddArrayToObject(spec, "Cmd")))
		json_array_add_str(cmd, cfg->handler); /* AWS's images take the handler as CMD */
	cJSON_AddItemToObject(spec, "Env", environment(fn_name, cfg));
	labels = cJSON_AddObjectToObject(spec, "Labels");
	json_add_str(labels, NB_LABEL_OWNER, l->owner);
	json_add_str(labels, NB_LABEL_KIND, NB_KIND_LAMBDA);
	json_add_str(labels, NB_LABEL_OBJECT, fn_name);
	json_add_str(labels, LAMBDA_LABEL_CONFIG, fp);
	ports = cJSON_AddObjectToObject(spec, "ExposedPorts");
	cJSON_AddObjectToObject(ports, "8080/tcp");
	host = cJSON_AddObjectToObject(spec, "HostConfig");
	bindings = cJSON_AddObjectToObject(host, "PortBindings");
	binding = cJSON_AddArrayToObject(bindings, "8080/tcp");
	if (binding) {
		cJSON *b = cJSON_CreateObject();

		json_add_str(b, "HostIp", "127.0.0.1");
		json_add_str(b, "HostPort", "");
		cJSON_AddItemToArray(binding, b);
	}
	json_add_num(host, "Memory", bytes);
	json_add_num(host, "MemorySwap", bytes);
	tmpfs = cJSON_AddObjectToObject(host, "Tmpfs");
	snprintf(opts, sizeof(opts), "rw,nosuid,nodev,size=%dm,mode=1777", cfg->ephemeral_mb);
	json_add_str(tmpfs, "/tmp", opts);
	if (!cJSON_GetObjectItem(spec, "Env") || !host || !tmpfs || !labels)
		return NULL;
	return move_ptr(spec);
}

static int upload(struct lambda *l, const char *id, const struct nb_buf *tar, const char *dest,
		  struct nb_err *err)
{
	char path[256];
	struct engine_req req = {
		.method = "PUT",
		.path = path,
		.content_type = "application/x-tar",
		.body = tar->data,
		.body_len = tar->len,
	};

	snprintf(path, sizeof(path), "/containers/%s/archive?path=%s", id, dest);
	if (engine_do(l->deps.eng, &req, NULL, err) < 0)
		return nb_err_wrap(err, "cannot upload the package to %s", dest);
	return 0;
}

static int upload_all(struct lambda *l, const struct lambda_start *s, const char *id,
		      struct nb_err *err)
{
	const struct lambda_config *cfg = &s->cfg;
	struct nb_buf tar = { 0 };
	int ret = 0;

	if (cfg->image[0])
		return 0; /* an image function's code is its image */
	ret = lambda_read_tar(l, s->name, NULL, &tar, err);
	if (ret == 0)
		ret = upload(l, id, &tar, "/var/task", err);
	/* OS-only runtimes' images look for a packaged bootstrap in
	 * /var/runtime. */
	if (ret == 0 && lambda_runtime_is_provided(cfg->runtime) &&
	    lambda_code_kind(l, s->name, "bootstrap") == LAMBDA_CODE_FILE)
		ret = upload(l, id, &tar, "/var/runtime", err);
	for (size_t i = 0; ret == 0 && i < s->n_layers; i++) {
		nb_buf_reset(&tar);
		ret = lambda_read_tar(l, s->name, s->layers[i], &tar, err);
		if (ret == 0)
			ret = upload(l, id, &tar, "/opt", err);
	}
	nb_buf_free(&tar);
	return ret;
}

static int host_port(struct lambda *l, const char *id, int *port, struct nb_err *err)
{
	cleanup_cjson cJSON *info = NULL;
	const cJSON *p;
	int ret = engine_container_inspect(l->deps.eng, id, &info, err);

	if (ret < 0)
		return ret;
	p = cJSON_GetObjectItem(cJSON_GetObjectItem(info, "NetworkSettings"), "Ports");
	p = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "8080/tcp"), 0);
	p = cJSON_GetObjectItem(p, "HostPort");
	if (!cJSON_IsString(p) || atoi(p->valuestring) <= 0)
		return nb_err_set(err, -EIO, "container %.12s has no published port 8080", id);
	*port = atoi(p->valuestring);
	return 0;
}

static int wait_ready(struct lambda *l, struct nb_cancel *cancel, int port, const char *id,
		      struct nb_err *err)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (stopped(l, cancel))
			return -EINTR;
		if (nb_http_answers(port, 500))
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >
		    LAMBDA_READY_MS)
			return nb_err_set(err, -ETIMEDOUT,
					  "container %.12s did not answer on 127.0.0.1:%d within "
					  "%d ms",
					  id, port, LAMBDA_READY_MS);
		usleep(2000);
	}
}

/* The container, created from image with the function's spec. */
static int create(struct lambda *l, const struct lambda_start *s, const char *image,
		  struct lambda_ctr *c, struct nb_err *err)
{
	cleanup_cjson cJSON *spec = lambda_container_spec(l, s->name, &s->cfg, image, s->fp);
	char name[128];
	unsigned char r[4];

	if (!spec)
		return nb_err_set(err, -ENOMEM, "out of memory");
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return nb_err_set(err, -errno, "getrandom: %s", strerror(errno));
	snprintf(name, sizeof(name), "nimbusfs-lambda-%s-%02x%02x%02x%02x", s->name, r[0], r[1],
		 r[2], r[3]);
	memcpy(c->fp, s->fp, sizeof(c->fp));
	if (engine_container_create(l->deps.eng, name, spec, c->id, err) < 0)
		return nb_err_wrap(err, "cannot create a container from %s", image);
	return 0;
}

/* From created to answering, checking for a stop between the steps. */
static int bring_up(struct lambda *l, const struct lambda_start *s, struct nb_cancel *cancel,
		    struct lambda_ctr *c, struct nb_err *err)
{
	int ret = stopped(l, cancel) ? -EINTR : upload_all(l, s, c->id, err);

	if (ret == 0)
		ret = stopped(l, cancel) ? -EINTR : engine_container_start(l->deps.eng, c->id, err);
	if (ret == 0)
		ret = host_port(l, c->id, &c->port, err);
	if (ret == 0)
		ret = wait_ready(l, cancel, c->port, c->id, err);
	if (ret == 0 && !(c->curl = curl_easy_init()))
		ret = nb_err_set(err, -ENOMEM, "out of memory");
	return ret;
}

int lambda_coldstart(struct lambda *l, const struct lambda_start *s, struct nb_cancel *cancel,
		     struct lambda_ctr **out, struct nb_err *err)
{
	struct lambda_ctr *c;
	char image[512];
	int ret;

	ret = lambda_image_for(l, &s->cfg, cancel, image, sizeof(image), err);
	if (ret == 0 && stopped(l, cancel))
		ret = -EINTR;
	if (ret < 0)
		goto fail;
	c = calloc(1, sizeof(*c));
	if (!c)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = create(l, s, image, c, err);
	if (ret < 0) {
		free(c);
		goto fail;
	}
	ret = bring_up(l, s, cancel, c, err);
	if (ret < 0) {
		pthread_mutex_lock(&l->lock);
		lambda_reap_id(l, c->id);
		pthread_mutex_unlock(&l->lock);
		if (c->curl)
			curl_easy_cleanup(c->curl);
		free(c);
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	c->idle_since = c->started;
	*out = c;
	return 0;
fail:
	if (ret == -EINTR)
		return nb_err_set(err, -EINTR,
				  "the invocation of %s was interrupted during its cold start; the "
				  "container is removed",
				  s->name);
	return ret;
}
