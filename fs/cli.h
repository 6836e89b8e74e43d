/*
 * fs/cli.h - the command line: nimbusfs [options] MOUNTPOINT.
 */
#ifndef NB_FS_CLI_H
#define NB_FS_CLI_H

#include <stdbool.h>

#include "backend/daemon.h"

/* --fuse-workers: the FUSE worker threads' cap. Nothing a worker does
 * waits on the engine, so a few suffice; the cap bounds the threads a burst
 * of requests makes. */
#define FSNODE_CLI_WORKERS_MIN	   1
#define FSNODE_CLI_WORKERS_MAX	   1024
#define FSNODE_CLI_WORKERS_DEFAULT 64

struct fsnode_cli {
	bool foreground;
	bool debug;
	bool help;
	bool version;
	char *mountpoint;
	char *engine_url;
	char *state_dir;
	char *fuse_opts; /* comma-joined -o options */
	struct daemon_lambda_image *lambda_images;
	int n_lambda_images;
	int lambda_idle;  /* seconds; 0: the default */
	char *ec2_image;  /* NULL: the service's default */
	int fuse_workers; /* FUSE worker threads at most */
};

/* Parses argv. Returns 0, or -EINVAL with a one-line reason in err. */
int fsnode_cli_parse(int argc, char **argv, struct fsnode_cli *cli, struct nb_err *err);
void fsnode_cli_free(struct fsnode_cli *cli);
void fsnode_cli_usage(const char *prog);

#endif
