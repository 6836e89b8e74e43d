/*
 * backend/daemon.c - wiring the engine's events into health, metrics
 * and the event hub.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/common/labels.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ec2/ec2.h"
#include "backend/ecs/ecs.h"
#include "backend/lambda/lambda.h"
#include "backend/state/atomic.h"
#include "backend/daemon.h"
#include "backend/state/jobs.h"

/* Lifecycle jobs wait on the engine; a few run at once. */
#define STATE_JOB_WORKERS 4

static void check_state_dir(struct daemon *d)
{
	struct nb_err err = { 0 };

	if (state_dir_check_writable(d->dir, &err) < 0)
		state_health_state_dir(&d->health, err.msg);
	else
		state_health_state_dir(&d->health, NULL);
}

void daemon_refresh_health(struct daemon *d)
{
	struct timespec now;
	int64_t ms, last;

	/* A probe that failed otherwise (EACCES) shows too, without the mark. */
	if (!state_write_refused(NULL, 0) && state_health_state_dir_ok(&d->health))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	last = atomic_load(&d->state_dir_probed_ms);
	/* One reader probes; the others, within the second, show the mark. */
	if (ms - last < 1000 || !atomic_compare_exchange_strong(&d->state_dir_probed_ms, &last, ms))
		return;
	check_state_dir(d);
}

static void on_up(void *ud, const struct engine_info *info)
{
	struct daemon *d = ud;
	char who[256];

	atomic_store(&d->metrics.engine_up, 1);
	atomic_fetch_add(&d->metrics.engine_connects, 1);
	snprintf(who, sizeof(who), "%s %s (%s/%s)", info->name, info->version, info->os,
		 info->arch);
	state_health_engine_up(&d->health, who, info->api_version);
	check_state_dir(d);
}

static void on_down(void *ud, const char *reason)
{
	struct daemon *d = ud;

	if (atomic_exchange(&d->metrics.engine_up, 0))
		atomic_fetch_add(&d->metrics.engine_disconnects, 1);
	state_health_engine_down(&d->health, reason);
}

static void on_stream(void *ud, const char *failing_or_null)
{
	struct daemon *d = ud;

	state_health_events(&d->health, failing_or_null);
}

static void on_sync(void *ud, const cJSON *containers)
{
	struct daemon *d = ud;
	int n = cJSON_GetArraySize(containers);
	cJSON *fields = cJSON_CreateObject();

	atomic_store(&d->metrics.engine_containers, (uint64_t)n);
	ecs_on_sync(d->ecs, containers);
	lambda_on_sync(d->lambda, containers);
	ec2_on_sync(d->ec2, containers);
	if (fields) {
		json_add_str(fields, "status", "resync");
		json_add_num(fields, "containers", n);
	}
	state_hub_publish(d->hub, "engine", "engine", fields);
}

static const char *attr(const cJSON *attrs, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Re-publishes an engine event in nimbusfs's own shape: the object it
 * belongs to, what happened, and the engine's timestamp for latency. */
static void on_event(void *ud, const cJSON *event)
{
	struct daemon *d = ud;
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(event, "Actor");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(actor, "ID");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(event, "Type");
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(event, "Action");
	const cJSON *tnano = cJSON_GetObjectItemCaseSensitive(event, "timeNano");
	const char *object = attr(attrs, NB_LABEL_OBJECT);
	const char *kind = attr(attrs, NB_LABEL_KIND);
	cJSON *fields;
	char short_id[13] = "";

	atomic_fetch_add(&d->metrics.engine_events, 1);
	ecs_on_event(d->ecs, event);
	lambda_on_event(d->lambda, event);
	ec2_on_event(d->ec2, event);
	if (cJSON_IsString(id))
		snprintf(short_id, sizeof(short_id), "%s", id->valuestring);
	fields = cJSON_CreateObject();
	if (fields) {
		json_add_str(fields, "action", cJSON_IsString(action) ? action->valuestring : "");
		json_add_str(fields, "kind", kind ? kind : "");
		json_add_str(fields, "container", short_id);
		if (attr(attrs, "name"))
			json_add_str(fields, "name", attr(attrs, "name"));
		if (attr(attrs, "exitCode"))
			json_add_str(fields, "exitCode", attr(attrs, "exitCode"));
		if (cJSON_IsNumber(tnano))
			json_add_num(fields, "engineTimeNano", tnano->valuedouble);
	}
	state_hub_publish(d->hub, cJSON_IsString(type) ? type->valuestring : "container",
			  object ? object : short_id, fields);
}

static int open_lambda(struct daemon *d, struct nb_err *err)
{
	const struct daemon_options *opts = d->opts;
	struct lambda_deps deps = {
		.eng = d->engine,
		.hub = d->hub,
		.health = &d->health,
		.owner = d->dir->id,
		.statedirfd = d->dir->dirfd,
		.state_path = d->dir->path,
		.n_images = opts->n_lambda_images,
		.idle_seconds = opts->lambda_idle_seconds,
	};

	d->lambda_images = calloc((size_t)opts->n_lambda_images + 1, sizeof(*d->lambda_images));
	if (!d->lambda_images)
		return nb_err_set(err, -ENOMEM, "out of memory");
	for (int i = 0; i < opts->n_lambda_images; i++) {
		d->lambda_images[i].runtime = opts->lambda_images[i].runtime;
		d->lambda_images[i].image = opts->lambda_images[i].image;
	}
	deps.images = d->lambda_images;
	return lambda_new(&deps, &d->lambda, err);
}

/* Phase 1: the state dir (its lock taken), its registry, the hub and
 * health every service reports to. */
static int open_state(struct daemon *d, struct nb_err *err)
{
	char path[PATH_MAX];
	int ret = state_hub_new(&d->hub);

	if (ret < 0)
		return nb_err_set(err, ret, "out of memory");
	state_health_init(&d->health, d->hub, d->opts->engine_url);
	d->health_ready = true;
	if (d->opts->state_dir)
		snprintf(path, sizeof(path), "%s", d->opts->state_dir);
	else if ((ret = state_dir_default(path, sizeof(path), err)) < 0)
		return ret;
	ret = state_dir_open(path, &d->dir, err);
	if (ret < 0)
		return ret;
	snprintf(d->owner_label, sizeof(d->owner_label), "%s=%s", NB_LABEL_OWNER, d->dir->id);
	ret = state_registry_new(d->dir, &d->registry);
	return ret < 0 ? nb_err_set(err, ret, "out of memory") : 0;
}

/* Phase 2: the services, each loading what it keeps in the state dir. */
static int open_services(struct daemon *d, struct nb_err *err)
{
	struct ecs_deps ecs = {
		.reg = d->registry,
		.hub = d->hub,
		.eng = d->engine,
		.health = &d->health,
		.owner = d->dir->id,
		.statedirfd = d->dir->dirfd,
	};
	struct ec2_deps ec2 = {
		.reg = d->registry,
		.hub = d->hub,
		.eng = d->engine,
		.health = &d->health,
		.owner = d->dir->id,
		.statedirfd = d->dir->dirfd,
		.default_image = d->opts->ec2_image,
	};
	int ret = ecs_new(&ecs, &d->ecs, err);

	if (ret == 0)
		ret = open_lambda(d, err);
	if (ret == 0)
		ret = ec2_new(&ec2, &d->ec2, err);
	return ret;
}

int daemon_open(const struct daemon_options *opts, struct daemon **out, struct nb_err *err)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return nb_err_set(err, -ENOMEM, "out of memory");
	d->opts = opts;
	state_metrics_init(&d->metrics);
	ret = open_state(d, err);
	/* The engine client only: nothing reaches the engine before start. */
	if (ret == 0)
		ret = engine_new(opts->engine_url, &d->engine, err);
	if (ret == 0)
		ret = open_services(d, err);
	if (ret < 0)
		goto fail;
	*out = d;
	return 0;
fail:
	daemon_close(d);
	return ret;
}

int daemon_start(struct daemon *d, struct nb_err *err)
{
	struct engine_events_ops ops = {
		.on_up = on_up,
		.on_down = on_down,
		.on_stream = on_stream,
		.on_sync = on_sync,
		.on_event = on_event,
		.ud = d,
	};

	int ret;

	check_state_dir(d);
	ret = state_jobs_start(STATE_JOB_WORKERS, &d->jobs);
	if (ret < 0)
		return nb_err_set(err, ret, "cannot start the job workers: %s", strerror(-ret));
	ecs_start(d->ecs, d->jobs);
	ec2_start(d->ec2, d->jobs);
	ret = lambda_start(d->lambda, err);
	if (ret < 0)
		return ret;
	return engine_events_start(d->engine, d->owner_label, &ops, &d->events, err);
}

int daemon_resync(struct daemon *d, struct nb_err *err)
{
	if (!state_health_engine_ready(&d->health, err))
		return nb_err_wrap(err, "cannot resync");
	engine_events_resync(d->events);
	return 0;
}

void daemon_stop(struct daemon *d)
{
	engine_events_stop(d->events);
	d->events = NULL;
	if (d->lambda)
		lambda_stop(d->lambda);
	ecs_stop(d->ecs);
	ec2_stop(d->ec2);
	state_jobs_stop(d->jobs);
	d->jobs = NULL;
	ecs_stop(d->ecs);
	ec2_stop(d->ec2);
}

void daemon_close(struct daemon *d)
{
	if (!d)
		return;
	daemon_stop(d);
	ecs_free(d->ecs);
	lambda_free(d->lambda);
	ec2_free(d->ec2);
	free(d->lambda_images);
	state_registry_free(d->registry);
	engine_free(d->engine);
	state_dir_close(d->dir);
	if (d->health_ready)
		state_health_destroy(&d->health);
	state_hub_free(d->hub);
	free(d);
}
