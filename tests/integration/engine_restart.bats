#!/usr/bin/env bats
# The engine goes away while tasks, instances and functions run, and comes
# back: nimbusfs reconnects, lists the engine's containers again, then
# watches, and every object ends in the state its container is in. Three
# ways: dockerd stopped and started (its containers die with it), an outage
# behind a socket proxy (containers go on running; some are killed or
# removed meanwhile), and an engine that is not there at mount time.
#
# The first test restarts dockerd with tools/engine-down.sh and
# tools/engine-up.sh (it is skipped for an engine they did not start): run
# this file alone (flock -x on a shared machine). The engine is left as it
# was found: teardown starts it again if it ran before the file did.

load ../ec2_helper

OPTS=(--ec2-image local/busybox:latest --lambda-idle 60)
RECORD="${NIMBUSFS_ENGINE_RECORD:-/run/nimbusfs/dockerd.pid}"

setup_file() {
	# The engine is left as it was found: running again if it ran.
	ENGINE_WAS_UP=0
	nb_engine_up && ENGINE_WAS_UP=1
	export ENGINE_WAS_UP
}

setup() {
	PROXY="$BATS_TEST_TMPDIR/engine.sock"
}

teardown() {
	[ -z "${EV_PID:-}" ] || kill "$EV_PID" 2>/dev/null || true
	nb_proxy_stop
	if [ "${ENGINE_WAS_UP:-0}" = 1 ] && ! nb_engine_up; then
		NIMBUSFS_ENGINE_TIMEOUT=60 timeout 120 "$ROOT/tools/engine-up.sh" 3>&- || true
	fi
	nb_cleanup
}

# ticker FAMILY [NETWORK-MODE]: a definition whose one container prints
# "tick N" from 0 every 0.1 s.
ticker() {
	nb_register "{\"family\": \"$1\", ${2:+\"networkMode\": \"$2\",} \"containerDefinitions\": [{\"name\": \"app\",
		\"image\": \"local/busybox:latest\", \"stopTimeout\": 2,
		\"command\": [\"sh\", \"-c\", \"$(nb_tick_cmd 0.1)\"]}]}"
}

# A ticking instance's user data: "tick N" every 0.2 s in the background.
TICK_UD="$(printf '#!/bin/sh\n(%s) &\n' "$(nb_tick_cmd 0.2)" | base64 -w0)"

task_is() {
	[ "$(cat "$TASKS/$1/status" 2>/dev/null)" = "$2" ]
}

# task_died TASK LAST: the task, whose container died while nimbusfs could
# not see it, is STOPPED as an essential container's exit, its logs whole
# up to LAST, the container's last tick line.
task_died() {
	nb_wait 20 task_is "$1" STOPPED || { echo "task $1 is $(cat "$TASKS/$1/status")"; return 1; }
	[ "$(cat "$TASKS/$1/stop-code")" = EssentialContainerExited ] || { echo "stop-code $(cat "$TASKS/$1/stop-code")"; return 1; }
	[ -n "$(cat "$TASKS/$1/stopped-reason")" ] || { echo "no stopped-reason"; return 1; }
	nb_ticks_ok "$TASKS/$1/logs" '\[app\] ' >/dev/null || return 1
	nb_wait 10 grep -qx "\[app\] $2" "$TASKS/$1/logs" ||
		{ echo "task logs end at '$(tail -n 1 "$TASKS/$1/logs")', the container printed up to '$2'"; return 1; }
}

# instance_died ID LAST: the same for an instance: stopped as a shutdown
# from inside, its console whole up to LAST.
instance_died() {
	nb_wait 20 state_is "$E/$1" stopped || { echo "instance $1 is $(cat "$E/$1/state")"; return 1; }
	jq -e '.StateReason.Code == "Client.InstanceInitiatedShutdown"' "$E/$1/describe.json" >/dev/null ||
		{ jq -c .StateReason "$E/$1/describe.json"; return 1; }
	nb_ticks_ok "$E/$1/console" '' >/dev/null || return 1
	nb_wait 10 grep -qx "$2" "$E/$1/console" ||
		{ echo "console ends at '$(grep '^tick' "$E/$1/console" | tail -n 1)', the container printed up to '$2'"; return 1; }
}

# host_down CMD...: CMD fails with EHOSTDOWN.
host_down() {
	run "$@"
	[ "$status" -ne 0 ] && [[ "$output" == *"Host is down"* ]] || { echo "expected EHOSTDOWN from '$*': $output"; return 1; }
}

@test "engine restart: dockerd stopped and started under running objects; each ends as its container did" {
	[ -f "$RECORD" ] || skip "the engine was not started by tools/engine-up.sh"
	nb_mount "${OPTS[@]}"
	nb_engine_ready
	nb_paths
	# A ticking task, a task that already ended, a ticking instance, a
	# stopped instance and a function with a warm container.
	ticker tick
	nb_register '{"family": "done", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["sh", "-c", "echo bye; exit 3"], "stopTimeout": 2}]}'
	local T D IT IS warm
	T="$(nb_run_task tick)"
	D="$(nb_run_task "done")"
	launch "{\"UserData\": \"$TICK_UD\"}"
	IT="$ID"
	launch ""
	IS="$ID"
	nb_make_fn fn
	running "$E/$IT"
	running "$E/$IS"
	echo stop >"$E/$IS/state"
	nb_wait 30 state_is "$E/$IS" stopped
	nb_wait 20 task_is "$T" RUNNING
	nb_wait 20 task_is "$D" STOPPED
	[ "$(nb_invoke fn 1)" = '{"got": 1}' ]
	warm="$(awk '{print $1}' "$L/fn/warm")"
	[ -n "$warm" ]
	nb_wait 10 grep -q '^tick 3$' "$E/$IT/console"
	nb_wait 10 grep -q '^\[app\] tick 3$' "$TASKS/$T/logs"
	cat "$MNT/events" >"$BATS_TEST_TMPDIR/events" 3>&- &
	EV_PID=$!

	"$ROOT/tools/engine-down.sh" 3>&-
	! nb_engine_up || false
	nb_wait 5 grep -q '^engine unreachable' "$MNT/health"
	# Down: reads answer from memory, actions are EHOSTDOWN.
	[ "$(cat "$TASKS/$D/status")" = STOPPED ]
	ls "$E/$IT" >/dev/null
	jq -e . "$TASKS/$T/describe.json" >/dev/null
	host_down bash -c "echo tick > '$TASKS/run'"
	host_down bash -c "echo > '$E/run'"
	host_down bash -c "echo '{}' > '$L/fn/invoke'"
	host_down bash -c "echo start > '$E/$IS/state'"
	grep -q "engine unreachable" "$TASKS/last-error"

	NIMBUSFS_ENGINE_TIMEOUT=60 timeout 120 "$ROOT/tools/engine-up.sh" 3>&-
	nb_engine_up
	nb_wait 15 grep -qx ok "$MNT/health"
	grep -q "^engine: Docker Engine" "$MNT/version"

	# The ticking task's containers died with the engine: STOPPED, with a
	# reason, and its logs are whole.
	nb_wait 30 task_is "$T" STOPPED || { echo "task $T is $(cat "$TASKS/$T/status")"; false; }
	[ -n "$(cat "$TASKS/$T/stop-code")" ]
	[ -n "$(cat "$TASKS/$T/stopped-reason")" ]
	jq -e '.lastStatus == "STOPPED" and .desiredStatus == "STOPPED" and (.stoppedReason | length > 0)
		and (.containers[0].lastStatus == "STOPPED")' "$TASKS/$T/describe.json"
	nb_ticks_ok "$TASKS/$T/logs" '\[app\] '
	# The ended task is as it was.
	[ "$(cat "$TASKS/$D/exit-code")" = 3 ]
	[ "$(cat "$TASKS/$D/stop-code")" = EssentialContainerExited ]
	# The ticking instance stopped with a reason; its console is whole.
	nb_wait 30 state_is "$E/$IT" stopped || { echo "instance $IT is $(cat "$E/$IT/state")"; false; }
	jq -e '.State.Name == "stopped" and (.StateReason.Code | length > 0) and (.StateReason.Message | length > 0)' \
		"$E/$IT/describe.json"
	nb_ticks_ok "$E/$IT/console" ''
	local last
	last="$(docker logs "$(cat "$E/$IT/container")" 2>&1 | grep '^tick' | tail -n 1)"
	nb_wait 5 grep -qx "$last" "$E/$IT/console" ||
		{ echo "console ends at '$(grep '^tick' "$E/$IT/console" | tail -n 1)', the container printed up to '$last'"; false; }
	[ "$(cat "$E/$IS/state")" = stopped ]
	# The warm container is gone: the next invoke starts another.
	nb_wait 20 bash -c "! grep -q '^$warm' '$L/fn/warm'"
	[ "$(nb_invoke fn 2)" = '{"got": 2}' ]
	! grep -q "^$warm" "$L/fn/warm" || false
	nb_wait 20 bash -c "! docker ps -aq --no-trunc | grep -q '^$warm'"

	# Everything works again.
	local T2
	T2="$(nb_run_task tick)"
	nb_wait 20 task_is "$T2" RUNNING
	nb_more_ticks "$TASKS/$T2/logs" '\[app\] '
	echo start >"$E/$IT/state"
	running "$E/$IT"
	echo start >"$E/$IS/state"
	running "$E/$IS"
	[ "$(cat "$E/$IT/user-data-status")" = "exited 0" ]
	I="$E/$IT"
	run rc 'echo alive'
	echo "$output" | jq -e '.StandardOutputContent == "alive\n"'
	echo stop >"$TASKS/$T2/ctl"
	nb_wait 30 task_is "$T2" STOPPED

	# The events stream said so.
	kill "$EV_PID" 2>/dev/null || true
	EV_PID=""
	grep -q '"type":"engine".*"status":"down"' "$BATS_TEST_TMPDIR/events"
	grep -q '"type":"engine".*"status":"up"' "$BATS_TEST_TMPDIR/events"
}

@test "engine outage: containers killed or removed meanwhile end with a reason; running ones stay RUNNING, output whole" {
	nb_proxy_start
	nb_mount "${OPTS[@]}" --engine "unix://$PROXY"
	nb_engine_ready
	nb_paths
	ticker stay bridge
	ticker gone bridge
	local T1 T2 I1 I2 I3
	T1="$(nb_run_task stay)"
	T2="$(nb_run_task gone)"
	launch "{\"UserData\": \"$TICK_UD\"}"
	I1="$ID"
	launch "{\"UserData\": \"$TICK_UD\"}"
	I2="$ID"
	launch ""
	I3="$ID"
	nb_wait 20 task_is "$T1" RUNNING
	nb_wait 20 task_is "$T2" RUNNING
	running "$E/$I1"
	running "$E/$I2"
	running "$E/$I3"
	nb_wait 10 grep -q '^tick 3$' "$E/$I1/console"
	local c1 cI1
	c1="$(cat "$TASKS/$T1/containers/app/id")"
	cI1="$(cat "$E/$I1/container")"

	nb_proxy_stop
	nb_wait 5 grep -q '^engine unreachable' "$MNT/health"
	host_down bash -c "echo stop > '$E/$I1/state'"
	# Meanwhile, on the engine: a task's container and an instance's are
	# killed, another instance's is removed.
	local cT2 cI2 lastT2 lastI2
	cT2="$(cat "$TASKS/$T2/containers/app/id")"
	cI2="$(cat "$E/$I2/container")"
	sleep 1
	docker kill "$cT2" >/dev/null
	docker kill "$cI2" >/dev/null
	docker rm -f "$(cat "$E/$I3/container")" >/dev/null
	# What they printed last, which nimbusfs must still capture.
	lastT2="$(docker logs "$cT2" 2>&1 | grep '^tick' | tail -n 1)"
	lastI2="$(docker logs "$cI2" 2>&1 | grep '^tick' | tail -n 1)"
	[ -n "$lastT2" ] && [ -n "$lastI2" ]
	# nimbusfs cannot know yet.
	[ "$(cat "$TASKS/$T2/status")" = RUNNING ]
	[ "$(cat "$E/$I2/state")" = running ]
	nb_proxy_start
	nb_wait 10 grep -qx ok "$MNT/health"

	task_died "$T2" "$lastT2"
	[ "$(cat "$TASKS/$T2/exit-code")" = 137 ]
	instance_died "$I2" "$lastI2"
	nb_wait 20 state_is "$E/$I3" terminated || { echo "instance $I3 is $(cat "$E/$I3/state")"; false; }
	jq -e '.StateReason.Code == "Server.InternalError" and (.StateReason.Message | length > 0)' "$E/$I3/describe.json"
	# The ones still running stay so, with the same containers, and their
	# output goes on without a line lost or repeated.
	[ "$(cat "$TASKS/$T1/status")" = RUNNING ]
	[ "$(cat "$TASKS/$T1/containers/app/id")" = "$c1" ]
	nb_more_ticks "$TASKS/$T1/logs" '\[app\] '
	[ "$(cat "$E/$I1/state")" = running ]
	[ "$(cat "$E/$I1/container")" = "$cI1" ]
	nb_more_ticks "$E/$I1/console" ''
	# They still obey.
	echo stop >"$TASKS/$T1/ctl"
	nb_wait 30 task_is "$T1" STOPPED
	echo stop >"$E/$I1/state"
	nb_wait 30 state_is "$E/$I1" stopped
}

@test "engine absent at mount: the mount works, actions are EHOSTDOWN, and all comes to life when it appears" {
	# A first mount on the real engine leaves a task and an instance running.
	nb_mount "${OPTS[@]}"
	nb_engine_ready
	nb_paths
	ticker before bridge
	local T0 I0 Tk Ik
	T0="$(nb_run_task before)"
	Tk="$(nb_run_task before)"
	launch "{\"UserData\": \"$TICK_UD\"}"
	I0="$ID"
	launch "{\"UserData\": \"$TICK_UD\"}"
	Ik="$ID"
	nb_wait 20 task_is "$T0" RUNNING
	nb_wait 20 task_is "$Tk" RUNNING
	running "$E/$I0"
	running "$E/$Ik"
	local cTk cIk lastTk lastIk
	cTk="$(cat "$TASKS/$Tk/containers/app/id")"
	cIk="$(cat "$E/$Ik/container")"
	nb_unmount
	# While nothing watches, a task's container and an instance's die.
	sleep 1
	docker kill "$cTk" "$cIk" >/dev/null
	lastTk="$(docker logs "$cTk" 2>&1 | grep '^tick' | tail -n 1)"
	lastIk="$(docker logs "$cIk" 2>&1 | grep '^tick' | tail -n 1)"

	# The engine's socket does not exist yet.
	nb_mount "${OPTS[@]}" --engine "unix://$PROXY"
	nb_paths
	nb_wait 5 grep -q "^engine unreachable at unix://$PROXY" "$MNT/health"
	grep -q "^engine: unknown (not reached yet) at unix://$PROXY$" "$MNT/version"
	# Reads work, from the state dir; writes that need no engine work.
	[ "$(cat "$TASKS/$T0/status")" = RUNNING ]
	[ "$(cat "$E/$I0/state")" = running ]
	ticker later bridge
	nb_make_fn fn
	[ "$(head -n 1 "$L/fn/state")" = Active ]
	# Actions that need the engine are EHOSTDOWN, and change nothing.
	host_down bash -c "echo later > '$TASKS/run'"
	grep -q "engine unreachable" "$TASKS/last-error"
	host_down bash -c "echo > '$E/run'"
	host_down bash -c "echo '{}' > '$L/fn/invoke'"
	host_down bash -c "echo stop > '$TASKS/$T0/ctl'"
	host_down bash -c "echo resync > '$MNT/ctl'"
	[ "$(ls "$TASKS" | grep -cE '^[0-9a-f]{32}$')" -eq 2 ]
	[ "$(ls "$E" | grep -c '^i-')" -eq 2 ]

	# The engine appears.
	nb_proxy_start
	nb_wait 10 grep -qx ok "$MNT/health"
	grep -q "^engine: Docker Engine" "$MNT/version"
	# What ran before is adopted, its output whole and going on.
	[ "$(cat "$TASKS/$T0/status")" = RUNNING ]
	nb_more_ticks "$TASKS/$T0/logs" '\[app\] '
	running "$E/$I0"
	nb_more_ticks "$E/$I0/console" ''
	# What died meanwhile ends with a reason, its output whole.
	task_died "$Tk" "$lastTk"
	instance_died "$Ik" "$lastIk"
	# New actions work.
	local T1
	T1="$(nb_run_task later)"
	nb_wait 20 task_is "$T1" RUNNING
	[ "$(nb_invoke fn 5)" = '{"got": 5}' ]
	launch ""
	running "$I"
	echo resync >"$MNT/ctl"
	echo stop >"$TASKS/$T0/ctl"
	echo stop >"$TASKS/$T1/ctl"
	nb_wait 30 task_is "$T0" STOPPED
	nb_wait 30 task_is "$T1" STOPPED
}
