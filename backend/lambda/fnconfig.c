/*
 * backend/lambda/fnconfig.c - the function configuration model, Lambda's
 * runtimes, the one-value files' setters and renderers and the warm
 * container fingerprint. Dotenv is in fnconfig_env.c, JSON in
 * fnconfig_json.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "backend/lambda/fnconfig_i.h"

/*
 * Lambda's runtimes (AWS Lambda Developer Guide, "Lambda runtimes"). A
 * supported one maps to its AWS base image; a deprecated one, which AWS no
 * longer lets a function be created or updated with, names the runtime AWS
 * recommends instead. "provided" runtimes are OS-only: the package brings
 * its own bootstrap.
 */
struct runtime {
	const char *id;
	const char *image;     /* NULL: deprecated */
	const char *successor; /* deprecated ones */
	bool provided;
};

static const struct runtime runtimes[] = {
	{ "nodejs24.x", "public.ecr.aws/lambda/nodejs:24", NULL, false },
	{ "nodejs22.x", "public.ecr.aws/lambda/nodejs:22", NULL, false },
	{ "nodejs20.x", "public.ecr.aws/lambda/nodejs:20", NULL, false },
	{ "nodejs18.x", "public.ecr.aws/lambda/nodejs:18", NULL, false },
	{ "python3.14", "public.ecr.aws/lambda/python:3.14", NULL, false },
	{ "python3.13", "public.ecr.aws/lambda/python:3.13", NULL, false },
	{ "python3.12", "public.ecr.aws/lambda/python:3.12", NULL, false },
	{ "python3.11", "public.ecr.aws/lambda/python:3.11", NULL, false },
	{ "python3.10", "public.ecr.aws/lambda/python:3.10", NULL, false },
	{ "python3.9", "public.ecr.aws/lambda/python:3.9", NULL, false },
	{ "java25", "public.ecr.aws/lambda/java:25", NULL, false },
	{ "java21", "public.ecr.aws/lambda/java:21", NULL, false },
	{ "java17", "public.ecr.aws/lambda/java:17", NULL, false },
	{ "java11", "public.ecr.aws/lambda/java:11", NULL, false },
	{ "java8.al2", "public.ecr.aws/lambda/java:8.al2", NULL, false },
	{ "dotnet10", "public.ecr.aws/lambda/dotnet:10", NULL, false },
	{ "dotnet8", "public.ecr.aws/lambda/dotnet:8", NULL, false },
	{ "ruby3.4", "public.ecr.aws/lambda/ruby:3.4", NULL, false },
	{ "ruby3.3", "public.ecr.aws/lambda/ruby:3.3", NULL, false },
	{ "ruby3.2", "public.ecr.aws/lambda/ruby:3.2", NULL, false },
	{ "provided.al2023", "public.ecr.aws/lambda/provided:al2023", NULL, true },
	{ "provided.al2", "public.ecr.aws/lambda/provided:al2", NULL, true },
	/* deprecated: creating or updating a function with them fails on AWS */
	{ "nodejs16.x", NULL, "nodejs22.x", false },
	{ "nodejs14.x", NULL, "nodejs22.x", false },
	{ "nodejs12.x", NULL, "nodejs22.x", false },
	{ "nodejs10.x", NULL, "nodejs22.x", false },
	{ "nodejs8.10", NULL, "nodejs22.x", false },
	{ "nodejs6.10", NULL, "nodejs22.x", false },
	{ "nodejs4.3", NULL, "nodejs22.x", false },
	{ "nodejs4.3-edge", NULL, "nodejs22.x", false },
	{ "nodejs", NULL, "nodejs22.x", false },
	{ "python3.8", NULL, "python3.13", false },
	{ "python3.7", NULL, "python3.13", false },
	{ "python3.6", NULL, "python3.13", false },
	{ "python2.7", NULL, "python3.13", false },
	{ "java8", NULL, "java8.al2", false },
	{ "dotnet6", NULL, "dotnet8", false },
	{ "dotnetcore3.1", NULL, "dotnet8", false },
	{ "dotnetcore2.1", NULL, "dotnet8", false },
	{ "dotnetcore2.0", NULL, "dotnet8", false },
	{ "dotnetcore1.0", NULL, "dotnet8", false },
	{ "ruby2.7", NULL, "ruby3.3", false },
	{ "ruby2.5", NULL, "ruby3.3", false },
	{ "go1.x", NULL, "provided.al2023", false },
	{ "provided", NULL, "provided.al2023", true },
};

#define N_RUNTIMES (sizeof(runtimes) / sizeof(runtimes[0]))

static const struct runtime *runtime_find(const char *id)
{
	for (size_t i = 0; id && i < N_RUNTIMES; i++)
		if (strcmp(runtimes[i].id, id) == 0)
			return &runtimes[i];
	return NULL;
}

const char *lambda_runtime_image(const char *runtime)
{
	const struct runtime *r = runtime_find(runtime);

	return r ? r->image : NULL;
}

bool lambda_runtime_is_provided(const char *runtime)
{
	const struct runtime *r = runtime_find(runtime);

	return r && r->provided;
}

bool lambda_runtime_known(const char *runtime)
{
	return runtime_find(runtime) != NULL;
}

int lambda_runtime_valid(const char *runtime, struct nb_err *err)
{
	const struct runtime *r = runtime_find(runtime);
	char constraint[700] = "Member must satisfy enum value set: [";
	size_t n = strlen(constraint);

	if (r && r->image)
		return 0;
	if (r)
		return nb_err_set(err, -EINVAL,
				  "The runtime parameter of %s is no longer supported for "
				  "creating or updating AWS Lambda functions. We recommend you "
				  "use the new runtime (%s) while creating or updating functions.",
				  r->id, r->successor);
	for (size_t i = 0; i < N_RUNTIMES && runtimes[i].image; i++)
		n += (size_t)snprintf(constraint + n, sizeof(constraint) - n, "%s%s", i ? ", " : "",
				      runtimes[i].id);
	snprintf(constraint + n, sizeof(constraint) - n, "]");
	return fnc_constraint(err, "runtime", runtime ? runtime : "", constraint);
}

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

/* the model */

void lambda_config_init(struct lambda_config *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
	c->timeout = LAMBDA_TIMEOUT_DEFAULT;
	c->memory_mb = LAMBDA_MEMORY_DEFAULT;
	c->ephemeral_mb = LAMBDA_EPHEMERAL_DEFAULT;
	c->reserved_concurrency = LAMBDA_CONCURRENCY_DEFAULT;
	snprintf(c->architecture, sizeof(c->architecture), "x86_64");
}

static void layers_free(struct lambda_config_layer *layers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(layers[i].name);
	free(layers);
}

void lambda_config_free(struct lambda_config *c)
{
	if (!c)
		return;
	lambda_env_free(c->env, c->n_env);
	layers_free(c->layers, c->n_layers);
	lambda_config_init(c, "");
}

static int layers_copy(struct lambda_config_layer **out, const struct lambda_config_layer *src,
		       size_t n)
{
	struct lambda_config_layer *l = n ? calloc(n, sizeof(*l)) : NULL;

	*out = NULL;
	if (n && !l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		l[i] = src[i];
		l[i].name = strdup(src[i].name ? src[i].name : "");
		if (!l[i].name) {
			layers_free(l, i);
			return -ENOMEM;
		}
	}
	*out = l;
	return 0;
}

int lambda_config_copy(struct lambda_config *dst, const struct lambda_config *src)
{
	*dst = *src;
	dst->env = NULL;
	dst->n_env = 0;
	dst->layers = NULL;
	dst->n_layers = 0;
	if (fnc_env_copy(&dst->env, &dst->n_env, src->env, src->n_env) < 0 ||
	    layers_copy(&dst->layers, src->layers, src->n_layers) < 0) {
		lambda_config_free(dst);
		return -ENOMEM;
	}
	dst->n_layers = src->n_layers;
	return 0;
}

int lambda_config_set_layers(struct lambda_config *c, const struct lambda_config_layer *layers,
			     size_t n)
{
	struct lambda_config_layer *copy;

	if (layers_copy(&copy, layers, n) < 0)
		return -ENOMEM;
	layers_free(c->layers, c->n_layers);
	c->layers = copy;
	c->n_layers = n;
	return 0;
}

const char *lambda_config_package_type(const struct lambda_config *c)
{
	return c->image[0] ? "Image" : "Zip";
}

int lambda_config_runnable(const struct lambda_config *c, struct nb_err *err)
{
	if (c->image[0])
		return 0;
	if (!c->runtime[0])
		return nb_err_set(err, -EINVAL,
				  "the function has no runtime: write one to `runtime` (e.g. "
				  "python3.12) or an image to `image`");
	if (!c->handler[0] && !lambda_runtime_is_provided(c->runtime))
		return nb_err_set(err, -EINVAL,
				  "the function has no handler: write one to `handler` (e.g. "
				  "lambda_function.lambda_handler)");
	return 0;
}

int lambda_name_valid(const char *name, struct nb_err *err)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 1)
		return fnc_constraint(err, "functionName", "",
				      "Member must have length greater than or equal to 1");
	if (n > LAMBDA_FUNCTION_NAME_MAX)
		return fnc_constraint(err, "functionName", name,
				      "Member must have length less than or equal to 64");
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		return fnc_constraint(err, "functionName", name,
				      "Member must satisfy regular expression pattern: "
				      "[a-zA-Z0-9-_]+");
	return 0;
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

/* setters */

/* Drops surrounding whitespace; refuses a NUL inside. */
static int trim(const char *field, const char **text, size_t *len, struct nb_err *err)
{
	const char *s = *text ? *text : "";
	size_t n = *text ? *len : 0;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (memchr(s, '\0', n))
		return nb_err_set(err, -EINVAL, "%s: the value contains a NUL byte", field);
	*text = s;
	*len = n;
	return 0;
}

static int set_int(int *dst, const char *field, const char *aws_field, const char *what,
		   long long min, long long max, const char *text, size_t len, struct nb_err *err)
{
	long long v = 0;
	size_t i = 0;
	bool neg = false, big = false;
	int ret = trim(field, &text, &len, err);

	if (ret < 0)
		return ret;
	if (len == 0)
		return nb_err_set(err, -EINVAL, "%s: no value; write %s from %lld to %lld", field,
				  what, min, max);
	if (text[0] == '-' || text[0] == '+')
		neg = text[i++] == '-';
	if (i == len)
		goto nan;
	for (; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			goto nan;
		if (v > 1000000000000LL)
			big = true;
		else
			v = v * 10 + (text[i] - '0');
	}
	if (neg)
		v = -v;
	if (big || v < min || v > max) {
		if (big) {
			char shown[64];

			snprintf(shown, sizeof(shown), "%.*s", (int)(len < 40 ? len : 40), text);
			char constraint[96];
			snprintf(constraint, sizeof(constraint),
				 "Member must have value %s than or equal to %lld",
				 neg ? "greater" : "less", neg ? min : max);
			return fnc_constraint(err, aws_field, shown, constraint);
		}
		return fnc_range(err, aws_field, v, min, max);
	}
	*dst = (int)v;
	return 0;
nan:
	return nb_err_set(err, -EINVAL,
			  "%s: \"%.*s\" is not a whole number; write %s from %lld to %lld", field,
			  (int)(len < 64 ? len : 64), text, what, min, max);
}

int lambda_config_set_timeout(struct lambda_config *c, const char *text, size_t len,
			      struct nb_err *err)
{
	return set_int(&c->timeout, "timeout", "timeout", "a number of seconds", LAMBDA_TIMEOUT_MIN,
		       LAMBDA_TIMEOUT_MAX, text, len, err);
}

int lambda_config_set_memory(struct lambda_config *c, const char *text, size_t len,
			     struct nb_err *err)
{
	return set_int(&c->memory_mb, "memory-size", "memorySize", "a number of MB",
		       LAMBDA_MEMORY_MIN, LAMBDA_MEMORY_MAX, text, len, err);
}

int lambda_config_set_ephemeral(struct lambda_config *c, const char *text, size_t len,
				struct nb_err *err)
{
	return set_int(&c->ephemeral_mb, "ephemeral-storage", "ephemeralStorage.size",
		       "a number of MB", LAMBDA_EPHEMERAL_MIN, LAMBDA_EPHEMERAL_MAX, text, len,
		       err);
}

int lambda_config_set_concurrency(struct lambda_config *c, const char *text, size_t len,
				  struct nb_err *err)
{
	return set_int(&c->reserved_concurrency, "reserved-concurrency",
		       "reservedConcurrentExecutions", "a number of concurrent executions",
		       LAMBDA_CONCURRENCY_MIN, LAMBDA_CONCURRENCY_MAX, text, len, err);
}

int lambda_config_set_runtime(struct lambda_config *c, const char *text, size_t len,
			      struct nb_err *err)
{
	char v[64];
	int ret = trim("runtime", &text, &len, err);

	if (ret < 0)
		return ret;
	if (len == 0)
		return nb_err_set(err, -EINVAL,
				  "runtime: no value; write a runtime, e.g. python3.12");
	/* A longer value is no runtime: the check says so, listing them. */
	snprintf(v, sizeof(v), "%.*s", (int)(len < 63 ? len : 63), text);
	if ((ret = lambda_runtime_valid(v, err)) < 0)
		return ret;
	snprintf(c->runtime, sizeof(c->runtime), "%.31s", v);
	return 0;
}

int lambda_config_set_handler(struct lambda_config *c, const char *text, size_t len,
			      struct nb_err *err)
{
	int ret = trim("handler", &text, &len, err);

	if (ret < 0 || (ret = fnc_check_handler(text, len, err)) < 0)
		return ret;
	memcpy(c->handler, text, len);
	c->handler[len] = '\0';
	return 0;
}

int lambda_config_set_description(struct lambda_config *c, const char *text, size_t len,
				  struct nb_err *err)
{
	int ret = trim("description", &text, &len, err);

	if (ret < 0 || (ret = fnc_check_description(text, len, err)) < 0)
		return ret;
	memcpy(c->description, text, len);
	c->description[len] = '\0';
	return 0;
}

int lambda_config_set_image(struct lambda_config *c, const char *text, size_t len,
			    struct nb_err *err)
{
	int ret = trim("image", &text, &len, err);

	if (ret < 0 || (ret = fnc_check_image(text, len, err)) < 0)
		return ret;
	memcpy(c->image, text, len);
	c->image[len] = '\0';
	return 0;
}

int lambda_config_set_architecture(struct lambda_config *c, const char *text, size_t len,
				   struct nb_err *err)
{
	char v[32];
	int ret = trim("architecture", &text, &len, err);

	if (ret < 0)
		return ret;
	snprintf(v, sizeof(v), "%.*s", (int)(len < 31 ? len : 31), text);
	if ((ret = fnc_check_architecture(v, err)) < 0)
		return ret;
	snprintf(c->architecture, sizeof(c->architecture), "%.15s", v);
	return 0;
}

int lambda_config_set_env(struct lambda_config *c, const char *text, size_t len, struct nb_err *err)
{
	struct lambda_env_var *vars;
	size_t n;
	int ret = lambda_env_parse(text, len, &vars, &n, err);

	if (ret < 0)
		return ret;
	fnc_env_take(c, vars, n);
	return 0;
}

int lambda_config_set_field(struct lambda_config *c, enum lambda_field f, const char *text,
			    size_t len, struct nb_err *err)
{
	switch (f) {
	case LAMBDA_FIELD_RUNTIME:
		return lambda_config_set_runtime(c, text, len, err);
	case LAMBDA_FIELD_HANDLER:
		return lambda_config_set_handler(c, text, len, err);
	case LAMBDA_FIELD_TIMEOUT:
		return lambda_config_set_timeout(c, text, len, err);
	case LAMBDA_FIELD_MEMORY:
		return lambda_config_set_memory(c, text, len, err);
	case LAMBDA_FIELD_EPHEMERAL:
		return lambda_config_set_ephemeral(c, text, len, err);
	case LAMBDA_FIELD_ENVIRONMENT:
		return lambda_config_set_env(c, text, len, err);
	case LAMBDA_FIELD_CONCURRENCY:
		return lambda_config_set_concurrency(c, text, len, err);
	case LAMBDA_FIELD_IMAGE:
		return lambda_config_set_image(c, text, len, err);
	case LAMBDA_FIELD_DESCRIPTION:
		return lambda_config_set_description(c, text, len, err);
	case LAMBDA_FIELD_ARCHITECTURE:
		return lambda_config_set_architecture(c, text, len, err);
	}
	return nb_err_set(err, -EINVAL, "unknown field %d", (int)f);
}

static int render_str(const char *s, struct nb_buf *out)
{
	return s[0] ? nb_buf_printf(out, "%s\n", s) : 0;
}

int lambda_config_render_field(const struct lambda_config *c, enum lambda_field f,
			       struct nb_buf *out)
{
	switch (f) {
	case LAMBDA_FIELD_RUNTIME:
		return render_str(c->runtime, out);
	case LAMBDA_FIELD_HANDLER:
		return render_str(c->handler, out);
	case LAMBDA_FIELD_TIMEOUT:
		return nb_buf_printf(out, "%d\n", c->timeout);
	case LAMBDA_FIELD_MEMORY:
		return nb_buf_printf(out, "%d\n", c->memory_mb);
	case LAMBDA_FIELD_EPHEMERAL:
		return nb_buf_printf(out, "%d\n", c->ephemeral_mb);
	case LAMBDA_FIELD_ENVIRONMENT:
		return lambda_env_render(c->env, c->n_env, out);
	case LAMBDA_FIELD_CONCURRENCY:
		return nb_buf_printf(out, "%d\n", c->reserved_concurrency);
	case LAMBDA_FIELD_IMAGE:
		return render_str(c->image, out);
	case LAMBDA_FIELD_DESCRIPTION:
		return render_str(c->description, out);
	case LAMBDA_FIELD_ARCHITECTURE:
		return render_str(c->architecture, out);
	}
	return -EINVAL;
}

/* fingerprint */

static void feed(EVP_MD_CTX *md, const char *tag, const void *data, size_t len, bool *ok)
{
	uint64_t n = len;

	*ok = *ok && EVP_DigestUpdate(md, tag, strlen(tag) + 1) &&
	      EVP_DigestUpdate(md, &n, sizeof(n)) && (len == 0 || EVP_DigestUpdate(md, data, len));
}

static void feed_str(EVP_MD_CTX *md, const char *tag, const char *s, bool *ok)
{
	feed(md, tag, s ? s : "", s ? strlen(s) : 0, ok);
}

static void feed_int(EVP_MD_CTX *md, const char *tag, long long v, bool *ok)
{
	char text[32];

	feed(md, tag, text, (size_t)snprintf(text, sizeof(text), "%lld", v), ok);
}

int lambda_config_fingerprint(const struct lambda_config *c, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	const char *prev = NULL;
	bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);

	out[0] = '\0';
	feed_str(md, "fnconfig-v1", "", &ok);
	feed_str(md, "runtime", c->runtime, &ok);
	feed_str(md, "handler", c->handler, &ok);
	feed_str(md, "image", c->image, &ok);
	feed_str(md, "architecture", c->architecture, &ok);
	feed_int(md, "timeout", c->timeout, &ok);
	feed_int(md, "memory", c->memory_mb, &ok);
	feed_int(md, "ephemeral", c->ephemeral_mb, &ok);
	feed_str(md, "code_sha256", c->code_sha256, &ok);
	/* Variables in key order, so reordering the file keeps containers;
	 * keys are unique. */
	feed_int(md, "env", (long long)c->n_env, &ok);
	for (size_t k = 0; k < c->n_env; k++) {
		const struct lambda_env_var *next = NULL;

		for (size_t i = 0; i < c->n_env; i++)
			if ((!prev || strcmp(c->env[i].key, prev) > 0) &&
			    (!next || strcmp(c->env[i].key, next->key) < 0))
				next = &c->env[i];
		if (!next)
			break;
		feed_str(md, "key", next->key, &ok);
		feed_str(md, "value", next->value, &ok);
		prev = next->key;
	}
	feed_int(md, "layers", (long long)c->n_layers, &ok);
	for (size_t i = 0; i < c->n_layers; i++) {
		feed_str(md, "layer", c->layers[i].name, &ok);
		feed_str(md, "layer_sha256", c->layers[i].code_sha256, &ok);
		feed_int(md, "layer_size", (long long)c->layers[i].code_size, &ok);
	}
	ok = ok && EVP_DigestFinal_ex(md, digest, &dlen) && dlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -ENOMEM;
	for (unsigned int i = 0; i < dlen; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	return 0;
}
