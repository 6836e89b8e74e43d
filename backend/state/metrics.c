/*
 * backend/state/metrics.c - rendering counters as Prometheus text.
 */
#include <errno.h>
#include <string.h>

#include "backend/state/metrics.h"

static const char *const op_names[STATE_OP_COUNT] = {
	"lookup", "getattr", "readdir", "open", "read", "write", "poll", "other",
};

void state_metrics_init(struct state_metrics *m)
{
	memset(m, 0, sizeof(*m));
	clock_gettime(CLOCK_REALTIME, &m->started);
}

void state_metrics_count_op(struct state_metrics *m, enum state_metric_op op)
{
	atomic_fetch_add_explicit(&m->fuse_requests[op], 1, memory_order_relaxed);
}

static int metric(struct nb_buf *out, const char *name, const char *type, const char *help,
		  unsigned long long value)
{
	return nb_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type,
			     name, value);
}

int state_metrics_render(struct state_metrics *m, uint64_t events_published, struct nb_buf *out)
{
	int64_t parked = atomic_load(&m->parked_readers);
	int64_t open = atomic_load(&m->open_files);
	int ret = 0;

	ret |= nb_buf_printf(out,
			     "# HELP nimbusfs_build_info nimbusfs version.\n"
			     "# TYPE nimbusfs_build_info gauge\n"
			     "nimbusfs_build_info{version=\"%s\"} 1\n",
			     NIMBUSFS_VERSION);
	ret |= nb_buf_printf(out,
			     "# HELP nimbusfs_start_time_seconds When the daemon started.\n"
			     "# TYPE nimbusfs_start_time_seconds gauge\n"
			     "nimbusfs_start_time_seconds %lld.%03ld\n",
			     (long long)m->started.tv_sec, m->started.tv_nsec / 1000000);
	ret |= metric(out, "nimbusfs_engine_up", "gauge",
		      "1 when the container engine answers, else 0.", atomic_load(&m->engine_up));
	ret |= metric(out, "nimbusfs_engine_connects_total", "counter",
		      "Successful list-then-watch subscriptions to the engine.",
		      atomic_load(&m->engine_connects));
	ret |= metric(out, "nimbusfs_engine_disconnects_total", "counter",
		      "Engine event streams that ended.", atomic_load(&m->engine_disconnects));
	ret |= metric(out, "nimbusfs_engine_events_total", "counter",
		      "Engine events received for nimbusfs's containers.",
		      atomic_load(&m->engine_events));
	ret |= metric(out, "nimbusfs_engine_containers", "gauge",
		      "Containers labelled as this nimbusfs's at the last resync.",
		      atomic_load(&m->engine_containers));
	ret |= metric(out, "nimbusfs_events_published_total", "counter",
		      "Lines published to the events streams.", events_published);
	ret |= metric(out, "nimbusfs_parked_readers", "gauge",
		      "Blocked reads waiting for data (none holds a thread).",
		      (unsigned long long)(parked > 0 ? parked : 0));
	ret |= metric(out, "nimbusfs_open_files", "gauge", "Files open on the mount.",
		      (unsigned long long)(open > 0 ? open : 0));
	ret |= metric(out, "nimbusfs_invalidations_total", "counter",
		      "Kernel cache invalidations sent for changed values.",
		      atomic_load(&m->invalidations));
	ret |= metric(out, "nimbusfs_last_errors", "gauge",
		      "last-error messages kept (each goes with its directory).",
		      (unsigned long long)(atomic_load(&m->last_errors) > 0
						   ? atomic_load(&m->last_errors)
						   : 0));
	ret |= metric(out, "nimbusfs_fuse_errors_total", "counter",
		      "Filesystem requests answered with an error.", atomic_load(&m->fuse_errors));
	ret |= nb_buf_puts(out, "# HELP nimbusfs_fuse_requests_total Filesystem requests by "
				"operation.\n# TYPE nimbusfs_fuse_requests_total counter\n");
	for (int i = 0; i < STATE_OP_COUNT; i++)
		ret |= nb_buf_printf(out, "nimbusfs_fuse_requests_total{op=\"%s\"} %llu\n",
				     op_names[i],
				     (unsigned long long)atomic_load(&m->fuse_requests[i]));
	return ret ? -ENOMEM : 0;
}
