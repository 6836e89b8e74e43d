/*
 * backend/lambda/deploy.c - deployment packages and layers. A written zip
 * is checked whole (package.c) before anything changes; then it is
 * unpacked beside the current code, tarred for upload, and swapped in. A
 * bad package leaves the previous code, its hash and its containers as
 * they were.
 *
 * In the function's state dir: code.zip (the bytes as written), code/ (the
 * unpacked tree, shown as code/ in the mount), code.tar (what containers
 * get), and layers/NN-name.{zip,tar} with layers/NN-name.d/. A new package
 * is staged beside them and moved in by the protocol at put_in_place(),
 * which the next load finishes or undoes after a crash.
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
#include "backend/common/log.h"
#include "backend/lambda/lambda_i.h"
#include "backend/common/tar.h"
#include "backend/lambda/package.h"
#include "backend/state/atomic.h"

/*
 * Where a package's files go in <state>/lambda/<fn>/: the unpacked tree, its
 * tar and the zip as written. A new package is staged beside them (tree
 * ".new", files ".next") and put in place only once everything is written,
 * so a failure on the way (ENOSPC) leaves the previous package whole.
 */
struct pkg_files {
	char tree[4200]; /* absolute */
	char tar[600];	 /* relative to the service's dir */
	char zip[600];
};

/* layer NULL: the code; else "NN-name.zip" */
static void pkg_files_of(struct lambda *l, const char *name, const char *layer,
			 struct pkg_files *pf)
{
	int stem = layer ? (int)(strlen(layer) - 4) : 0;

	if (!layer) {
		snprintf(pf->tree, sizeof(pf->tree), "%s/%s/%s/code", l->deps.state_path,
			 LAMBDA_DIR, name);
		snprintf(pf->tar, sizeof(pf->tar), "%s/code.tar", name);
		snprintf(pf->zip, sizeof(pf->zip), "%s/code.zip", name);
		return;
	}
	snprintf(pf->tree, sizeof(pf->tree), "%s/%s/%s/layers/%.*s.d", l->deps.state_path,
		 LAMBDA_DIR, name, stem, layer);
	snprintf(pf->tar, sizeof(pf->tar), "%s/layers/%.*s.tar", name, stem, layer);
	snprintf(pf->zip, sizeof(pf->zip), "%s/layers/%s", name, layer);
}

static void unstage(struct lambda *l, const struct pkg_files *pf)
{
	char path[4300];

	snprintf(path, sizeof(path), "%s.new", pf->tree);
	lambda_pkg_remove_tree(path);
	snprintf(path, sizeof(path), "%s.next", pf->tar);
	unlinkat(l->dirfd, path, 0);
	snprintf(path, sizeof(path), "%s.next", pf->zip);
	unlinkat(l->dirfd, path, 0);
}

/* Writes "<rel>.next" atomically (rel is "<fn>/<file>"). */
static int write_next(struct lambda *l, const char *rel, const void *data, size_t len,
		      struct nb_err *err)
{
	const char *slash = strchr(rel, '/');
	char fn[LAMBDA_FUNCTION_NAME_MAX + 1], file[600];

	snprintf(fn, sizeof(fn), "%.*s", (int)(slash - rel), rel);
	snprintf(file, sizeof(file), "%s.next", slash + 1);
	return lambda_fn_write(l, fn, file, data, len, err);
}

/* Unpacks (checking everything: a hostile package fails here, within
 * budget) and writes the staged files; what on failure names the file, as
 * "code.zip" or "layers/NN-name.zip", and kept what stays ("code"). */
static int stage(struct lambda *l, const struct pkg_files *pf, const char *zip, size_t len,
		 uint64_t budget, uint64_t *unzipped, const char *what, const char *kept,
		 struct nb_err *err)
{
	struct nb_buf tar = { 0 };
	char next[4300];
	int ret;

	unstage(l, pf);
	snprintf(next, sizeof(next), "%s.new", pf->tree);
	ret = lambda_pkg_unpack(zip, len, next, budget, unzipped, err);
	if (ret < 0)
		return nb_err_wrap(err, "%s rejected, the previous %s is kept", what, kept);
	ret = nb_tar_dir(next, &tar, err);
	if (ret == 0)
		ret = write_next(l, pf->tar, tar.data, tar.len, err);
	if (ret == 0)
		ret = write_next(l, pf->zip, zip, len, err);
	nb_buf_free(&tar);
	if (ret < 0) {
		unstage(l, pf);
		return nb_err_wrap(err, "cannot deploy %s, the previous %s is kept", what, kept);
	}
	return 0;
}

/* Renames <file>.next over <file> (rel to the service's dir); a .next
 * already gone was moved by an earlier, cut short, put_in_place. */
static void rename_next(struct lambda *l, const char *rel)
{
	char next[700];

	snprintf(next, sizeof(next), "%s.next", rel);
	if (renameat(l->dirfd, next, l->dirfd, rel) < 0 && errno != ENOENT)
		log_warn("lambda: cannot rename %s: %s", next, strerror(errno));
}

/*
 * The commit protocol of a package, so that a crash (kill -9) at any point
 * leaves it whole, old or new, once the next load has run
 * lambda_deploy_recover():
 *
 *   1. stage(): unpack into <tree>.new, write <tar>.next, then <zip>.next,
 *      each file atomically. <zip>.next is written last, so while it exists
 *      every staged part is complete.
 *   2. The commit. The code: config.json saved naming the new CodeSha256.
 *      A layer (nothing names it but its files): <zip>.next written whole;
 *      its write is answered only once it is in place, so both outcomes
 *      are allowed and the staged one is taken.
 *   3. put_in_place(): <tree> -> <tree>.old, <tree>.new -> <tree>,
 *      <tar>.next -> <tar>, and LAST <zip>.next -> <zip>; then <tree>.old
 *      is removed.
 *
 * Because <zip>.next goes last, a committed package whose move was cut
 * short always still has it: at load, a <zip>.next that the commit names
 * (its hash is config.json's, or any for a layer) is rolled forward by
 * running put_in_place() again, which is why every step of it may find
 * its work already done. Anything else staged (no <zip>.next: staging or
 * only the .old removal was cut short; a <zip>.next config.json does not
 * name: cut before the commit) is removed and the old package stays.
 */
static void put_in_place(struct lambda *l, const struct pkg_files *pf)
{
	char next[4300], old[4300];
	struct stat st;

	snprintf(next, sizeof(next), "%s.new", pf->tree);
	snprintf(old, sizeof(old), "%s.old", pf->tree);
	/* No .new: the tree was swapped already (moving <tree> aside now
	 * would lose the new one). */
	if (lstat(next, &st) == 0) {
		lambda_pkg_remove_tree(old);
		if (rename(pf->tree, old) < 0 && errno != ENOENT)
			log_warn("lambda: cannot move %s aside: %s", pf->tree, strerror(errno));
		if (rename(next, pf->tree) < 0) {
			/* Put the old tree back and leave <zip>.next: the next
			 * load tries the move again. */
			log_warn("lambda: cannot rename %s: %s", next, strerror(errno));
			if (rename(old, pf->tree) < 0 && errno != ENOENT)
				log_warn("lambda: cannot put %s back: %s", old, strerror(errno));
			return;
		}
	}
	rename_next(l, pf->tar);
	rename_next(l, pf->zip); /* the last: see above */
	lambda_pkg_remove_tree(old);
}

/* At load: finishes or undoes the put in place of one package (see
 * put_in_place). want: the CodeSha256 config.json names, or NULL for a
 * layer. */
static void recover_one(struct lambda *l, const struct pkg_files *pf, const char *want)
{
	cleanup_free char *data = NULL;
	char next[700], old[4300], sha[LAMBDA_SHA256_B64_LEN];
	bool forward = false;
	struct stat st;
	size_t len;

	snprintf(next, sizeof(next), "%s.next", pf->zip);
	if (fstatat(l->dirfd, next, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		forward = !want;
		if (want) {
			struct nb_err err = { 0 };

			/* Unreadable: it may be the committed package, so it
			 * stays for the next load rather than being undone. */
			if (state_read_file(l->dirfd, next, LAMBDA_ZIP_MAX, &data, &len, &err) <
			    0) {
				log_warn("lambda: cannot check the staged %s: %s", pf->zip,
					 err.msg);
				return;
			}
			lambda_pkg_sha256_b64(data, len, sha);
			forward = strcmp(sha, want) == 0;
		}
	}
	if (forward) {
		log_info("lambda: finishing the deploy of %s that a crash cut short", pf->zip);
		put_in_place(l, pf);
		return;
	}
	if (fstatat(l->dirfd, next, &st, AT_SYMLINK_NOFOLLOW) == 0)
		log_info("lambda: dropping the deploy of %s that a crash cut short", pf->zip);
	unstage(l, pf);
	/* The tree moves only while a committed <zip>.next exists (rolled
	 * forward above), so a <tree>.old without <tree> is not expected here;
	 * if one is, it is the only whole tree left: keep it. */
	snprintf(old, sizeof(old), "%s.old", pf->tree);
	if (lstat(pf->tree, &st) < 0 && errno == ENOENT && lstat(old, &st) == 0) {
		if (rename(old, pf->tree) < 0)
			log_warn("lambda: cannot rename %s: %s", old, strerror(errno));
		return;
	}
	lambda_pkg_remove_tree(old);
}

static uint64_t layers_unzipped(const struct lambda_fn *fn, const char *except)
{
	uint64_t n = 0;

	for (size_t i = 0; i < fn->n_layers; i++)
		if (!except || strcmp(fn->layers[i].name, except) != 0)
			n += fn->layers[i].unzipped;
	return n;
}

/* The unzipped budget left for a package: 250 MB with the layers. */
static int budget_of(struct lambda *l, const char *name, const char *layer, uint64_t *budget,
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
	ret = budget_of(l, name, NULL, &budget, err);
	if (ret < 0) {
		pthread_mutex_unlock(&l->deploy);
		return nb_err_wrap(err, "code.zip rejected, the previous code is kept");
	}
	lambda_pkg_sha256_b64(zip, len, sha);
	pkg_files_of(l, name, NULL, &pf);
	set_state(l, name, true);
	ret = stage(l, &pf, zip, len, budget, &unzipped, "code.zip", "code", err);
	if (ret < 0) {
		set_state(l, name, false);
		pthread_mutex_unlock(&l->deploy);
		return ret;
	}
	/* The delete lock (deploy) is held: fn stays. Its config names the new
	 * package only once every file of it is written. */
	pthread_mutex_lock(&l->lock);
	fn = lambda_fn_find(l, name);
	if ((ret = lambda_config_copy(&next, &fn->cfg)) < 0)
		nb_err_set(err, ret, "out of memory");
	if (ret == 0) {
		memcpy(next.code_sha256, sha, sizeof(sha));
		next.code_size = len;
		clock_gettime(CLOCK_REALTIME, &next.last_modified);
		next.state[0] = '\0';
		ret = lambda_fn_save(l, fn, &next, err);
		if (ret < 0)
			lambda_config_free(&next);
	}
	if (ret < 0) {
		pthread_mutex_unlock(&l->lock);
		unstage(l, &pf);
		set_state(l, name, false);
		pthread_mutex_unlock(&l->deploy);
		return nb_err_wrap(err, "cannot deploy code.zip, the previous code is kept");
	}
	put_in_place(l, &pf);
	lambda_config_free(&fn->cfg);
	fn->cfg = next;
	fn->code_unzipped = unzipped;
	fn->saved_state[0] = '\0';
	lambda_fn_refresh(l, fn);
	lambda_warm_evict(l, fn, false);
	for (enum lambda_file f = LAMBDA_F_CONFIG; f <= LAMBDA_F_WARM; f++)
		lambda_fn_touch(l, fn, f);
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

	pkg_files_of(l, name, layer, &pf);
	ret = state_read_file(l->dirfd, pf.tar, (size_t)LAMBDA_UNZIPPED_MAX * 2, &data, &len, err);
	if (ret < 0)
		return nb_err_wrap(err, "cannot read the package of %s", name);
	return nb_buf_append(out, data, len);
}

/* Layers. */

static int layer_name_valid(const char *layer, struct nb_err *err)
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
	int ret = layer_name_valid(layer, err);

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
	ret = budget_of(l, name, layer, &budget, err);
	if (ret < 0) {
		pthread_mutex_unlock(&l->deploy);
		return nb_err_wrap(err, "%s rejected, the previous layer is kept", what);
	}
	pkg_files_of(l, name, layer, &pf);
	ret = stage(l, &pf, data, len, budget, &ly.unzipped, what, "layer", err);
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
	put_in_place(l, &pf);
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

	pkg_files_of(l, name, layer, &pf);
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

		if (layer_name_valid(de->d_name, NULL) < 0)
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
			return layer_name_valid(out, NULL) == 0;
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

	pkg_files_of(l, fn->name, NULL, &pf);
	recover_one(l, &pf, fn->cfg.code_sha256);

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

		pkg_files_of(l, fn->name, names[i], &pf);
		recover_one(l, &pf, NULL);
		/* No zip, even after the roll forward: what is left of a layer
		 * whose rm a kill cut short. */
		if (fstatat(l->dirfd, pf.zip, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
			unlinkat(l->dirfd, pf.tar, 0);
			lambda_pkg_remove_tree(pf.tree);
		}
	}
	free(names);
}
