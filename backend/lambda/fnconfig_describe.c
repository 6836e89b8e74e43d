/*
 * backend/lambda/fnconfig_describe.c - config.json as it reads:
 * GetFunctionConfiguration's output for a configuration, with its ARNs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/lambda/fnconfig.h"
#include "backend/lambda/fnconfig_i.h"

void fnc_layer_arn_name(const char *name, char *out, size_t len)
{
	size_t n = strlen(name), i;

	if (n > 4 && strcmp(name + n - 4, ".zip") == 0)
		n -= 4;
	for (i = 0; i < n && i + 1 < len; i++) {
		char ch = name[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';

		out[i] = ok ? ch : '-';
	}
	out[i] = '\0';
}

/* rendering */

static cJSON *obj_with(cJSON *parent, const char *key)
{
	return cJSON_AddObjectToObject(parent, key);
}

static cJSON *describe(const struct lambda_config *c, const char *region, const char *account)
{
	cleanup_cjson cJSON *d = cJSON_CreateObject();
	char arn[256], role[LAMBDA_ROLE_MAX + 64], when[64], group[128];
	bool image = c->image[0] != '\0', ok;
	struct tm tm;
	cJSON *o = NULL, *a = NULL;
	time_t t = c->last_modified.tv_sec;

	if (!d)
		return NULL;
	snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s", region, account, c->name);
	if (c->role[0])
		snprintf(role, sizeof(role), "%s", c->role);
	else
		snprintf(role, sizeof(role), "arn:aws:iam::%s:role/%s", account,
			 LAMBDA_DEFAULT_ROLE_NAME);
	gmtime_r(&t, &tm);
	strftime(when, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ld+0000",
		 c->last_modified.tv_nsec / 1000000);
	snprintf(group, sizeof(group), "/aws/lambda/%s", c->name);

	ok = json_add_str(d, "FunctionName", c->name) == 0 &&
	     json_add_str(d, "FunctionArn", arn) == 0 &&
	     (image || json_add_str(d, "Runtime", c->runtime) == 0) &&
	     json_add_str(d, "Role", role) == 0 &&
	     (image || json_add_str(d, "Handler", c->handler) == 0) &&
	     json_add_num(d, "CodeSize", (double)c->code_size) == 0 &&
	     json_add_str(d, "Description", c->description) == 0 &&
	     json_add_num(d, "Timeout", c->timeout) == 0 &&
	     json_add_num(d, "MemorySize", c->memory_mb) == 0 &&
	     json_add_str(d, "LastModified", when) == 0 &&
	     json_add_str(d, "CodeSha256", c->code_sha256) == 0 &&
	     json_add_str(d, "Version", "$LATEST") == 0;
	if (ok && c->n_env) {
		o = obj_with(d, "Environment");
		o = o ? obj_with(o, "Variables") : NULL;
		ok = o != NULL;
		for (size_t i = 0; ok && i < c->n_env; i++)
			ok = json_add_str(o, c->env[i].key, c->env[i].value) == 0;
	}
	ok = ok && (o = obj_with(d, "TracingConfig")) &&
	     json_add_str(o, "Mode", "PassThrough") == 0;
	if (ok && c->n_layers) {
		ok = (a = cJSON_AddArrayToObject(d, "Layers")) != NULL;
		for (size_t i = 0; ok && i < c->n_layers; i++) {
			char name[80], larn[256];
			cJSON *l = cJSON_CreateObject();

			fnc_layer_arn_name(c->layers[i].name, name, sizeof(name));
			snprintf(larn, sizeof(larn), "arn:aws:lambda:%s:%s:layer:%s:1", region,
				 account, name);
			ok = l && cJSON_AddItemToArray(a, l) && json_add_str(l, "Arn", larn) == 0 &&
			     json_add_num(l, "CodeSize", (double)c->layers[i].code_size) == 0;
			if (!ok && l && !cJSON_GetArrayItem(a, (int)i))
				cJSON_Delete(l);
		}
	}
	ok = ok && (!c->state[0] || json_add_str(d, "State", c->state) == 0) &&
	     (!c->state_reason[0] || json_add_str(d, "StateReason", c->state_reason) == 0) &&
	     (!c->state_reason_code[0] ||
	      json_add_str(d, "StateReasonCode", c->state_reason_code) == 0) &&
	     json_add_str(d, "PackageType", lambda_config_package_type(c)) == 0 &&
	     (a = cJSON_AddArrayToObject(d, "Architectures")) &&
	     json_array_add_str(a, c->architecture) == 0 && (o = obj_with(d, "EphemeralStorage")) &&
	     json_add_num(o, "Size", c->ephemeral_mb) == 0 && (o = obj_with(d, "LoggingConfig")) &&
	     json_add_str(o, "LogFormat", "Text") == 0 && json_add_str(o, "LogGroup", group) == 0;
	return ok ? move_ptr(d) : NULL;
}

int lambda_config_render_json(const struct lambda_config *c, const char *region,
			      const char *account, struct nb_buf *out)
{
	cleanup_cjson cJSON *d = describe(c, region ? region : "", account ? account : "");
	cleanup_free char *text = d ? cJSON_Print(d) : NULL;

	return text ? nb_buf_printf(out, "%s\n", text) : -ENOMEM;
}
