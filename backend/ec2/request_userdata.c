/*
 * backend/ec2/request_userdata.c - the lengths EC2 counts in characters,
 * and user data's base64, decoded as EC2 decodes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/buf.h"
#include "backend/common/json.h"
#include "backend/ec2/request.h"

/* A byte that does not start a sequence its continuation bytes complete
 * (a stray continuation byte, a cut sequence) is a character of its own,
 * so text that is not UTF-8 cannot slip under a length limit. */
size_t ec2_utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		size_t len = *p < 0x80		   ? 1
			     : (*p & 0xe0) == 0xc0 ? 2
			     : (*p & 0xf0) == 0xe0 ? 3
			     : (*p & 0xf8) == 0xf0 ? 4
						   : 0;
		size_t i = 1;

		while (i < len && (p[i] & 0xc0) == 0x80)
			i++;
		p += len && i == len ? len : 1;
		n++;
	}
	return n;
}

/* user data */

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int ec2_user_data_decode(const char *text, size_t max, unsigned char **out, size_t *len,
			 struct nb_err *err)
{
	size_t n = 0, pad = 0, size, o = 0;
	uint32_t acc = 0;
	unsigned char *bytes;

	*out = NULL;
	*len = 0;
	/* Count the characters and check where '=' stands first, so that
	 * nothing is allocated for text that is no base64. */
	for (const char *p = text; *p; p++) {
		if (nb_is_blank(*p))
			continue;
		if (*p == '=')
			pad++;
		else if (pad || b64_value(*p) < 0)
			return nb_err_set(err, -EINVAL,
					  "InvalidParameterValue: Invalid BASE64 encoding of user "
					  "data.");
		n++;
	}
	if (n % 4 != 0 || pad > 2 || (n == 0 && pad))
		return nb_err_set(err, -EINVAL,
				  "InvalidParameterValue: Invalid BASE64 encoding of user data.");
	if (n == 0)
		return 0;
	size = n / 4 * 3 - pad;
	if (size > max)
		return nb_err_set(err, -EFBIG,
				  "InvalidParameterValue: User data is limited to %zu bytes", max);
	bytes = malloc(size + 1);
	if (!bytes)
		return nb_err_set(err, -ENOMEM, "out of memory");
	n = 0;
	for (const char *p = text; *p && *p != '='; p++) {
		if (nb_is_blank(*p))
			continue;
		acc = acc << 6 | (uint32_t)b64_value(*p);
		if (++n % 4 == 0) {
			bytes[o++] = (unsigned char)(acc >> 16);
			bytes[o++] = (unsigned char)(acc >> 8);
			bytes[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (pad == 1) { /* 3 characters: 18 bits, 2 bytes */
		bytes[o++] = (unsigned char)(acc >> 10);
		bytes[o++] = (unsigned char)(acc >> 2);
	} else if (pad == 2) { /* 2 characters: 12 bits, 1 byte */
		bytes[o++] = (unsigned char)(acc >> 4);
	}
	bytes[o] = '\0';
	*out = bytes;
	*len = o;
	return 0;
}

/* fields */
