/*
 * backend/lambda/function.c - functions' lifecycle: made with mkdir, kept
 * in the state dir as <state>/lambda/<name>/config.json beside their
 * package, loaded at start, deleted with rmdir, found by name through an
 * index. The files that show and change a function are function_files.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/index.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/lambda/lambda_i.h"
#include "backend/lambda/package.h"
#include "backend/state/atomic.h"
#include "backend/state/hub.h"

struct lambda_fn *lambda_fn_find(struct lambda *l, const char *name)
{
	return nb_index_find(&l->fn_index, name, struct lambda_fn, ix);
}

/* Lists fn first, as readdir has always shown the newest first. */
static void fn_link(struct lambda *l, struct lambda_fn *fn)
{
	fn->next = l->fns;
	l->fns = fn;
	nb_index_add(&l->fn_index, &fn->ix, fn->name);
}

static void fn_free(struct lambda_fn *fn)
{
	lambda_config_free(&fn->cfg);
	free(fn->layers);
	nb_buf_free(&fn->response);
	nb_buf_free(&fn->last_invocation);
	free(fn);
}

void lambda_fn_put(struct lambda *l, struct lambda_fn *fn)
{
	(void)l;
	if (--fn->refs == 0)
		fn_free(fn);
}

void lambda_fn_path(struct lambda *l, const struct lambda_fn *fn, const char *file, char *out,
		    size_t len)
{
	snprintf(out, len, "%s/%s/%s%s%s", l->deps.state_path, LAMBDA_DIR, fn->name,
		 file ? "/" : "", file ? file : "");
}

void lambda_publish(struct lambda *l, const char *name, const char *action, const char *key,
		    const char *value)
{
	cJSON *fields = cJSON_CreateObject();

	if (fields) {
		json_add_str(fields, "action", action);
		if (key)
			json_add_str(fields, key, value);
	}
	state_hub_publish(l->deps.hub, "lambda", name, fields);
}

int lambda_fn_write(struct lambda *l, const char *name, const char *file, const void *data,
		    size_t len, struct nb_err *err)
{
	char dir[512];
	const char *slash = strrchr(file, '/');
	int fd, ret;

	snprintf(dir, sizeof(dir), "%s%s%.*s", name, slash ? "/" : "",
		 slash ? (int)(slash - file) : 0, file);
	fd = openat(l->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nb_err_set(err, -errno, "cannot open %s/%s/%s: %s", l->deps.state_path,
				  LAMBDA_DIR, dir, strerror(errno));
	ret = state_write_atomic(fd, slash ? slash + 1 : file, data, len, 0600, err);
	close(fd);
	return ret;
}

int lambda_fn_save(struct lambda *l, const struct lambda_fn *fn, const struct lambda_config *cfg,
		   struct nb_err *err)
{
	cleanup_cjson cJSON *j = NULL;
	cleanup_free char *text = NULL;
	int ret = lambda_config_to_json(cfg, &j);

	if (ret < 0 || !(text = cJSON_Print(j)))
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = lambda_fn_write(l, fn->name, "config.json", text, strlen(text), err);
	return ret < 0 ? nb_err_wrap(err, "cannot save function %s", fn->name) : 0;
}

/* What a function still needs before it can run, for `state`. */
static void missing_parts(const struct lambda_fn *fn, char *out, size_t len)
{
	const struct lambda_config *c = &fn->cfg;
	const char *parts[3];
	int n = 0;

	out[0] = '\0';
	if (strcmp(lambda_config_package_type(c), "Image") == 0) {
		if (!c->image[0])
			parts[n++] = "image";
	} else {
		if (!c->runtime[0])
			parts[n++] = "runtime";
		if (!c->handler[0])
			parts[n++] = "handler";
		if (!c->code_sha256[0])
			parts[n++] = "code.zip";
	}
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
			 i == 0	      ? ""
			 : i == n - 1 ? " and "
				      : ", ",
			 parts[i]);
}

void lambda_fn_refresh(struct lambda *l, struct lambda_fn *fn)
{
	struct lambda_config *c = &fn->cfg;
	struct lambda_config_layer *layers = calloc(fn->n_layers + 1, sizeof(*layers));
	char missing[64];

	(void)l;
	missing_parts(fn, missing, sizeof(missing));
	if (strcmp(c->state, "Failed") != 0) {
		if (missing[0]) {
			snprintf(c->state, sizeof(c->state), "Pending");
			snprintf(c->state_reason, sizeof(c->state_reason),
				 "The function is waiting for its %s", missing);
			snprintf(c->state_reason_code, sizeof(c->state_reason_code), "Creating");
		} else {
			snprintf(c->state, sizeof(c->state), "Active");
			c->state_reason[0] = c->state_reason_code[0] = '\0';
		}
	}
	/* config.json lists the layers, and a container runs these exact ones. */
	for (size_t i = 0; layers && i < fn->n_layers; i++) {
		layers[i].name = fn->layers[i].name;
		layers[i].code_size = fn->layers[i].size;
		memcpy(layers[i].code_sha256, fn->layers[i].sha, sizeof(layers[i].code_sha256));
	}
	if (layers)
		lambda_config_set_layers(c, layers, fn->n_layers);
	free(layers);
	lambda_config_fingerprint(c, fn->fp);
}

/* At load: a function whose package is gone from the state dir cannot run
 * until code.zip is written again; the unzipped size counts against the
 * layers' budget (the tar holds at least that much). */
static void check_package(struct lambda *l, struct lambda_fn *fn)
{
	char rel[LAMBDA_FUNCTION_NAME_MAX + 16];
	struct stat st;

	fn->cfg.state[0] = '\0';
	if (!fn->cfg.code_sha256[0])
		return;
	snprintf(rel, sizeof(rel), "%s/code.tar", fn->name);
	if (fstatat(l->dirfd, rel, &st, 0) == 0) {
		fn->code_unzipped = (uint64_t)st.st_size;
		return;
	}
	snprintf(fn->cfg.state, sizeof(fn->cfg.state), "Failed");
	snprintf(fn->cfg.state_reason, sizeof(fn->cfg.state_reason),
		 "The deployment package is missing from %s/%s/%s; write code.zip again",
		 l->deps.state_path, LAMBDA_DIR, fn->name);
	snprintf(fn->cfg.state_reason_code, sizeof(fn->cfg.state_reason_code),
		 "InvalidZipFileException");
}

static int load_one(struct lambda *l, const char *name)
{
	char path[LAMBDA_FUNCTION_NAME_MAX + 16];
	struct nb_err err = { 0 };
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *j = NULL;
	struct lambda_fn *fn;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%.64s/config.json", name);
	ret = state_read_file(l->dirfd, path, 1 << 20, &text, &len, &err);
	if (ret < 0 || !(j = json_parse(text, len, &err))) {
		log_warn("lambda: skipping function %s: %s", name, err.msg);
		return 0;
	}
	fn = calloc(1, sizeof(*fn));
	if (!fn)
		return -ENOMEM;
	snprintf(fn->name, sizeof(fn->name), "%.64s", name);
	lambda_config_init(&fn->cfg, name);
	if (lambda_config_from_json(&fn->cfg, j, &err) < 0) {
		log_warn("lambda: skipping function %s: %s", name, err.msg);
		fn_free(fn);
		return 0;
	}
	fn->refs = 1;
	lambda_deploy_recover(l, fn);
	lambda_load_layers(l, fn);
	check_package(l, fn);
	lambda_fn_refresh(l, fn);
	for (enum lambda_file f = LAMBDA_F_CONFIG; f <= LAMBDA_F_WARM; f++)
		fn->mtime[f] = fn->cfg.last_modified;
	fn_link(l, fn);
	return 0;
}

static int load_all(struct lambda *l)
{
	int fd = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (ret == 0 && (de = readdir(d))) {
		if (strncmp(de->d_name, LAMBDA_TOMBSTONE, strlen(LAMBDA_TOMBSTONE)) == 0) {
			char path[4096];

			/* a delete that a crash cut short */
			snprintf(path, sizeof(path), "%s/%s/%s", l->deps.state_path, LAMBDA_DIR,
				 de->d_name);
			lambda_pkg_remove_tree(path);
		} else if (de->d_name[0] != '.' && lambda_name_valid(de->d_name, NULL) == 0) {
			ret = load_one(l, de->d_name);
		}
	}
	closedir(d);
	return ret;
}

int lambda_new(const struct lambda_deps *deps, struct lambda **out, struct nb_err *err)
{
	struct lambda *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return nb_err_set(err, -ENOMEM, "out of memory");
	l->deps = *deps;
	snprintf(l->owner, sizeof(l->owner), "%s", deps->owner);
	l->deps.owner = l->owner;
	if (l->deps.idle_seconds <= 0)
		l->deps.idle_seconds = LAMBDA_IDLE_DEFAULT;
	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->deploy, NULL);
	pthread_cond_init(&l->freed, NULL);
	{
		/* The reaper sleeps until CLOCK_MONOTONIC idle deadlines. */
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&l->reaper_wake, &attr);
		pthread_condattr_destroy(&attr);
	}
	pthread_cond_init(&l->async_wake, NULL);
	nb_cancel_init(&l->async_cancel);
	l->dirfd = -1;
	if (mkdirat(deps->statedirfd, LAMBDA_DIR, 0700) < 0 && errno != EEXIST) {
		ret = nb_err_set(err, -errno, "cannot create %s/%s: %s", deps->state_path,
				 LAMBDA_DIR, strerror(errno));
		goto fail;
	}
	l->dirfd = openat(deps->statedirfd, LAMBDA_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0) {
		ret = nb_err_set(err, -errno, "cannot open %s/%s: %s", deps->state_path, LAMBDA_DIR,
				 strerror(errno));
		goto fail;
	}
	ret = load_all(l);
	if (ret < 0) {
		nb_err_set(err, ret, "cannot load Lambda functions: %s", strerror(-ret));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	lambda_free(l);
	return ret;
}

void lambda_free(struct lambda *l)
{
	if (!l)
		return;
	lambda_stop(l);
	/* What invocations ended after the stop queued (fs drains them last). */
	lambda_reaper_flush(l);
	while (l->fns) {
		struct lambda_fn *fn = l->fns;

		l->fns = fn->next;
		lambda_fn_put(l, fn);
	}
	nb_index_free(&l->fn_index);
	if (l->dirfd >= 0)
		close(l->dirfd);
	pthread_cond_destroy(&l->async_wake);
	nb_cancel_destroy(&l->async_cancel);
	pthread_cond_destroy(&l->reaper_wake);
	pthread_cond_destroy(&l->freed);
	pthread_mutex_destroy(&l->deploy);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

int lambda_create(struct lambda *l, const char *name, struct nb_err *err)
{
	struct lambda_fn *fn;
	int ret;

	ret = lambda_name_valid(name, err);
	if (ret < 0)
		return ret;
	fn = calloc(1, sizeof(*fn));
	if (!fn)
		return nb_err_set(err, -ENOMEM, "out of memory");
	snprintf(fn->name, sizeof(fn->name), "%s", name);
	lambda_config_init(&fn->cfg, name);
	clock_gettime(CLOCK_REALTIME, &fn->cfg.last_modified);
	fn->refs = 1;
	pthread_mutex_lock(&l->lock);
	if (lambda_fn_find(l, name)) {
		pthread_mutex_unlock(&l->lock);
		fn_free(fn);
		return nb_err_set(err, -EEXIST,
				  "Function already exist: %s (ResourceConflictException)", name);
	}
	if (mkdirat(l->dirfd, name, 0700) < 0 && errno != EEXIST) {
		ret = nb_err_set(err, -errno, "cannot create function %s: %s", name,
				 strerror(errno));
	} else {
		lambda_fn_refresh(l, fn);
		ret = lambda_fn_save(l, fn, &fn->cfg, err);
	}
	if (ret < 0) {
		unlinkat(l->dirfd, name, AT_REMOVEDIR);
		pthread_mutex_unlock(&l->lock);
		fn_free(fn);
		return ret;
	}
	for (enum lambda_file f = LAMBDA_F_CONFIG; f <= LAMBDA_F_WARM; f++)
		fn->mtime[f] = fn->cfg.last_modified;
	fn_link(l, fn);
	state_hub_changed(l->deps.hub, LAMBDA_DIR);
	pthread_mutex_unlock(&l->lock);
	lambda_publish(l, name, "create", NULL, NULL);
	return 0;
}

int lambda_delete(struct lambda *l, const char *name, struct nb_err *err)
{
	char tomb[LAMBDA_FUNCTION_NAME_MAX + 32], path[4096];
	struct lambda_fn **pp, *fn;
	unsigned char rnd[4] = { 0 };
	int ret;

	/* Not while its package is being processed; and its directory moves
	 * aside at once, so a function made again with its name starts empty. */
	pthread_mutex_lock(&l->deploy);
	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	if (!fn) {
		pthread_mutex_unlock(&l->lock);
		pthread_mutex_unlock(&l->deploy);
		return nb_err_set(err, -ENOENT, "Function not found: %s", name);
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		log_warn("lambda: getrandom: %s", strerror(errno));
	snprintf(tomb, sizeof(tomb), "%s%s-%02x%02x%02x%02x", LAMBDA_TOMBSTONE, name, rnd[0],
		 rnd[1], rnd[2], rnd[3]);
	if (renameat(l->dirfd, name, l->dirfd, tomb) < 0 && errno != ENOENT) {
		ret = nb_err_set(err, -errno, "cannot delete function %s: %s", name,
				 strerror(errno));
		pthread_mutex_unlock(&l->lock);
		pthread_mutex_unlock(&l->deploy);
		return ret;
	}
	for (pp = &l->fns; *pp != fn; pp = &(*pp)->next)
		;
	*pp = fn->next;
	nb_index_remove(&l->fn_index, &fn->ix);
	fn->deleted = true;
	pthread_cond_broadcast(&l->freed); /* its waiting invocations end */
	/* Busy containers go when their invocation ends. */
	lambda_warm_evict(l, fn, true);
	state_hub_changed(l->deps.hub, LAMBDA_DIR);
	lambda_fn_put(l, fn);
	pthread_mutex_unlock(&l->lock);
	pthread_mutex_unlock(&l->deploy);
	snprintf(path, sizeof(path), "%s/%s/%s", l->deps.state_path, LAMBDA_DIR, tomb);
	ret = lambda_pkg_remove_tree(path);
	if (ret < 0)
		log_warn("lambda: cannot remove %s: %s", path, strerror(-ret));
	lambda_publish(l, name, "delete", NULL, NULL);
	return 0;
}

bool lambda_exists(struct lambda *l, const char *name)
{
	bool found;

	pthread_mutex_lock(&l->lock);
	found = lambda_fn_find(l, name) != NULL;
	pthread_mutex_unlock(&l->lock);
	return found;
}

int lambda_list(struct lambda *l, int (*emit)(void *ud, const char *name), void *ud)
{
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	for (struct lambda_fn *fn = l->fns; fn && ret == 0; fn = fn->next)
		ret = emit(ud, fn->name);
	pthread_mutex_unlock(&l->lock);
	return ret;
}
