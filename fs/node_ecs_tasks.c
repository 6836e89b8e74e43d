/*
 * fs/node_ecs_tasks.c - files of ecs/tasks/: the run transaction, a
 * directory per task with its state, controls, logs and blocking streams,
 * and containers/<name>/ per container. Answered from the ECS service's
 * memory; writes validate and queue, never waiting on the engine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend/ecs/ecs.h"
#include "fs/node_ecs.h"

static const struct {
	enum fsnode_type type;
	enum ecs_task_file file;
} files[] = {
	{ FSNODE_TASK_STATUS, ECS_TF_STATUS },
	{ FSNODE_TASK_DESIRED, ECS_TF_DESIRED },
	{ FSNODE_TASK_DESCRIBE, ECS_TF_DESCRIBE },
	{ FSNODE_TASK_HEALTH, ECS_TF_HEALTH },
	{ FSNODE_TASK_EXIT_CODE, ECS_TF_EXIT_CODE },
	{ FSNODE_TASK_STOP_CODE, ECS_TF_STOP_CODE },
	{ FSNODE_TASK_STOPPED_REASON, ECS_TF_STOPPED_REASON },
	{ FSNODE_TASK_TASKDEF, ECS_TF_TASKDEF_LINK },
	{ FSNODE_TC_STATUS, ECS_TF_C_STATUS },
	{ FSNODE_TC_EXIT_CODE, ECS_TF_C_EXIT_CODE },
	{ FSNODE_TC_HEALTH, ECS_TF_C_HEALTH },
	{ FSNODE_TC_IMAGE, ECS_TF_C_IMAGE },
	{ FSNODE_TC_ID, ECS_TF_C_ID },
	{ FSNODE_TC_IP, ECS_TF_C_IP },
	{ FSNODE_TC_PORTS, ECS_TF_C_PORTS },
	{ FSNODE_TC_REASON, ECS_TF_C_REASON },
};

static bool task_id_valid(const char *name)
{
	return strlen(name) == 32 && strspn(name, "0123456789abcdef") == 32;
}

/* node->obj is "<task>" or "<task>/<container>". */
static void split_obj(const struct fsnode *node, char task[33], const char **container)
{
	size_t n = strcspn(node->obj, "/");

	snprintf(task, 33, "%.*s", (int)(n < 32 ? n : 32), node->obj);
	*container = node->obj[n] == '/' ? node->obj + n + 1 : NULL;
}

static int tasks_lookup(struct fsnode_ctx *ctx, const struct fsnode *dir,
			const struct fsnode_route *route, const char *name)
{
	struct ecs *ecs = ctx->d->ecs;
	const char *container;
	char task[33];

	switch (route->type) {
	case FSNODE_TASK_DIR:
		return task_id_valid(name) && ecs_task_exists(ecs, name) ? 0 : -ENOENT;
	case FSNODE_TASK_CONTAINER:
		split_obj(dir, task, &container);
		return ecs_task_container_exists(ecs, task, name) ? 0 : -ENOENT;
	default:
		return -ENOENT;
	}
}

static int tasks_list(struct fsnode_ctx *ctx, const struct fsnode *dir,
		      const struct fsnode_route *route, fsnode_emit_fn emit, void *ud)
{
	const char *container;
	char task[33];

	switch (route->type) {
	case FSNODE_TASK_DIR:
		return ecs_list_tasks(ctx->d->ecs, emit, ud);
	case FSNODE_TASK_CONTAINER:
		split_obj(dir, task, &container);
		return ecs_list_task_containers(ctx->d->ecs, task, emit, ud);
	default:
		return 0;
	}
}

static int tasks_render(struct fsnode_ctx *ctx, const struct fsnode *node, struct nb_buf *out,
			struct timespec *mtime)
{
	struct ecs *ecs = ctx->d->ecs;
	const char *container;
	char task[33];
	int ret;

	switch (node->route->type) {
	case FSNODE_TASK_RUN:
		return 0;
	case FSNODE_TASK_LATEST:
		ret = ecs_latest_task(ecs, task);
		return ret < 0 ? ret : nb_buf_puts(out, task);
	default:
		break;
	}
	split_obj(node, task, &container);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].type == node->route->type)
			return ecs_task_render(ecs, task, container, files[i].file, out, mtime);
	/* Directories and streams: only whether the task is still there. */
	return ecs_task_exists(ecs, task) ? 0 : -ENOENT;
}

/* `ctl`: "stop [reason]" or "kill [SIGNAL]"; one format, else EINVAL. */
static int ctl_commit(struct ecs *ecs, const char *task, const char *line, size_t len,
		      struct nb_err *err)
{
	char cmd[1024];

	while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	if (len >= sizeof(cmd))
		return nb_err_set(err, -EINVAL, "ctl: a command is at most %zu bytes",
				  sizeof(cmd) - 1);
	/* Read as a C string, `stop\0junk` would stop the task. */
	if (memchr(line, '\0', len))
		return nb_err_set(err, -EINVAL, "ctl: the command holds a NUL byte");
	memcpy(cmd, line, len);
	cmd[len] = '\0';
	if (strcmp(cmd, "stop") == 0 || strncmp(cmd, "stop ", 5) == 0)
		return ecs_task_stop(ecs, task, cmd[4] ? cmd + 5 : NULL, err);
	if (strcmp(cmd, "kill") == 0 || strncmp(cmd, "kill ", 5) == 0)
		return ecs_task_kill(ecs, task, cmd[4] ? cmd + 5 : "SIGKILL", err);
	return nb_err_set(err, -EINVAL,
			  "ctl: unknown command \"%s\"; expected \"stop [reason]\" or \"kill "
			  "[SIGNAL]\"",
			  cmd);
}

static int tasks_commit(struct fsnode_ctx *ctx, const struct fsnode *node, const char *data,
			size_t len, struct nb_buf *answer, struct nb_err *err)
{
	struct ecs *ecs = ctx->d->ecs;
	const char *container;
	char task[33];

	split_obj(node, task, &container);
	switch (node->route->type) {
	case FSNODE_TASK_RUN:
		return ecs_run(ecs, data, len, answer, err);
	case FSNODE_TASK_CTL:
		return ctl_commit(ecs, task, data, len, err);
	case FSNODE_TASK_DESIRED:
		if (len && data[len - 1] == '\n')
			len--;
		if (len == 7 && memcmp(data, "STOPPED", 7) == 0)
			return ecs_task_stop(ecs, task, NULL, err);
		if (len == 7 && memcmp(data, "RUNNING", 7) == 0)
			return nb_err_set(
				err, -EPERM,
				"desired: a task only goes from RUNNING to STOPPED; run a "
				"new one with ecs/tasks/run");
		return nb_err_set(err, -EINVAL, "desired: expected STOPPED, got \"%.*s\"",
				  (int)(len > 64 ? 64 : len), data);
	default:
		return nb_err_set(err, -EACCES, "%s is read-only", node->path);
	}
}

static void tasks_stream_open(struct fsnode_ctx *ctx, const struct fsnode *node,
			      struct state_hub_cursor *cur)
{
	state_hub_cursor_init(ctx->d->hub, cur);
	(void)node;
}

static size_t tasks_stream_read(struct fsnode_ctx *ctx, const struct fsnode *node,
				struct state_hub_cursor *cur, struct nb_buf *out, size_t max)
{
	const char *container;
	char task[33];
	size_t n;

	split_obj(node, task, &container);
	if (node->route->type == FSNODE_TASK_EVENTS)
		return state_hub_read(ctx->d->hub, cur, task, out, max);
	/* wait: one answer, then end of file. */
	if (cur->seq == FSNODE_STREAM_EOF)
		return 0;
	n = ecs_task_wait_read(ctx->d->ecs, task, out);
	if (n)
		cur->seq = FSNODE_STREAM_EOF;
	return n;
}

static int tasks_rmdir(struct fsnode_ctx *ctx, const struct fsnode *dir, const char *name,
		       struct nb_err *err)
{
	(void)dir;
	return ecs_task_forget(ctx->d->ecs, name, err);
}

/* `logs`: the captured file itself, read without the ECS lock. */
static int logs_backing(struct fsnode_ctx *ctx, const struct fsnode *node, int *fd,
			struct timespec *mtime)
{
	const char *container;
	char task[33];

	split_obj(node, task, &container);
	return ecs_task_log_open(ctx->d->ecs, task, container, fd, mtime);
}

const struct fsnode_ops fsnode_ecs_task_logs_ops = {
	.backing = logs_backing,
};

const struct fsnode_ops fsnode_ecs_tasks_ops = {
	.lookup = tasks_lookup,
	.list = tasks_list,
	.render = tasks_render,
	.commit = tasks_commit,
	.stream_open = tasks_stream_open,
	.stream_read = tasks_stream_read,
	.rmdir = tasks_rmdir,
};
