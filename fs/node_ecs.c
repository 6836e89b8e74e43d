/*
 * fs/node_ecs.c - files of ecs/task-definitions/: the register
 * transaction, a directory per family, <rev>.json per revision and a
 * `latest` symlink. Everything is answered from the ECS service's memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ecs/ecs.h"
#include "fs/node_ecs.h"

/* "12.json" -> 12; -ENOENT for any other name. */
static int rev_of(const char *name)
{
	char *end;
	long rev;

	if (name[0] < '1' || name[0] > '9')
		return -ENOENT;
	rev = strtol(name, &end, 10);
	if (strcmp(end, ".json") != 0 || rev > 1000000)
		return -ENOENT;
	return (int)rev;
}

/* node->obj is "<family>" or "<family>/<rev>.json". */
static void family_of(const struct fsnode *node, char *out, size_t len)
{
	size_t n = strcspn(node->obj, "/");

	if (n >= len)
		n = len - 1;
	memcpy(out, node->obj, n);
	out[n] = '\0';
}

static int ecs_lookup(struct fsnode_ctx *ctx, const struct fsnode *dir,
		      const struct fsnode_route *route, const char *name)
{
	struct ecs *ecs = ctx->d->ecs;
	char family[256];
	int rev;

	switch (route->type) {
	case FSNODE_TASKDEF_FAMILY:
		return ecs_family_latest(ecs, name) > 0 ? 0 : -ENOENT;
	case FSNODE_TASKDEF_REV:
		rev = rev_of(name);
		if (rev < 0)
			return rev;
		family_of(dir, family, sizeof(family));
		return ecs_taskdef_exists(ecs, family, rev) ? 0 : -ENOENT;
	default:
		return -ENOENT;
	}
}

static int ecs_list(struct fsnode_ctx *ctx, const struct fsnode *dir,
		    const struct fsnode_route *route, fsnode_emit_fn emit, void *ud)
{
	char family[256];

	switch (route->type) {
	case FSNODE_TASKDEF_FAMILY:
		return ecs_list_families(ctx->d->ecs, emit, ud);
	case FSNODE_TASKDEF_REV:
		family_of(dir, family, sizeof(family));
		return ecs_list_revisions(ctx->d->ecs, family, emit, ud);
	default:
		return 0;
	}
}

static int ecs_render(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
		      struct timespec *mtime)
{
	struct ecs *ecs = ctx->d->ecs;
	char family[256];
	const char *slash;
	int rev;

	switch (node->route->type) {
	case FSNODE_TASKDEF_REGISTER:
		return ecs_render_last_registered(ecs, out, mtime);
	case FSNODE_TASKDEF_REV:
		family_of(node, family, sizeof(family));
		slash = strchr(node->obj, '/');
		rev = slash ? rev_of(slash + 1) : -ENOENT;
		return rev < 0 ? rev : ecs_render_taskdef(ecs, family, rev, out, mtime);
	case FSNODE_TASKDEF_LATEST:
		family_of(node, family, sizeof(family));
		rev = ecs_family_latest(ecs, family);
		return rev < 0 ? rev : nb_buf_printf(out, "%d.json", rev);
	default:
		return 0;
	}
}

static int ecs_commit(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
		      size_t len, struct nb_buf *answer, struct nb_err *err)
{
	if (node->route->type != FSNODE_TASKDEF_REGISTER)
		return nb_err_set(err, -EACCES, "%s is read-only", node->path);
	return ecs_register(ctx->d->ecs, data, len, answer, err);
}

const struct fsnode_ops fsnode_ecs_ops = {
	.lookup = ecs_lookup,
	.list = ecs_list,
	.render = ecs_render,
	.commit = ecs_commit,
};
