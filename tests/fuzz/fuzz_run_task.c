/*
 * tests/fuzz/fuzz_run_task.c - what is written to ecs/tasks/run: a line
 * ("family", "family:rev", a task definition ARN) or RunTask JSON. The
 * parser is static in backend/ecs/task_run.c, so this file includes it
 * (its object is then not linked from the archive). For a request that
 * parses, its overrides are checked against a fixed two-container
 * definition as ecs_run() would, and what passes is made into the
 * ContainerCreate bodies the launch job would make, which must not fail:
 * the task would otherwise fail only at launch, after RunTask said yes.
 * The run file commits JSON once json_is_complete() says so: that framing
 * check sees the same bytes.
 */
#include "backend/ecs/task_run.c"

#include "backend/ecs/spec.h"
#include "tests/fuzz/fuzz.h"

static const char taskdef_json[] =
	"{\"family\":\"web\",\"networkMode\":\"bridge\",\"containerDefinitions\":["
	"{\"name\":\"app\",\"image\":\"busybox\",\"command\":[\"sleep\",\"9\"],\"cpu\":64,"
	"\"memory\":128,\"environment\":[{\"name\":\"A\",\"value\":\"1\"}],"
	"\"portMappings\":[{\"containerPort\":80}]},"
	"{\"name\":\"side\",\"image\":\"busybox\",\"essential\":false,\"links\":[\"app:web\"],"
	"\"memoryReservation\":32}]}";
static cJSON *taskdef;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct nb_err err = { 0 };
	cJSON *warnings = NULL;

	(void)argc;
	(void)argv;
	fuzz_quiet();
	if (ecs_taskdef_parse(taskdef_json, strlen(taskdef_json), &taskdef, &warnings, &err) < 0) {
		fprintf(stderr, "fuzz_run_task: the fixed definition: %s\n", err.msg);
		abort();
	}
	cJSON_Delete(warnings);
	return 0;
}

static void launch_specs(const struct run_req *r)
{
	struct ecs_spec_ctx ctx = {
		.owner = "fuzz",
		.task_id = "0123456789abcdef0123456789abcdef",
		.network_mode = "bridge",
	};
	const cJSON *cd;

	cJSON_ArrayForEach(cd, cJSON_GetObjectItem(taskdef, "containerDefinitions"))
	{
		const char *name = cJSON_GetObjectItem(cd, "name")->valuestring;
		struct nb_err err = { 0 };
		cJSON *spec = NULL;
		int ret = ecs_spec_container(&ctx, taskdef, cd,
					     ecs_spec_override_for(r->overrides, name), NULL, &spec,
					     &err);

		FUZZ_CHECK(ret == 0 || ret == -ENOMEM,
			   "RunTask accepted overrides the launch refuses: %d %s", ret, err.msg);
		cJSON_Delete(spec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	struct nb_err err = { 0 };
	cJSON *doc = NULL;
	struct run_req r;
	int ret;

	if (!buf)
		return 0;
	(void)json_is_complete(buf, size);
	ret = parse_request(buf, size, &doc, &r, &err);
	FUZZ_CHECK_ERR(ret, &err);
	if (ret == 0) {
		FUZZ_CHECK(ecs_family_valid(r.family), "accepted family \"%s\"", r.family);
		FUZZ_CHECK(r.rev >= 0 && r.count >= 1 && r.count <= RUN_COUNT_MAX,
			   "rev %d count %lld", r.rev, (long long)r.count);
		memset(&err, 0, sizeof(err));
		ret = check_overrides(r.overrides, taskdef, &err);
		FUZZ_CHECK_ERR(ret, &err);
		if (ret == 0)
			launch_specs(&r);
	}
	cJSON_Delete(doc);
	free(buf);
	return 0;
}
