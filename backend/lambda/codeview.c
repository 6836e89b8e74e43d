/*
 * backend/lambda/codeview.c - code/: the unpacked package, read-only, as
 * the function's containers see it under /var/task.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/lambda/lambda_i.h"
#include "backend/lambda/package.h"
#include "backend/state/atomic.h"

/* "<name>/code/<rel>" relative to the service's dir. */
static void rel_path(const char *name, const char *rel, char *out, size_t len)
{
	snprintf(out, len, "%s/code%s%s", name, rel[0] ? "/" : "", rel);
}

enum lambda_code_kind lambda_code_kind(struct lambda *l, const char *name, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	rel_path(name, rel, path, sizeof(path));
	if (fstatat(l->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return LAMBDA_CODE_NONE;
	if (S_ISDIR(st.st_mode))
		return LAMBDA_CODE_DIR;
	if (S_ISLNK(st.st_mode))
		return LAMBDA_CODE_LINK;
	return S_ISREG(st.st_mode) ? LAMBDA_CODE_FILE : LAMBDA_CODE_NONE;
}

int lambda_code_list(struct lambda *l, const char *name, const char *rel,
		     int (*emit)(void *ud, const char *n), void *ud)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	rel_path(name, rel, path, sizeof(path));
	fd = openat(l->dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (ret == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			ret = emit(ud, de->d_name);
	closedir(d);
	return ret;
}

int lambda_code_render(struct lambda *l, const char *name, const char *rel, struct nb_buf *out,
		       struct timespec *mtime)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct stat st;
	char *data = NULL;
	size_t len;
	ssize_t n;
	int ret;

	rel_path(name, rel, path, sizeof(path));
	if (fstatat(l->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (mtime)
		*mtime = st.st_mtim;
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(l->dirfd, path, target, sizeof(target) - 1);
		return n < 0 ? -errno : nb_buf_append(out, target, (size_t)n);
	}
	ret = state_read_file(l->dirfd, path, (size_t)LAMBDA_UNZIPPED_MAX, &data, &len, NULL);
	if (ret == 0)
		ret = nb_buf_append(out, data, len);
	free(data);
	return ret;
}
