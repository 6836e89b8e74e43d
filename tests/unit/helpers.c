/*
 * tests/unit/helpers.c - the helpers unit tests share, so each test file
 * holds only its own module's cases.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "tests/unit/helpers.h"

char *th_dq(const char *text)
{
	char *s = strdup(text);

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

const cJSON *th_at(const cJSON *v, ...)
{
	const char *step;
	va_list ap;

	va_start(ap, v);
	while (v && (step = va_arg(ap, const char *))) {
		if (cJSON_IsArray(v))
			v = cJSON_GetArrayItem(v, atoi(step));
		else
			v = cJSON_GetObjectItemCaseSensitive(v, step);
	}
	va_end(ap);
	return v;
}

void th_assert_json(const cJSON *v, const char *expected)
{
	cleanup_free char *want = th_dq(expected);
	cleanup_free char *got = v ? json_print(v) : NULL;

	if (!got || strcmp(got, want) != 0)
		fail_msg("got  %s\nwant %s", got ? got : "(nothing)", want);
}

char *th_fixture(const char *dir, const char *name, size_t max, size_t *len_out)
{
	char path[512], here[256];
	const char *slash = strrchr(__FILE__, '/');
	size_t len = 0, n;
	char *buf;
	FILE *f;

	snprintf(path, sizeof(path), "tests/fixtures/%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f && slash) {
		snprintf(here, sizeof(here), "%.*s", (int)(slash - __FILE__), __FILE__);
		snprintf(path, sizeof(path), "%s/../fixtures/%s/%s", here, dir, name);
		f = fopen(path, "rb");
	}
	if (!f)
		fail_msg("fixture %s not found", name);
	buf = malloc(max + 1);
	assert_non_null(buf);
	while ((n = fread(buf + len, 1, max - len, f)) > 0)
		len += n;
	fclose(f);
	assert_true(len < max);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

int th_tmpdir_new(const char *tag, char *out, size_t len)
{
	int n = snprintf(out, len, "/tmp/nimbusfs-test-%s.XXXXXX", tag);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(out) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void th_tmpdir_remove(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
