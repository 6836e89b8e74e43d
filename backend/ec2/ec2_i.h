/*
 * backend/ec2/ec2_i.h - the EC2 service's private state, shared by its
 * files: ec2.c (service, AMI registrations), subnet.c, instance.c (model,
 * records, files, tags), instance_run.c (RunInstances), instance_life.c
 * (lifecycle jobs), instance_events.c (engine events and resyncs),
 * console.c (console capture) and runcmd.c (run-command).
 */
#ifndef NB_EC2_I_H
#define NB_EC2_I_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "backend/common/buf.h"
#include "backend/common/index.h"
#include "backend/ec2/ec2.h"
#include "backend/ec2/ec2types.h"
#include "backend/ec2/request.h"
#include "backend/engine/engine.h"
#include "backend/state/health.h"
#include "backend/state/hub.h"
#include "backend/state/jobs.h"
#include "backend/state/registry.h"
#include "backend/workload/workload.h"

/* tags/last-error: the one name a tag cannot have. */
#define EC2_TAG_RESERVED "last-error"
#define EC2_STOP_TIMEOUT 10 /* s of SIGTERM before SIGKILL: a guest's shutdown */
/* Where an instance keeps its user data and the marker of its first boot. */
#define EC2_UD_DIR  "var/lib/nimbusfs"
#define EC2_UD_PATH "/var/lib/nimbusfs/user-data"
/* The console line the boot script ends user data with. */
#define EC2_UD_DONE "nimbusfs-init: user-data exited with status "
/* ... and the line of the next boot after a stop or reboot cut it short. */
#define EC2_UD_CUT "nimbusfs-init: user-data was interrupted before it finished"

/* State codes as EC2's InstanceState.Code. */
enum ec2_state {
	EC2_PENDING = 0,
	EC2_RUNNING = 16,
	EC2_SHUTTING_DOWN = 32,
	EC2_TERMINATED = 48,
	EC2_STOPPING = 64,
	EC2_STOPPED = 80,
};

enum ec2_ud {
	EC2_UD_NONE,	/* no user data */
	EC2_UD_SKIPPED, /* not a #! script: stored, not run */
	EC2_UD_PENDING, /* a script that has not finished */
	EC2_UD_EXITED,
	EC2_UD_INTERRUPTED, /* a stop or reboot came first; not run again */
};

struct ec2_image {
	char ami[EC2_ID_MAX];
	char *ref; /* "" until written */
	struct timespec mtime;
	struct ec2_image *next;	 /* by ami */
	struct nb_index_link ix; /* ec2->image_index, by ami */
};

struct ec2_subnet {
	char id[EC2_ID_MAX];
	struct ec2_cidr cidr;
	char cidr_text[EC2_CIDR_STRLEN + 1];
	bool private_;
	bool is_default;
	char network[64]; /* the Docker network's name */
	struct timespec mtime;
	struct ec2_subnet *next; /* creation order */
	struct nb_index_link ix; /* ec2->subnet_index, by id */
};

struct ec2_instance {
	char id[EC2_ID_MAX];
	char image_id[EC2_ID_MAX]; /* "" when launched from the default image */
	char image[512];
	const struct ec2_type *type;
	char subnet_id[EC2_ID_MAX];
	uint32_t ip;
	enum ec2_state state;
	char transition_reason[256];
	char reason_code[64]; /* StateReason, "" when none */
	char reason_msg[256];
	unsigned char *user_data;
	size_t user_data_len;
	enum ec2_ud ud;
	int ud_exit;
	struct ec2_tag *tags;
	size_t n_tags;
	char client_token[EC2_CLIENT_TOKEN_MAX + 1];
	char key_name[EC2_KEY_NAME_MAX + 1];
	int launch_index;
	double launch_time;
	bool busy;	     /* a lifecycle job is queued or running */
	bool want_terminate; /* terminate once the running job ends */
	/* Its one container, "console" (wl.c[0].id: "" before create and after
	 * terminate), and its capture; retired once terminated. */
	struct wl_obj wl;
	struct timespec mtime;
	struct ec2_instance *next; /* launch order */
	struct nb_index_link ix;   /* ec2->instance_index, by id */
};

struct ec2 {
	struct state_registry *reg;
	struct state_hub *hub;
	struct engine *eng;
	struct state_health *health;
	struct state_jobs *jobs; /* protected by lock: set once started */
	const char *owner;
	char *default_image;
	int consoledirfd; /* <state>/ec2-console */
	struct wl *wl;	  /* instances' containers, captures and jobs */
	/* Lock order: lock and net_lock are never held together. lock also
	 * guards the workload core's part of every instance (wl). */
	pthread_mutex_t lock;
	pthread_cond_t changed;		       /* with lock: any instance change */
	struct ec2_image *images;	       /* protected by lock */
	struct ec2_subnet *subnets;	       /* protected by lock */
	struct ec2_instance *instances, *last; /* protected by lock */
	char latest[EC2_ID_MAX];	       /* protected by lock */
	/* Indexes of the lists above, by id; protected by lock. */
	struct nb_index image_index, subnet_index, instance_index;
	/* Held across making a network (a job's engine calls, without lock),
	 * so launches into one subnet make it once (the engine refuses the
	 * second as an overlapping pool). */
	pthread_mutex_t net_lock;
};

/* t (epoch seconds) as "YYYY-MM-DDTHH:MM:SS.mmmZ", as EC2 and SSM print times. */
void ec2_iso_time(double t, char out[40]);
const char *ec2_state_name(enum ec2_state s);

/* ec2.c */
struct ec2_image *ec2_image_find(struct ec2 *ec2, const char *ami);

/* subnet.c; lock held */
int ec2_subnets_load(struct ec2 *ec2, struct nb_err *err);
void ec2_subnets_free(struct ec2 *ec2);
struct ec2_subnet *ec2_subnet_find(struct ec2 *ec2, const char *id);
struct ec2_subnet *ec2_subnet_default(struct ec2 *ec2);
/* Labels every nimbusfs object of this service carries; NULL on ENOMEM. */
cJSON *ec2_labels(struct ec2 *ec2, const char *kind, const char *object);
/* Makes the subnet's Docker network unless it exists (job threads only). */
int ec2_network_ensure(struct ec2 *ec2, const char *name, const char *cidr, bool private_,
		       const char *subnet_id, struct nb_err *err);

/* instance.c; lock held */
struct ec2_instance *ec2_instance_find(struct ec2 *ec2, const char *id);
void ec2_instance_link(struct ec2 *ec2, struct ec2_instance *inst);
void ec2_instance_free(struct ec2_instance *inst);
/* Its one container in the workload core; after its id is set. */
void ec2_instance_wl_init(struct ec2_instance *inst);
/* Stores the record (disk I/O) and announces the change to readers. */
int ec2_instance_save(struct ec2 *ec2, struct ec2_instance *inst, struct nb_err *err);
void ec2_instance_changed(struct ec2 *ec2, struct ec2_instance *inst);
/* Sets state and, for stopped/terminated, StateReason "code: message". */
void ec2_instance_set_state(struct ec2 *ec2, struct ec2_instance *inst, enum ec2_state s,
			    const char *code, const char *message);
int ec2_instances_load(struct ec2 *ec2, struct nb_err *err);
/* Whether a non-terminated instance of subnet uses ip (or any, ip 0). */
bool ec2_ip_in_use(struct ec2 *ec2, const char *subnet, uint32_t ip);
/* "User initiated (YYYY-MM-DD HH:MM:SS GMT)" */
void ec2_user_initiated(char *out, size_t len);

/* instance_life.c */
enum ec2_job_kind {
	EC2_JOB_LAUNCH,
	EC2_JOB_STOP,
	EC2_JOB_FORCE_STOP, /* stop with SIGKILL at once */
	EC2_JOB_KILL,	    /* SIGKILL only: a running stop job finishes it */
	EC2_JOB_START,
	EC2_JOB_REBOOT,
	EC2_JOB_TERMINATE,
	EC2_JOB_REMOVE_NETWORK,
};
/* Queues a job for object (an instance id or a network name); lock held.
 * -ESHUTDOWN, -ENOMEM: nothing was queued. */
int ec2_job_submit(struct ec2 *ec2, enum ec2_job_kind kind, const char *object);
/* The workload core's job callback. */
void ec2_run_job(void *svc, const char *object, int kind, const char *arg);
/* The instance's container id, "" when it has none. Lock held. */
static inline const char *ec2_container(const struct ec2_instance *inst)
{
	return inst->wl.c[0].id;
}

/* console.c */
#define EC2_CONSOLE_NAME "console" /* the instance's container in the core */
/* The core's callbacks for console output: growth and each line. */
void ec2_console_on_append(void *svc, const char *obj, const char *ctr);
void ec2_console_on_line(void *svc, const char *obj, const char *ctr, const char *text, size_t len);
/* The newest EC2_CONSOLE_MAX bytes of the console. */
int ec2_console_read(struct ec2 *ec2, const char *id, struct nb_buf *out);
void ec2_console_remove(struct ec2 *ec2, const char *id);

#endif
