/*
 * backend/common/index.c - a chained hash index keyed by strings: the
 * chains average at most two entries, so a lookup is one hash and a
 * strcmp or two whatever the count. Growth doubles the bucket array and
 * rehashes from the stored hashes.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/common/index.h"

#define INDEX_FIRST_BUCKETS 64

size_t nb_hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static struct nb_index_link **bucket_of(const struct nb_index *ix, size_t hash)
{
	if (!ix->buckets)
		return (struct nb_index_link **)&ix->one;
	return &ix->buckets[hash % ix->nbuckets];
}

/* Past two entries a bucket on average, doubles the buckets. On ENOMEM
 * the chains just get longer. */
static void grow(struct nb_index *ix)
{
	size_t have = ix->buckets ? ix->nbuckets : 1;
	size_t n = ix->buckets ? ix->nbuckets * 2 : INDEX_FIRST_BUCKETS;
	struct nb_index_link **b;

	if (ix->count <= have * 2)
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < have; i++) {
		struct nb_index_link *l = ix->buckets ? ix->buckets[i] : ix->one, *next;

		for (; l; l = next) {
			next = l->next;
			l->next = b[l->hash % n];
			b[l->hash % n] = l;
		}
	}
	free(ix->buckets);
	ix->buckets = b;
	ix->one = NULL;
	ix->nbuckets = n;
}

void nb_index_add(struct nb_index *ix, struct nb_index_link *link, const char *key)
{
	struct nb_index_link **head;

	link->key = key;
	link->hash = nb_hash_str(key);
	head = bucket_of(ix, link->hash);
	link->next = *head;
	*head = link;
	ix->count++;
	grow(ix);
}

void nb_index_remove(struct nb_index *ix, struct nb_index_link *link)
{
	if (!link->key)
		return;
	for (struct nb_index_link **pp = bucket_of(ix, link->hash); *pp; pp = &(*pp)->next)
		if (*pp == link) {
			*pp = link->next;
			ix->count--;
			break;
		}
	link->next = NULL;
	link->key = NULL;
}

struct nb_index_link *nb_index_get(const struct nb_index *ix, const char *key)
{
	size_t h = nb_hash_str(key);

	for (struct nb_index_link *l = *bucket_of(ix, h); l; l = l->next)
		if (l->hash == h && strcmp(l->key, key) == 0)
			return l;
	return NULL;
}

void nb_index_free(struct nb_index *ix)
{
	free(ix->buckets);
	memset(ix, 0, sizeof(*ix));
}
