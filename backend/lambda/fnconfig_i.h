/*
 * backend/lambda/fnconfig_i.h - what fnconfig.c (model, runtimes,
 * fingerprint), fnconfig_check.c (validators and messages),
 * fnconfig_field.c (one-value files), fnconfig_env.c (dotenv),
 * fnconfig_json.c (config.json) and fnconfig_store.c (persistence) share.
 */
#ifndef NB_LAMBDA_FNCONFIG_I_H
#define NB_LAMBDA_FNCONFIG_I_H

#include "backend/lambda/fnconfig.h"

/* "1 validation error detected: Value '<value>' at '<field>' failed to
 * satisfy constraint: <constraint>" (the value clipped when long). */
int fnc_constraint(struct nb_err *err, const char *field, const char *value,
		   const char *constraint);
/* The range form of the above: "Member must have value less than or equal
 * to <max>" or "greater than or equal to <min>". */
int fnc_range(struct nb_err *err, const char *field, long long value, long long min, long long max);

/* Validators shared by the setters, config.json and persistence; each
 * names its field as AWS does ('handler', 'description', ...). */
int fnc_check_handler(const char *s, size_t len, struct nb_err *err);
int fnc_check_description(const char *s, size_t len, struct nb_err *err);
int fnc_check_image(const char *s, size_t len, struct nb_err *err);
int fnc_check_architecture(const char *s, struct nb_err *err);
int fnc_check_role(const char *s, struct nb_err *err);

/* Whether key matches [a-zA-Z]([a-zA-Z0-9_])+ (len bytes). */
bool fnc_env_key_ok(const char *key, size_t len);
/* Appends a copy of key=value to *vars, replacing an existing key's value
 * in place. 0 or -ENOMEM (nothing changed). */
int fnc_env_put(struct lambda_env_var **vars, size_t *n, const char *key, size_t klen,
		const char *value, size_t vlen);
int fnc_env_copy(struct lambda_env_var **dst, size_t *n_dst, const struct lambda_env_var *src,
		 size_t n);
/* Replaces c's environment with vars (taken). */
void fnc_env_take(struct lambda_config *c, struct lambda_env_var *vars, size_t n);

/* The layer name in ARN form: "01-deps.zip" -> "01-deps", other characters
 * than [A-Za-z0-9_-] become '-'. */
void fnc_layer_arn_name(const char *name, char *out, size_t len);

#endif
