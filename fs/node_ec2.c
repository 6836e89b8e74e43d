/*
 * fs/node_ec2.c - files of ec2/: the run transaction and `latest`, AMI
 * registrations in images/, subnets/ with its create transaction, and a
 * directory per instance with its state, console, tags and run-command.
 * Answered from the EC2 service's memory; writes validate and queue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ec2/ec2.h"
#include "fs/node_ec2.h"

static const struct {
	enum fsnode_type type;
	enum ec2_instance_file file;
} instance_files[] = {
	{ FSNODE_EI_STATE, EC2_IF_STATE },
	{ FSNODE_EI_CONSOLE, EC2_IF_CONSOLE },
	{ FSNODE_EI_USER_DATA, EC2_IF_USER_DATA },
	{ FSNODE_EI_USER_DATA_STATUS, EC2_IF_USER_DATA_STATUS },
	{ FSNODE_EI_IMAGE, EC2_IF_IMAGE },
	{ FSNODE_EI_TYPE, EC2_IF_TYPE },
	{ FSNODE_EI_PRIVATE_IP, EC2_IF_PRIVATE_IP },
	{ FSNODE_EI_HOSTNAME, EC2_IF_HOSTNAME },
	{ FSNODE_EI_SUBNET, EC2_IF_SUBNET },
	{ FSNODE_EI_CONTAINER, EC2_IF_CONTAINER },
	{ FSNODE_EI_DESCRIBE, EC2_IF_DESCRIBE },
};

static const struct {
	enum fsnode_type type;
	enum ec2_subnet_file file;
} subnet_files[] = {
	{ FSNODE_ES_CIDR, EC2_SF_CIDR },	   { FSNODE_ES_PRIVATE, EC2_SF_PRIVATE },
	{ FSNODE_ES_DEFAULT, EC2_SF_DEFAULT },	   { FSNODE_ES_NETWORK, EC2_SF_NETWORK },
	{ FSNODE_ES_INSTANCES, EC2_SF_INSTANCES }, { FSNODE_ES_DESCRIBE, EC2_SF_DESCRIBE },
};

/* node->obj is "<object>" or "<instance>/<tag key>": the first part. */
static void first(const struct fsnode *node, char out[EC2_ID_MAX], const char **rest)
{
	size_t n = strcspn(node->obj, "/");

	snprintf(out, EC2_ID_MAX, "%.*s", (int)(n < EC2_ID_MAX - 1 ? n : EC2_ID_MAX - 1),
		 node->obj);
	*rest = node->obj[n] == '/' ? node->obj + n + 1 : NULL;
}

static int ec2_lookup(struct fsnode_ctx *ctx, const struct fsnode *dir,
		      const struct fsnode_route *route, const char *name)
{
	struct ec2 *ec2 = ctx->d->ec2;
	const char *rest;
	char id[EC2_ID_MAX];

	switch (route->type) {
	case FSNODE_EC2_INSTANCE:
		return ec2_id_valid("i", name) && ec2_instance_exists(ec2, name) ? 0 : -ENOENT;
	case FSNODE_EC2_IMAGE:
		return ec2_image_exists(ec2, name) ? 0 : -ENOENT;
	case FSNODE_EC2_SUBNET:
		return ec2_subnet_exists(ec2, name) ? 0 : -ENOENT;
	case FSNODE_EI_TAG:
		first(dir, id, &rest);
		return ec2_tag_exists(ec2, id, name) ? 0 : -ENOENT;
	default:
		return -ENOENT;
	}
}

static int ec2_list(struct fsnode_ctx *ctx, const struct fsnode *dir,
		    const struct fsnode_route *route, fsnode_emit_fn emit, void *ud)
{
	struct ec2 *ec2 = ctx->d->ec2;
	const char *rest;
	char id[EC2_ID_MAX];

	switch (route->type) {
	case FSNODE_EC2_INSTANCE:
		return ec2_list_instances(ec2, emit, ud);
	case FSNODE_EC2_IMAGE:
		return ec2_list_images(ec2, emit, ud);
	case FSNODE_EC2_SUBNET:
		return ec2_list_subnets(ec2, emit, ud);
	case FSNODE_EI_TAG:
		first(dir, id, &rest);
		return ec2_list_tags(ec2, id, emit, ud);
	default:
		return 0;
	}
}

static int ec2_render(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
		      struct timespec *mtime)
{
	struct ec2 *ec2 = ctx->d->ec2;
	enum fsnode_type type = node->route->type;
	const char *rest;
	char id[EC2_ID_MAX];
	int ret;

	switch (type) {
	case FSNODE_EC2_RUN:
	case FSNODE_EC2_SUBNET_CREATE:
	case FSNODE_EI_RUN_COMMAND:
		return 0;
	case FSNODE_EC2_LATEST:
		ret = ec2_latest_instance(ec2, id);
		return ret < 0 ? ret : nb_buf_puts(out, id);
	case FSNODE_EC2_IMAGE:
		return ec2_image_render(ec2, node->obj, out, mtime);
	default:
		break;
	}
	first(node, id, &rest);
	if (type == FSNODE_EI_TAG)
		return ec2_tag_render(ec2, id, rest ? rest : "", out, mtime);
	for (size_t i = 0; i < sizeof(instance_files) / sizeof(instance_files[0]); i++)
		if (instance_files[i].type == type)
			return ec2_instance_render(ec2, id, instance_files[i].file, out, mtime);
	for (size_t i = 0; i < sizeof(subnet_files) / sizeof(subnet_files[0]); i++)
		if (subnet_files[i].type == type)
			return ec2_subnet_render(ec2, id, subnet_files[i].file, out, mtime);
	/* Directories: only whether the object is still there. */
	if (type == FSNODE_EC2_SUBNET)
		return ec2_subnet_exists(ec2, id) ? 0 : -ENOENT;
	if (type == FSNODE_EC2_INSTANCE || type == FSNODE_EI_TAGS)
		return ec2_instance_exists(ec2, id) ? 0 : -ENOENT;
	return 0;
}

static int ec2_commit(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
		      size_t len, struct nb_buf *answer, struct nb_err *err)
{
	struct ec2 *ec2 = ctx->d->ec2;
	const char *rest;
	char id[EC2_ID_MAX];

	first(node, id, &rest);
	switch (node->route->type) {
	case FSNODE_EC2_RUN:
		return ec2_run(ec2, data, len, answer, err);
	case FSNODE_EC2_IMAGE:
		return ec2_image_put(ec2, node->obj, data, len, err);
	case FSNODE_EI_STATE:
		return ec2_instance_action(ec2, id, data, len, err);
	case FSNODE_EI_TAG:
		return ec2_tag_put(ec2, id, rest ? rest : "", data, len, err);
	default:
		return nb_err_set(err, -EACCES, "%s is read-only", node->path);
	}
}

static int ec2_create(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
		      struct nb_err *err)
{
	const char *rest;
	char id[EC2_ID_MAX];

	if (dir->route->type == FSNODE_EC2_IMAGES)
		return ec2_image_create(ctx->d->ec2, name, err);
	if (dir->route->type == FSNODE_EI_TAGS) {
		first(dir, id, &rest);
		return ec2_tag_create(ctx->d->ec2, id, name, err);
	}
	return nb_err_set(err, -EACCES, "files cannot be created in %s", dir->path);
}

static int ec2_unlink(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
		      struct nb_err *err)
{
	const char *rest;
	char id[EC2_ID_MAX];

	if (dir->route->type == FSNODE_EC2_IMAGES)
		return ec2_image_remove(ctx->d->ec2, name, err);
	if (dir->route->type == FSNODE_EI_TAGS) {
		first(dir, id, &rest);
		return ec2_tag_remove(ctx->d->ec2, id, name, err);
	}
	return nb_err_set(err, -EPERM, "files in %s cannot be removed", dir->path);
}

static int ec2_rmdir(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
		     struct nb_err *err)
{
	if (dir->route->type == FSNODE_EC2_SUBNETS)
		return ec2_subnet_remove(ctx->d->ec2, name, err);
	if (dir->route->type == FSNODE_EC2)
		return ec2_instance_forget(ctx->d->ec2, name, err);
	return nb_err_set(err, -EPERM, "%s/%s cannot be removed", dir->path, name);
}

const struct fsnode_ops fsnode_ec2_ops = {
	.lookup = ec2_lookup,
	.list = ec2_list,
	.render = ec2_render,
	.commit = ec2_commit,
	.create = ec2_create,
	.unlink = ec2_unlink,
	.rmdir = ec2_rmdir,
};

/* Which service call a reservation belongs to. */
struct long_priv {
	enum fsnode_type type;
	void *p;
};

static int long_prepare(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
			size_t len, void **priv, struct nb_err *err)
{
	struct long_priv *lp = calloc(1, sizeof(*lp));
	int ret;

	if (!lp)
		return nb_err_set(err, -ENOMEM, "out of memory");
	lp->type = node->route->type;
	if (lp->type == FSNODE_EC2_SUBNET_CREATE)
		ret = ec2_subnet_create_prepare(ctx->d->ec2, data, len, &lp->p, err);
	else
		ret = ec2_runcmd_prepare(ctx->d->ec2, node->obj, data, len, &lp->p, err);
	if (ret < 0) {
		free(lp);
		return ret;
	}
	*priv = lp;
	return 0;
}

static int long_run(struct fsnode_ctx *ctx, const struct fsnode *node, void *priv, const char *data,
		    size_t len, struct nb_cancel *cancel, struct nb_buf *answer, struct nb_err *err)
{
	struct long_priv *lp = priv;
	void *p = lp->p;

	(void)node;
	(void)data;
	(void)len;
	if (lp->type == FSNODE_EC2_SUBNET_CREATE) {
		free(lp);
		return ec2_subnet_create_run(ctx->d->ec2, p, cancel, answer, err);
	}
	free(lp);
	return ec2_runcmd_run(ctx->d->ec2, p, cancel, answer, err);
}

static void long_discard(struct fsnode_ctx *ctx, void *priv)
{
	struct long_priv *lp = priv;

	if (!lp)
		return;
	if (lp->type == FSNODE_EC2_SUBNET_CREATE)
		ec2_subnet_create_discard(ctx->d->ec2, lp->p);
	else
		ec2_runcmd_discard(ctx->d->ec2, lp->p);
	free(lp);
}

const struct fsnode_ops fsnode_ec2_long_ops = {
	.render = ec2_render,
	.prepare = long_prepare,
	.run = long_run,
	.discard = long_discard,
};
