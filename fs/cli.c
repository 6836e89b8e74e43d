/*
 * fs/cli.c - parsing the command line. Every option does what its help
 * says; an unknown one is an error, never ignored.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/cli.h"

enum {
	OPT_ENGINE = 256,
	OPT_STATE_DIR,
	OPT_LAMBDA_IMAGE,
	OPT_LAMBDA_IDLE,
	OPT_EC2_IMAGE,
	OPT_FUSE_WORKERS,
};

static const struct option long_opts[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "lambda-image", required_argument, NULL, OPT_LAMBDA_IMAGE },
	{ "lambda-idle", required_argument, NULL, OPT_LAMBDA_IDLE },
	{ "ec2-image", required_argument, NULL, OPT_EC2_IMAGE },
	{ "fuse-workers", required_argument, NULL, OPT_FUSE_WORKERS },
	{ 0 },
};

void fsnode_cli_usage(const char *prog)
{
	printf("usage: %s [options] MOUNTPOINT\n"
	       "\n"
	       "Mounts a local cloud control plane (ECS, Lambda, EC2 on Docker) at MOUNTPOINT.\n"
	       "\n"
	       "  -f, --foreground          stay in the foreground\n"
	       "  -d, --debug               log every request and engine call (implies -f)\n"
	       "  -o OPT[,OPT...]           FUSE mount options (e.g. allow_other, which\n"
	       "                            adds default_permissions: modes are enforced)\n"
	       "      --engine URL          Docker Engine API: unix:///PATH or tcp://HOST:PORT\n"
	       "                            (default: $DOCKER_HOST, else %s)\n"
	       "      --state-dir DIR       where state is kept (default: /var/lib/nimbusfs\n"
	       "                            for root, else $XDG_STATE_HOME/nimbusfs)\n"
	       "      --lambda-image RUNTIME=IMAGE\n"
	       "                            image for a Lambda runtime (repeatable)\n"
	       "      --lambda-idle SECONDS remove warm Lambda containers idle this long\n"
	       "                            (1-86400, default 300)\n"
	       "      --ec2-image IMAGE     image of EC2 instances run without an ImageId\n"
	       "                            (default amazonlinux:2023)\n"
	       "      --fuse-workers N      at most N threads answer FUSE requests (%d-%d,\n"
	       "                            default %d)\n"
	       "  -h, --help                this text\n"
	       "  -V, --version             print the version\n"
	       "\n"
	       "Unmount with `fusermount3 -u MOUNTPOINT`, SIGINT or SIGTERM.\n",
	       prog, ENGINE_DEFAULT_URL, FSNODE_CLI_WORKERS_MIN, FSNODE_CLI_WORKERS_MAX,
	       FSNODE_CLI_WORKERS_DEFAULT);
}

/* A decimal number from min to max, all of arg. */
static int parse_range(const char *arg, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_idle(struct fsnode_cli *cli, const char *arg, struct nb_err *err)
{
	if (parse_range(arg, 1, 86400, &cli->lambda_idle) < 0)
		return nb_err_set(err, -EINVAL,
				  "--lambda-idle %s: expected a number of seconds from 1 to 86400",
				  arg);
	return 0;
}

static int parse_workers(struct fsnode_cli *cli, const char *arg, struct nb_err *err)
{
	if (parse_range(arg, FSNODE_CLI_WORKERS_MIN, FSNODE_CLI_WORKERS_MAX, &cli->fuse_workers) <
	    0)
		return nb_err_set(err, -EINVAL,
				  "--fuse-workers %s: expected a number of threads from %d to %d",
				  arg, FSNODE_CLI_WORKERS_MIN, FSNODE_CLI_WORKERS_MAX);
	return 0;
}

static int add_fuse_opt(struct fsnode_cli *cli, const char *opt, struct nb_err *err)
{
	char *joined;

	if (!opt[0])
		return nb_err_set(err, -EINVAL, "-o needs an option");
	if (cli->fuse_opts) {
		if (asprintf(&joined, "%s,%s", cli->fuse_opts, opt) < 0)
			return nb_err_set(err, -ENOMEM, "out of memory");
		free(cli->fuse_opts);
		cli->fuse_opts = joined;
	} else if (!(cli->fuse_opts = strdup(opt))) {
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Whether the comma-separated opts hold name, alone or as name=VALUE. */
static bool has_fuse_opt(const char *opts, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = opts; p && *p; p += strcspn(p, ","), p += *p == ',')
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '=' || !p[n]))
			return true;
	return false;
}

/* A mount others may enter is checked by the kernel against each file's
 * mode and owner (default_permissions), so 0600 and 0200 keep them out; a
 * mount without allow_other is the mounting user's alone. */
static int access_opts(struct fsnode_cli *cli, struct nb_err *err)
{
	if (!has_fuse_opt(cli->fuse_opts, "allow_other") &&
	    !has_fuse_opt(cli->fuse_opts, "allow_root"))
		return 0;
	if (has_fuse_opt(cli->fuse_opts, "default_permissions"))
		return 0;
	return add_fuse_opt(cli, "default_permissions", err);
}

static int add_lambda_image(struct fsnode_cli *cli, const char *arg, struct nb_err *err)
{
	const char *eq = strchr(arg, '=');
	struct daemon_lambda_image *grown;

	if (!eq || eq == arg || !eq[1])
		return nb_err_set(err, -EINVAL,
				  "--lambda-image %s: expected RUNTIME=IMAGE, e.g. "
				  "python3.12=local/python:3.12",
				  arg);
	for (int i = 0; i < cli->n_lambda_images; i++)
		if (strncmp(cli->lambda_images[i].runtime, arg, (size_t)(eq - arg)) == 0 &&
		    !cli->lambda_images[i].runtime[eq - arg])
			return nb_err_set(err, -EINVAL, "--lambda-image: runtime %.*s given twice",
					  (int)(eq - arg), arg);
	grown = realloc(cli->lambda_images, sizeof(*grown) * (size_t)(cli->n_lambda_images + 1));
	if (!grown)
		return nb_err_set(err, -ENOMEM, "out of memory");
	cli->lambda_images = grown;
	grown[cli->n_lambda_images].runtime = strndup(arg, (size_t)(eq - arg));
	grown[cli->n_lambda_images].image = strdup(eq + 1);
	cli->n_lambda_images++;
	if (!grown[cli->n_lambda_images - 1].runtime || !grown[cli->n_lambda_images - 1].image)
		return nb_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int set_str(char **dst, const char *src, struct nb_err *err)
{
	free(*dst);
	*dst = strdup(src);
	return *dst ? 0 : nb_err_set(err, -ENOMEM, "out of memory");
}

int fsnode_cli_parse(int argc, char **argv, struct fsnode_cli *cli, struct nb_err *err)
{
	const char *env_host = getenv("DOCKER_HOST");
	int c, ret = 0;

	memset(cli, 0, sizeof(*cli));
	optind = 1;
	opterr = 0;
	while (ret == 0 && (c = getopt_long(argc, argv, ":fdhVo:", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			cli->foreground = true;
			break;
		case 'd':
			cli->debug = true;
			cli->foreground = true;
			break;
		case 'h':
			cli->help = true;
			break;
		case 'V':
			cli->version = true;
			break;
		case 'o':
			ret = add_fuse_opt(cli, optarg, err);
			break;
		case OPT_ENGINE:
			ret = set_str(&cli->engine_url, optarg, err);
			break;
		case OPT_STATE_DIR:
			if (optarg[0] != '/')
				ret = nb_err_set(err, -EINVAL,
						 "--state-dir %s: must be an absolute path",
						 optarg);
			else
				ret = set_str(&cli->state_dir, optarg, err);
			break;
		case OPT_LAMBDA_IMAGE:
			ret = add_lambda_image(cli, optarg, err);
			break;
		case OPT_LAMBDA_IDLE:
			ret = parse_idle(cli, optarg, err);
			break;
		case OPT_EC2_IMAGE:
			if (!optarg[0] || strpbrk(optarg, " \t\n"))
				ret = nb_err_set(err, -EINVAL,
						 "--ec2-image \"%s\": expected an image reference",
						 optarg);
			else
				ret = set_str(&cli->ec2_image, optarg, err);
			break;
		case OPT_FUSE_WORKERS:
			ret = parse_workers(cli, optarg, err);
			break;
		case ':':
			ret = nb_err_set(err, -EINVAL, "option %s needs a value", argv[optind - 1]);
			break;
		default:
			ret = nb_err_set(err, -EINVAL, "unknown option %s (see --help)",
					 argv[optind - 1]);
			break;
		}
	}
	if (ret < 0 || cli->help || cli->version)
		return ret;
	if (optind >= argc)
		return nb_err_set(err, -EINVAL, "no mountpoint given (see --help)");
	if (optind + 1 < argc)
		return nb_err_set(err, -EINVAL, "unexpected argument %s after the mountpoint",
				  argv[optind + 1]);
	if (set_str(&cli->mountpoint, argv[optind], err) < 0)
		return err->code;
	if (access_opts(cli, err) < 0)
		return err->code;
	if (!cli->fuse_workers)
		cli->fuse_workers = FSNODE_CLI_WORKERS_DEFAULT;
	if (!cli->engine_url)
		return set_str(&cli->engine_url,
			       env_host && env_host[0] ? env_host : ENGINE_DEFAULT_URL, err);
	return 0;
}

void fsnode_cli_free(struct fsnode_cli *cli)
{
	for (int i = 0; i < cli->n_lambda_images; i++) {
		free(cli->lambda_images[i].runtime);
		free(cli->lambda_images[i].image);
	}
	free(cli->lambda_images);
	free(cli->mountpoint);
	free(cli->engine_url);
	free(cli->state_dir);
	free(cli->ec2_image);
	free(cli->fuse_opts);
	memset(cli, 0, sizeof(*cli));
}
