/*
 * backend/lambda/deploy.c - deployment packages. A written zip is checked
 * whole (package.c) before anything changes; then it is unpacked beside
 * the current code, tarred for upload, and swapped in (deploy_commit.c).
 * A bad package leaves the previous code, its hash and its containers as
 * they were. Layers are in deploy_layers.c; the recovery at load of both
 * is here.
 *
 * In the function's state dir: code.zip (the bytes as written), code/ (the
 * unpacked tree, shown as code/ in the mount), code.tar (what containers
 * get), and layers/NN-name.{zip,tar} with layers/NN-name.d/.
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

static uint64_t layers_unzipped(const struct lambda_fn *fn, const char *except)
{
	uint64_t n = 0;

	for (size_t i = 0; i < fn->n_layers; i++)
		if (!except || strcmp(fn->layers[i].name, except) != 0)
			n += fn->layers[i].unzipped;
	return n;
}

/* The unzipped budget left for a package: 250 MB with the layers. */
int lambda_deploy_budget(struct lambda *l, const char *name, const char *layer, uint64_t *budget,
			 struct nb_err *err)
{
	struct lambda_fn *fn;
	uint64_t used;

	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	if (!fn) {
		pthread_mutex_unlock(&l->lock);
		return nb_err_set(err, -ENOENT, "Function not found: %s", name);
	}
	used = layers_unzipped(fn, layer);
	if (layer)
		used += fn->code_unzipped;
	pthread_mutex_unlock(&l->lock);
	*budget = used < LAMBDA_UNZIPPED_MAX ? LAMBDA_UNZIPPED_MAX - used : 0;
	return 0;
}

/* processing: Pending while a package is unpacked, the state before it
 * kept to come back to; else back to that state. */
static void set_state(struct lambda *l, const char *name, bool processing)
{
	struct lambda_fn *fn;

	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	if (fn && processing) {
		snprintf(fn->saved_state, sizeof(fn->saved_state), "%s", fn->cfg.state);
		snprintf(fn->saved_reason, sizeof(fn->saved_reason), "%s", fn->cfg.state_reason);
		snprintf(fn->saved_code, sizeof(fn->saved_code), "%s", fn->cfg.state_reason_code);
		snprintf(fn->cfg.state, sizeof(fn->cfg.state), "Pending");
		snprintf(fn->cfg.state_reason, sizeof(fn->cfg.state_reason),
			 "Processing the deployment package");
		snprintf(fn->cfg.state_reason_code, sizeof(fn->cfg.state_reason_code), "Creating");
	} else if (fn) {
		snprintf(fn->cfg.state, sizeof(fn->cfg.state), "%s", fn->saved_state);
		snprintf(fn->cfg.state_reason, sizeof(fn->cfg.state_reason), "%s",
			 fn->saved_reason);
		snprintf(fn->cfg.state_reason_code, sizeof(fn->cfg.state_reason_code), "%s",
			 fn->saved_code);
	}
	if (fn) {
		lambda_fn_touch(l, fn, LAMBDA_F_STATE);
		lambda_fn_touch(l, fn, LAMBDA_F_CONFIG);
	}
	pthread_mutex_unlock(&l->lock);
}

/* The commit (l->lock held): config.json names the new package, whose
 * files are all written; *next is the configuration saved. */
static int commit_code(struct lambda *l, struct lambda_fn *fn, const char *sha, size_t len,
		       struct lambda_config *next, struct nb_err *err)
{
	int ret = lambda_config_copy(next, &fn->cfg);

	if (ret < 0)
		return nb_err_set(err, ret, "out of memory");
	memcpy(next->code_sha256, sha, sizeof(next->code_sha256));
	next->code_size = len;
	clock_gettime(CLOCK_REALTIME, &next->last_modified);
	next->state[0] = '\0';
	ret = lambda_fn_save(l, fn, next, err);
	if (ret < 0)
		lambda_config_free(next);
	return ret;
}

/* After the commit (l->lock held): the files move in and the function
 * runs the new package; its old containers go. */
static void swap_in(struct lambda *l, struct lambda_fn *fn, const struct pkg_files *pf,
		    struct lambda_config *next, uint64_t unzipped)
{
	lambda_deploy_put(l, pf);
	lambda_config_free(&fn->cfg);
	fn->cfg = *next;
	fn->code_unzipped = unzipped;
	fn->saved_state[0] = '\0';
	lambda_fn_refresh(l, fn);
	lambda_warm_evict(l, fn, false);
	for (enum lambda_file f = LAMBDA_F_CONFIG; f <= LAMBDA_F_WARM; f++)
		lambda_fn_touch(l, fn, f);
}

int lambda_deploy_code(struct lambda *l, const char *name, const char *zip, size_t len,
		       struct nb_err *err)
{
	struct lambda_config next;
	struct pkg_files pf;
	struct lambda_fn *fn;
	uint64_t budget, unzipped = 0;
	char sha[LAMBDA_SHA256_B64_LEN];
	int ret;

	pthread_mutex_lock(&l->deploy);
	ret = lambda_deploy_budget(l, name, NULL, &budget, err);
	if (ret < 0) {
		pthread_mutex_unlock(&l->deploy);
		return nb_err_wrap(err, "code.zip rejected, the previous code is kept");
	}
	lambda_pkg_sha256_b64(zip, len, sha);
	lambda_deploy_files(l, name, NULL, &pf);
	set_state(l, name, true);
	ret = lambda_deploy_stage(l, &pf, zip, len, budget, &unzipped, "code.zip", "code", err);
	if (ret < 0) {
		set_state(l, name, false);
		pthread_mutex_unlock(&l->deploy);
		return ret;
	}
	/* The delete lock (deploy) is held: fn stays. */
	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	ret = commit_code(l, fn, sha, len, &next, err);
	if (ret < 0) {
		pthread_mutex_unlock(&l->lock);
		lambda_deploy_unstage(l, &pf);
		set_state(l, name, false);
		pthread_mutex_unlock(&l->deploy);
		return nb_err_wrap(err, "cannot deploy code.zip, the previous code is kept");
	}
	swap_in(l, fn, &pf, &next, unzipped);
	pthread_mutex_unlock(&l->lock);
	pthread_mutex_unlock(&l->deploy);
	lambda_publish(l, name, "deploy", "codeSha256", sha);
	return 0;
}

int lambda_read_tar(struct lambda *l, const char *name, const char *layer, struct nb_buf *out,
		    struct nb_err *err)
{
	cleanup_free char *data = NULL;
	struct pkg_files pf;
	size_t len;
	int ret;

	lambda_deploy_files(l, name, layer, &pf);
	ret = state_read_file(l->dirfd, pf.tar, (size_t)LAMBDA_UNZIPPED_MAX * 2, &data, &len, err);
	if (ret < 0)
		return nb_err_wrap(err, "cannot read the package of %s", name);
	return nb_buf_append(out, data, len);
}

/* The layer "NN-name.zip" an entry of layers/ other than the zip belongs
 * to, in out: a staged one, or the tar and tree a layer's zip has (which
 * outlive it when a kill cuts its rm short: the zip goes first). */
static bool layer_part(const char *entry, char *out, size_t len)
{
	static const char *const suffixes[] = { ".zip.next", ".tar.next", ".d.new",
						".d.old",    ".tar",	  ".d" };
	size_t n = strlen(entry);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		size_t s = strlen(suffixes[i]);

		if (n > s && strcmp(entry + n - s, suffixes[i]) == 0 && n - s + 5 <= len) {
			snprintf(out, len, "%.*s.zip", (int)(n - s), entry);
			return lambda_layer_name_valid(out, NULL) == 0;
		}
	}
	return false;
}

void lambda_deploy_recover(struct lambda *l, struct lambda_fn *fn)
{
	char rel[512], (*names)[128] = NULL;
	size_t n = 0, cap = 0;
	struct pkg_files pf;
	struct dirent *de;
	DIR *d;
	int fd;

	lambda_deploy_files(l, fn->name, NULL, &pf);
	lambda_deploy_recover_one(l, &pf, fn->cfg.code_sha256);

	/* The layers: their staged names first, as the recovery renames and
	 * removes entries of the directory being read. */
	snprintf(rel, sizeof(rel), "%s/layers", fn->name);
	fd = openat(l->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char layer[128];

		if (!layer_part(de->d_name, layer, sizeof(layer)))
			continue;
		if (n == cap) {
			void *grown = realloc(names, (cap = cap ? cap * 2 : 8) * sizeof(*names));

			if (!grown)
				break;
			names = grown;
		}
		memcpy(names[n++], layer, sizeof(layer));
	}
	closedir(d);
	/* A layer seen twice (its .new and its .next) is done at the first. */
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		lambda_deploy_files(l, fn->name, names[i], &pf);
		lambda_deploy_recover_one(l, &pf, NULL);
		/* No zip, even after the roll forward: what is left of a layer
		 * whose rm a kill cut short. */
		if (fstatat(l->dirfd, pf.zip, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
			unlinkat(l->dirfd, pf.tar, 0);
			lambda_pkg_remove_tree(pf.tree);
		}
	}
	free(names);
}
