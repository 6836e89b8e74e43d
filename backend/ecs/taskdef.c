/*
 * backend/ecs/taskdef.c - RegisterTaskDefinition: the request, its field
 * tables and the task-level rules; taskdef_walk.c checks types and ranges.
 * The aim is AWS fidelity: what ECS refuses we refuse, naming the field by
 * its path, so a definition that works here registers on AWS unchanged.
 * Container rules live in taskdef_container.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/ecs/taskdef.h"
#include "backend/ecs/taskdef_i.h"

/* Task size limits from the RegisterTaskDefinition reference: EC2 tasks take
 * 128 CPU units (0.125 vCPU) to 196608 (192 vCPUs). ECS sets no memory cap
 * for EC2, so the cap only refuses the absurd: 16 TiB. Docker (20.10+)
 * needs at least 6 MiB for a container, so a task needs that much too. */
#define TASK_CPU_MIN	128
#define TASK_CPU_MAX	196608
#define TASK_MEMORY_MIN 6
#define TASK_MEMORY_MAX (16LL * 1024 * 1024)

/* DescribeTaskDefinition output fields ECS sets itself; RegisterTaskDefinition
 * does not take them, so the request form refuses them. */
static const char *const read_only_fields[] = {
	"taskDefinitionArn",  "revision",	 "status",
	"registeredAt",	      "registeredBy",	 "deregisteredAt",
	"requiresAttributes", "compatibilities", NULL,
};

static const char *const net_modes[] = { "bridge", "host", "awsvpc", "none", NULL };
static const char *const compatibilities[] = { "EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES",
					       NULL };
static const char *const pid_modes[] = { "host", "task", NULL };
static const char *const ipc_modes[] = { "host", "task", "none", NULL };
static const char *const volume_scopes[] = { "task", "shared", NULL };
static const char *const enabled_disabled[] = { "ENABLED", "DISABLED", NULL };
static const char *const placement_types[] = { "memberOf", NULL };
static const char *const proxy_types[] = { "APPMESH", NULL };
static const char *const cpu_archs[] = { "X86_64", "ARM64", NULL };
static const char *const os_families[] = {
	"LINUX",
	"WINDOWS_SERVER_2016_FULL",
	"WINDOWS_SERVER_2019_FULL",
	"WINDOWS_SERVER_2019_CORE",
	"WINDOWS_SERVER_2022_FULL",
	"WINDOWS_SERVER_2022_CORE",
	"WINDOWS_SERVER_2025_FULL",
	"WINDOWS_SERVER_2025_CORE",
	"WINDOWS_SERVER_2004_CORE",
	"WINDOWS_SERVER_20H2_CORE",
	NULL,
};

static const struct td_field host_fields[] = {
	{ .name = "sourcePath", .kind = TD_STR },
	{ .name = NULL },
};

static const struct td_field docker_volume_fields[] = {
	{ .name = "scope", .kind = TD_ENUM, .values = volume_scopes },
	{ .name = "autoprovision", .kind = TD_BOOL },
	{ .name = "driver", .kind = TD_STR },
	{ .name = "driverOpts", .kind = TD_STRMAP },
	{ .name = "labels", .kind = TD_STRMAP },
	{ .name = NULL },
};

static const struct td_field efs_auth_fields[] = {
	{ .name = "accessPointId", .kind = TD_STR },
	{ .name = "iam", .kind = TD_ENUM, .values = enabled_disabled },
	{ .name = NULL },
};

static const struct td_field efs_fields[] = {
	{ .name = "fileSystemId", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "rootDirectory", .kind = TD_STR },
	{ .name = "transitEncryption", .kind = TD_ENUM, .values = enabled_disabled },
	{ .name = "transitEncryptionPort", .kind = TD_INT, .min = 0, .max = 65535 },
	{ .name = "authorizationConfig", .kind = TD_OBJ, .sub = efs_auth_fields },
	{ .name = NULL },
};

static const struct td_field fsx_auth_fields[] = {
	{ .name = "credentialsParameter", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "domain", .kind = TD_STR, .flags = TD_REQ },
	{ .name = NULL },
};

static const struct td_field fsx_fields[] = {
	{ .name = "fileSystemId", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "rootDirectory", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "authorizationConfig", .kind = TD_OBJ, .sub = fsx_auth_fields },
	{ .name = NULL },
};

static const struct td_field volume_fields[] = {
	{ .name = "name", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "host", .kind = TD_OBJ, .sub = host_fields },
	{ .name = "dockerVolumeConfiguration", .kind = TD_OBJ, .sub = docker_volume_fields },
	{ .name = "efsVolumeConfiguration", .kind = TD_OBJ, .flags = TD_WARN, .sub = efs_fields },
	{ .name = "fsxWindowsFileServerVolumeConfiguration",
	  .kind = TD_OBJ,
	  .flags = TD_WARN,
	  .sub = fsx_fields },
	{ .name = "configuredAtLaunch", .kind = TD_BOOL, .flags = TD_WARN },
	{ .name = NULL },
};

/* Tag limits from the ECS Tag reference: key 1-128, value 0-256, 50 tags. */
static const struct td_field tag_fields[] = {
	{ .name = "key", .kind = TD_STR, .flags = TD_REQ, .min = 1, .max = 128 },
	{ .name = "value", .kind = TD_STR, .max = 256 },
	{ .name = NULL },
};

static const struct td_field placement_fields[] = {
	{ .name = "type", .kind = TD_ENUM, .values = placement_types },
	{ .name = "expression", .kind = TD_STR, .max = 2000 },
	{ .name = NULL },
};

static const struct td_field kv_fields[] = {
	{ .name = "name", .kind = TD_STR },
	{ .name = "value", .kind = TD_STR },
	{ .name = NULL },
};

static const struct td_field proxy_fields[] = {
	{ .name = "type", .kind = TD_ENUM, .values = proxy_types },
	{ .name = "containerName", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "properties", .kind = TD_ARR_OBJ, .sub = kv_fields },
	{ .name = NULL },
};

static const struct td_field accelerator_fields[] = {
	{ .name = "deviceName", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "deviceType", .kind = TD_STR, .flags = TD_REQ },
	{ .name = NULL },
};

/* EphemeralStorage.sizeInGiB: 21 to 200 GiB. */
static const struct td_field ephemeral_fields[] = {
	{ .name = "sizeInGiB", .kind = TD_INT, .flags = TD_REQ, .min = 21, .max = 200 },
	{ .name = NULL },
};

static const struct td_field runtime_platform_fields[] = {
	{ .name = "cpuArchitecture", .kind = TD_ENUM, .values = cpu_archs },
	{ .name = "operatingSystemFamily", .kind = TD_ENUM, .values = os_families },
	{ .name = NULL },
};

/* Every RegisterTaskDefinition parameter; anything else is refused, as the
 * AWS CLI refuses an unknown parameter. */
static const struct td_field task_fields[] = {
	{ .name = "family", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "taskRoleArn", .kind = TD_STR, .flags = TD_WARN },
	{ .name = "executionRoleArn", .kind = TD_STR, .flags = TD_WARN },
	{ .name = "networkMode", .kind = TD_ENUM, .values = net_modes },
	{ .name = "containerDefinitions",
	  .kind = TD_ARR_OBJ,
	  .flags = TD_REQ,
	  .nonempty = true,
	  .max_items = ECS_TASKDEF_CONTAINERS_MAX,
	  .sub = td_container_fields },
	{ .name = "volumes", .kind = TD_ARR_OBJ, .sub = volume_fields },
	{ .name = "placementConstraints",
	  .kind = TD_ARR_OBJ,
	  .flags = TD_WARN,
	  .max_items = 10,
	  .sub = placement_fields },
	{ .name = "requiresCompatibilities", .kind = TD_ARR_ENUM, .values = compatibilities },
	{ .name = "cpu", .kind = TD_SIZE },
	{ .name = "memory", .kind = TD_SIZE },
	{ .name = "tags", .kind = TD_ARR_OBJ, .max_items = 50, .sub = tag_fields },
	{ .name = "pidMode", .kind = TD_ENUM, .flags = TD_WARN, .values = pid_modes },
	{ .name = "ipcMode", .kind = TD_ENUM, .flags = TD_WARN, .values = ipc_modes },
	{ .name = "proxyConfiguration", .kind = TD_OBJ, .flags = TD_WARN, .sub = proxy_fields },
	{ .name = "inferenceAccelerators",
	  .kind = TD_ARR_OBJ,
	  .flags = TD_WARN,
	  .sub = accelerator_fields },
	{ .name = "ephemeralStorage", .kind = TD_OBJ, .flags = TD_WARN, .sub = ephemeral_fields },
	{ .name = "runtimePlatform",
	  .kind = TD_OBJ,
	  .flags = TD_WARN,
	  .sub = runtime_platform_fields },
	{ .name = "enableFaultInjection", .kind = TD_BOOL, .flags = TD_WARN },
	{ .name = NULL },
};

bool ecs_family_valid(const char *family)
{
	size_t n = family ? strlen(family) : 0;

	if (n < 1 || n > 255)
		return false;
	return strspn(family, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
	       n;
}

/* task level */

/*
 * Reads "1024", "0.5 vCPU", "2GB", "1 GB": a decimal number, then optionally
 * unit (case-insensitive) meaning per_unit. Decimal digits are read by hand,
 * not with strtod, so "1e3", "0x10" and locale commas never pass, and the
 * result must be a whole number of base units, as ECS stores it.
 */
static bool parse_size(const char *s, const char *unit, int64_t per_unit, int64_t *out)
{
	int64_t whole = 0, frac = 0, scale = 1, mult = 1;
	int digits = 0;

	while (*s == ' ')
		s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		if (digits < 12)
			whole = whole * 10 + (*s - '0');
		else
			return false;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			if (scale >= 1000000000)
				return false;
			frac = frac * 10 + (*s - '0');
			scale *= 10;
		}
	}
	if (digits == 0)
		return false;
	while (*s == ' ')
		s++;
	if (*s && strncasecmp(s, unit, strlen(unit)) == 0) {
		mult = per_unit;
		s += strlen(unit);
		while (*s == ' ')
			s++;
	}
	if (*s || (frac * mult) % scale != 0)
		return false;
	*out = whole * mult + frac * mult / scale;
	return true;
}

static int replace_str(cJSON *obj, const char *key, const char *value, struct nb_err *err)
{
	cJSON *item = cJSON_CreateString(value);

	if (!item || !cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
		cJSON_Delete(item);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Task-level cpu and memory become the string of CPU units / MiB, as ECS
 * stores them whichever way they were written. */
static int normalise_size(struct td_ctx *c, cJSON *def, const char *key, const char *unit,
			  const char *example, int64_t min, int64_t max, const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(def, key);
	char text[32];
	int64_t n = 0;
	size_t mark;

	if (!v)
		return 0;
	mark = td_push_key(c, key);
	if (cJSON_IsNumber(v)) {
		if (!isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble) ||
		    fabs(v->valuedouble) > 1e15)
			return td_fail(c, "must be a whole number of %s", what);
		n = (int64_t)v->valuedouble;
	} else if (!parse_size(v->valuestring, unit, 1024, &n)) {
		return td_fail(c, "\"%.64s\" is not a size ECS reads (e.g. %s)", v->valuestring,
			       example);
	}
	if (n < min || n > max)
		return td_fail(c, "must be between %lld and %lld %s", (long long)min,
			       (long long)max, what);
	td_pop(c, mark);
	snprintf(text, sizeof(text), "%lld", (long long)n);
	return replace_str(def, key, text, c->err);
}

static int check_volumes(struct td_ctx *c, const cJSON *def)
{
	static const char *const kinds[] = { "host", "dockerVolumeConfiguration",
					     "efsVolumeConfiguration",
					     "fsxWindowsFileServerVolumeConfiguration", NULL };
	const cJSON *vols = cJSON_GetObjectItemCaseSensitive(def, "volumes"), *vol;
	size_t top = td_push_key(c, "volumes");
	int i = 0;

	cJSON_ArrayForEach(vol, vols)
	{
		const char *name = cJSON_GetObjectItemCaseSensitive(vol, "name")->valuestring;
		const cJSON *host = cJSON_GetObjectItemCaseSensitive(vol, "host");
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(host, "sourcePath");
		const cJSON *prev;
		size_t mark = td_push_index(c, i);
		int j = 0, nkinds = 0;

		if (!ecs_family_valid(name))
			return td_fail(c, "name must be 1 to 255 letters, numbers, hyphens or "
					  "underscores");
		cJSON_ArrayForEach(prev, vols)
		{
			if (j >= i)
				break;
			if (strcmp(cJSON_GetObjectItemCaseSensitive(prev, "name")->valuestring,
				   name) == 0)
				return td_fail(c, "name \"%s\" is already used by volumes[%d]",
					       name, j);
			j++;
		}
		for (const char *const *k = kinds; *k; k++)
			nkinds += cJSON_GetObjectItemCaseSensitive(vol, *k) != NULL;
		if (nkinds > 1)
			return td_fail(c, "may have only one of host, dockerVolumeConfiguration, "
					  "efsVolumeConfiguration and "
					  "fsxWindowsFileServerVolumeConfiguration");
		if (src && !td_abs_path(src->valuestring))
			return td_fail(c, "host.sourcePath must be an absolute path");
		td_pop(c, mark);
		i++;
	}
	td_pop(c, top);
	return 0;
}

static int check_tags(struct td_ctx *c, const cJSON *def)
{
	const cJSON *tag;
	int i = 0;

	cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(def, "tags"))
	{
		const char *key = cJSON_GetObjectItemCaseSensitive(tag, "key")->valuestring;

		if (strncasecmp(key, "aws:", 4) == 0) {
			td_push_key(c, "tags");
			td_push_index(c, i);
			return td_fail(c, "key must not start with \"aws:\", which AWS reserves");
		}
		i++;
	}
	return 0;
}

static int add_empty_array(cJSON *obj, const char *key, struct nb_err *err)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		return 0;
	if (!cJSON_AddArrayToObject(obj, key))
		return nb_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int check_task(struct td_ctx *c, cJSON *def)
{
	const cJSON *family = cJSON_GetObjectItemCaseSensitive(def, "family");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(def, "networkMode");
	enum td_netmode netmode = TD_NET_AWSVPC;
	int ret;

	if (!ecs_family_valid(family->valuestring)) {
		td_push_key(c, "family");
		return td_fail(c, "must be 1 to 255 letters, numbers, hyphens or underscores");
	}
	if (mode && strcmp(mode->valuestring, "bridge") == 0)
		netmode = TD_NET_BRIDGE;
	else if (mode && strcmp(mode->valuestring, "host") == 0)
		netmode = TD_NET_HOST;
	else if (mode && strcmp(mode->valuestring, "none") == 0)
		netmode = TD_NET_NONE;
	if ((ret = normalise_size(c, def, "cpu", "vcpu", "\"256\" or \"1 vCPU\"", TASK_CPU_MIN,
				  TASK_CPU_MAX, "CPU units")) < 0 ||
	    (ret = normalise_size(c, def, "memory", "gb", "\"512\" or \"2 GB\"", TASK_MEMORY_MIN,
				  TASK_MEMORY_MAX, "MiB")) < 0 ||
	    (ret = check_volumes(c, def)) < 0 || (ret = check_tags(c, def)) < 0 ||
	    (ret = td_check_containers(c, def, netmode,
				       mode ? mode->valuestring : "awsvpc (the default)")) < 0)
		return ret;
	if ((ret = add_empty_array(def, "volumes", c->err)) < 0 ||
	    (ret = add_empty_array(def, "placementConstraints", c->err)) < 0)
		return ret;
	return 0;
}

/* the request */

static bool is_read_only(const char *key)
{
	for (const char *const *p = read_only_fields; *p; p++)
		if (strcmp(*p, key) == 0)
			return true;
	return false;
}

/* Takes the definition out of DescribeTaskDefinition output, drops the
 * fields ECS sets and moves the "tags" beside it inside. */
static int unwrap_described(struct td_ctx *c, cJSON *doc, cJSON **def_out)
{
	cleanup_cjson cJSON *def = NULL;
	const cJSON *item;
	cJSON *tags;

	cJSON_ArrayForEach(item, doc)
	{
		if (cJSON_GetObjectItemCaseSensitive(doc, item->string) != item)
			return nb_err_set(c->err, -EINVAL, "%s appears twice", item->string);
		if (strcmp(item->string, "taskDefinition") != 0 &&
		    strcmp(item->string, "tags") != 0)
			return nb_err_set(c->err, -EINVAL,
					  "unknown field %.100s beside taskDefinition",
					  item->string);
	}
	def = cJSON_DetachItemFromObjectCaseSensitive(doc, "taskDefinition");
	if (!cJSON_IsObject(def))
		return nb_err_set(c->err, -EINVAL, "taskDefinition must be an object");
	for (const char *const *p = read_only_fields; *p; p++)
		while (cJSON_GetObjectItemCaseSensitive(def, *p))
			cJSON_DeleteItemFromObjectCaseSensitive(def, *p);
	tags = cJSON_DetachItemFromObjectCaseSensitive(doc, "tags");
	if (tags) {
		if (cJSON_GetObjectItemCaseSensitive(def, "tags")) {
			cJSON_Delete(tags);
			return nb_err_set(c->err, -EINVAL,
					  "tags appears both inside taskDefinition and beside it");
		}
		if (!cJSON_AddItemToObject(def, "tags", tags)) {
			cJSON_Delete(tags);
			return nb_err_set(c->err, -ENOMEM, "out of memory");
		}
	}
	td_push_key(c, "taskDefinition");
	*def_out = move_ptr(def);
	return 0;
}

int ecs_taskdef_parse(const char *buf, size_t len, cJSON **def_out, cJSON **warnings_out,
		      struct nb_err *err)
{
	cleanup_cjson cJSON *doc = NULL;
	cleanup_cjson cJSON *def = NULL;
	cleanup_cjson cJSON *warnings = NULL;
	struct td_ctx c = { .err = err };
	const cJSON *item;
	int ret;

	*def_out = NULL;
	*warnings_out = NULL;
	if (len > ECS_TASKDEF_MAX)
		return nb_err_set(err, -EFBIG,
				  "task definition is %zu bytes; the limit is 64 KiB (%d bytes)",
				  len, ECS_TASKDEF_MAX);
	doc = json_parse(buf, len, err);
	if (!doc)
		return err ? err->code : -EINVAL;
	if (!cJSON_IsObject(doc))
		return nb_err_set(err, -EINVAL, "a task definition must be a JSON object");
	if (cJSON_GetObjectItemCaseSensitive(doc, "taskDefinition")) {
		if ((ret = unwrap_described(&c, doc, &def)) < 0)
			return ret;
	} else {
		cJSON_ArrayForEach(item, doc)
		{
			if (is_read_only(item->string))
				return nb_err_set(err, -EINVAL,
						  "unknown field %s: ECS sets it; pass "
						  "DescribeTaskDefinition output whole, as "
						  "{\"taskDefinition\": {...}}",
						  item->string);
		}
		def = move_ptr(doc);
	}
	warnings = cJSON_CreateArray();
	if (!warnings)
		return nb_err_set(err, -ENOMEM, "out of memory");
	c.warnings = warnings;
	if ((ret = td_check_object(&c, def, task_fields)) < 0 || (ret = check_task(&c, def)) < 0)
		return ret;
	*def_out = move_ptr(def);
	*warnings_out = move_ptr(warnings);
	return 0;
}

/* registration */

static int set_item(cJSON *obj, const char *key, cJSON *item, struct nb_err *err)
{
	if (!item)
		return nb_err_set(err, -ENOMEM, "out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int ecs_taskdef_finalize(cJSON *def, int revision, const char *region, const char *account,
			 double registered_at, struct nb_err *err)
{
	const cJSON *family = cJSON_GetObjectItemCaseSensitive(def, "family");
	cleanup_cjson cJSON *compat = NULL;
	char arn[512];
	int n, ret;

	if (!cJSON_IsObject(def) || !cJSON_IsString(family) ||
	    !ecs_family_valid(family->valuestring))
		return nb_err_set(err, -EINVAL, "the task definition has no valid family");
	if (revision < 1)
		return nb_err_set(err, -EINVAL, "revision is %d; it must be at least 1", revision);
	if (!region || !*region || !account || !*account)
		return nb_err_set(err, -EINVAL,
				  "a task definition ARN needs a region and an account");
	n = snprintf(arn, sizeof(arn), "arn:aws:ecs:%s:%s:task-definition/%s:%d", region, account,
		     family->valuestring, revision);
	if (n < 0 || (size_t)n >= sizeof(arn))
		return nb_err_set(err, -EINVAL, "region or account is too long for an ARN");
	compat = cJSON_CreateArray();
	if (!compat || json_array_add_str(compat, "EC2") < 0 ||
	    json_array_add_str(compat, "FARGATE") < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	if ((ret = set_item(def, "taskDefinitionArn", cJSON_CreateString(arn), err)) < 0 ||
	    (ret = set_item(def, "revision", cJSON_CreateNumber(revision), err)) < 0 ||
	    (ret = set_item(def, "status", cJSON_CreateString("ACTIVE"), err)) < 0 ||
	    (ret = set_item(def, "registeredAt", cJSON_CreateNumber(registered_at), err)) < 0 ||
	    (ret = set_item(def, "compatibilities", move_ptr(compat), err)) < 0)
		return ret;
	return 0;
}
