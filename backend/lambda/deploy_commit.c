/*
 * backend/lambda/deploy_commit.c - how a package (the code or a layer)
 * goes into a function's state dir so that a crash leaves it whole, old or
 * new: staged beside the current files, committed, then moved in, and
 * finished or undone at the next load (the protocol is at
 * lambda_deploy_put()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/log.h"
#include "backend/common/tar.h"
#include "backend/lambda/deploy_i.h"
#include "backend/lambda/package.h"
#include "backend/state/atomic.h"

void lambda_deploy_files(struct lambda *l, const char *name, const char *layer,
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

void lambda_deploy_unstage(struct lambda *l, const struct pkg_files *pf)
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

int lambda_deploy_stage(struct lambda *l, const struct pkg_files *pf, const char *zip, size_t len,
			uint64_t budget, uint64_t *unzipped, const char *what, const char *kept,
			struct nb_err *err)
{
	struct nb_buf tar = { 0 };
	char next[4300];
	int ret;

	lambda_deploy_unstage(l, pf);
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
		lambda_deploy_unstage(l, pf);
		return nb_err_wrap(err, "cannot deploy %s, the previous %s is kept", what, kept);
	}
	return 0;
}

/* Renames <file>.next over <file> (rel to the service's dir); a .next
 * already gone was moved by an earlier, cut short, lambda_deploy_put. */
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
 *   1. lambda_deploy_stage(): unpack into <tree>.new, write <tar>.next, then <zip>.next,
 *      each file atomically. <zip>.next is written last, so while it exists
 *      every staged part is complete.
 *   2. The commit. The code: config.json saved naming the new CodeSha256.
 *      A layer (nothing names it but its files): <zip>.next written whole;
 *      its write is answered only once it is in place, so both outcomes
 *      are allowed and the staged one is taken.
 *   3. lambda_deploy_put(): <tree> -> <tree>.old, <tree>.new -> <tree>,
 *      <tar>.next -> <tar>, and LAST <zip>.next -> <zip>; then <tree>.old
 *      is removed.
 *
 * Because <zip>.next goes last, a committed package whose move was cut
 * short always still has it: at load, a <zip>.next that the commit names
 * (its hash is config.json's, or any for a layer) is rolled forward by
 * running lambda_deploy_put() again, which is why every step of it may find
 * its work already done. Anything else staged (no <zip>.next: staging or
 * only the .old removal was cut short; a <zip>.next config.json does not
 * name: cut before the commit) is removed and the old package stays.
 */
void lambda_deploy_put(struct lambda *l, const struct pkg_files *pf)
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

void lambda_deploy_recover_one(struct lambda *l, const struct pkg_files *pf, const char *want)
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
		lambda_deploy_put(l, pf);
		return;
	}
	if (fstatat(l->dirfd, next, &st, AT_SYMLINK_NOFOLLOW) == 0)
		log_info("lambda: dropping the deploy of %s that a crash cut short", pf->zip);
	lambda_deploy_unstage(l, pf);
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
