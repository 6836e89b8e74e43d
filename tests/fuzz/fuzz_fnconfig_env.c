/*
 * tests/fuzz/fuzz_fnconfig_env.c - a Lambda function's `environment` file
 * (dotenv): lambda_env_parse(), and the documented round trip: what it
 * accepted renders (lambda_env_render) to text it reads back identically;
 * lambda_env_check() agrees with the parser on what it accepted.
 */
#include "backend/common/buf.h"
#include "backend/lambda/fnconfig.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	struct lambda_env_var *vars = NULL, *back = NULL;
	size_t n = 0, n_back = 0;
	struct nb_err err = { 0 };
	struct nb_buf text = { 0 };
	int ret;

	if (!buf)
		return 0;
	ret = lambda_env_parse(buf, size, &vars, &n, &err);
	FUZZ_CHECK_ERR(ret, &err);
	if (ret < 0) {
		FUZZ_CHECK(!vars && n == 0, "error %d left %zu variables", ret, n);
		goto out;
	}
	ret = lambda_env_check(vars, n, &err);
	FUZZ_CHECK(ret == 0, "parsed environment fails lambda_env_check: %d %s", ret, err.msg);
	if (lambda_env_render(vars, n, &text) < 0)
		goto out;
	ret = lambda_env_parse(text.data ? text.data : "", text.len, &back, &n_back, &err);
	if (ret == -ENOMEM)
		goto out;
	FUZZ_CHECK(ret == 0, "rendered environment does not parse: %d %s\n%.*s", ret, err.msg,
		   (int)text.len, text.data);
	FUZZ_CHECK(n_back == n, "%zu variables read back as %zu", n, n_back);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(strcmp(vars[i].key, back[i].key) == 0,
			   "key %zu: \"%s\" read back as \"%s\"", i, vars[i].key, back[i].key);
		FUZZ_CHECK(strcmp(vars[i].value, back[i].value) == 0,
			   "%s: value \"%s\" read back as \"%s\"", vars[i].key, vars[i].value,
			   back[i].value);
	}
out:
	lambda_env_free(vars, n);
	lambda_env_free(back, n_back);
	nb_buf_free(&text);
	free(buf);
	return 0;
}
