/*
 * backend/ecs/taskdef_graph.c - the container rules that span containers:
 * names unique, at least one essential, links, volumesFrom and dependsOn
 * naming another container of the task, and no dependsOn cycle.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "backend/ecs/taskdef.h"
#include "backend/ecs/taskdef_i.h"

static int find_container(const struct td_ctr_set *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return i;
	return -1;
}

/* links: "name" or "name:alias", bridge mode only, naming another container. */
int td_check_links(struct td_ctx *c, const struct td_ctr_set *s, int self, const cJSON *links)
{
	const cJSON *l;
	int i = 0;

	if (!links || !links->child)
		return 0;
	td_push_key(c, "links");
	if (s->mode != TD_NET_BRIDGE)
		return td_fail(c, "are only valid in bridge network mode, not %s", s->mode_name);
	cJSON_ArrayForEach(l, links)
	{
		char name[256];
		const char *colon = strchr(l->valuestring, ':');
		size_t len = colon ? (size_t)(colon - l->valuestring) : strlen(l->valuestring);
		size_t mark = td_push_index(c, i++);
		int target;

		if (len >= sizeof(name) || (colon && !ecs_family_valid(colon + 1)))
			return td_fail(c, "must be \"name\" or \"name:alias\"");
		memcpy(name, l->valuestring, len);
		name[len] = '\0';
		if (!ecs_family_valid(name))
			return td_fail(c, "must be \"name\" or \"name:alias\"");
		target = find_container(s, name);
		if (target < 0)
			return td_fail(c, "names no container of the task: \"%s\"", name);
		if (target == self)
			return td_fail(c, "names the container itself");
		td_pop(c, mark);
	}
	return 0;
}

/* Checks a reference from container self to another by name (volumesFrom,
 * dependsOn); returns its index, or -EINVAL. */
static int check_ref(struct td_ctx *c, const struct td_ctr_set *s, int self, const char *list,
		     int i, const char *key, const char *name)
{
	size_t mark = td_push_key(c, list);
	int target = find_container(s, name);

	td_push_index(c, i);
	td_push_key(c, key);
	if (target < 0)
		return td_fail(c, "\"%s\" names no container of the task", name);
	if (target == self)
		return td_fail(c, "names the container itself");
	td_pop(c, mark);
	return target;
}

int td_check_deps(struct td_ctx *c, struct td_ctr_set *s, int self)
{
	const cJSON *d;
	int i = 0;

	cJSON_ArrayForEach(d, get(s->obj[self], "volumesFrom"))
	{
		int ret = check_ref(c, s, self, "volumesFrom", i++, "sourceContainer",
				    get_str(d, "sourceContainer"));

		if (ret < 0)
			return ret;
	}
	i = 0;
	cJSON_ArrayForEach(d, get(s->obj[self], "dependsOn"))
	{
		int target = check_ref(c, s, self, "dependsOn", i, "containerName",
				       get_str(d, "containerName"));

		if (target < 0)
			return target;
		if (strcmp(get_str(d, "condition"), "HEALTHY") == 0 &&
		    !get(s->obj[target], "healthCheck")) {
			td_push_key(c, "dependsOn");
			td_push_index(c, i);
			td_push_key(c, "condition");
			return td_fail(c, "HEALTHY needs container \"%s\" to have a healthCheck",
				       s->name[target]);
		}
		s->deps[self][target] = true;
		i++;
	}
	return 0;
}

/* Depth-first search; stack holds the path from the root, so a back edge
 * to a grey container closes a cycle made of the stack from there on. */
static int find_cycle(const struct td_ctr_set *s, int at, int *color, int *stack, int depth,
		      int *cycle_start)
{
	color[at] = 1;
	stack[depth] = at;
	for (int j = 0; j < s->n; j++) {
		if (!s->deps[at][j])
			continue;
		if (color[j] == 1) {
			for (int k = 0; k <= depth; k++)
				if (stack[k] == j)
					*cycle_start = k;
			return depth + 1;
		}
		if (color[j] == 0) {
			int len = find_cycle(s, j, color, stack, depth + 1, cycle_start);

			if (len > 0)
				return len;
		}
	}
	color[at] = 2;
	return 0;
}

static int check_cycles(struct td_ctx *c, const struct td_ctr_set *s)
{
	int color[ECS_TASKDEF_CONTAINERS_MAX] = { 0 }, stack[ECS_TASKDEF_CONTAINERS_MAX];

	for (int i = 0; i < s->n; i++) {
		char names[ECS_TASKDEF_CONTAINERS_MAX * 260];
		size_t n = 0;
		int start = 0, len;

		if (color[i] != 0)
			continue;
		len = find_cycle(s, i, color, stack, 0, &start);
		if (len == 0)
			continue;
		names[0] = '\0';
		for (int k = start; k <= len; k++) {
			int w = snprintf(names + n, sizeof(names) - n, "%s%s",
					 k > start ? " -> " : "",
					 s->name[k < len ? stack[k] : stack[start]]);

			n += w > 0 ? (size_t)w : 0;
			if (n >= sizeof(names))
				break;
		}
		return nb_err_set(c->err, -EINVAL, "containerDefinitions dependsOn has a cycle: %s",
				  names);
	}
	return 0;
}

int td_check_containers(struct td_ctx *c, cJSON *def, enum td_netmode mode,
			const char *netmode_name)
{
	struct td_ctr_set s = { .volumes = get(def, "volumes"),
				.mode = mode,
				.mode_name = netmode_name };
	size_t top = td_push_key(c, "containerDefinitions");
	bool essential = false;
	cJSON *ctr;
	int ret;

	cJSON_ArrayForEach(ctr, get(def, "containerDefinitions"))
	{
		size_t mark = td_push_index(c, s.n);
		int prev;

		s.obj[s.n] = ctr;
		s.name[s.n] = get_str(ctr, "name");
		if (!ecs_family_valid(s.name[s.n])) {
			td_push_key(c, "name");
			return td_fail(c,
				       "must be 1 to 255 letters, numbers, hyphens or underscores");
		}
		prev = find_container(&s, s.name[s.n]);
		if (prev >= 0) {
			td_push_key(c, "name");
			return td_fail(c, "\"%s\" is already used by containerDefinitions[%d]",
				       s.name[s.n], prev);
		}
		s.n++;
		td_pop(c, mark);
	}
	for (int i = 0; i < s.n; i++) {
		size_t mark = td_push_index(c, i);
		const cJSON *ess = get(s.obj[i], "essential");

		if ((ret = td_check_container(c, &s, i)) < 0)
			return ret;
		essential = essential || !ess || cJSON_IsTrue(ess);
		td_pop(c, mark);
	}
	td_pop(c, top);
	if (!essential)
		return nb_err_set(c->err, -EINVAL, "at least one essential container is required");
	return check_cycles(c, &s);
}
