/*
 * backend/ec2/request_tags.c - RunInstances' TagSpecifications: resource
 * types, keys and values in EC2's limits and words.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/json.h"
#include "backend/ec2/request_i.h"

/* tags */

static int tag_error(struct parse *ps, size_t spec, size_t tag, const char *what)
{
	return nb_err_set(ps->err, -EINVAL,
			  "InvalidParameterValue: %s (TagSpecifications[%zu].Tags[%zu])", what,
			  spec, tag);
}

static int add_tag(struct parse *ps, const char *key, const char *value)
{
	struct ec2_run_req *r = ps->r;
	struct ec2_tag *grown = realloc(r->tags, (r->n_tags + 1) * sizeof(*grown));
	char *k, *val;

	if (!grown)
		return nb_err_set(ps->err, -ENOMEM, "out of memory");
	r->tags = grown;
	k = strdup(key);
	val = strdup(value);
	if (!k || !val) {
		free(k);
		free(val);
		return nb_err_set(ps->err, -ENOMEM, "out of memory");
	}
	r->tags[r->n_tags].key = k;
	r->tags[r->n_tags].value = val;
	r->n_tags++;
	return 0;
}

/* One {Key, Value}; keys[] holds the spec's keys so far. */
static int one_tag(struct parse *ps, size_t si, size_t ti, const cJSON *t, const char **keys,
		   bool keep)
{
	const cJSON *m, *k = NULL, *val = NULL;
	char path[96];
	int ret;

	snprintf(path, sizeof(path), "TagSpecifications[%zu].Tags[%zu]", si, ti);
	if ((ret = ec2_req_want(ps, path, t, K_DICT)) < 0)
		return ret;
	cJSON_ArrayForEach(m, t)
	{
		if (strcmp(m->string, "Key") == 0)
			k = m;
		else if (strcmp(m->string, "Value") == 0)
			val = m;
		else
			return nb_err_set(ps->err, -EINVAL,
					  "Unknown parameter in %s: \"%.64s\", must be one of: "
					  "Key, Value",
					  path, m->string);
	}
	if (k && !cJSON_IsNull(k)) {
		snprintf(path, sizeof(path), "TagSpecifications[%zu].Tags[%zu].Key", si, ti);
		if ((ret = ec2_req_want(ps, path, k, K_STR)) < 0)
			return ret;
	}
	if (val && !cJSON_IsNull(val)) {
		snprintf(path, sizeof(path), "TagSpecifications[%zu].Tags[%zu].Value", si, ti);
		if ((ret = ec2_req_want(ps, path, val, K_STR)) < 0)
			return ret;
	}
	if (!k || cJSON_IsNull(k) || !k->valuestring[0])
		return tag_error(ps, si, ti, "Tag key must not be empty");
	if (ec2_utf8_chars(k->valuestring) > EC2_TAG_KEY_MAX)
		return tag_error(ps, si, ti,
				 "Tag key exceeds the maximum length of 128 characters");
	if (strncasecmp(k->valuestring, "aws:", 4) == 0)
		return tag_error(ps, si, ti,
				 "Tag keys starting with 'aws:' are reserved for internal use");
	if (val && cJSON_IsString(val) && ec2_utf8_chars(val->valuestring) > EC2_TAG_VALUE_MAX)
		return tag_error(ps, si, ti,
				 "Tag value exceeds the maximum length of 256 characters");
	for (size_t i = 0; i < ti; i++)
		if (strcmp(keys[i], k->valuestring) == 0)
			return nb_err_set(ps->err, -EINVAL,
					  "InvalidParameterValue: Duplicate tag key '%s' specified "
					  "(TagSpecifications[%zu].Tags[%zu])",
					  k->valuestring, si, ti);
	keys[ti] = k->valuestring;
	if (!keep)
		return 0;
	return add_tag(ps, k->valuestring, val && cJSON_IsString(val) ? val->valuestring : "");
}

static int one_spec(struct parse *ps, size_t si, const cJSON *spec)
{
	const cJSON *m, *type = NULL, *tags = NULL, *t;
	const char *keys[EC2_TAGS_MAX];
	char path[64];
	bool keep, *seen;
	size_t ti = 0;
	int ret;

	snprintf(path, sizeof(path), "TagSpecifications[%zu]", si);
	if ((ret = ec2_req_want(ps, path, spec, K_DICT)) < 0)
		return ret;
	cJSON_ArrayForEach(m, spec)
	{
		if (strcmp(m->string, "ResourceType") == 0)
			type = m;
		else if (strcmp(m->string, "Tags") == 0)
			tags = m;
		else
			return nb_err_set(ps->err, -EINVAL,
					  "Unknown parameter in %s: \"%.64s\", must be one of: "
					  "ResourceType, Tags",
					  path, m->string);
	}
	if (type && !cJSON_IsNull(type)) {
		snprintf(path, sizeof(path), "TagSpecifications[%zu].ResourceType", si);
		if ((ret = ec2_req_want(ps, path, type, K_STR)) < 0)
			return ret;
	}
	if (tags && !cJSON_IsNull(tags)) {
		snprintf(path, sizeof(path), "TagSpecifications[%zu].Tags", si);
		if ((ret = ec2_req_want(ps, path, tags, K_LIST)) < 0)
			return ret;
	}
	if (!type || cJSON_IsNull(type) || !type->valuestring[0])
		return nb_err_set(
			ps->err, -EINVAL,
			"InvalidParameterValue: Tag specification resource type must have "
			"a value (TagSpecifications[%zu].ResourceType)",
			si);
	if (strcmp(type->valuestring, "instance") == 0)
		seen = &ps->tagged_instance;
	else if (strcmp(type->valuestring, "volume") == 0)
		seen = &ps->tagged_volume;
	else
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterValue: '%.64s' is not a valid taggable resource "
				  "type for this operation.",
				  type->valuestring);
	if (*seen)
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterValue: The same resource type may not be "
				  "specified more than once in tag specifications.");
	*seen = true;
	keep = seen == &ps->tagged_instance;
	if (!tags || cJSON_GetArraySize(tags) == 0)
		return nb_err_set(ps->err, -EINVAL,
				  "InvalidParameterValue: Tag specification must have at least one "
				  "tag (TagSpecifications[%zu].Tags)",
				  si);
	if (cJSON_GetArraySize(tags) > EC2_TAGS_MAX)
		return nb_err_set(
			ps->err, -EINVAL,
			"TagLimitExceeded: The maximum number of Tags for a resource has "
			"been reached. (TagSpecifications[%zu].Tags holds %d; at most %d)",
			si, cJSON_GetArraySize(tags), EC2_TAGS_MAX);
	cJSON_ArrayForEach(t, tags)
	{
		if ((ret = one_tag(ps, si, ti, t, keys, keep)) < 0)
			return ret;
		ti++;
	}
	return 0;
}

int ec2_req_tags(struct parse *ps, const char *key, const cJSON *v)
{
	const cJSON *spec;
	size_t si = 0;
	int ret;

	(void)key;
	cJSON_ArrayForEach(spec, v)
	{
		if ((ret = one_spec(ps, si++, spec)) < 0)
			return ret;
	}
	return 0;
}
