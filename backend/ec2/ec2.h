/*
 * backend/ec2/ec2.h - the EC2 service: AMI registrations, subnets (Docker
 * networks) and instances (long-lived containers with user-data, a console,
 * tags and run-command). Records live in the object registry; every call
 * answers from memory and never waits on the engine, except the *_run
 * halves of long transactions, which run on a thread of their own.
 */
#ifndef NB_EC2_H
#define NB_EC2_H

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/cancel.h"
#include "backend/common/err.h"
#include "backend/ec2/netmath.h"

#define EC2_KIND_IMAGE	  "ec2-images"
#define EC2_KIND_SUBNET	  "ec2-subnets"
#define EC2_KIND_INSTANCE "ec2-instances"
/* The image of a RunInstances request without ImageId (--ec2-image). */
#define EC2_DEFAULT_IMAGE "amazonlinux:2023"
/* The default subnet is a /20 of 10.128.0.0/9, chosen from the state
 * dir's id: outside Docker's default pools (172.17-31/16, 192.168/16), and
 * different for each state dir, since one engine refuses two networks
 * whose pools overlap. */
#define EC2_DEFAULT_POOL	0x0a800000u /* 10.128.0.0 */
#define EC2_DEFAULT_POOL_PREFIX 9
#define EC2_DEFAULT_PREFIX	20
/* GetConsoleOutput returns the newest 64 KB. */
#define EC2_CONSOLE_MAX 65536
/* SSM keeps the first 24,000 characters of each output stream. */
#define EC2_RUNCMD_OUTPUT_MAX  24000
#define EC2_RUNCMD_TIMEOUT     3600 /* s: SSM's executionTimeout default */
#define EC2_RUNCMD_TIMEOUT_MAX 172800

struct ec2;
struct engine;
struct state_health;
struct state_hub;
struct state_jobs;
struct state_registry;

struct ec2_deps {
	struct state_registry *reg;
	struct state_hub *hub;
	struct engine *eng;
	struct state_health *health;
	const char *owner; /* the io.nimbusfs.owner label value */
	int statedirfd;
	const char *default_image; /* NULL: EC2_DEFAULT_IMAGE */
};

typedef int (*ec2_emit_fn)(void *ud, const char *name);

/* Loads AMI registrations, subnets (making the default subnet the first
 * time) and instances. */
int ec2_new(const struct ec2_deps *deps, struct ec2 **out, struct nb_err *err);
void ec2_free(struct ec2 *ec2);
/* Lets the service run lifecycle jobs on jobs. */
void ec2_start(struct ec2 *ec2, struct state_jobs *jobs);
/* Ends console captures; call before the job pool stops and again after. */
void ec2_stop(struct ec2 *ec2);

/* Engine events and resyncs (the events thread). */
void ec2_on_event(struct ec2 *ec2, const cJSON *event);
void ec2_on_sync(struct ec2 *ec2, const cJSON *containers);

/* ---- ec2/images/<ami-id>: an AMI id naming an image reference ---- */
bool ec2_image_exists(struct ec2 *ec2, const char *ami);
int ec2_list_images(struct ec2 *ec2, ec2_emit_fn emit, void *ud);
int ec2_image_render(struct ec2 *ec2, const char *ami, struct nb_buf *out, struct timespec *mtime);
/* An empty registration (the file's creat); -EINVAL for a malformed id. */
int ec2_image_create(struct ec2 *ec2, const char *ami, struct nb_err *err);
/* Sets the image reference (one line); -EINVAL for an empty or bad one. */
int ec2_image_put(struct ec2 *ec2, const char *ami, const char *data, size_t len,
		  struct nb_err *err);
int ec2_image_remove(struct ec2 *ec2, const char *ami, struct nb_err *err);

/* ---- ec2/subnets/ ---- */
enum ec2_subnet_file {
	EC2_SF_CIDR,
	EC2_SF_PRIVATE,
	EC2_SF_DEFAULT,
	EC2_SF_NETWORK,
	EC2_SF_INSTANCES,
	EC2_SF_DESCRIBE,
};

bool ec2_subnet_exists(struct ec2 *ec2, const char *id);
int ec2_list_subnets(struct ec2 *ec2, ec2_emit_fn emit, void *ud);
int ec2_subnet_render(struct ec2 *ec2, const char *id, enum ec2_subnet_file what,
		      struct nb_buf *out, struct timespec *mtime);
/* `create`: prepare validates {"CidrBlock", "Private"} (-EINVAL with the
 * reason: bad JSON or CIDR, overlap); run makes the Docker network and the
 * record and answers "subnet-...\n" (-EHOSTDOWN, -EINVAL when the engine
 * refuses the range). */
int ec2_subnet_create_prepare(struct ec2 *ec2, const char *data, size_t len, void **priv,
			      struct nb_err *err);
int ec2_subnet_create_run(struct ec2 *ec2, void *priv, struct nb_cancel *cancel,
			  struct nb_buf *answer, struct nb_err *err);
void ec2_subnet_create_discard(struct ec2 *ec2, void *priv);
/* rmdir: -EBUSY while instances use it, -EPERM for the default subnet. */
int ec2_subnet_remove(struct ec2 *ec2, const char *id, struct nb_err *err);

/* ---- instances ---- */
enum ec2_instance_file {
	EC2_IF_STATE,
	EC2_IF_CONSOLE,
	EC2_IF_USER_DATA,
	EC2_IF_USER_DATA_STATUS,
	EC2_IF_IMAGE,
	EC2_IF_TYPE,
	EC2_IF_PRIVATE_IP,
	EC2_IF_HOSTNAME,
	EC2_IF_SUBNET,
	EC2_IF_CONTAINER,
	EC2_IF_DESCRIBE,
};

/*
 * RunInstances: an empty request launches one default instance. Records
 * the instances (pending) and queues their launch; answer gets one id per
 * line. -EINVAL bad request, -ENOENT unknown AMI (InvalidAMIID.NotFound),
 * -ENOSPC subnet full, -EHOSTDOWN engine unreachable; reason in err.
 */
int ec2_run(struct ec2 *ec2, const char *data, size_t len, struct nb_buf *answer,
	    struct nb_err *err);
bool ec2_instance_exists(struct ec2 *ec2, const char *id);
int ec2_list_instances(struct ec2 *ec2, ec2_emit_fn emit, void *ud);
/* The most recently launched instance's id, or -ENOENT. */
int ec2_latest_instance(struct ec2 *ec2, char id[EC2_ID_MAX]);
int ec2_instance_render(struct ec2 *ec2, const char *id, enum ec2_instance_file what,
			struct nb_buf *out, struct timespec *mtime);
/* `state` written: start, stop, stop --force, reboot or terminate.
 * -EBUSY/-EPERM for a transition the state does not allow
 * (IncorrectInstanceState), -EINVAL unknown verb, -EHOSTDOWN. */
int ec2_instance_action(struct ec2 *ec2, const char *id, const char *verb, size_t len,
			struct nb_err *err);
/* rmdir: forgets a terminated instance; -EBUSY otherwise. */
int ec2_instance_forget(struct ec2 *ec2, const char *id, struct nb_err *err);

/* tags/<key> */
bool ec2_tag_exists(struct ec2 *ec2, const char *id, const char *key);
int ec2_list_tags(struct ec2 *ec2, const char *id, ec2_emit_fn emit, void *ud);
int ec2_tag_render(struct ec2 *ec2, const char *id, const char *key, struct nb_buf *out,
		   struct timespec *mtime);
int ec2_tag_create(struct ec2 *ec2, const char *id, const char *key, struct nb_err *err);
int ec2_tag_put(struct ec2 *ec2, const char *id, const char *key, const char *value, size_t len,
		struct nb_err *err);
int ec2_tag_remove(struct ec2 *ec2, const char *id, const char *key, struct nb_err *err);

/* run-command: prepare parses a command line or {"commands", "timeoutSeconds"}
 * and checks the instance runs (-EBUSY); run execs it through the engine
 * and answers SSM's GetCommandInvocation shape. */
int ec2_runcmd_prepare(struct ec2 *ec2, const char *id, const char *data, size_t len, void **priv,
		       struct nb_err *err);
int ec2_runcmd_run(struct ec2 *ec2, void *priv, struct nb_cancel *cancel, struct nb_buf *answer,
		   struct nb_err *err);
void ec2_runcmd_discard(struct ec2 *ec2, void *priv);

#endif
