/*
 * backend/common/json.c - typed, range-checked access to cJSON documents.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/buf.h"
#include "backend/common/json.h"

static void position_of(const char *buf, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

size_t json_utf8_seq(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	uint32_t cp;

	if (!len)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool json_utf8_valid(const char *s, size_t len, size_t *bad)
{
	for (size_t i = 0, n; i < len; i += n) {
		n = json_utf8_seq(s + i, len - i);
		if (!n) {
			if (bad)
				*bad = i;
			return false;
		}
	}
	return true;
}

/* A \u0000 escape inside a string: cJSON would cut the string there, so a
 * name or value would silently change. Returns its offset, or len. */
static size_t nul_escape_at(const char *buf, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '"') {
			in_string = !in_string;
		} else if (in_string && buf[i] == '\\' && i + 1 < len) {
			if (buf[i + 1] == 'u' && i + 5 < len &&
			    strncmp(buf + i + 2, "0000", 4) == 0)
				return i;
			i++; /* the escaped character */
		}
	}
	return len;
}

cJSON *json_parse(const char *buf, size_t len, struct nb_err *err)
{
	const char *end = NULL;
	cJSON *doc;
	size_t off, line, col;

	if (len == 0 || !buf) {
		nb_err_set(err, -EINVAL, "invalid JSON: empty document");
		return NULL;
	}
	/* A raw NUL would end every string it is in, as \u0000 would. */
	if (memchr(buf, '\0', len)) {
		off = (size_t)((const char *)memchr(buf, '\0', len) - buf);
		position_of(buf, off, &line, &col);
		nb_err_set(err, -EINVAL, "invalid JSON at line %zu, column %zu: a NUL byte", line,
			   col);
		return NULL;
	}
	if (!json_utf8_valid(buf, len, &off)) {
		position_of(buf, off, &line, &col);
		nb_err_set(err, -EINVAL, "invalid JSON at line %zu, column %zu: not UTF-8", line,
			   col);
		return NULL;
	}
	off = nul_escape_at(buf, len);
	if (off < len) {
		position_of(buf, off, &line, &col);
		nb_err_set(err, -EINVAL,
			   "invalid JSON at line %zu, column %zu: a string may not hold \\u0000",
			   line, col);
		return NULL;
	}
	doc = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!doc) {
		off = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : 0;
		position_of(buf, off, &line, &col);
		nb_err_set(err, -EINVAL, "invalid JSON at line %zu, column %zu", line, col);
		return NULL;
	}
	off = (size_t)(end - buf);
	while (off < len && nb_is_blank(buf[off]))
		off++;
	if (off < len) {
		position_of(buf, off, &line, &col);
		cJSON_Delete(doc);
		nb_err_set(
			err, -EINVAL,
			"invalid JSON at line %zu, column %zu: unexpected data after the document",
			line, col);
		return NULL;
	}
	return doc;
}

bool json_is_complete(const char *buf, size_t len)
{
	char open[64]; /* the brackets still open, innermost last */
	size_t i = 0, depth = 0, deep = 0;
	bool in_str = false, esc = false;

	while (i < len && nb_is_blank(buf[i]))
		i++;
	if (i == len)
		return false;
	/* A bare scalar is as complete as the line that holds it. */
	if (buf[i] != '{' && buf[i] != '[')
		return buf[len - 1] == '\n';
	for (; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (depth < sizeof(open))
				open[depth++] = c;
			else
				deep++; /* past 64 levels, count without checking */
		} else if (c == '}' || c == ']') {
			if (deep) {
				deep--;
				continue;
			}
			/* A closer that does not match can never become valid:
			 * complete now, so the error is reported at once. */
			if (depth == 0 || open[depth - 1] != (c == '}' ? '{' : '['))
				return true;
			if (--depth == 0)
				return true;
		}
	}
	return false;
}

static int get_typed(const cJSON *obj, const char *field, bool required, const char *what,
		     cJSON_bool (*is)(const cJSON *), const cJSON **out, struct nb_err *err)
{
	const cJSON *item;

	*out = NULL;
	if (!cJSON_IsObject(obj))
		return nb_err_set(err, -EINVAL, "expected a JSON object holding \"%s\"", field);
	item = cJSON_GetObjectItemCaseSensitive(obj, field);
	if (!item || cJSON_IsNull(item)) {
		if (required)
			return nb_err_set(err, -EINVAL, "\"%s\" is required", field);
		return 0;
	}
	if (!is(item))
		return nb_err_set(err, -EINVAL, "\"%s\" must be %s", field, what);
	*out = item;
	return 0;
}

int json_get_str(const cJSON *obj, const char *field, const char **out, struct nb_err *err)
{
	const cJSON *item;
	int ret = get_typed(obj, field, true, "a string", cJSON_IsString, &item, err);

	if (ret < 0)
		return ret;
	*out = item->valuestring;
	return 0;
}

int json_get_str_opt(const cJSON *obj, const char *field, const char *def, const char **out,
		     struct nb_err *err)
{
	const cJSON *item;
	int ret = get_typed(obj, field, false, "a string", cJSON_IsString, &item, err);

	if (ret < 0)
		return ret;
	*out = item ? item->valuestring : def;
	return 0;
}

static int check_int(const cJSON *item, const char *field, int64_t min, int64_t max, int64_t *out,
		     struct nb_err *err)
{
	double v = item->valuedouble;

	if (!isfinite(v) || v != floor(v))
		return nb_err_set(err, -EINVAL, "\"%s\" must be an integer", field);
	/* (double)INT64_MAX rounds up to 2^63, which int64_t cannot hold. */
	if (v < (double)min || v > (double)max || v >= 0x1p63)
		return nb_err_set(err, -EINVAL, "\"%s\" is %.0f; it must be between %lld and %lld",
				  field, v, (long long)min, (long long)max);
	*out = (int64_t)v;
	return 0;
}

int json_get_int(const cJSON *obj, const char *field, int64_t min, int64_t max, int64_t *out,
		 struct nb_err *err)
{
	const cJSON *item;
	int ret = get_typed(obj, field, true, "a number", cJSON_IsNumber, &item, err);

	if (ret < 0)
		return ret;
	return check_int(item, field, min, max, out, err);
}

int json_get_int_opt(const cJSON *obj, const char *field, int64_t def, int64_t min, int64_t max,
		     int64_t *out, struct nb_err *err)
{
	const cJSON *item;
	int ret = get_typed(obj, field, false, "a number", cJSON_IsNumber, &item, err);

	if (ret < 0)
		return ret;
	if (!item) {
		*out = def;
		return 0;
	}
	return check_int(item, field, min, max, out, err);
}

int json_get_bool_opt(const cJSON *obj, const char *field, bool def, bool *out, struct nb_err *err)
{
	const cJSON *item;
	int ret = get_typed(obj, field, false, "true or false", cJSON_IsBool, &item, err);

	if (ret < 0)
		return ret;
	*out = item ? cJSON_IsTrue(item) : def;
	return 0;
}

int json_get_object_opt(const cJSON *obj, const char *field, const cJSON **out, struct nb_err *err)
{
	return get_typed(obj, field, false, "an object", cJSON_IsObject, out, err);
}

int json_get_array_opt(const cJSON *obj, const char *field, const cJSON **out, struct nb_err *err)
{
	return get_typed(obj, field, false, "an array", cJSON_IsArray, out, err);
}

int json_add_str(cJSON *obj, const char *field, const char *value)
{
	return cJSON_AddStringToObject(obj, field, value ? value : "") ? 0 : -ENOMEM;
}

int json_add_num(cJSON *obj, const char *field, double value)
{
	return cJSON_AddNumberToObject(obj, field, value) ? 0 : -ENOMEM;
}

int json_add_bool(cJSON *obj, const char *field, bool value)
{
	return cJSON_AddBoolToObject(obj, field, value) ? 0 : -ENOMEM;
}

int json_array_add_str(cJSON *arr, const char *value)
{
	cJSON *item = cJSON_CreateString(value ? value : "");

	if (!item)
		return -ENOMEM;
	if (!cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	return 0;
}

char *json_print(const cJSON *obj)
{
	return cJSON_PrintUnformatted(obj);
}

const char *json_py_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "<class 'str'>";
	if (cJSON_IsBool(v))
		return "<class 'bool'>";
	if (cJSON_IsNumber(v))
		return v->valuedouble == floor(v->valuedouble) ? "<class 'int'>"
							       : "<class 'float'>";
	if (cJSON_IsArray(v))
		return "<class 'list'>";
	if (cJSON_IsObject(v))
		return "<class 'dict'>";
	return "<class 'NoneType'>";
}

int json_bad_type(struct nb_err *err, const char *path, const cJSON *v, const char *valid)
{
	char *shown = cJSON_IsString(v) ? NULL : json_print(v);
	int ret = nb_err_set(
		err, -EINVAL,
		"Invalid type for parameter %s, value: %.120s, type: %s, valid types: %s", path,
		cJSON_IsString(v) ? v->valuestring
		: shown		  ? shown
				  : "?",
		json_py_type(v), valid);

	free(shown);
	return ret;
}

bool json_is_empty(const cJSON *v)
{
	const cJSON *m;

	if (cJSON_IsNull(v) || cJSON_IsFalse(v))
		return true;
	if (cJSON_IsString(v))
		return v->valuestring[0] == '\0';
	if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		cJSON_ArrayForEach(m, v) if (!json_is_empty(m)) return false;
		return true;
	}
	return false;
}
