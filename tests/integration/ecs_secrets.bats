#!/usr/bin/env bats
# ECS secrets: files the user writes in ecs/secrets/, which task
# definitions' `secrets` inject into containers by name or by ARN.

load ../helper

setup() {
	nb_mount
	SECRETS="$MNT/ecs/secrets"
	TASKS="$MNT/ecs/tasks"
}

# secret_task FAMILY VALUE_FROM: a bridge definition whose container prints
# $DB_PASSWORD from the secret valueFrom names, then exits.
secret_task() {
	printf '%s\n' "{\"family\": \"$1\", \"networkMode\": \"bridge\",
		\"containerDefinitions\": [{\"name\": \"app\", \"image\": \"local/busybox:latest\",
		\"command\": [\"sh\", \"-c\", \"echo \\\"pw=[\$DB_PASSWORD]\\\"\"], \"stopTimeout\": 2,
		\"secrets\": [{\"name\": \"DB_PASSWORD\", \"valueFrom\": \"$2\"}]}]}" \
		>"$MNT/ecs/task-definitions/register"
}

run_task() {
	TASK="$(echo "$1" | { exec 7<>"$TASKS/run"; cat >&7; cat <&7; exec 7<&-; } | head -n 1)"
	T="$TASKS/$TASK"
}

@test "secrets: a secret is created by writing it, read back, overwritten and removed" {
	run ls "$SECRETS"
	[ "$output" = last-error ]
	echo s3cr3t >"$SECRETS/db-password"
	[ "$(cat "$SECRETS/db-password")" = s3cr3t ]
	run ls "$SECRETS"
	[ "$output" = "$(printf 'db-password\nlast-error')" ]
	echo "a longer value" >"$SECRETS/db-password"
	echo short >"$SECRETS/db-password"
	[ "$(cat "$SECRETS/db-password")" = short ]
	echo more >>"$SECRETS/db-password"
	[ "$(cat "$SECRETS/db-password")" = "$(printf 'short\nmore')" ]
	rm "$SECRETS/db-password"
	[ ! -e "$SECRETS/db-password" ]
	run ls "$SECRETS"
	[ "$output" = last-error ]
	run rm "$SECRETS/db-password"
	[ "$status" -ne 0 ]
	# elsewhere new files and unlink stay refused
	run touch "$MNT/ecs/tasks/newfile"
	[[ "$output" == *"Permission denied"* ]]
	run rm -f "$MNT/ecs/tasks/run"
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "secrets: a secret is mode 0600 with its exact size" {
	printf 'abc' >"$SECRETS/token"
	echo s3cr3t >"$SECRETS/db-password"
	[ "$(stat -c '%A %s' "$SECRETS/token")" = "-rw------- 3" ]
	[ "$(stat -c '%A %s' "$SECRETS/db-password")" = "-rw------- 7" ]
	run ls -l "$SECRETS"
	[[ "$output" == *"-rw------- "*" 7 "*"db-password"* ]]
	# stored 0600 in the state dir too
	[ "$(stat -c %a "$STATE/secrets/db-password.json")" = 600 ]
}

@test "secrets: an invalid name is EINVAL and last-error says why" {
	run bash -c "echo x > '$SECRETS/bad name'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'secret name "bad name" may only hold' "$SECRETS/last-error"
	run bash -c "echo x > '$SECRETS/a:b'"
	[[ "$output" == *"Invalid argument"* ]]
	[ "$(ls "$SECRETS")" = last-error ]
}

@test "secrets: a value over 64 KiB is EFBIG and last-error says why" {
	echo old >"$SECRETS/big"
	run bash -c "head -c 65537 /dev/zero | tr '\\0' x > '$SECRETS/big'"
	[ "$status" -ne 0 ]
	grep -q "at most 65536 bytes, got 65537" "$SECRETS/last-error"
	[ "$(cat "$SECRETS/big")" = old ]
	head -c 65536 /dev/zero | tr '\0' y >"$SECRETS/big"
	[ "$(stat -c %s "$SECRETS/big")" -eq 65536 ]
}

@test "secrets: a container gets a secret by name in its environment" {
	nb_engine_ready
	echo s3cr3t >"$SECRETS/db-password"
	secret_task byname db-password
	run_task byname
	run timeout 60 cat "$T/wait"
	[ "$output" = 0 ]
	grep -qx '\[app\] pw=\[s3cr3t\]' "$T/logs"
}

@test "secrets: a container gets a secret by Secrets Manager and SSM ARN" {
	nb_engine_ready
	echo from-arn >"$SECRETS/db-password"
	secret_task bysm "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password-AbCdEf"
	run_task bysm
	run timeout 60 cat "$T/wait"
	[ "$output" = 0 ]
	grep -qx '\[app\] pw=\[from-arn\]' "$T/logs"
	secret_task byssm "arn:aws:ssm:us-east-1:123456789012:parameter/db-password"
	run_task byssm
	run timeout 60 cat "$T/wait"
	[ "$output" = 0 ]
	grep -qx '\[app\] pw=\[from-arn\]' "$T/logs"
}

@test "secrets: a missing secret fails the task to start, naming the secret" {
	nb_engine_ready
	secret_task missing "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf"
	run_task missing
	run timeout 60 cat "$T/wait"
	[ "$status" -eq 0 ]
	[ "$(cat "$T/status")" = STOPPED ]
	[ "$(cat "$T/stop-code")" = TaskFailedToStart ]
	grep -q '^ResourceInitializationError: unable to retrieve secret "nope"' "$T/stopped-reason"
	grep -q 'for container app: no such file ecs/secrets/nope' "$T/stopped-reason"
	# no container was created
	[ -z "$(cat "$T/containers/app/id")" ]
}

@test "secrets: secrets survive a remount" {
	echo kept >"$SECRETS/db-password"
	printf 'no newline' >"$SECRETS/token"
	echo gone >"$SECRETS/dropped"
	rm "$SECRETS/dropped"
	nb_unmount
	nb_mount
	SECRETS="$MNT/ecs/secrets"
	[ "$(cat "$SECRETS/db-password")" = kept ]
	[ "$(cat "$SECRETS/token")" = "no newline" ]
	[ ! -e "$SECRETS/dropped" ]
	[ "$(stat -c '%A %s' "$SECRETS/token")" = "-rw------- 10" ]
}
