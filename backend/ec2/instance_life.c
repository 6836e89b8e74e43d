/*
 * backend/ec2/instance_life.c - lifecycle jobs: launch, stop, start,
 * reboot and terminate an instance's container, and remove leftovers.
 * Jobs run on the worker pool; they take the lock only to read and record
 * state, never across an engine call. An instance with a job queued or
 * running is busy: state writes meanwhile get EBUSY (terminate is kept
 * for when the job ends).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/common/labels.h"
#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ec2/ec2_i.h"
#include "backend/engine/containers.h"
#include "backend/engine/images.h"
#include "backend/engine/networks.h"
#include "backend/common/tar.h"

/*
 * The instance's init, run by tini (HostConfig.Init) so children are
 * reaped and the container outlives its user data: user data runs once,
 * at the first boot (the .started marker survives stop/start and reboot,
 * as cloud-init's per-instance semantics), then the shell becomes a sleep
 * that SIGTERM from a stop ends at once. $0 is the instance id.
 */
static const char boot_script[] = "ud=" EC2_UD_PATH "\n"
				  "echo \"nimbusfs-init: booting $0\"\n"
				  "if [ -f \"$ud\" ] && [ ! -e \"$ud.started\" ]; then\n"
				  "  : > \"$ud.started\"\n"
				  "  echo \"nimbusfs-init: running user-data\"\n"
				  "  \"$ud\"\n"
				  "  rc=$?\n"
				  "  echo $rc > \"$ud.exit\"\n"
				  "  echo \"" EC2_UD_DONE "$rc\"\n"
				  "elif [ -e \"$ud.started\" ] && [ ! -e \"$ud.exit\" ]; then\n"
				  "  echo interrupted > \"$ud.exit\"\n"
				  "  echo \"" EC2_UD_CUT "\"\n"
				  "fi\n"
				  "exec sleep 2147483647\n";

/* What a launch needs, copied out under the lock. */
struct launch {
	char id[EC2_ID_MAX];
	char image[512];
	char host[EC2_ID_MAX];
	char ip[EC2_IP_STRLEN];
	char subnet_id[EC2_ID_MAX];
	char network[64];
	char cidr[EC2_CIDR_STRLEN + 1];
	bool private_;
	const struct ec2_type *type;
	unsigned char *user_data; /* a script to run, or NULL */
	size_t user_data_len;
};

static void fail_launch(struct ec2 *ec2, const char *id, const char *container, const char *why)
{
	struct ec2_instance *inst;
	struct nb_err err = { 0 };

	if (container && *container)
		engine_container_remove(ec2->eng, container, true, true, &err);
	log_error(0, "instance %s: launch failed: %s", id, why);
	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (inst) {
		inst->busy = false;
		snprintf(inst->transition_reason, sizeof(inst->transition_reason),
			 "Server.InternalError: %.200s", why);
		ec2_instance_set_state(ec2, inst, EC2_TERMINATED, "Server.InternalError", why);
	}
	pthread_mutex_unlock(&ec2->lock);
}

static cJSON *launch_spec(struct ec2 *ec2, const struct launch *l)
{
	cleanup_cjson cJSON *spec = cJSON_CreateObject();
	cJSON *entry, *cmd, *host, *net, *eps, *ep, *ipam, *labels;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double vcpus = l->type->vcpus;

	/* The engine refuses more CPUs than the host has. */
	if (cpus > 0 && vcpus > (double)cpus)
		vcpus = (double)cpus;
	if (!spec || json_add_str(spec, "Image", l->image) < 0 ||
	    json_add_str(spec, "Hostname", l->host) < 0)
		return NULL;
	entry = cJSON_AddArrayToObject(spec, "Entrypoint");
	cmd = cJSON_AddArrayToObject(spec, "Cmd");
	if (!entry || !cmd || json_array_add_str(entry, "/bin/sh") < 0 ||
	    json_array_add_str(entry, "-c") < 0 || json_array_add_str(entry, boot_script) < 0 ||
	    json_array_add_str(cmd, l->id) < 0)
		return NULL;
	labels = ec2_labels(ec2, NB_KIND_EC2, l->id);
	if (!labels || !cJSON_AddItemToObject(spec, "Labels", labels)) {
		cJSON_Delete(labels);
		return NULL;
	}
	host = cJSON_AddObjectToObject(spec, "HostConfig");
	if (!host || json_add_bool(host, "Init", true) < 0 ||
	    json_add_num(host, "NanoCpus", vcpus * 1e9) < 0 ||
	    json_add_num(host, "Memory", (double)l->type->memory_mib * 1048576.0) < 0 ||
	    json_add_str(host, "NetworkMode", l->network) < 0)
		return NULL;
	net = cJSON_AddObjectToObject(spec, "NetworkingConfig");
	eps = net ? cJSON_AddObjectToObject(net, "EndpointsConfig") : NULL;
	ep = eps ? cJSON_AddObjectToObject(eps, l->network) : NULL;
	ipam = ep ? cJSON_AddObjectToObject(ep, "IPAMConfig") : NULL;
	if (!ipam || json_add_str(ipam, "IPv4Address", l->ip) < 0)
		return NULL;
	cJSON *out = spec;
	spec = NULL;
	return out;
}

static bool launch_copy(struct ec2 *ec2, const char *id, struct launch *l)
{
	struct ec2_instance *inst = ec2_instance_find(ec2, id);
	struct ec2_subnet *s = inst ? ec2_subnet_find(ec2, inst->subnet_id) : NULL;

	if (!inst || !s || inst->state != EC2_PENDING)
		return false;
	snprintf(l->id, sizeof(l->id), "%s", inst->id);
	snprintf(l->image, sizeof(l->image), "%s", inst->image);
	ec2_hostname(inst->ip, l->host);
	ec2_ip_format(inst->ip, l->ip);
	snprintf(l->subnet_id, sizeof(l->subnet_id), "%s", s->id);
	snprintf(l->network, sizeof(l->network), "%s", s->network);
	snprintf(l->cidr, sizeof(l->cidr), "%s", s->cidr_text);
	l->private_ = s->private_;
	l->type = inst->type;
	if (inst->ud == EC2_UD_PENDING && (l->user_data = malloc(inst->user_data_len))) {
		memcpy(l->user_data, inst->user_data, inst->user_data_len);
		l->user_data_len = inst->user_data_len;
	}
	return true;
}

static int ensure_image(struct ec2 *ec2, const char *image, struct nb_err *err)
{
	cleanup_cjson cJSON *inspect = NULL;
	int ret = engine_image_inspect(ec2->eng, image, &inspect, err);

	if (ret != -ENOENT)
		return ret;
	*err = (struct nb_err){ 0 };
	return engine_image_pull(ec2->eng, image, NULL, NULL, err);
}

static int upload_user_data(struct ec2 *ec2, const char *container, const struct launch *l,
			    struct nb_err *err)
{
	cleanup_buf struct nb_buf tar = { 0 };
	int ret = nb_tar_file(EC2_UD_DIR "/user-data", 0700, l->user_data, l->user_data_len, &tar,
			      err);

	if (ret == 0)
		ret = engine_container_put_archive(ec2->eng, container, "/", tar.data, tar.len,
						   err);
	return ret < 0 ? nb_err_wrap(err, "cannot place the user data") : 0;
}

/* After a job: chains a terminate asked for meanwhile. Lock held. */
static void job_done(struct ec2 *ec2, struct ec2_instance *inst)
{
	inst->busy = false;
	if (!inst->want_terminate || inst->state == EC2_TERMINATED)
		return;
	inst->want_terminate = false;
	if (ec2_job_submit(ec2, EC2_JOB_TERMINATE, inst->id) == 0) {
		inst->busy = true;
		ec2_user_initiated(inst->transition_reason, sizeof(inst->transition_reason));
		ec2_instance_set_state(ec2, inst, EC2_SHUTTING_DOWN, NULL, NULL);
	}
}

static void job_launch(struct ec2 *ec2, const char *id)
{
	struct launch l = { 0 };
	struct nb_err err = { 0 };
	cleanup_cjson cJSON *spec = NULL;
	struct ec2_instance *inst;
	char cid[65] = "", name[96];
	bool ok;

	pthread_mutex_lock(&ec2->lock);
	ok = launch_copy(ec2, id, &l);
	pthread_mutex_unlock(&ec2->lock);
	if (!ok)
		return;
	snprintf(name, sizeof(name), "nimbusfs-%s", id);
	if (ec2_network_ensure(ec2, l.network, l.cidr, l.private_, l.subnet_id, &err) < 0) {
		nb_err_wrap(&err, "cannot make the subnet's network %s", l.network);
		goto fail;
	}
	if (ensure_image(ec2, l.image, &err) < 0) {
		nb_err_wrap(&err, "image %s", l.image);
		goto fail;
	}
	spec = launch_spec(ec2, &l);
	if (!spec) {
		nb_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (engine_container_create(ec2->eng, name, spec, cid, &err) < 0 ||
	    (l.user_data && upload_user_data(ec2, cid, &l, &err) < 0))
		goto fail;
	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (inst) {
		snprintf(inst->wl.c[0].id, sizeof(inst->wl.c[0].id), "%s", cid);
		inst->wl.c[0].state = WL_CTR_CREATED;
		ec2_instance_save(ec2, inst, &err);
	}
	pthread_mutex_unlock(&ec2->lock);
	err = (struct nb_err){ 0 };
	if (!inst || engine_container_start(ec2->eng, cid, &err) < 0)
		goto fail;
	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (inst) {
		ec2_instance_set_state(ec2, inst, EC2_RUNNING, NULL, NULL);
		inst->wl.c[0].state = WL_CTR_RUNNING;
		wl_capture(ec2->wl, &inst->wl, 0);
		job_done(ec2, inst);
	}
	pthread_mutex_unlock(&ec2->lock);
	free(l.user_data);
	return;
fail:
	free(l.user_data);
	fail_launch(ec2, id, cid, err.msg[0] ? err.msg : "the instance is gone");
}

/* The container id of a busy instance, or false when it has none; with
 * cap, its capture is taken off it too. */
static bool container_of(struct ec2 *ec2, const char *id, char cid[65], struct wl_cap **cap)
{
	struct ec2_instance *inst;
	bool ok = false;

	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (inst && ec2_container(inst)[0]) {
		snprintf(cid, 65, "%s", ec2_container(inst));
		ok = true;
	}
	if (inst && cap)
		*cap = wl_capture_detach(&inst->wl, 0);
	pthread_mutex_unlock(&ec2->lock);
	return ok;
}

/* Records the job's outcome. code NULL: the new state without a reason. */
static void finish(struct ec2 *ec2, const char *id, enum ec2_state s, const char *code,
		   const char *msg, bool capture)
{
	struct ec2_instance *inst;

	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (inst) {
		ec2_instance_set_state(ec2, inst, s, code, msg);
		if (capture)
			wl_capture(ec2->wl, &inst->wl, 0);
		job_done(ec2, inst);
	}
	pthread_mutex_unlock(&ec2->lock);
}

/* A guest's shutdown: SIGTERM and EC2_STOP_TIMEOUT (SIGKILL at once when
 * forced); the console is drained up to 2 s so its last lines are kept. */
static void job_stop(struct ec2 *ec2, const char *id, bool force)
{
	struct wl_stop_opts opts = { .kill = force, .drain_ms = 2000 };
	struct wl_stop_result res;

	if (wl_stop(ec2->wl, id, &opts, &res) == -ENOENT)
		return;
	if (res.c[0].err == -ENOENT)
		return finish(ec2, id, EC2_TERMINATED, "Server.InternalError",
			      "the instance's container no longer exists", false);
	if (res.c[0].err < 0) {
		log_error(0, "instance %s: stop failed: %s", id, res.c[0].msg);
		return finish(ec2, id, EC2_RUNNING, NULL, NULL, true);
	}
	finish(ec2, id, EC2_STOPPED, "Client.UserInitiatedShutdown", "User initiated shutdown",
	       false);
}

static void job_kill(struct ec2 *ec2, const char *id)
{
	struct nb_err err = { 0 };
	char cid[65];

	if (container_of(ec2, id, cid, NULL))
		engine_container_kill(ec2->eng, cid, "KILL", &err);
}

static void job_start(struct ec2 *ec2, const char *id)
{
	struct wl_cap *cap = NULL;
	struct nb_err err = { 0 };
	char cid[65];
	int ret;

	/* The last run's capture ended with it; a new one follows this run. */
	bool has = container_of(ec2, id, cid, &cap);

	wl_capture_end(ec2->wl, cap, 0);
	if (!has)
		return finish(ec2, id, EC2_TERMINATED, "Server.InternalError",
			      "the instance has no container to start", false);
	ret = engine_container_start(ec2->eng, cid, &err);
	if (ret == -ENOENT)
		return finish(ec2, id, EC2_TERMINATED, "Server.InternalError",
			      "the instance's container no longer exists", false);
	if (ret < 0) {
		log_error(0, "instance %s: start failed: %s", id, err.msg);
		return finish(ec2, id, EC2_STOPPED, "Server.InternalError", err.msg, false);
	}
	finish(ec2, id, EC2_RUNNING, NULL, NULL, true);
}

static void job_reboot(struct ec2 *ec2, const char *id)
{
	struct wl_cap *cap = NULL;
	struct nb_err err = { 0 };
	char cid[65];
	int ret = -ENOENT;

	if (container_of(ec2, id, cid, &cap))
		ret = engine_container_restart(ec2->eng, cid, EC2_STOP_TIMEOUT, &err);
	wl_capture_end(ec2->wl, cap, 500);
	if (ret == -ENOENT)
		return finish(ec2, id, EC2_TERMINATED, "Server.InternalError",
			      "the instance's container no longer exists", false);
	if (ret < 0)
		log_error(0, "instance %s: reboot failed: %s", id, err.msg);
	finish(ec2, id, EC2_RUNNING, NULL, NULL, true);
}

static void job_terminate(struct ec2 *ec2, const char *id)
{
	struct wl_stop_opts opts = { .drain_ms = 2000 };
	struct wl_stop_result res;
	struct nb_err err = { 0 };

	if (wl_stop(ec2->wl, id, &opts, &res) == -ENOENT)
		return;
	if (wl_remove(ec2->wl, &res, &err) < 0)
		log_error(0, "instance %s: %s", id, err.msg); /* a resync removes it */
	finish(ec2, id, EC2_TERMINATED, "Client.UserInitiatedShutdown", "User initiated shutdown",
	       false);
}

void ec2_run_job(void *svc, const char *object, int kind, const char *arg)
{
	struct ec2 *ec2 = svc;
	struct nb_err err = { 0 };

	(void)arg;
	switch ((enum ec2_job_kind)kind) {
	case EC2_JOB_LAUNCH:
		job_launch(ec2, object);
		break;
	case EC2_JOB_STOP:
	case EC2_JOB_FORCE_STOP:
		job_stop(ec2, object, kind == EC2_JOB_FORCE_STOP);
		break;
	case EC2_JOB_KILL:
		job_kill(ec2, object);
		break;
	case EC2_JOB_START:
		job_start(ec2, object);
		break;
	case EC2_JOB_REBOOT:
		job_reboot(ec2, object);
		break;
	case EC2_JOB_TERMINATE:
		job_terminate(ec2, object);
		break;
	case EC2_JOB_REMOVE_NETWORK:
		if (engine_network_remove(ec2->eng, object, &err) < 0 && err.code != -ENOENT)
			log_warn("cannot remove network %s: %s", object, err.msg);
		break;
	}
}

int ec2_job_submit(struct ec2 *ec2, enum ec2_job_kind kind, const char *object)
{
	return wl_submit(ec2->wl, object, (int)kind, NULL);
}
