/*
 * backend/ecs/spec.c - task definition to ContainerCreate bodies (the task's
 * containers and its pause container), the way the ECS agent maps each field
 * to Docker. The way back, engine replies to ECS, is in spec_reply.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/labels.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/ecs/spec.h"
#include "backend/ecs/spec_i.h"

/* ECS limits a container's cpu to 262144 units and memory to 16 TiB; the
 * same bounds hold for a RunTask override. */
#define SPEC_CPU_MAX	262144
#define SPEC_MEMORY_MIN 6
#define SPEC_MEMORY_MAX (16LL * 1024 * 1024)
#define MIB		(1024.0 * 1024.0)
#define NS_PER_S	1e9
/* Linux refuses CPU shares below 2; Docker turns 0 into 1024. */
#define CPU_SHARES_MIN 2
/* About 68 years: the pause container must outlive any task. */
#define PAUSE_SLEEP "2147483647"

enum netmode { NET_AWSVPC, NET_BRIDGE, NET_HOST, NET_NONE };

/* Sets key, replacing any earlier value but keeping its place. */
static void set_str(struct bld *b, cJSON *obj, const char *key, const char *s)
{
	cJSON *item = cJSON_CreateString(s ? s : "");

	if (item && obj && get(obj, key)) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
			cJSON_Delete(item);
			b->oom = true;
		}
		return;
	}
	put(b, obj, key, item);
}

static void push_fmt(struct bld *b, cJSON *arr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void push_fmt(struct bld *b, cJSON *arr, const char *fmt, ...)
{
	cleanup_free char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s = NULL;
		b->oom = true;
		return;
	}
	push(b, arr, cJSON_CreateString(s));
}

static cJSON *copy(struct bld *b, cJSON *obj, const char *key, const cJSON *src)
{
	return src ? put(b, obj, key, cJSON_Duplicate(src, true)) : NULL;
}

static int parse_mode(const struct ecs_spec_ctx *ctx, enum netmode *mode, struct nb_err *err)
{
	static const char *const names[] = { "awsvpc", "bridge", "host", "none" };
	const char *m = ctx->network_mode ? ctx->network_mode : "awsvpc";

	if (!ctx->owner || !*ctx->owner || !ctx->task_id || !*ctx->task_id)
		return nb_err_set(err, -EINVAL, "the spec context needs an owner and a task id");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(m, names[i]) == 0) {
			*mode = (enum netmode)i;
			return 0;
		}
	}
	return nb_err_set(err, -EINVAL, "unknown network mode \"%s\"", m);
}

static void put_labels(struct bld *b, cJSON *labels, const struct ecs_spec_ctx *ctx,
		       const char *container)
{
	set_str(b, labels, NB_LABEL_OWNER, ctx->owner);
	set_str(b, labels, NB_LABEL_KIND, NB_KIND_ECS_TASK);
	set_str(b, labels, NB_LABEL_OBJECT, ctx->task_id);
	if (container)
		set_str(b, labels, NB_LABEL_CONTAINER, container);
}

void ecs_spec_docker_name(const char *task_id, const char *container, char *out, size_t len)
{
	if (!container || strcmp(container, ECS_PAUSE_CONTAINER) == 0)
		snprintf(out, len, "%s.pause", task_id);
	else
		snprintf(out, len, "%s-%s", task_id, container);
}

/* "80/tcp" for a portMappings entry; false for one without containerPort
 * (a containerPortRange, which is warned and not implemented). */
static bool port_key(const cJSON *pm, char *key, size_t len)
{
	const cJSON *port = get(pm, "containerPort");
	const char *proto = get_str(pm, "protocol");

	if (!cJSON_IsNumber(port))
		return false;
	snprintf(key, len, "%d/%s", port->valueint, proto ? proto : "tcp");
	return true;
}

/* Publishes one port on 127.0.0.1: host_port 0 asks for an ephemeral one. */
static void publish(struct bld *b, cJSON *exposed, cJSON *bindings, const char *key, int host_port)
{
	cJSON *list = (cJSON *)get(bindings, key), *binding;
	char port[16] = "";

	if (!get(exposed, key))
		put(b, exposed, key, cJSON_CreateObject());
	if (!list)
		list = put(b, bindings, key, cJSON_CreateArray());
	if (host_port > 0)
		snprintf(port, sizeof(port), "%d", host_port);
	binding = push(b, list, cJSON_CreateObject());
	put_str(b, binding, "HostIp", "127.0.0.1");
	put_str(b, binding, "HostPort", port);
}

/* Env: the definition's environment, then the override's, then secrets;
 * a later entry replaces an earlier one of the same name in its place. */
static void put_env(struct bld *b, cJSON *body, const cJSON *cdef, const cJSON *override,
		    const cJSON *secrets)
{
	const cJSON *lists[] = { get(cdef, "environment"), get(override, "environment"), secrets };
	cleanup_cjson cJSON *vars = cJSON_CreateObject();
	const cJSON *e;
	cJSON *env;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		cJSON_ArrayForEach(e, lists[i])
		{
			if (get_str(e, "name"))
				set_str(b, vars, get_str(e, "name"), get_str(e, "value"));
		}
	}
	if (!vars || !vars->child) {
		b->oom = b->oom || !vars;
		return;
	}
	env = put(b, body, "Env", cJSON_CreateArray());
	cJSON_ArrayForEach(e, vars)
	{
		push_fmt(b, env, "%s=%s", e->string, e->valuestring);
	}
}

static void put_health(struct bld *b, cJSON *body, const cJSON *hc)
{
	static const struct {
		const char *ecs, *docker;
		double def, scale;
	} fields[] = {
		{ "interval", "Interval", 30, NS_PER_S },
		{ "timeout", "Timeout", 5, NS_PER_S },
		{ "retries", "Retries", 3, 1 },
		{ "startPeriod", "StartPeriod", 0, NS_PER_S },
	};
	cJSON *out;

	if (!hc)
		return;
	out = put(b, body, "Healthcheck", cJSON_CreateObject());
	copy(b, out, "Test", get(hc, "command"));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const cJSON *v = get(hc, fields[i].ecs);
		double n = cJSON_IsNumber(v) ? v->valuedouble : fields[i].def;

		/* 0 would mean "inherit from the image", not "no start period". */
		if (n > 0)
			put(b, out, fields[i].docker, cJSON_CreateNumber(n * fields[i].scale));
	}
}

static const cJSON *find_named(const cJSON *arr, const char *key, const char *name)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, arr)
	{
		const char *s = get_str(v, key);

		if (s && name && strcmp(s, name) == 0)
			return v;
	}
	return NULL;
}

/* A Mounts volume for mount point mp of vol: a dockerVolumeConfiguration,
 * or for any other kind the task's own volume. Docker creates a missing
 * volume with these options, so the task needs no separate volume call. */
static void put_volume_mount(struct bld *b, cJSON *mounts, const struct ecs_spec_ctx *ctx,
			     const cJSON *vol, const cJSON *mp)
{
	const cJSON *dvc = get(vol, "dockerVolumeConfiguration"), *user = get(dvc, "labels");
	const char *scope = get_str(dvc, "scope"), *driver = get_str(dvc, "driver");
	const char *name = get_str(vol, "name");
	bool shared = scope && strcmp(scope, "shared") == 0;
	char source[ECS_SPEC_DOCKER_NAME_MAX];
	cJSON *m = push(b, mounts, cJSON_CreateObject()), *opts, *labels;

	if (shared)
		snprintf(source, sizeof(source), "%s", name);
	else
		snprintf(source, sizeof(source), "%s-%s", ctx->task_id, name);
	put_str(b, m, "Type", "volume");
	put_str(b, m, "Source", source);
	put_str(b, m, "Target", get_str(mp, "containerPath"));
	put(b, m, "ReadOnly", cJSON_CreateBool(cJSON_IsTrue(get(mp, "readOnly"))));
	opts = put(b, m, "VolumeOptions", cJSON_CreateObject());
	labels = put(b, opts, "Labels", cJSON_CreateObject());
	for (const cJSON *l = user ? user->child : NULL; l; l = l->next)
		if (cJSON_IsString(l))
			set_str(b, labels, l->string, l->valuestring);
	if (!shared)
		put_labels(b, labels, ctx, NULL);
	if (driver || get(dvc, "driverOpts")) {
		cJSON *dc = put(b, opts, "DriverConfig", cJSON_CreateObject());

		put_str(b, dc, "Name", driver ? driver : "local");
		copy(b, dc, "Options", get(dvc, "driverOpts"));
	}
}

static int put_mounts(struct bld *b, cJSON *host, const struct ecs_spec_ctx *ctx,
		      const cJSON *taskdef, const cJSON *cdef, struct nb_err *err)
{
	cJSON *binds = NULL, *mounts = NULL, *from = NULL;
	const cJSON *mp, *vf;

	cJSON_ArrayForEach(mp, get(cdef, "mountPoints"))
	{
		const char *src = get_str(mp, "sourceVolume");
		const cJSON *vol = find_named(get(taskdef, "volumes"), "name", src);
		const char *path = get_str(get(vol, "host"), "sourcePath");

		if (!vol)
			return nb_err_set(err, -EINVAL,
					  "mountPoints: sourceVolume \"%s\" names no volume of the "
					  "task",
					  src ? src : "");
		if (path) {
			if (!binds)
				binds = put(b, host, "Binds", cJSON_CreateArray());
			push_fmt(b, binds, "%s:%s%s", path, get_str(mp, "containerPath"),
				 cJSON_IsTrue(get(mp, "readOnly")) ? ":ro" : "");
			continue;
		}
		if (!mounts)
			mounts = put(b, host, "Mounts", cJSON_CreateArray());
		put_volume_mount(b, mounts, ctx, vol, mp);
	}
	cJSON_ArrayForEach(vf, get(cdef, "volumesFrom"))
	{
		char name[ECS_SPEC_DOCKER_NAME_MAX];

		if (!from)
			from = put(b, host, "VolumesFrom", cJSON_CreateArray());
		ecs_spec_docker_name(ctx->task_id, get_str(vf, "sourceContainer"), name,
				     sizeof(name));
		push_fmt(b, from, "%s%s", name, cJSON_IsTrue(get(vf, "readOnly")) ? ":ro" : "");
	}
	return 0;
}

/* links: "name" or "name:alias" -> "<docker name>:<alias>". */
static int put_links(struct bld *b, cJSON *host, const struct ecs_spec_ctx *ctx, const cJSON *links,
		     struct nb_err *err)
{
	cJSON *out = NULL;
	const cJSON *l;

	cJSON_ArrayForEach(l, links)
	{
		const char *colon = cJSON_IsString(l) ? strchr(l->valuestring, ':') : NULL;
		char name[256], docker[ECS_SPEC_DOCKER_NAME_MAX];
		const char *given;
		size_t len;

		if (!cJSON_IsString(l) || !*l->valuestring)
			return nb_err_set(err, -EINVAL, "links must be \"name\" or \"name:alias\"");
		len = colon ? (size_t)(colon - l->valuestring) : strlen(l->valuestring);
		if (len == 0 || len >= sizeof(name) || (colon && !colon[1]))
			return nb_err_set(err, -EINVAL,
					  "link \"%s\" must be \"name\" or "
					  "\"name:alias\"",
					  l->valuestring);
		memcpy(name, l->valuestring, len);
		name[len] = '\0';
		if (ctx->link_names && !cJSON_IsArray(ctx->link_names))
			return nb_err_set(err, -EINVAL, "link names must be an array");
		given = get_str(find_named(ctx->link_names, "name", name), "dockerName");
		if (given)
			snprintf(docker, sizeof(docker), "%s", given);
		else
			ecs_spec_docker_name(ctx->task_id, name, docker, sizeof(docker));
		if (!out)
			out = put(b, host, "Links", cJSON_CreateArray());
		push_fmt(b, out, "%s:%s", docker, colon ? colon + 1 : name);
	}
	return 0;
}

static void put_ulimits(struct bld *b, cJSON *host, const cJSON *cdef)
{
	const cJSON *u;
	cJSON *ulimits = NULL;

	cJSON_ArrayForEach(u, get(cdef, "ulimits"))
	{
		cJSON *o;

		if (!ulimits)
			ulimits = put(b, host, "Ulimits", cJSON_CreateArray());
		o = push(b, ulimits, cJSON_CreateObject());
		put_str(b, o, "Name", get_str(u, "name"));
		copy(b, o, "Soft", get(u, "softLimit"));
		copy(b, o, "Hard", get(u, "hardLimit"));
	}
}

/* extraHosts -> "hostname:ip"; not in awsvpc, where Docker refuses them
 * beside a joined namespace (and ECS refuses them at registration). */
static void put_extra_hosts(struct bld *b, cJSON *host, const cJSON *cdef)
{
	const cJSON *h;
	cJSON *hosts = NULL;

	cJSON_ArrayForEach(h, get(cdef, "extraHosts"))
	{
		if (!hosts)
			hosts = put(b, host, "ExtraHosts", cJSON_CreateArray());
		push_fmt(b, hosts, "%s:%s", get_str(h, "hostname"), get_str(h, "ipAddress"));
	}
}

/* The override is user input RunTask did not check against the definition. */
static int check_override(const cJSON *ov, struct nb_err *err)
{
	const cJSON *cmd, *env, *e;
	int64_t n;
	int i = 0;

	if (!ov)
		return 0;
	if (json_get_array_opt(ov, "command", &cmd, err) < 0 ||
	    json_get_array_opt(ov, "environment", &env, err) < 0 ||
	    json_get_int_opt(ov, "cpu", 0, 0, SPEC_CPU_MAX, &n, err) < 0 ||
	    json_get_int_opt(ov, "memory", SPEC_MEMORY_MIN, SPEC_MEMORY_MIN, SPEC_MEMORY_MAX, &n,
			     err) < 0 ||
	    json_get_int_opt(ov, "memoryReservation", SPEC_MEMORY_MIN, SPEC_MEMORY_MIN,
			     SPEC_MEMORY_MAX, &n, err) < 0)
		return err ? err->code : -EINVAL;
	cJSON_ArrayForEach(e, cmd)
	{
		if (!cJSON_IsString(e))
			return nb_err_set(err, -EINVAL, "\"command\"[%d] must be a string", i);
		i++;
	}
	i = 0;
	cJSON_ArrayForEach(e, env)
	{
		const char *name, *value;

		if (json_get_str(e, "name", &name, err) < 0 ||
		    json_get_str_opt(e, "value", "", &value, err) < 0)
			return nb_err_wrap(err, "\"environment\"[%d]", i);
		i++;
	}
	return 0;
}

static int check_secrets(const cJSON *secrets, struct nb_err *err)
{
	const cJSON *s;
	const char *v;
	int i = 0;

	if (secrets && !cJSON_IsArray(secrets))
		return nb_err_set(err, -EINVAL, "secrets must be an array of {name, value}");
	cJSON_ArrayForEach(s, secrets)
	{
		if (json_get_str(s, "name", &v, err) < 0 || json_get_str(s, "value", &v, err) < 0)
			return nb_err_wrap(err, "secrets[%d]", i);
		i++;
	}
	return 0;
}

/* A number from the override when it has one, else from the definition. */
static const cJSON *pick(const cJSON *override, const cJSON *cdef, const char *key)
{
	const cJSON *v = get(override, key);

	return cJSON_IsNumber(v) ? v : get(cdef, key);
}

static void put_resources(struct bld *b, cJSON *host, const cJSON *cdef, const cJSON *override)
{
	const cJSON *cpu = pick(override, cdef, "cpu"), *mem = pick(override, cdef, "memory");
	const cJSON *res = pick(override, cdef, "memoryReservation");
	double shares = cJSON_IsNumber(cpu) ? cpu->valuedouble : 0;

	put(b, host, "CpuShares",
	    cJSON_CreateNumber(shares < CPU_SHARES_MIN ? CPU_SHARES_MIN : shares));
	if (cJSON_IsNumber(mem))
		put(b, host, "Memory", cJSON_CreateNumber(mem->valuedouble * MIB));
	if (cJSON_IsNumber(res))
		put(b, host, "MemoryReservation", cJSON_CreateNumber(res->valuedouble * MIB));
}

static int put_network(struct bld *b, cJSON *body, cJSON *host, const struct ecs_spec_ctx *ctx,
		       enum netmode mode, const cJSON *cdef, struct nb_err *err)
{
	static const char *const docker_modes[] = { NULL, "bridge", "host", "none" };
	const cJSON *pm;
	cJSON *exposed, *bindings;
	cleanup_free char *joined = NULL;

	if (mode == NET_AWSVPC) {
		if (!ctx->pause_id || !*ctx->pause_id)
			return nb_err_set(err, -EINVAL,
					  "awsvpc needs the task's pause container first");
		if (asprintf(&joined, "container:%s", ctx->pause_id) < 0) {
			joined = NULL;
			return oom(err);
		}
		put_str(b, host, "NetworkMode", joined);
		return 0;
	}
	put_str(b, host, "NetworkMode", docker_modes[mode]);
	if (get_str(cdef, "hostname"))
		put_str(b, body, "Hostname", get_str(cdef, "hostname"));
	put_extra_hosts(b, host, cdef);
	if (mode != NET_BRIDGE)
		return 0;
	if (!get(cdef, "portMappings") || !get(cdef, "portMappings")->child)
		return put_links(b, host, ctx, get(cdef, "links"), err);
	exposed = put(b, body, "ExposedPorts", cJSON_CreateObject());
	bindings = put(b, host, "PortBindings", cJSON_CreateObject());
	cJSON_ArrayForEach(pm, get(cdef, "portMappings"))
	{
		const cJSON *hp = get(pm, "hostPort");
		char key[32];

		if (port_key(pm, key, sizeof(key)))
			publish(b, exposed, bindings, key, cJSON_IsNumber(hp) ? hp->valueint : 0);
	}
	return put_links(b, host, ctx, get(cdef, "links"), err);
}

int ecs_spec_container(const struct ecs_spec_ctx *ctx, const cJSON *taskdef, const cJSON *cdef,
		       const cJSON *override, const cJSON *secrets, cJSON **out, struct nb_err *err)
{
	cleanup_cjson cJSON *body = cJSON_CreateObject();
	const char *name = get_str(cdef, "name"), *image = get_str(cdef, "image");
	const cJSON *cmd =
		get(override, "command") ? get(override, "command") : get(cdef, "command");
	const cJSON *rev = get(taskdef, "revision"), *v;
	struct bld b = { .oom = !body };
	enum netmode mode;
	cJSON *host, *labels;
	int ret;

	*out = NULL;
	if ((ret = parse_mode(ctx, &mode, err)) < 0)
		return ret;
	if (!name || !image)
		return nb_err_set(err, -EINVAL, "a container definition needs a name and an image");
	if ((ret = check_override(override, err)) < 0)
		return nb_err_wrap(err, "containerOverrides for \"%s\"", name);
	if ((ret = check_secrets(secrets, err)) < 0)
		return ret;
	put_str(&b, body, "Image", image);
	copy(&b, body, "Entrypoint", get(cdef, "entryPoint"));
	copy(&b, body, "Cmd", cmd);
	put_env(&b, body, cdef, override, secrets);
	if ((v = get(cdef, "workingDirectory")))
		copy(&b, body, "WorkingDir", v);
	if ((v = get(cdef, "user")))
		copy(&b, body, "User", v);
	put_health(&b, body, get(cdef, "healthCheck"));
	if ((v = get(cdef, "stopTimeout")))
		copy(&b, body, "StopTimeout", v);
	labels = put(&b, body, "Labels", cJSON_CreateObject());
	for (v = get(cdef, "dockerLabels") ? get(cdef, "dockerLabels")->child : NULL; v;
	     v = v->next)
		if (cJSON_IsString(v))
			set_str(&b, labels, v->string, v->valuestring);
	set_str(&b, labels, "com.amazonaws.ecs.container-name", name);
	if (get_str(taskdef, "family"))
		set_str(&b, labels, "com.amazonaws.ecs.task-definition-family",
			get_str(taskdef, "family"));
	if (cJSON_IsNumber(rev)) {
		char text[24];

		snprintf(text, sizeof(text), "%d", rev->valueint);
		set_str(&b, labels, "com.amazonaws.ecs.task-definition-version", text);
	}
	put_labels(&b, labels, ctx, name);
	host = put(&b, body, "HostConfig", cJSON_CreateObject());
	put_resources(&b, host, cdef, override);
	put_ulimits(&b, host, cdef);
	if ((ret = put_network(&b, body, host, ctx, mode, cdef, err)) < 0 ||
	    (ret = put_mounts(&b, host, ctx, taskdef, cdef, err)) < 0)
		return ret;
	if (cJSON_IsTrue(get(get(cdef, "linuxParameters"), "initProcessEnabled")))
		put(&b, host, "Init", cJSON_CreateTrue());
	if (cJSON_IsTrue(get(cdef, "readonlyRootFilesystem")))
		put(&b, host, "ReadonlyRootfs", cJSON_CreateTrue());
	if (b.oom)
		return oom(err);
	*out = move_ptr(body);
	return 0;
}

int ecs_spec_pause(const struct ecs_spec_ctx *ctx, const cJSON *taskdef, const char *image,
		   cJSON **out, struct nb_err *err)
{
	cleanup_cjson cJSON *body = cJSON_CreateObject();
	struct bld b = { .oom = !body };
	const cJSON *cdef, *pm;
	cJSON *cmd, *host, *exposed, *bindings;
	enum netmode mode;
	int ret;

	*out = NULL;
	if ((ret = parse_mode(ctx, &mode, err)) < 0)
		return ret;
	if (!image || !*image)
		return nb_err_set(err, -EINVAL, "the pause container needs an image");
	put_str(&b, body, "Image", image);
	cmd = put(&b, body, "Cmd", cJSON_CreateArray());
	push(&b, cmd, cJSON_CreateString("sleep"));
	push(&b, cmd, cJSON_CreateString(PAUSE_SLEEP));
	put_str(&b, body, "StopSignal", "SIGKILL");
	if (ctx->hostname && *ctx->hostname)
		put_str(&b, body, "Hostname", ctx->hostname);
	put_labels(&b, put(&b, body, "Labels", cJSON_CreateObject()), ctx, ECS_PAUSE_CONTAINER);
	exposed = put(&b, body, "ExposedPorts", cJSON_CreateObject());
	host = put(&b, body, "HostConfig", cJSON_CreateObject());
	bindings = put(&b, host, "PortBindings", cJSON_CreateObject());
	cJSON_ArrayForEach(cdef, get(taskdef, "containerDefinitions"))
	{
		cJSON_ArrayForEach(pm, get(cdef, "portMappings"))
		{
			char key[32];

			/* One namespace: a port two containers name is one port. */
			if (port_key(pm, key, sizeof(key)) && !get(bindings, key))
				publish(&b, exposed, bindings, key, 0);
		}
	}
	if (b.oom)
		return oom(err);
	*out = move_ptr(body);
	return 0;
}

const cJSON *ecs_spec_override_for(const cJSON *overrides, const char *name)
{
	const cJSON *co;

	cJSON_ArrayForEach(co, cJSON_GetObjectItem(overrides, "containerOverrides"))
	{
		const cJSON *n = cJSON_GetObjectItem(co, "name");

		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return co;
	}
	return NULL;
}
