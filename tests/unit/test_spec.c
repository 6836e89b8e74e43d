/*
 * tests/unit/test_spec.c - task definitions to ContainerCreate bodies: the
 * refusals first, then each ECS-to-Docker mapping on definitions normalised
 * by ecs_taskdef_parse(), the pause container, Docker names, networkBindings
 * from a recorded inspect reply (tests/fixtures/ecs/inspect-ports.json), the
 * start order and the stop reasons. JSON here is written with ' for ".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/ecs/ecs.h"
#include "backend/ecs/spec.h"
#include "backend/ecs/taskdef.h"
#include "backend/engine/engine.h"
#include "backend/state/health.h"
#include "backend/state/hub.h"
#include "backend/state/registry.h"
#include "backend/state/statedir.h"
#include "tests/unit/helpers.h"

#define TASK_ID	 "0123456789abcdef0123456789abcdef"
#define PAUSE_ID "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"

/* A container and a task around containers, in ' quoting. */
#define CTR(name, extra)  "{'name':'" name "','image':'busybox'" extra "}"
#define TASK(extra, ctrs) "{'family':'f'" extra ",'containerDefinitions':[" ctrs "]}"
#define BRIDGE		  ",'networkMode':'bridge'"

static const struct ecs_spec_ctx awsvpc = {
	.owner = "st1", .task_id = TASK_ID, .network_mode = "awsvpc", .pause_id = PAUSE_ID
};
static const struct ecs_spec_ctx bridge = { .owner = "st1",
					    .task_id = TASK_ID,
					    .network_mode = "bridge" };

static cJSON *json(const char *text)
{
	cleanup_free char *s = th_dq(text);
	struct nb_err err = { 0 };
	cJSON *v = json_parse(s, strlen(s), &err);

	if (!v)
		fail_msg("bad test JSON %s: %s", s, err.msg);
	return v;
}

/* A definition as RegisterTaskDefinition leaves it. */
static cJSON *taskdef(const char *text)
{
	cleanup_free char *s = th_dq(text);
	cleanup_cjson cJSON *warnings = NULL;
	struct nb_err err = { 0 };
	cJSON *def = NULL;

	if (ecs_taskdef_parse(s, strlen(s), &def, &warnings, &err) != 0)
		fail_msg("parse(%s): %s", s, err.msg);
	return def;
}

/* The body for container i of def_text, with override and secrets (NULL or
 * ' quoted JSON). */
static cJSON *spec_at(const struct ecs_spec_ctx *ctx, const char *def_text, int i,
		      const char *override, const char *secrets)
{
	cleanup_cjson cJSON *def = taskdef(def_text);
	cleanup_cjson cJSON *ov = override ? json(override) : NULL;
	cleanup_cjson cJSON *sec = secrets ? json(secrets) : NULL;
	const cJSON *cdef = cJSON_GetArrayItem(TH_AT(def, "containerDefinitions"), i);
	struct nb_err err = { 0 };
	cJSON *out = NULL;

	if (ecs_spec_container(ctx, def, cdef, ov, sec, &out, &err) != 0)
		fail_msg("spec: %s", err.msg);
	assert_non_null(out);
	return out;
}

static cJSON *spec(const struct ecs_spec_ctx *ctx, const char *def_text)
{
	return spec_at(ctx, def_text, 0, NULL, NULL);
}

static void expect_refusal(const struct ecs_spec_ctx *ctx, const cJSON *def, const cJSON *cdef,
			   const char *override, const char *secrets, const char *msg)
{
	cleanup_cjson cJSON *ov = override ? json(override) : NULL;
	cleanup_cjson cJSON *sec = secrets ? json(secrets) : NULL;
	struct nb_err err = { 0 };
	cJSON *out = (cJSON *)1;
	int ret = ecs_spec_container(ctx, def, cdef, ov, sec, &out, &err);

	if (ret != -EINVAL || strcmp(err.msg, msg) != 0)
		fail_msg("got  %d \"%s\"\nwant -EINVAL \"%s\"", ret, err.msg, msg);
	assert_int_equal(err.code, -EINVAL);
	assert_null(out);
}

/* Parses tests/fixtures/ecs/<name>. */
static cJSON *fixture(const char *name)
{
	size_t len;
	cleanup_free char *buf = th_fixture("ecs", name, 1 << 17, &len);
	struct nb_err err = { 0 };
	cJSON *doc = json_parse(buf, len, &err);

	if (!doc)
		fail_msg("fixture %s: %s", name, err.msg);
	return doc;
}

static cJSON *web(void)
{
	cJSON *doc = fixture("web.json");
	cleanup_free char *text = json_print(doc);
	cleanup_cjson cJSON *warnings = NULL;
	struct nb_err err = { 0 };
	cJSON *def = NULL;

	cJSON_Delete(doc);
	assert_non_null(text);
	if (ecs_taskdef_parse(text, strlen(text), &def, &warnings, &err) != 0)
		fail_msg("web.json: %s", err.msg);
	return def;
}

/* refusals */

static void test_a_context_without_owner_or_task_id_is_refused(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "")));
	const cJSON *cdef = TH_AT(def, "containerDefinitions", "0");
	struct ecs_spec_ctx ctx = awsvpc;
	const char *msg = "the spec context needs an owner and a task id";

	(void)state;
	ctx.owner = NULL;
	expect_refusal(&ctx, def, cdef, NULL, NULL, msg);
	ctx = awsvpc;
	ctx.task_id = "";
	expect_refusal(&ctx, def, cdef, NULL, NULL, msg);
}

static void test_an_unknown_network_mode_is_refused(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "")));
	struct ecs_spec_ctx ctx = awsvpc;

	(void)state;
	ctx.network_mode = "nat";
	expect_refusal(&ctx, def, TH_AT(def, "containerDefinitions", "0"), NULL, NULL,
		       "unknown network mode \"nat\"");
}

static void test_awsvpc_without_a_pause_container_is_refused(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "")));
	struct ecs_spec_ctx ctx = awsvpc;

	(void)state;
	ctx.pause_id = NULL;
	expect_refusal(&ctx, def, TH_AT(def, "containerDefinitions", "0"), NULL, NULL,
		       "awsvpc needs the task's pause container first");
	/* an absent mode is awsvpc too */
	ctx.network_mode = NULL;
	expect_refusal(&ctx, def, TH_AT(def, "containerDefinitions", "0"), NULL, NULL,
		       "awsvpc needs the task's pause container first");
}

static void test_a_malformed_override_is_refused_naming_container_and_field(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "")));
	const cJSON *cdef = TH_AT(def, "containerDefinitions", "0");

	(void)state;
	expect_refusal(&awsvpc, def, cdef, "{'cpu':'lots'}", NULL,
		       "containerOverrides for \"a\": \"cpu\" must be a number");
	expect_refusal(&awsvpc, def, cdef, "{'memory':2}", NULL,
		       "containerOverrides for \"a\": \"memory\" is 2; it must be between 6 and "
		       "16777216");
	expect_refusal(&awsvpc, def, cdef, "{'command':'sh'}", NULL,
		       "containerOverrides for \"a\": \"command\" must be an array");
	expect_refusal(&awsvpc, def, cdef, "{'command':['sh',1]}", NULL,
		       "containerOverrides for \"a\": \"command\"[1] must be a string");
	expect_refusal(&awsvpc, def, cdef, "{'environment':[{'value':'x'}]}", NULL,
		       "containerOverrides for \"a\": \"environment\"[0]: \"name\" is required");
}

/*
 * Found by fuzzing (tests/fuzz/crashes/run_task/): RunTask checked
 * overrides.containerOverrides and each one's name by exact key, while the
 * launch finds them ignoring case, so {"ContainerOverrides": [...]} went
 * unchecked into the launch, which refused it only after RunTask had said
 * yes. Keys that differ from those only in case are refused now. Through
 * ecs_run on a real state dir with the engine down: a request that passes
 * its checks ends at the engine (-EHOSTDOWN), one that does not at -EINVAL.
 */
static int run_request(struct ecs *ecs, const char *text, struct nb_err *err)
{
	cleanup_free char *req = th_dq(text);
	cleanup_buf struct nb_buf answer = { 0 };

	memset(err, 0, sizeof(*err));
	return ecs_run(ecs, req, strlen(req), &answer, err);
}

static void test_run_task_refuses_override_keys_that_differ_only_in_case(void **state)
{
	char root[64];
	struct state_dir *sd = NULL;
	struct state_registry *reg = NULL;
	struct state_hub *hub = NULL;
	struct state_health health;
	struct engine *eng = NULL;
	struct ecs *ecs = NULL;
	struct ecs_deps deps = { 0 };
	cleanup_buf struct nb_buf answer = { 0 };
	cleanup_free char *td = th_dq(TASK("", CTR("app", "")));
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(th_tmpdir_new("spec-run", root, sizeof(root)), 0);
	assert_int_equal(state_dir_open(root, &sd, &err), 0);
	assert_int_equal(state_registry_new(sd, &reg), 0);
	assert_int_equal(state_hub_new(&hub), 0);
	assert_int_equal(engine_new("unix:///nonexistent/engine.sock", &eng, &err), 0);
	state_health_init(&health, hub, "unix:///nonexistent/engine.sock");
	deps = (struct ecs_deps){ .reg = reg,
				  .hub = hub,
				  .eng = eng,
				  .health = &health,
				  .owner = sd->id,
				  .statedirfd = sd->dirfd };
	assert_int_equal(ecs_new(&deps, &ecs, &err), 0);
	assert_int_equal(ecs_register(ecs, td, strlen(td), &answer, &err), 0);

	assert_int_equal(run_request(ecs,
				     "{'taskDefinition':'f','overrides':{'containerOverrides':"
				     "[{'name':'app','environment':[{'name':'A','value':'1'}]}]}}",
				     &err),
			 -EHOSTDOWN);
	assert_int_equal(run_request(ecs,
				     "{'taskDefinition':'f','overrides':{'ContainerOverrides':"
				     "[{'name':'app','environment':[{'value':'x'}]}]}}",
				     &err),
			 -EINVAL);
	assert_string_equal(err.msg, "overrides: unknown parameter \"ContainerOverrides\" (names "
				     "are case-sensitive: \"containerOverrides\")");
	assert_int_equal(run_request(ecs,
				     "{'taskDefinition':'f','overrides':{'containerOverrides':[],"
				     "'containeroverrides':[{'name':'app','cpu':'x'}]}}",
				     &err),
			 -EINVAL);
	assert_int_equal(run_request(ecs,
				     "{'taskDefinition':'f','overrides':{'containerOverrides':"
				     "[{'NAME':'app','command':'sh'},{'name':'app'}]}}",
				     &err),
			 -EINVAL);
	assert_string_equal(err.msg, "overrides.containerOverrides[0]: unknown parameter \"NAME\" "
				     "(names are case-sensitive: \"name\")");

	ecs_free(ecs);
	engine_free(eng);
	state_health_destroy(&health);
	state_registry_free(reg);
	state_hub_free(hub);
	state_dir_close(sd);
	th_tmpdir_remove(root);
}

static void test_malformed_secrets_are_refused(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "")));
	const cJSON *cdef = TH_AT(def, "containerDefinitions", "0");

	(void)state;
	expect_refusal(&awsvpc, def, cdef, NULL, "{'name':'x'}",
		       "secrets must be an array of {name, value}");
	expect_refusal(&awsvpc, def, cdef, NULL, "[{'name':'DB_PASSWORD'}]",
		       "secrets[0]: \"value\" is required");
}

static void test_a_container_without_name_or_image_or_volume_is_refused(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "")));
	cleanup_cjson cJSON *noimage = json("{'name':'a'}");
	cleanup_cjson cJSON *novol =
		json(CTR("a", ",'mountPoints':[{'sourceVolume':'gone','containerPath':'/d'}]"));

	(void)state;
	expect_refusal(&awsvpc, def, noimage, NULL, NULL,
		       "a container definition needs a name and an image");
	expect_refusal(&awsvpc, def, novol, NULL, NULL,
		       "mountPoints: sourceVolume \"gone\" names no volume of the task");
}

static void test_malformed_links_are_refused(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK(BRIDGE, CTR("a", "") "," CTR("b", "")));
	cleanup_cjson cJSON *names = json("{'a':'x'}");
	cleanup_cjson cJSON *empty_alias = json(CTR("b", ",'links':['a:']"));
	struct ecs_spec_ctx ctx = bridge;

	(void)state;
	expect_refusal(&ctx, def, empty_alias, NULL, NULL,
		       "link \"a:\" must be \"name\" or \"name:alias\"");
	empty_alias = (cJSON_Delete(empty_alias), json(CTR("b", ",'links':['a']")));
	ctx.link_names = names;
	expect_refusal(&ctx, def, empty_alias, NULL, NULL, "link names must be an array");
}

static void test_a_pause_container_needs_an_image_and_a_context(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "")));
	struct ecs_spec_ctx ctx = awsvpc;
	struct nb_err err = { 0 };
	cJSON *out = (cJSON *)1;

	(void)state;
	assert_int_equal(ecs_spec_pause(&ctx, def, "", &out, &err), -EINVAL);
	assert_string_equal(err.msg, "the pause container needs an image");
	assert_null(out);
	ctx.owner = NULL;
	assert_int_equal(ecs_spec_pause(&ctx, def, "local/busybox:latest", &out, &err), -EINVAL);
	assert_null(out);
}

static void test_a_malformed_inspect_reply_is_refused_and_appends_nothing(void **state)
{
	static const struct {
		const char *reply, *msg;
	} cases[] = {
		{ "[]", "a container inspect reply must be an object" },
		{ "{'NetworkSettings':{'Ports':[]}}", "NetworkSettings.Ports must be an object" },
		{ "{'NetworkSettings':{'Ports':{'80/tcp':{}}}}",
		  "NetworkSettings.Ports \"80/tcp\" must be an array or null" },
		{ "{'NetworkSettings':{'Ports':{'http':[{'HostIp':'','HostPort':'1'}]}}}",
		  "NetworkSettings.Ports key \"http\" is not \"port/protocol\"" },
		{ "{'NetworkSettings':{'Ports':{'80/"
		  "tcp':[{'HostIp':'127.0.0.1','HostPort':'x'}]}}}",
		  "NetworkSettings.Ports \"80/tcp\": HostPort \"x\" is not a port" },
		{ "{'NetworkSettings':{'Ports':{'80/tcp':[{'HostPort':'1'}]}}}",
		  "NetworkSettings.Ports \"80/tcp\": \"HostIp\" is required" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_cjson cJSON *reply = json(cases[i].reply);
		cleanup_buf struct nb_buf text = { 0 };
		struct nb_err err = { 0 };
		cJSON *bindings = (cJSON *)1;

		assert_int_equal(ecs_spec_bindings(reply, &bindings, &text, &err), -EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
		assert_null(bindings);
		assert_int_equal(text.len, 0);
	}
}

static void test_start_order_refuses_no_containers_and_too_small_an_array(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "") "," CTR("b", "")));
	cleanup_cjson cJSON *none = json("{'family':'f'}");
	int order[2];

	(void)state;
	assert_int_equal(ecs_spec_start_order(none, order, 2), -EINVAL);
	assert_int_equal(ecs_spec_start_order(NULL, order, 2), -EINVAL);
	assert_int_equal(ecs_spec_start_order(def, order, 1), -ENOSPC);
}

/* the container body */

static void test_image_entry_point_command_and_process_fields_are_copied(void **state)
{
	cleanup_cjson cJSON *s = spec(
		&bridge, TASK(BRIDGE, CTR("a", ",'entryPoint':['/bin/sh','-c'],'command':['echo "
					       "hi'],'workingDirectory':'/srv','user':'1000:1000',"
					       "'hostname':'box','stopTimeout':30")));

	(void)state;
	th_assert_json(TH_AT(s, "Image"), "'busybox'");
	th_assert_json(TH_AT(s, "Entrypoint"), "['/bin/sh','-c']");
	th_assert_json(TH_AT(s, "Cmd"), "['echo hi']");
	th_assert_json(TH_AT(s, "WorkingDir"), "'/srv'");
	th_assert_json(TH_AT(s, "User"), "'1000:1000'");
	th_assert_json(TH_AT(s, "Hostname"), "'box'");
	th_assert_json(TH_AT(s, "StopTimeout"), "30");
	/* nothing the definition does not ask for */
	assert_null(TH_AT(s, "Env"));
	assert_null(TH_AT(s, "Healthcheck"));
	assert_null(TH_AT(s, "HostConfig", "Init"));
	assert_null(TH_AT(s, "HostConfig", "ReadonlyRootfs"));
	assert_null(TH_AT(s, "HostConfig", "Memory"));
}

static void test_an_override_command_replaces_cmd_but_not_entry_point(void **state)
{
	cleanup_cjson cJSON *s =
		spec_at(&awsvpc, TASK("", CTR("a", ",'entryPoint':['sh'],'command':['a']")), 0,
			"{'name':'a','command':['-c','exit 3']}", NULL);

	(void)state;
	th_assert_json(TH_AT(s, "Entrypoint"), "['sh']");
	th_assert_json(TH_AT(s, "Cmd"), "['-c','exit 3']");
}

static void test_override_environment_replaces_by_name_and_secrets_come_last(void **state)
{
	cleanup_cjson cJSON *s = spec_at(
		&awsvpc,
		TASK("",
		     CTR("a", ",'environment':[{'name':'A','value':'1'},{'name':'B','value':'2'},"
			      "{'name':'EMPTY'}]")),
		0, "{'environment':[{'name':'B','value':'two'},{'name':'C','value':'3'}]}",
		"[{'name':'TOKEN','value':'s3cret'},{'name':'A','value':'from-secret'}]");

	(void)state;
	th_assert_json(TH_AT(s, "Env"), "['A=from-secret','B=two','EMPTY=','C=3','TOKEN=s3cret']");
}

static void test_cpu_units_become_cpu_shares_of_at_least_two(void **state)
{
	cleanup_cjson cJSON *zero = spec(&awsvpc, TASK("", CTR("a", "")));
	cleanup_cjson cJSON *one = spec(&awsvpc, TASK("", CTR("a", ",'cpu':1")));
	cleanup_cjson cJSON *some = spec(&awsvpc, TASK("", CTR("a", ",'cpu':768")));
	cleanup_cjson cJSON *over =
		spec_at(&awsvpc, TASK("", CTR("a", ",'cpu':768")), 0, "{'cpu':256}", NULL);

	(void)state;
	th_assert_json(TH_AT(zero, "HostConfig", "CpuShares"), "2");
	th_assert_json(TH_AT(one, "HostConfig", "CpuShares"), "2");
	th_assert_json(TH_AT(some, "HostConfig", "CpuShares"), "768");
	th_assert_json(TH_AT(over, "HostConfig", "CpuShares"), "256");
}

static void test_memory_mib_become_bytes_and_overrides_win(void **state)
{
	cleanup_cjson cJSON *s =
		spec(&awsvpc, TASK("", CTR("a", ",'memory':1536,'memoryReservation':1024")));
	cleanup_cjson cJSON *big = spec(&awsvpc, TASK("", CTR("a", ",'memory':16777216")));
	cleanup_cjson cJSON *over =
		spec_at(&awsvpc, TASK("", CTR("a", ",'memory':1536,'memoryReservation':1024")), 0,
			"{'memory':512,'memoryReservation':128}", NULL);

	(void)state;
	th_assert_json(TH_AT(s, "HostConfig", "Memory"), "1610612736");
	th_assert_json(TH_AT(s, "HostConfig", "MemoryReservation"), "1073741824");
	th_assert_json(TH_AT(big, "HostConfig", "Memory"), "17592186044416"); /* 16 TiB, exact */
	th_assert_json(TH_AT(over, "HostConfig", "Memory"), "536870912");
	th_assert_json(TH_AT(over, "HostConfig", "MemoryReservation"), "134217728");
}

static void test_bridge_publishes_fixed_and_ephemeral_ports_on_loopback_only(void **state)
{
	cleanup_cjson cJSON *s =
		spec(&bridge,
		     TASK(BRIDGE, CTR("a", ",'portMappings':[{'containerPort':80,'hostPort':8080},"
					   "{'containerPort':443},{'containerPort':53,"
					   "'protocol':'udp','hostPort':0},{'containerPort':80,"
					   "'hostPort':8081}]")));

	(void)state;
	th_assert_json(TH_AT(s, "HostConfig", "NetworkMode"), "'bridge'");
	th_assert_json(TH_AT(s, "ExposedPorts"), "{'80/tcp':{},'443/tcp':{},'53/udp':{}}");
	th_assert_json(TH_AT(s, "HostConfig", "PortBindings"),
		       "{'80/tcp':[{'HostIp':'127.0.0.1','HostPort':'8080'},"
		       "{'HostIp':'127.0.0.1','HostPort':'8081'}],"
		       "'443/tcp':[{'HostIp':'127.0.0.1','HostPort':''}],"
		       "'53/udp':[{'HostIp':'127.0.0.1','HostPort':''}]}");
}

static void test_awsvpc_joins_the_pause_container_and_publishes_nothing(void **state)
{
	cleanup_cjson cJSON *s =
		spec(&awsvpc,
		     TASK("", CTR("a", ",'portMappings':[{'containerPort':8080}],'ulimits':"
				       "[{'name':'nofile','softLimit':1024,'hardLimit':2048}]")));

	(void)state;
	th_assert_json(TH_AT(s, "HostConfig", "NetworkMode"), "'container:" PAUSE_ID "'");
	assert_null(TH_AT(s, "HostConfig", "PortBindings"));
	assert_null(TH_AT(s, "ExposedPorts"));
	assert_null(TH_AT(s, "Hostname"));
	assert_null(TH_AT(s, "HostConfig", "ExtraHosts"));
	/* the rest of HostConfig still applies */
	th_assert_json(TH_AT(s, "HostConfig", "Ulimits"),
		       "[{'Name':'nofile','Soft':1024,'Hard':2048}]");
}

static void test_host_and_none_modes_map_to_dockers_and_publish_nothing(void **state)
{
	struct ecs_spec_ctx ctx = bridge;
	cleanup_cjson cJSON *host = NULL, *none = NULL;

	(void)state;
	ctx.network_mode = "host";
	host = spec(&ctx, TASK(",'networkMode':'host'",
			       CTR("a", ",'portMappings':[{'containerPort':8080}]")));
	ctx.network_mode = "none";
	none = spec(&ctx, TASK(",'networkMode':'none'", CTR("a", "")));
	th_assert_json(TH_AT(host, "HostConfig", "NetworkMode"), "'host'");
	assert_null(TH_AT(host, "HostConfig", "PortBindings"));
	assert_null(TH_AT(host, "ExposedPorts"));
	th_assert_json(TH_AT(none, "HostConfig", "NetworkMode"), "'none'");
}

static void test_links_point_at_docker_names_with_the_alias_or_the_name(void **state)
{
	const char *def = TASK(BRIDGE, CTR("db", "") "," CTR("cache", "") "," CTR(
					       "web", ",'links':['db','cache:redis']"));
	cleanup_cjson cJSON *names = json("[{'name':'db','dockerName':'custom-db'}]");
	struct ecs_spec_ctx ctx = bridge;
	cleanup_cjson cJSON *plain = spec_at(&bridge, def, 2, NULL, NULL);
	cleanup_cjson cJSON *given = NULL;

	(void)state;
	th_assert_json(TH_AT(plain, "HostConfig", "Links"),
		       "['" TASK_ID "-db:db','" TASK_ID "-cache:redis']");
	ctx.link_names = names;
	given = spec_at(&ctx, def, 2, NULL, NULL);
	th_assert_json(TH_AT(given, "HostConfig", "Links"),
		       "['custom-db:db','" TASK_ID "-cache:redis']");
}

static void test_health_checks_keep_their_command_with_seconds_in_nanoseconds(void **state)
{
	cleanup_cjson cJSON *shell =
		spec(&awsvpc,
		     TASK("", CTR("a", ",'healthCheck':{'command':['CMD-SHELL','wget -q "
				       "localhost || exit 1'],'interval':15,'startPeriod':20}")));
	cleanup_cjson cJSON *exec = spec(
		&awsvpc,
		TASK("",
		     CTR("a", ",'healthCheck':{'command':['CMD','redis-cli','ping'],'timeout':3,"
			      "'retries':5}")));

	(void)state;
	th_assert_json(TH_AT(shell, "Healthcheck"),
		       "{'Test':['CMD-SHELL','wget -q localhost || exit 1'],'Interval':15000000000,"
		       "'Timeout':5000000000,'Retries':3,'StartPeriod':20000000000}");
	/* no startPeriod: none given, rather than 0, which inherits the image's */
	th_assert_json(TH_AT(exec, "Healthcheck"),
		       "{'Test':['CMD','redis-cli','ping'],'Interval':30000000000,"
		       "'Timeout':3000000000,'Retries':5}");
}

static void test_ulimits_extra_hosts_init_and_read_only_root_are_mapped(void **state)
{
	cleanup_cjson cJSON *s = spec(
		&bridge,
		TASK(BRIDGE,
		     CTR("a", ",'ulimits':[{'name':'nofile','softLimit':65536,'hardLimit':65536},"
			      "{'name':'memlock','softLimit':-1,'hardLimit':-1}],'extraHosts':"
			      "[{'hostname':'db.local','ipAddress':'127.0.0.2'}],'linuxParameters':"
			      "{'initProcessEnabled':true},'readonlyRootFilesystem':true")));
	cleanup_cjson cJSON *off = spec(
		&bridge, TASK(BRIDGE, CTR("a", ",'linuxParameters':{'initProcessEnabled':false},"
					       "'readonlyRootFilesystem':false")));

	(void)state;
	th_assert_json(TH_AT(s, "HostConfig", "Ulimits"),
		       "[{'Name':'nofile','Soft':65536,'Hard':65536},"
		       "{'Name':'memlock','Soft':-1,'Hard':-1}]");
	th_assert_json(TH_AT(s, "HostConfig", "ExtraHosts"), "['db.local:127.0.0.2']");
	th_assert_json(TH_AT(s, "HostConfig", "Init"), "true");
	th_assert_json(TH_AT(s, "HostConfig", "ReadonlyRootfs"), "true");
	assert_null(TH_AT(off, "HostConfig", "Init"));
	assert_null(TH_AT(off, "HostConfig", "ReadonlyRootfs"));
}

static void test_labels_are_docker_labels_plus_ours_which_cannot_be_forged(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK(
		"", CTR("app", ",'dockerLabels':{'com.example.team':'shop','io.nimbusfs.owner':"
			       "'mallory'}")));
	cleanup_cjson cJSON *s = NULL;
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(ecs_taskdef_finalize(def, 7, "eu-west-1", "123456789012", 1.5, &err), 0);
	assert_int_equal(ecs_spec_container(&awsvpc, def, TH_AT(def, "containerDefinitions", "0"),
					    NULL, NULL, &s, &err),
			 0);
	th_assert_json(TH_AT(s, "Labels"),
		       "{'com.example.team':'shop','io.nimbusfs.owner':'st1',"
		       "'com.amazonaws.ecs.container-name':'app',"
		       "'com.amazonaws.ecs.task-definition-family':'f',"
		       "'com.amazonaws.ecs.task-definition-version':'7',"
		       "'io.nimbusfs.kind':'ecs-task','io.nimbusfs.object':'" TASK_ID "',"
		       "'io.nimbusfs.container':'app'}");
}

static void test_volumes_become_binds_named_volumes_and_volumes_from(void **state)
{
	const char *def =
		TASK(",'volumes':[{'name':'static','host':{'sourcePath':'/srv/static'}},"
		     "{'name':'data','dockerVolumeConfiguration':{'scope':'task','driver':'local',"
		     "'driverOpts':{'type':'tmpfs','device':'tmpfs'},'labels':{'app':'web'}}},"
		     "{'name':'pool','dockerVolumeConfiguration':{'scope':'shared',"
		     "'autoprovision':true}},{'name':'scratch'},{'name':'bare','host':{}}]",
		     CTR("a", "") "," CTR(
			     "b", ",'mountPoints':[{'sourceVolume':'static','containerPath':'/s',"
				  "'readOnly':true},{'sourceVolume':'static','containerPath':'/w'},"
				  "{'sourceVolume':'data','containerPath':'/d'},{'sourceVolume':"
				  "'pool','containerPath':'/p','readOnly':true},{'sourceVolume':"
				  "'scratch','containerPath':'/x'},{'sourceVolume':'bare',"
				  "'containerPath':'/y'}],'volumesFrom':[{'sourceContainer':'a'},"
				  "{'sourceContainer':'a','readOnly':true}]"));
	cleanup_cjson cJSON *s = spec_at(&awsvpc, def, 1, NULL, NULL);
	const char *ours = "'io.nimbusfs.owner':'st1','io.nimbusfs.kind':'ecs-task',"
			   "'io.nimbusfs.object':'" TASK_ID "'";
	char want[2048];

	(void)state;
	th_assert_json(TH_AT(s, "HostConfig", "Binds"), "['/srv/static:/s:ro','/srv/static:/w']");
	snprintf(want, sizeof(want),
		 "[{'Type':'volume','Source':'" TASK_ID "-data','Target':'/d','ReadOnly':false,"
		 "'VolumeOptions':{'Labels':{'app':'web',%s},'DriverConfig':{'Name':'local',"
		 "'Options':{'type':'tmpfs','device':'tmpfs'}}}},"
		 "{'Type':'volume','Source':'pool','Target':'/p','ReadOnly':true,"
		 "'VolumeOptions':{'Labels':{}}},"
		 "{'Type':'volume','Source':'" TASK_ID "-scratch','Target':'/x','ReadOnly':false,"
		 "'VolumeOptions':{'Labels':{%s}}},"
		 "{'Type':'volume','Source':'" TASK_ID "-bare','Target':'/y','ReadOnly':false,"
		 "'VolumeOptions':{'Labels':{%s}}}]",
		 ours, ours, ours);
	th_assert_json(TH_AT(s, "HostConfig", "Mounts"), want);
	th_assert_json(TH_AT(s, "HostConfig", "VolumesFrom"),
		       "['" TASK_ID "-a','" TASK_ID "-a:ro']");
}

static void test_the_web_fixtures_app_container_maps_field_by_field(void **state)
{
	cleanup_cjson cJSON *def = web();
	cleanup_cjson cJSON *s = NULL;
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(ecs_spec_container(&awsvpc, def, TH_AT(def, "containerDefinitions", "1"),
					    NULL, NULL, &s, &err),
			 0);
	th_assert_json(
		s, "{'Image':'ghcr.io/example/shop-api:1.4.2','Cmd':['serve','--port','8080'],"
		   "'Env':['REDIS_URL=redis://localhost:6379/0','LOG_LEVEL=info'],"
		   "'WorkingDir':'/srv/app','User':'1000:1000',"
		   "'Healthcheck':{'Test':['CMD-SHELL','wget -qO- http://localhost:8080/healthz "
		   "|| exit 1'],'Interval':15000000000,'Timeout':5000000000,'Retries':3,"
		   "'StartPeriod':20000000000},'StopTimeout':30,"
		   "'Labels':{'com.example.team':'shop','com.amazonaws.ecs.container-name':'app',"
		   "'com.amazonaws.ecs.task-definition-family':'web',"
		   "'io.nimbusfs.owner':'st1','io.nimbusfs.kind':'ecs-task',"
		   "'io.nimbusfs.object':'" TASK_ID "','io.nimbusfs.container':'app'},"
		   "'HostConfig':{'CpuShares':768,'Memory':1610612736,"
		   "'MemoryReservation':1073741824,"
		   "'Ulimits':[{'Name':'nofile','Soft':65536,'Hard':65536}],"
		   "'NetworkMode':'container:" PAUSE_ID "','Init':true}}");
}

/* the pause container */

static void test_the_pause_container_publishes_every_containers_ports(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK(
		"",
		CTR("a",
		    ",'portMappings':[{'containerPort':8080},{'containerPort':53,"
		    "'protocol':'udp'}]") "," CTR("b",
						  "") "," CTR("c",
							      ",'portMappings':[{'containerPort':"
							      "9000},{'containerPort':8080}]")));
	struct ecs_spec_ctx ctx = awsvpc;
	cleanup_cjson cJSON *s = NULL;
	struct nb_err err = { 0 };

	(void)state;
	ctx.pause_id = NULL;
	ctx.hostname = "ip-10-0-0-1";
	assert_int_equal(ecs_spec_pause(&ctx, def, "local/busybox:latest", &s, &err), 0);
	th_assert_json(s, "{'Image':'local/busybox:latest','Cmd':['sleep','2147483647'],"
			  "'StopSignal':'SIGKILL','Hostname':'ip-10-0-0-1',"
			  "'Labels':{'io.nimbusfs.owner':'st1','io.nimbusfs.kind':'ecs-task',"
			  "'io.nimbusfs.object':'" TASK_ID "','io.nimbusfs.container':'~pause'},"
			  "'ExposedPorts':{'8080/tcp':{},'53/udp':{},'9000/tcp':{}},"
			  "'HostConfig':{'PortBindings':{"
			  "'8080/tcp':[{'HostIp':'127.0.0.1','HostPort':''}],"
			  "'53/udp':[{'HostIp':'127.0.0.1','HostPort':''}],"
			  "'9000/tcp':[{'HostIp':'127.0.0.1','HostPort':''}]}}}");
}

static void test_a_pause_container_without_hostname_or_ports_has_neither(void **state)
{
	cleanup_cjson cJSON *def = taskdef(TASK("", CTR("a", "")));
	cleanup_cjson cJSON *s = NULL;
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(ecs_spec_pause(&awsvpc, def, "pause:1", &s, &err), 0);
	assert_null(TH_AT(s, "Hostname"));
	th_assert_json(TH_AT(s, "HostConfig", "PortBindings"), "{}");
	th_assert_json(TH_AT(s, "ExposedPorts"), "{}");
}

static void test_docker_names_are_task_id_dash_name_and_dot_pause(void **state)
{
	char name[ECS_SPEC_DOCKER_NAME_MAX], small[8];

	(void)state;
	ecs_spec_docker_name(TASK_ID, "app", name, sizeof(name));
	assert_string_equal(name, TASK_ID "-app");
	/* a container may be called "pause"; it must not meet the pause container */
	ecs_spec_docker_name(TASK_ID, "pause", name, sizeof(name));
	assert_string_equal(name, TASK_ID "-pause");
	ecs_spec_docker_name(TASK_ID, ECS_PAUSE_CONTAINER, name, sizeof(name));
	assert_string_equal(name, TASK_ID ".pause");
	ecs_spec_docker_name(TASK_ID, NULL, name, sizeof(name));
	assert_string_equal(name, TASK_ID ".pause");
	ecs_spec_docker_name(TASK_ID, "app", small, sizeof(small));
	assert_string_equal(small, "0123456");
}

/* the way back */

static void test_bindings_are_read_from_a_recorded_inspect_reply_sorted(void **state)
{
	cleanup_cjson cJSON *reply = fixture("inspect-ports.json");
	cleanup_cjson cJSON *bindings = NULL;
	cleanup_buf struct nb_buf text = { 0 };
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(nb_buf_puts(&text, "# kept\n"), 0);
	assert_int_equal(ecs_spec_bindings(reply, &bindings, &text, &err), 3);
	th_assert_json(
		bindings,
		"[{'bindIP':'127.0.0.1','containerPort':80,'hostPort':18080,'protocol':'tcp'},"
		"{'bindIP':'127.0.0.1','containerPort':5353,'hostPort':32768,'protocol':'udp'},"
		"{'bindIP':'127.0.0.1','containerPort':8080,'hostPort':32768,"
		"'protocol':'tcp'}]");
	assert_string_equal(text.data, "# kept\n"
				       "80/tcp -> 127.0.0.1:18080\n"
				       "5353/udp -> 127.0.0.1:32768\n"
				       "8080/tcp -> 127.0.0.1:32768\n");
}

static void test_bindings_of_a_stopped_or_joined_container_are_empty(void **state)
{
	static const char *const replies[] = {
		"{'NetworkSettings':{'Ports':null}}",
		"{'NetworkSettings':{'Ports':{}}}",
		"{'NetworkSettings':{'Ports':{'9000/tcp':null}}}",
		"{'State':{}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		cleanup_cjson cJSON *reply = json(replies[i]);
		cleanup_cjson cJSON *bindings = NULL;
		cleanup_buf struct nb_buf text = { 0 };
		struct nb_err err = { 0 };

		assert_int_equal(ecs_spec_bindings(reply, &bindings, &text, &err), 0);
		th_assert_json(bindings, "[]");
		assert_int_equal(text.len, 0);
	}
}

static void test_ipv6_bindings_are_bracketed_and_outputs_are_optional(void **state)
{
	cleanup_cjson cJSON *reply =
		json("{'NetworkSettings':{'Ports':{'80/tcp':[{'HostIp':'::','HostPort':'8080'},"
		     "{'HostIp':'0.0.0.0','HostPort':'8080'}]}}}");
	cleanup_buf struct nb_buf text = { 0 };
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(ecs_spec_bindings(reply, NULL, &text, &err), 2);
	assert_string_equal(text.data, "80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n");
	assert_int_equal(ecs_spec_bindings(reply, NULL, NULL, &err), 2);
}

static void test_start_order_puts_each_container_after_what_it_depends_on(void **state)
{
	cleanup_cjson cJSON *def = web(); /* proxy -> app -> cache */
	cleanup_cjson cJSON *chain = taskdef(TASK(
		"",
		CTR("a",
		    ",'dependsOn':[{'containerName':'b','condition':'START'}"
		    "]") "," CTR("b",
				 ",'dependsOn':[{'containerName':'c','"
				 "condition':'COMPLETE'}]") "," CTR("c",
								    ",'dependsOn':[{'containerName'"
								    ":'d','condition':'"
								    "SUCCESS'}]") "," CTR("d",
											  "")));
	int order[10];

	(void)state;
	assert_int_equal(ecs_spec_start_order(def, order, 10), 3);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 0);
	assert_int_equal(ecs_spec_start_order(chain, order, 4), 4);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 1);
	assert_int_equal(order[3], 0);
}

static void test_start_order_ties_keep_definition_order(void **state)
{
	/* a and c wait for d; b and d wait for nothing; e waits for a and b */
	cleanup_cjson cJSON *def = taskdef(TASK(
		"",
		CTR("a", ",'dependsOn':[{'containerName':'d','condition':'START'}]") "," CTR(
			"b", "") "," CTR("c",
					 ",'dependsOn':[{'containerName':'d','condition':"
					 "'START'}]") "," CTR("d",
							      "") "," CTR("e",
									  ",'dependsOn':[{'"
									  "containerName':'a','"
									  "condition':'START'},"
									  "{'containerName':'b','"
									  "condition':'START'}]")));
	cleanup_cjson cJSON *flat =
		taskdef(TASK("", CTR("x", "") "," CTR("y", "") "," CTR("z", "")));
	int order[5];

	(void)state;
	assert_int_equal(ecs_spec_start_order(def, order, 5), 5);
	/* b (ready, first), d, then a (now ready, before c), c, e */
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 3);
	assert_int_equal(order[2], 0);
	assert_int_equal(order[3], 2);
	assert_int_equal(order[4], 4);
	assert_int_equal(ecs_spec_start_order(flat, order, 5), 3);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
}

static void test_an_oom_kill_is_reported_as_ecs_does(void **state)
{
	cleanup_cjson cJSON *oom = json("{'ExitCode':137,'OOMKilled':true,'Error':''}");
	cleanup_cjson cJSON *both = json("{'ExitCode':137,'OOMKilled':true,'Error':'boom'}");
	char reason[256], small[10];

	(void)state;
	ecs_spec_exit_reason(oom, reason, sizeof(reason));
	assert_string_equal(reason, "OutOfMemoryError: Container killed due to memory usage");
	ecs_spec_exit_reason(both, reason, sizeof(reason));
	assert_string_equal(reason, "OutOfMemoryError: Container killed due to memory usage");
	ecs_spec_exit_reason(oom, small, sizeof(small));
	assert_string_equal(small, "OutOfMemo");
}

static void test_an_engine_error_is_a_docker_state_error(void **state)
{
	cleanup_cjson cJSON *st = json("{'ExitCode':127,'OOMKilled':false,'Error':'OCI runtime "
				       "create failed: exec: nope: not found'}");
	char reason[256];

	(void)state;
	ecs_spec_exit_reason(st, reason, sizeof(reason));
	assert_string_equal(reason,
			    "DockerStateError: OCI runtime create failed: exec: nope: not found");
}

static void test_exits_and_signals_alone_give_no_reason_as_in_ecs(void **state)
{
	static const char *const states[] = {
		"{'ExitCode':0,'OOMKilled':false,'Error':''}",
		"{'ExitCode':1,'OOMKilled':false,'Error':''}",
		"{'ExitCode':137,'OOMKilled':false,'Error':''}",
		"{'ExitCode':143}",
		"{}",
	};
	char reason[64] = "stale";

	(void)state;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		cleanup_cjson cJSON *st = json(states[i]);

		strcpy(reason, "stale");
		ecs_spec_exit_reason(st, reason, sizeof(reason));
		assert_string_equal(reason, "");
	}
	strcpy(reason, "stale");
	ecs_spec_exit_reason(NULL, reason, sizeof(reason));
	assert_string_equal(reason, "");
}

static void test_exit_codes_above_128_name_their_signal(void **state)
{
	(void)state;
	assert_string_equal(ecs_spec_exit_signal(137), "SIGKILL");
	assert_string_equal(ecs_spec_exit_signal(143), "SIGTERM");
	assert_string_equal(ecs_spec_exit_signal(139), "SIGSEGV");
	assert_string_equal(ecs_spec_exit_signal(129), "SIGHUP");
	assert_string_equal(ecs_spec_exit_signal(159), "SIGSYS");
	assert_null(ecs_spec_exit_signal(0));
	assert_null(ecs_spec_exit_signal(1));
	assert_null(ecs_spec_exit_signal(128));
	assert_null(ecs_spec_exit_signal(160));
	assert_null(ecs_spec_exit_signal(255));
	assert_null(ecs_spec_exit_signal(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_context_without_owner_or_task_id_is_refused),
		cmocka_unit_test(test_an_unknown_network_mode_is_refused),
		cmocka_unit_test(test_awsvpc_without_a_pause_container_is_refused),
		cmocka_unit_test(test_a_malformed_override_is_refused_naming_container_and_field),
		cmocka_unit_test(test_run_task_refuses_override_keys_that_differ_only_in_case),
		cmocka_unit_test(test_malformed_secrets_are_refused),
		cmocka_unit_test(test_a_container_without_name_or_image_or_volume_is_refused),
		cmocka_unit_test(test_malformed_links_are_refused),
		cmocka_unit_test(test_a_pause_container_needs_an_image_and_a_context),
		cmocka_unit_test(test_a_malformed_inspect_reply_is_refused_and_appends_nothing),
		cmocka_unit_test(test_start_order_refuses_no_containers_and_too_small_an_array),
		cmocka_unit_test(test_image_entry_point_command_and_process_fields_are_copied),
		cmocka_unit_test(test_an_override_command_replaces_cmd_but_not_entry_point),
		cmocka_unit_test(test_override_environment_replaces_by_name_and_secrets_come_last),
		cmocka_unit_test(test_cpu_units_become_cpu_shares_of_at_least_two),
		cmocka_unit_test(test_memory_mib_become_bytes_and_overrides_win),
		cmocka_unit_test(test_bridge_publishes_fixed_and_ephemeral_ports_on_loopback_only),
		cmocka_unit_test(test_awsvpc_joins_the_pause_container_and_publishes_nothing),
		cmocka_unit_test(test_host_and_none_modes_map_to_dockers_and_publish_nothing),
		cmocka_unit_test(test_links_point_at_docker_names_with_the_alias_or_the_name),
		cmocka_unit_test(test_health_checks_keep_their_command_with_seconds_in_nanoseconds),
		cmocka_unit_test(test_ulimits_extra_hosts_init_and_read_only_root_are_mapped),
		cmocka_unit_test(test_labels_are_docker_labels_plus_ours_which_cannot_be_forged),
		cmocka_unit_test(test_volumes_become_binds_named_volumes_and_volumes_from),
		cmocka_unit_test(test_the_web_fixtures_app_container_maps_field_by_field),
		cmocka_unit_test(test_the_pause_container_publishes_every_containers_ports),
		cmocka_unit_test(test_a_pause_container_without_hostname_or_ports_has_neither),
		cmocka_unit_test(test_docker_names_are_task_id_dash_name_and_dot_pause),
		cmocka_unit_test(test_bindings_are_read_from_a_recorded_inspect_reply_sorted),
		cmocka_unit_test(test_bindings_of_a_stopped_or_joined_container_are_empty),
		cmocka_unit_test(test_ipv6_bindings_are_bracketed_and_outputs_are_optional),
		cmocka_unit_test(test_start_order_puts_each_container_after_what_it_depends_on),
		cmocka_unit_test(test_start_order_ties_keep_definition_order),
		cmocka_unit_test(test_an_oom_kill_is_reported_as_ecs_does),
		cmocka_unit_test(test_an_engine_error_is_a_docker_state_error),
		cmocka_unit_test(test_exits_and_signals_alone_give_no_reason_as_in_ecs),
		cmocka_unit_test(test_exit_codes_above_128_name_their_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
