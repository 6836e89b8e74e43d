/*
 * backend/ec2/instance_tags.c - an instance's tags/<key> files: EC2's
 * limits and words for keys and values, each change stored before it is
 * acknowledged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/index.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ec2/ec2_i.h"

static struct ec2_tag *tag_find(struct ec2_instance *inst, const char *key)
{
	for (size_t i = 0; i < inst->n_tags; i++)
		if (strcmp(inst->tags[i].key, key) == 0)
			return &inst->tags[i];
	return NULL;
}

bool ec2_tag_exists(struct ec2 *ec2, const char *id, const char *key)
{
	struct ec2_instance *inst;
	bool found;

	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	found = inst && tag_find(inst, key);
	pthread_mutex_unlock(&ec2->lock);
	return found;
}

int ec2_list_tags(struct ec2 *ec2, const char *id, ec2_emit_fn emit, void *ud)
{
	struct ec2_instance *inst;
	int ret = 0;

	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	for (size_t i = 0; inst && i < inst->n_tags && ret == 0; i++)
		ret = emit(ud, inst->tags[i].key);
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

int ec2_tag_render(struct ec2 *ec2, const char *id, const char *key, struct nb_buf *out,
		   struct timespec *mtime)
{
	struct ec2_instance *inst;
	struct ec2_tag *t = NULL;
	int ret = -ENOENT;

	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (inst && (t = tag_find(inst, key))) {
		*mtime = inst->mtime;
		ret = *t->value ? nb_buf_printf(out, "%s\n", t->value) : 0;
	}
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

static int tag_key_check(const char *key, struct nb_err *err)
{
	size_t len = ec2_utf8_chars(key);

	if (len == 0 || len > EC2_TAG_KEY_MAX)
		return nb_err_set(err, -EINVAL,
				  "InvalidParameterValue: a tag key is 1 to %d characters",
				  EC2_TAG_KEY_MAX);
	if (strncmp(key, "aws:", 4) == 0)
		return nb_err_set(err, -EINVAL,
				  "InvalidParameterValue: Tag keys starting with 'aws:' are "
				  "reserved for internal use");
	if (!json_utf8_valid(key, strlen(key), NULL))
		return nb_err_set(err, -EINVAL, "InvalidParameterValue: a tag key must be UTF-8");
	if (strcmp(key, EC2_TAG_RESERVED) == 0)
		return nb_err_set(err, -EINVAL,
				  "a tag called \"%s\" would hide tags/%s, where tag errors are",
				  key, key);
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return nb_err_set(err, -EINVAL,
					  "InvalidParameterValue: a tag key may not hold control "
					  "characters");
	return 0;
}

/* Stores inst with its tags changed; restores old on failure. */
static int tags_save(struct ec2 *ec2, struct ec2_instance *inst, const char *key,
		     struct nb_err *err)
{
	char path[EC2_ID_MAX + EC2_TAG_KEY_MAX + 16];
	int ret = ec2_instance_save(ec2, inst, err);

	snprintf(path, sizeof(path), "ec2/%s/tags", inst->id);
	state_hub_changed(ec2->hub, path);
	snprintf(path, sizeof(path), "ec2/%s/tags/%s", inst->id, key);
	state_hub_changed(ec2->hub, path);
	return ret;
}

static int tag_set(struct ec2 *ec2, const char *id, const char *key, const char *value,
		   bool only_new, struct nb_err *err)
{
	struct ec2_instance *inst;
	struct ec2_tag *t, *grown;
	char *copy = NULL, *kcopy = NULL, *old = NULL;
	bool added = false;
	int ret;

	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (!inst) {
		pthread_mutex_unlock(&ec2->lock);
		return nb_err_set(err, -ENOENT, "InvalidInstanceID.NotFound: %s", id);
	}
	t = tag_find(inst, key);
	if (t && only_new) {
		pthread_mutex_unlock(&ec2->lock);
		return 0;
	}
	if (!t && inst->n_tags >= EC2_TAGS_MAX) {
		pthread_mutex_unlock(&ec2->lock);
		return nb_err_set(err, -EINVAL, "TagLimitExceeded: an instance has at most %d tags",
				  EC2_TAGS_MAX);
	}
	copy = strdup(value);
	if (!t) {
		kcopy = strdup(key);
		grown = realloc(inst->tags, (inst->n_tags + 1) * sizeof(*grown));
		if (grown)
			inst->tags = grown;
		if (!copy || !kcopy || !grown) {
			free(copy);
			free(kcopy);
			pthread_mutex_unlock(&ec2->lock);
			return nb_err_set(err, -ENOMEM, "out of memory");
		}
		t = &inst->tags[inst->n_tags++];
		t->key = kcopy;
		t->value = copy;
		added = true;
	} else if (copy) {
		old = t->value;
		t->value = copy;
	} else {
		pthread_mutex_unlock(&ec2->lock);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	ret = tags_save(ec2, inst, key, err);
	if (ret < 0 && added) { /* not stored: not changed either */
		inst->n_tags--;
		free(t->key);
		free(t->value);
	} else if (ret < 0) {
		free(t->value);
		t->value = old;
		old = NULL;
	}
	free(old);
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

int ec2_tag_create(struct ec2 *ec2, const char *id, const char *key, struct nb_err *err)
{
	int ret = tag_key_check(key, err);

	return ret < 0 ? ret : tag_set(ec2, id, key, "", true, err);
}

int ec2_tag_put(struct ec2 *ec2, const char *id, const char *key, const char *value, size_t len,
		struct nb_err *err)
{
	char text[EC2_TAG_VALUE_MAX * 4 + 1];

	if (len && value[len - 1] == '\n')
		len--;
	if (len >= sizeof(text))
		return nb_err_set(err, -EINVAL,
				  "InvalidParameterValue: a tag value is at most %d characters",
				  EC2_TAG_VALUE_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return nb_err_set(err, -EINVAL,
					  "InvalidParameterValue: a tag value is one line without "
					  "control characters");
	if (!json_utf8_valid(value, len, NULL))
		return nb_err_set(err, -EINVAL, "InvalidParameterValue: a tag value must be UTF-8");
	memcpy(text, value, len);
	text[len] = '\0';
	if (ec2_utf8_chars(text) > EC2_TAG_VALUE_MAX)
		return nb_err_set(err, -EINVAL,
				  "InvalidParameterValue: a tag value is at most %d characters",
				  EC2_TAG_VALUE_MAX);
	return tag_set(ec2, id, key, text, false, err);
}

int ec2_tag_remove(struct ec2 *ec2, const char *id, const char *key, struct nb_err *err)
{
	struct ec2_instance *inst;
	struct ec2_tag *t;
	int ret = -ENOENT;

	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (inst && (t = tag_find(inst, key))) {
		struct ec2_tag gone = *t;
		size_t at = (size_t)(t - inst->tags);

		memmove(t, t + 1, (size_t)(inst->tags + inst->n_tags - (t + 1)) * sizeof(*t));
		inst->n_tags--;
		ret = tags_save(ec2, inst, key, err);
		if (ret < 0) { /* not stored: put it back */
			memmove(inst->tags + at + 1, inst->tags + at,
				(inst->n_tags - at) * sizeof(*inst->tags));
			inst->tags[at] = gone;
			inst->n_tags++;
		} else {
			free(gone.key);
			free(gone.value);
		}
	}
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}
