/*
 * tests/fuzz/fuzz_lambda_zip_tree.c - Lambda packages built from a list of
 * entries, so the fuzzer spends its time on names, types, symlink targets
 * and duplicates rather than on zip framing. Each entry is a kind byte, a
 * name up to a NUL, and content up to a NUL (a file's data, a symlink's
 * target); kind & 3 is file, executable file, directory or symlink, kind &
 * 4 deflates instead of storing, kind & 8 leaves out the unix attributes.
 * The zip libzip writes from them goes through zipcheck.h's checks.
 */
#include <zip.h>

#include "tests/fuzz/zipcheck.h"

#define ENTRIES_MAX 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zc_init();
	return 0;
}

/* The next NUL-terminated field of [*p, end) (the rest when there is no
 * NUL), as a string the caller frees. */
static char *field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
	size_t n = nul ? (size_t)(nul - *p) : (size_t)(end - *p);
	char *s = fuzz_cstr(*p, n);

	*p += n + (nul ? 1 : 0);
	return s;
}

static void add(zip_t *za, unsigned kind, const char *name, const char *content)
{
	static const unsigned modes[] = { S_IFREG | 0644, S_IFREG | 0755, S_IFDIR | 0755,
					  S_IFLNK | 0777 };
	zip_int64_t idx;

	if ((kind & 3) == 2) {
		idx = zip_dir_add(za, name, ZIP_FL_ENC_RAW);
	} else {
		zip_source_t *s = zip_source_buffer(za, content, strlen(content), 0);

		if (!s)
			return;
		idx = zip_file_add(za, name, s, ZIP_FL_ENC_RAW);
		if (idx < 0)
			zip_source_free(s);
	}
	if (idx < 0)
		return; /* libzip refuses some names (empty, a duplicate) */
	if (!(kind & 8))
		(void)zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
						       (zip_uint32_t)modes[kind & 3] << 16);
	if (!(kind & 4))
		(void)zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *names[ENTRIES_MAX], *contents[ENTRIES_MAX];
	size_t n = 0;
	zip_error_t ze;
	zip_source_t *src;
	zip_stat_t st;
	zip_t *za;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	za = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
	if (!za) {
		zip_source_free(src);
		zip_error_fini(&ze);
		return 0;
	}
	zip_source_keep(src);
	/* The names and contents live until zip_close, which reads them. */
	while (p < end && n < ENTRIES_MAX) {
		unsigned kind = *p++;

		names[n] = field(&p, end);
		contents[n] = field(&p, end);
		if (!names[n] || !contents[n]) {
			free(names[n]);
			free(contents[n]);
			break;
		}
		add(za, kind, names[n], contents[n]);
		n++;
	}
	if (zip_close(za) != 0) {
		zip_discard(za);
	} else if (zip_source_stat(src, &st) == 0 && zip_source_open(src) == 0) {
		char *zip = malloc(st.size ? st.size : 1);

		if (zip && zip_source_read(src, zip, st.size) == (zip_int64_t)st.size)
			zc_check_package(zip, st.size);
		free(zip);
		zip_source_close(src);
	}
	zip_source_free(src);
	zip_error_fini(&ze);
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		free(contents[i]);
	}
	return 0;
}
