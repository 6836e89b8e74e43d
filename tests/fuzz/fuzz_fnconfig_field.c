/*
 * tests/fuzz/fuzz_fnconfig_field.c - a Lambda function's one-value files
 * (runtime, handler, timeout, memory, ephemeral-storage, environment,
 * reserved-concurrency, image, description, architecture) and function
 * names (mkdir lambda/<name>). The first byte picks which; the rest is
 * what was written. A value that was accepted renders to text that sets
 * the same value again, and config.json showing it is UTF-8 and applies
 * when written back; a setter that fails changes nothing.
 */
#include "backend/common/buf.h"
#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "tests/fuzz/fuzz.h"

#define N_FIELDS (LAMBDA_FIELD_ARCHITECTURE + 1)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void rendered(const struct lambda_config *c, enum lambda_field f, struct nb_buf *out)
{
	int ret = lambda_config_render_field(c, f, out);

	FUZZ_CHECK(ret >= 0 || ret == -ENOMEM, "render_field %d: %d", (int)f, ret);
}

/* config.json of c is UTF-8 and, written back as read, applies. */
static void check_config_json(const struct lambda_config *c)
{
	struct nb_buf json = { 0 };
	struct lambda_config back;
	struct nb_err err = { 0 };
	size_t bad = 0;
	int ret;

	if (lambda_config_render_json(c, "local", "000000000000", &json) < 0)
		return;
	FUZZ_CHECK(json_utf8_valid(json.data, json.len, &bad),
		   "config.json is not UTF-8 at byte %zu:\n%.*s", bad, (int)json.len, json.data);
	if (lambda_config_copy(&back, c) == 0) {
		ret = lambda_config_apply_json(&back, json.data, json.len, &err);
		FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "config.json written back: %d %s\n%.*s", ret,
			   err.msg, (int)json.len, json.data);
		lambda_config_free(&back);
	}
	nb_buf_free(&json);
}

static void check_field(enum lambda_field f, const char *text, size_t len)
{
	struct nb_buf before = { 0 }, after = { 0 }, again = { 0 };
	struct lambda_config c, c2;
	struct nb_err err = { 0 };
	int ret;

	lambda_config_init(&c, "fn");
	rendered(&c, f, &before);
	ret = lambda_config_set_field(&c, f, text, len, &err);
	FUZZ_CHECK_ERR(ret, &err);
	rendered(&c, f, &after);
	if (ret < 0) {
		FUZZ_CHECK(
			before.len == after.len &&
				(!before.len || memcmp(before.data, after.data, before.len) == 0),
			"field %d: a failed set (%s) changed the value", (int)f, err.msg);
		goto out;
	}
	/* The rendered value is what `cat` shows; writing it back is a no-op. */
	lambda_config_init(&c2, "fn");
	memset(&err, 0, sizeof(err));
	ret = lambda_config_set_field(&c2, f, after.data ? after.data : "", after.len, &err);
	if (ret != -ENOMEM) {
		FUZZ_CHECK(ret == 0, "field %d: its rendered value is refused: %s\n%.*s", (int)f,
			   err.msg, (int)after.len, after.data);
		rendered(&c2, f, &again);
		FUZZ_CHECK(after.len == again.len &&
				   (!after.len || memcmp(after.data, again.data, after.len) == 0),
			   "field %d: value changes when written back:\n%.*s---\n%.*s", (int)f,
			   (int)after.len, after.data, (int)again.len, again.data);
	}
	lambda_config_free(&c2);
	check_config_json(&c);
out:
	lambda_config_free(&c);
	nb_buf_free(&before);
	nb_buf_free(&after);
	nb_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nb_err err = { 0 };
	unsigned which;
	char *buf;

	if (size < 1)
		return 0;
	which = data[0] % (N_FIELDS + 1);
	buf = fuzz_copy(data + 1, size - 1);
	if (!buf)
		return 0;
	if (which == N_FIELDS) {
		/* A function name comes from mkdir: a NUL-terminated name. */
		char *name = fuzz_cstr(data + 1, size - 1);
		struct lambda_config c;
		int ret;

		if (name) {
			ret = lambda_name_valid(name, &err);
			FUZZ_CHECK_ERR(ret, &err);
			if (ret == 0) {
				FUZZ_CHECK(strlen(name) <= LAMBDA_FUNCTION_NAME_MAX,
					   "accepted a %zu-byte name", strlen(name));
				lambda_config_init(&c, name);
				FUZZ_CHECK(strcmp(c.name, name) == 0, "name not kept");
				lambda_config_free(&c);
			}
			free(name);
		}
	} else {
		check_field((enum lambda_field)which, buf, size - 1);
	}
	free(buf);
	return 0;
}
