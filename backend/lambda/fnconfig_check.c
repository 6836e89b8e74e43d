/*
 * backend/lambda/fnconfig_check.c - Lambda's validation of a function's
 * fields (name, handler, description, image, architecture, role) and its
 * error messages, worded as Lambda words them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "backend/lambda/fnconfig_i.h"

/* messages */

int fnc_constraint(struct nb_err *err, const char *field, const char *value, const char *constraint)
{
	int n = (int)strlen(value);

	return nb_err_set(err, -EINVAL,
			  "1 validation error detected: Value '%.*s%s' at '%s' failed to satisfy "
			  "constraint: %s",
			  n > 200 ? 200 : n, value, n > 200 ? "..." : "", field, constraint);
}

int fnc_range(struct nb_err *err, const char *field, long long value, long long min, long long max)
{
	char v[32], constraint[96];

	snprintf(v, sizeof(v), "%lld", value);
	if (value < min)
		snprintf(constraint, sizeof(constraint),
			 "Member must have value greater than or equal to %lld", min);
	else
		snprintf(constraint, sizeof(constraint),
			 "Member must have value less than or equal to %lld", max);
	return fnc_constraint(err, field, v, constraint);
}

/* field validators */

int fnc_check_handler(const char *s, size_t len, struct nb_err *err)
{
	char shown[LAMBDA_HANDLER_MAX + 80];

	snprintf(shown, sizeof(shown), "%.*s", (int)(len < 200 ? len : 200), s);
	if (len > LAMBDA_HANDLER_MAX)
		return fnc_constraint(err, "handler", shown,
				      "Member must have length less than or equal to 128");
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)s[i]) || iscntrl((unsigned char)s[i]))
			return fnc_constraint(err, "handler", shown,
					      "Member must satisfy regular expression pattern: "
					      "[^\\s]+");
	if (len == 0)
		return fnc_constraint(err, "handler", "",
				      "Member must satisfy regular expression pattern: [^\\s]+");
	/* config.json shows it: JSON text is UTF-8. */
	if (!json_utf8_valid(s, len, NULL))
		return nb_err_set(err, -EINVAL, "handler: not UTF-8");
	return 0;
}

int fnc_check_description(const char *s, size_t len, struct nb_err *err)
{
	char shown[220];

	if (memchr(s, '\0', len))
		return nb_err_set(err, -EINVAL, "description: contains a NUL byte");
	if (len > LAMBDA_DESCRIPTION_MAX) {
		snprintf(shown, sizeof(shown), "%.*s", 200, s);
		return fnc_constraint(err, "description", shown,
				      "Member must have length less than or equal to 256");
	}
	if (!json_utf8_valid(s, len, NULL))
		return nb_err_set(err, -EINVAL, "description: not UTF-8");
	return 0;
}

static bool alnum_lower(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Docker's reference grammar, loosely: [domain[:port]/]path[:tag][@digest],
 * path components lowercase [a-z0-9] with single separators . _ __ -. */
static const char *image_problem(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len), *end = at ? at : s + len;
	const char *slash = NULL, *colon = NULL, *p, *comp;

	if (len == 0)
		return "it is empty";
	if (len > LAMBDA_IMAGE_MAX)
		return "it is longer than 255 characters";
	for (p = s; p < s + len; p++)
		if (!isgraph((unsigned char)*p))
			return "it contains a space or a control character";
	if (at) {
		const char *hex = memchr(at, ':', (size_t)(s + len - at));

		if (!hex || hex == at + 1 || hex + 1 == s + len)
			return "the digest must be algorithm:hex";
		for (p = hex + 1; p < s + len; p++)
			if (!isxdigit((unsigned char)*p))
				return "the digest must be algorithm:hex";
	}
	for (p = s; p < end; p++)
		if (*p == '/')
			slash = p;
	for (p = slash ? slash : s; p < end; p++)
		if (*p == ':')
			colon = p;
	if (colon) {
		if (colon + 1 == end || colon + 1 + 128 < end)
			return "the tag must be 1 to 128 characters";
		for (p = colon + 1; p < end; p++)
			if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
				return "the tag may hold only letters, digits, '_', '.' and '-'";
		if (colon[1] == '.' || colon[1] == '-')
			return "the tag must not start with '.' or '-'";
		end = colon;
	}
	comp = s;
	/* The first component is a registry when it has '.' or ':' or is
	 * localhost: it may hold upper case and a port. */
	p = memchr(s, '/', (size_t)(end - s));
	if (p && (memchr(s, '.', (size_t)(p - s)) || memchr(s, ':', (size_t)(p - s)) ||
		  (p - s == 9 && strncmp(s, "localhost", 9) == 0)))
		comp = p + 1;
	if (comp == end)
		return "the repository name is empty";
	for (p = comp; p <= end; p++) {
		if (p == end || *p == '/') {
			if (p == comp || !alnum_lower(p[-1]))
				return "a path component must start and end with a lowercase "
				       "letter or digit";
			comp = p + 1;
		} else if (!alnum_lower(*p) && !strchr("._-", *p)) {
			return "the repository may hold only lowercase letters, digits, '.', "
			       "'_', '-' and '/'";
		} else if (p == comp && !alnum_lower(*p)) {
			return "a path component must start and end with a lowercase letter or "
			       "digit";
		}
	}
	return NULL;
}

int fnc_check_image(const char *s, size_t len, struct nb_err *err)
{
	const char *why = memchr(s, '\0', len) ? "it contains a NUL byte" : image_problem(s, len);

	if (why)
		return nb_err_set(err, -EINVAL,
				  "Source image %.*s is not valid. Provide a valid source image: "
				  "%s (e.g. public.ecr.aws/lambda/python:3.12 or my-app:latest)",
				  (int)(len < 200 ? len : 200), s, why);
	return 0;
}

int fnc_check_architecture(const char *s, struct nb_err *err)
{
	if (strcmp(s, "x86_64") == 0 || strcmp(s, "arm64") == 0)
		return 0;
	return fnc_constraint(err, "architectures", s,
			      "Member must satisfy enum value set: [x86_64, arm64]");
}

/* arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+ */
int fnc_check_role(const char *s, struct nb_err *err)
{
	const char *p = s;
	size_t n;

	if (strncmp(p, "arn:", 4) != 0)
		goto bad;
	p += 4;
	if (strncmp(p, "aws", 3) == 0)
		for (p += 3; isalpha((unsigned char)*p) || *p == '-'; p++)
			;
	if (strncmp(p, ":iam::", 6) != 0)
		goto bad;
	p += 6;
	for (n = 0; isdigit((unsigned char)*p); p++)
		n++;
	if (n != 12 || strncmp(p, ":role", 5) != 0)
		goto bad;
	p += 5;
	if (*p == '/')
		p++;
	n = strlen(p);
	if (n == 0 ||
	    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789+=,.@-/") !=
		    n)
		goto bad;
	if (strlen(s) > LAMBDA_ROLE_MAX)
		return fnc_constraint(err, "role", s,
				      "Member must have length less than or equal to 639");
	return 0;
bad:
	return fnc_constraint(err, "role", s,
			      "Member must satisfy regular expression pattern: "
			      "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+");
}
