/*
 * backend/lambda/package_unpack.c - writing a package's entries below a
 * fresh directory, and removing such a tree. Every path is walked one
 * component at a time from the directory's fd with O_NOFOLLOW, files are
 * created O_EXCL, so neither a hostile entry nor a symlink raced into the
 * tree can make a write land outside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/lambda/package_i.h"

#define DIR_FLAGS	 (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define REMOVE_DEPTH_MAX 512

/* Opens (creating it 0700 when missing) the directory at the first len
 * bytes of path, below root. */
static int open_dir_path(int root, const char *path, size_t len, const struct pkg_entry *e,
			 struct nb_err *err)
{
	int cur = root;

	for (size_t i = 0; i < len;) {
		size_t clen = strcspn(path + i, "/");
		char comp[LAMBDA_NAME_COMPONENT_MAX + 1];
		bool made;
		int next;

		if (i + clen > len)
			clen = len - i;
		if (clen > LAMBDA_NAME_COMPONENT_MAX) {
			if (cur != root)
				close(cur);
			return pkg_entry_err(err, -ENAMETOOLONG, e, "a component is too long");
		}
		memcpy(comp, path + i, clen);
		comp[clen] = '\0';
		made = mkdirat(cur, comp, 0700) == 0;
		next = made || errno == EEXIST ? openat(cur, comp, DIR_FLAGS) : -1;
		if (next < 0) {
			int rc = -errno;

			if (cur != root)
				close(cur);
			return pkg_entry_err(err, rc, e, "cannot make directory \"%.*s\": %s",
					     (int)(i + clen), path, strerror(-rc));
		}
		if (made)
			(void)fchmod(next, 0700); /* whatever the umask */
		if (cur != root)
			close(cur);
		cur = next;
		i += clen + 1;
	}
	return cur;
}

static int write_entry(struct pkg *p, const struct pkg_entry *e, int dir, const char *leaf,
		       struct nb_err *err)
{
	int fd cleanup_close = -1;
	int rc;

	switch (e->type) {
	case PKG_DIR:
		if (mkdirat(dir, leaf, 0700) < 0 && errno != EEXIST)
			break;
		fd = openat(dir, leaf, DIR_FLAGS);
		if (fd < 0 || fchmod(fd, 0700) < 0)
			break;
		return 0;
	case PKG_SYMLINK:
		if (symlinkat(e->target, dir, leaf) < 0)
			break;
		return 0;
	case PKG_FILE:
		fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			break;
		rc = pkg_read_entry(p, e, fd, NULL, 0, err);
		if (rc)
			return rc;
		if (fchmod(fd, e->exec ? 0700 : 0600) < 0 || close(move_fd(fd)) < 0)
			break;
		return 0;
	}
	rc = -errno;
	return pkg_entry_err(err, rc, e, "cannot create: %s", strerror(-rc));
}

static int unpack_into(struct pkg *p, int root, struct nb_err *err)
{
	/* Entries are sorted, so siblings follow each other: keep the last
	 * parent open. */
	const char *parent = NULL;
	size_t parent_len = 0;
	int pfd = root, rc = 0;

	for (size_t i = 0; !rc && i < p->n; i++) {
		const struct pkg_entry *e = &p->e[i];
		const char *slash = strrchr(e->name, '/');
		size_t len = slash ? (size_t)(slash - e->name) : 0;

		if (!parent || len != parent_len || strncmp(parent, e->name, len) != 0) {
			if (pfd != root)
				close(pfd);
			pfd = open_dir_path(root, e->name, len, e, err);
			if (pfd < 0) {
				rc = pfd;
				pfd = root;
				break;
			}
			parent = e->name;
			parent_len = len;
		}
		rc = write_entry(p, e, pfd, slash ? slash + 1 : e->name, err);
	}
	if (pfd != root)
		close(pfd);
	return rc;
}

int lambda_pkg_unpack(const void *zip, size_t len, const char *dir, uint64_t unzipped_budget,
		      uint64_t *unzipped, struct nb_err *err)
{
	const struct lambda_pkg_limits lim = pkg_limits(unzipped_budget);
	struct pkg p __attribute__((cleanup(pkg_close)));
	int root cleanup_close = -1;
	int rc = pkg_open(&p, zip, len, &lim, err);

	if (rc)
		return rc;
	if (mkdir(dir, 0700) < 0) {
		rc = -errno;
		return nb_err_set(err, rc, "cannot create %s: %s", dir, strerror(-rc));
	}
	root = open(dir, DIR_FLAGS);
	if (root < 0 || fchmod(root, 0700) < 0) {
		rc = -errno;
		nb_err_set(err, rc, "cannot open %s: %s", dir, strerror(-rc));
	} else {
		rc = unpack_into(&p, root, err);
	}
	if (rc)
		lambda_pkg_remove_tree(dir);
	else if (unzipped)
		*unzipped = p.real;
	return rc;
}

/* ---- removing ---- */

/* Removes everything in the directory open as fd (which it closes). */
static int empty_dir(int fd, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > REMOVE_DEPTH_MAX) {
		close(fd);
		return -ELOOP;
	}
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((errno = 0, de = readdir(d))) {
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			rc = rc ? rc : -errno;
			continue;
		}
		sub = openat(dirfd(d), de->d_name, DIR_FLAGS);
		if (sub < 0) {
			rc = rc ? rc : -errno;
			continue;
		}
		(void)fchmod(sub, 0700); /* a 0555 directory of ours: make it emptiable */
		sub = empty_dir(sub, depth + 1);
		if (!sub && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
			sub = -errno;
		rc = rc ? rc : sub;
	}
	if (errno && !rc)
		rc = -errno;
	closedir(d);
	return rc;
}

int lambda_pkg_remove_tree(const char *dir)
{
	int fd = open(dir, DIR_FLAGS);
	int rc;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != ENOTDIR && errno != ELOOP)
			return -errno;
		return unlink(dir) < 0 ? -errno : 0; /* a symlink or file: itself only */
	}
	rc = empty_dir(fd, 0);
	if (rc)
		return rc;
	return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}
