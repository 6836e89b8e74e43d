/*
 * backend/lambda/fnconfig_env.c - a function's environment as a dotenv
 * file: the parser, the renderer that it reads back identically, and
 * Lambda's rules on the set (key pattern, reserved keys, 4 KB).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "backend/lambda/fnconfig_i.h"

/* Keys the Lambda runtime sets itself (Lambda Developer Guide, "Defined
 * runtime environment variables"): AWS refuses to let a function set them. */
static const char *const reserved_keys[] = {
	"_HANDLER",
	"_X_AMZN_TRACE_ID",
	"AWS_DEFAULT_REGION",
	"AWS_REGION",
	"AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME",
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME",
	"AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY",
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API",
	"LAMBDA_TASK_ROOT",
	"LAMBDA_RUNTIME_DIR",
	NULL,
};

#define KEY_PATTERN_MSG                                                                            \
	"1 validation error detected: Value at 'environment.variables' failed to satisfy "         \
	"constraint: Map keys must satisfy constraint: [Member must satisfy regular "              \
	"expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"

bool fnc_env_key_ok(const char *key, size_t len)
{
	if (len < 2 || !((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < len; i++) {
		char ch = key[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			return false;
	}
	return true;
}

static bool reserved(const char *key, size_t len)
{
	for (const char *const *r = reserved_keys; *r; r++)
		if (strlen(*r) == len && memcmp(*r, key, len) == 0)
			return true;
	return false;
}

void lambda_env_free(struct lambda_env_var *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(vars[i].key);
		free(vars[i].value);
	}
	free(vars);
}

void fnc_env_take(struct lambda_config *c, struct lambda_env_var *vars, size_t n)
{
	lambda_env_free(c->env, c->n_env);
	c->env = vars;
	c->n_env = n;
}

int fnc_env_put(struct lambda_env_var **vars, size_t *n, const char *key, size_t klen,
		const char *value, size_t vlen)
{
	char *v = strndup(value, vlen), *k;
	struct lambda_env_var *grown;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		if (strlen((*vars)[i].key) == klen && memcmp((*vars)[i].key, key, klen) == 0) {
			free((*vars)[i].value);
			(*vars)[i].value = v;
			return 0;
		}
	}
	k = strndup(key, klen);
	grown = k ? realloc(*vars, (*n + 1) * sizeof(**vars)) : NULL;
	if (!grown) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	grown[*n].key = k;
	grown[*n].value = v;
	*vars = grown;
	(*n)++;
	return 0;
}

int fnc_env_copy(struct lambda_env_var **dst, size_t *n_dst, const struct lambda_env_var *src,
		 size_t n)
{
	struct lambda_env_var *vars = NULL;
	size_t got = 0;

	*dst = NULL;
	*n_dst = 0;
	for (size_t i = 0; i < n; i++) {
		if (fnc_env_put(&vars, &got, src[i].key, strlen(src[i].key), src[i].value,
				strlen(src[i].value)) < 0) {
			lambda_env_free(vars, got);
			return -ENOMEM;
		}
	}
	*dst = vars;
	*n_dst = got;
	return 0;
}

/* Appends s to the measured string (escaped: JSON-escaped) while it fits. */
static void measure_append(char *buf, size_t cap, size_t *n, const char *s, bool escaped)
{
	for (; *s && *n + 8 < cap; s++) {
		if (escaped && (*s == '"' || *s == '\\'))
			buf[(*n)++] = '\\';
		buf[(*n)++] = *s == '\n' ? ' ' : *s;
	}
	buf[*n] = '\0';
}

int lambda_env_check(const struct lambda_env_var *vars, size_t n, struct nb_err *err)
{
	char used[512] = "", measured[400];
	size_t total = 0, m = 0, u = 0;

	for (size_t i = 0; i < n; i++)
		for (const char *const *r = reserved_keys; *r; r++)
			if (strcmp(vars[i].key, *r) == 0)
				u += (size_t)snprintf(used + u,
						      u < sizeof(used) ? sizeof(used) - u : 0,
						      "%s%s", u ? ", " : "", *r);
	if (u)
		return nb_err_set(err, -EINVAL,
				  "Lambda was unable to configure your environment variables "
				  "because the environment variables you have provided contains "
				  "reserved keys that are currently not supported for "
				  "modification. Reserved keys used in this request: %s",
				  used);
	for (size_t i = 0; i < n; i++) {
		if (!fnc_env_key_ok(vars[i].key, strlen(vars[i].key)))
			return nb_err_set(err, -EINVAL,
					  "environment: key \"%.64s\": " KEY_PATTERN_MSG,
					  vars[i].key);
		/* config.json shows them: JSON text is UTF-8. */
		if (!json_utf8_valid(vars[i].value, strlen(vars[i].value), NULL))
			return nb_err_set(err, -EINVAL, "environment: the value of %s is not UTF-8",
					  vars[i].key);
	}
	for (size_t i = 0; i < n; i++)
		total += strlen(vars[i].key) + strlen(vars[i].value);
	if (total <= LAMBDA_ENV_MAX)
		return 0;
	measured[m++] = '{';
	for (size_t i = 0; i < n && m + 16 < sizeof(measured); i++) {
		measure_append(measured, sizeof(measured), &m, i ? ",\"" : "\"", false);
		measure_append(measured, sizeof(measured), &m, vars[i].key, true);
		measure_append(measured, sizeof(measured), &m, "\":\"", false);
		measure_append(measured, sizeof(measured) - 8, &m, vars[i].value, true);
		measure_append(measured, sizeof(measured), &m, "\"", false);
	}
	return nb_err_set(err, -EFBIG,
			  "Lambda was unable to configure your environment variables because the "
			  "environment variables you have provided exceeded the 4KB limit. String "
			  "measured: %s... (%zu bytes of keys and values; the limit is %d)",
			  measured, total, LAMBDA_ENV_MAX);
}

/* the parser */

struct env_parse {
	const char *s;
	size_t len, pos;
	unsigned line;
	struct nb_buf value;
};

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

static void skip_blanks(struct env_parse *p)
{
	while (p->pos < p->len && blank(p->s[p->pos]))
		p->pos++;
}

/* After a value: blanks, then a comment or the end of the line. */
static int end_of_line(struct env_parse *p, const char *key, struct nb_err *err)
{
	skip_blanks(p);
	if (p->pos < p->len && p->s[p->pos] == '#')
		while (p->pos < p->len && p->s[p->pos] != '\n')
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] != '\n')
		return nb_err_set(err, -EINVAL,
				  "environment line %u: unexpected text after the closing quote "
				  "of %s's value",
				  p->line, key);
	return 0;
}

static int quoted(struct env_parse *p, const char *key, struct nb_err *err)
{
	char q = p->s[p->pos++], ch;
	unsigned start = p->line;

	for (;;) {
		if (p->pos >= p->len)
			return nb_err_set(err, -EINVAL,
					  "environment line %u: %s's value has no closing %c",
					  start, key, q);
		ch = p->s[p->pos++];
		if (ch == q)
			break;
		if (ch == '\0')
			return nb_err_set(err, -EINVAL,
					  "environment line %u: %s's value contains a NUL byte",
					  p->line, key);
		if (ch == '\n')
			p->line++;
		if (q == '"' && ch == '\\' && p->pos < p->len) {
			char e = p->s[p->pos];

			if (e == 'n' || e == 'r' || e == 't' || e == '"' || e == '\\') {
				ch = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
				p->pos++;
			}
		}
		if (nb_buf_append(&p->value, &ch, 1) < 0)
			return -ENOMEM;
	}
	return end_of_line(p, key, err);
}

static int unquoted(struct env_parse *p, const char *key, struct nb_err *err)
{
	size_t start = p->pos, end;

	while (p->pos < p->len && p->s[p->pos] != '\n')
		p->pos++;
	end = p->pos;
	if (memchr(p->s + start, '\0', end - start))
		return nb_err_set(err, -EINVAL,
				  "environment line %u: %s's value contains a NUL byte", p->line,
				  key);
	/* An inline comment starts at a '#' after a blank. */
	for (size_t i = start + 1; i < end; i++)
		if (p->s[i] == '#' && blank(p->s[i - 1])) {
			end = i;
			break;
		}
	while (end > start && blank(p->s[end - 1]))
		end--;
	return nb_buf_append(&p->value, p->s + start, end - start);
}

static int parse_line(struct env_parse *p, struct lambda_env_var **vars, size_t *n,
		      struct nb_err *err)
{
	const char *s = p->s;
	size_t ks, ke;
	char key[80];
	int ret;

	if (p->len - p->pos > 7 && strncmp(s + p->pos, "export", 6) == 0 && blank(s[p->pos + 6])) {
		p->pos += 6;
		skip_blanks(p);
	}
	ks = p->pos;
	while (p->pos < p->len && s[p->pos] != '=' && s[p->pos] != '\n')
		p->pos++;
	if (p->pos >= p->len || s[p->pos] != '=')
		return nb_err_set(
			err, -EINVAL,
			"environment line %u: expected KEY=VALUE, found no '=' in \"%.*s\"",
			p->line, (int)((p->pos - ks) < 64 ? p->pos - ks : 64), s + ks);
	ke = p->pos++;
	while (ke > ks && blank(s[ke - 1]))
		ke--;
	/* A reserved key ("_HANDLER") is refused with AWS's message for
	 * reserved keys, once the whole set is read. */
	if (!fnc_env_key_ok(s + ks, ke - ks) && !reserved(s + ks, ke - ks)) {
		bool nul = memchr(s + ks, '\0', ke - ks) != NULL;

		return nb_err_set(err, -EINVAL,
				  "environment line %u: key \"%.*s\"%s: " KEY_PATTERN_MSG, p->line,
				  (int)(ke - ks < 64 ? ke - ks : 64), s + ks,
				  nul ? " (with a NUL byte)" : "");
	}
	snprintf(key, sizeof(key), "%.*s", (int)(ke - ks < 64 ? ke - ks : 64), s + ks);
	skip_blanks(p);
	nb_buf_reset(&p->value);
	if (nb_buf_reserve(&p->value, 1) < 0)
		return -ENOMEM;
	if (p->pos < p->len && (s[p->pos] == '"' || s[p->pos] == '\''))
		ret = quoted(p, key, err);
	else
		ret = unquoted(p, key, err);
	if (ret < 0)
		return ret == -ENOMEM ? nb_err_set(err, -ENOMEM, "out of memory") : ret;
	if (fnc_env_put(vars, n, s + ks, ke - ks, p->value.data, p->value.len) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

int lambda_env_parse(const char *text, size_t len, struct lambda_env_var **out, size_t *n,
		     struct nb_err *err)
{
	struct env_parse p = { .s = text ? text : "", .len = text ? len : 0, .line = 1 };
	struct lambda_env_var *vars = NULL;
	size_t got = 0;
	int ret = 0;

	*out = NULL;
	*n = 0;
	while (p.pos < p.len) {
		skip_blanks(&p);
		if (p.pos < p.len && p.s[p.pos] == '#')
			while (p.pos < p.len && p.s[p.pos] != '\n')
				p.pos++;
		else if (p.pos < p.len && p.s[p.pos] != '\n' &&
			 (ret = parse_line(&p, &vars, &got, err)) < 0)
			break;
		if (p.pos < p.len) {
			p.pos++; /* the '\n' */
			p.line++;
		}
	}
	nb_buf_free(&p.value);
	if (ret == 0)
		ret = lambda_env_check(vars, got, err);
	if (ret < 0) {
		lambda_env_free(vars, got);
		return ret;
	}
	*out = vars;
	*n = got;
	return 0;
}

/* the renderer */

static bool needs_quotes(const char *v)
{
	size_t n = strlen(v);

	if (n && (blank(v[0]) || blank(v[n - 1])))
		return true;
	return strpbrk(v, "\n\r\"'#\\") != NULL;
}

int lambda_env_render(const struct lambda_env_var *vars, size_t n, struct nb_buf *out)
{
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		const char *v = vars[i].value;

		if (!needs_quotes(v)) {
			ret = nb_buf_printf(out, "%s=%s\n", vars[i].key, v);
			continue;
		}
		ret = nb_buf_printf(out, "%s=\"", vars[i].key);
		for (; *v && ret == 0; v++) {
			if (*v == '\n')
				ret = nb_buf_puts(out, "\\n");
			else if (*v == '\r')
				ret = nb_buf_puts(out, "\\r");
			else if (*v == '"' || *v == '\\')
				ret = nb_buf_printf(out, "\\%c", *v);
			else
				ret = nb_buf_append(out, v, 1);
		}
		if (ret == 0)
			ret = nb_buf_puts(out, "\"\n");
	}
	return ret;
}
