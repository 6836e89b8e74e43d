/*
 * backend/common/index.h - the one hash index every kind of object is
 * found by (tasks, definitions, secrets, functions, instances, AMIs,
 * subnets, registry records), so finding one costs the same with 10 or
 * 10,000 of its kind. Intrusive: an object embeds a struct nb_index_link
 * and is found by a string key it owns. Adding never fails (an index
 * that cannot grow stays correct, only slower), so no caller has an
 * error path for it. No lock of its own: the owner's lock guards it. The
 * index holds no order; owners keep their own lists for listing order.
 */
#ifndef NB_COMMON_INDEX_H
#define NB_COMMON_INDEX_H

#include <stddef.h>

struct nb_index_link {
	struct nb_index_link *next; /* bucket chain */
	const char *key;	    /* the object's own key: unchanged while indexed */
	size_t hash;
};

/* A zeroed struct nb_index is an empty index. */
struct nb_index {
	struct nb_index_link **buckets; /* NULL until the first growth */
	struct nb_index_link *one;	/* the only bucket while buckets is NULL */
	size_t nbuckets, count;
};

/* FNV-1a of a NUL-terminated string. */
size_t nb_hash_str(const char *s);

/* Indexes link under key (which must outlive the entry). A key added
 * twice is found once, either entry: owners check before adding. */
void nb_index_add(struct nb_index *ix, struct nb_index_link *link, const char *key);
/* Removes link (a no-op when it is not indexed). */
void nb_index_remove(struct nb_index *ix, struct nb_index_link *link);
/* The entry added under key, or NULL. */
struct nb_index_link *nb_index_get(const struct nb_index *ix, const char *key);
/* Frees the bucket array; the objects are the owner's. Leaves it empty. */
void nb_index_free(struct nb_index *ix);

/* The object of type that embeds member, found under key; NULL if none. */
#define nb_index_find(ix, key, type, member)                                                       \
	({                                                                                         \
		struct nb_index_link *nb_index_l_ = nb_index_get((ix), (key));                     \
		nb_index_l_ ? (type *)((char *)nb_index_l_ - offsetof(type, member))               \
			    : (type *)NULL;                                                        \
	})

#endif
