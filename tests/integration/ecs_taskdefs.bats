#!/usr/bin/env bats
# ECS task definitions: register by writing JSON, read revisions back.

load ../helper

setup() {
	nb_mount
	TD="$MNT/ecs/task-definitions"
	cat >"$BATS_TEST_TMPDIR/web.json" <<-'EOF'
		{
		  "family": "web",
		  "networkMode": "awsvpc",
		  "cpu": "256",
		  "memory": "512",
		  "containerDefinitions": [
		    {
		      "name": "app",
		      "image": "local/busybox:latest",
		      "command": ["sh", "-c", "echo listening; sleep 3600"],
		      "essential": true,
		      "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
		      "environment": [{"name": "GREETING", "value": "hi"}]
		    },
		    {
		      "name": "sidecar",
		      "image": "local/busybox:latest",
		      "essential": false,
		      "dependsOn": [{"containerName": "app", "condition": "START"}]
		    }
		  ]
		}
	EOF
}

@test "taskdefs: the directory lists register and last-error before anything is registered" {
	run ls "$TD"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'last-error\nregister')" ]
	[ "$(stat -c %A "$TD/register")" = "-rw-------" ]
}

@test "taskdefs: cp into register creates family/1.json and latest" {
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	[ -d "$TD/web" ]
	run ls "$TD/web"
	[ "$output" = "$(printf '1.json\nlatest')" ]
	[ "$(readlink "$TD/web/latest")" = "1.json" ]
	grep -q '"taskDefinitionArn":[[:space:]]*"arn:aws:ecs:local:000000000000:task-definition/web:1"' "$TD/web/1.json"
	grep -q '"revision":[[:space:]]*1' "$TD/web/1.json"
	grep -q '"status":[[:space:]]*"ACTIVE"' "$TD/web/1.json"
	grep -q '"registeredAt"' "$TD/web/1.json"
	# the stored definition keeps what was given and makes defaults explicit
	grep -q '"GREETING"' "$TD/web/latest"
	[ "$(stat -c %s "$TD/web/1.json")" -eq "$(cat "$TD/web/1.json" | wc -c)" ]
}

@test "taskdefs: revisions count up per family and latest follows" {
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	sed 's/"web"/"api"/' "$BATS_TEST_TMPDIR/web.json" >"$TD/register"
	[ "$(readlink "$TD/web/latest")" = "2.json" ]
	[ -f "$TD/api/1.json" ]
	run ls "$TD"
	[ "$output" = "$(printf 'api\nlast-error\nregister\nweb')" ]
}

@test "taskdefs: register answers family:rev on the same descriptor" {
	exec 7<>"$TD/register"
	cat "$BATS_TEST_TMPDIR/web.json" >&7
	run cat <&7
	exec 7<&-
	[ "$output" = "web:1" ]
	# and a later reader sees the last registration
	[ "$(cat "$TD/register")" = "web:1" ]
}

@test "taskdefs: DescribeTaskDefinition output registers the next revision" {
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	cp "$TD/web/1.json" "$TD/register"
	[ -f "$TD/web/2.json" ]
	grep -q '"revision":[[:space:]]*2' "$TD/web/2.json"
}

@test "taskdefs: accepted but unimplemented fields are named as warnings" {
	sed 's/"essential": true,/"essential": true, "logConfiguration": {"logDriver": "awslogs"},/' \
		"$BATS_TEST_TMPDIR/web.json" >"$BATS_TEST_TMPDIR/warn.json"
	exec 7<>"$TD/register"
	cat "$BATS_TEST_TMPDIR/warn.json" >&7
	run cat <&7
	exec 7<&-
	[ "${lines[0]}" = "web:1" ]
	[[ "${lines[1]}" == "warning: "*"logConfiguration"* ]]
}

@test "taskdefs: invalid JSON fails the write with EINVAL and its position" {
	run bash -c "printf '{\"family\": \"web\",\n  \"containerDefinitions\": [}\n' > '$TD/register'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	grep -q "line 2" "$TD/last-error"
	[ ! -e "$TD/web" ]
}

@test "taskdefs: a definition without containers is refused, naming the field" {
	run bash -c "echo '{\"family\": \"web\", \"containerDefinitions\": []}' > '$TD/register'"
	[ "$status" -ne 0 ]
	grep -q containerDefinitions "$TD/last-error"
	[ ! -e "$TD/web" ]
}

@test "taskdefs: a missing family, duplicate names and dependsOn cycles are refused" {
	run bash -c "echo '{\"containerDefinitions\": [{\"name\": \"a\", \"image\": \"x\"}]}' > '$TD/register'"
	[ "$status" -ne 0 ]
	grep -q family "$TD/last-error"
	run bash -c "echo '{\"family\": \"f\", \"containerDefinitions\": [{\"name\": \"a\", \"image\": \"x\"}, {\"name\": \"a\", \"image\": \"x\"}]}' > '$TD/register'"
	[ "$status" -ne 0 ]
	grep -q 'already used by containerDefinitions\[0\]' "$TD/last-error"
	run bash -c "echo '{\"family\": \"f\", \"containerDefinitions\": [{\"name\": \"a\", \"image\": \"x\", \"dependsOn\": [{\"containerName\": \"b\", \"condition\": \"START\"}]}, {\"name\": \"b\", \"image\": \"x\", \"dependsOn\": [{\"containerName\": \"a\", \"condition\": \"START\"}]}]}' > '$TD/register'"
	[ "$status" -ne 0 ]
	grep -qi "cycle" "$TD/last-error"
	run bash -c "echo '{\"family\": \"f\", \"containerDefinitions\": [{\"name\": \"a\", \"image\": \"x\", \"memory\": \"lots\"}]}' > '$TD/register'"
	[ "$status" -ne 0 ]
	grep -q "memory" "$TD/last-error"
	[ ! -e "$TD/f" ]
}

@test "taskdefs: a request over 64 KiB is EFBIG" {
	{
		printf '{"family": "big", "containerDefinitions": [{"name": "a", "image": "x", "command": ["'
		head -c 70000 /dev/zero | tr '\0' 'x'
		printf '"]}]}\n'
	} >"$BATS_TEST_TMPDIR/big.json"
	run cp "$BATS_TEST_TMPDIR/big.json" "$TD/register"
	[ "$status" -ne 0 ]
	[[ "$output" == *"too large"* ]]
	grep -q "64" "$TD/last-error"
	[ ! -e "$TD/big" ]
}

@test "taskdefs: family names that are files here are refused" {
	sed 's/"web"/"register"/' "$BATS_TEST_TMPDIR/web.json" >"$BATS_TEST_TMPDIR/r.json"
	run cp "$BATS_TEST_TMPDIR/r.json" "$TD/register"
	[ "$status" -ne 0 ]
	grep -q reserved "$TD/last-error"
}

@test "taskdefs: revision files are read-only and unknown ones are ENOENT" {
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	run bash -c "echo x > '$TD/web/1.json'"
	[[ "$output" == *"Permission denied"* ]]
	run cat "$TD/web/2.json"
	[[ "$output" == *"No such file"* ]]
	run cat "$TD/web/01.json"
	[ "$status" -ne 0 ]
	run ls "$TD/nope"
	[ "$status" -ne 0 ]
}

@test "taskdefs: registering is announced on events" {
	exec 7<"$MNT/events"
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	run timeout 5 grep -m 1 '"type":"task-definition"' <&7
	exec 7<&-
	[[ "$output" == *'"id":"web:1","status":"ACTIVE"'* ]]
}

@test "taskdefs: definitions survive an unmount and a new mount" {
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	local before
	before="$(cat "$TD/web/2.json")"
	nb_unmount
	nb_mount
	TD="$MNT/ecs/task-definitions"
	[ "$(cat "$TD/web/2.json")" = "$before" ]
	[ "$(readlink "$TD/web/latest")" = "2.json" ]
	cp "$BATS_TEST_TMPDIR/web.json" "$TD/register"
	[ -f "$TD/web/3.json" ]
}
