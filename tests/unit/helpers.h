/*
 * tests/unit/helpers.h - what several unit tests share: JSON written with '
 * for ", a path into a JSON value, fixture files, fresh temp dirs and zips.
 * Failures go through cmocka, so these are only for use inside a test.
 */
#ifndef NB_TEST_HELPERS_H
#define NB_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* Returns text with every ' turned into "; the caller frees it. */
char *th_dq(const char *text);

/* The value at a path of keys and indexes ("containerDefinitions", "0",
 * ...), the list ended by NULL; NULL when a step is missing. TH_AT ends it. */
const cJSON *th_at(const cJSON *v, ...);

#define TH_AT(v, ...) th_at(v, __VA_ARGS__, (const char *)NULL)

/* Fails the test unless v prints (unformatted) as expected, in ' quoting. */
void th_assert_json(const cJSON *v, const char *expected);

/*
 * Reads tests/fixtures/<dir>/<name>, from the repository root or relative
 * to this file, into a NUL-terminated buffer the caller frees; stores its
 * length in *len_out (may be NULL). Fails the test when the file is missing
 * or not shorter than max bytes.
 */
char *th_fixture(const char *dir, const char *name, size_t max, size_t *len_out);

/* Makes a fresh directory /tmp/nimbusfs-test-<tag>.XXXXXX and writes its
 * path into out (len bytes). Returns 0, or -1 with errno set. */
int th_tmpdir_new(const char *tag, char *out, size_t len);

/* Removes dir and everything below it, not following symlinks. */
void th_tmpdir_remove(const char *dir);

/* One entry of a zip th_zip() builds. */
struct th_zent {
	const char *name;
	const char *data; /* NULL: a directory (zip_dir_add) */
	size_t len;	  /* 0: strlen(data) */
	unsigned mode;	  /* unix mode with its type; 0: no unix attributes */
	bool store;	  /* stored, not deflated */
};

/* A zip of the n entries, in memory; *len its size. The caller frees it. */
char *th_zip(const struct th_zent *z, size_t n, size_t *len);

#endif
