/*
 * backend/state/jobs.c - a fixed pool of workers over one FIFO queue.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "backend/state/jobs.h"

struct job {
	state_job_fn fn, drop;
	void *ud;
	struct job *next;
};

struct state_jobs {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail; /* protected by lock */
	bool stopping;		 /* protected by lock */
	int busy;		 /* protected by lock: workers running a job */
	int since_trim;		 /* protected by lock: jobs run since the last trim */
	time_t trimmed;		 /* protected by lock: when, monotonic seconds */
	int n;
	pthread_t threads[];
};

/* After a burst (8 jobs or more), or at most every 5 s: a trim walks every
 * arena under its lock, too dear after each lone job. Lock held. */
static bool trim_due(struct state_jobs *j)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (j->since_trim < 8 && now.tv_sec - j->trimmed < 5)
		return false;
	j->since_trim = 0;
	j->trimmed = now.tv_sec;
	return true;
}

static void *worker(void *arg)
{
	struct state_jobs *j = arg;

	for (;;) {
		struct job *job;
		bool idle;

		pthread_mutex_lock(&j->lock);
		while (!j->stopping && !j->head)
			pthread_cond_wait(&j->cond, &j->lock);
		if (j->stopping) {
			pthread_mutex_unlock(&j->lock);
			return NULL;
		}
		job = j->head;
		j->head = job->next;
		if (!j->head)
			j->tail = NULL;
		j->busy++;
		pthread_mutex_unlock(&j->lock);
		job->fn(job->ud);
		free(job);
		pthread_mutex_lock(&j->lock);
		j->since_trim++;
		idle = --j->busy == 0 && !j->head && trim_due(j);
		pthread_mutex_unlock(&j->lock);
		/* A burst of launches and stops is over: give its memory back.
		 * glibc keeps freed memory in each thread's arena otherwise, and
		 * nimbusfs's RSS stayed at twice its idle size after a load. */
		if (idle)
			malloc_trim(0);
	}
}

int state_jobs_start(int n, struct state_jobs **out)
{
	struct state_jobs *j = calloc(1, sizeof(*j) + (size_t)n * sizeof(pthread_t));
	int ret;

	if (!j)
		return -ENOMEM;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	for (j->n = 0; j->n < n; j->n++) {
		ret = pthread_create(&j->threads[j->n], NULL, worker, j);
		if (ret) {
			state_jobs_stop(j);
			return -ret;
		}
	}
	*out = j;
	return 0;
}

int state_jobs_submit(struct state_jobs *j, state_job_fn fn, state_job_fn drop, void *ud)
{
	struct job *job = calloc(1, sizeof(*job));

	if (!job)
		return -ENOMEM;
	job->fn = fn;
	job->drop = drop;
	job->ud = ud;
	pthread_mutex_lock(&j->lock);
	if (j->stopping) {
		pthread_mutex_unlock(&j->lock);
		free(job);
		return -ESHUTDOWN;
	}
	if (j->tail)
		j->tail->next = job;
	else
		j->head = job;
	j->tail = job;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return 0;
}

void state_jobs_stop(struct state_jobs *j)
{
	struct job *queued;

	if (!j)
		return;
	pthread_mutex_lock(&j->lock);
	j->stopping = true;
	queued = j->head;
	j->head = j->tail = NULL;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	for (int i = 0; i < j->n; i++)
		pthread_join(j->threads[i], NULL);
	while (queued) {
		struct job *next = queued->next;

		if (queued->drop)
			queued->drop(queued->ud);
		free(queued);
		queued = next;
	}
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j);
}
