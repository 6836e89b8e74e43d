/*
 * backend/ec2/runcmd.c - ec2/<id>/run-command, in the manner of SSM Run
 * Command's AWS-RunShellScript: the commands run in the instance through
 * the engine's exec API, as one script given to the instance's own
 * /bin/sh as an argument (never to a shell of the host), and the answer
 * has GetCommandInvocation's shape.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/ec2/ec2_i.h"
#include "backend/engine/exec.h"

struct runcmd {
	char instance[EC2_ID_MAX];
	char container[65];
	char *script;
	int timeout_s;
};

static int parse_json(const char *data, size_t len, struct runcmd *rc, struct nb_err *err)
{
	cleanup_cjson cJSON *doc = json_parse(data, len, err);
	cleanup_buf struct nb_buf script = { 0 };
	const cJSON *cmds, *c, *field;
	int64_t timeout;

	if (!doc)
		return err->code;
	if (!cJSON_IsObject(doc))
		return nb_err_set(err, -EINVAL,
				  "expected {\"commands\": [...], \"timeoutSeconds\": n}");
	cJSON_ArrayForEach(
		field,
		doc) if (strcmp(field->string, "commands") != 0 &&
			 strcmp(field->string, "timeoutSeconds") !=
				 0) return nb_err_set(err, -EINVAL,
						      "Unknown parameter in input: \"%.64s\", must "
						      "be one of: commands, timeoutSeconds",
						      field->string);
	cmds = cJSON_GetObjectItemCaseSensitive(doc, "commands");
	if (!cJSON_IsArray(cmds) || cJSON_GetArraySize(cmds) == 0)
		return nb_err_set(err, -EINVAL,
				  "commands: expected a non-empty list of command lines");
	cJSON_ArrayForEach(c, cmds)
	{
		if (!cJSON_IsString(c))
			return json_bad_type(err, "commands[]", c, "<class 'str'>");
		if (nb_buf_printf(&script, "%s\n", c->valuestring) < 0)
			return nb_err_set(err, -ENOMEM, "out of memory");
	}
	if (json_get_int_opt(doc, "timeoutSeconds", EC2_RUNCMD_TIMEOUT, 1, EC2_RUNCMD_TIMEOUT_MAX,
			     &timeout, err) < 0)
		return err->code;
	rc->timeout_s = (int)timeout;
	rc->script = script.data;
	script = (struct nb_buf){ 0 };
	return 0;
}

static int parse(const char *data, size_t len, struct runcmd *rc, struct nb_err *err)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n'))
		i++;
	if (i < len && data[i] == '{')
		return parse_json(data, len, rc, err);
	if (memchr(data, '\0', len))
		return nb_err_set(err, -EINVAL, "a command line may not hold a NUL byte");
	while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	if (i >= len)
		return nb_err_set(err, -EINVAL,
				  "run-command: write a command line, or {\"commands\": [...]}");
	rc->script = strndup(data, len);
	rc->timeout_s = EC2_RUNCMD_TIMEOUT;
	return rc->script ? 0 : nb_err_set(err, -ENOMEM, "out of memory");
}

int ec2_runcmd_prepare(struct ec2 *ec2, const char *id, const char *data, size_t len, void **priv,
		       struct nb_err *err)
{
	struct runcmd *rc = calloc(1, sizeof(*rc));
	struct ec2_instance *inst;
	int ret;

	if (!rc)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = parse(data, len, rc, err);
	if (ret == 0 && !state_health_engine_ready(ec2->health, err))
		ret = nb_err_wrap(err, "cannot run the command");
	if (ret == 0) {
		pthread_mutex_lock(&ec2->lock);
		inst = ec2_instance_find(ec2, id);
		if (!inst)
			ret = nb_err_set(err, -ENOENT, "InvalidInstanceId: %s does not exist", id);
		else if (inst->state != EC2_RUNNING || inst->busy || !ec2_container(inst)[0])
			ret = nb_err_set(
				err, -EBUSY,
				"InvalidInstanceId: Instances [[%s]] not in a valid state: "
				"it is %s; run-command needs a running instance",
				id,
				inst->busy && inst->state == EC2_RUNNING
					? "rebooting"
					: ec2_state_name(inst->state));
		else {
			snprintf(rc->instance, sizeof(rc->instance), "%s", id);
			snprintf(rc->container, sizeof(rc->container), "%s", ec2_container(inst));
		}
		pthread_mutex_unlock(&ec2->lock);
	}
	if (ret < 0) {
		ec2_runcmd_discard(ec2, rc);
		return ret;
	}
	*priv = rc;
	return 0;
}

void ec2_runcmd_discard(struct ec2 *ec2, void *priv)
{
	struct runcmd *rc = priv;

	(void)ec2;
	if (!rc)
		return;
	free(rc->script);
	free(rc);
}

static void command_id(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		memset(b, 0, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* Ends a command past its timeout: its process is the engine host's to kill. */
static void kill_exec(struct ec2 *ec2, const char *exec_id)
{
	struct nb_err err = { 0 };
	long pid = 0;

	/* A pid is the engine host's: only ours when the engine is local. */
	if (strncmp(engine_url(ec2->eng), "unix://", 7) != 0)
		return;
	if (engine_exec_pid(ec2->eng, exec_id, &pid, &err) == 0 && pid > 1)
		kill((pid_t)pid, SIGKILL);
}

static int answer_json(const struct runcmd *rc, const char *status, int code, double start,
		       double end, const struct nb_buf *out, const struct nb_buf *errout,
		       struct nb_buf *answer)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	char id[37], t0[40], t1[40], elapsed[32];

	command_id(id);
	ec2_iso_time(start, t0);
	ec2_iso_time(end, t1);
	snprintf(elapsed, sizeof(elapsed), "PT%.3fS", end - start);
	if (!doc || json_add_str(doc, "CommandId", id) < 0 ||
	    json_add_str(doc, "InstanceId", rc->instance) < 0 ||
	    json_add_str(doc, "DocumentName", "AWS-RunShellScript") < 0 ||
	    json_add_str(doc, "PluginName", "aws:runShellScript") < 0 ||
	    json_add_num(doc, "ResponseCode", code) < 0 ||
	    json_add_num(doc, "ExitCode", code) < 0 ||
	    json_add_str(doc, "ExecutionStartDateTime", t0) < 0 ||
	    json_add_str(doc, "ExecutionElapsedTime", elapsed) < 0 ||
	    json_add_str(doc, "ExecutionEndDateTime", t1) < 0 ||
	    json_add_str(doc, "Status", status) < 0 ||
	    json_add_str(doc, "StatusDetails", status) < 0 ||
	    json_add_str(doc, "StandardOutputContent", out->data ? out->data : "") < 0 ||
	    json_add_str(doc, "StandardOutputUrl", "") < 0 ||
	    json_add_str(doc, "StandardErrorContent", errout->data ? errout->data : "") < 0 ||
	    json_add_str(doc, "StandardErrorUrl", "") < 0)
		return -ENOMEM;
	text = cJSON_Print(doc);
	return text ? nb_buf_printf(answer, "%s\n", text) : -ENOMEM;
}

int ec2_runcmd_run(struct ec2 *ec2, void *priv, struct nb_cancel *cancel, struct nb_buf *answer,
		   struct nb_err *err)
{
	struct runcmd *rc = priv;
	cleanup_buf struct nb_buf out = { 0 }, errout = { 0 };
	const char *argv[] = { "/bin/sh", "-c", rc->script, NULL };
	const char *status = "Success";
	double start = nb_aws_now();
	char exec_id[65];
	int code = -1, ret;
	bool running;

	ret = engine_exec_create(ec2->eng, rc->container, argv, true, exec_id, err);
	if (ret == -EBUSY || ret == -ENOENT || ret == -EPERM || ret == -EIO) {
		ret = nb_err_set(err, -EBUSY,
				 "InvalidInstanceId: Instances [[%s]] not in a valid state: %s",
				 rc->instance, err->msg);
		goto out;
	}
	if (ret < 0)
		goto out;
	ret = engine_exec_start(ec2->eng, exec_id, &out, &errout, EC2_RUNCMD_OUTPUT_MAX,
				(long)rc->timeout_s * 1000, cancel, err);
	if (ret == -ETIMEDOUT || ret == -EINTR) {
		kill_exec(ec2, exec_id);
		if (ret == -EINTR)
			goto out;
		*err = (struct nb_err){ 0 };
		status = "TimedOut";
	} else if (ret < 0) {
		goto out;
	} else if (engine_exec_inspect(ec2->eng, exec_id, &code, &running, err) < 0) {
		ret = err->code;
		goto out;
	} else {
		status = code == 0 ? "Success" : "Failed";
	}
	ret = answer_json(rc, status, code, start, nb_aws_now(), &out, &errout, answer);
	if (ret < 0)
		nb_err_set(err, ret, "out of memory");
out:
	ec2_runcmd_discard(ec2, rc);
	return ret;
}
