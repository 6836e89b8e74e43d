#!/usr/bin/env bats
# Access control: a mount is its user's alone unless -o allow_other, which
# brings default_permissions so that modes mean what they say; state files
# are the owner's alone; a secret's value shows nowhere but where it is
# injected; containers of this owner that nimbusfs no longer knows are
# removed, and nobody else's are ever touched. The tests run as root and
# play the other user with `nobody`.

load ../helper

setup() {
	A="$BATS_TEST_TMPDIR"
	FOREIGN=()
}

teardown() {
	local c
	[ -z "${EV_PID:-}" ] || kill "$EV_PID" 2>/dev/null || true
	[ -z "${TEV_PID:-}" ] || kill "$TEV_PID" 2>/dev/null || true
	nb_cleanup
	for c in "${FOREIGN[@]}"; do
		engine DELETE "/containers/$c?force=1" >/dev/null || true
	done
}

# as_nobody CMD...: runs CMD as another user, with a deadline.
as_nobody() {
	timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# mount_opts: the options of this test's mount in /proc/mounts.
mount_opts() {
	awk -v m="$MNT" '$2 == m && $3 == "fuse.nimbusfs" { print $4 }' /proc/mounts
}

# ctr_create JSON-LABELS: creates and starts a sleeping container with those
# labels straight through the Engine API; CTR gets its id.
ctr_create() {
	CTR="$(engine POST /containers/create -H 'Content-Type: application/json' \
		-d "{\"Image\": \"local/busybox:latest\", \"Cmd\": [\"sleep\", \"300\"],
		     \"Labels\": $1}" | jq -r .Id)"
	[[ "$CTR" =~ ^[0-9a-f]{64}$ ]]
	engine POST "/containers/$CTR/start" >/dev/null
}

# reading PID FILE: waits (bounded) until the `timeout cat` started as PID
# has FILE open, so that it misses no event from now on.
reading() {
	nb_wait 5 sh -c "ls -l /proc/\$(pgrep -P $1 | head -n 1)/fd 2>/dev/null | grep -q '$2'"
}

ctr_exists() {
	engine GET "/containers/$1/json" >/dev/null
}

ctr_gone() {
	! ctr_exists "$1"
}

@test "access: a default mount is the mounting user's alone; another user is refused" {
	nb_mount
	[[ ",$(mount_opts)," != *,allow_other,* ]]
	[ -s "$MNT/README" ]
	run as_nobody ls "$MNT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody cat "$MNT/README"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody stat "$MNT/ecs"
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody sh -c "echo resync >'$MNT/ctl'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
}

@test "access: -o allow_other adds default_permissions: others read 0444 files, never 0600 or 0200 ones" {
	nb_mount -o allow_other
	[[ ",$(mount_opts)," == *,allow_other,* ]]
	[[ ",$(mount_opts)," == *,default_permissions,* ]]
	echo s3cr3t >"$MNT/ecs/secrets/db-password"
	[ "$(stat -c %a "$MNT/ecs/secrets/db-password")" = 600 ]
	# world-readable files and directories are readable
	run as_nobody ls "$MNT"
	[ "$status" -eq 0 ]
	[[ "$output" == *README* ]]
	run as_nobody cat "$MNT/README"
	[ "$status" -eq 0 ]
	cmp <(as_nobody cat "$MNT/README") "$MNT/README"
	run as_nobody cat "$MNT/health"
	[ "$status" -eq 0 ]
	# 0600: neither read nor written, nor replaced, nor removed
	run as_nobody cat "$MNT/ecs/secrets/db-password"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" != *s3cr3t* ]]
	run as_nobody sh -c "echo stolen >'$MNT/ecs/secrets/db-password'"
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody sh -c "echo x >'$MNT/ecs/secrets/planted'"
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody rm -f "$MNT/ecs/secrets/db-password"
	[[ "$output" == *"Permission denied"* ]]
	[ "$(cat "$MNT/ecs/secrets/db-password")" = s3cr3t ]
	[ ! -e "$MNT/ecs/secrets/planted" ]
	# transaction files (0600) and verbs (0200)
	run as_nobody sh -c "echo busybox >'$MNT/ecs/tasks/run'"
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody cat "$MNT/ecs/tasks/run"
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody sh -c "echo '{}' >'$MNT/ecs/task-definitions/register'"
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody sh -c "echo resync >'$MNT/ctl'"
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody mkdir "$MNT/lambda/intruder"
	[[ "$output" == *"Permission denied"* ]]
	[ ! -e "$MNT/lambda/intruder" ]
	# the owner still may
	echo resync >"$MNT/ctl"
}

@test "access: -o default_permissions given with allow_other is not doubled" {
	nb_mount -o allow_other,default_permissions
	[ "$(mount_opts | tr , '\n' | grep -c '^default_permissions$')" -eq 1 ]
	[[ ",$(mount_opts)," == *,allow_other,* ]]
}

@test "access: state files are 0600 and directories 0700" {
	nb_mount --ec2-image local/busybox:latest --lambda-idle 60
	nb_engine_ready
	# a secret
	echo s3cr3t >"$MNT/ecs/secrets/db-password"
	# a task definition and a task that ran (its captured logs)
	echo '{"family": "modes", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["echo", "hi"], "stopTimeout": 2}]}' \
		>"$MNT/ecs/task-definitions/register"
	TASK="$(echo modes | { exec 7<>"$MNT/ecs/tasks/run"; cat >&7; timeout 30 cat <&7; } | head -n 1)"
	[ "$(timeout 60 cat "$MNT/ecs/tasks/$TASK/wait")" = 0 ]
	grep -qx '\[app\] hi' "$MNT/ecs/tasks/$TASK/logs"
	# a Lambda function with code (an executable entry too), invoked once
	mkdir "$MNT/lambda/modes"
	echo provided.al2023 >"$MNT/lambda/modes/runtime"
	echo function.handler >"$MNT/lambda/modes/handler"
	"$ROOT/tests/mkzip.py" "$A/fn.zip" 'function.sh=handler() { echo "{\"ok\": 1}"; }' \
		"lib/" "lib/data.txt=x" "bin/tool:x=#!/bin/sh"
	cp "$A/fn.zip" "$MNT/lambda/modes/code.zip"
	[ "$(head -n 1 "$MNT/lambda/modes/state")" = Active ]
	out="$(printf '{}\n' | { exec 7<>"$MNT/lambda/modes/invoke"; cat >&7; timeout 60 cat <&7; })"
	[[ "$out" == *'"ok": 1'* ]]
	# a subnet and an EC2 instance in it, running
	SN="$(printf '%s\n' '{"CidrBlock": "10.79.3.0/28"}' |
		{ exec 7<>"$MNT/ec2/subnets/create"; cat >&7; timeout 30 cat <&7; })"
	[[ "$SN" =~ ^subnet-[0-9a-f]{17}$ ]]
	ID="$(printf '%s\n' "{\"SubnetId\": \"$SN\"}" |
		{ exec 7<>"$MNT/ec2/run"; cat >&7; timeout 30 cat <&7; } | head -n 1)"
	[[ "$ID" =~ ^i-[0-9a-f]{17}$ ]]
	nb_wait 30 grep -qx running "$MNT/ec2/$ID/state"
	nb_wait 10 test -s "$MNT/ec2/$ID/console"

	# everything was written where it should be
	[ -f "$STATE/id" ] && [ -f "$STATE/lock" ]
	[ -n "$(find "$STATE/secrets" -type f)" ]
	[ -n "$(find "$STATE/task-definitions" -type f)" ]
	[ -n "$(find "$STATE/task-logs" -type f)" ]
	[ -f "$STATE/lambda/modes/code.zip" ] && [ -f "$STATE/lambda/modes/code.tar" ]
	[ -f "$STATE/lambda/modes/code/lib/data.txt" ]
	[ -n "$(find "$STATE/ec2-instances" "$STATE/ec2-subnets" -type f)" ]
	[ -n "$(find "$STATE/ec2-console" -type f)" ]
	# the state dir and every directory in it: 0700
	run find "$STATE" -type d ! -perm 0700
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# every file 0600, but for an executable of a Lambda package: 0700
	run find "$STATE" -type f ! -perm 0600
	[ "$status" -eq 0 ]
	[ "$output" = "$STATE/lambda/modes/code/bin/tool" ]
	[ "$(stat -c %a "$STATE/lambda/modes/code/bin/tool")" = 700 ]
	# nothing anywhere that group or others may touch (symlinks aside)
	run find "$STATE" ! -type l -perm /077
	[ -z "$output" ]
}

@test "access: a state dir others could enter, made by an older version, becomes 0700 and its id 0600" {
	STATE="$(mktemp -d /tmp/nimbusfs-state.XXXXXX)"
	chmod 0755 "$STATE"
	echo 0123456789abcdef >"$STATE/id"
	chmod 0644 "$STATE/id"
	install -m 0644 /dev/null "$STATE/lock"
	nb_mount
	[ "$(stat -c %a "$STATE")" = 700 ]
	[ "$(stat -c %a "$STATE/id")" = 600 ]
	[ "$(stat -c %a "$STATE/lock")" = 600 ]
	[ "$(cat "$STATE/id")" = 0123456789abcdef ]
}

@test "access: a secret's value shows in no describe.json, log, event, process or label" {
	V="nbsecret-$RANDOM$RANDOM-value"
	nb_mount -d
	nb_engine_ready
	echo "$V" >"$MNT/ecs/secrets/db-password"
	# the container never prints its environment
	echo '{"family": "quiet", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["sh", "-c", "echo started; sleep 61"],
		"stopTimeout": 2, "environment": [{"name": "PLAIN", "value": "visible"}],
		"secrets": [{"name": "DB_PASSWORD", "valueFrom": "db-password"}]}]}' \
		>"$MNT/ecs/task-definitions/register"
	timeout 60 cat "$MNT/events" >"$A/events" 2>/dev/null 3>&- &
	EV_PID=$!
	reading "$EV_PID" "$MNT/events"
	TASK="$(echo quiet | { exec 7<>"$MNT/ecs/tasks/run"; cat >&7; timeout 30 cat <&7; } | head -n 1)"
	T="$MNT/ecs/tasks/$TASK"
	nb_wait 30 grep -qx RUNNING "$T/status"
	nb_wait 10 grep -qx '\[app\] started' "$T/logs"
	timeout 30 cat "$T/events" >"$A/task-events" 2>/dev/null 3>&- &
	TEV_PID=$!
	reading "$TEV_PID" "$T/events"
	CID="$(cat "$T/containers/app/id")"
	engine GET "/containers/$CID/json" >"$A/inspect.json"
	# ECS injects secrets as environment variables, as AWS does: the value is
	# in the container's Env (that is the point), and only there.
	jq -e --arg v "DB_PASSWORD=$V" '.Config.Env | index($v) != null' "$A/inspect.json"
	jq -c '.Config.Labels' "$A/inspect.json" >"$A/labels"
	jq -c '.Config | del(.Env)' "$A/inspect.json" >"$A/config"
	ps -eo args >"$A/ps"
	echo "stop done" >"$T/ctl"
	[ "$(timeout 60 cat "$T/wait")" != "" ]
	sleep 0.5
	kill "$EV_PID" "$TEV_PID" 2>/dev/null || true
	EV_PID="" TEV_PID=""
	cat "$T/describe.json" >"$A/describe.json"
	cat "$T/logs" "$T/containers/app/logs" >"$A/logs"
	cat "$MNT/ecs/tasks/last-error" "$MNT/ecs/secrets/last-error" "$MNT/metrics" >"$A/misc"
	# the checks are not vacuous: each file holds what it should
	grep -q '"taskArn"' "$A/describe.json"
	grep -q '\[app\] started' "$A/logs"
	grep -q "\"id\":\"$TASK\"" "$A/events"
	[ -s "$A/task-events" ]
	grep -q io.nimbusfs.owner "$A/labels"
	grep -q "sleep 61" "$A/ps"
	grep -q STOPPED "$A/events"
	[ -s "$NB_LOG" ]
	for f in describe.json logs events task-events labels config ps misc; do
		if grep -qF -- "$V" "$A/$f"; then
			echo "the secret's value is in $f:" >&2
			grep -F -- "$V" "$A/$f" >&2
			false
		fi
	done
	# nimbusfs's own log, at debug level
	! grep -qF -- "$V" "$NB_LOG"
	# in the state dir, only in the secret's own record
	run grep -rlF -- "$V" "$STATE"
	[ "$output" = "$STATE/secrets/db-password.json" ]
}

@test "access: containers of this owner nimbusfs does not know are removed; others' never touched" {
	local own other
	own="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	other="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	# A state dir with this owner id and no records: as after a lost or
	# deleted state dir.
	STATE="$(mktemp -d /tmp/nimbusfs-state.XXXXXX)"
	echo "$own" >"$STATE/id"
	ctr_create "{\"io.nimbusfs.owner\": \"$own\", \"io.nimbusfs.kind\": \"ecs-task\",
		\"io.nimbusfs.object\": \"0123456789abcdef0123456789abcdef\", \"io.nimbusfs.container\": \"app\"}"
	local ecs=$CTR
	ctr_create "{\"io.nimbusfs.owner\": \"$own\", \"io.nimbusfs.kind\": \"lambda\",
		\"io.nimbusfs.object\": \"ghost\"}"
	local lambda=$CTR
	ctr_create "{\"io.nimbusfs.owner\": \"$own\", \"io.nimbusfs.kind\": \"ec2\",
		\"io.nimbusfs.object\": \"i-0123456789abcdef0\"}"
	local ec2=$CTR
	# another owner's, of every kind, and one nimbusfs never labelled
	for kind in ecs-task lambda ec2; do
		ctr_create "{\"io.nimbusfs.owner\": \"$other\", \"io.nimbusfs.kind\": \"$kind\",
			\"io.nimbusfs.object\": \"0123456789abcdef0123456789abcdef\"}"
		FOREIGN+=("$CTR")
	done
	ctr_create '{"purpose": "nimbusfs access test, not nimbusfs'"'"'s"}'
	FOREIGN+=("$CTR")

	nb_mount --ec2-image local/busybox:latest
	nb_engine_ready
	nb_wait 30 ctr_gone "$ecs" || { echo "ecs-task container left" >&2; false; }
	nb_wait 30 ctr_gone "$lambda" || { echo "lambda container left" >&2; false; }
	nb_wait 30 ctr_gone "$ec2" || { echo "ec2 container left" >&2; false; }

	# One appearing while mounted goes at the next resync.
	ctr_create "{\"io.nimbusfs.owner\": \"$own\", \"io.nimbusfs.kind\": \"ecs-task\",
		\"io.nimbusfs.object\": \"fedcba9876543210fedcba9876543210\", \"io.nimbusfs.container\": \"app\"}"
	local late=$CTR
	echo resync >"$MNT/ctl"
	nb_wait 30 ctr_gone "$late" || { echo "container made while mounted left" >&2; false; }
	echo resync >"$MNT/ctl"
	sleep 1
	for c in "${FOREIGN[@]}"; do
		ctr_exists "$c" || { echo "container $c was removed" >&2; false; }
		[ "$(engine GET "/containers/$c/json" | jq -r .State.Status)" = running ]
	done
}
