/*
 * fs/inode.c - the inodes the kernel knows, by number and by path.
 * Numbers are never reused (a 64-bit counter), so a stale number from the
 * kernel can only miss, never hit another node. Lookups count references
 * as the kernel does; a node is freed when the kernel forgets it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/log.h"
#include "fs/fsnode.h"
#include "fs/openfile.h"

struct fsnode_table {
	pthread_mutex_t lock;
	struct fsnode **by_ino;	 /* protected by lock */
	struct fsnode **by_path; /* protected by lock */
	size_t nbuckets;	 /* protected by lock */
	size_t count;		 /* protected by lock */
	fuse_ino_t next_ino;	 /* protected by lock */
	struct fsnode *root;
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static size_t hash_ino(fuse_ino_t ino)
{
	return (size_t)(ino * 0x9e3779b97f4a7c15ull);
}

static void insert(struct fsnode_table *t, struct fsnode *n)
{
	size_t bi = hash_ino(n->ino) % t->nbuckets;
	size_t bp = hash_str(n->path) % t->nbuckets;

	n->next_ino = t->by_ino[bi];
	t->by_ino[bi] = n;
	n->next_path = t->by_path[bp];
	t->by_path[bp] = n;
	t->count++;
}

/* Doubles the buckets once the chains average two; on ENOMEM the table
 * just stays slower. */
static void maybe_grow(struct fsnode_table *t)
{
	struct fsnode **old_ino = t->by_ino, **old_path = t->by_path;
	size_t old_n = t->nbuckets, n = old_n * 2;

	if (t->count < old_n * 2)
		return;
	t->by_ino = calloc(n, sizeof(*t->by_ino));
	t->by_path = calloc(n, sizeof(*t->by_path));
	if (!t->by_ino || !t->by_path) {
		free(t->by_ino);
		free(t->by_path);
		t->by_ino = old_ino;
		t->by_path = old_path;
		return;
	}
	t->nbuckets = n;
	t->count = 0;
	for (size_t i = 0; i < old_n; i++) {
		for (struct fsnode *p = old_ino[i], *next; p; p = next) {
			next = p->next_ino;
			insert(t, p);
		}
	}
	free(old_ino);
	free(old_path);
}

static struct fsnode *find_path(struct fsnode_table *t, const char *path)
{
	for (struct fsnode *n = t->by_path[hash_str(path) % t->nbuckets]; n; n = n->next_path)
		if (strcmp(n->path, path) == 0)
			return n;
	return NULL;
}

static struct fsnode *find_ino(struct fsnode_table *t, fuse_ino_t ino)
{
	for (struct fsnode *n = t->by_ino[hash_ino(ino) % t->nbuckets]; n; n = n->next_ino)
		if (n->ino == ino)
			return n;
	return NULL;
}

static void node_free(struct fsnode *n)
{
	free(n->path);
	free(n->obj);
	free(n);
}

int fsnode_table_new(struct fsnode_table **out)
{
	struct fsnode_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->nbuckets = 1024;
	t->by_ino = calloc(t->nbuckets, sizeof(*t->by_ino));
	t->by_path = calloc(t->nbuckets, sizeof(*t->by_path));
	t->root = calloc(1, sizeof(*t->root));
	if (t->root) {
		t->root->path = strdup("");
		t->root->obj = strdup("");
	}
	if (!t->by_ino || !t->by_path || !t->root || !t->root->path || !t->root->obj) {
		if (t->root)
			node_free(t->root);
		t->root = NULL;
		fsnode_table_free(t);
		return -ENOMEM;
	}
	t->root->ino = FUSE_ROOT_ID;
	t->root->route = fsnode_root_route();
	t->root->nlookup = 1;
	t->next_ino = FUSE_ROOT_ID + 1;
	insert(t, t->root);
	*out = t;
	return 0;
}

void fsnode_table_free(struct fsnode_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->by_ino && i < t->nbuckets; i++) {
		for (struct fsnode *n = t->by_ino[i], *next; n; n = next) {
			next = n->next_ino;
			/* A release the kernel sent as the session ended may never
			 * have been served: its file goes with the table. */
			while (n->open_files) {
				struct fsnode_file *f = n->open_files;

				n->open_files = f->next_open;
				if (f->ph)
					fuse_pollhandle_destroy(f->ph);
				fsnode_file_free(f);
			}
			node_free(n);
		}
	}
	free(t->by_ino);
	free(t->by_path);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct fsnode *fsnode_root(struct fsnode_table *t)
{
	return t->root;
}

static char *join(const char *a, const char *b)
{
	char *out;

	if (!a[0])
		return strdup(b);
	if (asprintf(&out, "%s/%s", a, b) < 0)
		return NULL;
	return out;
}

int fsnode_table_lookup(struct fsnode_table *t, struct fsnode *parent,
			const struct fsnode_route *route, const char *name, struct fsnode **out)
{
	char *path = join(parent->path, name);
	struct fsnode *n;

	if (!path)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	n = find_path(t, path);
	if (n && n->route != route) {
		/* The same path now means another node (an object was replaced):
		 * give it a new number so the kernel drops the old one. */
		n = NULL;
	}
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&t->lock);
			free(path);
			return -ENOMEM;
		}
		n->path = path;
		path = NULL;
		n->obj = strcmp(route->name, "*") == 0 ? join(parent->obj, name)
						       : strdup(parent->obj);
		if (!n->obj) {
			pthread_mutex_unlock(&t->lock);
			node_free(n);
			return -ENOMEM;
		}
		n->route = route;
		n->ino = t->next_ino++;
		maybe_grow(t);
		insert(t, n);
	}
	n->nlookup++;
	pthread_mutex_unlock(&t->lock);
	free(path);
	*out = n;
	return 0;
}

struct fsnode *fsnode_table_get(struct fsnode_table *t, fuse_ino_t ino)
{
	struct fsnode *n;

	if (ino == FUSE_ROOT_ID)
		return t->root;
	pthread_mutex_lock(&t->lock);
	n = find_ino(t, ino);
	pthread_mutex_unlock(&t->lock);
	return n;
}

static void unlink_node(struct fsnode_table *t, struct fsnode *n)
{
	struct fsnode **pp;

	for (pp = &t->by_ino[hash_ino(n->ino) % t->nbuckets]; *pp; pp = &(*pp)->next_ino) {
		if (*pp == n) {
			*pp = n->next_ino;
			break;
		}
	}
	for (pp = &t->by_path[hash_str(n->path) % t->nbuckets]; *pp; pp = &(*pp)->next_path) {
		if (*pp == n) {
			*pp = n->next_path;
			break;
		}
	}
	t->count--;
}

void fsnode_table_forget(struct fsnode_table *t, fuse_ino_t ino, uint64_t nlookup)
{
	struct fsnode *n;

	if (ino == FUSE_ROOT_ID)
		return;
	pthread_mutex_lock(&t->lock);
	n = find_ino(t, ino);
	if (n) {
		n->nlookup = n->nlookup > nlookup ? n->nlookup - nlookup : 0;
		if (n->nlookup == 0 && !n->open_files)
			unlink_node(t, n);
		else
			n = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	if (n)
		node_free(n);
}

fuse_ino_t fsnode_table_ino_of(struct fsnode_table *t, const char *path)
{
	struct fsnode *n;
	fuse_ino_t ino;

	pthread_mutex_lock(&t->lock);
	n = find_path(t, path);
	ino = n ? n->ino : 0;
	pthread_mutex_unlock(&t->lock);
	return ino;
}

void fsnode_table_changed(struct fsnode_table *t, const char *path)
{
	struct fsnode *n;

	pthread_mutex_lock(&t->lock);
	n = find_path(t, path);
	if (n) {
		n->change_gen++;
		for (struct fsnode_file *f = n->open_files; f; f = f->next_open) {
			if (f->ph) {
				fuse_lowlevel_notify_poll(f->ph);
				fuse_pollhandle_destroy(f->ph);
				f->ph = NULL;
			}
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void fsnode_table_attach(struct fsnode_table *t, struct fsnode_file *f)
{
	pthread_mutex_lock(&t->lock);
	f->next_open = f->node->open_files;
	f->node->open_files = f;
	f->gen_at_render = f->node->change_gen;
	pthread_mutex_unlock(&t->lock);
}

void fsnode_table_detach(struct fsnode_table *t, struct fsnode_file *f)
{
	struct fsnode *n = f->node, *dead = NULL;

	pthread_mutex_lock(&t->lock);
	for (struct fsnode_file **pp = &n->open_files; *pp; pp = &(*pp)->next_open) {
		if (*pp == f) {
			*pp = f->next_open;
			break;
		}
	}
	if (f->ph) {
		fuse_pollhandle_destroy(f->ph);
		f->ph = NULL;
	}
	/* A node forgotten while open is freed by its last release. */
	if (n != t->root && n->nlookup == 0 && !n->open_files) {
		unlink_node(t, n);
		dead = n;
	}
	pthread_mutex_unlock(&t->lock);
	if (dead)
		node_free(dead);
}

uint64_t fsnode_table_poll(struct fsnode_table *t, struct fsnode_file *f,
			   struct fuse_pollhandle *ph)
{
	uint64_t gen;

	pthread_mutex_lock(&t->lock);
	if (ph) {
		if (f->ph)
			fuse_pollhandle_destroy(f->ph);
		f->ph = ph;
	}
	gen = f->node->change_gen;
	pthread_mutex_unlock(&t->lock);
	return gen;
}

uint64_t fsnode_table_gen(struct fsnode_table *t, const struct fsnode *node)
{
	uint64_t gen;

	pthread_mutex_lock(&t->lock);
	gen = node->change_gen;
	pthread_mutex_unlock(&t->lock);
	return gen;
}
