/*
 * backend/ec2/ec2.c - the EC2 service's life (load, start, stop, free)
 * and its AMI registrations: ec2/images/<ami-id>, stored in the registry
 * as {"ImageId", "Image"}.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ec2/ec2_i.h"
#include "backend/common/labels.h"

#define EC2_IMAGE_REF_MAX 255

void ec2_iso_time(double t, char out[40])
{
	time_t secs = (time_t)t;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), 40 - strlen(out), ".%03dZ",
		 (int)((t - (double)secs) * 1000) % 1000);
}

const char *ec2_state_name(enum ec2_state s)
{
	switch (s) {
	case EC2_PENDING:
		return "pending";
	case EC2_RUNNING:
		return "running";
	case EC2_SHUTTING_DOWN:
		return "shutting-down";
	case EC2_TERMINATED:
		return "terminated";
	case EC2_STOPPING:
		return "stopping";
	case EC2_STOPPED:
		return "stopped";
	}
	return "unknown";
}

struct ec2_image *ec2_image_find(struct ec2 *ec2, const char *ami)
{
	return nb_index_find(&ec2->image_index, ami, struct ec2_image, ix);
}

static struct ec2_image *image_add(struct ec2 *ec2, const char *ami, const char *ref)
{
	struct ec2_image *im = calloc(1, sizeof(*im)), **pp = &ec2->images;

	if (!im || !(im->ref = strdup(ref))) {
		free(im);
		return NULL;
	}
	snprintf(im->ami, sizeof(im->ami), "%s", ami);
	clock_gettime(CLOCK_REALTIME, &im->mtime);
	while (*pp && strcmp((*pp)->ami, ami) < 0)
		pp = &(*pp)->next;
	im->next = *pp;
	*pp = im;
	nb_index_add(&ec2->image_index, &im->ix, im->ami);
	return im;
}

static int image_save(struct ec2 *ec2, const char *ami, const char *ref, struct nb_err *err)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();

	if (!doc || json_add_str(doc, "ImageId", ami) < 0 || json_add_str(doc, "Image", ref) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	return state_registry_put(ec2->reg, EC2_KIND_IMAGE, ami, doc, err);
}

struct load_ctx {
	struct ec2 *ec2;
	int ret;
};

static int image_load_one(void *ud, const char *id)
{
	struct load_ctx *lc = ud;
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *ref;

	if (!ec2_ami_valid(id) || state_registry_get(lc->ec2->reg, EC2_KIND_IMAGE, id, &doc) < 0)
		return 0;
	ref = cJSON_GetObjectItemCaseSensitive(doc, "Image");
	if (!cJSON_IsString(ref)) {
		log_warn("state: ignoring AMI record %s: no \"Image\"", id);
		return 0;
	}
	if (!image_add(lc->ec2, id, ref->valuestring))
		return lc->ret = -ENOMEM;
	return 0;
}

static int images_load(struct ec2 *ec2, struct nb_err *err)
{
	struct load_ctx lc = { .ec2 = ec2 };
	cleanup_cjson cJSON *ids = NULL;
	const cJSON *id;
	int ret = state_registry_load_ids(ec2->reg, EC2_KIND_IMAGE, &ids, err);

	if (ret < 0)
		return ret;
	cJSON_ArrayForEach(id, ids) if (lc.ret == 0) image_load_one(&lc, id->valuestring);
	return lc.ret < 0 ? nb_err_set(err, lc.ret, "out of memory loading AMI registrations") : 0;
}

static int ec2_consoledir_open(struct ec2 *ec2, int statedirfd, struct nb_err *err)
{
	if (mkdirat(statedirfd, "ec2-console", 0700) < 0 && errno != EEXIST)
		return nb_err_set(err, -errno, "cannot create ec2-console in the state dir: %s",
				  strerror(errno));
	ec2->consoledirfd = openat(statedirfd, "ec2-console", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ec2->consoledirfd < 0)
		return nb_err_set(err, -errno, "cannot open ec2-console in the state dir: %s",
				  strerror(errno));
	return 0;
}

static struct wl_obj *find_obj(void *svc, const char *id)
{
	struct ec2_instance *inst = ec2_instance_find(svc, id);

	return inst ? &inst->wl : NULL;
}

static const struct wl_ops wl_ops = {
	.find = find_obj,
	.run_job = ec2_run_job,
	.on_append = ec2_console_on_append,
	.on_line = ec2_console_on_line,
};

static int open_core(struct ec2 *ec2, struct nb_err *err)
{
	struct wl_deps deps = {
		.eng = ec2->eng,
		.kind = NB_KIND_EC2,
		.lock = &ec2->lock,
		.changed = &ec2->changed,
		.logdirfd = ec2->consoledirfd,
		.raw_only = true,
		.ops = &wl_ops,
		.svc = ec2,
	};

	return wl_new(&deps, &ec2->wl, err);
}

int ec2_new(const struct ec2_deps *deps, struct ec2 **out, struct nb_err *err)
{
	struct ec2 *ec2 = calloc(1, sizeof(*ec2));
	int ret;

	if (!ec2)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ec2->reg = deps->reg;
	ec2->hub = deps->hub;
	ec2->eng = deps->eng;
	ec2->health = deps->health;
	ec2->owner = deps->owner;
	ec2->consoledirfd = -1;
	pthread_mutex_init(&ec2->lock, NULL);
	pthread_cond_init(&ec2->changed, NULL);
	pthread_mutex_init(&ec2->net_lock, NULL);
	ec2->default_image = strdup(deps->default_image ? deps->default_image : EC2_DEFAULT_IMAGE);
	if (!ec2->default_image) {
		ec2_free(ec2);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	ret = ec2_consoledir_open(ec2, deps->statedirfd, err);
	if (ret == 0)
		ret = open_core(ec2, err);
	pthread_mutex_lock(&ec2->lock);
	if (ret == 0)
		ret = images_load(ec2, err);
	if (ret == 0)
		ret = ec2_subnets_load(ec2, err);
	if (ret == 0)
		ret = ec2_instances_load(ec2, err);
	pthread_mutex_unlock(&ec2->lock);
	if (ret < 0) {
		ec2_free(ec2);
		return ret;
	}
	*out = ec2;
	return 0;
}

void ec2_start(struct ec2 *ec2, struct state_jobs *jobs)
{
	wl_start(ec2->wl, jobs);
	pthread_mutex_lock(&ec2->lock);
	ec2->jobs = jobs;
	pthread_mutex_unlock(&ec2->lock);
}

void ec2_stop(struct ec2 *ec2)
{
	if (ec2 && ec2->wl)
		wl_shutdown(ec2->wl);
}

void ec2_free(struct ec2 *ec2)
{
	if (!ec2)
		return;
	wl_free(ec2->wl);
	for (struct ec2_image *im = ec2->images, *next; im; im = next) {
		next = im->next;
		free(im->ref);
		free(im);
	}
	for (struct ec2_instance *i = ec2->instances, *next; i; i = next) {
		next = i->next;
		ec2_instance_free(i);
	}
	nb_index_free(&ec2->image_index);
	nb_index_free(&ec2->instance_index);
	ec2_subnets_free(ec2);
	if (ec2->consoledirfd >= 0)
		close(ec2->consoledirfd);
	free(ec2->default_image);
	pthread_cond_destroy(&ec2->changed);
	pthread_mutex_destroy(&ec2->net_lock);
	pthread_mutex_destroy(&ec2->lock);
	free(ec2);
}

/* ---- ec2/images/ ---- */

bool ec2_image_exists(struct ec2 *ec2, const char *ami)
{
	bool found;

	pthread_mutex_lock(&ec2->lock);
	found = ec2_image_find(ec2, ami) != NULL;
	pthread_mutex_unlock(&ec2->lock);
	return found;
}

int ec2_list_images(struct ec2 *ec2, ec2_emit_fn emit, void *ud)
{
	int ret = 0;

	pthread_mutex_lock(&ec2->lock);
	for (struct ec2_image *im = ec2->images; im && ret == 0; im = im->next)
		ret = emit(ud, im->ami);
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

int ec2_image_render(struct ec2 *ec2, const char *ami, struct nb_buf *out, struct timespec *mtime)
{
	struct ec2_image *im;
	int ret = -ENOENT;

	pthread_mutex_lock(&ec2->lock);
	im = ec2_image_find(ec2, ami);
	if (im) {
		ret = *im->ref ? nb_buf_printf(out, "%s\n", im->ref) : 0;
		*mtime = im->mtime;
	}
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

static int ami_check(const char *ami, struct nb_err *err)
{
	if (!ec2_ami_valid(ami))
		return nb_err_set(err, -EINVAL,
				  "InvalidAMIID.Malformed: Invalid id: \"%.64s\" (expecting "
				  "\"ami-\" and 8 or 17 lowercase hex digits)",
				  ami);
	return 0;
}

int ec2_image_create(struct ec2 *ec2, const char *ami, struct nb_err *err)
{
	int ret = ami_check(ami, err);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&ec2->lock);
	if (!ec2_image_find(ec2, ami)) {
		ret = image_save(ec2, ami, "", err);
		if (ret == 0 && !image_add(ec2, ami, ""))
			ret = nb_err_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&ec2->lock);
	if (ret == 0)
		state_hub_changed(ec2->hub, "ec2/images");
	return ret;
}

/* An image reference: one line of printable, blank-free characters. */
static int ref_check(const char *data, size_t len, struct nb_err *err)
{
	if (len == 0)
		return nb_err_set(err, -EINVAL,
				  "an AMI needs an image reference, e.g. local/busybox:latest");
	if (len > EC2_IMAGE_REF_MAX)
		return nb_err_set(err, -EINVAL, "an image reference is at most %d bytes",
				  EC2_IMAGE_REF_MAX);
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)data[i]))
			return nb_err_set(err, -EINVAL,
					  "an image reference is one word of printable "
					  "characters; byte %zu is not",
					  i);
	return 0;
}

int ec2_image_put(struct ec2 *ec2, const char *ami, const char *data, size_t len,
		  struct nb_err *err)
{
	struct ec2_image *im;
	char ref[EC2_IMAGE_REF_MAX + 1];
	char *copy;
	int ret;

	if (len && data[len - 1] == '\n')
		len--;
	ret = ref_check(data, len, err);
	if (ret < 0)
		return ret;
	memcpy(ref, data, len);
	ref[len] = '\0';
	pthread_mutex_lock(&ec2->lock);
	im = ec2_image_find(ec2, ami);
	if (!im)
		ret = nb_err_set(err, -ENOENT, "InvalidAMIID.NotFound: %s was deregistered", ami);
	else if ((ret = image_save(ec2, ami, ref, err)) == 0) {
		if ((copy = strdup(ref))) {
			free(im->ref);
			im->ref = copy;
			clock_gettime(CLOCK_REALTIME, &im->mtime);
		} else {
			ret = nb_err_set(err, -ENOMEM, "out of memory");
		}
	}
	pthread_mutex_unlock(&ec2->lock);
	if (ret == 0) {
		char path[64];

		snprintf(path, sizeof(path), "ec2/images/%s", ami);
		state_hub_changed(ec2->hub, path);
	}
	return ret;
}

int ec2_image_remove(struct ec2 *ec2, const char *ami, struct nb_err *err)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&ec2->lock);
	for (struct ec2_image **pp = &ec2->images; *pp; pp = &(*pp)->next) {
		struct ec2_image *im = *pp;

		if (strcmp(im->ami, ami) != 0)
			continue;
		ret = state_registry_remove(ec2->reg, EC2_KIND_IMAGE, ami, err);
		if (ret == 0) {
			*pp = im->next;
			nb_index_remove(&ec2->image_index, &im->ix);
			free(im->ref);
			free(im);
		}
		break;
	}
	pthread_mutex_unlock(&ec2->lock);
	if (ret == 0)
		state_hub_changed(ec2->hub, "ec2/images");
	return ret;
}
