#!/usr/bin/env bats
# The workload core under ECS tasks: a task's captures end when it is
# forgotten, whatever happened to its containers, and a stop the engine
# could not carry out stays visible and is tried again at the resync.

load ../helper

setup() {
	PROXY="$BATS_TEST_TMPDIR/engine.sock"
}

teardown() {
	nb_unmount
	nb_proxy_stop
	nb_remove_containers
}

# open_files_of TASK: the daemon's open files under the task's log dir.
open_files_of() {
	ls -l "/proc/$NB_PID/fd" 2>/dev/null | grep -c "task-logs/$1" || true
}

@test "workload: a task whose container vanished while the engine was away stops, and rmdir ends its capture" {
	nb_proxy_start
	nb_mount --engine "unix://$PROXY"
	nb_engine_ready
	nb_register '{"family": "gone", "networkMode": "bridge", "containerDefinitions": [
		{"name": "app", "image": "local/busybox:latest",
		 "command": ["sh", "-c", "echo up; exec sleep 600"]}]}'
	TASK=$(nb_run_task gone)
	T="$MNT/ecs/tasks/$TASK"
	nb_wait 30 grep -qx RUNNING "$T/status"
	nb_wait 10 grep -qx '\[app\] up' "$T/logs"
	[ "$(open_files_of "$TASK")" -gt 0 ]
	# Away from the engine, the capture's stream breaks; meanwhile the
	# container goes, so nothing can inspect it when the task stops.
	nb_proxy_stop
	nb_wait 10 grep -q '^engine unreachable' "$MNT/health"
	docker rm -f "$(cat "$T/containers/app/id")" >/dev/null
	nb_proxy_start
	nb_engine_ready
	nb_wait 30 grep -qx STOPPED "$T/status"
	grep -q "vanished" "$T/containers/app/reason"
	rmdir "$T"
	[ ! -e "$T" ]
	# Nothing of the task is open any more: its capture was ended, not
	# left running on a freed task.
	nb_wait 5 test "$(open_files_of "$TASK")" -eq 0
	nb_unmount
}

@test "workload: a stop the engine could not carry out stays DEPROVISIONING with the reason, and is done at the resync" {
	nb_proxy_start
	nb_mount --engine "unix://$PROXY"
	nb_engine_ready
	# sh as PID 1 only dies of SIGTERM with a trap; this one says it got it
	# and goes on, so the stop waits out stopTimeout.
	nb_register '{"family": "stubborn", "networkMode": "bridge", "containerDefinitions": [
		{"name": "app", "image": "local/busybox:latest", "stopTimeout": 10,
		 "command": ["sh", "-c", "trap \"echo got TERM\" TERM; echo up; while :; do sleep 1; done"]}]}'
	TASK=$(nb_run_task stubborn)
	T="$MNT/ecs/tasks/$TASK"
	nb_wait 30 grep -qx RUNNING "$T/status"
	nb_wait 10 grep -qx '\[app\] up' "$T/logs"
	echo stop >"$T/ctl"
	# The engine has the stop request (the container got SIGTERM); then
	# the engine goes away while nimbusfs waits for its answer.
	nb_wait 10 grep -qx '\[app\] got TERM' "$T/logs"
	nb_proxy_stop
	nb_wait 10 grep -q CannotStopContainerError "$T/describe.json"
	[ "$(cat "$T/status")" = DEPROVISIONING ]
	[ "$(cat "$T/desired")" = STOPPED ]
	grep -q "CannotStopContainerError" "$T/containers/app/reason"
	grep -q "could not be stopped" "$T/last-error"
	grep -q "tried again at the next resync" "$T/last-error"
	# The engine comes back: the resync stops the task for good.
	nb_proxy_start
	nb_engine_ready
	nb_wait 40 grep -qx STOPPED "$T/status"
	nb_wait 10 test -z "$(docker ps -aq --filter "label=io.nimbusfs.object=$TASK")"
}

@test "workload: rmdir right after STOPPED still removes the task's containers and volumes" {
	nb_mount
	nb_engine_ready
	nb_register '{"family": "brief", "networkMode": "bridge",
		"volumes": [{"name": "data", "dockerVolumeConfiguration": {"scope": "task"}}],
		"containerDefinitions": [
		{"name": "app", "image": "local/busybox:latest", "command": ["sh", "-c", "echo done"],
		 "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]}]}'
	TASK=$(nb_run_task brief)
	T="$MNT/ecs/tasks/$TASK"
	run timeout 30 cat "$T/wait"
	[ "$status" -eq 0 ]
	rmdir "$T"
	nb_wait 15 test -z "$(docker ps -aq --filter "label=io.nimbusfs.object=$TASK")"
	nb_wait 15 test -z "$(docker volume ls -q --filter "label=io.nimbusfs.object=$TASK")"
	[ ! -e "$MNT/ecs/tasks/$TASK" ]
}
