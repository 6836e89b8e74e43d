/*
 * backend/lambda/fnconfig_json.c - a write of config.json: a CreateFunction
 * / UpdateFunctionConfiguration request, or GetFunctionConfiguration's
 * output again, checked field by field in Lambda's words and applied whole
 * or not at all. What it reads as is in fnconfig_describe.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "backend/lambda/fnconfig_i.h"

/* applying */

struct apply {
	struct lambda_config *c;
	struct nb_err *err;
	const char *package_type; /* given, or NULL */
	bool runtime, handler, image_uri;
};

static int bad_type(struct apply *ap, const char *path, const cJSON *v, const char *valid)
{
	return json_bad_type(ap->err, path, v, valid);
}

static int want_str(struct apply *ap, const char *path, const cJSON *v)
{
	return cJSON_IsString(v) ? 0 : bad_type(ap, path, v, "<class 'str'>");
}

static int want_int(struct apply *ap, const char *path, const char *aws_field, const cJSON *v,
		    long long min, long long max, int *out)
{
	double d = v->valuedouble;

	if (!cJSON_IsNumber(v) || !isfinite(d) || d != floor(d))
		return bad_type(ap, path, v, "<class 'int'>");
	if (d < (double)min || d > (double)max) {
		char shown[40], constraint[96];

		snprintf(shown, sizeof(shown), "%.0f", d);
		snprintf(constraint, sizeof(constraint),
			 "Member must have value %s than or equal to %lld",
			 d < (double)min ? "greater" : "less", d < (double)min ? min : max);
		return fnc_constraint(ap->err, aws_field, shown, constraint);
	}
	*out = (int)d;
	return 0;
}

typedef int (*apply_fn)(struct apply *ap, const char *key, const cJSON *v);

static int f_name(struct apply *ap, const char *key, const cJSON *v)
{
	const char *s, *tail;
	size_t n;
	int ret = want_str(ap, key, v);

	if (ret < 0)
		return ret;
	s = v->valuestring;
	tail = strstr(s, ":function:");
	n = strlen(ap->c->name);
	if (strcmp(s, ap->c->name) == 0 ||
	    (strncmp(s, "arn:", 4) == 0 && tail && strcmp(tail + 10, ap->c->name) == 0 && n))
		return 0;
	if (strcmp(key, "FunctionArn") == 0)
		return nb_err_set(ap->err, -EINVAL,
				  "FunctionArn \"%.200s\" is not this function's (%s)", s,
				  ap->c->name);
	return nb_err_set(ap->err, -EINVAL,
			  "FunctionName \"%.200s\" does not match this function, \"%s\": a "
			  "function is renamed by making a new one",
			  s, ap->c->name);
}

/* Runtime and Handler as config.json shows them change nothing, even when
 * unset ("") or a runtime deprecated since it was set: config.json written
 * back as read applies. */
static int f_runtime(struct apply *ap, const char *key, const cJSON *v)
{
	int ret = want_str(ap, key, v);

	if (ret < 0)
		return ret;
	if (strcmp(v->valuestring, ap->c->runtime) == 0) {
		ap->runtime |= v->valuestring[0] != '\0';
		return 0;
	}
	if ((ret = lambda_runtime_valid(v->valuestring, ap->err)) < 0)
		return ret;
	snprintf(ap->c->runtime, sizeof(ap->c->runtime), "%s", v->valuestring);
	ap->runtime = true;
	return 0;
}

static int f_handler(struct apply *ap, const char *key, const cJSON *v)
{
	int ret = want_str(ap, key, v);

	if (ret < 0)
		return ret;
	if (strcmp(v->valuestring, ap->c->handler) == 0) {
		ap->handler |= v->valuestring[0] != '\0';
		return 0;
	}
	if ((ret = fnc_check_handler(v->valuestring, strlen(v->valuestring), ap->err)) < 0)
		return ret;
	snprintf(ap->c->handler, sizeof(ap->c->handler), "%s", v->valuestring);
	ap->handler = true;
	return 0;
}

static int f_description(struct apply *ap, const char *key, const cJSON *v)
{
	int ret = want_str(ap, key, v);

	if (ret < 0 ||
	    (ret = fnc_check_description(v->valuestring, strlen(v->valuestring), ap->err)) < 0)
		return ret;
	snprintf(ap->c->description, sizeof(ap->c->description), "%s", v->valuestring);
	return 0;
}

static int f_role(struct apply *ap, const char *key, const cJSON *v)
{
	int ret = want_str(ap, key, v);

	if (ret < 0 || (ret = fnc_check_role(v->valuestring, ap->err)) < 0)
		return ret;
	snprintf(ap->c->role, sizeof(ap->c->role), "%s", v->valuestring);
	return 0;
}

static int f_timeout(struct apply *ap, const char *key, const cJSON *v)
{
	return want_int(ap, key, "timeout", v, LAMBDA_TIMEOUT_MIN, LAMBDA_TIMEOUT_MAX,
			&ap->c->timeout);
}

static int f_memory(struct apply *ap, const char *key, const cJSON *v)
{
	return want_int(ap, key, "memorySize", v, LAMBDA_MEMORY_MIN, LAMBDA_MEMORY_MAX,
			&ap->c->memory_mb);
}

static int f_ephemeral(struct apply *ap, const char *key, const cJSON *v)
{
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(v, "Size"), *m;

	if (!cJSON_IsObject(v))
		return bad_type(ap, key, v, "<class 'dict'>");
	cJSON_ArrayForEach(m, v) if (strcmp(m->string, "Size") != 0) return nb_err_set(
		ap->err, -EINVAL,
		"Unknown parameter in EphemeralStorage: \"%s\", must be one of: "
		"Size",
		m->string);
	if (!size)
		return nb_err_set(ap->err, -EINVAL,
				  "Missing required parameter in EphemeralStorage: \"Size\"");
	return want_int(ap, "EphemeralStorage.Size", "ephemeralStorage.size", size,
			LAMBDA_EPHEMERAL_MIN, LAMBDA_EPHEMERAL_MAX, &ap->c->ephemeral_mb);
}

static int f_environment(struct apply *ap, const char *key, const cJSON *v)
{
	const cJSON *vars, *m;
	struct lambda_env_var *env = NULL;
	size_t n = 0;
	char path[128];
	int ret = 0;

	if (!cJSON_IsObject(v))
		return bad_type(ap, key, v, "<class 'dict'>");
	cJSON_ArrayForEach(m,
			   v) if (strcmp(m->string, "Variables") != 0 &&
				  strcmp(m->string, "Error") !=
					  0) return nb_err_set(ap->err, -EINVAL,
							       "Unknown parameter in Environment: "
							       "\"%s\", must be one of: "
							       "Variables",
							       m->string);
	vars = cJSON_GetObjectItemCaseSensitive(v, "Variables");
	if (vars && !cJSON_IsNull(vars) && !cJSON_IsObject(vars))
		return bad_type(ap, "Environment.Variables", vars, "<class 'dict'>");
	cJSON_ArrayForEach(m, (cJSON_IsObject(vars) ? vars : NULL))
	{
		snprintf(path, sizeof(path), "Environment.Variables.%.80s", m->string);
		if ((ret = want_str(ap, path, m)) < 0)
			break;
		if (fnc_env_put(&env, &n, m->string, strlen(m->string), m->valuestring,
				strlen(m->valuestring)) < 0) {
			ret = nb_err_set(ap->err, -ENOMEM, "out of memory");
			break;
		}
	}
	if (ret == 0)
		ret = lambda_env_check(env, n, ap->err);
	if (ret < 0) {
		lambda_env_free(env, n);
		return ret;
	}
	fnc_env_take(ap->c, env, n);
	return 0;
}

static int f_package_type(struct apply *ap, const char *key, const cJSON *v)
{
	int ret = want_str(ap, key, v);

	if (ret < 0)
		return ret;
	if (strcmp(v->valuestring, "Zip") != 0 && strcmp(v->valuestring, "Image") != 0)
		return fnc_constraint(ap->err, "packageType", v->valuestring,
				      "Member must satisfy enum value set: [Zip, Image]");
	ap->package_type = v->valuestring;
	return 0;
}

static int f_code(struct apply *ap, const char *key, const cJSON *v)
{
	const cJSON *m;
	int ret;

	if (!cJSON_IsObject(v))
		return bad_type(ap, key, v, "<class 'dict'>");
	cJSON_ArrayForEach(m, v)
	{
		if (strcmp(m->string, "ImageUri") == 0) {
			if ((ret = want_str(ap, "Code.ImageUri", m)) < 0 ||
			    (ret = fnc_check_image(m->valuestring, strlen(m->valuestring),
						   ap->err)) < 0)
				return ret;
			snprintf(ap->c->image, sizeof(ap->c->image), "%s", m->valuestring);
			ap->image_uri = true;
		} else if (strcmp(m->string, "ZipFile") == 0 ||
			   strcmp(m->string, "S3Bucket") == 0 || strcmp(m->string, "S3Key") == 0 ||
			   strcmp(m->string, "S3ObjectVersion") == 0 ||
			   strcmp(m->string, "SourceKMSKeyArn") == 0) {
			if (!json_is_empty(m))
				return nb_err_set(ap->err, -EINVAL,
						  "Code.%s is not taken in config.json: write the "
						  "deployment package (a zip) to the function's "
						  "code.zip",
						  m->string);
		} else {
			return nb_err_set(ap->err, -EINVAL,
					  "Unknown parameter in Code: \"%s\", must be one of: "
					  "ZipFile, S3Bucket, S3Key, S3ObjectVersion, ImageUri, "
					  "SourceKMSKeyArn",
					  m->string);
		}
	}
	return 0;
}

static int f_architectures(struct apply *ap, const char *key, const cJSON *v)
{
	const cJSON *a;
	int ret;

	if (!cJSON_IsArray(v))
		return bad_type(ap, key, v, "<class 'list'>, <class 'tuple'>");
	if (cJSON_GetArraySize(v) != 1)
		return nb_err_set(ap->err, -EINVAL,
				  "1 validation error detected: Value at 'architectures' failed to "
				  "satisfy constraint: Member must have length %s",
				  cJSON_GetArraySize(v) < 1 ? "greater than or equal to 1"
							    : "less than or equal to 1");
	a = cJSON_GetArrayItem(v, 0);
	if ((ret = want_str(ap, "Architectures[0]", a)) < 0 ||
	    (ret = fnc_check_architecture(a->valuestring, ap->err)) < 0)
		return ret;
	snprintf(ap->c->architecture, sizeof(ap->c->architecture), "%s", a->valuestring);
	return 0;
}

static int f_publish(struct apply *ap, const char *key, const cJSON *v)
{
	if (!cJSON_IsBool(v))
		return bad_type(ap, key, v, "<class 'bool'>");
	if (cJSON_IsTrue(v))
		return nb_err_set(ap->err, -EINVAL,
				  "Publish: versions are not implemented by nimbusfs; every "
				  "function is $LATEST (omit Publish or make it false)");
	return 0;
}

/* Read-only output fields that must still say what they say. */
static int f_code_sha(struct apply *ap, const char *key, const cJSON *v)
{
	int ret = want_str(ap, key, v);

	if (ret < 0 || strcmp(v->valuestring, ap->c->code_sha256) == 0)
		return ret;
	return nb_err_set(ap->err, -EINVAL,
			  "CodeSha256 \"%.60s\" is not the function's code (\"%s\"): the code "
			  "changed since this config.json was read; drop the field or read "
			  "config.json again",
			  v->valuestring, ap->c->code_sha256);
}

static int f_code_size(struct apply *ap, const char *key, const cJSON *v)
{
	if (!cJSON_IsNumber(v))
		return bad_type(ap, key, v, "<class 'int'>");
	if (v->valuedouble == (double)ap->c->code_size)
		return 0;
	return nb_err_set(ap->err, -EINVAL,
			  "CodeSize %.0f is not the function's code size (%llu): the code changed "
			  "since this config.json was read; drop the field or read config.json "
			  "again",
			  v->valuedouble, (unsigned long long)ap->c->code_size);
}

static int f_version(struct apply *ap, const char *key, const cJSON *v)
{
	int ret = want_str(ap, key, v);

	if (ret < 0 || strcmp(v->valuestring, "$LATEST") == 0)
		return ret;
	return nb_err_set(ap->err, -EINVAL,
			  "Version \"%.60s\": nimbusfs functions have only $LATEST",
			  v->valuestring);
}

static int f_tracing(struct apply *ap, const char *key, const cJSON *v)
{
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(v, "Mode");

	if (!cJSON_IsObject(v))
		return bad_type(ap, key, v, "<class 'dict'>");
	if (!mode || (cJSON_IsString(mode) && strcmp(mode->valuestring, "PassThrough") == 0))
		return 0;
	return nb_err_set(ap->err, -EINVAL,
			  "TracingConfig: only Mode PassThrough is supported (X-Ray tracing is "
			  "not implemented by nimbusfs)");
}

static int f_logging(struct apply *ap, const char *key, const cJSON *v)
{
	char group[128];
	const cJSON *m;

	if (!cJSON_IsObject(v))
		return bad_type(ap, key, v, "<class 'dict'>");
	snprintf(group, sizeof(group), "/aws/lambda/%s", ap->c->name);
	cJSON_ArrayForEach(m, v)
	{
		const char *s = cJSON_IsString(m) ? m->valuestring : "";

		if ((strcmp(m->string, "LogFormat") == 0 && strcmp(s, "Text") == 0) ||
		    (strcmp(m->string, "LogGroup") == 0 && strcmp(s, group) == 0) ||
		    json_is_empty(m))
			continue;
		return nb_err_set(ap->err, -EINVAL,
				  "LoggingConfig: only LogFormat Text and LogGroup %s are "
				  "supported (%s is not)",
				  group, m->string);
	}
	return 0;
}

static int f_layers(struct apply *ap, const char *key, const cJSON *v)
{
	const cJSON *l;
	size_t i = 0;

	if (!cJSON_IsArray(v))
		return bad_type(ap, key, v, "<class 'list'>, <class 'tuple'>");
	cJSON_ArrayForEach(l, v)
	{
		const cJSON *arn =
			cJSON_IsObject(l) ? cJSON_GetObjectItemCaseSensitive(l, "Arn") : l;
		const char *s = cJSON_IsString(arn) ? arn->valuestring : "";
		const char *p = strstr(s, ":layer:");
		char name[80];
		size_t n;

		if (i >= ap->c->n_layers || !p)
			goto changed;
		fnc_layer_arn_name(ap->c->layers[i].name, name, sizeof(name));
		n = strlen(name);
		if (strncmp(p + 7, name, n) != 0 || (p[7 + n] != ':' && p[7 + n] != '\0'))
			goto changed;
		i++;
	}
	if (i == ap->c->n_layers)
		return 0;
changed:
	return nb_err_set(ap->err, -EINVAL,
			  "Layers: config.json does not change a function's layers; add or "
			  "remove them in the function's layers directory");
}

static int f_snapstart(struct apply *ap, const char *key, const cJSON *v)
{
	const cJSON *apply_on = cJSON_GetObjectItemCaseSensitive(v, "ApplyOn");

	if (!cJSON_IsObject(v))
		return bad_type(ap, key, v, "<class 'dict'>");
	if (!apply_on || (cJSON_IsString(apply_on) && strcmp(apply_on->valuestring, "None") == 0))
		return 0;
	return nb_err_set(ap->err, -EINVAL, "SnapStart is not implemented by nimbusfs");
}

/* Output fields that drift (state, time, revision): any value is fine. */
static int f_ignore(struct apply *ap, const char *key, const cJSON *v)
{
	(void)ap;
	(void)key;
	(void)v;
	return 0;
}

/* AWS fields nimbusfs does not implement: accepted when they say nothing. */
static int f_unsupported(struct apply *ap, const char *key, const cJSON *v)
{
	if (json_is_empty(v))
		return 0;
	return nb_err_set(ap->err, -EINVAL, "%s is not implemented by nimbusfs (leave it out)",
			  key);
}

static const struct {
	const char *key;
	apply_fn fn;
} fields[] = {
	/* CreateFunction and UpdateFunctionConfiguration */
	{ "FunctionName", f_name },
	{ "Runtime", f_runtime },
	{ "Role", f_role },
	{ "Handler", f_handler },
	{ "Code", f_code },
	{ "Description", f_description },
	{ "Timeout", f_timeout },
	{ "MemorySize", f_memory },
	{ "Publish", f_publish },
	{ "VpcConfig", f_unsupported },
	{ "PackageType", f_package_type },
	{ "DeadLetterConfig", f_unsupported },
	{ "Environment", f_environment },
	{ "KMSKeyArn", f_unsupported },
	{ "TracingConfig", f_tracing },
	{ "Tags", f_unsupported },
	{ "Layers", f_layers },
	{ "FileSystemConfigs", f_unsupported },
	{ "ImageConfig", f_unsupported },
	{ "CodeSigningConfigArn", f_unsupported },
	{ "Architectures", f_architectures },
	{ "EphemeralStorage", f_ephemeral },
	{ "SnapStart", f_snapstart },
	{ "LoggingConfig", f_logging },
	{ "RevisionId", f_ignore },
	/* GetFunctionConfiguration's output */
	{ "FunctionArn", f_name },
	{ "CodeSize", f_code_size },
	{ "CodeSha256", f_code_sha },
	{ "LastModified", f_ignore },
	{ "Version", f_version },
	{ "State", f_ignore },
	{ "StateReason", f_ignore },
	{ "StateReasonCode", f_ignore },
	{ "LastUpdateStatus", f_ignore },
	{ "LastUpdateStatusReason", f_ignore },
	{ "LastUpdateStatusReasonCode", f_ignore },
	{ "MasterArn", f_unsupported },
	{ "SigningProfileVersionArn", f_unsupported },
	{ "SigningJobArn", f_unsupported },
	{ "ImageConfigResponse", f_ignore },
	{ "RuntimeVersionConfig", f_ignore },
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))
/* The request parameters the unknown-parameter message lists. */
#define N_REQUEST_FIELDS 25

static int unknown(struct apply *ap, const char *key)
{
	char list[700];
	size_t n = 0;

	for (size_t i = 0; i < N_REQUEST_FIELDS; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
				      fields[i].key);
	return nb_err_set(ap->err, -EINVAL,
			  "Unknown parameter in input: \"%.64s\", must be one of: %s", key, list);
}

int lambda_config_apply_json(struct lambda_config *c, const char *text, size_t len,
			     struct nb_err *err)
{
	cleanup_cjson cJSON *doc = json_parse(text, len, err);
	struct lambda_config copy;
	struct apply ap = { .c = &copy, .err = err };
	const cJSON *m;
	int ret = 0;

	if (!doc)
		return -EINVAL;
	if (!cJSON_IsObject(doc))
		return nb_err_set(
			err, -EINVAL,
			"config.json must be a JSON object (CreateFunction, "
			"UpdateFunctionConfiguration or GetFunctionConfiguration's shape)");
	if (lambda_config_copy(&copy, c) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	cJSON_ArrayForEach(m, doc)
	{
		size_t i;

		for (i = 0; i < N_FIELDS && strcmp(fields[i].key, m->string) != 0; i++)
			;
		if (i == N_FIELDS) {
			ret = unknown(&ap, m->string);
			break;
		}
		if (cJSON_IsNull(m))
			continue;
		if ((ret = fields[i].fn(&ap, m->string, m)) < 0)
			break;
	}
	if (ret == 0 && ap.package_type && strcmp(ap.package_type, "Zip") == 0) {
		if (ap.image_uri)
			ret = nb_err_set(err, -EINVAL,
					 "Code.ImageUri needs PackageType Image, not Zip");
		copy.image[0] = '\0';
	} else if (ret == 0 && ap.package_type && !copy.image[0]) {
		ret = nb_err_set(err, -EINVAL,
				 "PackageType Image needs Code.ImageUri: the "
				 "image to run");
	}
	if (ret == 0 && copy.image[0] && (ap.runtime || ap.handler))
		ret = nb_err_set(
			err, -EINVAL,
			"Please don't provide Handler or Runtime or Layer when the intended "
			"function PackageType is Image.");
	if (ret < 0) {
		lambda_config_free(&copy);
		return ret;
	}
	lambda_config_free(c);
	*c = copy;
	return 0;
}
