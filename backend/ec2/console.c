/*
 * backend/ec2/console.c - an instance's console: its container's output
 * from the first boot on, captured by backend/ecs/logcap.c into
 * <state>/ec2-console/<id>/console.log so it outlives stops, restarts of
 * nimbusfs and the container itself. The capture also notices the boot
 * script's line that ends user data and records its exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/log.h"
#include "backend/ec2/ec2_i.h"
#include "backend/workload/logcap.h"

#define CONSOLE_NAME "console"

struct ec2_cap_ud {
	struct ec2 *ec2;
	char id[EC2_ID_MAX];
};

static void on_append(void *ud, const char *name, size_t raw, size_t task)
{
	struct ec2_cap_ud *c = ud;
	char path[64];

	(void)name;
	(void)raw;
	(void)task;
	snprintf(path, sizeof(path), "ec2/%s/console", c->id);
	state_hub_changed(c->ec2->hub, path);
}

static void on_done(void *ud, const char *name, int err)
{
	struct ec2_cap_ud *c = ud;
	struct ec2_instance *inst;

	(void)name;
	pthread_mutex_lock(&c->ec2->lock);
	inst = ec2_instance_find(c->ec2, c->id);
	if (inst) {
		inst->cap_done = true;
		inst->cap_failed = err != 0;
	}
	pthread_cond_broadcast(&c->ec2->changed);
	pthread_mutex_unlock(&c->ec2->lock);
}

static void on_line(void *ud, const char *name, const char *text, size_t len)
{
	struct ec2_cap_ud *c = ud;
	size_t plen = strlen(EC2_UD_DONE);
	struct ec2_instance *inst;
	char digits[16];
	char *end;
	long code;

	(void)name;
	if (len == strlen(EC2_UD_CUT) && memcmp(text, EC2_UD_CUT, len) == 0) {
		code = -1;
	} else {
		if (len <= plen || len - plen >= sizeof(digits) ||
		    memcmp(text, EC2_UD_DONE, plen) != 0)
			return;
		memcpy(digits, text + plen, len - plen);
		digits[len - plen] = '\0';
		code = strtol(digits, &end, 10);
		if (*end || code < 0 || code > 255)
			return;
	}
	pthread_mutex_lock(&c->ec2->lock);
	inst = ec2_instance_find(c->ec2, c->id);
	if (inst && inst->ud == EC2_UD_PENDING) {
		struct nb_err err = { 0 };
		char path[64];

		inst->ud = code < 0 ? EC2_UD_INTERRUPTED : EC2_UD_EXITED;
		inst->ud_exit = code < 0 ? 0 : (int)code;
		ec2_instance_save(c->ec2, inst, &err);
		snprintf(path, sizeof(path), "ec2/%s/user-data-status", c->id);
		state_hub_changed(c->ec2->hub, path);
	}
	pthread_mutex_unlock(&c->ec2->lock);
}

void ec2_console_capture(struct ec2 *ec2, struct ec2_instance *inst)
{
	struct wl_logcap_ops ops = {
		.on_append = on_append,
		.on_done = on_done,
		.on_line = on_line,
		.raw_only = true,
	};
	struct nb_err err = { 0 };
	cleanup_close int dirfd = -1;

	if (inst->cap || !inst->container[0] || atomic_load(&ec2->stopping))
		return;
	if (mkdirat(ec2->consoledirfd, inst->id, 0700) < 0 && errno != EEXIST)
		return (void)log_error(0, "instance %s: cannot create its console dir: %s",
				       inst->id, strerror(errno));
	dirfd = openat(ec2->consoledirfd, inst->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	if (!inst->cap_ud && (inst->cap_ud = calloc(1, sizeof(*inst->cap_ud)))) {
		inst->cap_ud->ec2 = ec2;
		snprintf(inst->cap_ud->id, sizeof(inst->cap_ud->id), "%s", inst->id);
	}
	if (!inst->cap_ud)
		return;
	ops.ud = inst->cap_ud;
	inst->cap_done = false;
	inst->cap_failed = false;
	if (wl_logcap_start(ec2->eng, inst->container, CONSOLE_NAME, false, dirfd, &ops, &inst->cap,
			    &err) < 0)
		log_error(0, "instance %s: cannot capture its console: %s", inst->id, err.msg);
}

struct wl_logcap *ec2_console_detach(struct ec2_instance *inst)
{
	struct wl_logcap *cap = inst->cap;

	inst->cap = NULL;
	return cap;
}

void ec2_console_end(struct ec2 *ec2, const char *id, struct wl_logcap *cap, int wait_ms)
{
	struct ec2_instance *inst;
	struct timespec until;

	if (!cap)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* The stream ends by itself once the container stopped and its last
	 * output is in; stopping it earlier could cut that off. */
	pthread_mutex_lock(&ec2->lock);
	while ((inst = ec2_instance_find(ec2, id)) && !inst->cap_done &&
	       !atomic_load(&ec2->stopping))
		if (pthread_cond_timedwait(&ec2->changed, &ec2->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&ec2->lock);
	wl_logcap_stop(cap);
}

int ec2_console_read(struct ec2 *ec2, const char *id, struct nb_buf *out)
{
	char path[EC2_ID_MAX + 16];
	cleanup_close int fd = -1;
	struct stat st;
	off_t from;
	size_t want;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/" CONSOLE_NAME ".log", id);
	fd = openat(ec2->consoledirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	from = st.st_size > EC2_CONSOLE_MAX ? st.st_size - EC2_CONSOLE_MAX : 0;
	want = (size_t)(st.st_size - from);
	if (nb_buf_reserve(out, want) < 0)
		return -ENOMEM;
	n = pread(fd, out->data + out->len, want, from);
	if (n < 0)
		return -errno;
	out->len += (size_t)n;
	out->data[out->len] = '\0';
	return 0;
}

void ec2_console_remove(struct ec2 *ec2, const char *id)
{
	char path[EC2_ID_MAX + 16];
	cleanup_close int fd = openat(ec2->consoledirfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	unlinkat(fd, CONSOLE_NAME ".log", 0);
	unlinkat(fd, CONSOLE_NAME ".pos", 0);
	snprintf(path, sizeof(path), "%s", id);
	unlinkat(ec2->consoledirfd, path, AT_REMOVEDIR);
}
