/*
 * tests/fuzz/fuzz_router.c - path routing with arbitrary names: the input
 * is a path ('/' and NUL separate components, as the kernel hands FUSE
 * one name per LOOKUP), walked from the root the way ops.c's lookup walks
 * it: fsnode_route_match() for each name, then the inode table
 * (fsnode_table_lookup) that builds each node's path and object names.
 * Every node's path is its parent's joined with the name, its obj grows
 * only through "*" routes, the table finds it again by number and by
 * path, and fsnode_dirname() of its path is its parent's path. The table
 * lives across inputs, as the daemon's does; each input forgets what it
 * looked up, so it ends with the root alone again.
 */
#include "fs/fsnode.h"
#include "tests/fuzz/fuzz.h"

#define DEPTH_MAX 64

static struct fsnode_table *table;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if (fsnode_table_new(&table) < 0)
		abort();
	return 0;
}

static void check_route(const struct fsnode_route *r, enum fsnode_type parent, const char *name)
{
	const struct fsnode_route *it;
	bool seen = false, star_after = false;

	FUZZ_CHECK(r->parent == parent, "route of another parent");
	FUZZ_CHECK(strcmp(r->name, name) == 0 || strcmp(r->name, "*") == 0,
		   "\"%s\" matched route \"%s\"", name, r->name);
	FUZZ_CHECK(r->ops != NULL && r->type > FSNODE_ROOT && r->type < FSNODE_TYPE_COUNT,
		   "route for \"%s\" has no ops or type %d", name, (int)r->type);
	for (it = fsnode_route_next(parent, NULL); it; it = fsnode_route_next(parent, it)) {
		FUZZ_CHECK(it->parent == parent, "iteration left its parent");
		if (it == r)
			seen = true;
		else if (seen && strcmp(it->name, "*") == 0)
			star_after = true;
		/* A fixed name matches its own route, never a "*" one. */
		if (!seen && strcmp(it->name, "*") != 0)
			FUZZ_CHECK(strcmp(it->name, name) != 0, "\"%s\" skipped its fixed route",
				   name);
	}
	FUZZ_CHECK(seen, "a matched route is not among its parent's");
	FUZZ_CHECK(fsnode_route_ambiguous(r) == (strcmp(r->name, "*") == 0 && star_after),
		   "ambiguous(\"%s\")", r->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fsnode *chain[DEPTH_MAX + 1];
	char *path = fuzz_copy(data, size), *p, *end, dir[4096];
	size_t depth = 0;

	if (!path)
		return 0;
	chain[0] = fsnode_root(table);
	for (p = path, end = path + size; p <= end && depth < DEPTH_MAX;) {
		char *sep = p, *name;
		const struct fsnode_route *r;
		struct fsnode *parent = chain[depth], *n = NULL;
		size_t plen;

		while (sep < end && *sep != '/' && *sep != '\0')
			sep++;
		name = fuzz_cstr((const uint8_t *)p, (size_t)(sep - p));
		p = sep + 1;
		if (!name)
			break;
		r = fsnode_route_match(parent->route->type, name);
		if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			FUZZ_CHECK(r == NULL, "\"%s\" matched a route", name);
		if (!r) {
			free(name);
			if (sep >= end)
				break;
			continue; /* the kernel would stop here; try the next name */
		}
		check_route(r, parent->route->type, name);
		if (fsnode_table_lookup(table, parent, r, name, &n) < 0) {
			free(name);
			break;
		}
		plen = strlen(parent->path);
		FUZZ_CHECK(strncmp(n->path, parent->path, plen) == 0 &&
				   strcmp(n->path + plen + (plen ? 1 : 0), name) == 0 &&
				   (!plen || n->path[plen] == '/'),
			   "path \"%s\" of \"%s\" under \"%s\"", n->path, name, parent->path);
		if (strcmp(r->name, "*") == 0)
			FUZZ_CHECK(strlen(n->obj) > strlen(parent->obj), "obj \"%s\" did not grow",
				   n->obj);
		else
			FUZZ_CHECK(strcmp(n->obj, parent->obj) == 0, "obj \"%s\" changed to \"%s\"",
				   parent->obj, n->obj);
		FUZZ_CHECK(fsnode_table_get(table, n->ino) == n, "ino %lu lost",
			   (unsigned long)n->ino);
		FUZZ_CHECK(fsnode_table_ino_of(table, n->path) == n->ino, "path %s lost", n->path);
		fsnode_dirname(n->path, dir, sizeof(dir));
		FUZZ_CHECK(strlen(n->path) >= sizeof(dir) || strcmp(dir, parent->path) == 0,
			   "dirname(\"%s\") = \"%s\"", n->path, dir);
		chain[++depth] = n;
		free(name);
		if (n->route->kind != FSNODE_DIR)
			break; /* a file has no children */
	}
	/* The kernel forgets in any order; children first here. */
	while (depth > 0) {
		fuse_ino_t ino = chain[depth--]->ino;

		fsnode_table_forget(table, ino, 1);
	}
	free(path);
	return 0;
}
