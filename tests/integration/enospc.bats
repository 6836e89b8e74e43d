#!/usr/bin/env bats
# A full state dir (a 2 MB tmpfs, filled): every write that cannot be
# persisted fails with ENOSPC and changes nothing, in memory or on disk;
# reads keep working; once there is room again, writes work, and a new
# mount finds exactly what was acknowledged.

load ../ec2_helper

OPTS=(--ec2-image local/busybox:latest --lambda-idle 60)
AMI=ami-0123456789abcdef0

setup() {
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	W="$BATS_TEST_TMPDIR"
	STATE="$(mktemp -d /tmp/nimbusfs-state.XXXXXX)"
	mount -t tmpfs -o size=2m,mode=0700 tmpfs "$STATE"
	mount_state
}

teardown() {
	nb_unmount || true
	nb_remove_containers
	if [ -n "${STATE:-}" ] && mountpoint -q "$STATE"; then
		umount "$STATE" || umount -l "$STATE"
	fi
	nb_cleanup
}

# mount_state: mounts nimbusfs on $STATE and waits for the engine.
mount_state() {
	nb_mount "${OPTS[@]}"
	nb_engine_ready
	nb_paths
	SECRETS="$MNT/ecs/secrets"
}

remount() {
	nb_unmount
	mount_state
}

# full_health: the engine is up and health says the state dir refuses writes.
full_health() {
	local h
	h="$(cat "$MNT/health")"
	[[ "$h" != *engine* ]] && [[ "$h" == "state dir refuses writes: "*"No space left on device" ]]
}

# remount_full: a remount on the full state dir, whose health is not "ok".
remount_full() {
	nb_unmount
	nb_mount "${OPTS[@]}"
	nb_wait 15 full_health
	nb_paths
	SECRETS="$MNT/ecs/secrets"
}

# own_tmpfs: $STATE is this test's own 2 MB tmpfs: fill and unfill touch
# nothing else (dd on another file system would fill it).
own_tmpfs() {
	nb_scratch "${STATE:?}" && mountpoint -q "$STATE" && [ "$(stat -f -c %T "$STATE")" = tmpfs ]
}

# fill: no byte left in the state dir.
fill() {
	own_tmpfs || { echo "$STATE is not the test's tmpfs"; return 1; }
	dd if=/dev/zero of="$STATE/fill" bs=64k 2>/dev/null || true
	dd if=/dev/zero of="$STATE/fill-4k" bs=4k 2>/dev/null || true
	[ "$(df --output=avail "$STATE" | tail -n 1 | tr -d ' ')" -eq 0 ]
}

unfill() {
	own_tmpfs || { echo "$STATE is not the test's tmpfs"; return 1; }
	rm -f "$STATE/fill" "$STATE/fill-4k"
}

# nospc CMD...: CMD fails, saying "No space left on device".
nospc() {
	run "$@"
	[ "$status" -ne 0 ] && [[ "$output" == *"No space left on device"* ]] ||
		{ echo "expected ENOSPC from '$*': status $status: $output"; return 1; }
}

def() { # def FAMILY: a definition of a sleeping busybox container
	echo "{\"family\": \"$1\", \"networkMode\": \"bridge\", \"containerDefinitions\": [{\"name\": \"app\",
		\"image\": \"local/busybox:latest\", \"command\": [\"sleep\", \"300\"], \"stopTimeout\": 2}]}"
}

# refused CMD...: runs CMD; prints 1 if it failed with ENOSPC, 0 if it
# succeeded; fails if it failed otherwise.
refused() {
	local out
	if out="$("$@" 2>&1)"; then
		echo 0
	elif [[ "$out" == *"No space left on device"* ]]; then
		echo 1
	else
		echo "failed, not with ENOSPC: $*: $out" >&2
		return 1
	fi
}

# The objects made before the disk fills, and what they read.
objects() {
	nb_register "$(def keep)"
	printf '%s\n' old-value >"$SECRETS/db"
	mkdir "$L/fn"
	echo provided.al2023 >"$L/fn/runtime"
	echo function.handler >"$L/fn/handler"
	echo 5 >"$L/fn/timeout"
	"$ROOT/tests/mkzip.py" "$W/one.zip" 'function.sh=handler() { echo "\"one\""; }'
	"$ROOT/tests/mkzip.py" "$W/two.zip" 'function.sh=handler() { echo "\"two\""; }'
	cp "$W/one.zip" "$L/fn/code.zip"
	SHA="$(openssl dgst -sha256 -binary "$W/one.zip" | base64)"
	echo local/busybox:latest >"$E/images/$AMI"
	launch ""
	running "$I"
	echo web >"$I/tags/Name"
}

# same: what objects made reads the same, in memory (and, after a remount,
# on disk); nothing the refused writes asked for is there.
same() {
	[ "$(ls "$TD" | grep -v -e register -e last-error)" = keep ]
	[ "$(ls "$TD/keep")" = "$(printf '1.json\nlatest')" ]
	jq -e '.taskDefinition.family == "keep" and .taskDefinition.revision == 1' "$TD/keep/1.json"
	[ "$(cat "$SECRETS/db")" = old-value ]
	[ "$(ls "$SECRETS")" = "$(printf 'db\nlast-error')" ]
	[ "$(ls "$L")" = "$(printf 'fn\nlast-error')" ]
	[ "$(cat "$L/fn/timeout")" = 5 ]
	[ -z "$(cat "$L/fn/environment")" ]
	[ "$(cat "$L/fn/code-sha256")" = "$SHA" ]
	cmp "$L/fn/code.zip" "$W/one.zip"
	grep -q one "$L/fn/code/function.sh"
	[ "$(ls "$L/fn/layers")" = last-error ]
	jq -e --arg s "$SHA" '.Timeout == 5 and .CodeSha256 == $s and (.Environment.Variables // {} | length == 0)
		and (.Layers // [] | length == 0)' "$L/fn/config.json"
	[ "$(head -n 1 "$L/fn/state")" = Active ]
	[ "$(ls "$E/images")" = "$(printf '%s\nlast-error' "$AMI")" ]
	[ "$(cat "$E/images/$AMI")" = local/busybox:latest ]
	[ "$(ls "$E" | grep -c '^i-')" -eq 1 ]
	[ "$(ls "$I/tags")" = "$(printf 'Name\nlast-error')" ]
	[ "$(cat "$I/tags/Name")" = web ]
	jq -e '.Tags == [{"Key": "Name", "Value": "web"}]' "$I/describe.json"
	[ "$(ls "$TASKS" | grep -cE '^[0-9a-f]{32}$')" -eq 0 ]
	[ "$(ls "$E/subnets" | grep -c '^subnet-')" -eq 1 ]
}

@test "enospc: with the state dir full, writes fail with ENOSPC and change nothing; reads work" {
	objects
	fill

	# Task definitions: a new family, a new revision.
	nospc bash -c "printf '%s\n' '$(def new)' > '$TD/register'"
	grep -q "No space left on device" "$TD/last-error"
	nospc bash -c "printf '%s\n' '$(def keep)' > '$TD/register'"
	# Secrets: a new value, a new secret.
	nospc bash -c "echo new-value > '$SECRETS/db'"
	grep -q "No space left on device" "$SECRETS/last-error"
	nospc bash -c "echo x > '$SECRETS/other'"
	# Lambda: a new function, settings, config.json, a package, a layer.
	nospc mkdir "$L/fn2"
	grep -q "No space left on device" "$L/last-error"
	nospc bash -c "echo 9 > '$L/fn/timeout'"
	grep -q "No space left on device" "$L/fn/last-error"
	nospc bash -c "echo 'KEY=v' > '$L/fn/environment'"
	nospc bash -c "echo '{\"Timeout\": 9, \"Description\": \"x\"}' > '$L/fn/config.json'"
	nospc cp "$W/two.zip" "$L/fn/code.zip"
	nospc cp "$W/two.zip" "$L/fn/layers/01-dep.zip"
	# EC2: an AMI, a new reference for one, a tag, a new value for one.
	nospc bash -c "echo local/busybox:latest > '$E/images/ami-0123456789abcdef1'"
	nospc bash -c "echo local/other:1 > '$E/images/$AMI'"
	nospc bash -c "echo v > '$I/tags/Owner'"
	nospc bash -c "echo db > '$I/tags/Name'"
	nospc rm "$I/tags/Name"
	# Launches, whose records cannot be written: nothing is launched.
	nospc bash -c "echo keep > '$TASKS/run'"
	grep -q "No space left on device" "$TASKS/last-error"
	nospc bash -c "echo > '$E/run'"
	grep -q "No space left on device" "$E/last-error"

	# Reads work, and read the old values.
	grep -q '^nimbusfs ' "$MNT/version"
	full_health
	ls -R "$MNT/ecs" "$MNT/ec2/images" >/dev/null
	jq -e '.State.Name == "running"' "$I/describe.json"
	same
	# The engine has no container of a refused launch.
	[ "$(docker ps -aq --filter "label=io.nimbusfs.owner=$(cat "$STATE/id")" --filter label=io.nimbusfs.kind=ecs-task | wc -l)" -eq 0 ]
	[ "$(docker ps -aq --filter "label=io.nimbusfs.owner=$(cat "$STATE/id")" --filter label=io.nimbusfs.kind=ec2 | wc -l)" -eq 1 ]
	# No half-written file is left behind.
	[ -z "$(find "$STATE" -name '*.tmp' -o -name '*.new' -o -name '*.next')" ]

	# A new mount on the full dir finds the same.
	remount_full
	I="$E/$ID"
	same

	# With room again, health says so by itself (a read probes again), and
	# writes work.
	unfill
	nb_wait 5 grep -qx ok "$MNT/health"
	nb_register "$(def new)"
	[ -f "$TD/new/1.json" ]
	echo new-value >"$SECRETS/db"
	[ "$(cat "$SECRETS/db")" = new-value ]
	cp "$W/two.zip" "$L/fn/code.zip"
	[ "$(cat "$L/fn/code-sha256")" = "$(openssl dgst -sha256 -binary "$W/two.zip" | base64)" ]
	echo db >"$I/tags/Name"
	remount
	I="$E/$ID"
	[ "$(cat "$SECRETS/db")" = new-value ]
	[ "$(cat "$I/tags/Name")" = db ]
	grep -q two "$L/fn/code/function.sh"
}

@test "enospc: a stop with the state dir full is refused, or survives a restart" {
	nb_register "$(def keep)"
	local T
	T="$TASKS/$(nb_run_task keep)"
	nb_wait 20 grep -qx RUNNING "$T/status"
	launch ""
	running "$I"
	fill

	# Either ENOSPC and nothing changes, or it is done and kept.
	local task_refused inst_refused
	task_refused="$(refused bash -c "echo 'stop disk full' > '$T/ctl'")"
	inst_refused="$(refused bash -c "echo stop > '$I/state'")"
	sleep 1
	[ "$task_refused" = 0 ] || [ "$(cat "$T/status")" = RUNNING ]
	[ "$inst_refused" = 0 ] || [ "$(cat "$I/state")" = running ]
	[ "$task_refused" = 1 ] || nb_wait 30 grep -qx STOPPED "$T/status"
	[ "$inst_refused" = 1 ] || nb_wait 30 state_is "$I" stopped

	unfill
	remount
	T="$TASKS/$(basename "$T")"
	I="$E/$ID"
	if [ "$task_refused" = 1 ]; then
		[ "$(cat "$T/status")" = RUNNING ]
	else
		nb_wait 10 grep -qx STOPPED "$T/status"
		[ "$(cat "$T/stop-code")" = UserInitiated ] || { echo "task: $(cat "$T/stop-code"): $(cat "$T/stopped-reason")"; false; }
		[ "$(cat "$T/stopped-reason")" = "disk full" ]
	fi
	if [ "$inst_refused" = 1 ]; then
		[ "$(cat "$I/state")" = running ]
	else
		[ "$(cat "$I/state")" = stopped ]
		jq -e '.StateTransitionReason | startswith("User initiated")' "$I/describe.json" ||
			{ jq -c '{StateTransitionReason, StateReason}' "$I/describe.json"; false; }
	fi
}
