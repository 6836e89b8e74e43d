/*
 * backend/common/tar.c - a tree or one file as a tar archive, for the
 * Docker Engine API (PUT /containers/{id}/archive): Lambda's packages and
 * layers, EC2's user data.
 *
 * The tar is written by hand: ustar headers, and a pax 'x' record before an
 * entry whose name or link target does not fit them. That is ~150 lines,
 * against a new library in the daemon (libarchive) whose writer would need
 * to be told to drop uids, user names, atimes and ctimes one by one; the
 * tree is one we wrote ourselves, so regular files, directories and
 * symlinks are all there is to write. The unit test reads the result back
 * with libarchive, an independent implementation.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/tar.h"

#define BLOCK	      512
#define DIR_FLAGS     (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define TAR_DEPTH_MAX 256

struct tar {
	struct nb_buf *out;
	struct nb_err *err;
	size_t start;		 /* of the archive in out */
	char path[2 * PATH_MAX]; /* of the entry being written, relative */
	size_t len;
	unsigned depth;
};

static int oom(struct tar *t)
{
	return nb_err_set(t->err, -ENOMEM, "out of memory building the tar archive");
}

/* Appends zeros up to the next block boundary. */
static int pad(struct tar *t)
{
	static const char zeros[BLOCK];
	size_t rest = (t->out->len - t->start) % BLOCK;

	return rest && nb_buf_append(t->out, zeros, BLOCK - rest) ? oom(t) : 0;
}

/* Writes v in octal, NUL-terminated, into a field of width bytes. */
static bool octal(char *field, size_t width, unsigned long long v)
{
	if (width < 22 && v >> (3 * (width - 1)))
		return false;
	snprintf(field, width, "%0*llo", (int)(width - 1), v);
	return true;
}

static int ustar(struct tar *t, const char *name, char type, unsigned mode, uint64_t size,
		 long long mtime, const char *link)
{
	char h[BLOCK] = { 0 };
	size_t nlen = strlen(name), split = 0;
	unsigned sum = 0;

	/* Past 100 bytes, the name may go in prefix/name split at a '/'. */
	if (nlen > 100) {
		for (size_t i = nlen - 2; i > 0 && nlen - i - 1 <= 100; i--)
			if (name[i] == '/' && i <= 155)
				split = i;
	}
	if (split) {
		memcpy(h + 345, name, split);
		name += split + 1;
		nlen -= split + 1;
	}
	memcpy(h, name, nlen < 100 ? nlen : 100);
	if (!octal(h + 124, 12, size))
		return nb_err_set(t->err, -EFBIG, "%s: too big for a tar archive", t->path);
	octal(h + 100, 8, mode);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	if (!octal(h + 136, 12, mtime > 0 ? (unsigned long long)mtime : 0))
		octal(h + 136, 12, 0);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	octal(h + 329, 8, 0);
	octal(h + 337, 8, 0);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return nb_buf_append(t->out, h, BLOCK) ? oom(t) : 0;
}

static size_t digits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* A pax record "<len> key=value\n", len counting itself. */
static int pax_record(struct nb_buf *b, const char *key, const char *val)
{
	size_t base = strlen(key) + strlen(val) + 3, len = base + 1;

	while (len != base + digits(len))
		len = base + digits(len);
	return nb_buf_printf(b, "%zu %s=%s\n", len, key, val);
}

static bool fits_ustar(const char *name)
{
	size_t nlen = strlen(name);

	if (nlen <= 100)
		return true;
	for (size_t i = nlen - 2; i > 0 && nlen - i - 1 <= 100; i--)
		if (name[i] == '/' && i <= 155)
			return true;
	return false;
}

static int header(struct tar *t, char type, unsigned mode, uint64_t size, long long mtime,
		  const char *link)
{
	bool long_name = !fits_ustar(t->path), long_link = link && strlen(link) > 100;
	int rc;

	if (long_name || long_link) {
		struct nb_buf pax cleanup_buf = { 0 };

		if ((long_name && pax_record(&pax, "path", t->path)) ||
		    (long_link && pax_record(&pax, "linkpath", link)))
			return oom(t);
		rc = ustar(t, "././@PaxHeader", 'x', 0644, pax.len, mtime, NULL);
		if (rc)
			return rc;
		if (nb_buf_append(t->out, pax.data, pax.len))
			return oom(t);
		rc = pad(t);
		if (rc)
			return rc;
	}
	return ustar(t, t->path, type, mode, size, mtime, link);
}

static int file_data(struct tar *t, int fd, uint64_t size)
{
	uint64_t got = 0;

	if (size > SIZE_MAX - BLOCK || nb_buf_reserve(t->out, (size_t)size + BLOCK))
		return oom(t);
	while (got < size) {
		ssize_t n = read(fd, t->out->data + t->out->len, (size_t)(size - got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nb_err_set(t->err, -errno, "%s: cannot read: %s", t->path,
					  strerror(errno));
		if (n == 0)
			return nb_err_set(t->err, -EIO, "%s: shrank while being read", t->path);
		got += (uint64_t)n;
		t->out->len += (size_t)n;
	}
	t->out->data[t->out->len] = '\0';
	return pad(t);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in the directory open as dfd, NULL-terminated. */
static int list_dir(struct tar *t, int dfd, char ***names_out)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*names_out = NULL;
	if (!d) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return nb_err_set(t->err, rc, "%s: cannot list: %s", t->len ? t->path : ".",
				  strerror(-rc));
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n + 2 > cap) {
			char **grown = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*names));

			if (!grown) {
				rc = oom(t);
				break;
			}
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rc = oom(t);
			break;
		}
		names[++n] = NULL;
	}
	if (!rc && errno)
		rc = nb_err_set(t->err, -errno, "%s: cannot list: %s", t->len ? t->path : ".",
				strerror(errno));
	closedir(d);
	if (rc || !names) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		*names_out = NULL;
		return rc;
	}
	qsort(names, n, sizeof(*names), str_cmp);
	*names_out = names;
	return 0;
}

static int tar_dir(struct tar *t, int dfd);

static int tar_entry(struct tar *t, int dfd, const char *name)
{
	struct stat st;
	size_t nlen = strlen(name);
	char link[PATH_MAX + 1];
	int fd cleanup_close = -1;
	ssize_t llen;

	if (t->len + nlen + 2 >= sizeof(t->path))
		return nb_err_set(t->err, -ENAMETOOLONG, "%s/%s: path too long", t->path, name);
	memcpy(t->path + t->len, name, nlen + 1);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return nb_err_set(t->err, -errno, "%s: %s", t->path, strerror(errno));
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return nb_err_set(t->err, -errno, "%s: cannot open: %s", t->path,
					  strerror(errno));
		if (!S_ISREG(st.st_mode))
			return nb_err_set(t->err, -EAGAIN, "%s: changed while being read", t->path);
		return header(t, '0', st.st_mode & 0111 ? 0555 : 0444, (uint64_t)st.st_size,
			      st.st_mtim.tv_sec, NULL)
			       ?: file_data(t, fd, (uint64_t)st.st_size);
	case S_IFLNK:
		llen = readlinkat(dfd, name, link, sizeof(link));
		if (llen < 0)
			return nb_err_set(t->err, -errno, "%s: cannot read link: %s", t->path,
					  strerror(errno));
		if ((size_t)llen >= sizeof(link))
			return nb_err_set(t->err, -ENAMETOOLONG, "%s: link target too long",
					  t->path);
		link[llen] = '\0';
		return header(t, '2', 0777, 0, st.st_mtim.tv_sec, link);
	case S_IFDIR: {
		size_t saved = t->len;
		int rc;

		if (t->depth >= TAR_DEPTH_MAX)
			return nb_err_set(t->err, -ELOOP, "%s: more than %d levels deep", t->path,
					  TAR_DEPTH_MAX);
		fd = openat(dfd, name, DIR_FLAGS);
		if (fd < 0)
			return nb_err_set(t->err, -errno, "%s: cannot open: %s", t->path,
					  strerror(errno));
		t->len += nlen;
		t->path[t->len++] = '/';
		t->path[t->len] = '\0';
		t->depth++;
		rc = header(t, '5', 0555, 0, st.st_mtim.tv_sec, NULL) ?: tar_dir(t, fd);
		t->depth--;
		t->len = saved;
		t->path[t->len] = '\0';
		return rc;
	}
	default:
		return nb_err_set(t->err, -EINVAL,
				  "%s: special file (mode 0%o): only files, directories and "
				  "symlinks can be archived",
				  t->path, (unsigned)st.st_mode);
	}
}

static int tar_dir(struct tar *t, int dfd)
{
	char **names = NULL;
	int rc = list_dir(t, dfd, &names);

	for (size_t i = 0; names && names[i]; i++) {
		if (!rc)
			rc = tar_entry(t, dfd, names[i]);
		t->path[t->len] = '\0';
		free(names[i]);
	}
	free(names);
	return rc;
}

int nb_tar_dir(const char *dir, struct nb_buf *out, struct nb_err *err)
{
	static const char end[2 * BLOCK];
	struct tar *t cleanup_free = calloc(1, sizeof(*t));
	size_t start = out->len;
	int fd cleanup_close = -1;
	int rc;

	if (!t)
		return nb_err_set(err, -ENOMEM, "out of memory");
	t->out = out;
	t->err = err;
	t->start = start;
	fd = open(dir, DIR_FLAGS);
	if (fd < 0)
		return nb_err_set(err, -errno, "cannot open %s: %s", dir, strerror(errno));
	rc = tar_dir(t, fd);
	if (!rc && nb_buf_append(out, end, sizeof(end)))
		rc = oom(t);
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int nb_tar_file(const char *name, unsigned mode, const void *data, size_t len, struct nb_buf *out,
		struct nb_err *err)
{
	static const char end[2 * BLOCK];
	struct tar t = { .out = out, .err = err, .start = out->len };
	int rc;

	if (strlen(name) > 100)
		return nb_err_set(err, -ENAMETOOLONG, "%s: name too long for a tar entry", name);
	snprintf(t.path, sizeof(t.path), "%s", name);
	rc = ustar(&t, name, '0', mode, len, (long long)time(NULL), NULL);
	if (!rc && nb_buf_append(out, data, len))
		rc = oom(&t);
	if (!rc)
		rc = pad(&t);
	if (!rc && nb_buf_append(out, end, sizeof(end)))
		rc = oom(&t);
	if (rc)
		out->len = t.start;
	return rc;
}
