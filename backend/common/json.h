/*
 * backend/common/json.h - the one layer through which nimbusfs uses cJSON.
 * Getters check type and range and name the field in the error, so a user
 * who wrote bad JSON learns which field and why. All return 0 or -EINVAL
 * (-ENOENT never: a missing required field is a value error).
 */
#ifndef NB_JSON_H
#define NB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "backend/common/err.h"

/* Parses exactly one JSON document (trailing whitespace allowed); NULL and
 * -EINVAL with "invalid JSON at line L, column C" on failure. */
cJSON *json_parse(const char *buf, size_t len, struct nb_err *err);

/* Returns true once buf's first value is structurally closed (brackets
 * balanced outside strings), or, for a bare scalar, once the line ends: the
 * test that decides when a written JSON request is ready to commit. A
 * complete but invalid document is "complete" too, so that its error is
 * reported at once rather than at close. */
bool json_is_complete(const char *buf, size_t len);

int json_get_str(const cJSON *obj, const char *field, const char **out, struct nb_err *err);
int json_get_str_opt(const cJSON *obj, const char *field, const char *def, const char **out,
		     struct nb_err *err);
int json_get_int(const cJSON *obj, const char *field, int64_t min, int64_t max, int64_t *out,
		 struct nb_err *err);
int json_get_int_opt(const cJSON *obj, const char *field, int64_t def, int64_t min, int64_t max,
		     int64_t *out, struct nb_err *err);
int json_get_bool_opt(const cJSON *obj, const char *field, bool def, bool *out, struct nb_err *err);
/* Optional object/array: *out is NULL when absent. */
int json_get_object_opt(const cJSON *obj, const char *field, const cJSON **out, struct nb_err *err);
int json_get_array_opt(const cJSON *obj, const char *field, const cJSON **out, struct nb_err *err);

/* Adds helpers that report -ENOMEM instead of silently dropping a field. */
/* Python's name for v's type ("<class 'int'>"), as the AWS CLI's
 * "Invalid type for parameter" messages print it. */
const char *json_py_type(const cJSON *v);

/* The AWS CLI's "Invalid type for parameter PATH, value: V, type: T,
 * valid types: VALID" as -EINVAL. */
int json_bad_type(struct nb_err *err, const char *path, const cJSON *v, const char *valid);

/* Whether v says nothing: null, false, "", {}, [] or made only of such. */
bool json_is_empty(const cJSON *v);

int json_add_str(cJSON *obj, const char *field, const char *value);
int json_add_num(cJSON *obj, const char *field, double value);
int json_add_bool(cJSON *obj, const char *field, bool value);
/* Appends a string (NULL as "") to an array: 0, or -ENOMEM with arr unchanged. */
int json_array_add_str(cJSON *arr, const char *value);

/* The length of the valid UTF-8 sequence at s (1 for ASCII, 2-4), or 0
 * when the bytes there are not UTF-8 (overlong, surrogate, past U+10FFFF,
 * cut short). */
size_t json_utf8_seq(const char *s, size_t len);
/* Whether s is UTF-8 throughout; *bad (may be NULL) gets the first bad
 * byte's offset. */
bool json_utf8_valid(const char *s, size_t len, size_t *bad);

/* Prints compactly into a malloc'd string (caller frees); NULL on ENOMEM. */
char *json_print(const cJSON *obj);

#endif
