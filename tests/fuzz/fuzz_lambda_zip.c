/*
 * tests/fuzz/fuzz_lambda_zip.c - Lambda deployment packages as written to
 * code.zip or layers/<n>.zip, the bytes as they come: see zipcheck.h for
 * what is checked. fuzz_lambda_zip_tree.c reaches the entry checks more
 * often by building well-formed zips.
 */
#include "tests/fuzz/zipcheck.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zc_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	zc_check_package(data, size);
	return 0;
}
