/*
 * backend/ecs/taskdef_container.c - container definitions: their field
 * tables, the rules that span one container's fields (health check, ports,
 * ulimits, mounts, network mode) and the defaults DescribeTaskDefinition
 * shows. Rules that span containers are in taskdef_graph.c. Limits are
 * ECS's, from the ContainerDefinition API reference.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "backend/common/json.h"
#include "backend/ecs/taskdef.h"
#include "backend/ecs/taskdef_i.h"

/* Docker 20.10+ reserves 6 MiB for a container, so ECS says not to go below;
 * the top only refuses the absurd (16 TiB). */
#define CTR_MEMORY_MIN 6
#define CTR_MEMORY_MAX (16LL * 1024 * 1024)
/* Linux CPU shares top out at 262144 (256 vCPUs), the most ECS passes on. */
#define CTR_CPU_MAX 262144
#define INT32_LIMIT 2147483647

static const char *const protocols[] = { "tcp", "udp", NULL };
static const char *const app_protocols[] = { "http", "http2", "grpc", NULL };
static const char *const conditions[] = { "START", "COMPLETE", "SUCCESS", "HEALTHY", NULL };
static const char *const ulimit_names[] = {
	"core",	  "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
	"nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",	 NULL,
};
static const char *const log_drivers[] = { "json-file", "syslog", "journald",	 "gelf", "fluentd",
					   "awslogs",	"splunk", "awsfirelens", NULL };
static const char *const firelens_types[] = { "fluentd", "fluentbit", NULL };
static const char *const resource_types[] = { "GPU", "InferenceAccelerator", NULL };
static const char *const env_file_types[] = { "s3", NULL };
static const char *const device_permissions[] = { "read", "write", "mknod", NULL };
static const char *const consistency[] = { "enabled", "disabled", NULL };

static const struct td_field env_fields[] = {
	{ .name = "name", .kind = TD_STR, .flags = TD_REQ, .min = 1 },
	{ .name = "value", .kind = TD_STR },
	{ .name = NULL },
};

static const struct td_field secret_fields[] = {
	{ .name = "name", .kind = TD_STR, .flags = TD_REQ, .min = 1 },
	{ .name = "valueFrom", .kind = TD_STR, .flags = TD_REQ, .min = 1 },
	{ .name = NULL },
};

/* containerPort is checked by hand: containerPortRange may stand in for it. */
static const struct td_field port_fields[] = {
	{ .name = "containerPort", .kind = TD_INT, .min = 1, .max = 65535 },
	{ .name = "hostPort", .kind = TD_INT, .min = 0, .max = 65535 },
	{ .name = "protocol", .kind = TD_ENUM, .values = protocols },
	{ .name = "name", .kind = TD_STR },
	{ .name = "appProtocol", .kind = TD_ENUM, .values = app_protocols },
	{ .name = "containerPortRange", .kind = TD_STR, .flags = TD_WARN },
	{ .name = NULL },
};

static const struct td_field mount_fields[] = {
	{ .name = "sourceVolume", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "containerPath", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "readOnly", .kind = TD_BOOL },
	{ .name = NULL },
};

static const struct td_field volumes_from_fields[] = {
	{ .name = "sourceContainer", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "readOnly", .kind = TD_BOOL },
	{ .name = NULL },
};

static const struct td_field depends_fields[] = {
	{ .name = "containerName", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "condition", .kind = TD_ENUM, .flags = TD_REQ, .values = conditions },
	{ .name = NULL },
};

/* HealthCheck: interval 5-300 (30), timeout 2-60 (5), retries 1-10 (3),
 * startPeriod 0-300 (off when absent), per the ECS HealthCheck reference. */
static const struct td_field health_fields[] = {
	{ .name = "command", .kind = TD_ARR_STR, .flags = TD_REQ },
	{ .name = "interval", .kind = TD_INT, .min = 5, .max = 300 },
	{ .name = "timeout", .kind = TD_INT, .min = 2, .max = 60 },
	{ .name = "retries", .kind = TD_INT, .min = 1, .max = 10 },
	{ .name = "startPeriod", .kind = TD_INT, .min = 0, .max = 300 },
	{ .name = NULL },
};

/* -1 is "unlimited", as ECS users write for memlock. */
static const struct td_field ulimit_fields[] = {
	{ .name = "name", .kind = TD_ENUM, .flags = TD_REQ, .values = ulimit_names },
	{ .name = "softLimit", .kind = TD_INT, .flags = TD_REQ, .min = -1, .max = INT32_LIMIT },
	{ .name = "hardLimit", .kind = TD_INT, .flags = TD_REQ, .min = -1, .max = INT32_LIMIT },
	{ .name = NULL },
};

static const struct td_field host_entry_fields[] = {
	{ .name = "hostname", .kind = TD_STR, .flags = TD_REQ, .min = 1 },
	{ .name = "ipAddress", .kind = TD_STR, .flags = TD_REQ, .min = 1 },
	{ .name = NULL },
};

static const struct td_field log_fields[] = {
	{ .name = "logDriver", .kind = TD_ENUM, .flags = TD_REQ, .values = log_drivers },
	{ .name = "options", .kind = TD_STRMAP },
	{ .name = "secretOptions", .kind = TD_ARR_OBJ, .sub = secret_fields },
	{ .name = NULL },
};

static const struct td_field firelens_fields[] = {
	{ .name = "type", .kind = TD_ENUM, .flags = TD_REQ, .values = firelens_types },
	{ .name = "options", .kind = TD_STRMAP },
	{ .name = NULL },
};

static const struct td_field repo_credentials_fields[] = {
	{ .name = "credentialsParameter", .kind = TD_STR, .flags = TD_REQ },
	{ .name = NULL },
};

static const struct td_field resource_fields[] = {
	{ .name = "type", .kind = TD_ENUM, .flags = TD_REQ, .values = resource_types },
	{ .name = "value", .kind = TD_STR, .flags = TD_REQ },
	{ .name = NULL },
};

static const struct td_field sysctl_fields[] = {
	{ .name = "namespace", .kind = TD_STR },
	{ .name = "value", .kind = TD_STR },
	{ .name = NULL },
};

static const struct td_field env_file_fields[] = {
	{ .name = "value", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "type", .kind = TD_ENUM, .flags = TD_REQ, .values = env_file_types },
	{ .name = NULL },
};

/* ContainerRestartPolicy: at most 50 ignored exit codes, period 60-1800 s. */
static const struct td_field restart_fields[] = {
	{ .name = "enabled", .kind = TD_BOOL, .flags = TD_REQ },
	{ .name = "ignoredExitCodes",
	  .kind = TD_ARR_INT,
	  .min = -INT32_LIMIT - 1,
	  .max = INT32_LIMIT,
	  .max_items = 50 },
	{ .name = "restartAttemptPeriod", .kind = TD_INT, .min = 60, .max = 1800 },
	{ .name = NULL },
};

static const struct td_field capabilities_fields[] = {
	{ .name = "add", .kind = TD_ARR_STR },
	{ .name = "drop", .kind = TD_ARR_STR },
	{ .name = NULL },
};

static const struct td_field device_fields[] = {
	{ .name = "hostPath", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "containerPath", .kind = TD_STR },
	{ .name = "permissions", .kind = TD_ARR_ENUM, .values = device_permissions },
	{ .name = NULL },
};

static const struct td_field tmpfs_fields[] = {
	{ .name = "containerPath", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "size", .kind = TD_INT, .flags = TD_REQ, .min = 1, .max = INT32_LIMIT },
	{ .name = "mountOptions", .kind = TD_ARR_STR },
	{ .name = NULL },
};

/* Only initProcessEnabled is implemented; the rest is kept and warned. */
static const struct td_field linux_fields[] = {
	{ .name = "capabilities", .kind = TD_OBJ, .flags = TD_WARN, .sub = capabilities_fields },
	{ .name = "devices", .kind = TD_ARR_OBJ, .flags = TD_WARN, .sub = device_fields },
	{ .name = "initProcessEnabled", .kind = TD_BOOL },
	{ .name = "sharedMemorySize", .kind = TD_INT, .flags = TD_WARN, .max = INT32_LIMIT },
	{ .name = "tmpfs", .kind = TD_ARR_OBJ, .flags = TD_WARN, .sub = tmpfs_fields },
	{ .name = "maxSwap", .kind = TD_INT, .flags = TD_WARN, .max = INT32_LIMIT },
	{ .name = "swappiness", .kind = TD_INT, .flags = TD_WARN, .max = 100 },
	{ .name = NULL },
};

/* Every ContainerDefinition field; anything else is refused. */
const struct td_field td_container_fields[] = {
	{ .name = "name", .kind = TD_STR, .flags = TD_REQ },
	{ .name = "image", .kind = TD_STR, .flags = TD_REQ, .min = 1, .max = 255 },
	{ .name = "repositoryCredentials",
	  .kind = TD_OBJ,
	  .flags = TD_WARN,
	  .sub = repo_credentials_fields },
	{ .name = "cpu", .kind = TD_INT, .min = 0, .max = CTR_CPU_MAX },
	{ .name = "memory", .kind = TD_INT, .min = CTR_MEMORY_MIN, .max = CTR_MEMORY_MAX },
	{ .name = "memoryReservation",
	  .kind = TD_INT,
	  .min = CTR_MEMORY_MIN,
	  .max = CTR_MEMORY_MAX },
	{ .name = "links", .kind = TD_ARR_STR },
	{ .name = "portMappings", .kind = TD_ARR_OBJ, .sub = port_fields },
	{ .name = "essential", .kind = TD_BOOL },
	{ .name = "restartPolicy", .kind = TD_OBJ, .flags = TD_WARN, .sub = restart_fields },
	{ .name = "entryPoint", .kind = TD_ARR_STR },
	{ .name = "command", .kind = TD_ARR_STR },
	{ .name = "environment", .kind = TD_ARR_OBJ, .sub = env_fields },
	{ .name = "environmentFiles",
	  .kind = TD_ARR_OBJ,
	  .flags = TD_WARN,
	  .max_items = 10,
	  .sub = env_file_fields },
	{ .name = "mountPoints", .kind = TD_ARR_OBJ, .sub = mount_fields },
	{ .name = "volumesFrom", .kind = TD_ARR_OBJ, .sub = volumes_from_fields },
	{ .name = "linuxParameters", .kind = TD_OBJ, .sub = linux_fields },
	{ .name = "secrets", .kind = TD_ARR_OBJ, .sub = secret_fields },
	{ .name = "dependsOn", .kind = TD_ARR_OBJ, .sub = depends_fields },
	{ .name = "startTimeout", .kind = TD_INT, .min = 2, .max = 120 },
	{ .name = "stopTimeout", .kind = TD_INT, .min = 2, .max = 120 },
	{ .name = "versionConsistency", .kind = TD_ENUM, .flags = TD_WARN, .values = consistency },
	{ .name = "hostname", .kind = TD_STR },
	{ .name = "user", .kind = TD_STR },
	{ .name = "workingDirectory", .kind = TD_STR },
	{ .name = "disableNetworking", .kind = TD_BOOL, .flags = TD_WARN },
	{ .name = "privileged", .kind = TD_BOOL, .flags = TD_WARN },
	{ .name = "readonlyRootFilesystem", .kind = TD_BOOL },
	{ .name = "dnsServers", .kind = TD_ARR_STR, .flags = TD_WARN },
	{ .name = "dnsSearchDomains", .kind = TD_ARR_STR, .flags = TD_WARN },
	{ .name = "extraHosts", .kind = TD_ARR_OBJ, .sub = host_entry_fields },
	{ .name = "dockerSecurityOptions", .kind = TD_ARR_STR, .flags = TD_WARN },
	{ .name = "interactive", .kind = TD_BOOL, .flags = TD_WARN },
	{ .name = "pseudoTerminal", .kind = TD_BOOL, .flags = TD_WARN },
	{ .name = "dockerLabels", .kind = TD_STRMAP },
	{ .name = "ulimits", .kind = TD_ARR_OBJ, .sub = ulimit_fields },
	{ .name = "logConfiguration", .kind = TD_OBJ, .flags = TD_WARN, .sub = log_fields },
	{ .name = "healthCheck", .kind = TD_OBJ, .sub = health_fields },
	{ .name = "systemControls", .kind = TD_ARR_OBJ, .flags = TD_WARN, .sub = sysctl_fields },
	{ .name = "resourceRequirements",
	  .kind = TD_ARR_OBJ,
	  .flags = TD_WARN,
	  .sub = resource_fields },
	{ .name = "firelensConfiguration",
	  .kind = TD_OBJ,
	  .flags = TD_WARN,
	  .sub = firelens_fields },
	{ .name = "credentialSpecs", .kind = TD_ARR_STR, .flags = TD_WARN },
	{ .name = NULL },
};

static int oom(struct td_ctx *c)
{
	return nb_err_set(c->err, -ENOMEM, "out of memory");
}

static int add_default_num(struct td_ctx *c, cJSON *obj, const char *key, double value)
{
	if (get(obj, key))
		return 0;
	return json_add_num(obj, key, value) < 0 ? oom(c) : 0;
}

static int add_default_array(struct td_ctx *c, cJSON *obj, const char *key)
{
	if (get(obj, key))
		return 0;
	return cJSON_AddArrayToObject(obj, key) ? 0 : oom(c);
}

static int check_health(struct td_ctx *c, cJSON *hc)
{
	const cJSON *cmd = get(hc, "command");
	const char *first =
		cJSON_GetArraySize(cmd) > 0 ? cJSON_GetArrayItem(cmd, 0)->valuestring : "";
	size_t mark = td_push_key(c, "healthCheck");
	int ret;

	if (strcmp(first, "CMD") != 0 && strcmp(first, "CMD-SHELL") != 0) {
		td_push_key(c, "command");
		return td_fail(c, "must start with \"CMD\" or \"CMD-SHELL\"");
	}
	if (cJSON_GetArraySize(cmd) < 2) {
		td_push_key(c, "command");
		return td_fail(c, "must give a command after \"%s\"", first);
	}
	if ((ret = add_default_num(c, hc, "interval", 30)) < 0 ||
	    (ret = add_default_num(c, hc, "timeout", 5)) < 0 ||
	    (ret = add_default_num(c, hc, "retries", 3)) < 0)
		return ret;
	td_pop(c, mark);
	return 0;
}

static int check_ports(struct td_ctx *c, const struct td_ctr_set *s, cJSON *ports)
{
	cJSON *pm;
	int i = 0;

	cJSON_ArrayForEach(pm, ports)
	{
		const cJSON *cport = get(pm, "containerPort"), *hport = get(pm, "hostPort");
		size_t mark = td_push_key(c, "portMappings");

		td_push_index(c, i++);
		if (!cport && !get(pm, "containerPortRange")) {
			td_push_key(c, "containerPort");
			return td_fail(c, "is required");
		}
		/* ECS: with awsvpc or host networking the container port is the host port. */
		if (cport && (s->mode == TD_NET_AWSVPC || s->mode == TD_NET_HOST)) {
			if (hport && hport->valueint != cport->valueint) {
				td_push_key(c, "hostPort");
				return td_fail(c,
					       "must equal containerPort (%d) in %s network mode",
					       cport->valueint, s->mode_name);
			}
			if (add_default_num(c, pm, "hostPort", cport->valueint) < 0)
				return oom(c);
		}
		if (!get(pm, "protocol") && json_add_str(pm, "protocol", "tcp") < 0)
			return oom(c);
		td_pop(c, mark);
	}
	return 0;
}

static int check_ulimits(struct td_ctx *c, const cJSON *ulimits)
{
	const cJSON *u;
	int i = 0;

	cJSON_ArrayForEach(u, ulimits)
	{
		int soft = get(u, "softLimit")->valueint, hard = get(u, "hardLimit")->valueint;

		/* -1 is unlimited, above any number. */
		if (hard != -1 && (soft == -1 || soft > hard)) {
			size_t mark = td_push_key(c, "ulimits");

			td_push_index(c, i);
			td_push_key(c, "softLimit");
			td_fail(c, "must not exceed hardLimit (%d)", hard);
			td_pop(c, mark);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

static int check_mounts(struct td_ctx *c, const struct td_ctr_set *s, const cJSON *mounts)
{
	const cJSON *m;
	int i = 0;

	cJSON_ArrayForEach(m, mounts)
	{
		const char *vol = get_str(m, "sourceVolume");
		const cJSON *v;
		bool found = false;
		size_t mark = td_push_key(c, "mountPoints");

		td_push_index(c, i++);
		cJSON_ArrayForEach(v, s->volumes)
		{
			found = found || strcmp(get_str(v, "name"), vol) == 0;
		}
		if (!found) {
			td_push_key(c, "sourceVolume");
			return td_fail(c, "\"%s\" names no volume of the task", vol);
		}
		if (!td_abs_path(get_str(m, "containerPath"))) {
			td_push_key(c, "containerPath");
			return td_fail(c, "must be an absolute path");
		}
		td_pop(c, mark);
	}
	return 0;
}

static int check_network(struct td_ctx *c, const struct td_ctr_set *s, const cJSON *ctr)
{
	const cJSON *extra = get(ctr, "extraHosts");

	/* ECS refuses both in awsvpc mode, where the task's ENI owns the names. */
	if (s->mode == TD_NET_AWSVPC && get(ctr, "hostname")) {
		td_push_key(c, "hostname");
		return td_fail(c, "is not allowed in %s network mode", s->mode_name);
	}
	if (s->mode == TD_NET_AWSVPC && extra && extra->child) {
		td_push_key(c, "extraHosts");
		return td_fail(c, "are not allowed in %s network mode", s->mode_name);
	}
	return 0;
}

int td_check_container(struct td_ctx *c, struct td_ctr_set *s, int i)
{
	cJSON *ctr = s->obj[i];
	const cJSON *mem = get(ctr, "memory"), *res = get(ctr, "memoryReservation");
	const char *wd = get_str(ctr, "workingDirectory");
	cJSON *hc = get(ctr, "healthCheck");
	int ret;

	if (mem && res && res->valuedouble > mem->valuedouble) {
		td_push_key(c, "memoryReservation");
		return td_fail(c, "must not exceed memory (%d MiB)", mem->valueint);
	}
	if (wd && !td_abs_path(wd)) {
		td_push_key(c, "workingDirectory");
		return td_fail(c, "must be an absolute path");
	}
	if ((hc && (ret = check_health(c, hc)) < 0) ||
	    (ret = check_ports(c, s, get(ctr, "portMappings"))) < 0 ||
	    (ret = check_ulimits(c, get(ctr, "ulimits"))) < 0 ||
	    (ret = td_check_links(c, s, i, get(ctr, "links"))) < 0 ||
	    (ret = check_network(c, s, ctr)) < 0 ||
	    (ret = check_mounts(c, s, get(ctr, "mountPoints"))) < 0 ||
	    (ret = td_check_deps(c, s, i)) < 0)
		return ret;
	if (!get(ctr, "essential") && json_add_bool(ctr, "essential", true) < 0)
		return oom(c);
	/* DescribeTaskDefinition shows these even when the request left them out. */
	if ((ret = add_default_num(c, ctr, "cpu", 0)) < 0 ||
	    (ret = add_default_array(c, ctr, "portMappings")) < 0 ||
	    (ret = add_default_array(c, ctr, "environment")) < 0 ||
	    (ret = add_default_array(c, ctr, "mountPoints")) < 0 ||
	    (ret = add_default_array(c, ctr, "volumesFrom")) < 0 ||
	    (ret = add_default_array(c, ctr, "systemControls")) < 0)
		return ret;
	return 0;
}
