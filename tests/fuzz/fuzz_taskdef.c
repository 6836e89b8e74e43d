/*
 * tests/fuzz/fuzz_taskdef.c - RegisterTaskDefinition JSON, as written to
 * ecs/task-definitions/register: ecs_taskdef_parse(), and for what it
 * accepts everything downstream that "trusts what it checked": finalize,
 * the start order, the secrets' valueFrom references, the ContainerCreate
 * bodies (with each secret resolved to a value) and the pause container's.
 * Also checks that a definition's DescribeTaskDefinition form parses back
 * to the same definition (as `register` documents it takes that form).
 */
#include <cjson/cJSON.h>

#include "backend/ecs/ecs_i.h"
#include "backend/ecs/spec.h"
#include "backend/ecs/taskdef.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* The secrets of cd as ecs_secrets_resolve() would hand them over,
 * [{name, value}], after parsing each valueFrom as it does. */
static cJSON *resolved_secrets(const cJSON *cd)
{
	const cJSON *secrets = cJSON_GetObjectItem(cd, "secrets"), *s;
	cJSON *out;

	if (!cJSON_GetArraySize(secrets))
		return NULL;
	out = cJSON_CreateArray();
	cJSON_ArrayForEach(s, secrets)
	{
		const cJSON *name = cJSON_GetObjectItem(s, "name"),
			    *from = cJSON_GetObjectItem(s, "valueFrom");
		struct ecs_secret_ref ref;
		cJSON *e = cJSON_CreateObject();
		int ret;

		FUZZ_CHECK(cJSON_IsString(name) && cJSON_IsString(from),
			   "a secret without name or valueFrom was accepted");
		memset(&ref, 0, sizeof(ref));
		ret = ecs_secret_ref_parse(from->valuestring, &ref);
		FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOTSUP, "ref_parse: %d", ret);
		if (ret == 0)
			FUZZ_CHECK(ref.name[0] && strlen(ref.name) <= ECS_SECRET_NAME_MAX,
				   "valueFrom \"%s\" names \"%s\"", from->valuestring, ref.name);
		cJSON_AddStringToObject(e, "name", name->valuestring);
		cJSON_AddStringToObject(e, "value", "secret\nvalue");
		cJSON_AddItemToArray(out, e);
	}
	return out;
}

static void spec_all(const cJSON *def)
{
	const cJSON *mode = cJSON_GetObjectItem(def, "networkMode"), *cdefs, *cd;
	struct ecs_spec_ctx ctx = {
		.owner = "fuzz",
		.task_id = "0123456789abcdef0123456789abcdef",
		.network_mode = cJSON_IsString(mode) ? mode->valuestring : "awsvpc",
		.hostname = "ip-10-0-0-5",
	};
	int order[ECS_TASKDEF_CONTAINERS_MAX];
	struct nb_err err = { 0 };
	cJSON *out = NULL;
	int n, ret;

	if (strcmp(ctx.network_mode, "awsvpc") == 0)
		ctx.pause_id = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
	n = ecs_spec_start_order(def, order, ECS_TASKDEF_CONTAINERS_MAX);
	FUZZ_CHECK(n >= 1 && n <= ECS_TASKDEF_CONTAINERS_MAX,
		   "start order of a valid definition: %d", n);
	cdefs = cJSON_GetObjectItem(def, "containerDefinitions");
	FUZZ_CHECK(n == cJSON_GetArraySize(cdefs), "start order has %d of %d containers", n,
		   cJSON_GetArraySize(cdefs));
	cJSON_ArrayForEach(cd, cdefs)
	{
		cJSON *secrets = resolved_secrets(cd);

		memset(&err, 0, sizeof(err));
		ret = ecs_spec_container(&ctx, def, cd, NULL, secrets, &out, &err);
		FUZZ_CHECK(
			ret == 0 || ret == -ENOMEM,
			"ecs_spec_container refused a definition ecs_taskdef_parse accepted: %d %s",
			ret, err.msg);
		cJSON_Delete(out);
		cJSON_Delete(secrets);
		out = NULL;
	}
	memset(&err, 0, sizeof(err));
	ret = ecs_spec_pause(&ctx, def, "local/busybox:latest", &out, &err);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "ecs_spec_pause: %d %s", ret, err.msg);
	cJSON_Delete(out);
}

/* {"taskDefinition": def after finalize} parses back to def. */
static void roundtrip(const cJSON *def)
{
	cJSON *wrap = cJSON_CreateObject(), *copy = cJSON_Duplicate(def, true);
	cJSON *def2 = NULL, *warn2 = NULL;
	struct nb_err err = { 0 };
	char *text;
	int ret;

	if (!wrap || !copy) {
		cJSON_Delete(wrap);
		cJSON_Delete(copy);
		return;
	}
	ret = ecs_taskdef_finalize(copy, 3, "local", "000000000000", 1700000000.5, &err);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "finalize refused a parsed definition: %d %s", ret,
		   err.msg);
	cJSON_AddItemToObject(wrap, "taskDefinition", copy);
	text = cJSON_PrintUnformatted(wrap);
	cJSON_Delete(wrap);
	if (!text)
		return;
	memset(&err, 0, sizeof(err));
	ret = ecs_taskdef_parse(text, strlen(text), &def2, &warn2, &err);
	/* Normalising may grow the text past the 64 KiB a request may have. */
	if (ret != -ENOMEM && !(ret == -EFBIG && strlen(text) > ECS_TASKDEF_MAX)) {
		FUZZ_CHECK(ret == 0, "DescribeTaskDefinition form does not parse back: %d %s\n%s",
			   ret, err.msg, text);
		FUZZ_CHECK(cJSON_Compare(def, def2, true),
			   "DescribeTaskDefinition form parses to another definition:\n%s", text);
	}
	free(text);
	cJSON_Delete(def2);
	cJSON_Delete(warn2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	cJSON *def = NULL, *warnings = NULL;
	struct nb_err err = { 0 };
	int ret;

	if (!buf)
		return 0;
	ret = ecs_taskdef_parse(buf, size, &def, &warnings, &err);
	FUZZ_CHECK_ERR(ret, &err);
	if (ret == 0) {
		FUZZ_CHECK(def && cJSON_IsArray(warnings), "success without a definition");
		spec_all(def);
		roundtrip(def);
	} else {
		FUZZ_CHECK(!def && !warnings, "error %d left outputs set", ret);
	}
	cJSON_Delete(def);
	cJSON_Delete(warnings);
	free(buf);
	return 0;
}
