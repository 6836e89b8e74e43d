/*
 * backend/lambda/coldstart.c - a function's container, from nothing to
 * answering: pick the image, create the container with the function's
 * limits and environment, upload the package through the Engine API's
 * archive endpoint (so a remote engine works too), start it, find its
 * 127.0.0.1 port and wait until the emulator answers there.
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

int lambda_image_for(struct lambda *l, const struct lambda_config *cfg, char *out, size_t len,
		     struct nb_err *err)
{
	const char *aws;
	cJSON *info = NULL;

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
	if (engine_image_pull(l->deps.eng, aws, NULL, NULL, err) < 0)
		return nb_err_wrap(err,
				   "Runtime.ImagePullError: cannot pull %s for %s (use "
				   "--lambda-image %s=IMAGE)",
				   aws, cfg->runtime, cfg->runtime);
	return 0;
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

static int wait_ready(int port, const char *id, struct nb_err *err)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
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

int lambda_coldstart(struct lambda *l, const struct lambda_start *s, struct lambda_ctr **out,
		     struct nb_err *err)
{
	const struct lambda_config *cfg = &s->cfg;
	cleanup_cjson cJSON *spec = NULL;
	struct lambda_ctr *c;
	char image[512], name[128], rnd[9];
	unsigned char r[4];
	int ret;

	ret = lambda_image_for(l, cfg, image, sizeof(image), err);
	if (ret < 0)
		return ret;
	spec = lambda_container_spec(l, s->name, cfg, image, s->fp);
	c = calloc(1, sizeof(*c));
	if (!spec || !c) {
		free(c);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return nb_err_set(err, -errno, "getrandom: %s", strerror(errno));
	snprintf(rnd, sizeof(rnd), "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
	snprintf(name, sizeof(name), "nimbusfs-lambda-%s-%s", s->name, rnd);
	memcpy(c->fp, s->fp, sizeof(c->fp));
	ret = engine_container_create(l->deps.eng, name, spec, c->id, err);
	if (ret < 0) {
		free(c);
		return nb_err_wrap(err, "cannot create a container from %s", image);
	}
	ret = upload_all(l, s, c->id, err);
	if (ret == 0)
		ret = engine_container_start(l->deps.eng, c->id, err);
	if (ret == 0)
		ret = host_port(l, c->id, &c->port, err);
	if (ret == 0)
		ret = wait_ready(c->port, c->id, err);
	if (ret == 0 && !(c->curl = curl_easy_init()))
		ret = nb_err_set(err, -ENOMEM, "out of memory");
	if (ret < 0) {
		engine_container_remove(l->deps.eng, c->id, true, true, NULL);
		free(c);
		return ret;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	c->idle_since = c->started;
	*out = c;
	return 0;
}
