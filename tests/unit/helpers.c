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
#include <zip.h>
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

char *th_zip(const struct th_zent *z, size_t n, size_t *len)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	char *out;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	assert_non_null(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	assert_non_null(za);
	zip_source_keep(src);
	for (size_t i = 0; i < n; i++) {
		zip_int64_t idx;

		if (!z[i].data) {
			idx = zip_dir_add(za, z[i].name, ZIP_FL_ENC_RAW);
		} else {
			size_t dlen = z[i].len ? z[i].len : strlen(z[i].data);
			zip_source_t *s = zip_source_buffer(za, z[i].data, dlen, 0);

			assert_non_null(s);
			idx = zip_file_add(za, z[i].name, s, ZIP_FL_ENC_RAW);
			if (idx < 0)
				zip_source_free(s);
		}
		if (idx < 0)
			fail_msg("zip_*_add(\"%s\"): %s", z[i].name, zip_strerror(za));
		if (z[i].mode)
			assert_int_equal(zip_file_set_external_attributes(
						 za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
						 (zip_uint32_t)z[i].mode << 16),
					 0);
		if (z[i].store)
			assert_int_equal(
				zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0),
				0);
	}
	if (zip_close(za) != 0)
		fail_msg("zip_close: %s", zip_strerror(za));
	assert_int_equal(zip_source_stat(src, &st), 0);
	assert_int_equal(zip_source_open(src), 0);
	out = malloc(st.size ? st.size : 1);
	assert_non_null(out);
	assert_int_equal(zip_source_read(src, out, st.size), (zip_int64_t)st.size);
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	*len = st.size;
	return out;
}
