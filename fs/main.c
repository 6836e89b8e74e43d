/*
 * fs/main.c - nimbusfs's front door: parse the command line, open the
 * backend, mount, serve until unmounted or signalled, and free everything.
 */
#include <errno.h>
#include <malloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

#include "backend/common/log.h"
#include "fs/cli.h"
#include "fs/fsnode.h"
#include "fs/longtxn.h"
#include "fs/notify.h"
#include "fs/ops.h"
#include "fs/park.h"

#define EXIT_USAGE 2

static int usable_mountpoint(const char *path, char *real, struct nb_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return nb_err_set(err, -errno, "mountpoint %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return nb_err_set(err, -ENOTDIR, "mountpoint %s: not a directory", path);
	if (access(path, R_OK | W_OK | X_OK) < 0)
		return nb_err_set(err, -errno, "mountpoint %s: %s", path, strerror(errno));
	if (!realpath(path, real))
		return nb_err_set(err, -errno, "mountpoint %s: %s", path, strerror(errno));
	return 0;
}

static int build_fuse_args(const struct fsnode_cli *cli, struct fuse_args *args)
{
	int ret = fuse_opt_add_arg(args, "nimbusfs");

	if (ret == 0)
		ret = fuse_opt_add_arg(args, "-ofsname=nimbusfs,subtype=nimbusfs");
	if (ret == 0 && cli->fuse_opts) {
		char opt[4096];

		snprintf(opt, sizeof(opt), "-o%s", cli->fuse_opts);
		ret = fuse_opt_add_arg(args, opt);
	}
	if (ret == 0 && cli->debug && getenv("NIMBUSFS_FUSE_DEBUG"))
		ret = fuse_opt_add_arg(args, "-d");
	return ret;
}

static int serve(struct fsnode_ctx *ctx, const struct fsnode_cli *cli, const char *mnt)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *loop = NULL;
	struct state_hub_listener listener;
	struct nb_err err = { 0 };
	int ret = EXIT_FAILURE;

	if (build_fuse_args(cli, &args) < 0) {
		fprintf(stderr, "nimbusfs: out of memory\n");
		return EXIT_FAILURE;
	}
	ctx->se = fuse_session_new(&args, &fsnode_ll_ops, sizeof(fsnode_ll_ops), ctx);
	fuse_opt_free_args(&args);
	if (!ctx->se) {
		fprintf(stderr, "nimbusfs: invalid FUSE options -o %s\n",
			cli->fuse_opts ? cli->fuse_opts : "");
		return EXIT_USAGE;
	}
	if (fuse_set_signal_handlers(ctx->se) < 0)
		goto out_session;
	if (fuse_session_mount(ctx->se, mnt) < 0) {
		fprintf(stderr, "nimbusfs: cannot mount at %s (is it already mounted?)\n", mnt);
		ret = EXIT_USAGE;
		goto out_signals;
	}
	if (fuse_daemonize(cli->foreground) < 0)
		goto out_unmount;
	if (state_dir_record_pid(ctx->d->dir, &err) < 0)
		log_warn("%s", err.msg);
	/* Threads start only now: fuse_daemonize() forks. */
	if (fsnode_notify_start(ctx, &ctx->notify) < 0)
		goto out_unmount;
	fsnode_notify_listener(ctx->notify, &listener);
	state_hub_listen(ctx->d->hub, &listener);
	if (daemon_start(ctx->d, &err) < 0) {
		log_error(0, "%s", err.msg);
		goto out_notify;
	}
	log_info("mounted at %s; engine %s; state dir %s", mnt, cli->engine_url, ctx->d->dir->path);
	loop = fuse_loop_cfg_create();
	if (!loop)
		goto out_daemon;
	fuse_loop_cfg_set_max_threads(loop, (unsigned int)cli->fuse_workers);
	fuse_loop_cfg_set_idle_threads(loop,
				       cli->fuse_workers < 4 ? (unsigned int)cli->fuse_workers : 4);
	ret = fuse_session_loop_mt(ctx->se, loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	fuse_loop_cfg_destroy(loop);
out_daemon:
	daemon_stop(ctx->d);
	/* Invocations still running end now that their containers are gone. */
	fsnode_longtxns_drain(ctx->longtxns);
out_notify:
	fsnode_notify_stop(ctx->notify);
	ctx->notify = NULL;
out_unmount:
	fsnode_park_free(ctx->park);
	ctx->park = NULL;
	fuse_session_unmount(ctx->se);
out_signals:
	fuse_remove_signal_handlers(ctx->se);
out_session:
	fuse_session_destroy(ctx->se);
	ctx->se = NULL;
	return ret;
}

int main(int argc, char **argv)
{
	struct fsnode_ctx ctx = { 0 };
	struct daemon_options opts = { 0 };
	struct fsnode_cli cli;
	struct nb_err err = { 0 };
	char mnt[PATH_MAX];
	int ret;

	if (fsnode_cli_parse(argc, argv, &cli, &err) < 0) {
		fprintf(stderr, "nimbusfs: %s\n", err.msg);
		fsnode_cli_free(&cli);
		return EXIT_USAGE;
	}
	if (cli.help || cli.version) {
		if (cli.help)
			fsnode_cli_usage(argv[0]);
		else
			printf("nimbusfs %s\n", NIMBUSFS_VERSION);
		fsnode_cli_free(&cli);
		return EXIT_SUCCESS;
	}
	/* A fixed threshold: buffers past it (a 50 MB code.zip being written, a
	 * 6 MB invoke payload) are mapped and unmapped on their own. glibc's
	 * default raises the threshold after each such free, up to 32 MB, and
	 * then keeps the next big buffers in its heaps: 26 refused 100 MB
	 * writes left the daemon at 211 MB. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	if (cli.debug)
		nb_log_set_level(NB_LOG_DEBUG);
	if (usable_mountpoint(cli.mountpoint, mnt, &err) < 0) {
		fprintf(stderr, "nimbusfs: %s\n", err.msg);
		fsnode_cli_free(&cli);
		return EXIT_USAGE;
	}
	opts.engine_url = cli.engine_url;
	opts.state_dir = cli.state_dir;
	opts.lambda_images = cli.lambda_images;
	opts.n_lambda_images = cli.n_lambda_images;
	opts.lambda_idle_seconds = cli.lambda_idle;
	opts.ec2_image = cli.ec2_image;
	clock_gettime(CLOCK_REALTIME, &ctx.mounted);
	ctx.uid = getuid();
	ctx.gid = getgid();
	ret = daemon_open(&opts, &ctx.d, &err);
	if (ret < 0) {
		fprintf(stderr, "nimbusfs: %s\n", err.msg);
		fsnode_cli_free(&cli);
		return ret == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
	}
	if (fsnode_table_new(&ctx.nodes) < 0 || fsnode_lasterr_new(&ctx.lasterr) < 0 ||
	    fsnode_park_new(&ctx, &ctx.park) < 0 || fsnode_longtxns_new(&ctx, &ctx.longtxns) < 0) {
		fprintf(stderr, "nimbusfs: out of memory\n");
		ret = EXIT_FAILURE;
	} else {
		ret = serve(&ctx, &cli, mnt);
	}
	fsnode_park_free(ctx.park);
	fsnode_longtxns_free(ctx.longtxns);
	fsnode_lasterr_free(ctx.lasterr);
	fsnode_table_free(ctx.nodes);
	daemon_close(ctx.d);
	fsnode_cli_free(&cli);
	curl_global_cleanup();
	return ret;
}
