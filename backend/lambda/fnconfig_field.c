/*
 * backend/lambda/fnconfig_field.c - the one-value files of a function
 * (runtime, handler, timeout, memory-size, ...): each setter trims and
 * validates a whole value before it changes anything, and each renders
 * back as one line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/lambda/fnconfig.h"
#include "backend/lambda/fnconfig_i.h"

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
