/*
 * backend/ec2/instance_events.c - what the engine says about instance
 * containers, through the workload core: a container that dies by itself
 * makes its instance stopped (an instance-initiated shutdown), one removed
 * behind nimbusfs's back makes it terminated, and each resync (at start and
 * after the engine comes back) re-adopts running containers, notices
 * vanished ones and has the core remove containers no live instance owns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/log.h"
#include "backend/ec2/ec2_i.h"

#define MSG_GONE "the instance's container no longer exists (removed outside nimbusfs)"

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
	snprintf(inst->transition_reason, sizeof(inst->transition_reason),
		 "Server.InternalError: %s", MSG_GONE);
	ec2_instance_set_state(ec2, inst, EC2_TERMINATED, "Server.InternalError", MSG_GONE);
}

void ec2_on_event(struct ec2 *ec2, const cJSON *event)
{
	struct ec2_instance *inst;
	struct wl_event ev;

	if (!ec2 || !wl_event_parse(ec2->wl, event, &ev))
		return;
	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, ev.object);
	if (!inst || wl_event_apply(&inst->wl, &ev) != 0) {
		pthread_mutex_unlock(&ec2->lock);
		return;
	}
	if (ev.action == WL_EV_DIE) {
		died(ec2, inst);
	} else if (ev.action == WL_EV_DESTROY) {
		vanished(ec2, inst);
	} else if (ev.action == WL_EV_START && inst->state == EC2_STOPPED && !inst->busy) {
		/* Started outside nimbusfs (docker start): it runs again. */
		ec2_instance_set_state(ec2, inst, EC2_RUNNING, NULL, NULL);
		wl_capture(ec2->wl, &inst->wl, 0);
	}
	pthread_mutex_unlock(&ec2->lock);
}

static void sync_one(struct ec2 *ec2, struct ec2_instance *inst, struct wl_sync *s)
{
	enum wl_seen seen;

	if (inst->busy || inst->state == EC2_TERMINATED)
		return;
	seen = wl_sync_ctr(s, &inst->wl, 0);
	if (seen == WL_SEEN_NONE || seen == WL_SEEN_GONE) {
		if (inst->state == EC2_PENDING && seen == WL_SEEN_NONE) {
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
	/* A stop or start acknowledged before a crash whose job never ran. */
	if (inst->state == EC2_STOPPING && seen == WL_SEEN_RUNNING) {
		if (ec2_job_submit(ec2, EC2_JOB_STOP, inst->id) == 0)
			inst->busy = true;
		return;
	}
	if (inst->state == EC2_PENDING && seen != WL_SEEN_RUNNING) {
		if (ec2_job_submit(ec2, EC2_JOB_START, inst->id) == 0)
			inst->busy = true;
		return;
	}
	if (seen == WL_SEEN_RUNNING) {
		if (inst->state != EC2_RUNNING)
			ec2_instance_set_state(ec2, inst, EC2_RUNNING, NULL, NULL);
		return;
	}
	/* exited, created, dead: not running. */
	if (inst->state == EC2_RUNNING)
		died(ec2, inst);
	else if (inst->state != EC2_STOPPED)
		ec2_instance_set_state(ec2, inst, EC2_STOPPED, "Client.UserInitiatedShutdown",
				       "User initiated shutdown");
}

void ec2_on_sync(struct ec2 *ec2, const cJSON *containers)
{
	struct wl_sync s;

	if (!ec2)
		return;
	pthread_mutex_lock(&ec2->lock);
	wl_sync_begin(ec2->wl, containers, &s);
	for (struct ec2_instance *i = ec2->instances; i; i = i->next) {
		/* A terminate a restart interrupted goes on. */
		if (i->state == EC2_SHUTTING_DOWN && !i->busy) {
			if (ec2_job_submit(ec2, EC2_JOB_TERMINATE, i->id) == 0)
				i->busy = true;
			continue;
		}
		sync_one(ec2, i, &s);
	}
	wl_sync_remove_orphans(&s);
	pthread_mutex_unlock(&ec2->lock);
}
