/*
 * backend/ec2/instance_events.c - what the engine says about instance
 * containers: a container that dies by itself makes its instance stopped
 * (an instance-initiated shutdown), one removed behind nimbusfs's back
 * makes it terminated, and each resync (at start and after the engine
 * comes back) re-adopts running containers, notices vanished ones and
 * removes labelled containers no instance owns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/labels.h"
#include "backend/common/log.h"
#include "backend/workload/logcap.h"
#include "backend/ec2/ec2_i.h"

#define MSG_GONE "the instance's container no longer exists (removed outside nimbusfs)"

static const char *label(const cJSON *labels, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void died(struct ec2 *ec2, struct ec2_instance *inst)
{
	if (inst->state != EC2_RUNNING || inst->busy)
		return;
	inst->transition_reason[0] = '\0';
	ec2_instance_set_state(ec2, inst, EC2_STOPPED, "Client.InstanceInitiatedShutdown",
			       "Instance initiated shutdown");
}

static void vanished(struct ec2 *ec2, struct ec2_instance *inst)
{
	if (inst->state == EC2_TERMINATED || inst->busy)
		return;
	inst->container[0] = '\0';
	snprintf(inst->transition_reason, sizeof(inst->transition_reason),
		 "Server.InternalError: %s", MSG_GONE);
	ec2_instance_set_state(ec2, inst, EC2_TERMINATED, "Server.InternalError", MSG_GONE);
}

void ec2_on_event(struct ec2 *ec2, const cJSON *event)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(event, "Type");
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(event, "Action");
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(event, "Actor");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
	const char *kind = label(attrs, NB_LABEL_KIND), *id = label(attrs, NB_LABEL_OBJECT);
	struct ec2_instance *inst;

	if (!ec2 || !kind || strcmp(kind, NB_KIND_EC2) != 0 || !id || !cJSON_IsString(action) ||
	    (cJSON_IsString(type) && strcmp(type->valuestring, "container") != 0))
		return;
	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (inst && strcmp(action->valuestring, "die") == 0)
		died(ec2, inst);
	else if (inst && strcmp(action->valuestring, "destroy") == 0)
		vanished(ec2, inst);
	else if (inst && strcmp(action->valuestring, "start") == 0 && inst->state == EC2_STOPPED &&
		 !inst->busy) {
		/* Started outside nimbusfs (docker start): it runs again. */
		ec2_instance_set_state(ec2, inst, EC2_RUNNING, NULL, NULL);
		ec2_console_capture(ec2, inst);
	}
	pthread_mutex_unlock(&ec2->lock);
}

/* The labelled container of instance id in the list, or NULL. */
static const cJSON *listed(const cJSON *containers, const char *id, const char **state)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, containers)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *kind = label(labels, NB_LABEL_KIND);
		const char *obj = label(labels, NB_LABEL_OBJECT);
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "State");

		if (kind && obj && strcmp(kind, NB_KIND_EC2) == 0 && strcmp(obj, id) == 0) {
			*state = cJSON_IsString(st) ? st->valuestring : "";
			return c;
		}
	}
	return NULL;
}

/* Captures to start again after a resync: their stream failed. */
struct recapture {
	char id[EC2_ID_MAX];
	struct wl_logcap *cap;
};

#define RECAPTURE_MAX 64

struct sync_ctx {
	struct recapture again[RECAPTURE_MAX];
	int n;
};

static void sync_one(struct ec2 *ec2, struct ec2_instance *inst, const cJSON *containers,
		     struct sync_ctx *sc)
{
	const char *state = "";
	const cJSON *c;

	if (inst->busy || inst->state == EC2_TERMINATED)
		return;
	c = listed(containers, inst->id, &state);
	if (!c) {
		if (inst->state == EC2_PENDING && !inst->container[0]) {
			snprintf(inst->transition_reason, sizeof(inst->transition_reason),
				 "Server.InternalError: launch interrupted by a restart of "
				 "nimbusfs");
			ec2_instance_set_state(ec2, inst, EC2_TERMINATED, "Server.InternalError",
					       "launch interrupted by a restart of nimbusfs");
		} else {
			vanished(ec2, inst);
		}
		return;
	}
	if (inst->cap && inst->cap_failed && sc->n < RECAPTURE_MAX) {
		snprintf(sc->again[sc->n].id, sizeof(sc->again[sc->n].id), "%s", inst->id);
		sc->again[sc->n++].cap = ec2_console_detach(inst);
	}
	bool runs = strcmp(state, "running") == 0 || strcmp(state, "restarting") == 0;

	/* A stop or start acknowledged before a crash whose job never ran. */
	if (inst->state == EC2_STOPPING && runs) {
		if (ec2_job_submit(ec2, EC2_JOB_STOP, inst->id) == 0)
			inst->busy = true;
		return;
	}
	if (inst->state == EC2_PENDING && inst->container[0] && !runs) {
		if (ec2_job_submit(ec2, EC2_JOB_START, inst->id) == 0)
			inst->busy = true;
		return;
	}
	if (runs) {
		if (inst->state != EC2_RUNNING)
			ec2_instance_set_state(ec2, inst, EC2_RUNNING, NULL, NULL);
		ec2_console_capture(ec2, inst);
		return;
	}
	/* exited, created, dead: not running. What it printed before it
	 * stopped is read from the saved position (the stream ends at once). */
	ec2_console_capture(ec2, inst);
	if (inst->state == EC2_RUNNING)
		died(ec2, inst);
	else if (inst->state != EC2_STOPPED)
		ec2_instance_set_state(ec2, inst, EC2_STOPPED, "Client.UserInitiatedShutdown",
				       "User initiated shutdown");
}

void ec2_on_sync(struct ec2 *ec2, const cJSON *containers)
{
	struct sync_ctx *sc;
	const cJSON *c;

	if (!ec2)
		return;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return;
	pthread_mutex_lock(&ec2->lock);
	for (struct ec2_instance *i = ec2->instances; i; i = i->next) {
		/* A terminate a restart interrupted goes on. */
		if (i->state == EC2_SHUTTING_DOWN && !i->busy) {
			if (ec2_job_submit(ec2, EC2_JOB_TERMINATE, i->id) == 0)
				i->busy = true;
			continue;
		}
		sync_one(ec2, i, containers, sc);
	}
	/* Containers of ours that no instance owns (a record lost). */
	cJSON_ArrayForEach(c, containers)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *kind = label(labels, NB_LABEL_KIND);
		const char *obj = label(labels, NB_LABEL_OBJECT);
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c, "Id");
		struct ec2_instance *inst;

		if (!kind || strcmp(kind, NB_KIND_EC2) != 0 || !obj || !cJSON_IsString(cid))
			continue;
		inst = ec2_instance_find(ec2, obj);
		if (!inst || (inst->state == EC2_TERMINATED && !inst->busy)) {
			log_info("removing container %.12s of unknown instance %s",
				 cid->valuestring, obj);
			ec2_job_submit(ec2, EC2_JOB_REMOVE_CONTAINER, cid->valuestring);
		}
	}
	pthread_mutex_unlock(&ec2->lock);
	/* Stopped without the lock (its callbacks take it), then started again
	 * from the position it saved. */
	for (int i = 0; i < sc->n; i++)
		wl_logcap_stop(sc->again[i].cap);
	if (sc->n) {
		pthread_mutex_lock(&ec2->lock);
		for (int i = 0; i < sc->n; i++) {
			struct ec2_instance *inst = ec2_instance_find(ec2, sc->again[i].id);

			if (inst && inst->state == EC2_RUNNING)
				ec2_console_capture(ec2, inst);
		}
		pthread_mutex_unlock(&ec2->lock);
	}
	free(sc);
}
