/*
 * backend/state/registry.c - JSON records by kind and id, in memory and in
 * the state dir. Each record keeps its formatted text, so a read is a copy
 * and costs the same with 10 or 10,000 records (an index per kind finds it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "backend/common/cleanup.h"
#include "backend/common/index.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/state/atomic.h"
#include "backend/state/registry.h"

#define RECORD_MAX (16u << 20)
/* The longest id whose "<id>.json.tmp" still fits in a file name. */
#define ID_FILE_MAX STATE_REGISTRY_RECORD_ID_MAX
/* A longer id's file name, before ".json": '~' and its SHA-256 in hex. */
#define HASHED_LEN (1 + 2 * 32)
/* Room for a record's file name, "<id>.json" or "~<hex>.json", and NUL. */
#define FILE_NAME_SIZE (ID_FILE_MAX + sizeof(".json"))

struct record {
	char *id;
	cJSON *doc;
	char *text; /* formatted doc + "\n" */
	size_t text_len;
	struct timespec mtime;
	struct nb_index_link ix;    /* by id */
	struct record *prev, *next; /* insertion order */
};

struct kind {
	char *name;
	struct nb_index index;
	size_t count;
	struct record *first, *last;
	struct kind *next;
};

struct state_registry {
	pthread_mutex_t lock;
	struct state_dir *dir;
	struct kind *kinds; /* protected by lock */
};

int state_registry_new(struct state_dir *dir, struct state_registry **out)
{
	struct state_registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return -ENOMEM;
	pthread_mutex_init(&reg->lock, NULL);
	reg->dir = dir;
	*out = reg;
	return 0;
}

static void record_free(struct record *r)
{
	free(r->id);
	cJSON_Delete(r->doc);
	free(r->text);
	free(r);
}

void state_registry_free(struct state_registry *reg)
{
	if (!reg)
		return;
	for (struct kind *k = reg->kinds, *knext; k; k = knext) {
		knext = k->next;
		for (struct record *r = k->first, *next; r; r = next) {
			next = r->next;
			record_free(r);
		}
		nb_index_free(&k->index);
		free(k->name);
		free(k);
	}
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

static struct kind *kind_find(struct state_registry *reg, const char *name, bool create)
{
	struct kind *k;

	for (k = reg->kinds; k; k = k->next)
		if (strcmp(k->name, name) == 0)
			return k;
	if (!create)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->name = strdup(name);
	if (!k->name) {
		free(k);
		return NULL;
	}
	k->next = reg->kinds;
	reg->kinds = k;
	return k;
}

static struct record *record_find(struct kind *k, const char *id)
{
	return k ? nb_index_find(&k->index, id, struct record, ix) : NULL;
}

static void record_link(struct kind *k, struct record *r)
{
	nb_index_add(&k->index, &r->ix, r->id);
	r->prev = k->last;
	if (k->last)
		k->last->next = r;
	else
		k->first = r;
	k->last = r;
	k->count++;
}

static void record_unlink(struct kind *k, struct record *r)
{
	nb_index_remove(&k->index, &r->ix);
	if (r->prev)
		r->prev->next = r->next;
	else
		k->first = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		k->last = r->prev;
	k->count--;
}

static bool name_valid(const char *s, size_t max)
{
	size_t len = strlen(s);

	return len > 0 && len <= max && !strchr(s, '/') && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0;
}

/* Whether name (len bytes) is a hashed file name, less ".json". */
static bool hashed_name(const char *name, size_t len)
{
	if (len != HASHED_LEN || name[0] != '~')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

/* An id may not look like a hashed file name: its own file would be one
 * a long id may need. No service makes such ids. */
static bool id_valid(const char *id)
{
	return name_valid(id, STATE_REGISTRY_LONG_ID_MAX) && !hashed_name(id, strlen(id));
}

/* id's file name in its kind's directory: "<id>.json" when that fits,
 * else "~<sha256 hex>.json". Returns whether it is hashed, or -ENOMEM. */
static int record_file(const char *id, char out[FILE_NAME_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t len = strlen(id);

	if (len <= ID_FILE_MAX) {
		snprintf(out, FILE_NAME_SIZE, "%s.json", id);
		return 0;
	}
	if (!EVP_Digest(id, len, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
		return -ENOMEM; /* OpenSSL fails only for lack of memory */
	out[0] = '~';
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	snprintf(out + HASHED_LEN, FILE_NAME_SIZE - HASHED_LEN, ".json");
	return 1;
}

/* What a hashed file holds: {"id": id, "record": doc}, formatted, plus a
 * newline (*out malloc'd). */
static int hashed_text(const char *id, const cJSON *doc, char **out, size_t *len)
{
	cleanup_cjson cJSON *wrap = cJSON_CreateObject();
	char *text;

	/* A reference: printing the wrapper does not copy doc first. */
	if (!wrap || json_add_str(wrap, "id", id) < 0 ||
	    !cJSON_AddItemReferenceToObject(wrap, "record", (cJSON *)doc))
		return -ENOMEM;
	text = cJSON_Print(wrap);
	if (!text)
		return -ENOMEM;
	*len = strlen(text);
	*out = malloc(*len + 2);
	if (*out) {
		memcpy(*out, text, *len);
		(*out)[(*len)++] = '\n';
		(*out)[*len] = '\0';
	}
	free(text);
	return *out ? 0 : -ENOMEM;
}

/* A record ready to link: the document and its text, not yet in a kind. */
static struct record *record_new(const char *id, cJSON *doc)
{
	struct record *r = calloc(1, sizeof(*r));
	char *text;

	if (!r)
		return NULL;
	r->doc = doc;
	r->id = strdup(id);
	text = cJSON_Print(doc);
	if (text) {
		r->text_len = strlen(text);
		r->text = malloc(r->text_len + 2);
		if (r->text) {
			memcpy(r->text, text, r->text_len);
			r->text[r->text_len++] = '\n';
			r->text[r->text_len] = '\0';
		}
		free(text);
	}
	if (!r->id || !r->text) {
		r->doc = NULL;
		record_free(r);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &r->mtime);
	return r;
}

/* Opens (creating) the kind's directory in the state dir. */
static int kind_dirfd(struct state_registry *reg, const char *kind, struct nb_err *err)
{
	int fd;

	if (mkdirat(reg->dir->dirfd, kind, 0700) < 0 && errno != EEXIST)
		return nb_err_set(err, -errno, "cannot create %s/%s: %s", reg->dir->path, kind,
				  strerror(errno));
	fd = openat(reg->dir->dirfd, kind, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nb_err_set(err, -errno, "cannot open %s/%s: %s", reg->dir->path, kind,
				  strerror(errno));
	return fd;
}

int state_registry_put(struct state_registry *reg, const char *kind, const char *id,
		       const cJSON *doc, struct nb_err *err)
{
	return state_registry_put_flags(reg, kind, id, doc, 0, err);
}

int state_registry_put_flags(struct state_registry *reg, const char *kind, const char *id,
			     const cJSON *doc, unsigned flags, struct nb_err *err)
{
	cleanup_close int dirfd = -1;
	cleanup_free char *wrapped = NULL;
	char file[FILE_NAME_SIZE];
	struct record *r, *old;
	struct kind *k;
	size_t wrapped_len = 0;
	cJSON *copy;
	int ret;

	if (!name_valid(kind, STATE_REGISTRY_ID_MAX) || !id_valid(id))
		return nb_err_set(err, -EINVAL, "invalid record name %s/%s", kind, id);
	copy = cJSON_Duplicate(doc, true);
	r = copy ? record_new(id, copy) : NULL;
	if (!r) {
		cJSON_Delete(copy);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	ret = record_file(id, file);
	if (ret > 0)
		ret = hashed_text(id, r->doc, &wrapped, &wrapped_len);
	if (ret < 0) {
		record_free(r);
		return nb_err_set(err, ret, "out of memory");
	}
	dirfd = kind_dirfd(reg, kind, err);
	if (dirfd < 0) {
		record_free(r);
		return dirfd;
	}
	/* Disk first: if it fails, memory still says what disk says. */
	pthread_mutex_lock(&reg->lock);
	ret = state_write_atomic_flags(dirfd, file, wrapped ? wrapped : r->text,
				       wrapped ? wrapped_len : r->text_len, 0600, flags, err);
	k = ret == 0 ? kind_find(reg, kind, true) : NULL;
	if (ret == 0 && !k)
		ret = nb_err_set(err, -ENOMEM, "out of memory");
	if (ret < 0) {
		pthread_mutex_unlock(&reg->lock);
		record_free(r);
		return ret;
	}
	old = record_find(k, id);
	if (old) {
		/* Keep its place in the listing order. */
		cJSON_Delete(old->doc);
		free(old->text);
		old->doc = r->doc;
		old->text = r->text;
		old->text_len = r->text_len;
		old->mtime = r->mtime;
		r->doc = NULL;
		r->text = NULL;
	} else {
		record_link(k, r);
		r = NULL;
	}
	pthread_mutex_unlock(&reg->lock);
	if (r)
		record_free(r);
	return 0;
}

int state_registry_remove(struct state_registry *reg, const char *kind, const char *id,
			  struct nb_err *err)
{
	char path[STATE_REGISTRY_ID_MAX + 1 + FILE_NAME_SIZE], file[FILE_NAME_SIZE];
	struct record *r;
	struct kind *k;
	int ret;

	if (!name_valid(kind, STATE_REGISTRY_ID_MAX) || !id_valid(id))
		return nb_err_set(err, -ENOENT, "no record %s/%s", kind, id);
	ret = record_file(id, file);
	if (ret < 0)
		return nb_err_set(err, ret, "out of memory");
	snprintf(path, sizeof(path), "%s/%s", kind, file);
	pthread_mutex_lock(&reg->lock);
	k = kind_find(reg, kind, false);
	r = record_find(k, id);
	if (!r) {
		pthread_mutex_unlock(&reg->lock);
		return nb_err_set(err, -ENOENT, "no record %s/%s", kind, id);
	}
	if (unlinkat(reg->dir->dirfd, path, 0) < 0 && errno != ENOENT) {
		int saved = errno;

		pthread_mutex_unlock(&reg->lock);
		return nb_err_set(err, -saved, "cannot remove %s from the state dir: %s", path,
				  strerror(saved));
	}
	record_unlink(k, r);
	pthread_mutex_unlock(&reg->lock);
	record_free(r);
	return 0;
}

int state_registry_get(struct state_registry *reg, const char *kind, const char *id, cJSON **out)
{
	struct record *r;
	int ret = 0;

	pthread_mutex_lock(&reg->lock);
	r = record_find(kind_find(reg, kind, false), id);
	if (!r)
		ret = -ENOENT;
	else if (!(*out = cJSON_Duplicate(r->doc, true)))
		ret = -ENOMEM;
	pthread_mutex_unlock(&reg->lock);
	return ret;
}

int state_registry_render(struct state_registry *reg, const char *kind, const char *id,
			  struct nb_buf *out, struct timespec *mtime)
{
	struct record *r;
	int ret = -ENOENT;

	pthread_mutex_lock(&reg->lock);
	r = record_find(kind_find(reg, kind, false), id);
	if (r) {
		ret = nb_buf_append(out, r->text, r->text_len);
		*mtime = r->mtime;
	}
	pthread_mutex_unlock(&reg->lock);
	return ret;
}

int state_registry_exists(struct state_registry *reg, const char *kind, const char *id)
{
	int found;

	pthread_mutex_lock(&reg->lock);
	found = record_find(kind_find(reg, kind, false), id) != NULL;
	pthread_mutex_unlock(&reg->lock);
	return found;
}

int state_registry_list(struct state_registry *reg, const char *kind,
			int (*emit)(void *ud, const char *id), void *ud)
{
	struct kind *k;
	int ret = 0;

	pthread_mutex_lock(&reg->lock);
	k = kind_find(reg, kind, false);
	for (struct record *r = k ? k->first : NULL; r && ret == 0; r = r->next)
		ret = emit(ud, r->id);
	pthread_mutex_unlock(&reg->lock);
	return ret;
}

size_t state_registry_count(struct state_registry *reg, const char *kind)
{
	struct kind *k;
	size_t n;

	pthread_mutex_lock(&reg->lock);
	k = kind_find(reg, kind, false);
	n = k ? k->count : 0;
	pthread_mutex_unlock(&reg->lock);
	return n;
}

/* The id and record of a hashed file's document (taken apart: *doc is
 * the record, detached), if it is one and file is that id's name. */
static int unwrap(const char *file, cJSON *wrap, char **id, cJSON **doc)
{
	const cJSON *jid = cJSON_GetObjectItemCaseSensitive(wrap, "id");
	char want[FILE_NAME_SIZE];

	if (!cJSON_IsString(jid) || !id_valid(jid->valuestring) ||
	    !cJSON_GetObjectItemCaseSensitive(wrap, "record"))
		return -EINVAL;
	if (record_file(jid->valuestring, want) != 1 || strcmp(want, file) != 0)
		return -EINVAL; /* renamed, or a short id: not where it belongs */
	*id = strdup(jid->valuestring);
	if (!*id)
		return -ENOMEM;
	*doc = cJSON_DetachItemFromObjectCaseSensitive(wrap, "record");
	return 0;
}

static int load_one(struct kind *k, int dirfd, const char *file)
{
	cleanup_free char *text = NULL;
	cleanup_free char *id = NULL;
	struct nb_err err = { 0 };
	size_t len = strlen(file), tlen;
	struct record *r;
	cJSON *doc;
	struct stat st;
	bool hashed;

	if (len <= 5 || len - 5 > ID_FILE_MAX || strcmp(file + len - 5, ".json") != 0)
		return 0; /* temp files and strangers */
	hashed = hashed_name(file, len - 5);
	if (!hashed) {
		id = strndup(file, len - 5);
		if (!id)
			return -ENOMEM;
		if (!id_valid(id))
			return 0; /* "..json" and the like: no put or remove could name it */
	}
	if (state_read_file(dirfd, file, RECORD_MAX, &text, &tlen, &err) < 0) {
		log_warn("state: skipping %s/%s: %s", k->name, file, err.msg);
		return 0;
	}
	doc = cJSON_ParseWithLength(text, tlen);
	if (!doc) {
		log_warn("state: skipping %s/%s: not JSON", k->name, file);
		return 0;
	}
	if (hashed) {
		cJSON *wrap = doc;
		int ret = unwrap(file, wrap, &id, &doc);

		cJSON_Delete(wrap);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0) {
			log_warn("state: skipping %s/%s: not the record of the id it names",
				 k->name, file);
			return 0;
		}
	}
	r = record_new(id, doc);
	if (!r) {
		cJSON_Delete(doc);
		return -ENOMEM;
	}
	if (fstatat(dirfd, file, &st, 0) == 0)
		r->mtime = st.st_mtim;
	if (record_find(k, id)) {
		record_free(r);
		return 0;
	}
	record_link(k, r);
	return 1;
}

int state_registry_load(struct state_registry *reg, const char *kind, struct nb_err *err)
{
	cleanup_close int dirfd = kind_dirfd(reg, kind, err);
	struct dirent **names = NULL;
	struct kind *k;
	int n, loaded = 0, ret = 0;

	if (dirfd < 0)
		return dirfd;
	/* Sorted by name, so records load (and list) in a stable order. */
	n = scandirat(dirfd, ".", &names, NULL, alphasort);
	if (n < 0)
		return nb_err_set(err, -errno, "cannot list %s/%s: %s", reg->dir->path, kind,
				  strerror(errno));
	pthread_mutex_lock(&reg->lock);
	k = kind_find(reg, kind, true);
	for (int i = 0; i < n; i++) {
		if (k && ret >= 0) {
			ret = load_one(k, dirfd, names[i]->d_name);
			if (ret > 0)
				loaded++;
		}
		free(names[i]);
	}
	pthread_mutex_unlock(&reg->lock);
	free(names);
	if (!k || ret < 0)
		return nb_err_set(err, -ENOMEM, "out of memory loading %s", kind);
	return loaded;
}

static int collect_id(void *ud, const char *id)
{
	return json_array_add_str(ud, id);
}

int state_registry_load_ids(struct state_registry *reg, const char *kind, cJSON **out,
			    struct nb_err *err)
{
	cJSON *ids;
	int ret = state_registry_load(reg, kind, err);

	*out = NULL;
	if (ret < 0)
		return ret;
	ids = cJSON_CreateArray();
	ret = ids ? state_registry_list(reg, kind, collect_id, ids) : -ENOMEM;
	if (ret < 0) {
		cJSON_Delete(ids);
		return nb_err_set(err, ret, "out of memory loading %s", kind);
	}
	*out = ids;
	return 0;
}
