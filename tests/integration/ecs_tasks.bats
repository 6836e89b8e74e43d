#!/usr/bin/env bats
# ECS tasks: run from a registered definition, watch, wait for and stop
# them, with real containers of the local busybox image.

load ../helper

setup() {
	nb_mount
	nb_engine_ready
	TASKS="$MNT/ecs/tasks"
}

# register NAME JSON: registers a task definition from the JSON text.
register() {
	printf '%s\n' "$1" >"$MNT/ecs/task-definitions/register"
}

# one_container FAMILY COMMAND [extra container fields]: a definition with one
# essential busybox container "app" running sh -c COMMAND.
one_container() {
	register "{\"family\": \"$1\", \"containerDefinitions\": [{\"name\": \"app\",
		\"image\": \"local/busybox:latest\", \"command\": [\"sh\", \"-c\", \"$2\"],
		\"stopTimeout\": 2 ${3:+, $3}}]}"
}

run_task() {
	TASK="$(echo "$1" | { exec 7<>"$TASKS/run"; cat >&7; cat <&7; exec 7<&-; } | head -n 1)"
	T="$TASKS/$TASK"
}

status_is() {
	[ "$(cat "$T/status" 2>/dev/null)" = "$1" ]
}

@test "tasks: the directory lists run and last-error; latest only once a task exists" {
	run ls "$TASKS"
	[ "$output" = "$(printf 'last-error\nrun')" ]
	[ ! -L "$TASKS/latest" ]
	[ "$(stat -c %A "$TASKS/run")" = "-rw-------" ]
}

@test "tasks: run answers a 32-hex id, latest points to it, and it reaches RUNNING" {
	one_container sleeper "echo hello; sleep 60"
	run_task sleeper
	[[ "$TASK" =~ ^[0-9a-f]{32}$ ]]
	[ "$(readlink "$TASKS/latest")" = "$TASK" ]
	nb_wait 20 status_is RUNNING
	[ "$(cat "$T/desired")" = RUNNING ]
	[ "$(cat "$T/containers/app/status")" = RUNNING ]
	[[ "$(cat "$T/containers/app/id")" =~ ^[0-9a-f]{64}$ ]]
	[ "$(cat "$T/containers/app/image")" = "local/busybox:latest" ]
	[ "$(readlink "$T/task-definition")" = "../../task-definitions/sleeper/1.json" ]
	nb_wait 10 grep -qx '\[app\] hello' "$T/logs"
	nb_wait 10 grep -qx 'hello' "$T/containers/app/logs"
	jq -e '.lastStatus == "RUNNING" and (.taskArn | endswith("'"$TASK"'"))' "$T/describe.json"
}

@test "tasks: an essential container's exit stops the task; wait answers its exit code" {
	one_container quitter "echo bye; exit 3"
	run_task quitter
	run timeout 30 cat "$T/wait"
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	[ "$(cat "$T/status")" = STOPPED ]
	[ "$(cat "$T/stop-code")" = EssentialContainerExited ]
	[ "$(cat "$T/stopped-reason")" = "Essential container in task exited" ]
	[ "$(cat "$T/exit-code")" = 3 ]
	[ "$(cat "$T/containers/app/exit-code")" = 3 ]
	[ "$(cat "$T/containers/app/reason")" = "Exited with code 3" ]
	grep -qx '\[app\] bye' "$T/logs"
	# its containers are removed right after it is STOPPED, as the agent
	# cleans up
	nb_wait 10 no_task_container
}

no_task_container() {
	[ -z "$(docker ps -aq --filter "label=io.nimbusfs.object=$TASK")" ]
}

@test "tasks: wait blocks, holds no thread, and Ctrl-C returns it at once" {
	one_container waiter "sleep 60"
	run_task waiter
	perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' cat "$T/wait" >/dev/null &
	local reader=$!
	sleep 0.5
	kill -0 "$reader"
	kill -INT "$reader"
	nb_wait 2 nb_gone "$reader"
}

@test "tasks: ctl stop with a reason is UserInitiated and the reason is kept" {
	one_container stoppable "sleep 60"
	run_task stoppable
	nb_wait 20 status_is RUNNING
	echo "stop deploy done" >"$T/ctl"
	[ "$(cat "$T/desired")" = STOPPED ]
	run timeout 30 cat "$T/wait"
	[ "$(cat "$T/status")" = STOPPED ]
	[ "$(cat "$T/stop-code")" = UserInitiated ]
	[ "$(cat "$T/stopped-reason")" = "deploy done" ]
	# a second stop is refused: it is already stopped
	run bash -c "echo stop > '$T/ctl'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"busy"* ]]
	grep -q "already stopped" "$T/last-error"
}

@test "tasks: writing STOPPED to desired stops the task; other values are refused" {
	one_container desirable "sleep 60"
	run_task desirable
	nb_wait 20 status_is RUNNING
	run bash -c "echo RUNNING > '$T/desired'"
	[ "$status" -ne 0 ]
	run bash -c "echo PAUSED > '$T/desired'"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q "expected STOPPED" "$T/last-error"
	echo STOPPED >"$T/desired"
	nb_wait 30 status_is STOPPED
	[ "$(cat "$T/stop-code")" = UserInitiated ]
}

# kept_errors: how many last-error messages nimbusfs keeps.
kept_errors() {
	sed -n 's/^nimbusfs_last_errors //p' "$MNT/metrics"
}

@test "tasks: rmdir of a task drops its last-error with it" {
	one_container erring "sleep 60"
	run_task erring
	nb_wait 20 status_is RUNNING
	local kept
	kept="$(kept_errors)"
	run bash -c "echo PAUSED > '$T/desired'"
	[ "$status" -ne 0 ]
	grep -q "expected STOPPED" "$T/last-error"
	[ "$(kept_errors)" -eq $((kept + 1)) ]
	echo STOPPED >"$T/desired"
	nb_wait 30 status_is STOPPED
	nb_wait 10 rmdir "$T"
	[ ! -e "$T" ]
	[ "$(kept_errors)" -eq "$kept" ]
}

@test "tasks: ctl kill sends a signal; an unknown signal is EINVAL" {
	one_container killable "trap 'echo got TERM; exit 143' TERM; sleep 60 & wait"
	run_task killable
	nb_wait 20 status_is RUNNING
	sleep 0.5
	run bash -c "echo 'kill SIGBOGUS' > '$T/ctl'"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'unknown signal "SIGBOGUS"' "$T/last-error"
	echo "kill TERM" >"$T/ctl"
	run timeout 30 cat "$T/wait"
	[ "$output" = 143 ]
	[ "$(cat "$T/containers/app/reason")" = "Killed by signal SIGTERM (exit code 143)" ]
	nb_wait 5 grep -qx '\[app\] got TERM' "$T/logs"
}

@test "tasks: ports are published on 127.0.0.1 and answer there" {
	register '{"family": "web", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "stopTimeout": 2,
		"command": ["sh", "-c", "mkdir -p /www && echo hello-from-task > /www/index.html && exec httpd -f -p 8080 -h /www"],
		"portMappings": [{"containerPort": 8080}]}]}'
	run_task web
	nb_wait 20 status_is RUNNING
	nb_wait 10 grep -q '^8080/tcp -> 127.0.0.1:[0-9]*$' "$T/containers/app/ports"
	local port
	port="$(sed -n 's|^8080/tcp -> 127.0.0.1:||p' "$T/containers/app/ports")"
	nb_wait 10 curl -sf "http://127.0.0.1:$port/"
	[ "$(curl -sf "http://127.0.0.1:$port/")" = hello-from-task ]
	jq -e '.containers[0].networkBindings[0].bindIP == "127.0.0.1"' "$T/describe.json"
}

@test "tasks: awsvpc containers share one namespace and publish on it" {
	register '{"family": "pair", "networkMode": "awsvpc", "containerDefinitions": [
		{"name": "server", "image": "local/busybox:latest", "stopTimeout": 2,
		 "command": ["sh", "-c", "mkdir -p /www && echo from-server > /www/index.html && exec httpd -f -p 8080 -h /www"],
		 "portMappings": [{"containerPort": 8080}]},
		{"name": "client", "image": "local/busybox:latest", "essential": false, "stopTimeout": 2,
		 "dependsOn": [{"containerName": "server", "condition": "START"}],
		 "command": ["sh", "-c", "sleep 1; wget -qO- http://localhost:8080/; sleep 60"]}]}'
	run_task pair
	nb_wait 20 status_is RUNNING
	nb_wait 15 grep -qx '\[client\] from-server' "$T/logs"
	local port
	port="$(sed -n 's|^8080/tcp -> 127.0.0.1:||p' "$T/containers/server/ports")"
	[ -n "$port" ]
	[ "$(curl -sf "http://127.0.0.1:$port/")" = from-server ]
}

@test "tasks: RunTask JSON runs count tasks with overrides" {
	one_container greeter 'echo greeting=$GREETING; sleep 60' '"environment": [{"name": "GREETING", "value": "hi"}]'
	exec 7<>"$TASKS/run"
	echo '{"taskDefinition": "greeter:1", "count": 2, "startedBy": "bats",
	       "overrides": {"containerOverrides": [{"name": "app",
	       "environment": [{"name": "GREETING", "value": "hello"}]}]}}' >&7
	run cat <&7
	exec 7<&-
	[ "${#lines[@]}" -eq 2 ]
	for id in "${lines[@]}"; do
		[[ "$id" =~ ^[0-9a-f]{32}$ ]]
		nb_wait 20 grep -qx '\[app\] greeting=hello' "$TASKS/$id/logs"
		jq -e '.startedBy == "bats"' "$TASKS/$id/describe.json"
	done
}

@test "tasks: a command override replaces the container's command" {
	one_container overridden "echo original; sleep 60"
	run_task '{"taskDefinition": "overridden", "overrides": {"containerOverrides": [{"name": "app", "command": ["sh", "-c", "echo replaced; exit 0"]}]}}'
	run timeout 30 cat "$T/wait"
	[ "$output" = 0 ]
	grep -qx '\[app\] replaced' "$T/logs"
	! grep -q original "$T/logs"
}

@test "tasks: bad run requests fail in write() and say why" {
	one_container known "sleep 1"
	run bash -c "echo nosuchfamily > '$TASKS/run'"
	[[ "$output" == *"No such file"* ]]
	grep -q 'no task definition family "nosuchfamily"' "$TASKS/last-error"
	run bash -c "echo known:7 > '$TASKS/run'"
	[[ "$output" == *"No such file"* ]]
	run bash -c "echo '{\"taskDefinition\": \"known\", \"count\": 11}' > '$TASKS/run'"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q count "$TASKS/last-error"
	run bash -c "echo '{\"taskDefinition\": \"known\", \"overrides\": {\"containerOverrides\": [{\"name\": \"nope\"}]}}' > '$TASKS/run'"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'no container "nope"' "$TASKS/last-error"
	run bash -c "echo '{\"taskDefinition\": }' > '$TASKS/run'"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q "line 1" "$TASKS/last-error"
	# nothing was launched by any of them
	[ "$(ls "$TASKS" | grep -c '^[0-9a-f]\{32\}$')" -eq 0 ]
}

@test "tasks: an image that cannot be pulled fails the task with CannotPullContainerError" {
	register '{"family": "nopull", "networkMode": "bridge", "containerDefinitions": [{"name": "app", "image": "127.0.0.1:1/nothing/here:1"}]}'
	run_task nopull
	run timeout 60 cat "$T/wait"
	[ "$(cat "$T/status")" = STOPPED ]
	[ "$(cat "$T/stop-code")" = TaskFailedToStart ]
	grep -q '^CannotPullContainerError: ' "$T/stopped-reason"
}

@test "tasks: a non-essential container may exit while the task keeps running" {
	register '{"family": "mixed", "networkMode": "bridge", "containerDefinitions": [
		{"name": "main", "image": "local/busybox:latest", "command": ["sleep", "60"], "stopTimeout": 2},
		{"name": "oneshot", "image": "local/busybox:latest", "essential": false, "command": ["sh", "-c", "exit 5"]}]}'
	run_task mixed
	nb_wait 20 grep -qx 5 "$T/containers/oneshot/exit-code"
	sleep 1
	[ "$(cat "$T/status")" = RUNNING ]
	[ "$(cat "$T/containers/oneshot/status")" = STOPPED ]
}

@test "tasks: dependsOn SUCCESS starts a container after another one succeeded" {
	register '{"family": "init", "networkMode": "bridge", "containerDefinitions": [
		{"name": "setup", "image": "local/busybox:latest", "essential": false, "command": ["sh", "-c", "echo setting up; exit 0"]},
		{"name": "app", "image": "local/busybox:latest", "stopTimeout": 2, "command": ["sh", "-c", "echo app up; sleep 60"],
		 "dependsOn": [{"containerName": "setup", "condition": "SUCCESS"}]}]}'
	run_task init
	nb_wait 20 status_is RUNNING
	nb_wait 10 grep -qx '\[app\] app up' "$T/logs"
	[ "$(cat "$T/containers/setup/exit-code")" = 0 ]
}

@test "tasks: dependsOn SUCCESS on a failing container fails the task to start, naming both" {
	register '{"family": "badinit", "networkMode": "bridge", "containerDefinitions": [
		{"name": "setup", "image": "local/busybox:latest", "essential": false, "command": ["sh", "-c", "exit 1"]},
		{"name": "app", "image": "local/busybox:latest", "command": ["sleep", "60"],
		 "dependsOn": [{"containerName": "setup", "condition": "SUCCESS"}]}]}'
	run_task badinit
	run timeout 30 cat "$T/wait"
	[ "$(cat "$T/stop-code")" = TaskFailedToStart ]
	grep -q "app" "$T/stopped-reason"
	grep -q "setup" "$T/stopped-reason"
}

@test "tasks: rmdir of a running task is EBUSY; of a stopped one forgets it" {
	one_container forgettable "sleep 60"
	run_task forgettable
	nb_wait 20 status_is RUNNING
	run rmdir "$T"
	[ "$status" -ne 0 ]
	[[ "$output" == *"busy"* ]]
	grep -q "stop it first" "$TASKS/last-error"
	echo stop >"$T/ctl"
	nb_wait 30 status_is STOPPED
	rmdir "$T"
	[ ! -e "$T" ]
	! ls "$TASKS" | grep -q "$TASK"
}

@test "tasks: the task's events stream shows its status changes" {
	one_container eventful "sleep 60"
	exec 8<"$MNT/events"
	run_task eventful
	run timeout 20 grep -m 1 "\"id\":\"$TASK\".*\"lastStatus\":\"RUNNING\"" <&8
	exec 8<&-
	[ "$status" -eq 0 ]
	exec 8<"$T/events"
	echo stop >"$T/ctl"
	run timeout 30 grep -m 1 '"lastStatus":"STOPPED"' <&8
	exec 8<&-
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"type\":\"ecs-task\",\"id\":\"$TASK\""* ]]
}

@test "tasks: a health check's result shows in health" {
	register '{"family": "healthy", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["sleep", "60"], "stopTimeout": 2,
		"healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "timeout": 2, "retries": 1}}]}'
	run_task healthy
	nb_wait 30 grep -qx HEALTHY "$T/containers/app/health"
	nb_wait 5 grep -qx HEALTHY "$T/health"
}

@test "tasks: run answers EHOSTDOWN when the engine is unreachable" {
	nb_unmount
	nb_mount --engine unix:///nonexistent
	TASKS="$MNT/ecs/tasks"
	one_container offline "true"
	run bash -c "echo offline > '$TASKS/run'"
	[[ "$output" == *"Host is down"* ]]
	grep -q "engine unreachable" "$TASKS/last-error"
}

@test "tasks: running tasks survive an unmount and are found again with their logs" {
	one_container survivor "i=0; while true; do echo tick \$i; i=\$((i+1)); sleep 0.2; done"
	run_task survivor
	nb_wait 20 status_is RUNNING
	nb_wait 10 grep -q '^\[app\] tick 3$' "$T/logs"
	nb_unmount
	sleep 1
	nb_mount
	T="$MNT/ecs/tasks/$TASK"
	nb_engine_ready
	[ "$(cat "$T/status")" = RUNNING ]
	local n
	n=$(grep -c tick "$T/logs")
	nb_wait 10 bash -c "[ \$(grep -c tick '$T/logs') -gt $((n + 3)) ]"
	# no line lost or repeated across the restart
	run bash -c "sed -n 's/^\[app\] tick //p' '$T/logs' | awk 'NR - 1 != \$1 { exit 1 }'"
	[ "$status" -eq 0 ]
	echo stop >"$T/ctl"
	nb_wait 30 status_is STOPPED
}

@test "tasks: a task volume is shared by its containers and removed with the task" {
	register '{"family": "vol", "networkMode": "bridge",
		"volumes": [{"name": "data", "dockerVolumeConfiguration": {"scope": "task"}}],
		"containerDefinitions": [
		{"name": "writer", "image": "local/busybox:latest", "essential": false,
		 "command": ["sh", "-c", "echo shared-data > /data/f"],
		 "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]},
		{"name": "reader", "image": "local/busybox:latest", "stopTimeout": 2,
		 "dependsOn": [{"containerName": "writer", "condition": "SUCCESS"}],
		 "command": ["sh", "-c", "cat /data/f; sleep 60"],
		 "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": true}]}]}'
	run_task vol
	nb_wait 20 grep -qx '\[reader\] shared-data' "$T/logs"
	[ -n "$(docker volume ls -q --filter "label=io.nimbusfs.object=$TASK")" ]
	echo stop >"$T/ctl"
	nb_wait 30 status_is STOPPED
	# Removed right after the task is STOPPED, as the agent cleans up.
	nb_wait 10 no_task_volume
}

no_task_volume() {
	[ -z "$(docker volume ls -q --filter "label=io.nimbusfs.object=$TASK")" ]
}

@test "tasks: tail -f follows a task's logs as lines arrive" {
	one_container ticker "i=0; while true; do echo tick \$i; i=\$((i+1)); sleep 0.2; done"
	run_task ticker
	nb_wait 20 grep -q 'tick 1$' "$T/logs"
	tail -f "$T/logs" >"$BATS_TEST_TMPDIR/tail.out" &
	local tailer=$!
	# lines written after tail opened the file reach it
	nb_wait 15 grep -q 'tick 15$' "$BATS_TEST_TMPDIR/tail.out"
	kill "$tailer"
}

@test "tasks: a container killed for memory says OutOfMemoryError" {
	register '{"family": "oom", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "memory": 16,
		"command": ["sh", "-c", "head -c 200000000 /dev/zero | tail"]}]}'
	run_task oom
	run timeout 60 cat "$T/wait"
	[ "$output" = 137 ]
	[ "$(cat "$T/containers/app/reason")" = "OutOfMemoryError: Container killed due to memory usage" ]
	[ "$(cat "$T/stop-code")" = EssentialContainerExited ]
	jq -e '.containers[0].reason | startswith("OutOfMemoryError")' "$T/describe.json"
}

@test "tasks: container definition fields reach the container" {
	register '{"family": "fields", "networkMode": "bridge", "containerDefinitions": [
		{"name": "db", "image": "local/busybox:latest", "essential": false, "stopTimeout": 2,
		 "command": ["sleep", "60"]},
		{"name": "app", "image": "local/busybox:latest", "stopTimeout": 2,
		 "entryPoint": ["sh", "-c"],
		 "command": ["echo wd=$(pwd); echo uid=$(id -u); echo host=$(hostname); echo nofile=$(ulimit -n); grep -q extra.example /etc/hosts && echo extra=yes; grep -q database /etc/hosts && echo link=yes; touch /x 2>/dev/null || echo readonly=yes; sleep 60"],
		 "workingDirectory": "/tmp", "user": "65534", "hostname": "apphost",
		 "readonlyRootFilesystem": true,
		 "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
		 "extraHosts": [{"hostname": "extra.example", "ipAddress": "127.0.0.2"}],
		 "links": ["db:database"],
		 "dockerLabels": {"com.example.team": "shop"},
		 "dependsOn": [{"containerName": "db", "condition": "START"}],
		 "linuxParameters": {"initProcessEnabled": true}}]}'
	run_task fields
	nb_wait 20 grep -qx '\[app\] readonly=yes' "$T/logs"
	grep -qx '\[app\] wd=/tmp' "$T/logs"
	grep -qx '\[app\] uid=65534' "$T/logs"
	grep -qx '\[app\] host=apphost' "$T/logs"
	grep -qx '\[app\] nofile=1024' "$T/logs"
	grep -qx '\[app\] extra=yes' "$T/logs"
	grep -qx '\[app\] link=yes' "$T/logs"
	local id
	id="$(cat "$T/containers/app/id")"
	[ "$(docker inspect -f '{{index .Config.Labels "com.example.team"}}' "$id")" = shop ]
	[ "$(docker inspect -f '{{.HostConfig.Init}}' "$id")" = true ]
}

@test "tasks: dependsOn HEALTHY waits for the dependency's health check" {
	register '{"family": "healthdep", "networkMode": "bridge", "containerDefinitions": [
		{"name": "db", "image": "local/busybox:latest", "stopTimeout": 2, "command": ["sleep", "60"],
		 "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "timeout": 2, "retries": 1}},
		{"name": "app", "image": "local/busybox:latest", "stopTimeout": 2,
		 "command": ["sh", "-c", "echo app after healthy db; sleep 60"],
		 "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}]}]}'
	run_task healthdep
	nb_wait 40 status_is RUNNING
	[ "$(cat "$T/containers/db/health")" = HEALTHY ]
	nb_wait 10 grep -qx '\[app\] app after healthy db' "$T/logs"
}

@test "tasks: a dependsOn condition that does not hold in startTimeout fails the task" {
	register '{"family": "slowdep", "networkMode": "bridge", "containerDefinitions": [
		{"name": "db", "image": "local/busybox:latest", "essential": false, "stopTimeout": 2,
		 "command": ["sleep", "60"]},
		{"name": "app", "image": "local/busybox:latest", "startTimeout": 2, "command": ["true"],
		 "dependsOn": [{"containerName": "db", "condition": "COMPLETE"}]}]}'
	run_task slowdep
	run timeout 60 cat "$T/wait"
	[ "$(cat "$T/stop-code")" = TaskFailedToStart ]
	grep -q "^Timed out waiting for a container dependency: container app depends on db being COMPLETE$" "$T/stopped-reason"
}

@test "tasks: a task whose containers vanished while unmounted shows STOPPED with a reason" {
	one_container vanisher "sleep 60"
	run_task vanisher
	nb_wait 20 status_is RUNNING
	local id
	id="$(cat "$T/containers/app/id")"
	nb_unmount
	docker rm -f "$id" >/dev/null
	nb_mount
	T="$MNT/ecs/tasks/$TASK"
	nb_wait 30 status_is STOPPED
	grep -q "vanished while nimbusfs was away" "$T/containers/app/reason"
	[ -n "$(cat "$T/stopped-reason")" ]
}

@test "tasks: a launch cut short by an unmount fails to start after the next mount" {
	# b waits for a HEALTHY that never comes (a's check always fails) ...
	register '{"family": "cut", "networkMode": "bridge", "containerDefinitions": [
		{"name": "a", "image": "local/busybox:latest", "stopTimeout": 2, "command": ["sleep", "60"],
		 "healthCheck": {"command": ["CMD-SHELL", "exit 1"], "interval": 30, "retries": 10}},
		{"name": "b", "image": "local/busybox:latest", "stopTimeout": 2, "command": ["sleep", "60"],
		 "dependsOn": [{"containerName": "a", "condition": "HEALTHY"}]}]}'
	run_task cut
	nb_wait 20 grep -qx RUNNING "$T/containers/a/status"
	[ "$(cat "$T/status")" = PENDING ]
	# ... when the daemon goes away
	nb_unmount
	nb_mount
	T="$MNT/ecs/tasks/$TASK"
	nb_wait 30 status_is STOPPED
	[ "$(cat "$T/stop-code")" = TaskFailedToStart ]
	[ "$(cat "$T/stopped-reason")" = "nimbusfs stopped while the task was starting" ]
}
