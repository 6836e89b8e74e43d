/*
 * fs/node_ecs_secrets.c - files of ecs/secrets/: one 0600 file per secret,
 * made by writing it (create), read back with cat, replaced with `>` and
 * removed with rm. Task definitions' `secrets` read them at launch.
 */
#include <errno.h>
#include <string.h>

#include "backend/ecs/ecs.h"
#include "fs/node_ecs.h"

/* node->obj is the secret's name. */
static int secrets_lookup(struct fsnode_ctx *ctx, const struct fsnode *dir,
			  const struct fsnode_route *route, const char *name)
{
	(void)dir;
	if (route->type != FSNODE_SECRET)
		return -ENOENT;
	return ecs_secret_exists(ctx->d->ecs, name) ? 0 : -ENOENT;
}

static int secrets_list(struct fsnode_ctx *ctx, const struct fsnode *dir,
			const struct fsnode_route *route, fsnode_emit_fn emit, void *ud)
{
	(void)dir;
	if (route->type != FSNODE_SECRET)
		return 0;
	return ecs_list_secrets(ctx->d->ecs, emit, ud);
}

static int secrets_render(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
			  struct timespec *mtime)
{
	if (node->route->type != FSNODE_SECRET)
		return 0;
	return ecs_secret_render(ctx->d->ecs, node->obj, out, mtime);
}

static int secrets_commit(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
			  size_t len, struct nb_buf *answer, struct nb_err *err)
{
	(void)answer;
	if (node->route->type != FSNODE_SECRET)
		return nb_err_set(err, -EACCES, "%s is read-only", node->path);
	return ecs_secret_put(ctx->d->ecs, node->obj, data, len, err);
}

static int secrets_create(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
			  struct nb_err *err)
{
	(void)dir;
	return ecs_secret_create(ctx->d->ecs, name, err);
}

static int secrets_unlink(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
			  struct nb_err *err)
{
	(void)dir;
	return ecs_secret_remove(ctx->d->ecs, name, err);
}

const struct fsnode_ops fsnode_ecs_secrets_ops = {
	.lookup = secrets_lookup,
	.list = secrets_list,
	.render = secrets_render,
	.commit = secrets_commit,
	.create = secrets_create,
	.unlink = secrets_unlink,
};
