/*
 * backend/ec2/subnet.c - subnets: ec2/subnets/<id>/, each a Docker bridge
 * network with the subnet's CIDR as its IPAM pool (internal when private),
 * stored as {"SubnetId", "CidrBlock", "Private", "Default", "Network"}.
 * The default subnet is made at the first load; its network, like any
 * subnet's that went missing, is made by the first launch into it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/labels.h"
#include "backend/common/aws.h"
#include "backend/common/cleanup.h"
#include "backend/common/index.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/ec2/ec2_i.h"
#include "backend/engine/networks.h"

#define MSG_CONFLICT "InvalidSubnet.Conflict: The CIDR '%s' conflicts with another subnet"

cJSON *ec2_labels(struct ec2 *ec2, const char *kind, const char *object)
{
	cJSON *labels = cJSON_CreateObject();

	if (!labels || json_add_str(labels, NB_LABEL_OWNER, ec2->owner) < 0 ||
	    json_add_str(labels, NB_LABEL_KIND, kind) < 0 ||
	    json_add_str(labels, NB_LABEL_OBJECT, object) < 0) {
		cJSON_Delete(labels);
		return NULL;
	}
	return labels;
}

struct ec2_subnet *ec2_subnet_find(struct ec2 *ec2, const char *id)
{
	return nb_index_find(&ec2->subnet_index, id, struct ec2_subnet, ix);
}

struct ec2_subnet *ec2_subnet_default(struct ec2 *ec2)
{
	for (struct ec2_subnet *s = ec2->subnets; s; s = s->next)
		if (s->is_default)
			return s;
	return NULL;
}

static struct ec2_subnet *subnet_overlapping(struct ec2 *ec2, const struct ec2_cidr *c)
{
	for (struct ec2_subnet *s = ec2->subnets; s; s = s->next)
		if (ec2_cidr_overlap(&s->cidr, c))
			return s;
	return NULL;
}

static struct ec2_subnet *subnet_new(const char *id, const struct ec2_cidr *c, bool private_,
				     bool is_default)
{
	struct ec2_subnet *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->cidr = *c;
	ec2_cidr_format(c, s->cidr_text, sizeof(s->cidr_text));
	s->private_ = private_;
	s->is_default = is_default;
	snprintf(s->network, sizeof(s->network), "nimbusfs-%s", id);
	clock_gettime(CLOCK_REALTIME, &s->mtime);
	return s;
}

static void subnet_link(struct ec2 *ec2, struct ec2_subnet *s)
{
	struct ec2_subnet **pp = &ec2->subnets;

	while (*pp)
		pp = &(*pp)->next;
	*pp = s;
	nb_index_add(&ec2->subnet_index, &s->ix, s->id);
}

static int subnet_save(struct ec2 *ec2, const struct ec2_subnet *s, struct nb_err *err)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();

	if (!doc || json_add_str(doc, "SubnetId", s->id) < 0 ||
	    json_add_str(doc, "CidrBlock", s->cidr_text) < 0 ||
	    json_add_bool(doc, "Private", s->private_) < 0 ||
	    json_add_bool(doc, "Default", s->is_default) < 0 ||
	    json_add_str(doc, "Network", s->network) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	return state_registry_put(ec2->reg, EC2_KIND_SUBNET, s->id, doc, err);
}

static void subnet_load_one(struct ec2 *ec2, const char *id)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	struct ec2_subnet *s;
	struct ec2_cidr c;
	const char *cidr;
	bool priv, def;

	if (!ec2_id_valid("subnet", id) ||
	    state_registry_get(ec2->reg, EC2_KIND_SUBNET, id, &doc) < 0)
		return;
	if (json_get_str(doc, "CidrBlock", &cidr, &err) < 0 ||
	    json_get_bool_opt(doc, "Private", false, &priv, &err) < 0 ||
	    json_get_bool_opt(doc, "Default", false, &def, &err) < 0 ||
	    ec2_cidr_parse(cidr, &c, &err) < 0) {
		log_warn("state: ignoring subnet record %s: %s", id, err.msg);
		return;
	}
	s = subnet_new(id, &c, priv, def);
	if (s)
		subnet_link(ec2, s);
}

/* The /EC2_DEFAULT_PREFIX block of pool that owner's hash (FNV-1a) picks. */
static struct ec2_cidr default_cidr(const char *owner)
{
	uint32_t h = 2166136261u, blocks = 1u << (EC2_DEFAULT_PREFIX - EC2_DEFAULT_POOL_PREFIX);

	for (const char *p = owner; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return (struct ec2_cidr){
		.addr = EC2_DEFAULT_POOL + (h % blocks) * (1u << (32 - EC2_DEFAULT_PREFIX)),
		.prefix = EC2_DEFAULT_PREFIX,
	};
}

int ec2_subnets_load(struct ec2 *ec2, struct nb_err *err)
{
	cleanup_cjson cJSON *ids = NULL;
	struct ec2_subnet *s;
	struct ec2_cidr c;
	const cJSON *id;
	char sid[EC2_ID_MAX];
	int ret = state_registry_load_ids(ec2->reg, EC2_KIND_SUBNET, &ids, err);

	if (ret < 0)
		return ret;
	cJSON_ArrayForEach(id, ids) subnet_load_one(ec2, id->valuestring);
	if (ec2_subnet_default(ec2))
		return 0;
	c = default_cidr(ec2->owner);
	ec2_id_new("subnet", sid);
	s = subnet_new(sid, &c, false, true);
	if (!s)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = subnet_save(ec2, s, err);
	if (ret < 0) {
		free(s);
		return nb_err_wrap(err, "cannot store the default subnet");
	}
	subnet_link(ec2, s);
	return 0;
}

void ec2_subnets_free(struct ec2 *ec2)
{
	for (struct ec2_subnet *s = ec2->subnets, *next; s; s = next) {
		next = s->next;
		free(s);
	}
	ec2->subnets = NULL;
	nb_index_free(&ec2->subnet_index);
}

static int network_ensure(struct ec2 *ec2, const char *name, const char *cidr, bool private_,
			  const char *subnet_id, struct nb_err *err)
{
	cleanup_cjson cJSON *labels = ec2_labels(ec2, NB_KIND_EC2_SUBNET, subnet_id);
	cleanup_cjson cJSON *net = NULL;
	char id[65];
	int ret = engine_network_inspect(ec2->eng, name, &net, err);

	if (ret != -ENOENT)
		return ret;
	if (!labels)
		return nb_err_set(err, -ENOMEM, "out of memory");
	*err = (struct nb_err){ 0 };
	return engine_network_create_subnet(ec2->eng, name, labels, cidr, private_, id, err);
}

int ec2_network_ensure(struct ec2 *ec2, const char *name, const char *cidr, bool private_,
		       const char *subnet_id, struct nb_err *err)
{
	int ret;

	pthread_mutex_lock(&ec2->net_lock);
	ret = network_ensure(ec2, name, cidr, private_, subnet_id, err);
	pthread_mutex_unlock(&ec2->net_lock);
	return ret;
}

/* ---- files ---- */

bool ec2_subnet_exists(struct ec2 *ec2, const char *id)
{
	bool found;

	pthread_mutex_lock(&ec2->lock);
	found = ec2_subnet_find(ec2, id) != NULL;
	pthread_mutex_unlock(&ec2->lock);
	return found;
}

int ec2_list_subnets(struct ec2 *ec2, ec2_emit_fn emit, void *ud)
{
	int ret = 0;

	pthread_mutex_lock(&ec2->lock);
	for (struct ec2_subnet *s = ec2->subnets; s && ret == 0; s = s->next)
		ret = emit(ud, s->id);
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

static uint32_t used_count(struct ec2 *ec2, const struct ec2_subnet *s)
{
	uint32_t n = 0;

	for (struct ec2_instance *i = ec2->instances; i; i = i->next)
		if (i->state != EC2_TERMINATED && strcmp(i->subnet_id, s->id) == 0)
			n++;
	return n;
}

/* DescribeSubnets' Subnet. */
static int subnet_describe(struct ec2 *ec2, const struct ec2_subnet *s, struct nb_buf *out)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	uint32_t size = ec2_cidr_size(&s->cidr), used = used_count(ec2, s);
	uint32_t usable = size > 5 ? size - 5 : 0;
	char arn[128];

	snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:subnet/%s", NB_AWS_REGION, NB_AWS_ACCOUNT,
		 s->id);
	if (!doc || json_add_str(doc, "AvailabilityZone", NB_AWS_REGION "a") < 0 ||
	    json_add_num(doc, "AvailableIpAddressCount", usable > used ? usable - used : 0) < 0 ||
	    json_add_str(doc, "CidrBlock", s->cidr_text) < 0 ||
	    json_add_bool(doc, "DefaultForAz", s->is_default) < 0 ||
	    json_add_bool(doc, "MapPublicIpOnLaunch", false) < 0 ||
	    json_add_str(doc, "State", "available") < 0 ||
	    json_add_str(doc, "SubnetId", s->id) < 0 ||
	    json_add_str(doc, "OwnerId", NB_AWS_ACCOUNT) < 0 ||
	    json_add_str(doc, "SubnetArn", arn) < 0 ||
	    json_add_bool(doc, "Private", s->private_) < 0 ||
	    json_add_str(doc, "Network", s->network) < 0)
		return -ENOMEM;
	text = cJSON_Print(doc);
	return text ? nb_buf_printf(out, "%s\n", text) : -ENOMEM;
}

int ec2_subnet_render(struct ec2 *ec2, const char *id, enum ec2_subnet_file what,
		      struct nb_buf *out, struct timespec *mtime)
{
	struct ec2_subnet *s;
	int ret = 0;

	pthread_mutex_lock(&ec2->lock);
	s = ec2_subnet_find(ec2, id);
	if (!s) {
		pthread_mutex_unlock(&ec2->lock);
		return -ENOENT;
	}
	*mtime = s->mtime;
	switch (what) {
	case EC2_SF_CIDR:
		ret = nb_buf_printf(out, "%s\n", s->cidr_text);
		break;
	case EC2_SF_PRIVATE:
		ret = nb_buf_puts(out, s->private_ ? "true\n" : "false\n");
		break;
	case EC2_SF_DEFAULT:
		ret = nb_buf_puts(out, s->is_default ? "true\n" : "false\n");
		break;
	case EC2_SF_NETWORK:
		ret = nb_buf_printf(out, "%s\n", s->network);
		break;
	case EC2_SF_INSTANCES:
		for (struct ec2_instance *i = ec2->instances; i && ret == 0; i = i->next)
			if (i->state != EC2_TERMINATED && strcmp(i->subnet_id, id) == 0)
				ret = nb_buf_printf(out, "%s\n", i->id);
		break;
	case EC2_SF_DESCRIBE:
		ret = subnet_describe(ec2, s, out);
		break;
	}
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

/* ---- create ---- */

struct subnet_req {
	struct ec2_cidr cidr;
	bool private_;
};

int ec2_subnet_create_prepare(struct ec2 *ec2, const char *data, size_t len, void **priv,
			      struct nb_err *err)
{
	cleanup_cjson cJSON *doc = json_parse(data, len, err);
	struct subnet_req req = { 0 };
	struct ec2_subnet *other;
	const cJSON *field;
	const char *cidr;
	struct subnet_req *r;
	char text[EC2_CIDR_STRLEN + 1];

	if (!doc)
		return err->code;
	if (!cJSON_IsObject(doc))
		return nb_err_set(err, -EINVAL,
				  "expected a JSON object {\"CidrBlock\": \"10.1.0.0/24\"}");
	cJSON_ArrayForEach(
		field,
		doc) if (strcmp(field->string, "CidrBlock") != 0 &&
			 strcmp(field->string, "Private") !=
				 0) return nb_err_set(err, -EINVAL,
						      "Unknown parameter in input: \"%.64s\", must "
						      "be one of: CidrBlock, Private",
						      field->string);
	if (json_get_str(doc, "CidrBlock", &cidr, err) < 0 ||
	    json_get_bool_opt(doc, "Private", false, &req.private_, err) < 0)
		return err->code;
	if (ec2_cidr_parse(cidr, &req.cidr, err) < 0)
		return nb_err_wrap(err, "CidrBlock");
	/* Said at write(): a failure at close is one `echo >` never reports. */
	if (!state_health_engine_ready(ec2->health, err))
		return nb_err_wrap(err, "cannot create the subnet's network");
	pthread_mutex_lock(&ec2->lock);
	other = subnet_overlapping(ec2, &req.cidr);
	pthread_mutex_unlock(&ec2->lock);
	if (other) {
		ec2_cidr_format(&req.cidr, text, sizeof(text));
		return nb_err_set(err, -EINVAL, MSG_CONFLICT " (%s, %s)", text, other->id,
				  other->cidr_text);
	}
	r = malloc(sizeof(*r));
	if (!r)
		return nb_err_set(err, -ENOMEM, "out of memory");
	*r = req;
	*priv = r;
	return 0;
}

void ec2_subnet_create_discard(struct ec2 *ec2, void *priv)
{
	(void)ec2;
	free(priv);
}

int ec2_subnet_create_run(struct ec2 *ec2, void *priv, struct nb_cancel *cancel,
			  struct nb_buf *answer, struct nb_err *err)
{
	struct subnet_req *req = priv;
	struct ec2_subnet *s, *other;
	char sid[EC2_ID_MAX];
	int ret;

	(void)cancel; /* one short engine call */
	if (!state_health_engine_ready(ec2->health, err)) {
		free(req);
		return nb_err_wrap(err, "cannot create the subnet's network");
	}
	ec2_id_new("subnet", sid);
	s = subnet_new(sid, &req->cidr, req->private_, false);
	free(req);
	if (!s)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = ec2_network_ensure(ec2, s->network, s->cidr_text, s->private_, s->id, err);
	if (ret == -EPERM || ret == -EBUSY || ret == -EINVAL) {
		/* The engine's "Pool overlaps with other one on this address space". */
		ret = nb_err_set(err, -EINVAL, MSG_CONFLICT ": the engine refused it (%s)",
				 s->cidr_text, err->msg);
		free(s);
		return ret;
	}
	if (ret < 0) {
		free(s);
		return nb_err_wrap(err, "cannot create the subnet's network");
	}
	pthread_mutex_lock(&ec2->lock);
	other = subnet_overlapping(ec2, &s->cidr);
	if (other)
		ret = nb_err_set(err, -EINVAL, MSG_CONFLICT " (%s, made meanwhile)", s->cidr_text,
				 other->id);
	else
		ret = subnet_save(ec2, s, err);
	if (ret == 0) {
		subnet_link(ec2, s);
		ret = nb_buf_printf(answer, "%s\n", s->id);
		s = NULL;
	} else if (ec2->jobs) {
		ec2_job_submit(ec2, EC2_JOB_REMOVE_NETWORK, s->network);
	}
	pthread_mutex_unlock(&ec2->lock);
	if (s) {
		free(s);
		return ret;
	}
	state_hub_changed(ec2->hub, "ec2/subnets");
	return ret;
}

int ec2_subnet_remove(struct ec2 *ec2, const char *id, struct nb_err *err)
{
	struct ec2_subnet **pp, *s = NULL;
	int ret = 0;

	pthread_mutex_lock(&ec2->lock);
	for (pp = &ec2->subnets; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->id, id) == 0) {
			s = *pp;
			break;
		}
	if (!s)
		ret = -ENOENT;
	else if (s->is_default)
		ret = nb_err_set(err, -EPERM,
				 "%s is the default subnet: instances launched without a "
				 "SubnetId go there, so it stays",
				 id);
	else if (used_count(ec2, s))
		ret = nb_err_set(err, -EBUSY,
				 "DependencyViolation: The subnet '%s' has dependencies and "
				 "cannot be deleted (%u instance(s) in it; terminate them first)",
				 id, used_count(ec2, s));
	else
		ret = state_registry_remove(ec2->reg, EC2_KIND_SUBNET, id, err);
	if (ret == 0) {
		*pp = s->next;
		nb_index_remove(&ec2->subnet_index, &s->ix);
		if (ec2->jobs)
			ec2_job_submit(ec2, EC2_JOB_REMOVE_NETWORK, s->network);
		free(s);
	}
	pthread_mutex_unlock(&ec2->lock);
	if (ret == 0)
		state_hub_changed(ec2->hub, "ec2/subnets");
	return ret;
}
