/*
 * fs/lasterr.c - each directory's `last-error`: the reason the last
 * rejected write or mkdir/rmdir in that directory failed. Kept in memory
 * by fs/, which is where an error becomes a reply, keyed by the
 * directory's path, and dropped with the object that path named.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "backend/common/json.h"
#include "fs/fsnode.h"
#include "fs/notify.h"

struct lasterr_entry {
	char *dir;
	char *msg;
	struct timespec when;
	struct lasterr_entry *next;
};

struct fsnode_lasterr {
	pthread_mutex_t lock;
	struct lasterr_entry *head; /* protected by lock */
};

int fsnode_lasterr_new(struct fsnode_lasterr **out)
{
	struct fsnode_lasterr *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	*out = l;
	return 0;
}

void fsnode_lasterr_free(struct fsnode_lasterr *l)
{
	if (!l)
		return;
	for (struct lasterr_entry *e = l->head, *next; e; e = next) {
		next = e->next;
		free(e->dir);
		free(e->msg);
		free(e);
	}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void fsnode_dirname(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n >= len)
		n = len - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

/* The `metrics` gauge of kept messages (no daemon in unit tests). */
static void count(struct fsnode_ctx *ctx, int64_t n)
{
	if (ctx->d && n)
		atomic_fetch_add(&ctx->d->metrics.last_errors, n);
}

static struct lasterr_entry *find(struct fsnode_lasterr *l, const char *dir)
{
	for (struct lasterr_entry *e = l->head; e; e = e->next)
		if (strcmp(e->dir, dir) == 0)
			return e;
	return NULL;
}

/* msg made one readable line: control characters and bytes that are not
 * UTF-8 (a user's name or value quoted back) escaped as \n, \t or \xHH,
 * so cat never prints two lines, a terminal sequence or invalid text. */
static char *readable(const char *msg)
{
	size_t len = strlen(msg), o = 0;
	char *out = malloc(4 * len + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)msg[i];
		size_t n = json_utf8_seq(msg + i, len - i);

		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
			i++;
		} else if (n > 1) {
			memcpy(out + o, msg + i, n);
			o += n;
			i += n;
		} else if (c == '\n' || c == '\t') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : 't';
			i++;
		} else {
			o += (size_t)sprintf(out + o, "\\x%02x", c);
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

void fsnode_lasterr_set(struct fsnode_ctx *ctx, const char *dir, const char *msg)
{
	struct fsnode_lasterr *l = ctx->lasterr;
	struct lasterr_entry *e;
	char *copy = readable(msg);
	char path[4096];

	if (!copy)
		return;
	pthread_mutex_lock(&l->lock);
	e = find(l, dir);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (e)
			e->dir = strdup(dir);
		if (!e || !e->dir) {
			pthread_mutex_unlock(&l->lock);
			free(e);
			free(copy);
			return;
		}
		e->next = l->head;
		l->head = e;
		count(ctx, 1);
	}
	free(e->msg);
	e->msg = copy;
	clock_gettime(CLOCK_REALTIME, &e->when);
	pthread_mutex_unlock(&l->lock);
	snprintf(path, sizeof(path), "%s%slast-error", dir, dir[0] ? "/" : "");
	fsnode_notify_changed(ctx->notify, path);
}

void fsnode_lasterr_forget(struct fsnode_ctx *ctx, const char *path)
{
	struct fsnode_lasterr *l = ctx->lasterr;
	size_t n = strlen(path);
	int64_t dropped = 0;
	char file[4096];

	if (n == 0)
		return; /* the root is never removed */
	pthread_mutex_lock(&l->lock);
	for (struct lasterr_entry **p = &l->head, *e; (e = *p);) {
		if (strncmp(e->dir, path, n) != 0 || (e->dir[n] != '\0' && e->dir[n] != '/')) {
			p = &e->next;
			continue;
		}
		*p = e->next;
		free(e->dir);
		free(e->msg);
		free(e);
		dropped++;
	}
	pthread_mutex_unlock(&l->lock);
	count(ctx, -dropped);
	/* A new object of that name starts with an empty last-error. */
	snprintf(file, sizeof(file), "%s/last-error", path);
	if (dropped)
		fsnode_notify_changed(ctx->notify, file);
}

int fsnode_lasterr_render(struct fsnode_lasterr *l, const char *dir, struct nb_buf *out,
			  struct timespec *mtime)
{
	struct lasterr_entry *e;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	e = find(l, dir);
	if (e) {
		ret = nb_buf_printf(out, "%s\n", e->msg);
		*mtime = e->when;
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}
