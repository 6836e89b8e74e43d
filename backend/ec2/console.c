/*
 * backend/ec2/console.c - an instance's console: its container's output
 * from the first boot on, captured by the workload core into
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

#define CONSOLE_NAME EC2_CONSOLE_NAME

void ec2_console_on_append(void *svc, const char *obj, const char *ctr)
{
	struct ec2 *ec2 = svc;
	char path[64];

	(void)ctr;
	snprintf(path, sizeof(path), "ec2/%s/console", obj);
	state_hub_changed(ec2->hub, path);
}

/* The boot script's line that ends user data records its exit status. */
void ec2_console_on_line(void *svc, const char *obj, const char *ctr, const char *text, size_t len)
{
	struct ec2 *ec2 = svc;
	size_t plen = strlen(EC2_UD_DONE);
	struct ec2_instance *inst;
	char digits[16];
	char *end;
	long code;

	(void)ctr;
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
	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, obj);
	if (inst && inst->ud == EC2_UD_PENDING) {
		struct nb_err err = { 0 };
		char path[64];

		inst->ud = code < 0 ? EC2_UD_INTERRUPTED : EC2_UD_EXITED;
		inst->ud_exit = code < 0 ? 0 : (int)code;
		ec2_instance_save(ec2, inst, &err);
		snprintf(path, sizeof(path), "ec2/%s/user-data-status", obj);
		state_hub_changed(ec2->hub, path);
	}
	pthread_mutex_unlock(&ec2->lock);
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
