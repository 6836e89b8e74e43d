/*
 * fs/node_root.c - files at the top of the tree, served from memory.
 */
#include <errno.h>
#include <string.h>

#include "fs/node_root.h"

static const char readme[] =
	"nimbusfs - a local cloud as files\n"
	"\n"
	"Reading a file reads live state; writing one performs an action. Containers on\n"
	"the Docker engine do the work. Errors come back from write() as an errno, and\n"
	"the reason is in the directory's last-error file.\n"
	"\n"
	"  README       this text\n"
	"  version      nimbusfs version; the engine's name, version and API version\n"
	"  health       \"ok\", or one line per problem (engine unreachable, state dir\n"
	"               read-only)\n"
	"  events       blocking stream: one JSON line per state change, as it happens\n"
	"  metrics      Prometheus text format\n"
	"  ctl          write \"resync\" to re-list the engine's containers now\n"
	"  last-error   why the last write in this directory failed\n"
	"  ecs/task-definitions/register\n"
	"               write a RegisterTaskDefinition JSON; read back family:rev\n"
	"  ecs/task-definitions/<family>/<rev>.json, latest\n"
	"               registered revisions, as DescribeTaskDefinition returns them\n"
	"  ecs/tasks/run\n"
	"               write family, family:rev or RunTask JSON; read back task ids\n"
	"  ecs/tasks/<id>/status desired ctl logs wait describe.json containers/...\n"
	"               a task: its state, controls, output; wait blocks until STOPPED\n"
	"  lambda/<fn>/ mkdir a function; runtime handler timeout memory-size environment\n"
	"               ... config.json set it; cp a zip to code.zip to deploy it\n"
	"  lambda/<fn>/invoke\n"
	"               write an event, read the response; logs warm last-invocation\n"
	"  ec2/run      write RunInstances JSON or an empty line; read back instance ids\n"
	"  ec2/images/<ami-id>\n"
	"               echo an image reference to register an AMI; rm deregisters it\n"
	"  ec2/subnets/create, <subnet-id>/\n"
	"               write {\"CidrBlock\": ...}; read back the subnet id; rmdir deletes\n"
	"  ec2/<id>/state console user-data-status run-command tags/ describe.json\n"
	"               an instance: echo stop, start, reboot or terminate > state;\n"
	"               run-command runs a shell command in it and answers JSON\n"
	"\n"
	"Value files end with a newline; `cat` reads them, `echo` writes them.\n"
	"poll() on a file wakes (POLLPRI) when its value changes.\n"
	"See nimbusfs(1) for the whole tree.\n";

static int root_render(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
		       struct timespec *mtime)
{
	struct daemon *d = ctx->d;
	char dir[4096];

	*mtime = ctx->mounted;
	switch (node->route->type) {
	case FSNODE_README:
		return nb_buf_append(out, readme, sizeof(readme) - 1);
	case FSNODE_VERSION:
		return state_health_render_version(&d->health, out, mtime);
	case FSNODE_HEALTH:
		daemon_refresh_health(d);
		return state_health_render(&d->health, out, mtime);
	case FSNODE_METRICS:
		clock_gettime(CLOCK_REALTIME, mtime);
		return state_metrics_render(&d->metrics, state_hub_count(d->hub), out);
	case FSNODE_LAST_ERROR:
		fsnode_dirname(node->path, dir, sizeof(dir));
		return fsnode_lasterr_render(ctx->lasterr, dir, out, mtime);
	default:
		return 0;
	}
}

static int root_commit(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
		       size_t len, struct nb_buf *answer, struct nb_err *err)
{
	(void)answer;
	if (node->route->type != FSNODE_CTL)
		return nb_err_set(err, -EACCES, "%s is read-only", node->path);
	while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	if (len == 6 && memcmp(data, "resync", 6) == 0)
		return daemon_resync(ctx->d, err);
	return nb_err_set(err, -EINVAL, "ctl: unknown command \"%.*s\"; expected \"resync\"",
			  (int)(len > 64 ? 64 : len), data);
}

static void root_stream_open(struct fsnode_ctx *ctx, const struct fsnode *node,
			     struct state_hub_cursor *cur)
{
	(void)node;
	state_hub_cursor_init(ctx->d->hub, cur);
}

static size_t root_stream_read(struct fsnode_ctx *ctx, const struct fsnode *node,
			       struct state_hub_cursor *cur, struct nb_buf *out, size_t max)
{
	(void)node;
	return state_hub_read(ctx->d->hub, cur, NULL, out, max);
}

const struct fsnode_ops fsnode_root_ops = {
	.render = root_render,
	.commit = root_commit,
	.stream_open = root_stream_open,
	.stream_read = root_stream_read,
};
