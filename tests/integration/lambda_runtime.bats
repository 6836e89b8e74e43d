#!/usr/bin/env bats
# The Lambda runtime image local/lambda-provided:al2023 on its own, straight
# through the Engine API (no nimbusfs mount): a function is uploaded into
# /var/task as a tar, the container publishes 8080 on an ephemeral port of
# 127.0.0.1, and the tests invoke it the way nimbusfs does, with curl.

load ../helper

LAMBDA_IMAGE=local/lambda-provided:al2023
INVOKE_PATH=/2015-03-31/functions/function/invocations

# Make sure the image is there (`make images` builds it in CI): with the
# build tree's emulator the script is a no-op when the image is current and
# rebuilds a stale one; without one, an existing image is used as it is, and
# a missing one is built from an emulator compiled here.
setup_file() {
	local rie="$NBTOOLS/lambda-rie"
	if [ ! -x "$rie" ]; then
		curl -sf --max-time 10 --unix-socket "$ENGINE_SOCK" \
			"http://localhost/v1.41/images/$LAMBDA_IMAGE/json" >/dev/null && return 0
		rie="$BATS_FILE_TMPDIR/lambda-rie"
		gcc -std=gnu11 -D_GNU_SOURCE -I"$ROOT" -static -O2 -Wall -Wextra -Werror -Wshadow \
			-Wformat=2 -o "$rie" "$ROOT"/tools/lambda-rie/*.c
	fi
	DOCKER_HOST="unix://$ENGINE_SOCK" "$ROOT/tools/build-lambda-image.sh" "$rie"
}

setup() {
	LAMBDA_CIDS=()
	TASK="$BATS_TEST_TMPDIR/task"
	mkdir -p "$TASK"
}

teardown() {
	local c
	for c in "${LAMBDA_CIDS[@]}"; do
		engine DELETE "/containers/$c?force=1" >/dev/null || true
	done
}

# handler BODY: $TASK/function.sh defining handler() { BODY }, root-owned 0444.
handler() {
	printf 'handler() {\n%s\n}\n' "$1" >"$TASK/function.sh"
	chmod 0444 "$TASK/function.sh"
}

# lambda_start [ENV JSON array]: a container of the image with $TASK
# uploaded into /var/task; sets CID and URL and waits (bounded) until GET /
# answers.
lambda_start() {
	local env=${1:-[]} port
	chmod 0755 "$TASK" # the tar's "./" entry sets /var/task's mode
	tar --owner=0 --group=0 --numeric-owner -C "$TASK" -cf "$BATS_TEST_TMPDIR/task.tar" .
	CID=$(engine POST /containers/create -H 'Content-Type: application/json' -d '{
		"Image": "'"$LAMBDA_IMAGE"'", "Env": '"$env"',
		"Labels": {"io.nimbusfs.test": "lambda_runtime"},
		"HostConfig": {"PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}}
	}' | jq -r .Id)
	[[ "$CID" =~ ^[0-9a-f]{64}$ ]]
	LAMBDA_CIDS+=("$CID")
	engine PUT "/containers/$CID/archive?path=/var/task" -H 'Content-Type: application/x-tar' \
		--data-binary "@$BATS_TEST_TMPDIR/task.tar"
	engine POST "/containers/$CID/start"
	port=$(engine GET "/containers/$CID/json" |
		jq -r '.NetworkSettings.Ports["8080/tcp"][] | select(.HostIp == "127.0.0.1") | .HostPort')
	[[ "$port" =~ ^[0-9]+$ ]]
	URL="http://127.0.0.1:$port"
	nb_wait 10 answers_404 || {
		echo "the emulator does not answer on $URL; its logs:" >&2
		engine GET "/containers/$CID/logs?stdout=1&stderr=1" >&2 || true
		return 1
	}
}

answers_404() {
	[ "$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' "$URL/")" = 404 ]
}

# invoke EVENT [curl args...]: body in $BODY, headers in $HEADERS, status in $CODE.
invoke() {
	local event=$1
	shift
	HEADERS="$BATS_TEST_TMPDIR/headers"
	CODE=$(curl -s --max-time 20 -o "$BATS_TEST_TMPDIR/body" -D "$HEADERS" -w '%{http_code}' \
		--data-binary "$event" "$@" "$URL$INVOKE_PATH")
	BODY=$(cat "$BATS_TEST_TMPDIR/body")
}

# header NAME: the value of response header NAME (case-insensitive), no CR.
header() {
	tr -d '\r' <"$HEADERS" | sed -n "s/^$1: //Ip" | tail -n 1
}

@test "lambda: the handler gets the event as \$1 and its stdout is the answer" {
	handler 'printf "%s" "$1"'
	lambda_start
	invoke '{"hello":"world","n":[1,2,3]}'
	[ "$CODE" = 200 ]
	[ "$BODY" = '{"hello":"world","n":[1,2,3]}' ]
	[ "$(header Content-Type)" = application/json ]
	[[ "$(header X-Amzn-RequestId)" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[ -z "$(header X-Amz-Function-Error)" ]
	[[ "$(header X-Nimbusfs-Max-Memory-Used-MB)" =~ ^[1-9][0-9]*$ ]]
	invoke '"again"' -H 'X-Amzn-RequestId: my-request-1'
	[ "$BODY" = '"again"' ]
	[ "$(header X-Amzn-RequestId)" = my-request-1 ]
}

@test "lambda: the handler sees the container's environment and the request id" {
	handler 'printf "{\"fn\":\"%s\",\"handler\":\"%s\",\"rid\":\"%s\",\"root\":\"%s\",\"home\":\"%s\",\"pwd\":\"%s\"}" \
		"$AWS_LAMBDA_FUNCTION_NAME" "$_HANDLER" "$_X_AMZN_REQUEST_ID" "$LAMBDA_TASK_ROOT" "$HOME" "$(pwd)"'
	lambda_start '["AWS_LAMBDA_FUNCTION_NAME=my-function", "_HANDLER=function.handler"]'
	invoke '{}' -H 'X-Amzn-RequestId: req-42'
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.fn == "my-function" and .handler == "function.handler" and
		.rid == "req-42" and .root == "/var/task" and .home == "/tmp" and .pwd == "/var/task"'
}

@test "lambda: a non-zero exit is a function error with a Runtime.ExitError body" {
	handler 'echo "this is not JSON"; return 3'
	lambda_start
	invoke '{}' -H 'X-Amzn-RequestId: failing-1'
	[ "$CODE" = 200 ]
	[ "$(header X-Amz-Function-Error)" = Unhandled ]
	echo "$BODY" | jq -e '.errorType == "Runtime.ExitError" and
		.errorMessage == "RequestId: failing-1 Error: Runtime exited with error: exit status 3"'
}

@test "lambda: a failing handler's own JSON error object is the answer" {
	handler 'echo "{\"errorMessage\":\"bad input\",\"errorType\":\"ValueError\"}"; return 1'
	lambda_start
	invoke '{}'
	[ "$(header X-Amz-Function-Error)" = Unhandled ]
	echo "$BODY" | jq -e '.errorMessage == "bad input" and .errorType == "ValueError"'
}

@test "lambda: the handler's stderr comes back in X-Amz-Log-Result and goes to the container's log" {
	handler 'echo "first log line" >&2; echo "second log line" >&2; echo "{}"'
	lambda_start
	invoke '{}'
	[ "$CODE" = 200 ]
	[ "$(header X-Amz-Log-Result | base64 -d)" = "$(printf 'first log line\nsecond log line')" ]
	nb_wait 5 eval 'engine GET "/containers/$CID/logs?stderr=1" | grep -aq "second log line"'
}

@test "lambda: the handler runs as uid 993 gid 990 and cannot write /var/task" {
	mkdir "$TASK/data"
	echo "seed" >"$TASK/data/seed.txt"
	chmod 0444 "$TASK/data/seed.txt"
	chmod 0555 "$TASK/data"
	handler 'w() { if (eval "$1") 2>/dev/null; then echo yes; else echo no; fi; }
	printf "{\"uid\":%s,\"gid\":%s,\"new\":\"%s\",\"append\":\"%s\",\"data\":\"%s\",\"tmp\":\"%s\",\"owner\":\"%s\"}" \
		"$(id -u)" "$(id -g)" "$(w ": > /var/task/new")" "$(w "echo x >> /var/task/function.sh")" \
		"$(w ": > /var/task/data/new")" "$(w ": > /tmp/new")" "$(stat -c %u:%g:%a /var/task/function.sh)"'
	lambda_start
	invoke '{}'
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.uid == 993 and .gid == 990 and .new == "no" and .append == "no" and
		.data == "no" and .tmp == "yes" and .owner == "0:0:444"'
}

@test "lambda: GET / and other routes answer 404 with a JSON body" {
	handler 'echo "{}"'
	lambda_start
	run curl -s --max-time 5 -w '\n%{http_code}' "$URL/"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = 404 ]
	echo "${lines[0]}" | jq -e '.errorType == "ResourceNotFoundException"'
	[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL$INVOKE_PATH")" = 404 ]
	[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -d '{}' "$URL/2015-03-31/functions/other/invocations")" = 404 ]
}

@test "lambda: a 200 KiB event arrives whole on stdin (too large for \$1)" {
	handler 'n=$(wc -c); printf "{\"arg\":%s,\"stdin\":%s}" "${#1}" "$n"'
	lambda_start
	head -c 204798 /dev/zero | tr '\0' x | sed 's/.*/"&"/' | tr -d '\n' >"$BATS_TEST_TMPDIR/event"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/event")" -eq 204800 ]
	invoke "@$BATS_TEST_TMPDIR/event"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.arg == 0 and .stdin == 204800'
}

@test "lambda: an event over 6291456 bytes is refused with 413" {
	handler 'echo "{}"'
	lambda_start
	head -c 6291457 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/event"
	invoke "@$BATS_TEST_TMPDIR/event"
	[ "$CODE" = 413 ]
	echo "$BODY" | jq -e '.errorType == "RequestEntityTooLargeException"'
}

@test "lambda: two invocations in a row on one kept-alive connection" {
	handler 'printf "{\"got\":%s}" "$1"'
	lambda_start
	run curl -s --max-time 20 -w ' %{http_code} %{num_connects}\n' -d '1' "$URL$INVOKE_PATH" \
		--next -s --max-time 20 -w ' %{http_code} %{num_connects}\n' -d '2' "$URL$INVOKE_PATH"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"got":1} 200 1' ]
	[ "${lines[1]}" = '{"got":2} 200 0' ] # 0 new connections: the first one was reused
}

@test "lambda: the emulator (PID 1) stops promptly on SIGTERM" {
	handler 'echo "{}"'
	lambda_start
	local start=$SECONDS
	engine POST "/containers/$CID/stop?t=20"
	[ $((SECONDS - start)) -lt 5 ]
	[ "$(engine GET "/containers/$CID/json" | jq -r .State.ExitCode)" = 0 ]
}

@test "lambda: a missing handler file is a Runtime.HandlerNotFound function error" {
	echo "not the handler" >"$TASK/README"
	lambda_start
	invoke '{}' -H 'X-Amzn-RequestId: lost-1'
	[ "$CODE" = 200 ]
	[ "$(header X-Amz-Function-Error)" = Unhandled ]
	echo "$BODY" | jq -e '.errorType == "Runtime.HandlerNotFound" and
		.errorMessage == "RequestId: lost-1 Error: Handler file not found: /var/task/function.sh"'
	[[ "$(header X-Amz-Log-Result | base64 -d)" == *"/var/task/function.sh not found"* ]]
}
