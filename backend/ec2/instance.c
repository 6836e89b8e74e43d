/*
 * backend/ec2/instance.c - the instance model: records in the registry
 * ("ec2-instances/<id>.json") and the files of ec2/<id>/ (tags/<key> are
 * in instance_tags.c).
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

struct ec2_instance *ec2_instance_find(struct ec2 *ec2, const char *id)
{
	return nb_index_find(&ec2->instance_index, id, struct ec2_instance, ix);
}

void ec2_instance_link(struct ec2 *ec2, struct ec2_instance *inst)
{
	nb_index_add(&ec2->instance_index, &inst->ix, inst->id);
	if (ec2->last)
		ec2->last->next = inst;
	else
		ec2->instances = inst;
	ec2->last = inst;
	snprintf(ec2->latest, sizeof(ec2->latest), "%s", inst->id);
}

static void tags_free(struct ec2_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(tags[i].key);
		free(tags[i].value);
	}
	free(tags);
}

void ec2_instance_free(struct ec2_instance *inst)
{
	if (!inst)
		return;
	tags_free(inst->tags, inst->n_tags);
	free(inst->user_data);
	free(inst);
}

bool ec2_ip_in_use(struct ec2 *ec2, const char *subnet, uint32_t ip)
{
	for (struct ec2_instance *i = ec2->instances; i; i = i->next)
		if (i->state != EC2_TERMINATED && strcmp(i->subnet_id, subnet) == 0 &&
		    (ip == 0 || i->ip == ip))
			return true;
	return false;
}

void ec2_user_initiated(char *out, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[32];

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, len, "User initiated (%s GMT)", when);
}

/* ---- records ---- */

static int tags_to_json(const struct ec2_instance *inst, cJSON *parent, const char *field)
{
	cJSON *arr = cJSON_AddArrayToObject(parent, field);

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < inst->n_tags; i++) {
		cJSON *t = cJSON_CreateObject();

		if (!t || !cJSON_AddItemToArray(arr, t)) {
			cJSON_Delete(t);
			return -ENOMEM;
		}
		if (json_add_str(t, "Key", inst->tags[i].key) < 0 ||
		    json_add_str(t, "Value", inst->tags[i].value) < 0)
			return -ENOMEM;
	}
	return 0;
}

static cJSON *record_of(const struct ec2_instance *inst)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	char ip[EC2_IP_STRLEN];
	char *ud = NULL;
	int ret = 0;

	if (!doc)
		return NULL;
	ec2_ip_format(inst->ip, ip);
	if (inst->user_data_len) {
		ud = malloc(4 * ((inst->user_data_len + 2) / 3) + 1);
		if (!ud)
			return NULL;
		EVP_EncodeBlock((unsigned char *)ud, inst->user_data, (int)inst->user_data_len);
	}
	ret = json_add_str(doc, "InstanceId", inst->id) |
	      json_add_str(doc, "ImageId", inst->image_id) |
	      json_add_str(doc, "Image", inst->image) |
	      json_add_str(doc, "InstanceType", inst->type->name) |
	      json_add_str(doc, "SubnetId", inst->subnet_id) |
	      json_add_str(doc, "PrivateIpAddress", ip) |
	      json_add_str(doc, "Container", ec2_container(inst)) |
	      json_add_num(doc, "State", inst->state) |
	      json_add_str(doc, "StateTransitionReason", inst->transition_reason) |
	      json_add_str(doc, "StateReasonCode", inst->reason_code) |
	      json_add_str(doc, "StateReasonMessage", inst->reason_msg) |
	      json_add_str(doc, "UserData", ud ? ud : "") |
	      json_add_num(doc, "UserDataStatus", inst->ud) |
	      json_add_num(doc, "UserDataExit", inst->ud_exit) |
	      json_add_str(doc, "ClientToken", inst->client_token) |
	      json_add_str(doc, "KeyName", inst->key_name) |
	      json_add_num(doc, "AmiLaunchIndex", inst->launch_index) |
	      json_add_num(doc, "LaunchTime", inst->launch_time) | tags_to_json(inst, doc, "Tags");
	free(ud);
	if (ret < 0)
		return NULL;
	cJSON *out = doc;
	doc = NULL;
	return out;
}

void ec2_instance_changed(struct ec2 *ec2, struct ec2_instance *inst)
{
	cJSON *fields = cJSON_CreateObject();
	char path[64];

	clock_gettime(CLOCK_REALTIME, &inst->mtime);
	if (fields) {
		json_add_str(fields, "state", ec2_state_name(inst->state));
		if (inst->reason_code[0])
			json_add_str(fields, "reason", inst->reason_msg);
	}
	state_hub_publish(ec2->hub, "ec2-instance", inst->id, fields);
	snprintf(path, sizeof(path), "ec2/%s", inst->id);
	state_hub_changed(ec2->hub, path);
	snprintf(path, sizeof(path), "ec2/%s/state", inst->id);
	state_hub_changed(ec2->hub, path);
	snprintf(path, sizeof(path), "ec2/%s/describe.json", inst->id);
	state_hub_changed(ec2->hub, path);
	pthread_cond_broadcast(&ec2->changed);
}

int ec2_instance_save(struct ec2 *ec2, struct ec2_instance *inst, struct nb_err *err)
{
	cleanup_cjson cJSON *doc = record_of(inst);
	int ret;

	if (!doc)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = state_registry_put(ec2->reg, EC2_KIND_INSTANCE, inst->id, doc, err);
	ec2_instance_changed(ec2, inst);
	return ret;
}

void ec2_instance_wl_init(struct ec2_instance *inst)
{
	wl_obj_init(&inst->wl, inst->id);
	wl_obj_add(&inst->wl, EC2_CONSOLE_NAME, EC2_STOP_TIMEOUT, 0);
}

void ec2_instance_set_state(struct ec2 *ec2, struct ec2_instance *inst, enum ec2_state s,
			    const char *code, const char *message)
{
	struct nb_err err = { 0 };

	inst->state = s;
	inst->wl.retired = s == EC2_TERMINATED;
	if (s == EC2_TERMINATED)
		inst->wl.c[0].id[0] = '\0';
	if (code) {
		snprintf(inst->reason_code, sizeof(inst->reason_code), "%s", code);
		snprintf(inst->reason_msg, sizeof(inst->reason_msg), "%s: %s", code, message);
	} else if (s == EC2_RUNNING || s == EC2_PENDING) {
		inst->reason_code[0] = inst->reason_msg[0] = '\0';
	}
	if (ec2_instance_save(ec2, inst, &err) < 0)
		log_error(0, "instance %s: cannot store its state: %s", inst->id, err.msg);
}

static void copy_str(char *dst, size_t len, const cJSON *rec, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);

	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double get_num(const cJSON *rec, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int tags_from_json(struct ec2_instance *inst, const cJSON *arr)
{
	const cJSON *t;
	size_t n = (size_t)cJSON_GetArraySize(arr);

	if (!n)
		return 0;
	inst->tags = calloc(n, sizeof(*inst->tags));
	if (!inst->tags)
		return -ENOMEM;
	cJSON_ArrayForEach(t, arr)
	{
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
		struct ec2_tag *tag = &inst->tags[inst->n_tags];

		if (!cJSON_IsString(k) || !cJSON_IsString(v))
			continue;
		tag->key = strdup(k->valuestring);
		tag->value = strdup(v->valuestring);
		inst->n_tags++;
		if (!tag->key || !tag->value)
			return -ENOMEM;
	}
	return 0;
}

static struct ec2_instance *from_record(const cJSON *rec)
{
	struct ec2_instance *inst = calloc(1, sizeof(*inst));
	struct nb_err err = { 0 };
	const cJSON *ud = cJSON_GetObjectItemCaseSensitive(rec, "UserData");
	char type[64], ip[EC2_IP_STRLEN];

	if (!inst)
		return NULL;
	copy_str(inst->id, sizeof(inst->id), rec, "InstanceId");
	copy_str(inst->image_id, sizeof(inst->image_id), rec, "ImageId");
	copy_str(inst->image, sizeof(inst->image), rec, "Image");
	copy_str(type, sizeof(type), rec, "InstanceType");
	inst->type = ec2_type_find(type);
	copy_str(inst->subnet_id, sizeof(inst->subnet_id), rec, "SubnetId");
	copy_str(ip, sizeof(ip), rec, "PrivateIpAddress");
	ec2_instance_wl_init(inst);
	copy_str(inst->wl.c[0].id, sizeof(inst->wl.c[0].id), rec, "Container");
	inst->state = (enum ec2_state)get_num(rec, "State");
	inst->wl.retired = inst->state == EC2_TERMINATED;
	copy_str(inst->transition_reason, sizeof(inst->transition_reason), rec,
		 "StateTransitionReason");
	copy_str(inst->reason_code, sizeof(inst->reason_code), rec, "StateReasonCode");
	copy_str(inst->reason_msg, sizeof(inst->reason_msg), rec, "StateReasonMessage");
	inst->ud = (enum ec2_ud)get_num(rec, "UserDataStatus");
	inst->ud_exit = (int)get_num(rec, "UserDataExit");
	copy_str(inst->client_token, sizeof(inst->client_token), rec, "ClientToken");
	copy_str(inst->key_name, sizeof(inst->key_name), rec, "KeyName");
	inst->launch_index = (int)get_num(rec, "AmiLaunchIndex");
	inst->launch_time = get_num(rec, "LaunchTime");
	if (!inst->type || !ec2_id_valid("i", inst->id) || ec2_ip_parse(ip, &inst->ip, &err) < 0 ||
	    tags_from_json(inst, cJSON_GetObjectItemCaseSensitive(rec, "Tags")) < 0 ||
	    (cJSON_IsString(ud) && *ud->valuestring &&
	     ec2_user_data_decode(ud->valuestring, EC2_USER_DATA_MAX, &inst->user_data,
				  &inst->user_data_len, &err) < 0)) {
		ec2_instance_free(inst);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &inst->mtime);
	return inst;
}

int ec2_instances_load(struct ec2 *ec2, struct nb_err *err)
{
	cleanup_cjson cJSON *ids = NULL;
	const cJSON *id;
	int ret = state_registry_load_ids(ec2->reg, EC2_KIND_INSTANCE, &ids, err);

	if (ret < 0)
		return ret;
	cJSON_ArrayForEach(id, ids)
	{
		cleanup_cjson cJSON *rec = NULL;
		struct ec2_instance *inst;

		if (state_registry_get(ec2->reg, EC2_KIND_INSTANCE, id->valuestring, &rec) < 0)
			continue;
		inst = from_record(rec);
		if (!inst) {
			log_warn("state: ignoring instance record %s", id->valuestring);
			continue;
		}
		ec2_instance_link(ec2, inst);
	}
	return 0;
}

/* ---- files ---- */

bool ec2_instance_exists(struct ec2 *ec2, const char *id)
{
	bool found;

	pthread_mutex_lock(&ec2->lock);
	found = ec2_instance_find(ec2, id) != NULL;
	pthread_mutex_unlock(&ec2->lock);
	return found;
}

int ec2_list_instances(struct ec2 *ec2, ec2_emit_fn emit, void *ud)
{
	int ret = 0;

	pthread_mutex_lock(&ec2->lock);
	for (struct ec2_instance *i = ec2->instances; i && ret == 0; i = i->next)
		ret = emit(ud, i->id);
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

int ec2_latest_instance(struct ec2 *ec2, char id[EC2_ID_MAX])
{
	int ret = 0;

	pthread_mutex_lock(&ec2->lock);
	if (ec2->latest[0] && ec2_instance_find(ec2, ec2->latest))
		snprintf(id, EC2_ID_MAX, "%s", ec2->latest);
	else
		ret = -ENOENT;
	pthread_mutex_unlock(&ec2->lock);
	return ret;
}

static int add_iso_time(cJSON *obj, const char *field, double t)
{
	char text[40];

	ec2_iso_time(t, text);
	return json_add_str(obj, field, text);
}

/* DescribeInstances' Instance. */
static int describe(struct ec2_instance *inst, struct nb_buf *out)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	cJSON *state, *cpu, *placement, *reason;
	char ip[EC2_IP_STRLEN], host[EC2_ID_MAX], dns[96];
	int ret;

	if (!doc)
		return -ENOMEM;
	ec2_ip_format(inst->ip, ip);
	ec2_hostname(inst->ip, host);
	snprintf(dns, sizeof(dns), "%s.%s.compute.internal", host, NB_AWS_REGION);
	ret = json_add_num(doc, "AmiLaunchIndex", inst->launch_index) |
	      (inst->image_id[0] ? json_add_str(doc, "ImageId", inst->image_id) : 0) |
	      json_add_str(doc, "InstanceId", inst->id) |
	      json_add_str(doc, "InstanceType", inst->type->name) |
	      (inst->key_name[0] ? json_add_str(doc, "KeyName", inst->key_name) : 0) |
	      add_iso_time(doc, "LaunchTime", inst->launch_time);
	placement = cJSON_AddObjectToObject(doc, "Placement");
	ret |= !placement ? -ENOMEM
			  : json_add_str(placement, "AvailabilityZone", NB_AWS_REGION "a") |
				    json_add_str(placement, "Tenancy", "default");
	ret |= json_add_str(doc, "PrivateDnsName", dns) |
	       json_add_str(doc, "PrivateIpAddress", ip) | json_add_str(doc, "PublicDnsName", "");
	state = cJSON_AddObjectToObject(doc, "State");
	ret |= !state ? -ENOMEM
		      : json_add_num(state, "Code", inst->state) |
				json_add_str(state, "Name", ec2_state_name(inst->state));
	ret |= json_add_str(doc, "StateTransitionReason", inst->transition_reason) |
	       json_add_str(doc, "SubnetId", inst->subnet_id) |
	       json_add_str(doc, "Architecture", inst->type->arch) |
	       json_add_str(doc, "ClientToken", inst->client_token) |
	       json_add_str(doc, "Hypervisor", "xen") | json_add_str(doc, "RootDeviceType", "ebs") |
	       json_add_str(doc, "RootDeviceName", "/dev/xvda") |
	       json_add_str(doc, "VirtualizationType", "hvm");
	if (inst->reason_code[0]) {
		reason = cJSON_AddObjectToObject(doc, "StateReason");
		ret |= !reason ? -ENOMEM
			       : json_add_str(reason, "Code", inst->reason_code) |
					 json_add_str(reason, "Message", inst->reason_msg);
	}
	if (inst->n_tags)
		ret |= tags_to_json(inst, doc, "Tags");
	cpu = cJSON_AddObjectToObject(doc, "CpuOptions");
	ret |= !cpu ? -ENOMEM
		    : json_add_num(cpu, "CoreCount",
				   inst->type->vcpus > 1 ? inst->type->vcpus / 2 : 1) |
			       json_add_num(cpu, "ThreadsPerCore", inst->type->vcpus > 1 ? 2 : 1);
	if (ret < 0 || !(text = cJSON_Print(doc)))
		return -ENOMEM;
	return nb_buf_printf(out, "%s\n", text);
}

static int render_ud_status(const struct ec2_instance *inst, struct nb_buf *out)
{
	switch (inst->ud) {
	case EC2_UD_NONE:
		return nb_buf_puts(out, "none\n");
	case EC2_UD_SKIPPED:
		return nb_buf_puts(out, "skipped: not a script (no #! line); stored, not run\n");
	case EC2_UD_PENDING:
		return nb_buf_puts(out, inst->state == EC2_RUNNING || inst->state == EC2_PENDING
						? "running\n"
						: "not finished: the instance stopped first\n");
	case EC2_UD_EXITED:
		return nb_buf_printf(out, "exited %d\n", inst->ud_exit);
	case EC2_UD_INTERRUPTED:
		return nb_buf_puts(out, "interrupted: a stop or reboot came before it finished; "
					"not run again\n");
	}
	return 0;
}

int ec2_instance_render(struct ec2 *ec2, const char *id, enum ec2_instance_file what,
			struct nb_buf *out, struct timespec *mtime)
{
	struct ec2_instance *inst;
	char text[EC2_ID_MAX];
	int ret = 0;

	pthread_mutex_lock(&ec2->lock);
	inst = ec2_instance_find(ec2, id);
	if (!inst) {
		pthread_mutex_unlock(&ec2->lock);
		return -ENOENT;
	}
	*mtime = inst->mtime;
	switch (what) {
	case EC2_IF_STATE:
		ret = nb_buf_printf(out, "%s\n", ec2_state_name(inst->state));
		break;
	case EC2_IF_CONSOLE:
		break; /* below, without the lock */
	case EC2_IF_USER_DATA:
		ret = nb_buf_append(out, inst->user_data, inst->user_data_len);
		break;
	case EC2_IF_USER_DATA_STATUS:
		ret = render_ud_status(inst, out);
		break;
	case EC2_IF_IMAGE:
		ret = nb_buf_printf(out, "%s\n", inst->image);
		break;
	case EC2_IF_TYPE:
		ret = nb_buf_printf(out, "%s\n", inst->type->name);
		break;
	case EC2_IF_PRIVATE_IP:
		ec2_ip_format(inst->ip, text);
		ret = nb_buf_printf(out, "%s\n", text);
		break;
	case EC2_IF_HOSTNAME:
		ec2_hostname(inst->ip, text);
		ret = nb_buf_printf(out, "%s\n", text);
		break;
	case EC2_IF_SUBNET:
		ret = nb_buf_printf(out, "%s\n", inst->subnet_id);
		break;
	case EC2_IF_CONTAINER:
		ret = ec2_container(inst)[0] ? nb_buf_printf(out, "%s\n", ec2_container(inst)) : 0;
		break;
	case EC2_IF_DESCRIBE:
		ret = describe(inst, out);
		break;
	}
	pthread_mutex_unlock(&ec2->lock);
	if (what == EC2_IF_CONSOLE)
		ret = ec2_console_read(ec2, id, out);
	return ret;
}
