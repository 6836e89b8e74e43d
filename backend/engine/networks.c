/*
 * backend/engine/networks.c - typed network calls on engine_do_json().
 * Bodies are built with cJSON, never formatted, so a label or alias with a
 * quote in it stays data.
 */
#include <errno.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/engine/networks.h"
#include "backend/engine/engine_i.h"

/* "/networks/<escaped id><suffix>" into path. */
static int network_path(struct nb_buf *path, const char *id, const char *suffix, struct nb_err *err)
{
	cleanup_free char *eid = id ? engine_escape(id) : NULL;

	if (!id || !*id)
		return nb_err_set(err, -EINVAL, "network id is empty");
	if (!eid || nb_buf_printf(path, "/networks/%s%s", eid, suffix) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

int engine_network_create(struct engine *eng, const char *name, const cJSON *labels,
			  char id_out[65], struct nb_err *err)
{
	return engine_network_create_subnet(eng, name, labels, NULL, false, id_out, err);
}

/* IPAM {"Config": [{"Subnet": subnet}]}; -ENOMEM. */
static int add_ipam(cJSON *spec, const char *subnet)
{
	cJSON *ipam = cJSON_AddObjectToObject(spec, "IPAM");
	cJSON *config = ipam ? cJSON_AddArrayToObject(ipam, "Config") : NULL;
	cJSON *pool = cJSON_CreateObject();

	if (!config || !pool || !cJSON_AddItemToArray(config, pool)) {
		cJSON_Delete(pool);
		return -ENOMEM;
	}
	return json_add_str(pool, "Subnet", subnet);
}

int engine_network_create_subnet(struct engine *eng, const char *name, const cJSON *labels,
				 const char *subnet, bool internal, char id_out[65],
				 struct nb_err *err)
{
	cleanup_cjson cJSON *spec = cJSON_CreateObject();
	cleanup_cjson cJSON *reply = NULL;
	cJSON *copy;
	int ret;

	if (!name || !*name)
		return nb_err_set(err, -EINVAL, "network name is empty");
	if (labels && !cJSON_IsObject(labels))
		return nb_err_set(err, -EINVAL, "network labels must be a JSON object");
	/* CheckDuplicate: without it the engine makes a second network of the
	 * same name, and names stop identifying networks. */
	if (!spec || json_add_str(spec, "Name", name) < 0 ||
	    json_add_bool(spec, "CheckDuplicate", true) < 0 ||
	    json_add_str(spec, "Driver", "bridge") < 0 ||
	    (internal && json_add_bool(spec, "Internal", true) < 0) ||
	    (subnet && add_ipam(spec, subnet) < 0))
		return nb_err_set(err, -ENOMEM, "out of memory");
	if (labels) {
		copy = cJSON_Duplicate(labels, true);
		if (!copy || !cJSON_AddItemToObject(spec, "Labels", copy)) {
			cJSON_Delete(copy);
			return nb_err_set(err, -ENOMEM, "out of memory");
		}
	}
	ret = engine_do_json(eng, "POST", "/networks/create", spec, &reply, err);
	if (ret < 0)
		return ret;
	return engine_reply_id(reply, "create network", id_out, err);
}

int engine_network_inspect(struct engine *eng, const char *id_or_name, cJSON **out,
			   struct nb_err *err)
{
	cleanup_buf struct nb_buf path = { 0 };
	int ret;

	*out = NULL;
	ret = network_path(&path, id_or_name, "", err);
	if (ret < 0)
		return ret;
	ret = engine_do_json(eng, "GET", path.data, NULL, out, err);
	if (ret < 0)
		return ret;
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return nb_err_set(err, -EIO, "engine: inspect network %s: reply is not an object",
				  id_or_name);
	}
	return 0;
}

int engine_network_remove(struct engine *eng, const char *id, struct nb_err *err)
{
	cleanup_buf struct nb_buf path = { 0 };
	int ret = network_path(&path, id, "", err);

	if (ret < 0)
		return ret;
	return engine_do_json(eng, "DELETE", path.data, NULL, NULL, err);
}

static cJSON *connect_spec(const char *container, const char *const aliases[])
{
	cleanup_cjson cJSON *spec = cJSON_CreateObject();
	cJSON *endpoint, *list;

	if (!spec || json_add_str(spec, "Container", container) < 0 ||
	    !(endpoint = cJSON_AddObjectToObject(spec, "EndpointConfig")))
		return NULL;
	if (aliases && aliases[0]) {
		list = cJSON_AddArrayToObject(endpoint, "Aliases");
		if (!list)
			return NULL;
		for (size_t i = 0; aliases[i]; i++)
			if (!cJSON_AddItemToArray(list, cJSON_CreateString(aliases[i])))
				return NULL;
	}
	return move_ptr(spec);
}

int engine_network_connect(struct engine *eng, const char *net, const char *container,
			   const char *const aliases[], struct nb_err *err)
{
	cleanup_buf struct nb_buf path = { 0 };
	cleanup_cjson cJSON *spec = NULL;
	int ret;

	if (!container || !*container)
		return nb_err_set(err, -EINVAL, "container id is empty");
	ret = network_path(&path, net, "/connect", err);
	if (ret < 0)
		return ret;
	spec = connect_spec(container, aliases);
	if (!spec)
		return nb_err_set(err, -ENOMEM, "out of memory");
	return engine_do_json(eng, "POST", path.data, spec, NULL, err);
}
