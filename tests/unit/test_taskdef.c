/*
 * tests/unit/test_taskdef.c - the ECS task definition model: every ECS rule
 * refuses with a message naming the field by path, then the forms accepted,
 * the warnings, the defaults, the cpu/memory normalisation and a realistic
 * three-container definition (tests/fixtures/ecs/web.json) that round-trips.
 * JSON in this file is written with ' for " so it stays readable.
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
#include "backend/ecs/taskdef.h"
#include "tests/unit/helpers.h"

/* A container and a task around containers, in ' quoting. */
#define CTR(name, extra) "{'name':'" name "','image':'busybox'" extra "}"
#define WEB(extra)	 CTR("web", extra)
/* TASK(extra, container...) takes one to three containers. */
#define JOIN1(a)		    a
#define JOIN2(a, b)		    a "," b
#define JOIN3(a, b, c)		    a "," b "," c
#define PICK(_1, _2, _3, join, ...) join
#define TASK(extra, ...)                                                                           \
	"{'family':'f'" extra                                                                      \
	",'containerDefinitions':[" PICK(__VA_ARGS__, JOIN3, JOIN2, JOIN1, _)(__VA_ARGS__) "]}"
#define DEP(name, condition)                                                                       \
	",'dependsOn':[{'containerName':'" name "','condition':'" condition "'}]"

static void expect_refusal(const char *text, int code, const char *msg)
{
	cleanup_free char *json = th_dq(text);
	struct nb_err err = { 0 };
	cJSON *def = NULL, *warnings = NULL;
	int ret = ecs_taskdef_parse(json, strlen(json), &def, &warnings, &err);

	if (ret != code || strcmp(err.msg, msg) != 0)
		fail_msg("parse(%s)\n got  %d \"%s\"\n want %d \"%s\"", json, ret, err.msg, code,
			 msg);
	assert_int_equal(err.code, code);
	assert_null(def);
	assert_null(warnings);
}

#define expect_einval(text, msg) expect_refusal(text, -EINVAL, msg)

static cJSON *parse_ok(const char *text, cJSON **warnings_out)
{
	cleanup_free char *json = th_dq(text);
	cleanup_cjson cJSON *warnings = NULL;
	struct nb_err err = { 0 };
	cJSON *def = NULL;
	int ret = ecs_taskdef_parse(json, strlen(json), &def, &warnings, &err);

	if (ret != 0)
		fail_msg("parse(%s) failed: %d \"%s\"", json, ret, err.msg);
	assert_non_null(def);
	assert_true(cJSON_IsArray(warnings));
	if (warnings_out)
		*warnings_out = move_ptr(warnings);
	return def;
}

/* refusals: the document */

static void test_a_request_over_64_kib_is_refused_with_efbig(void **state)
{
	size_t len = ECS_TASKDEF_MAX + 1;
	cleanup_free char *big = malloc(len);
	struct nb_err err = { 0 };
	cJSON *def = NULL, *warnings = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	assert_int_equal(ecs_taskdef_parse(big, len, &def, &warnings, &err), -EFBIG);
	assert_string_equal(err.msg,
			    "task definition is 65537 bytes; the limit is 64 KiB (65536 bytes)");
	assert_null(def);
}

static void test_invalid_json_is_refused_with_its_line_and_column(void **state)
{
	(void)state;
	expect_einval("{'family': 'f',\n 'containerDefinitions': [}",
		      "invalid JSON at line 2, column 27");
	expect_einval("[]", "a task definition must be a JSON object");
}

static void test_an_unknown_top_level_field_is_refused_as_the_cli_does(void **state)
{
	(void)state;
	expect_einval(TASK(",'famliy':'x'", WEB("")), "unknown field famliy");
	expect_einval(TASK(",'Family':'x'", WEB("")), "unknown field Family");
}

static void test_an_unknown_container_field_is_refused_by_path(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(""), CTR("db", ",'gpu':1")),
		      "unknown field containerDefinitions[1].gpu");
	expect_einval(TASK("", WEB(",'linuxParameters':{'init':true}")),
		      "unknown field containerDefinitions[0].linuxParameters.init");
}

static void test_a_field_given_twice_is_refused(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'memory':64,'memory':128")),
		      "containerDefinitions[0].memory appears twice");
}

static void test_a_read_only_field_in_a_request_points_to_the_describe_form(void **state)
{
	(void)state;
	expect_einval(TASK(",'revision':3", WEB("")),
		      "unknown field revision: ECS sets it; pass DescribeTaskDefinition output "
		      "whole, as {\"taskDefinition\": {...}}");
}

/* refusals: the task */

static void test_family_is_required_and_must_be_a_valid_name(void **state)
{
	(void)state;
	expect_einval("{'containerDefinitions':[" WEB("") "]}", "family is required");
	expect_einval("{'family':7,'containerDefinitions':[" WEB("") "]}",
		      "family must be a string");
	expect_einval("{'family':'my app','containerDefinitions':[" WEB("") "]}",
		      "family must be 1 to 255 letters, numbers, hyphens or underscores");
	expect_einval("{'family':'','containerDefinitions':[" WEB("") "]}",
		      "family must be 1 to 255 letters, numbers, hyphens or underscores");
}

static void test_container_definitions_are_required_non_empty_and_at_most_ten(void **state)
{
	char eleven[1024];
	size_t n = 0;

	(void)state;
	expect_einval("{'family':'f'}", "containerDefinitions is required");
	expect_einval("{'family':'f','containerDefinitions':[]}",
		      "containerDefinitions must not be empty");
	expect_einval("{'family':'f','containerDefinitions':{}}",
		      "containerDefinitions must be an array");
	expect_einval("{'family':'f','containerDefinitions':[7]}",
		      "containerDefinitions[0] must be an object");
	n += (size_t)snprintf(eleven, sizeof(eleven), "{'family':'f','containerDefinitions':[");
	for (int i = 0; i < 11; i++)
		n += (size_t)snprintf(eleven + n, sizeof(eleven) - n,
				      "%s{'name':'c%d','image':'x'}", i ? "," : "", i);
	snprintf(eleven + n, sizeof(eleven) - n, "]}");
	expect_einval(eleven, "containerDefinitions must have at most 10 entries");
}

static void test_an_unknown_network_mode_is_refused_listing_the_valid_ones(void **state)
{
	(void)state;
	expect_einval(TASK(",'networkMode':'nat'", WEB("")),
		      "networkMode must be one of bridge, host, awsvpc, none");
}

static void test_task_cpu_and_memory_must_be_sizes_ecs_reads(void **state)
{
	(void)state;
	expect_einval(TASK(",'cpu':'lots'", WEB("")),
		      "cpu \"lots\" is not a size ECS reads (e.g. \"256\" or \"1 vCPU\")");
	expect_einval(TASK(",'cpu':'1e3'", WEB("")),
		      "cpu \"1e3\" is not a size ECS reads (e.g. \"256\" or \"1 vCPU\")");
	expect_einval(TASK(",'cpu':'0.0001 vCPU'", WEB("")),
		      "cpu \"0.0001 vCPU\" is not a size ECS reads (e.g. \"256\" or \"1 vCPU\")");
	expect_einval(TASK(",'cpu':'64'", WEB("")), "cpu must be between 128 and 196608 CPU units");
	expect_einval(TASK(",'cpu':'193 vcpu'", WEB("")),
		      "cpu must be between 128 and 196608 CPU units");
	expect_einval(TASK(",'cpu':true", WEB("")), "cpu must be a string or a number");
	expect_einval(TASK(",'cpu':256.5", WEB("")), "cpu must be a whole number of CPU units");
	expect_einval(TASK(",'memory':'2 TB'", WEB("")),
		      "memory \"2 TB\" is not a size ECS reads (e.g. \"512\" or \"2 GB\")");
	expect_einval(TASK(",'memory':'16385 GB'", WEB("")),
		      "memory must be between 6 and 16777216 MiB");
	expect_einval(TASK(",'memory':-512", WEB("")), "memory must be between 6 and 16777216 MiB");
}

static void test_volumes_need_unique_valid_names_and_absolute_host_paths(void **state)
{
	(void)state;
	expect_einval(TASK(",'volumes':[{'name':'a'},{'name':'a'}]", WEB("")),
		      "volumes[1] name \"a\" is already used by volumes[0]");
	expect_einval(TASK(",'volumes':[{'host':{}}]", WEB("")), "volumes[0].name is required");
	expect_einval(TASK(",'volumes':[{'name':'a b'}]", WEB("")),
		      "volumes[0] name must be 1 to 255 letters, numbers, hyphens or underscores");
	expect_einval(TASK(",'volumes':[{'name':'a','host':{'sourcePath':'data'}}]", WEB("")),
		      "volumes[0] host.sourcePath must be an absolute path");
	expect_einval(
		TASK(",'volumes':[{'name':'a','host':{},'dockerVolumeConfiguration':{}}]", WEB("")),
		"volumes[0] may have only one of host, dockerVolumeConfiguration, "
		"efsVolumeConfiguration and fsxWindowsFileServerVolumeConfiguration");
	expect_einval(TASK(",'volumes':[{'name':'a','dockerVolumeConfiguration':{'scope':'node'}}]",
			   WEB("")),
		      "volumes[0].dockerVolumeConfiguration.scope must be one of task, shared");
	expect_einval(
		TASK(",'volumes':[{'name':'a','dockerVolumeConfiguration':{'driverOpts':{'o':1}}}]",
		     WEB("")),
		"volumes[0].dockerVolumeConfiguration.driverOpts.o must be a string");
}

static void test_other_task_fields_are_checked_as_ecs_checks_them(void **state)
{
	(void)state;
	expect_einval(TASK(",'requiresCompatibilities':['EC2','LAMBDA']", WEB("")),
		      "requiresCompatibilities[1] must be one of EC2, FARGATE, EXTERNAL, "
		      "MANAGED_INSTANCES");
	expect_einval(TASK(",'pidMode':'container'", WEB("")), "pidMode must be one of host, task");
	expect_einval(TASK(",'ipcMode':'shareable'", WEB("")),
		      "ipcMode must be one of host, task, none");
	expect_einval(TASK(",'ephemeralStorage':{'sizeInGiB':20}", WEB("")),
		      "ephemeralStorage.sizeInGiB must be between 21 and 200");
	expect_einval(TASK(",'proxyConfiguration':{'type':'APPMESH'}", WEB("")),
		      "proxyConfiguration.containerName is required");
	expect_einval(TASK(",'runtimePlatform':{'cpuArchitecture':'RISCV'}", WEB("")),
		      "runtimePlatform.cpuArchitecture must be one of X86_64, ARM64");
	expect_einval(TASK(",'tags':[{'value':'x'}]", WEB("")), "tags[0].key is required");
	expect_einval(TASK(",'tags':[{'key':'aws:owner','value':'x'}]", WEB("")),
		      "tags[0] key must not start with \"aws:\", which AWS reserves");
	expect_einval(TASK(",'taskRoleArn':['arn']", WEB("")), "taskRoleArn must be a string");
}

/* refusals: containers */

static void test_container_names_are_required_valid_and_unique(void **state)
{
	(void)state;
	expect_einval(TASK("", "{'image':'busybox'}"), "containerDefinitions[0].name is required");
	expect_einval(TASK("", CTR("web.1", "")),
		      "containerDefinitions[0].name must be 1 to 255 letters, numbers, hyphens or "
		      "underscores");
	expect_einval(TASK("", WEB(""), CTR("db", ""), WEB("")),
		      "containerDefinitions[2].name \"web\" is already used by "
		      "containerDefinitions[0]");
}

static void test_an_image_is_required_and_non_empty(void **state)
{
	(void)state;
	expect_einval(TASK("", "{'name':'web'}"), "containerDefinitions[0].image is required");
	expect_einval(TASK("", "{'name':'web','image':''}"),
		      "containerDefinitions[0].image must not be empty");
}

static void test_json_types_are_checked_and_named_everywhere(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'memory':'512'")),
		      "containerDefinitions[0].memory must be a number");
	expect_einval(TASK("", WEB(",'memory':512.5")),
		      "containerDefinitions[0].memory must be an integer");
	expect_einval(TASK("", WEB(",'command':['sh',7]")),
		      "containerDefinitions[0].command[1] must be a string");
	expect_einval(TASK("", WEB(",'entryPoint':'sh -c'")),
		      "containerDefinitions[0].entryPoint must be an array");
	expect_einval(TASK("", WEB(",'essential':'yes'")),
		      "containerDefinitions[0].essential must be true or false");
	expect_einval(TASK("", WEB(",'readonlyRootFilesystem':1")),
		      "containerDefinitions[0].readonlyRootFilesystem must be true or false");
	expect_einval(TASK("", WEB(",'dockerLabels':{'a':'b','c':3}")),
		      "containerDefinitions[0].dockerLabels.c must be a string");
	expect_einval(TASK("", WEB(",'linuxParameters':{'initProcessEnabled':'true'}")),
		      "containerDefinitions[0].linuxParameters.initProcessEnabled must be true or "
		      "false");
	expect_einval(TASK("", WEB(",'user':1000")),
		      "containerDefinitions[0].user must be a string");
	expect_einval(TASK("", WEB(",'healthCheck':null")),
		      "containerDefinitions[0].healthCheck must be an object");
}

static void test_environment_and_secrets_need_their_names_and_values(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'environment':[{'value':'x'}]")),
		      "containerDefinitions[0].environment[0].name is required");
	expect_einval(TASK("", WEB(",'secrets':[{'name':'TOKEN'}]")),
		      "containerDefinitions[0].secrets[0].valueFrom is required");
	expect_einval(TASK("", WEB(",'secrets':[{'valueFrom':'arn'}]")),
		      "containerDefinitions[0].secrets[0].name is required");
}

static void test_container_cpu_and_memory_stay_in_ecs_limits(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'cpu':-1")),
		      "containerDefinitions[0].cpu must be between 0 and 262144");
	expect_einval(TASK("", WEB(",'memory':5")),
		      "containerDefinitions[0].memory must be between 6 and 16777216");
	expect_einval(TASK("", WEB(",'memory':16777217")),
		      "containerDefinitions[0].memory must be between 6 and 16777216");
	expect_einval(TASK("", WEB(",'memoryReservation':0")),
		      "containerDefinitions[0].memoryReservation must be between 6 and 16777216");
	expect_einval(TASK("", WEB(",'memory':128,'memoryReservation':256")),
		      "containerDefinitions[0].memoryReservation must not exceed memory (128 MiB)");
}

static void test_at_least_one_container_must_be_essential(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'essential':false"), CTR("db", ",'essential':false")),
		      "at least one essential container is required");
}

static void test_depends_on_must_name_another_container_with_a_known_condition(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'dependsOn':[{'containerName':'db','condition':'START'}]")),
		      "containerDefinitions[0].dependsOn[0].containerName \"db\" names no "
		      "container of the task");
	expect_einval(TASK("", WEB(",'dependsOn':[{'containerName':'web','condition':'START'}]")),
		      "containerDefinitions[0].dependsOn[0].containerName names the container "
		      "itself");
	expect_einval(TASK("", WEB(",'dependsOn':[{'containerName':'db','condition':'READY'}]"),
			   CTR("db", "")),
		      "containerDefinitions[0].dependsOn[0].condition must be one of START, "
		      "COMPLETE, SUCCESS, HEALTHY");
	expect_einval(TASK("", WEB(",'dependsOn':[{'containerName':'db'}]"), CTR("db", "")),
		      "containerDefinitions[0].dependsOn[0].condition is required");
}

static void test_healthy_needs_a_health_check_on_the_container_waited_for(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(DEP("db", "HEALTHY")), CTR("db", "")),
		      "containerDefinitions[0].dependsOn[0].condition HEALTHY needs container "
		      "\"db\" to have a healthCheck");
}

static void test_a_depends_on_cycle_is_refused_naming_its_containers(void **state)
{
	(void)state;
	expect_einval(TASK("", CTR("A", DEP("B", "START")), CTR("B", DEP("C", "START")),
			   CTR("C", DEP("A", "START"))),
		      "containerDefinitions dependsOn has a cycle: A -> B -> C -> A");
	/* The cycle is named alone, without the container that leads into it. */
	expect_einval(TASK("", CTR("A", DEP("B", "START")), CTR("B", DEP("C", "COMPLETE")),
			   CTR("C", DEP("B", "SUCCESS"))),
		      "containerDefinitions dependsOn has a cycle: B -> C -> B");
}

static void test_a_health_check_needs_cmd_or_cmd_shell_and_a_command(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'healthCheck':{}")),
		      "containerDefinitions[0].healthCheck.command is required");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['curl','-f','http://x']}")),
		      "containerDefinitions[0].healthCheck.command must start with \"CMD\" or "
		      "\"CMD-SHELL\"");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['cmd','true']}")),
		      "containerDefinitions[0].healthCheck.command must start with \"CMD\" or "
		      "\"CMD-SHELL\"");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':[]}")),
		      "containerDefinitions[0].healthCheck.command must start with \"CMD\" or "
		      "\"CMD-SHELL\"");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['CMD-SHELL']}")),
		      "containerDefinitions[0].healthCheck.command must give a command after "
		      "\"CMD-SHELL\"");
}

static void test_health_check_timings_stay_in_ecs_ranges(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['CMD','true'],'interval':4}")),
		      "containerDefinitions[0].healthCheck.interval must be between 5 and 300");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['CMD','true'],'interval':301}")),
		      "containerDefinitions[0].healthCheck.interval must be between 5 and 300");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['CMD','true'],'timeout':1}")),
		      "containerDefinitions[0].healthCheck.timeout must be between 2 and 60");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['CMD','true'],'timeout':61}")),
		      "containerDefinitions[0].healthCheck.timeout must be between 2 and 60");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['CMD','true'],'retries':0}")),
		      "containerDefinitions[0].healthCheck.retries must be between 1 and 10");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['CMD','true'],'retries':11}")),
		      "containerDefinitions[0].healthCheck.retries must be between 1 and 10");
	expect_einval(TASK("", WEB(",'healthCheck':{'command':['CMD','true'],'startPeriod':301}")),
		      "containerDefinitions[0].healthCheck.startPeriod must be between 0 and 300");
}

static void test_port_mappings_are_checked_field_by_field(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(""), CTR("db", ",'portMappings':[{'containerPort':70000}]")),
		      "containerDefinitions[1].portMappings[0].containerPort must be between 1 "
		      "and 65535");
	expect_einval(TASK("", WEB(",'portMappings':[{'containerPort':0}]")),
		      "containerDefinitions[0].portMappings[0].containerPort must be between 1 "
		      "and 65535");
	expect_einval(TASK("", WEB(",'portMappings':[{'hostPort':80}]")),
		      "containerDefinitions[0].portMappings[0].containerPort is required");
	expect_einval(TASK("", WEB(",'portMappings':[{'containerPort':80,'protocol':'sctp'}]")),
		      "containerDefinitions[0].portMappings[0].protocol must be one of tcp, udp");
	expect_einval(TASK(",'networkMode':'bridge'",
			   WEB(",'portMappings':[{'containerPort':80,'hostPort':65536}]")),
		      "containerDefinitions[0].portMappings[0].hostPort must be between 0 and "
		      "65535");
	expect_einval(TASK("", WEB(",'portMappings':[{'containerPort':80,'appProtocol':'ftp'}]")),
		      "containerDefinitions[0].portMappings[0].appProtocol must be one of http, "
		      "http2, grpc");
}

static void test_awsvpc_and_host_modes_need_host_port_equal_to_container_port(void **state)
{
	(void)state;
	expect_einval(TASK(",'networkMode':'awsvpc'",
			   WEB(",'portMappings':[{'containerPort':80,'hostPort':8080}]")),
		      "containerDefinitions[0].portMappings[0].hostPort must equal containerPort "
		      "(80) in awsvpc network mode");
	expect_einval(TASK(",'networkMode':'host'",
			   WEB(",'portMappings':[{'containerPort':80,'hostPort':8080}]")),
		      "containerDefinitions[0].portMappings[0].hostPort must equal containerPort "
		      "(80) in host network mode");
	expect_einval(TASK("", WEB(",'portMappings':[{'containerPort':80,'hostPort':8080}]")),
		      "containerDefinitions[0].portMappings[0].hostPort must equal containerPort "
		      "(80) in awsvpc (the default) network mode");
}

static void test_ulimits_need_a_known_name_and_soft_at_most_hard(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'ulimits':[{'name':'files','softLimit':1,'hardLimit':2}]")),
		      "containerDefinitions[0].ulimits[0].name must be one of core, cpu, data, "
		      "fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, "
		      "sigpending, stack");
	expect_einval(TASK("", WEB(",'ulimits':[{'name':'nofile','softLimit':2048,'hardLimit':"
				   "1024}]")),
		      "containerDefinitions[0].ulimits[0].softLimit must not exceed hardLimit "
		      "(1024)");
	expect_einval(TASK("", WEB(",'ulimits':[{'name':'memlock','softLimit':-1,'hardLimit':"
				   "1024}]")),
		      "containerDefinitions[0].ulimits[0].softLimit must not exceed hardLimit "
		      "(1024)");
	expect_einval(TASK("", WEB(",'ulimits':[{'name':'nofile','softLimit':1}]")),
		      "containerDefinitions[0].ulimits[0].hardLimit is required");
}

static void test_paths_and_timeouts_follow_ecs_rules(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'workingDirectory':'srv'")),
		      "containerDefinitions[0].workingDirectory must be an absolute path");
	expect_einval(TASK("", WEB(",'stopTimeout':1")),
		      "containerDefinitions[0].stopTimeout must be between 2 and 120");
	expect_einval(TASK("", WEB(",'stopTimeout':121")),
		      "containerDefinitions[0].stopTimeout must be between 2 and 120");
	expect_einval(TASK("", WEB(",'startTimeout':1")),
		      "containerDefinitions[0].startTimeout must be between 2 and 120");
}

static void test_links_work_only_in_bridge_mode_and_name_other_containers(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'links':['db']"), CTR("db", "")),
		      "containerDefinitions[0].links are only valid in bridge network mode, not "
		      "awsvpc (the default)");
	expect_einval(TASK(",'networkMode':'bridge'", WEB(",'links':['cache']"), CTR("db", "")),
		      "containerDefinitions[0].links[0] names no container of the task: \"cache\"");
	expect_einval(
		TASK(",'networkMode':'bridge'", WEB(",'links':['db:my alias']"), CTR("db", "")),
		"containerDefinitions[0].links[0] must be \"name\" or \"name:alias\"");
	expect_einval(TASK(",'networkMode':'bridge'", WEB(",'links':['web']")),
		      "containerDefinitions[0].links[0] names the container itself");
}

static void test_hostname_and_extra_hosts_are_refused_in_awsvpc_mode(void **state)
{
	(void)state;
	expect_einval(TASK(",'networkMode':'awsvpc'", WEB(",'hostname':'web1'")),
		      "containerDefinitions[0].hostname is not allowed in awsvpc network mode");
	expect_einval(TASK("", WEB(",'extraHosts':[{'hostname':'db','ipAddress':'10.0.0.2'}]")),
		      "containerDefinitions[0].extraHosts are not allowed in awsvpc (the default) "
		      "network mode");
	expect_einval(TASK(",'networkMode':'bridge'", WEB(",'extraHosts':[{'hostname':'db'}]")),
		      "containerDefinitions[0].extraHosts[0].ipAddress is required");
}

static void test_mount_points_and_volumes_from_must_name_what_exists(void **state)
{
	(void)state;
	expect_einval(
		TASK("", WEB(",'mountPoints':[{'sourceVolume':'data','containerPath':'/d'}]")),
		"containerDefinitions[0].mountPoints[0].sourceVolume \"data\" names no "
		"volume of the task");
	expect_einval(TASK(",'volumes':[{'name':'data'}]",
			   WEB(",'mountPoints':[{'sourceVolume':'data','containerPath':'d'}]")),
		      "containerDefinitions[0].mountPoints[0].containerPath must be an absolute "
		      "path");
	expect_einval(TASK(",'volumes':[{'name':'data'}]",
			   WEB(",'mountPoints':[{'sourceVolume':'data'}]")),
		      "containerDefinitions[0].mountPoints[0].containerPath is required");
	expect_einval(TASK("", WEB(",'volumesFrom':[{'sourceContainer':'db'}]")),
		      "containerDefinitions[0].volumesFrom[0].sourceContainer \"db\" names no "
		      "container of the task");
	expect_einval(TASK("", WEB(",'volumesFrom':[{'sourceContainer':'web','readOnly':true}]")),
		      "containerDefinitions[0].volumesFrom[0].sourceContainer names the container "
		      "itself");
}

static void test_accepted_but_unimplemented_fields_are_still_checked(void **state)
{
	(void)state;
	expect_einval(TASK("", WEB(",'logConfiguration':{'options':{}}")),
		      "containerDefinitions[0].logConfiguration.logDriver is required");
	expect_einval(TASK("", WEB(",'logConfiguration':{'logDriver':'syslogd'}")),
		      "containerDefinitions[0].logConfiguration.logDriver must be one of "
		      "json-file, syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens");
	expect_einval(TASK("", WEB(",'privileged':'no'")),
		      "containerDefinitions[0].privileged must be true or false");
	expect_einval(
		TASK("", WEB(",'linuxParameters':{'swappiness':101}")),
		"containerDefinitions[0].linuxParameters.swappiness must be between 0 and 100");
	expect_einval(TASK("", WEB(",'restartPolicy':{'enabled':true,'restartAttemptPeriod':30}")),
		      "containerDefinitions[0].restartPolicy.restartAttemptPeriod must be between "
		      "60 and 1800");
}

/* refusals: the DescribeTaskDefinition form */

static void test_the_describe_form_names_fields_under_task_definition(void **state)
{
	(void)state;
	expect_einval("{'taskDefinition':" TASK("", WEB(",'memory':'1'")) "}",
		      "taskDefinition.containerDefinitions[0].memory must be a number");
	expect_einval("{'taskDefinition':" TASK("", WEB("")) ",'ResponseMetadata':{}}",
		      "unknown field ResponseMetadata beside taskDefinition");
	expect_einval("{'taskDefinition':[]}", "taskDefinition must be an object");
	expect_einval("{'taskDefinition':" TASK(",'tags':[]", WEB("")) ",'tags':[]}",
		      "tags appears both inside taskDefinition and beside it");
}

/* acceptance */

static void test_describe_output_parses_without_its_read_only_fields(void **state)
{
	static const char *const described =
		"{'taskDefinition':{"
		"'taskDefinitionArn':'arn:aws:ecs:us-east-1:1:task-definition/f:3',"
		"'family':'f','revision':3,'status':'ACTIVE','registeredAt':1700000000.5,"
		"'registeredBy':'arn:aws:iam::1:root','requiresAttributes':[{'name':'x'}],"
		"'compatibilities':['EC2'],'requiresCompatibilities':['EC2'],"
		"'containerDefinitions':[{'name':'web','image':'busybox'}]},"
		"'tags':[{'key':'team','value':'web'}]}";
	static const char *const read_only[] = {
		"taskDefinitionArn", "revision",	   "status",	      "registeredAt",
		"registeredBy",	     "requiresAttributes", "compatibilities",
	};
	cleanup_cjson cJSON *def = parse_ok(described, NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		assert_null(TH_AT(def, read_only[i]));
	th_assert_json(TH_AT(def, "family"), "'f'");
	th_assert_json(TH_AT(def, "requiresCompatibilities"), "['EC2']");
	th_assert_json(TH_AT(def, "tags"), "[{'key':'team','value':'web'}]");
}

static void test_each_unimplemented_field_given_is_warned_by_path(void **state)
{
	static const char *const request =
		TASK(",'taskRoleArn':'arn:aws:iam::1:role/t','pidMode':'task',"
		     "'placementConstraints':[{'type':'memberOf','expression':'x'}]",
		     WEB(",'logConfiguration':{'logDriver':'awslogs'},"
			 "'linuxParameters':{'initProcessEnabled':true,"
			 "'capabilities':{'add':['NET_ADMIN']}},"
			 "'secrets':[{'name':'T','valueFrom':'arn'}]"),
		     CTR("db", ",'privileged':true"));
	cJSON *warnings = NULL;
	cleanup_cjson cJSON *def = parse_ok(request, &warnings);
	cleanup_cjson cJSON *w = warnings;

	(void)state;
	th_assert_json(w,
		       "['taskRoleArn is accepted but not implemented',"
		       "'pidMode is accepted but not implemented',"
		       "'placementConstraints is accepted but not implemented',"
		       "'containerDefinitions[0].logConfiguration is accepted but not implemented',"
		       "'containerDefinitions[0].linuxParameters.capabilities is accepted but not "
		       "implemented',"
		       "'containerDefinitions[1].privileged is accepted but not implemented']");
	th_assert_json(TH_AT(def, "containerDefinitions", "0", "logConfiguration"),
		       "{'logDriver':'awslogs'}");
}

static void test_empty_or_false_unimplemented_fields_are_not_warned(void **state)
{
	cJSON *warnings = NULL;
	cleanup_cjson cJSON *def =
		parse_ok(TASK(",'placementConstraints':[],'taskRoleArn':''",
			      WEB(",'privileged':false,'dnsServers':[],'linuxParameters':{}")),
			 &warnings);
	cleanup_cjson cJSON *w = warnings;

	(void)state;
	th_assert_json(w, "[]");
	th_assert_json(TH_AT(def, "containerDefinitions", "0", "privileged"), "false");
}

static void test_defaults_are_made_explicit_as_describe_shows_them(void **state)
{
	cleanup_cjson cJSON *def =
		parse_ok(TASK("", WEB(",'healthCheck':{'command':['CMD','true']},"
				      "'portMappings':[{'containerPort':80}]")),
			 NULL);
	const cJSON *ctr = TH_AT(def, "containerDefinitions", "0");

	(void)state;
	th_assert_json(TH_AT(ctr, "essential"), "true");
	th_assert_json(TH_AT(ctr, "healthCheck"),
		       "{'command':['CMD','true'],'interval':30,'timeout':5,'retries':3}");
	th_assert_json(TH_AT(ctr, "portMappings"),
		       "[{'containerPort':80,'hostPort':80,'protocol':'tcp'}]");
	th_assert_json(TH_AT(ctr, "cpu"), "0");
	th_assert_json(TH_AT(ctr, "environment"), "[]");
	th_assert_json(TH_AT(ctr, "mountPoints"), "[]");
	th_assert_json(TH_AT(ctr, "volumesFrom"), "[]");
	th_assert_json(TH_AT(ctr, "systemControls"), "[]");
	th_assert_json(TH_AT(def, "volumes"), "[]");
	th_assert_json(TH_AT(def, "placementConstraints"), "[]");
	/* Absent stays absent: the runtime, not the record, picks awsvpc. */
	assert_null(TH_AT(def, "networkMode"));
}

static void test_given_values_win_over_defaults(void **state)
{
	static const char *const request =
		TASK(",'networkMode':'bridge'",
		     WEB(",'essential':false,'cpu':256,"
			 "'healthCheck':{'command':['CMD-SHELL','true'],"
			 "'interval':10,'timeout':2,'retries':1,'startPeriod':0},"
			 "'portMappings':[{'containerPort':53,'protocol':'udp'}]"),
		     CTR("db", ""));
	cleanup_cjson cJSON *def = parse_ok(request, NULL);
	const cJSON *ctr = TH_AT(def, "containerDefinitions", "0");

	(void)state;
	th_assert_json(TH_AT(ctr, "essential"), "false");
	th_assert_json(TH_AT(ctr, "cpu"), "256");
	th_assert_json(TH_AT(ctr, "healthCheck"), "{'command':['CMD-SHELL','true'],'interval':10,"
						  "'timeout':2,'retries':1,'startPeriod':0}");
	/* bridge mode leaves hostPort to the engine (an ephemeral port). */
	th_assert_json(TH_AT(ctr, "portMappings"), "[{'containerPort':53,'protocol':'udp'}]");
	th_assert_json(TH_AT(def, "containerDefinitions", "1", "essential"), "true");
	th_assert_json(TH_AT(def, "networkMode"), "'bridge'");
}

static void test_task_cpu_and_memory_are_normalised_to_units_and_mib(void **state)
{
	static const struct {
		const char *cpu, *memory, *want_cpu, *want_memory;
	} cases[] = {
		{ "'256'", "'512'", "'256'", "'512'" },
		{ "'1 vCPU'", "'1 GB'", "'1024'", "'1024'" },
		{ "'0.5 vcpu'", "'2GB'", "'512'", "'2048'" },
		{ "'.25 VCPU'", "'0.5gb'", "'256'", "'512'" },
		{ "'192 vCPU'", "'16384 GB'", "'196608'", "'16777216'" },
		{ "2048", "4096", "'2048'", "'4096'" },
		{ "' 4vcpu '", "'30 GB'", "'4096'", "'30720'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		cJSON *def;

		snprintf(text, sizeof(text), TASK(",'cpu':%s,'memory':%s", WEB("")), cases[i].cpu,
			 cases[i].memory);
		def = parse_ok(text, NULL);
		th_assert_json(TH_AT(def, "cpu"), cases[i].want_cpu);
		th_assert_json(TH_AT(def, "memory"), cases[i].want_memory);
		cJSON_Delete(def);
	}
}

static void test_links_ulimits_and_mounts_that_follow_the_rules_are_kept(void **state)
{
	static const char *const request =
		TASK(",'networkMode':'bridge',"
		     "'volumes':[{'name':'data','host':{'sourcePath':'/srv'}}]",
		     WEB(",'links':['db','db:database'],'hostname':'web1',"
			 "'ulimits':[{'name':'memlock','softLimit':-1,'hardLimit':-1}],"
			 "'mountPoints':[{'sourceVolume':'data','containerPath':'/data'}],"
			 "'volumesFrom':[{'sourceContainer':'db','readOnly':true}],"
			 "'dependsOn':[{'containerName':'db','condition':'HEALTHY'}]"),
		     CTR("db", ",'healthCheck':{'command':['CMD','pg_isready']}"));
	cleanup_cjson cJSON *def = parse_ok(request, NULL);

	(void)state;
	th_assert_json(TH_AT(def, "containerDefinitions", "0", "links"), "['db','db:database']");
	th_assert_json(TH_AT(def, "containerDefinitions", "0", "ulimits", "0", "softLimit"), "-1");
	th_assert_json(TH_AT(def, "volumes", "0", "host"), "{'sourcePath':'/srv'}");
}

static void test_the_web_fixture_normalises_and_round_trips(void **state)
{
	size_t len;
	cleanup_free char *text = th_fixture("ecs", "web.json", 1 << 17, &len);
	cleanup_free char *printed = NULL;
	cleanup_cjson cJSON *def = NULL, *warnings = NULL, *again = NULL, *warnings2 = NULL;
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(ecs_taskdef_parse(text, len, &def, &warnings, &err), 0);
	th_assert_json(warnings, "['executionRoleArn is accepted but not implemented',"
				 "'containerDefinitions[1].logConfiguration is accepted but not "
				 "implemented']");
	th_assert_json(TH_AT(def, "cpu"), "'1024'");
	th_assert_json(TH_AT(def, "memory"), "'2048'");
	assert_int_equal(cJSON_GetArraySize(TH_AT(def, "containerDefinitions")), 3);
	th_assert_json(TH_AT(def, "containerDefinitions", "0", "essential"), "true");
	th_assert_json(TH_AT(def, "containerDefinitions", "0", "portMappings", "0"),
		       "{'name':'http','containerPort':80,'protocol':'tcp','appProtocol':'http',"
		       "'hostPort':80}");
	th_assert_json(
		TH_AT(def, "containerDefinitions", "1", "healthCheck"),
		"{'command':['CMD-SHELL','wget -qO- http://localhost:8080/healthz || exit 1'],"
		"'interval':15,'startPeriod':20,'timeout':5,'retries':3}");
	th_assert_json(TH_AT(def, "containerDefinitions", "2", "essential"), "false");
	th_assert_json(TH_AT(def, "tags"), "[{'key':'team','value':'shop'}]");

	/* What we store parses back to itself. */
	printed = json_print(def);
	assert_non_null(printed);
	assert_int_equal(ecs_taskdef_parse(printed, strlen(printed), &again, &warnings2, &err), 0);
	assert_true(cJSON_Compare(def, again, true));
	assert_true(cJSON_Compare(warnings, warnings2, true));
}

/* registration */

static void test_finalize_refuses_what_cannot_make_an_arn(void **state)
{
	cleanup_cjson cJSON *def = parse_ok(TASK("", WEB("")), NULL);
	cleanup_cjson cJSON *empty = cJSON_CreateObject();
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(ecs_taskdef_finalize(empty, 1, "us-east-1", "000000000000", 1.0, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "the task definition has no valid family");
	assert_int_equal(ecs_taskdef_finalize(def, 0, "us-east-1", "000000000000", 1.0, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "revision is 0; it must be at least 1");
	assert_int_equal(ecs_taskdef_finalize(def, 1, "", "000000000000", 1.0, &err), -EINVAL);
	assert_int_equal(ecs_taskdef_finalize(def, 1, "us-east-1", NULL, 1.0, &err), -EINVAL);
	assert_string_equal(err.msg, "a task definition ARN needs a region and an account");
}

static void test_finalize_adds_the_fields_ecs_sets_at_registration(void **state)
{
	cleanup_cjson cJSON *def =
		parse_ok(TASK(",'requiresCompatibilities':['FARGATE']", WEB("")), NULL);
	struct nb_err err = { 0 };

	(void)state;
	assert_int_equal(
		ecs_taskdef_finalize(def, 4, "eu-west-1", "000000000000", 1700000000.25, &err), 0);
	th_assert_json(TH_AT(def, "taskDefinitionArn"),
		       "'arn:aws:ecs:eu-west-1:000000000000:task-definition/f:4'");
	th_assert_json(TH_AT(def, "revision"), "4");
	th_assert_json(TH_AT(def, "status"), "'ACTIVE'");
	assert_true(TH_AT(def, "registeredAt")->valuedouble == 1700000000.25);
	th_assert_json(TH_AT(def, "compatibilities"), "['EC2','FARGATE']");
	th_assert_json(TH_AT(def, "requiresCompatibilities"), "['FARGATE']");
	/* Again, as for a re-registration: replaced, not duplicated. */
	assert_int_equal(ecs_taskdef_finalize(def, 5, "eu-west-1", "000000000000", 2.0, &err), 0);
	th_assert_json(TH_AT(def, "revision"), "5");
	{
		int revisions = 0;
		const cJSON *item;

		cJSON_ArrayForEach(item, def)
		{
			revisions += strcmp(item->string, "revision") == 0;
		}
		assert_int_equal(revisions, 1);
	}
}

static void test_family_names_follow_the_ecs_pattern(void **state)
{
	char longest[257];

	(void)state;
	assert_true(ecs_family_valid("web"));
	assert_true(ecs_family_valid("My_App-2"));
	assert_false(ecs_family_valid(NULL));
	assert_false(ecs_family_valid(""));
	assert_false(ecs_family_valid("a.b"));
	assert_false(ecs_family_valid("a b"));
	assert_false(ecs_family_valid("a:b"));
	memset(longest, 'a', 255);
	longest[255] = '\0';
	assert_true(ecs_family_valid(longest));
	longest[255] = 'a';
	longest[256] = '\0';
	assert_false(ecs_family_valid(longest));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_request_over_64_kib_is_refused_with_efbig),
		cmocka_unit_test(test_invalid_json_is_refused_with_its_line_and_column),
		cmocka_unit_test(test_an_unknown_top_level_field_is_refused_as_the_cli_does),
		cmocka_unit_test(test_an_unknown_container_field_is_refused_by_path),
		cmocka_unit_test(test_a_field_given_twice_is_refused),
		cmocka_unit_test(test_a_read_only_field_in_a_request_points_to_the_describe_form),
		cmocka_unit_test(test_family_is_required_and_must_be_a_valid_name),
		cmocka_unit_test(test_container_definitions_are_required_non_empty_and_at_most_ten),
		cmocka_unit_test(test_an_unknown_network_mode_is_refused_listing_the_valid_ones),
		cmocka_unit_test(test_task_cpu_and_memory_must_be_sizes_ecs_reads),
		cmocka_unit_test(test_volumes_need_unique_valid_names_and_absolute_host_paths),
		cmocka_unit_test(test_other_task_fields_are_checked_as_ecs_checks_them),
		cmocka_unit_test(test_container_names_are_required_valid_and_unique),
		cmocka_unit_test(test_an_image_is_required_and_non_empty),
		cmocka_unit_test(test_json_types_are_checked_and_named_everywhere),
		cmocka_unit_test(test_environment_and_secrets_need_their_names_and_values),
		cmocka_unit_test(test_container_cpu_and_memory_stay_in_ecs_limits),
		cmocka_unit_test(test_at_least_one_container_must_be_essential),
		cmocka_unit_test(
			test_depends_on_must_name_another_container_with_a_known_condition),
		cmocka_unit_test(test_healthy_needs_a_health_check_on_the_container_waited_for),
		cmocka_unit_test(test_a_depends_on_cycle_is_refused_naming_its_containers),
		cmocka_unit_test(test_a_health_check_needs_cmd_or_cmd_shell_and_a_command),
		cmocka_unit_test(test_health_check_timings_stay_in_ecs_ranges),
		cmocka_unit_test(test_port_mappings_are_checked_field_by_field),
		cmocka_unit_test(test_awsvpc_and_host_modes_need_host_port_equal_to_container_port),
		cmocka_unit_test(test_ulimits_need_a_known_name_and_soft_at_most_hard),
		cmocka_unit_test(test_paths_and_timeouts_follow_ecs_rules),
		cmocka_unit_test(test_links_work_only_in_bridge_mode_and_name_other_containers),
		cmocka_unit_test(test_hostname_and_extra_hosts_are_refused_in_awsvpc_mode),
		cmocka_unit_test(test_mount_points_and_volumes_from_must_name_what_exists),
		cmocka_unit_test(test_accepted_but_unimplemented_fields_are_still_checked),
		cmocka_unit_test(test_the_describe_form_names_fields_under_task_definition),
		cmocka_unit_test(test_describe_output_parses_without_its_read_only_fields),
		cmocka_unit_test(test_each_unimplemented_field_given_is_warned_by_path),
		cmocka_unit_test(test_empty_or_false_unimplemented_fields_are_not_warned),
		cmocka_unit_test(test_defaults_are_made_explicit_as_describe_shows_them),
		cmocka_unit_test(test_given_values_win_over_defaults),
		cmocka_unit_test(test_task_cpu_and_memory_are_normalised_to_units_and_mib),
		cmocka_unit_test(test_links_ulimits_and_mounts_that_follow_the_rules_are_kept),
		cmocka_unit_test(test_the_web_fixture_normalises_and_round_trips),
		cmocka_unit_test(test_finalize_refuses_what_cannot_make_an_arn),
		cmocka_unit_test(test_finalize_adds_the_fields_ecs_sets_at_registration),
		cmocka_unit_test(test_family_names_follow_the_ecs_pattern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
