/*
 * fs/node_lambda.c - files of lambda/: a directory per function (mkdir
 * creates, rmdir deletes), its settings, package, layers, the read-only
 * code/ tree, and the invoke transaction. Everything but invoke answers
 * from the Lambda service's memory or state dir.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/lambda/fnconfig.h"
#include "backend/lambda/lambda.h"
#include "fs/node_lambda.h"

/* The function file a route serves; -1 for the others. */
static int file_of(enum fsnode_type t)
{
	switch (t) {
	case FSNODE_LF_CONFIG:
		return LAMBDA_F_CONFIG;
	case FSNODE_LF_RUNTIME:
		return LAMBDA_F_RUNTIME;
	case FSNODE_LF_HANDLER:
		return LAMBDA_F_HANDLER;
	case FSNODE_LF_TIMEOUT:
		return LAMBDA_F_TIMEOUT;
	case FSNODE_LF_MEMORY:
		return LAMBDA_F_MEMORY;
	case FSNODE_LF_EPHEMERAL:
		return LAMBDA_F_EPHEMERAL;
	case FSNODE_LF_ENVIRONMENT:
		return LAMBDA_F_ENVIRONMENT;
	case FSNODE_LF_CONCURRENCY:
		return LAMBDA_F_CONCURRENCY;
	case FSNODE_LF_IMAGE:
		return LAMBDA_F_IMAGE;
	case FSNODE_LF_CODE_ZIP:
		return LAMBDA_F_CODE_ZIP;
	case FSNODE_LF_CODE_SHA:
		return LAMBDA_F_CODE_SHA;
	case FSNODE_LF_STATE:
		return LAMBDA_F_STATE;
	case FSNODE_LF_INVOKE: /* before a request: the last response */
	case FSNODE_LF_RESPONSE:
		return LAMBDA_F_RESPONSE;
	case FSNODE_LF_LAST_INVOCATION:
		return LAMBDA_F_LAST_INVOCATION;
	case FSNODE_LF_LOGS:
		return LAMBDA_F_LOGS;
	case FSNODE_LF_WARM:
		return LAMBDA_F_WARM;
	default:
		return -1;
	}
}

/* node->obj is "<function>" or "<function>/<rest>": split it. */
static const char *split_obj(const char *obj, char *fn, size_t len)
{
	size_t n = strcspn(obj, "/");

	if (n >= len)
		n = len - 1;
	memcpy(fn, obj, n);
	fn[n] = '\0';
	return obj[n] == '/' ? obj + n + 1 : obj + n;
}

static enum lambda_code_kind code_kind_of(enum fsnode_type t)
{
	return t == FSNODE_LF_CODE_DIR	  ? LAMBDA_CODE_DIR
	       : t == FSNODE_LF_CODE_FILE ? LAMBDA_CODE_FILE
					  : LAMBDA_CODE_LINK;
}

static int lambda_lookup(struct fsnode_ctx *ctx, const struct fsnode *dir,
			 const struct fsnode_route *route, const char *name)
{
	struct lambda *l = ctx->d->lambda;
	char fn[LAMBDA_FUNCTION_NAME_MAX + 1], rel[4096];
	const char *rest = split_obj(dir->obj, fn, sizeof(fn));

	switch (route->type) {
	case FSNODE_LAMBDA_FN:
		return lambda_exists(l, name) ? 0 : -ENOENT;
	case FSNODE_LF_LAYER:
		return lambda_layer_exists(l, fn, name) ? 0 : -ENOENT;
	case FSNODE_LF_CODE_DIR:
	case FSNODE_LF_CODE_FILE:
	case FSNODE_LF_CODE_LINK:
		snprintf(rel, sizeof(rel), "%s%s%s", rest, rest[0] ? "/" : "", name);
		return lambda_code_kind(l, fn, rel) == code_kind_of(route->type) ? 0 : -ENOENT;
	default:
		return -ENOENT;
	}
}

struct kind_filter {
	struct lambda *l;
	const char *fn, *rest;
	enum lambda_code_kind want;
	fsnode_emit_fn emit;
	void *ud;
};

static int emit_if_kind(void *ud, const char *name)
{
	struct kind_filter *k = ud;
	char rel[4096];

	snprintf(rel, sizeof(rel), "%s%s%s", k->rest, k->rest[0] ? "/" : "", name);
	if (lambda_code_kind(k->l, k->fn, rel) != k->want)
		return 0;
	return k->emit(k->ud, name);
}

static int lambda_list_objs(struct fsnode_ctx *ctx, const struct fsnode *dir,
			    const struct fsnode_route *route, fsnode_emit_fn emit, void *ud)
{
	struct lambda *l = ctx->d->lambda;
	char fn[LAMBDA_FUNCTION_NAME_MAX + 1];
	const char *rest = split_obj(dir->obj, fn, sizeof(fn));
	struct kind_filter k = { l, fn, rest, LAMBDA_CODE_NONE, emit, ud };

	switch (route->type) {
	case FSNODE_LAMBDA_FN:
		return lambda_list(l, emit, ud);
	case FSNODE_LF_LAYER:
		return lambda_layer_list(l, fn, emit, ud);
	case FSNODE_LF_CODE_DIR:
	case FSNODE_LF_CODE_FILE:
	case FSNODE_LF_CODE_LINK:
		/* Each "*" route lists the entries of its own kind. */
		k.want = code_kind_of(route->type);
		return lambda_code_list(l, fn, rest, emit_if_kind, &k);
	default:
		return 0;
	}
}

static int lambda_render_node(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
			      struct timespec *mtime)
{
	struct lambda *l = ctx->d->lambda;
	char fn[LAMBDA_FUNCTION_NAME_MAX + 1];
	const char *rest = split_obj(node->obj, fn, sizeof(fn));
	int f = file_of(node->route->type);

	switch (node->route->type) {
	case FSNODE_LF_LAYER:
		return lambda_layer_render(l, fn, rest, out, mtime);
	case FSNODE_LF_CODE_FILE:
	case FSNODE_LF_CODE_LINK:
		return lambda_code_render(l, fn, rest, out, mtime);
	default:
		return f < 0 ? 0 : lambda_render(l, fn, (enum lambda_file)f, out, mtime);
	}
}

static int lambda_commit(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
			 size_t len, struct nb_buf *answer, struct nb_err *err)
{
	struct lambda *l = ctx->d->lambda;
	char fn[LAMBDA_FUNCTION_NAME_MAX + 1];
	const char *rest = split_obj(node->obj, fn, sizeof(fn));
	int f = file_of(node->route->type);

	(void)answer;
	switch (node->route->type) {
	case FSNODE_LF_INVOKE_ASYNC:
		return lambda_invoke_async(l, fn, data, len, err);
	case FSNODE_LF_LAYER:
		return lambda_layer_write(l, fn, rest, data, len, err);
	default:
		if (f < 0 || node->route->kind != FSNODE_VALUE)
			return nb_err_set(err, -EACCES, "%s is read-only", node->path);
		return lambda_write(l, fn, (enum lambda_file)f, data, len, err);
	}
}

/* Only lambda/ makes and removes functions; code/ is read-only. */
static int functions_dir(const struct fsnode *dir, struct nb_err *err)
{
	if (dir->route->type != FSNODE_LAMBDA)
		return nb_err_set(err, -EROFS, "%s is read-only", dir->path);
	return 0;
}

/* invoke: the payload is checked and capacity reserved in write(); the
 * container is leased or started, and the invocation run, at the first
 * read or at close, on a thread of its own (fs/longtxn.c). */
static int lambda_prepare(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
			  size_t len, void **priv, struct nb_err *err)
{
	return lambda_invoke_prepare(ctx->d->lambda, node->obj, data, len,
				     (struct lambda_call **)priv, err);
}

static int lambda_run(struct fsnode_ctx *ctx, const struct fsnode *node, void *priv,
		      const char *data, size_t len, struct nb_cancel *cancel, struct nb_buf *answer,
		      struct nb_err *err)
{
	(void)node;
	return lambda_invoke_run(ctx->d->lambda, priv, data, len, cancel, answer, err);
}

static void lambda_discard(struct fsnode_ctx *ctx, void *priv)
{
	lambda_invoke_discard(ctx->d->lambda, priv);
}

static int lambda_mkdir(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
			struct nb_err *err)
{
	int ret = functions_dir(dir, err);

	if (ret < 0)
		return ret;
	return lambda_create(ctx->d->lambda, name, err);
}

static int lambda_rmdir(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
			struct nb_err *err)
{
	int ret = functions_dir(dir, err);

	if (ret < 0)
		return ret;
	return lambda_delete(ctx->d->lambda, name, err);
}

static int lambda_create_file(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
			      struct nb_err *err)
{
	return lambda_layer_create(ctx->d->lambda, dir->obj, name, err);
}

static int lambda_unlink(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
			 struct nb_err *err)
{
	return lambda_layer_remove(ctx->d->lambda, dir->obj, name, err);
}

/* Only invoke is a long transaction; everything else commits in write(). */
const struct fsnode_ops fsnode_lambda_invoke_ops = {
	.render = lambda_render_node,
	.prepare = lambda_prepare,
	.run = lambda_run,
	.discard = lambda_discard,
};

/* `logs`, `code.zip` and layers: the state dir's file itself, opened
 * without the service's lock. */
static int lambda_backing(struct fsnode_ctx *ctx, const struct fsnode *node, int *fd,
			  struct timespec *mtime)
{
	struct lambda *l = ctx->d->lambda;
	char fn[LAMBDA_FUNCTION_NAME_MAX + 1];
	const char *rest = split_obj(node->obj, fn, sizeof(fn));

	if (node->route->type == FSNODE_LF_LAYER)
		return lambda_layer_open(l, fn, rest, fd, mtime);
	return lambda_file_open(l, fn, (enum lambda_file)file_of(node->route->type), fd, mtime);
}

/* As fsnode_lambda_ops, for the files backed by the state dir. */
const struct fsnode_ops fsnode_lambda_backed_ops = {
	.lookup = lambda_lookup,
	.list = lambda_list_objs,
	.render = lambda_render_node,
	.commit = lambda_commit,
	.create = lambda_create_file,
	.unlink = lambda_unlink,
	.backing = lambda_backing,
};

const struct fsnode_ops fsnode_lambda_ops = {
	.lookup = lambda_lookup,
	.list = lambda_list_objs,
	.render = lambda_render_node,
	.commit = lambda_commit,
	.mkdir = lambda_mkdir,
	.rmdir = lambda_rmdir,
	.create = lambda_create_file,
	.unlink = lambda_unlink,
};
