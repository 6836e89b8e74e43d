/*
 * backend/state/hub.h - where every state change is announced.
 * Two kinds of announcement: an event (one JSON line, kept in a ring for the
 * `events` streams) and a changed path (a file whose value changed, so the
 * filesystem can invalidate the kernel's cache and wake poll()). One
 * listener, the filesystem's notifier, receives both.
 */
#ifndef NB_STATE_HUB_H
#define NB_STATE_HUB_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "backend/common/buf.h"

#define STATE_HUB_RING 4096 /* events kept for readers that fall behind */

struct state_hub;

struct state_hub_listener {
	/* Called after an event is appended, on the publisher's thread, with no
	 * hub lock held; must not block. */
	void (*on_event)(void *ud);
	/* Called when the file at path (relative to the mount) changed. */
	void (*on_changed)(void *ud, const char *path);
	/* Called when something the backend did on its own for the object of
	 * directory dir failed (a stop the engine refused): msg is for that
	 * directory's last-error. May be NULL. */
	void (*on_error)(void *ud, const char *dir, const char *msg);
	void *ud;
};

/* Where a reader is in the event ring. A new reader starts at the head. */
struct state_hub_cursor {
	uint64_t seq; /* next event to read */
	size_t off;   /* bytes of that event's line already read */
};

int state_hub_new(struct state_hub **out);
void state_hub_free(struct state_hub *hub);

void state_hub_listen(struct state_hub *hub, const struct state_hub_listener *l);

/*
 * Publishes one event: fields (taken, may be NULL) gets "time" (RFC 3339
 * with nanoseconds), "type" and "id" first, and becomes one line. Returns 0
 * or -ENOMEM. Takes the hub lock; never blocks otherwise.
 */
int state_hub_publish(struct state_hub *hub, const char *type, const char *id, cJSON *fields);

/* Announces that the file at path changed. */
void state_hub_changed(struct state_hub *hub, const char *path);

/* Reports a failure of work no user waits for (a job's) to the directory
 * dir's readers: its last-error. Never blocks. */
void state_hub_error(struct state_hub *hub, const char *dir, const char *msg);

/* A cursor positioned at the newest end: only later events are read. */
void state_hub_cursor_init(struct state_hub *hub, struct state_hub_cursor *cur);

/*
 * Appends to out the lines from cur on, at most max bytes, optionally only
 * events whose id is id_filter; advances cur. A reader that fell more than
 * STATE_HUB_RING events behind skips to the oldest kept and a line
 * {"type":"overflow","dropped":N} tells it so. Returns bytes appended.
 */
size_t state_hub_read(struct state_hub *hub, struct state_hub_cursor *cur, const char *id_filter,
		      struct nb_buf *out, size_t max);

/* Whether state_hub_read() would return something now. */
int state_hub_pending(struct state_hub *hub, const struct state_hub_cursor *cur,
		      const char *id_filter);

/* Number of events published since start. */
uint64_t state_hub_count(struct state_hub *hub);

#endif
