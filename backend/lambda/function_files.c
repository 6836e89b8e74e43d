/*
 * backend/lambda/function_files.c - the files of a function directory:
 * its settings rendered from memory and changed by writing them, and the
 * files backed by the state dir (logs, code.zip, layers), which fs/ opens
 * and reads itself, without the service's lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/lambda/lambda_i.h"
#include "backend/lambda/package.h"
#include "backend/state/atomic.h"
#include "backend/state/hub.h"

static const char *const file_names[] = {
	[LAMBDA_F_CONFIG] = "config.json",
	[LAMBDA_F_RUNTIME] = "runtime",
	[LAMBDA_F_HANDLER] = "handler",
	[LAMBDA_F_TIMEOUT] = "timeout",
	[LAMBDA_F_MEMORY] = "memory-size",
	[LAMBDA_F_EPHEMERAL] = "ephemeral-storage",
	[LAMBDA_F_ENVIRONMENT] = "environment",
	[LAMBDA_F_CONCURRENCY] = "reserved-concurrency",
	[LAMBDA_F_IMAGE] = "image",
	[LAMBDA_F_CODE_ZIP] = "code.zip",
	[LAMBDA_F_CODE_SHA] = "code-sha256",
	[LAMBDA_F_STATE] = "state",
	[LAMBDA_F_RESPONSE] = "response",
	[LAMBDA_F_LAST_INVOCATION] = "last-invocation",
	[LAMBDA_F_LOGS] = "logs",
	[LAMBDA_F_WARM] = "warm",
};

/* The setting a one-value file holds. */
static enum lambda_field field_of(enum lambda_file f)
{
	switch (f) {
	case LAMBDA_F_RUNTIME:
		return LAMBDA_FIELD_RUNTIME;
	case LAMBDA_F_HANDLER:
		return LAMBDA_FIELD_HANDLER;
	case LAMBDA_F_TIMEOUT:
		return LAMBDA_FIELD_TIMEOUT;
	case LAMBDA_F_MEMORY:
		return LAMBDA_FIELD_MEMORY;
	case LAMBDA_F_EPHEMERAL:
		return LAMBDA_FIELD_EPHEMERAL;
	case LAMBDA_F_ENVIRONMENT:
		return LAMBDA_FIELD_ENVIRONMENT;
	case LAMBDA_F_CONCURRENCY:
		return LAMBDA_FIELD_CONCURRENCY;
	default:
		return LAMBDA_FIELD_IMAGE;
	}
}

void lambda_fn_touch(struct lambda *l, struct lambda_fn *fn, enum lambda_file f)
{
	char path[256];

	clock_gettime(CLOCK_REALTIME, &fn->mtime[f]);
	snprintf(path, sizeof(path), "%s/%s/%s", LAMBDA_DIR, fn->name, file_names[f]);
	state_hub_changed(l->deps.hub, path);
}

static void touch_settings(struct lambda *l, struct lambda_fn *fn)
{
	for (enum lambda_file f = LAMBDA_F_CONFIG; f <= LAMBDA_F_STATE; f++)
		if (f != LAMBDA_F_CODE_ZIP)
			lambda_fn_touch(l, fn, f);
}

int lambda_fn_read(struct lambda *l, const char *fn, const char *file, size_t max,
		   struct nb_buf *out)
{
	char name[LAMBDA_FUNCTION_NAME_MAX + 160];
	cleanup_free char *data = NULL;
	size_t len;
	int ret;

	snprintf(name, sizeof(name), "%s/%s", fn, file);
	ret = state_read_file(l->dirfd, name, max, &data, &len, NULL);
	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : nb_buf_append(out, data, len);
}

static int render_locked(struct lambda *l, struct lambda_fn *fn, enum lambda_file f,
			 struct nb_buf *out)
{
	const struct lambda_config *c = &fn->cfg;

	switch (f) {
	case LAMBDA_F_CONFIG:
		return lambda_config_render_json(c, NB_AWS_REGION, NB_AWS_ACCOUNT, out);
	case LAMBDA_F_STATE:
		return nb_buf_printf(out, "%s\n%s%s", c->state, c->state_reason,
				     c->state_reason[0] ? "\n" : "");
	case LAMBDA_F_RESPONSE:
		return nb_buf_append(out, fn->response.data, fn->response.len);
	case LAMBDA_F_LAST_INVOCATION:
		return nb_buf_append(out, fn->last_invocation.data, fn->last_invocation.len);
	case LAMBDA_F_WARM:
		lambda_warm_render(l, fn, out);
		return 0;
	case LAMBDA_F_CODE_SHA:
		return c->code_sha256[0] ? nb_buf_printf(out, "%s\n", c->code_sha256) : 0;
	default:
		return lambda_config_render_field(c, field_of(f), out);
	}
}

int lambda_render(struct lambda *l, const char *name, enum lambda_file f, struct nb_buf *out,
		  struct timespec *mtime)
{
	struct lambda_fn *fn;
	int ret;

	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	if (!fn) {
		pthread_mutex_unlock(&l->lock);
		return -ENOENT;
	}
	if (mtime)
		*mtime = fn->mtime[f];
	/* Reads open these (lambda_file_open); only `>>` on code.zip wants
	 * its whole content, read without the service's lock: it is replaced
	 * whole, never written in place. */
	if (f == LAMBDA_F_CODE_ZIP) {
		pthread_mutex_unlock(&l->lock);
		ret = lambda_fn_read(l, name, "code.zip", LAMBDA_ZIP_MAX, out);
		return ret < 0 ? ret : 0;
	}
	if (f == LAMBDA_F_LOGS) {
		pthread_mutex_unlock(&l->lock);
		return -EOPNOTSUPP;
	}
	ret = render_locked(l, fn, f, out);
	pthread_mutex_unlock(&l->lock);
	return ret < 0 ? ret : 0;
}

/* Opens <state>/lambda/<name>/<file> read-only, without the lock: *fd,
 * or -1 when the file does not exist (yet). */
static int open_unlocked(struct lambda *l, const char *name, const char *file, int *fd)
{
	char path[LAMBDA_FUNCTION_NAME_MAX + 160];

	snprintf(path, sizeof(path), "%s/%s", name, file);
	*fd = openat(l->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int lambda_file_open(struct lambda *l, const char *name, enum lambda_file f, int *fd,
		     struct timespec *mtime)
{
	struct lambda_fn *fn;

	*fd = -1;
	if (f != LAMBDA_F_LOGS && f != LAMBDA_F_CODE_ZIP)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	if (fn)
		*mtime = fn->mtime[f];
	pthread_mutex_unlock(&l->lock);
	if (!fn)
		return -ENOENT;
	/* logs is only appended to and code.zip only replaced by rename, so
	 * an open fd reads a whole file, never one being rewritten. */
	return open_unlocked(l, name, file_names[f], fd);
}

int lambda_layer_open(struct lambda *l, const char *name, const char *layer, int *fd,
		      struct timespec *mtime)
{
	const struct lambda_layer *ly = NULL;
	struct lambda_fn *fn;
	char file[160];

	*fd = -1;
	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	/* A function has at most a handful of layers. */
	for (size_t i = 0; fn && !ly && i < fn->n_layers; i++)
		if (strcmp(fn->layers[i].name, layer) == 0)
			ly = &fn->layers[i];
	if (ly)
		*mtime = ly->mtime;
	pthread_mutex_unlock(&l->lock);
	if (!ly)
		return -ENOENT;
	snprintf(file, sizeof(file), "layers/%s", layer);
	return open_unlocked(l, name, file, fd);
}

/* Applies a setting to a copy, saves the copy, then makes it the config:
 * a bad value or a failed save leaves everything as it was. */
static int write_setting(struct lambda *l, struct lambda_fn *fn, enum lambda_file f,
			 const char *data, size_t len, struct nb_err *err)
{
	struct lambda_config next;
	int ret = lambda_config_copy(&next, &fn->cfg);

	if (ret < 0)
		return nb_err_set(err, ret, "out of memory");
	if (f == LAMBDA_F_CONFIG)
		ret = lambda_config_apply_json(&next, data, len, err);
	else
		ret = lambda_config_set_field(&next, field_of(f), data, len, err);
	if (ret == 0) {
		clock_gettime(CLOCK_REALTIME, &next.last_modified);
		ret = lambda_fn_save(l, fn, &next, err);
	}
	if (ret < 0) {
		lambda_config_free(&next);
		return ret;
	}
	lambda_config_free(&fn->cfg);
	fn->cfg = next;
	lambda_fn_refresh(l, fn);
	/* Old containers run the old configuration: idle ones go now, busy
	 * ones when their invocation ends. */
	lambda_warm_evict(l, fn, false);
	touch_settings(l, fn);
	/* A new reserved-concurrency may free or forbid waiting invocations. */
	pthread_cond_broadcast(&l->freed);
	return 0;
}

int lambda_write(struct lambda *l, const char *name, enum lambda_file f, const char *data,
		 size_t len, struct nb_err *err)
{
	struct lambda_fn *fn;
	int ret;

	if (f == LAMBDA_F_CODE_ZIP)
		return lambda_deploy_code(l, name, data, len, err);
	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	if (!fn) {
		ret = nb_err_set(err, -ENOENT, "Function not found: %s", name);
	} else if (f == LAMBDA_F_WARM) {
		size_t n = len;

		while (n && (data[n - 1] == '\n' || data[n - 1] == ' '))
			n--;
		if (n == 5 && memcmp(data, "evict", 5) == 0) {
			lambda_warm_evict(l, fn, true);
			ret = 0;
		} else {
			ret = nb_err_set(err, -EINVAL,
					 "warm: unknown command \"%.*s\" (use: evict)",
					 (int)(n > 64 ? 64 : n), data);
		}
	} else {
		ret = write_setting(l, fn, f, data, len, err);
	}
	pthread_mutex_unlock(&l->lock);
	if (ret == 0)
		lambda_publish(l, name, "update", "file", file_names[f]);
	return ret;
}
