/*
 * tests/fuzz/fuzz_verbs.c - the command files, through the same path a
 * write(2) takes: fsnode_file_write() frames the bytes into requests (one
 * per line for `ctl`, the whole value for `desired` and `state`) and
 * commits each through its route's ops, which parse the verb:
 *   0  ecs/tasks/<id>/ctl       "stop [reason]", "kill [SIGNAL]" (the
 *                               signal allowlist of ecs_task_kill)
 *   1  ecs/tasks/<id>/desired   "STOPPED"
 *   2  ec2/<id>/state           start, stop, stop --force, reboot, terminate
 *   3  ctl                      "resync"
 * The first byte picks the file; the rest is split at 0xff bytes into
 * writes (a write whose first byte is 0xfe goes to offset 0, as an editor
 * rewrites a file), and the file is flushed as at close. The services are
 * empty and the engine is down, so a verb that parses ends at "no such
 * task/instance" or "engine down", never reaching the engine.
 */
#include <pthread.h>

#include "backend/ec2/ec2_i.h"
#include "backend/ecs/ecs_i.h"
#include "backend/daemon.h"
#include "fs/fsnode.h"
#include "fs/openfile.h"
#include "tests/fuzz/fuzz.h"

#define TASK_ID	    "0123456789abcdef0123456789abcdef"
#define INSTANCE_ID "i-0123456789abcdef0"

static struct daemon daemon_;
static struct ecs ecs_;
static struct ec2 ec2_;
static struct fsnode_ctx ctx;

static const struct {
	enum fsnode_type parent;
	const char *name, *path, *obj;
} files[] = {
	{ FSNODE_TASK_DIR, "ctl", "ecs/tasks/" TASK_ID "/ctl", TASK_ID },
	{ FSNODE_TASK_DIR, "desired", "ecs/tasks/" TASK_ID "/desired", TASK_ID },
	{ FSNODE_EC2_INSTANCE, "state", "ec2/" INSTANCE_ID "/state", INSTANCE_ID },
	{ FSNODE_ROOT, "ctl", "ctl", "" },
};
#define N_FILES (sizeof(files) / sizeof(files[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	/* Engine down: state_health_init leaves it so until a probe says so. */
	state_health_init(&daemon_.health, NULL, "unix:///nonexistent");
	pthread_mutex_init(&ecs_.lock, NULL);
	pthread_cond_init(&ecs_.changed, NULL);
	pthread_mutex_init(&ecs_.secrets_lock, NULL);
	ecs_.health = &daemon_.health;
	ecs_.owner = "fuzz";
	ecs_.logdirfd = -1;
	pthread_mutex_init(&ec2_.lock, NULL);
	pthread_cond_init(&ec2_.changed, NULL);
	pthread_mutex_init(&ec2_.net_lock, NULL);
	ec2_.health = &daemon_.health;
	ec2_.owner = "fuzz";
	ec2_.consoledirfd = -1;
	daemon_.ecs = &ecs_;
	daemon_.ec2 = &ec2_;
	ctx.d = &daemon_;
	if (fsnode_lasterr_new(&ctx.lasterr) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fsnode_route *route;
	struct fsnode node = { 0 };
	struct fsnode_file *f;
	size_t i, end;

	if (size < 1)
		return 0;
	i = data[0] % N_FILES;
	route = fsnode_route_match(files[i].parent, files[i].name);
	FUZZ_CHECK(route && route->ops->commit, "no route for %s", files[i].path);
	node.route = route;
	node.path = (char *)files[i].path;
	node.obj = (char *)files[i].obj;
	f = fsnode_file_new(&node, 0);
	if (!f)
		return 0;
	for (size_t start = 1; start <= size; start = end + 1) {
		const uint8_t *p = memchr(data + start, 0xff, size - start);
		char *chunk;
		size_t n;
		off_t off = (off_t)f->wbuf.len;
		ssize_t ret;

		end = p ? (size_t)(p - data) : size;
		n = end - start;
		if (n && data[start] == 0xfe) {
			off = 0;
			start++;
			n--;
		}
		chunk = fuzz_copy(data + start, n);
		if (!chunk)
			break;
		ret = fsnode_file_write(&ctx, f, chunk, n, off);
		free(chunk);
		FUZZ_CHECK(ret == (ssize_t)n || ret < 0, "write of %zu bytes returned %zd", n, ret);
	}
	(void)fsnode_file_flush(&ctx, f);
	FUZZ_CHECK(ecs_.tasks == NULL && ec2_.instances == NULL, "an object appeared");
	fsnode_file_free(f);
	return 0;
}
