/*
 * backend/state/jobs.h - the worker pool that runs lifecycle jobs (create,
 * start, stop, remove containers): the only threads besides the events
 * thread that wait on the engine, so a FUSE worker never does.
 */
#ifndef NB_STATE_JOBS_H
#define NB_STATE_JOBS_H

struct state_jobs;

typedef void (*state_job_fn)(void *ud);

/* Starts n worker threads. */
int state_jobs_start(int n, struct state_jobs **out);

/* Queues fn(ud); never blocks. Jobs run in submission order per free
 * worker. -ESHUTDOWN after stop began, -ENOMEM. When a queued job is
 * dropped at stop, drop(ud) is called instead (drop may be NULL). */
int state_jobs_submit(struct state_jobs *j, state_job_fn fn, state_job_fn drop, void *ud);

/* Lets running jobs finish, drops queued ones, joins and frees. */
void state_jobs_stop(struct state_jobs *j);

#endif
