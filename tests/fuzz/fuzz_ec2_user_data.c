/*
 * tests/fuzz/fuzz_ec2_user_data.c - UserData base64 as EC2 takes it:
 * ec2_user_data_decode(). The first byte picks the limit (0 to 255 bytes,
 * or EC2_USER_DATA_MAX when 255); the rest is the text. Decoded bytes
 * re-encode to text that decodes to the same bytes, and the output size
 * follows from the input's base64 characters.
 */
#include <ctype.h>

#include "backend/ec2/request.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static char *encode(const unsigned char *in, size_t len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = a[v >> 18 & 63];
		*o++ = a[v >> 12 & 63];
		*o++ = i + 1 < len ? a[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? a[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out = NULL, *back = NULL;
	size_t len = 0, back_len = 0, chars = 0, pad = 0, max;
	struct nb_err err = { 0 };
	char *text, *again;
	int ret;

	if (size < 1)
		return 0;
	max = data[0] == 255 ? EC2_USER_DATA_MAX : data[0];
	text = fuzz_cstr(data + 1, size - 1);
	if (!text)
		return 0;
	ret = ec2_user_data_decode(text, max, &out, &len, &err);
	FUZZ_CHECK_ERR(ret, &err);
	if (ret < 0) {
		FUZZ_CHECK(out == NULL && len == 0, "error %d left output", ret);
		goto done;
	}
	FUZZ_CHECK(len <= max, "%zu bytes past a limit of %zu", len, max);
	FUZZ_CHECK((out == NULL) == (len == 0), "output %p of %zu bytes", (void *)out, len);
	FUZZ_CHECK(!out || out[len] == '\0', "output not terminated");
	for (const char *p = text; *p; p++) {
		if (isalnum((unsigned char)*p) || *p == '+' || *p == '/')
			chars++;
		else if (*p == '=')
			pad++;
	}
	FUZZ_CHECK((chars + pad) % 4 == 0 && len == (chars + pad) / 4 * 3 - pad,
		   "%zu characters and %zu pads decoded to %zu bytes", chars, pad, len);
	again = encode(out, len);
	if (!again)
		goto done;
	ret = ec2_user_data_decode(again, max, &back, &back_len, &err);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "re-encoded data refused: %s", err.msg);
	FUZZ_CHECK(ret < 0 || (back_len == len && (!len || memcmp(back, out, len) == 0)),
		   "re-encoded data decodes to other bytes");
	free(again);
done:
	free(out);
	free(back);
	free(text);
	return 0;
}
