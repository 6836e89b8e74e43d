/*
 * tests/fuzz/fuzz_fnconfig_json.c - a Lambda function's config.json as
 * written (CreateFunction / UpdateFunctionConfiguration bodies or
 * GetFunctionConfiguration output): lambda_config_apply_json(), and the
 * same bytes as the service's persisted record: lambda_config_from_json()
 * (state files may be edited by hand). Checks the documented round trips:
 * a config's rendered config.json written back changes nothing, and its
 * persisted record loads back to the same config.
 */
#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void render(const struct lambda_config *c, struct nb_buf *out)
{
	int ret = lambda_config_render_json(c, "local", "000000000000", out);

	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "render_json: %d", ret);
}

/* GetFunctionConfiguration's JSON of c, written back to config.json (cat
 * config.json > config.json), applies and changes nothing. */
static void check_render_roundtrip(const struct lambda_config *c)
{
	struct nb_buf a = { 0 }, b = { 0 };
	struct lambda_config back;
	struct nb_err err = { 0 };
	int ret;

	render(c, &a);
	if (lambda_config_copy(&back, c) < 0) {
		nb_buf_free(&a);
		return;
	}
	ret = lambda_config_apply_json(&back, a.data ? a.data : "", a.len, &err);
	if (ret != -ENOMEM) {
		FUZZ_CHECK(ret == 0, "rendered config.json does not apply back: %d %s\n%.*s", ret,
			   err.msg, (int)a.len, a.data);
		render(&back, &b);
		FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
			   "config.json changes on a round trip:\n%.*s\n---\n%.*s", (int)a.len,
			   a.data, (int)b.len, b.data);
	}
	lambda_config_free(&back);
	nb_buf_free(&a);
	nb_buf_free(&b);
}

/* The persisted record loads back to a config that renders the same. */
static void check_store_roundtrip(const struct lambda_config *c)
{
	struct nb_buf a = { 0 }, b = { 0 };
	struct lambda_config back;
	struct nb_err err = { 0 };
	cJSON *j = NULL;
	int ret;

	if (lambda_config_to_json(c, &j) < 0)
		return;
	ret = lambda_config_from_json(&back, j, &err);
	cJSON_Delete(j);
	if (ret == -ENOMEM) {
		lambda_config_free(&back);
		return;
	}
	FUZZ_CHECK(ret == 0, "persisted config does not load back: %d %s", ret, err.msg);
	render(c, &a);
	render(&back, &b);
	FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
		   "config changes through its record:\n%.*s\n---\n%.*s", (int)a.len, a.data,
		   (int)b.len, b.data);
	lambda_config_free(&back);
	nb_buf_free(&a);
	nb_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	struct lambda_config c, loaded;
	struct nb_err err = { 0 };
	cJSON *j;
	int ret;

	if (!buf)
		return 0;
	/* A function as mkdir makes it; some inputs update one that has a
	 * runtime and handler already. */
	lambda_config_init(&c, "fn");
	if (size && (data[0] & 1)) {
		FUZZ_CHECK(lambda_config_set_runtime(&c, "python3.12", 10, &err) == 0, "%s",
			   err.msg);
		FUZZ_CHECK(lambda_config_set_handler(&c, "app.handler", 11, &err) == 0, "%s",
			   err.msg);
	}
	ret = lambda_config_apply_json(&c, buf, size, &err);
	FUZZ_CHECK_ERR(ret, &err);
	if (ret == 0) {
		check_render_roundtrip(&c);
		check_store_roundtrip(&c);
	}
	lambda_config_free(&c);

	/* As the service loads a record (function.c): json_parse, then this. */
	memset(&err, 0, sizeof(err));
	j = json_parse(buf, size, &err);
	if (j) {
		memset(&err, 0, sizeof(err));
		ret = lambda_config_from_json(&loaded, j, &err);
		FUZZ_CHECK_ERR(ret, &err);
		if (ret == 0) {
			check_render_roundtrip(&loaded);
			check_store_roundtrip(&loaded);
		}
		lambda_config_free(&loaded);
		cJSON_Delete(j);
	}
	free(buf);
	return 0;
}
