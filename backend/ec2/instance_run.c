/*
 * backend/ec2/instance_run.c - what users write: RunInstances requests to
 * ec2/run, verbs to ec2/<id>/state, and rmdir. Each validates and records
 * under the lock and queues a lifecycle job; none waits on the engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/aws.h"
#include "backend/common/log.h"
#include "backend/ec2/ec2_i.h"

#define MSG_STATE                                                                                  \
	"IncorrectInstanceState: The instance '%s' is not in a state from which it can be %s (it " \
	"is %s)"

/* A tag key names a file in tags/. */
static int tag_keys_check(const struct ec2_run_req *req, struct nb_err *err)
{
	for (size_t i = 0; i < req->n_tags; i++) {
		const char *k = req->tags[i].key;

		if (strchr(k, '/') || strcmp(k, ".") == 0 || strcmp(k, "..") == 0 ||
		    strcmp(k, EC2_TAG_RESERVED) == 0)
			return nb_err_set(err, -EINVAL,
					  "TagSpecifications.Tags[%zu].Key: \"%s\" cannot name a "
					  "file in tags/ (no '/', '.', '..' or last-error)",
					  i, k);
		if (strncmp(k, "aws:", 4) == 0)
			return nb_err_set(
				err, -EINVAL,
				"InvalidParameterValue: Tag keys starting with 'aws:' are "
				"reserved for internal use");
	}
	return 0;
}

static int tags_copy(struct ec2_instance *inst, const struct ec2_run_req *req)
{
	if (!req->n_tags)
		return 0;
	inst->tags = calloc(req->n_tags, sizeof(*inst->tags));
	if (!inst->tags)
		return -ENOMEM;
	for (size_t i = 0; i < req->n_tags; i++) {
		inst->tags[i].key = strdup(req->tags[i].key);
		inst->tags[i].value = strdup(req->tags[i].value);
		inst->n_tags++;
		if (!inst->tags[i].key || !inst->tags[i].value)
			return -ENOMEM;
	}
	return 0;
}

static bool is_script(const unsigned char *ud, size_t len)
{
	return len >= 2 && ud[0] == '#' && ud[1] == '!';
}

static struct ec2_instance *instance_new(const struct ec2_run_req *req, const char *image,
					 const struct ec2_subnet *s, uint32_t ip, int index)
{
	struct ec2_instance *inst = calloc(1, sizeof(*inst));

	if (!inst)
		return NULL;
	ec2_id_new("i", inst->id);
	ec2_instance_wl_init(inst);
	snprintf(inst->image_id, sizeof(inst->image_id), "%s", req->image_id);
	snprintf(inst->image, sizeof(inst->image), "%s", image);
	inst->type = req->type;
	snprintf(inst->subnet_id, sizeof(inst->subnet_id), "%s", s->id);
	inst->ip = ip;
	inst->state = EC2_PENDING;
	snprintf(inst->client_token, sizeof(inst->client_token), "%s", req->client_token);
	snprintf(inst->key_name, sizeof(inst->key_name), "%s", req->key_name);
	inst->launch_index = index;
	inst->launch_time = nb_aws_now();
	inst->busy = true;
	clock_gettime(CLOCK_REALTIME, &inst->mtime);
	if (req->user_data_len) {
		inst->user_data = malloc(req->user_data_len);
		if (!inst->user_data) {
			free(inst);
			return NULL;
		}
		memcpy(inst->user_data, req->user_data, req->user_data_len);
		inst->user_data_len = req->user_data_len;
		inst->ud = is_script(req->user_data, req->user_data_len) ? EC2_UD_PENDING
									 : EC2_UD_SKIPPED;
	}
	if (tags_copy(inst, req) < 0) {
		ec2_instance_free(inst);
		return NULL;
	}
	return inst;
}

/* The addresses for n instances of subnet s into ips; lock held. */
static int pick_ips(struct ec2 *ec2, const struct ec2_subnet *s, const struct ec2_run_req *req,
		    uint32_t *ips, int *n, struct nb_err *err)
{
	uint32_t used[1024];
	size_t n_used = 0;
	char text[EC2_IP_STRLEN];

	if (req->private_ip) {
		ec2_ip_format(req->private_ip, text);
		if (!ec2_cidr_contains(&s->cidr, req->private_ip))
			return nb_err_set(
				err, -EINVAL,
				"InvalidParameterValue: Address %s does not fall within the "
				"subnet's address range (%s, %s)",
				text, s->id, s->cidr_text);
		if (!ec2_ip_assignable(&s->cidr, req->private_ip))
			return nb_err_set(err, -EINVAL,
					  "InvalidParameterValue: Address %s is reserved by the "
					  "subnet (the first four and the last address are)",
					  text);
		if (ec2_ip_in_use(ec2, s->id, req->private_ip))
			return nb_err_set(err, -EINVAL,
					  "InvalidIPAddress.InUse: Address %s is in use", text);
		ips[0] = req->private_ip;
		*n = 1;
		return 0;
	}
	for (struct ec2_instance *i = ec2->instances; i && n_used < 1024; i = i->next)
		if (i->state != EC2_TERMINATED && strcmp(i->subnet_id, s->id) == 0)
			used[n_used++] = i->ip;
	*n = 0;
	while (*n < req->max) {
		if (ec2_ip_next_free(&s->cidr, used, n_used, &ips[*n]) < 0 || n_used >= 1024)
			break;
		used[n_used++] = ips[(*n)++];
	}
	if (*n < req->min)
		return nb_err_set(err, -ENOSPC, EC2_MSG_SUBNET_FULL, s->id);
	return 0;
}

/* A repeated ClientToken answers the instances it launched; lock held. */
static bool answer_token(struct ec2 *ec2, const char *token, struct nb_buf *answer)
{
	bool found = false;

	if (!*token)
		return false;
	for (struct ec2_instance *i = ec2->instances; i; i = i->next)
		if (strcmp(i->client_token, token) == 0) {
			nb_buf_printf(answer, "%s\n", i->id);
			found = true;
		}
	return found;
}

static int run_locked(struct ec2 *ec2, const struct ec2_run_req *req, struct nb_buf *answer,
		      struct nb_err *err)
{
	struct ec2_instance *made[EC2_RUN_MAX_INSTANCES] = { 0 };
	uint32_t ips[EC2_RUN_MAX_INSTANCES];
	const char *image = ec2->default_image;
	struct ec2_subnet *s;
	struct ec2_image *im;
	int n = 0, ret = 0, saved = 0;

	if (answer_token(ec2, req->client_token, answer))
		return 0;
	if (req->image_id[0]) {
		im = ec2_image_find(ec2, req->image_id);
		if (!im)
			return nb_err_set(err, -ENOENT,
					  "InvalidAMIID.NotFound: The image id '[%s]' does not "
					  "exist; register it with echo IMAGE > ec2/images/%s",
					  req->image_id, req->image_id);
		if (!*im->ref)
			return nb_err_set(err, -EINVAL,
					  "InvalidAMIID.Unavailable: %s names no image",
					  req->image_id);
		image = im->ref;
	}
	s = req->subnet_id[0] ? ec2_subnet_find(ec2, req->subnet_id) : ec2_subnet_default(ec2);
	if (!s)
		return nb_err_set(err, -EINVAL,
				  "SubnetId: InvalidSubnetID.NotFound: The subnet ID '%s' does not "
				  "exist",
				  req->subnet_id);
	ret = pick_ips(ec2, s, req, ips, &n, err);
	if (ret < 0)
		return ret;
	for (int i = 0; i < n; i++)
		if (!(made[i] = instance_new(req, image, s, ips[i], i))) {
			ret = nb_err_set(err, -ENOMEM, "out of memory");
			goto undo;
		}
	for (saved = 0; saved < n; saved++)
		if ((ret = ec2_instance_save(ec2, made[saved], err)) < 0)
			goto undo;
	for (int i = 0; i < n; i++) {
		ec2_instance_link(ec2, made[i]);
		nb_buf_printf(answer, "%s\n", made[i]->id);
		if (ec2_job_submit(ec2, EC2_JOB_LAUNCH, made[i]->id) < 0) {
			made[i]->busy = false;
			ec2_instance_set_state(
				ec2, made[i], EC2_TERMINATED, "Server.InternalError",
				"Internal error on launch: nimbusfs is shutting down");
		}
	}
	return 0;
undo:
	for (int i = 0; i < saved; i++)
		state_registry_remove(ec2->reg, EC2_KIND_INSTANCE, made[i]->id, NULL);
	for (int i = 0; i < n; i++)
		ec2_instance_free(made[i]);
	return ret;
}

int ec2_run(struct ec2 *ec2, const char *data, size_t len, struct nb_buf *answer,
	    struct nb_err *err)
{
	struct ec2_run_req req;
	int ret;

	ret = ec2_run_parse(data, len, &req, err);
	if (ret < 0)
		return ret;
	ret = tag_keys_check(&req, err);
	if (ret == 0 && !state_health_engine_ready(ec2->health, err))
		ret = nb_err_wrap(err, "cannot launch");
	if (ret == 0) {
		pthread_mutex_lock(&ec2->lock);
		ret = ec2->jobs ? run_locked(ec2, &req, answer, err)
				: nb_err_set(err, -EAGAIN, "nimbusfs is still starting");
		pthread_mutex_unlock(&ec2->lock);
	}
	ec2_run_req_free(&req);
	if (ret == 0) {
		state_hub_changed(ec2->hub, "ec2");
		state_hub_changed(ec2->hub, "ec2/latest");
	}
	return ret;
}

/* ---- state verbs ---- */

enum verb { V_START, V_STOP, V_FORCE_STOP, V_REBOOT, V_TERMINATE };

static int parse_verb(const char *text, size_t len, enum verb *v, struct nb_err *err)
{
	static const struct {
		const char *word;
		enum verb v;
	} verbs[] = { { "start", V_START },
		      { "stop", V_STOP },
		      { "stop --force", V_FORCE_STOP },
		      { "reboot", V_REBOOT },
		      { "terminate", V_TERMINATE } };

	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].word) == len && memcmp(verbs[i].word, text, len) == 0) {
			*v = verbs[i].v;
			return 0;
		}
	return nb_err_set(err, -EINVAL,
			  "state: unknown action \"%.*s\"; expected start, stop, stop --force, "
			  "reboot or terminate",
			  (int)(len > 64 ? 64 : len), text);
}

/* -EPERM once the instance is going or gone, -EBUSY while it is in a
 * state the action does not start from. */
static int refuse(struct ec2_instance *inst, const char *what, struct nb_err *err)
{
	bool gone = inst->state == EC2_TERMINATED || inst->state == EC2_SHUTTING_DOWN;

	return nb_err_set(err, gone ? -EPERM : -EBUSY, MSG_STATE, inst->id, what,
			  inst->busy && inst->state == EC2_RUNNING ? "rebooting"
								   : ec2_state_name(inst->state));
}

/* Records the new state, then queues its job: an action that cannot be
 * stored (a full disk) is refused, not done and forgotten at a restart. */
static int change(struct ec2 *ec2, struct ec2_instance *inst, enum ec2_state next,
		  enum ec2_job_kind job, bool user, struct nb_err *err)
{
	struct ec2_instance was = *inst;
	int ret;

	if (user)
		ec2_user_initiated(inst->transition_reason, sizeof(inst->transition_reason));
	if (next == EC2_PENDING || next == EC2_RUNNING)
		inst->reason_code[0] = inst->reason_msg[0] = '\0';
	inst->state = next;
	ret = ec2_instance_save(ec2, inst, err);
	if (ret == 0 && ec2_job_submit(ec2, job, inst->id) < 0)
		ret = nb_err_set(err, -ESHUTDOWN, "nimbusfs is shutting down");
	if (ret < 0) {
		struct nb_err ignored = { 0 };

		inst->state = was.state;
		memcpy(inst->transition_reason, was.transition_reason,
		       sizeof(was.transition_reason));
		memcpy(inst->reason_code, was.reason_code, sizeof(was.reason_code));
		memcpy(inst->reason_msg, was.reason_msg, sizeof(was.reason_msg));
		ec2_instance_save(ec2, inst, &ignored);
		return nb_err_wrap(err, "cannot change the instance's state");
	}
	inst->busy = true;
	return 0;
}

static int act(struct ec2 *ec2, struct ec2_instance *inst, enum verb v, struct nb_err *err)
{
	enum ec2_job_kind job;
	enum ec2_state next;

	switch (v) {
	case V_START:
		if (inst->state != EC2_STOPPED || inst->busy)
			return refuse(inst, "started", err);
		job = EC2_JOB_START;
		next = EC2_PENDING;
		break;
	case V_FORCE_STOP:
		/* Forcing also ends a stop that hangs, as AWS allows. */
		if (inst->state == EC2_STOPPING)
			return ec2_job_submit(ec2, EC2_JOB_KILL, inst->id);
		/* fall through */
	case V_STOP:
		if ((inst->state != EC2_RUNNING && inst->state != EC2_PENDING) || inst->busy)
			return refuse(inst, "stopped", err);
		job = v == V_STOP ? EC2_JOB_STOP : EC2_JOB_FORCE_STOP;
		next = EC2_STOPPING;
		break;
	case V_REBOOT:
		if (inst->state != EC2_RUNNING || inst->busy)
			return refuse(inst, "rebooted", err);
		job = EC2_JOB_REBOOT;
		next = EC2_RUNNING;
		break;
	case V_TERMINATE:
		if (inst->state == EC2_TERMINATED || inst->state == EC2_SHUTTING_DOWN)
			return 0; /* TerminateInstances is idempotent */
		if (inst->busy) {
			inst->want_terminate = true;
			return 0;
		}
		job = EC2_JOB_TERMINATE;
		next = EC2_SHUTTING_DOWN;
		break;
	default:
		return -EINVAL;
	}
	return change(ec2, inst, next, job, v != V_START && v != V_REBOOT, err);
}

int ec2_instance_action(struct ec2 *ec2, const char *id, const char *verb, size_t len,
			struct nb_err *err)
{
	struct ec2_instance *inst;
	enum verb v = V_START;
	int ret = parse_verb(verb, len, &v, err);

	if (ret < 0)
		return ret;
	if (!state_health_engine_ready(ec2->health, err))
		return nb_err_wrap(err, "cannot change the instance's state");
	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	ret = inst ? act(ec2, inst, v, err)
		   : nb_err_set(err, -ENOENT, "InvalidInstanceID.NotFound: %s", id);
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

int ec2_instance_forget(struct ec2 *ec2, const char *id, struct nb_err *err)
{
	struct ec2_instance **pp, *inst = NULL, *prev = NULL;
	struct wl_detached caps = { 0 };
	int ret;

	pthread_mutex_lock(&ec2->lock);
	for (pp = &ec2->instances; *pp; prev = *pp, pp = &(*pp)->next)
		if (strcmp((*pp)->id, id) == 0) {
			inst = *pp;
			break;
		}
	if (!inst)
		ret = -ENOENT;
	else if (inst->state != EC2_TERMINATED || inst->busy)
		ret = nb_err_set(err, -EBUSY,
				 "%s is %s: only a terminated instance can be removed (echo "
				 "terminate > state first)",
				 id, ec2_state_name(inst->state));
	else
		ret = state_registry_remove(ec2->reg, EC2_KIND_INSTANCE, id, err);
	if (ret == 0) {
		*pp = inst->next;
		nb_index_remove(&ec2->instance_index, &inst->ix);
		if (ec2->last == inst)
			ec2->last = prev;
		if (strcmp(ec2->latest, id) == 0)
			snprintf(ec2->latest, sizeof(ec2->latest), "%s",
				 ec2->last ? ec2->last->id : "");
		/* A container removed behind our back leaves its capture. */
		wl_obj_forget(ec2->wl, &inst->wl, &caps);
	}
	pthread_mutex_unlock(&ec2->lock);
	if (ret == 0) {
		/* Ended before its files go, and before inst does. */
		wl_detached_stop(ec2->wl, &caps);
		ec2_console_remove(ec2, id);
		ec2_instance_free(inst);
		state_hub_changed(ec2->hub, "ec2");
		state_hub_changed(ec2->hub, "ec2/latest");
	}
	return ret;
}
