/*
 * backend/lambda/deploy_layers.c - a function's layers: layers/NN-name.zip
 * files made by creat, written whole like code.zip (checked, staged and
 * moved in by deploy_commit.c), removed by rm, unpacked into /opt in name
 * order, and found again at load.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/lambda/deploy_i.h"
#include "backend/lambda/package.h"
#include "backend/state/atomic.h"

int lambda_layer_name_valid(const char *layer, struct nb_err *err)
{
	size_t n = strlen(layer);

	if (n < 8 || n > 100 || layer[0] < '0' || layer[0] > '9' || layer[1] < '0' ||
	    layer[1] > '9' || layer[2] != '-' || strcmp(layer + n - 4, ".zip") != 0 ||
	    strspn(layer + 3,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n - 3)
		return nb_err_set(err, -EINVAL,
				  "layers/%.100s: a layer is named NN-name.zip (two digits, a "
				  "dash, then letters, digits, '.', '_' or '-')",
				  layer);
	return 0;
}

static int layer_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lambda_layer *)a)->name,
		      ((const struct lambda_layer *)b)->name);
}

static struct lambda_layer *layer_find(struct lambda_fn *fn, const char *layer)
{
	for (size_t i = 0; i < fn->n_layers; i++)
		if (strcmp(fn->layers[i].name, layer) == 0)
			return &fn->layers[i];
	return NULL;
}

/* Adds or replaces a layer entry (lock held); keeps them in name order. */
static int layer_put(struct lambda_fn *fn, const struct lambda_layer *ly)
{
	struct lambda_layer *slot = layer_find(fn, ly->name), *grown;

	if (!slot) {
		grown = realloc(fn->layers, (fn->n_layers + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		fn->layers = grown;
		slot = &fn->layers[fn->n_layers++];
	}
	*slot = *ly;
	qsort(fn->layers, fn->n_layers, sizeof(*fn->layers), layer_cmp);
	return 0;
}

static void layers_changed(struct lambda *l, struct lambda_fn *fn)
{
	lambda_fn_refresh(l, fn);
	lambda_warm_evict(l, fn, false);
	lambda_fn_touch(l, fn, LAMBDA_F_CONFIG);
}

/* Forgets a layer entry (lock held); its files are the caller's. */
static void layer_drop(struct lambda *l, struct lambda_fn *fn, struct lambda_layer *ly)
{
	*ly = fn->layers[--fn->n_layers];
	qsort(fn->layers, fn->n_layers, sizeof(*fn->layers), layer_cmp);
	layers_changed(l, fn);
}

int lambda_layer_create(struct lambda *l, const char *name, const char *layer, struct nb_err *err)
{
	struct lambda_layer ly = { 0 };
	struct lambda_fn *fn;
	char rel[512];
	int ret = lambda_layer_name_valid(layer, err);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	if (!fn) {
		ret = nb_err_set(err, -ENOENT, "Function not found: %s", name);
	} else if (!layer_find(fn, layer)) {
		snprintf(rel, sizeof(rel), "%s/layers", name);
		if (mkdirat(l->dirfd, rel, 0700) < 0 && errno != EEXIST) {
			ret = nb_err_set(err, -errno, "cannot create layers of %s: %s", name,
					 strerror(errno));
		} else {
			snprintf(ly.name, sizeof(ly.name), "%s", layer);
			clock_gettime(CLOCK_REALTIME, &ly.mtime);
			ret = layer_put(fn, &ly);
			if (ret == 0)
				layers_changed(l, fn);
		}
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

/* A layer file made by the write that was just refused holds nothing:
 * it goes, rather than stay behind as an empty layer. */
static void drop_if_empty(struct lambda *l, const char *name, const char *layer)
{
	struct lambda_layer *ly;
	struct lambda_fn *fn;

	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	ly = fn ? layer_find(fn, layer) : NULL;
	if (ly && ly->size == 0)
		layer_drop(l, fn, ly);
	pthread_mutex_unlock(&l->lock);
}

int lambda_layer_write(struct lambda *l, const char *name, const char *layer, const char *data,
		       size_t len, struct nb_err *err)
{
	struct lambda_layer ly = { 0 };
	struct pkg_files pf;
	struct lambda_fn *fn;
	uint64_t budget;
	char what[160];
	int ret;

	pthread_mutex_lock(&l->deploy);
	snprintf(what, sizeof(what), "layers/%s", layer);
	ret = lambda_deploy_budget(l, name, layer, &budget, err);
	if (ret < 0) {
		pthread_mutex_unlock(&l->deploy);
		return nb_err_wrap(err, "%s rejected, the previous layer is kept", what);
	}
	lambda_deploy_files(l, name, layer, &pf);
	ret = lambda_deploy_stage(l, &pf, data, len, budget, &ly.unzipped, what, "layer", err);
	if (ret < 0) {
		pthread_mutex_unlock(&l->deploy);
		drop_if_empty(l, name, layer);
		return ret;
	}
	snprintf(ly.name, sizeof(ly.name), "%s", layer);
	lambda_pkg_sha256_b64(data, len, ly.sha);
	ly.size = len;
	clock_gettime(CLOCK_REALTIME, &ly.mtime);
	pthread_mutex_lock(&l->lock);
	lambda_deploy_put(l, &pf);
	fn = lambda_fn_find(l, name);
	ret = layer_put(fn, &ly);
	if (ret == 0)
		layers_changed(l, fn);
	pthread_mutex_unlock(&l->lock);
	pthread_mutex_unlock(&l->deploy);
	return ret < 0 ? nb_err_set(err, ret, "out of memory") : 0;
}

int lambda_layer_remove(struct lambda *l, const char *name, const char *layer, struct nb_err *err)
{
	struct lambda_layer *ly;
	struct lambda_fn *fn;
	struct pkg_files pf;
	int ret = 0;

	lambda_deploy_files(l, name, layer, &pf);
	/* As a layer write does: one that is putting this layer in place must
	 * not see its new tree removed under it. */
	pthread_mutex_lock(&l->deploy);
	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	ly = fn ? layer_find(fn, layer) : NULL;
	if (!ly) {
		ret = nb_err_set(err, -ENOENT, "layers/%s: no such layer", layer);
	} else if (unlinkat(l->dirfd, pf.zip, 0) < 0 && errno != ENOENT) {
		/* The zip is the layer: while it stays, so does the layer. */
		ret = nb_err_set(err, -errno, "layers/%s: cannot remove it: %s", layer,
				 strerror(errno));
	} else {
		unlinkat(l->dirfd, pf.tar, 0);
		layer_drop(l, fn, ly);
	}
	pthread_mutex_unlock(&l->lock);
	if (ret == 0)
		lambda_pkg_remove_tree(pf.tree);
	pthread_mutex_unlock(&l->deploy);
	return ret;
}

bool lambda_layer_exists(struct lambda *l, const char *name, const char *layer)
{
	struct lambda_fn *fn;
	bool found;

	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	found = fn && layer_find(fn, layer);
	pthread_mutex_unlock(&l->lock);
	return found;
}

int lambda_layer_list(struct lambda *l, const char *name, int (*emit)(void *ud, const char *n),
		      void *ud)
{
	struct lambda_fn *fn;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	for (size_t i = 0; fn && ret == 0 && i < fn->n_layers; i++)
		ret = emit(ud, fn->layers[i].name);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int lambda_layer_render(struct lambda *l, const char *name, const char *layer, struct nb_buf *out,
			struct timespec *mtime)
{
	struct lambda_fn *fn;
	struct lambda_layer *ly;
	char file[160];

	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	ly = fn ? layer_find(fn, layer) : NULL;
	if (ly && mtime)
		*mtime = ly->mtime;
	pthread_mutex_unlock(&l->lock);
	if (!ly)
		return -ENOENT;
	snprintf(file, sizeof(file), "layers/%s", layer);
	return lambda_fn_read(l, name, file, LAMBDA_ZIP_MAX, out);
}

/* At load: the layers a function's state dir holds. */
int lambda_load_layers(struct lambda *l, struct lambda_fn *fn)
{
	char rel[512];
	struct dirent *de;
	DIR *d;
	int fd;

	snprintf(rel, sizeof(rel), "%s/layers", fn->name);
	fd = openat(l->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct lambda_layer ly = { 0 };
		cleanup_free char *data = NULL;
		struct stat st;
		size_t len;

		if (lambda_layer_name_valid(de->d_name, NULL) < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/layers/%s", fn->name, de->d_name);
		if (state_read_file(l->dirfd, rel, LAMBDA_ZIP_MAX, &data, &len, NULL) < 0)
			continue;
		snprintf(ly.name, sizeof(ly.name), "%.127s", de->d_name);
		if (len) {
			lambda_pkg_sha256_b64(data, len, ly.sha);
			lambda_pkg_check(data, len, LAMBDA_UNZIPPED_MAX, &ly.unzipped, NULL);
		}
		ly.size = len;
		if (fstatat(l->dirfd, rel, &st, 0) == 0)
			ly.mtime = st.st_mtim;
		layer_put(fn, &ly);
	}
	closedir(d);
	return 0;
}
