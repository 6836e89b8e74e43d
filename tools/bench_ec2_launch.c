/*
 * tools/bench_ec2_launch.c - bench_ec2's launch figure: "\n" written to
 * ec2/run until the instance's `state` reads running, against raw
 * create+start of an equivalent container on the default bridge and on a
 * user-defined network of the driver's own with a static address; and the
 * untimed warm-up that makes the first of each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/engine/containers.h"
#include "backend/engine/networks.h"
#include "tools/bench_ec2.h"
#include "tools/benchlib.h"
#include "tools/benchraw.h"

#define IMAGE	    "local/busybox:latest"
#define LAUNCH_WAIT 60000 /* ms a launch may take before it counts as failed */

/* One launch through the mount: "\n" to ec2/run, the id read back on the
 * same fd, until state reads running. ms, or -1. */
static double nb_launch(struct bench_ec2 *b)
{
	char path[1100], dir[1024], ans[256];
	double t0 = bench_ec2_now();
	int ret;

	snprintf(dir, sizeof(dir), "%s/ec2", b->mnt);
	snprintf(path, sizeof(path), "%s/run", dir);
	ret = bench_transact(path, "\n", 1, ans, sizeof(ans));
	if (ret < 0)
		return bench_fail(dir, "ec2/run", ret);
	ans[strcspn(ans, "\n")] = '\0';
	if (strlen(ans) != BENCH_EC2_ID_LEN || strncmp(ans, "i-", 2) != 0) {
		fprintf(stderr, "bench_ec2: ec2/run answered \"%s\", not an instance id\n", ans);
		return -1;
	}
	snprintf(b->insts[b->ninsts++], BENCH_EC2_ID_LEN + 1, "%s", ans);
	if (bench_ec2_wait_state(b, ans, "running", LAUNCH_WAIT) < 0)
		return -1;
	return bench_ec2_now() - t0;
}

/*
 * The floor's ContainerCreate body: local/busybox:latest under tini running
 * `exec sleep`, on the default bridge, floor labels; Init, NanoCpus and
 * Memory as nimbusfs gave instance id's container (Init alone when it has
 * none to read).
 */
static cJSON *floor_spec(struct bench_ec2 *b, const char *id)
{
	static const char *const host_keys[] = { "Init", "NanoCpus", "Memory" };
	cleanup_cjson cJSON *info = NULL;
	cJSON *spec = cJSON_CreateObject(), *cmd, *host;
	const cJSON *hc = NULL;
	char path[1024], cid[128];
	struct nb_err err = { 0 };

	bench_ec2_path(b, path, sizeof(path), id, "/container");
	if (bench_read_file(path, cid, sizeof(cid)) < 0 || !cid[0])
		fprintf(stderr, "bench_ec2: %s: no container id\n", path);
	else if (engine_container_inspect(b->eng, cid, &info, &err) < 0)
		fprintf(stderr, "bench_ec2: inspect %.12s: %s\n", cid, err.msg);
	else
		hc = cJSON_GetObjectItem(info, "HostConfig");

	json_add_str(spec, "Image", IMAGE);
	cmd = cJSON_AddArrayToObject(spec, "Cmd");
	json_array_add_str(cmd, "sh");
	json_array_add_str(cmd, "-c");
	json_array_add_str(cmd, "exec sleep 2147483647");
	bench_floor_labels(spec, b->owner);
	host = cJSON_AddObjectToObject(spec, "HostConfig");
	json_add_bool(host, "Init", true);
	for (size_t i = 0; hc && i < sizeof(host_keys) / sizeof(host_keys[0]); i++) {
		cJSON *v = cJSON_GetObjectItem(hc, host_keys[i]);

		if (v && !cJSON_IsNull(v)) {
			cJSON_DeleteItemFromObject(host, host_keys[i]);
			cJSON_AddItemToObject(host, host_keys[i], cJSON_Duplicate(v, true));
		}
	}
	json_add_str(host, "NetworkMode", "bridge");
	return spec;
}

/*
 * The floor's own user-defined bridge network: a free /24 of 10.64.0.0/12
 * (outside Docker's default pools and nimbusfs's default subnets in
 * 10.128.0.0/9), labelled as the floor containers are.
 */
static int make_floor_net(struct bench_ec2 *b)
{
	cleanup_cjson cJSON *spec = cJSON_CreateObject();
	const cJSON *labels = bench_floor_labels(spec, b->owner);
	char cidr[32];
	struct nb_err err = { 0 };
	int ret = -EBUSY;

	snprintf(b->floor_net, sizeof(b->floor_net), "nimbusfs-bench-ec2-%08lx",
		 (unsigned long)random());
	for (int tries = 0; tries < 32 && (ret == -EBUSY || ret == -EPERM); tries++) {
		unsigned r = (unsigned)random() % 4096;

		b->floor_net_base = (10u << 24) | ((64u + r / 256) << 16) | ((r % 256) << 8);
		snprintf(cidr, sizeof(cidr), "10.%u.%u.0/24", 64 + r / 256, r % 256);
		err = (struct nb_err){ 0 };
		ret = engine_network_create_subnet(b->eng, b->floor_net, labels, cidr, false,
						   b->floor_net_id, &err);
	}
	if (ret < 0) {
		fprintf(stderr, "bench_ec2: floor network: %s\n", err.msg);
		b->floor_net_id[0] = '\0';
	}
	return ret;
}

/* spec on the floor's network with the k-th static address, k < 240. */
static void floor_net_spec(const struct bench_ec2 *b, cJSON *spec, int k)
{
	char ip[16];
	unsigned a = b->floor_net_base + 10u + (unsigned)k;
	cJSON *host = cJSON_GetObjectItem(spec, "HostConfig"), *net, *eps, *ep, *ipam;

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	cJSON_DeleteItemFromObject(host, "NetworkMode");
	json_add_str(host, "NetworkMode", b->floor_net);
	cJSON_DeleteItemFromObject(spec, "NetworkingConfig");
	net = cJSON_AddObjectToObject(spec, "NetworkingConfig");
	eps = cJSON_AddObjectToObject(net, "EndpointsConfig");
	ep = cJSON_AddObjectToObject(eps, b->floor_net);
	ipam = cJSON_AddObjectToObject(ep, "IPAMConfig");
	json_add_str(ipam, "IPv4Address", ip);
}

/* Raw create+start with a fresh hostname, on the default bridge (which 0)
 * or on the floor's network (which 1). ms, or -1. */
static double raw_launch(struct bench_ec2 *b, const cJSON *bridge_spec, int which)
{
	cleanup_cjson cJSON *spec = cJSON_Duplicate(bridge_spec, true);
	char name[64], *id = b->floors[which][b->nfloors[which]];
	double t0;
	int ret;

	snprintf(name, sizeof(name), "nimbusfs-bench-ec2-%08lx", (unsigned long)random());
	json_add_str(spec, "Hostname", name + 15); /* "ec2-xxxxxxxx" */
	if (which)
		floor_net_spec(b, spec, b->nfloors[which]);
	t0 = bench_ec2_now();
	ret = bench_raw_create_start(b->eng, name, spec, id);
	if (id[0])
		b->nfloors[which]++;
	return ret < 0 ? -1 : bench_ec2_now() - t0;
}

int bench_ec2_warmup(struct bench_ec2 *b, cJSON **spec)
{
	if (nb_launch(b) < 0)
		return -1;
	*spec = floor_spec(b, b->insts[0]);
	if (raw_launch(b, *spec, 0) < 0)
		return -1;
	if (make_floor_net(b) == 0 && raw_launch(b, *spec, 1) < 0)
		return -1;
	return 0;
}

static double launch_sample(struct bench_ec2 *b, int side, const void *spec)
{
	return side == 0 ? nb_launch(b) : raw_launch(b, spec, side - 1);
}

int bench_ec2_launch(struct bench_ec2 *b, const cJSON *spec, int n)
{
	return bench_ec2_rounds(b, "launch", n, launch_sample, spec);
}
