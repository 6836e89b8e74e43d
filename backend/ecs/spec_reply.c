/*
 * backend/ecs/spec_reply.c - the way back: engine replies to what ECS
 * reports. A container inspect's ports become networkBindings and the
 * `ports` file, dependsOn becomes the start order, and a container's end
 * becomes the agent's stop reason or the signal it reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/buf.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/ecs/spec.h"
#include "backend/ecs/spec_i.h"

struct binding {
	int container_port, host_port;
	char proto[8], ip[64];
};

static int cmp_binding(const void *pa, const void *pb)
{
	const struct binding *a = pa, *b = pb;
	int c;

	if (a->container_port != b->container_port)
		return a->container_port < b->container_port ? -1 : 1;
	if ((c = strcmp(a->proto, b->proto)) != 0 || (c = strcmp(a->ip, b->ip)) != 0)
		return c;
	return (a->host_port > b->host_port) - (a->host_port < b->host_port);
}

/* "8080/tcp" -> 8080 and "tcp"; false when it is not that shape. */
static bool parse_port_key(const char *key, int *port, char *proto, size_t len)
{
	char *end;
	long n = strtol(key, &end, 10);
	size_t plen;

	if (end == key || *end != '/' || n < 1 || n > 65535)
		return false;
	plen = strlen(end + 1);
	if (plen == 0 || plen >= len || strspn(end + 1, "abcdefghijklmnopqrstuvwxyz") != plen)
		return false;
	memcpy(proto, end + 1, plen + 1);
	*port = (int)n;
	return true;
}

static int parse_binding(const char *key, const cJSON *hb, struct binding *out, struct nb_err *err)
{
	const char *ip, *port;
	char *end;
	long n;

	if (json_get_str(hb, "HostIp", &ip, err) < 0 ||
	    json_get_str(hb, "HostPort", &port, err) < 0)
		return nb_err_wrap(err, "NetworkSettings.Ports \"%s\"", key);
	n = strtol(port, &end, 10);
	if (end == port || *end || n < 1 || n > 65535)
		return nb_err_set(err, -EINVAL,
				  "NetworkSettings.Ports \"%s\": HostPort \"%s\" is "
				  "not a port",
				  key, port);
	if (strlen(ip) >= sizeof(out->ip))
		return nb_err_set(err, -EINVAL, "NetworkSettings.Ports \"%s\": HostIp is too long",
				  key);
	snprintf(out->ip, sizeof(out->ip), "%s", *ip ? ip : "0.0.0.0");
	out->host_port = (int)n;
	return 0;
}

static int collect_bindings(const cJSON *ports, struct binding **out, struct nb_err *err)
{
	cleanup_free struct binding *list = NULL;
	const cJSON *p, *hb;
	int n = 0, cap = 0;

	cJSON_ArrayForEach(p, ports)
	{
		if (cJSON_IsNull(p))
			continue; /* exposed, not published */
		if (!cJSON_IsArray(p))
			return nb_err_set(err, -EINVAL,
					  "NetworkSettings.Ports \"%s\" must be an array or null",
					  p->string);
		cap += cJSON_GetArraySize(p);
	}
	if (cap == 0)
		return 0;
	list = calloc((size_t)cap, sizeof(*list));
	if (!list)
		return oom(err);
	cJSON_ArrayForEach(p, ports)
	{
		int port;
		char proto[8];

		if (cJSON_IsNull(p))
			continue;
		if (!parse_port_key(p->string, &port, proto, sizeof(proto)))
			return nb_err_set(
				err, -EINVAL,
				"NetworkSettings.Ports key \"%s\" is not \"port/protocol\"",
				p->string);
		cJSON_ArrayForEach(hb, p)
		{
			int ret = parse_binding(p->string, hb, &list[n], err);

			if (ret < 0)
				return ret;
			list[n].container_port = port;
			memcpy(list[n].proto, proto, sizeof(proto));
			n++;
		}
	}
	qsort(list, (size_t)n, sizeof(*list), cmp_binding);
	*out = move_ptr(list);
	return n;
}

int ecs_spec_bindings(const cJSON *inspect, cJSON **bindings_out, struct nb_buf *text_out,
		      struct nb_err *err)
{
	cleanup_free struct binding *list = NULL;
	cleanup_cjson cJSON *arr = cJSON_CreateArray();
	cleanup_buf struct nb_buf text = { 0 };
	const cJSON *settings = get(inspect, "NetworkSettings"), *ports = get(settings, "Ports");
	struct bld b = { .oom = !arr };
	int n;

	if (bindings_out)
		*bindings_out = NULL;
	if (!cJSON_IsObject(inspect))
		return nb_err_set(err, -EINVAL, "a container inspect reply must be an object");
	if ((settings && !cJSON_IsObject(settings) && !cJSON_IsNull(settings)) ||
	    (ports && !cJSON_IsObject(ports) && !cJSON_IsNull(ports)))
		return nb_err_set(err, -EINVAL, "NetworkSettings.Ports must be an object");
	if ((n = collect_bindings(ports, &list, err)) < 0)
		return n;
	if (nb_buf_reserve(&text, 0) < 0)
		return oom(err);
	for (int i = 0; i < n; i++) {
		const struct binding *x = &list[i];
		bool v6 = strchr(x->ip, ':') != NULL;
		cJSON *o = push(&b, arr, cJSON_CreateObject());

		put_str(&b, o, "bindIP", x->ip);
		put(&b, o, "containerPort", cJSON_CreateNumber(x->container_port));
		put(&b, o, "hostPort", cJSON_CreateNumber(x->host_port));
		put_str(&b, o, "protocol", x->proto);
		if (nb_buf_printf(&text, "%d/%s -> %s%s%s:%d\n", x->container_port, x->proto,
				  v6 ? "[" : "", x->ip, v6 ? "]" : "", x->host_port) < 0)
			b.oom = true;
	}
	if (b.oom || (text_out && nb_buf_append(text_out, text.data, text.len) < 0))
		return oom(err);
	if (bindings_out)
		*bindings_out = move_ptr(arr);
	return n;
}

static bool placed(const int *order, int count, int i)
{
	for (int k = 0; k < count; k++)
		if (order[k] == i)
			return true;
	return false;
}

/* Whether every container cdef depends on is placed; a name that is no
 * container of the task (or the container itself) does not hold it back. */
static bool ready(const cJSON *ctrs, const cJSON *cdef, const int *order, int count)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, get(cdef, "dependsOn"))
	{
		const char *want = get_str(d, "containerName");
		const cJSON *c;
		int j = 0;

		cJSON_ArrayForEach(c, ctrs)
		{
			if (c != cdef && want && get_str(c, "name") &&
			    strcmp(get_str(c, "name"), want) == 0 && !placed(order, count, j))
				return false;
			j++;
		}
	}
	return true;
}

int ecs_spec_start_order(const cJSON *taskdef, int *order, int max)
{
	const cJSON *ctrs = get(taskdef, "containerDefinitions"), *c;
	int n = cJSON_GetArraySize(ctrs), count = 0;

	if (!cJSON_IsArray(ctrs))
		return -EINVAL;
	if (n > max)
		return -ENOSPC;
	/* n is at most ten: a quadratic scan is simpler than a graph. */
	while (count < n) {
		int i = 0, pick = -1, first = -1;

		cJSON_ArrayForEach(c, ctrs)
		{
			if (!placed(order, count, i)) {
				if (first < 0)
					first = i;
				if (ready(ctrs, c, order, count)) {
					pick = i;
					break;
				}
			}
			i++;
		}
		order[count++] = pick >= 0 ? pick : first; /* first: a cycle */
	}
	return count;
}

void ecs_spec_exit_reason(const cJSON *state, char *out, size_t len)
{
	const char *error = get_str(state, "Error");

	if (len == 0)
		return;
	out[0] = '\0';
	/* The agent's order: OOM wins over the engine's error text. */
	if (cJSON_IsTrue(get(state, "OOMKilled")))
		snprintf(out, len, "OutOfMemoryError: Container killed due to memory usage");
	else if (error && *error)
		snprintf(out, len, "DockerStateError: %s", error);
}

const char *ecs_spec_exit_signal(int exit_code)
{
	static const char *const names[] = {
		NULL,	    "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP",   "SIGABRT",
		"SIGBUS",   "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV", "SIGUSR2",   "SIGPIPE",
		"SIGALRM",  "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",   "SIGTSTP",
		"SIGTTIN",  "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
		"SIGWINCH", "SIGIO",   "SIGPWR",    "SIGSYS",
	};
	int sig = exit_code - 128;

	if (sig < 1 || sig >= (int)(sizeof(names) / sizeof(names[0])))
		return NULL;
	return names[sig];
}
