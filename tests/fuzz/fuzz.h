/*
 * tests/fuzz/fuzz.h - what every libFuzzer harness here shares: the entry
 * point's prototype, a NUL-terminated copy of the input, and checks that
 * abort (so libFuzzer records a crash) when a parser breaks its contract.
 *
 * Each harness is one fuzz_<target>.c, built with clang and
 * -fsanitize=fuzzer,address,undefined against build/fuzz/libnimbusfs.a
 * (`make fuzz-build`); `make fuzz` runs them (tests/fuzz/run.sh).
 */
#ifndef NB_TESTS_FUZZ_H
#define NB_TESTS_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/err.h"
#include "backend/common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A contract check: prints what broke and aborts, which libFuzzer reports
 * as a crash and saves the input for. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: %s:%d: check failed: %s: ", __FILE__, __LINE__,     \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Every failure says why: a negative errno with a message, err->code set
 * to it. -ENOMEM may come without one. */
#define FUZZ_CHECK_ERR(ret, err)                                                                   \
	do {                                                                                       \
		if ((ret) < 0 && (ret) != -ENOMEM) {                                               \
			FUZZ_CHECK((err)->msg[0] != '\0', "error %d without a message", (ret));    \
			FUZZ_CHECK((err)->code == (ret), "error %d but err.code %d (%s)", (ret),   \
				   (err)->code, (err)->msg);                                       \
		}                                                                                  \
	} while (0)

/* A malloc'd NUL-terminated copy of the input (the input itself is not
 * terminated); NULL only when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* An exact-size heap copy, so reading one byte past len is caught by
 * AddressSanitizer (libFuzzer's own buffer is exact-size too, but a copy
 * lets a harness drop a prefix it used as a selector). */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);

	if (s && size)
		memcpy(s, data, size);
	return s;
}

/* Parsers log nothing worth seeing while fuzzing. */
static inline void fuzz_quiet(void)
{
	nb_log_set_level(NB_LOG_ERROR);
}

#endif
