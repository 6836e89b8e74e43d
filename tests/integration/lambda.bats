#!/usr/bin/env bats
# Lambda: functions made with mkdir, configured with one-value files and
# config.json, deployed by copying a zip into code.zip, and invoked through
# `invoke` on warm containers of the local shell runtime image.

load ../helper

setup() {
	nb_mount --lambda-idle 60
	L="$MNT/lambda"
	ZIPS="$(mktemp -d /tmp/nimbusfs-zips.XXXXXX)"
}

teardown() {
	nb_cleanup
	rm -rf "$ZIPS"
}

# invoke_rw FN PAYLOAD: writes the payload and reads the answer on one fd.
invoke_rw() {
	local f="$L/$1/invoke"
	exec 7<>"$f"
	printf '%s\n' "$2" >&7
	cat <&7
	exec 7<&-
}

# watch_event ACTION: a reader of the events stream, attached before the
# caller acts, keeping the first event with that action in $ZIPS/event.
watch_event() {
	grep -m 1 "\"action\":\"$1\"" "$MNT/events" >"$ZIPS/event" &
	EV_PID=$!
	nb_wait 5 sh -c "ls -l /proc/$EV_PID/fd | grep -q '$MNT/events'"
}

# watched_event: waits (bounded) for that event to arrive.
watched_event() {
	nb_wait 20 nb_gone "$EV_PID" || { kill "$EV_PID"; false; }
	wait "$EV_PID" || true
	[ -s "$ZIPS/event" ]
}

warm_count() {
	[ "$(grep -c . "$L/$1/warm")" -eq "$2" ]
}

@test "lambda: mkdir creates a function with every file; rmdir deletes it" {
	mkdir "$L/hello"
	run ls "$L/hello"
	for f in config.json runtime handler timeout memory-size ephemeral-storage environment \
		reserved-concurrency image code.zip code-sha256 code layers state invoke \
		invoke-async response last-invocation logs warm last-error; do
		[[ " $(echo $output) " == *" $f "* ]] || { echo "missing $f"; false; }
	done
	[ "$(cat "$L/hello/timeout")" = 3 ]
	[ "$(cat "$L/hello/memory-size")" = 128 ]
	[ "$(cat "$L/hello/ephemeral-storage")" = 512 ]
	[ "$(cat "$L/hello/reserved-concurrency")" = 10 ]
	[ "$(head -n 1 "$L/hello/state")" = Pending ]
	[ "$(stat -c %a "$L/hello/invoke")" = 600 ]
	[ "$(stat -c %a "$L/hello/code-sha256")" = 444 ]
	run mkdir "$L/hello"
	[ "$status" -ne 0 ]
	rmdir "$L/hello"
	[ ! -e "$L/hello" ]
	run ls "$L"
	[ "$output" = last-error ]
}

@test "lambda: invalid function names are EINVAL with the reason in last-error" {
	run mkdir "$L/bad.name"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q functionName "$L/last-error"
	run mkdir "$L/$(printf 'a%.0s' {1..65})"
	[ "$status" -ne 0 ]
	mkdir "$L/$(printf 'a%.0s' {1..64})"
	run mkdir "$L/with space"
	[ "$status" -ne 0 ]
}

@test "lambda: settings are validated with Lambda's limits and nothing changes on error" {
	mkdir "$L/f"
	echo 900 >"$L/f/timeout"
	[ "$(cat "$L/f/timeout")" = 900 ]
	run bash -c "echo 901 >'$L/f/timeout'"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q "less than or equal to 900" "$L/f/last-error"
	[ "$(cat "$L/f/timeout")" = 900 ]
	run bash -c "echo 0 >'$L/f/timeout'"
	[ "$status" -ne 0 ]
	run bash -c "echo 127 >'$L/f/memory-size'"
	[ "$status" -ne 0 ]
	grep -q "greater than or equal to 128" "$L/f/last-error"
	echo 10240 >"$L/f/memory-size"
	run bash -c "echo 10241 >'$L/f/ephemeral-storage'"
	[ "$status" -ne 0 ]
	run bash -c "echo cobol42 >'$L/f/runtime'"
	[ "$status" -ne 0 ]
	grep -q "runtime" "$L/f/last-error"
	echo python3.12 >"$L/f/runtime"
	[ "$(cat "$L/f/runtime")" = python3.12 ]
	run bash -c "echo 'AWS_REGION=x' >'$L/f/environment'"
	[ "$status" -ne 0 ]
	grep -q "reserved keys" "$L/f/last-error"
	echo 'GREETING=hi' >>"$L/f/environment"
	echo 'OTHER=2' >>"$L/f/environment"
	[ "$(cat "$L/f/environment")" = "$(printf 'GREETING=hi\nOTHER=2')" ]
	run bash -c "head -c 5000 /dev/zero | tr '\\0' x | sed 's/^/BIG=/' >'$L/f/environment'"
	[ "$status" -ne 0 ]
	grep -q "4KB" "$L/f/last-error"
	[ "$(cat "$L/f/environment")" = "$(printf 'GREETING=hi\nOTHER=2')" ]
}

@test "lambda: a function made again under a removed one's name starts with no last-error" {
	mkdir "$L/again"
	run bash -c "echo 0 >'$L/again/timeout'"
	[ "$status" -ne 0 ]
	grep -q "greater than or equal to 1" "$L/again/last-error"
	run cp "$ROOT/README.md" "$L/again/layers/bad-name.zip"
	[ "$status" -ne 0 ]
	grep -q "NN-name.zip" "$L/again/layers/last-error"
	rmdir "$L/again"
	mkdir "$L/again"
	[ -z "$(cat "$L/again/last-error")" ]
	[ "$(stat -c %s "$L/again/last-error")" = 0 ]
	[ -z "$(cat "$L/again/layers/last-error")" ]
}

@test "lambda: config.json reads as GetFunctionConfiguration and takes an update" {
	mkdir "$L/cfg"
	jq -e '.FunctionName == "cfg" and .Timeout == 3 and .MemorySize == 128 and
		(.FunctionArn | endswith(":function:cfg")) and .PackageType == "Zip" and
		.EphemeralStorage.Size == 512 and .Version == "$LATEST"' "$L/cfg/config.json"
	echo '{"FunctionName": "cfg", "Runtime": "provided.al2023", "Handler": "function.handler",
		"Timeout": 30, "MemorySize": 256, "Environment": {"Variables": {"A1": "x"}}}' \
		>"$L/cfg/config.json"
	[ "$(cat "$L/cfg/timeout")" = 30 ]
	[ "$(cat "$L/cfg/memory-size")" = 256 ]
	[ "$(cat "$L/cfg/environment")" = A1=x ]
	jq -e '.Runtime == "provided.al2023" and .Environment.Variables.A1 == "x"' "$L/cfg/config.json"
	run bash -c "echo '{\"Timeout\": \"3\"}' >'$L/cfg/config.json'"
	[ "$status" -ne 0 ]
	grep -q "Invalid type for parameter Timeout" "$L/cfg/last-error"
	run bash -c "echo '{\"Foo\": 1}' >'$L/cfg/config.json'"
	[ "$status" -ne 0 ]
	grep -q 'Unknown parameter in input: "Foo"' "$L/cfg/last-error"
	[ "$(cat "$L/cfg/timeout")" = 30 ]
}

@test "lambda: code.zip is checked, hashed as CodeSha256, unpacked in code/ and read back" {
	mkdir "$L/pkg"
	"$ROOT/tests/mkzip.py" "$ZIPS/a.zip" "function.sh=handler() { echo 1; }" "lib/" "lib/x.txt=hello" \
		"bin/tool:x=#!/bin/sh"
	cp "$ZIPS/a.zip" "$L/pkg/code.zip"
	cmp "$ZIPS/a.zip" "$L/pkg/code.zip"
	[ "$(cat "$L/pkg/code-sha256")" = "$(openssl dgst -sha256 -binary "$ZIPS/a.zip" | base64)" ]
	jq -e --arg s "$(cat "$L/pkg/code-sha256")" --argjson n "$(stat -c %s "$ZIPS/a.zip")" \
		'.CodeSha256 == $s and .CodeSize == $n' "$L/pkg/config.json"
	[ "$(cat "$L/pkg/code/lib/x.txt")" = hello ]
	run ls "$L/pkg/code"
	[ "$output" = "$(printf 'bin\nfunction.sh\nlib')" ]
	run find "$L/pkg/code" -type f
	[ "${#lines[@]}" -eq 3 ]
	run bash -c "echo x >'$L/pkg/code/lib/x.txt'"
	[ "$status" -ne 0 ]
	run touch "$L/pkg/code/new"
	[ "$status" -ne 0 ]
}

@test "lambda: hostile packages are refused and the previous code is kept" {
	mkdir "$L/evil"
	"$ROOT/tests/mkzip.py" "$ZIPS/good.zip" "function.sh=handler() { echo 1; }"
	cp "$ZIPS/good.zip" "$L/evil/code.zip"
	sha="$(cat "$L/evil/code-sha256")"
	"$ROOT/tests/mkzip.py" "$ZIPS/slip.zip" "../../evil.sh=x"
	"$ROOT/tests/mkzip.py" "$ZIPS/slip2.zip" "a/../../evil.sh=x"
	"$ROOT/tests/mkzip.py" "$ZIPS/abs.zip" "/etc/evil=x"
	"$ROOT/tests/mkzip.py" "$ZIPS/link.zip" "passwd@=../../../../etc/passwd"
	"$ROOT/tests/mkzip.py" "$ZIPS/linkabs.zip" "passwd@=/etc/passwd"
	"$ROOT/tests/mkzip.py" "$ZIPS/bomb.zip" "zeros%=50000000"
	echo "not a zip" >"$ZIPS/text.zip"
	for z in slip slip2 abs link linkabs bomb text; do
		run cp "$ZIPS/$z.zip" "$L/evil/code.zip"
		[ "$status" -ne 0 ] || { echo "$z accepted"; false; }
		grep -q "previous code is kept" "$L/evil/last-error"
		[ "$(cat "$L/evil/code-sha256")" = "$sha" ]
		cmp "$ZIPS/good.zip" "$L/evil/code.zip"
	done
	[ ! -e /tmp/evil.sh ] && [ ! -e "$STATE/evil.sh" ]
	run ls "$L/evil/code"
	[ "$output" = function.sh ]
	[ "$(head -n 1 "$L/evil/state")" = Pending ] # no runtime yet, but code kept
}

@test "lambda: invoke answers on the same fd; a write-only invoke fills response" {
	nb_make_fn echo
	run invoke_rw echo '{"name":"x"}'
	[ "$status" -eq 0 ]
	[ "$output" = '{"got": {"name":"x"}}' ]
	echo '{"name":"y"}' >"$L/echo/invoke"
	[ "$(cat "$L/echo/response")" = '{"got": {"name":"y"}}' ]
	jq -e '.functionError == null and .statusCode == 200 and .durationMs > 0 and
		.billedDurationMs >= .durationMs and .maxMemoryUsedMB >= 1' "$L/echo/last-invocation"
	# the second invocation ran warm: one container served both
	warm_count echo 1
	[ "$(awk '{print $5}' "$L/echo/warm")" = 2 ]
	grep -q '^[0-9a-f]\{12\} 127\.0\.0\.1:[0-9]* idle [0-9]* 2$' "$L/echo/warm"
}

@test "lambda: payloads that are not JSON are EINVAL; over 6 MB is EFBIG" {
	nb_make_fn echo
	run bash -c "echo 'hello' >'$L/echo/invoke'"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q "InvalidRequestContentException" "$L/echo/last-error"
	run bash -c "{ printf '\"'; head -c 6300000 /dev/zero | tr '\\0' a; printf '\"'; } >'$L/echo/invoke'"
	[[ "$output" == *"File too large"* ]]
	run bash -c "echo '{}' >'$L/nosuch/invoke'"
	[ "$status" -ne 0 ]
}

@test "lambda: a function error comes back as Lambda returns it" {
	nb_make_fn fails 'echo "oops: $1" >&2; return 3'
	run invoke_rw fails '{}'
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.errorType == "Runtime.ExitError" and
		(.errorMessage | test("exit status 3"))'
	jq -e '.functionError == "Unhandled"' "$L/fails/last-invocation"
	grep -q 'oops: {}' "$L/fails/logs"
}

@test "lambda: logs have START, the output, END and REPORT with Init Duration on a cold start" {
	nb_make_fn talk 'echo "log line for $1" >&2; echo "{}"'
	echo '"a"' >"$L/talk/invoke"
	echo '"b"' >"$L/talk/invoke"
	run cat "$L/talk/logs"
	[ "${#lines[@]}" -eq 8 ]
	[[ "${lines[0]}" =~ ^START\ RequestId:\ [0-9a-f-]{36}\ Version:\ \$LATEST$ ]]
	[ "${lines[1]}" = 'log line for "a"' ]
	[[ "${lines[2]}" =~ ^END\ RequestId:\ [0-9a-f-]{36}$ ]]
	[[ "${lines[3]}" =~ ^REPORT\ RequestId:\ [0-9a-f-]{36}.Duration:\ [0-9.]+\ ms.Billed\ Duration:\ [0-9]+\ ms.Memory\ Size:\ 128\ MB.Max\ Memory\ Used:\ [0-9]+\ MB.Init\ Duration:\ [0-9.]+\ ms ]]
	[[ "${lines[7]}" != *"Init Duration"* ]]
	[ "${lines[5]}" = 'log line for "b"' ]
	id="$(jq -r .requestId "$L/talk/last-invocation")"
	[[ "${lines[4]}" == *"$id"* ]]
}

@test "lambda: a run past timeout is stopped and its container discarded" {
	nb_make_fn slow 'sleep 5; echo "{}"'
	echo 1 >"$L/slow/timeout"
	run invoke_rw slow '{}'
	echo "$output" | jq -e '.errorType == "Sandbox.Timedout" and
		(.errorMessage | test("Task timed out after 1.00 seconds"))'
	jq -e '.functionError == "Unhandled"' "$L/slow/last-invocation"
	grep -q "Task timed out after 1.00 seconds" "$L/slow/logs"
	nb_wait 10 warm_count slow 0
}

@test "lambda: the environment reaches the handler and a change never serves old code" {
	nb_make_fn env 'echo "{\"g\": \"$GREETING\", \"fn\": \"$AWS_LAMBDA_FUNCTION_NAME\", \"mem\": \"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\", \"h\": \"$_HANDLER\", \"root\": \"$LAMBDA_TASK_ROOT\", \"region\": \"$AWS_REGION\"}"'
	echo 'GREETING=hi' >>"$L/env/environment"
	run invoke_rw env '{}'
	echo "$output" | jq -e '.g == "hi" and .fn == "env" and .mem == "128" and
		.h == "function.handler" and .root == "/var/task" and .region != ""'
	old="$(awk '{print $1}' "$L/env/warm")"
	echo 'GREETING=bye' >"$L/env/environment"
	run invoke_rw env '{}'
	echo "$output" | jq -e '.g == "bye"'
	warm_count env 1
	[ "$(awk '{print $1}' "$L/env/warm")" != "$old" ]
	# new code, too
	"$ROOT/tests/mkzip.py" "$ZIPS/v2.zip" 'function.sh=handler() { echo "\"v2\""; }'
	cp "$ZIPS/v2.zip" "$L/env/code.zip"
	[ "$(invoke_rw env '{}')" = '"v2"' ]
	nb_wait 10 sh -c "! engine GET '/containers/json?all=1' | grep -q '$old'"
}

@test "lambda: concurrent invokes start one container each, up to reserved-concurrency" {
	nb_make_fn conc 'sleep 3; echo "\"done\""'
	echo 3 >"$L/conc/reserved-concurrency"
	echo 10 >"$L/conc/timeout"
	# a shell of its own, so that `wait` waits for the invocations only
	bash -c 'for i in 1 2 3 4; do
		(bash -c "echo $i >$1/invoke" 2>"$2/err.$i"; echo $? >"$2/rc.$i") &
	done; wait' _ "$L/conc" "$ZIPS"
	ok=0 throttled=0
	for i in 1 2 3 4; do
		case "$(cat "$ZIPS/rc.$i")" in
		0) ok=$((ok + 1)) ;;
		*) grep -q "Resource temporarily unavailable" "$ZIPS/err.$i" && throttled=$((throttled + 1)) ;;
		esac
	done
	[ "$ok" -eq 3 ] && [ "$throttled" -eq 1 ]
	grep -q TooManyRequestsException "$L/conc/last-error"
	warm_count conc 3
	# reserved-concurrency is not part of the configuration: same containers
	echo 0 >"$L/conc/reserved-concurrency"
	warm_count conc 3
	# an Event invocation is dropped, not queued forever, and says so
	watch_event invoke-async
	echo '{}' >"$L/conc/invoke-async"
	watched_event
	jq -e '.result == "failed" and (.reason | test("TooManyRequests"))' "$ZIPS/event"
	run bash -c "echo '{}' >'$L/conc/invoke'"
	[[ "$output" == *"Resource temporarily unavailable"* ]]
}

@test "lambda: a burst of short invokes reuses warm containers" {
	nb_make_fn burst
	bash -c 'for i in 1 2 3 4 5 6; do echo $i >"$1/invoke" & done; wait' _ "$L/burst"
	# cold starts are serialized: fewer containers than requests
	[ "$(grep -c . "$L/burst/warm")" -lt 6 ]
	[ "$(awk '{s += $5} END {print s}' "$L/burst/warm")" -eq 6 ]
}

@test "lambda: echo evict > warm removes the containers" {
	nb_make_fn ev
	echo '{}' >"$L/ev/invoke"
	warm_count ev 1
	id="$(awk '{print $1}' "$L/ev/warm")"
	echo evict >"$L/ev/warm"
	warm_count ev 0
	nb_wait 10 sh -c "! engine GET '/containers/json?all=1' | grep -q '$id'"
	run bash -c "echo bogus >'$L/ev/warm'"
	[ "$status" -ne 0 ]
}

@test "lambda: invoke-async queues an Event invocation; its result goes to logs" {
	nb_make_fn bg 'echo "async got $1" >&2; echo "{}"'
	watch_event invoke-async
	echo '{"k": 1}' >"$L/bg/invoke-async"
	nb_wait 20 grep -q 'async got {"k": 1}' "$L/bg/logs"
	watched_event
	jq -e '.type == "lambda" and .id == "bg" and .result == "success" and
		(.requestId | length == 36)' "$ZIPS/event"
	nb_wait 5 grep -q REPORT "$L/bg/logs"
	jq -e '.invocationType == "Event"' "$L/bg/last-invocation"
	[ ! -s "$L/bg/response" ]
	run bash -c "echo 'nope' >'$L/bg/invoke-async'"
	[ "$status" -ne 0 ]
}

@test "lambda: layers unpack into /opt in name order" {
	nb_make_fn lay 'cat /opt/which; echo'
	"$ROOT/tests/mkzip.py" "$ZIPS/l1.zip" 'which="first"'
	"$ROOT/tests/mkzip.py" "$ZIPS/l2.zip" 'which="second"'
	cp "$ZIPS/l1.zip" "$L/lay/layers/01-base.zip"
	[ "$(invoke_rw lay '{}')" = '"first"' ]
	cp "$ZIPS/l2.zip" "$L/lay/layers/02-over.zip"
	[ "$(invoke_rw lay '{}')" = '"second"' ]
	jq -e '.Layers | length == 2' "$L/lay/config.json"
	rm "$L/lay/layers/02-over.zip"
	[ "$(invoke_rw lay '{}')" = '"first"' ]
	run cp "$ZIPS/l1.zip" "$L/lay/layers/bad-name.zip"
	[ "$status" -ne 0 ]
	grep -q "NN-name.zip" "$L/lay/layers/last-error"
	# a hostile layer is refused, and a new one leaves nothing behind
	"$ROOT/tests/mkzip.py" "$ZIPS/slip.zip" "../../x=1"
	run cp "$ZIPS/slip.zip" "$L/lay/layers/03-evil.zip"
	[ "$status" -ne 0 ]
	grep -q "rejected" "$L/lay/layers/last-error"
	[ "$(ls "$L/lay/layers")" = "$(printf '01-base.zip\nlast-error')" ]
	jq -e '.Layers | length == 1' "$L/lay/config.json"
}

@test "lambda: idle containers are removed after --lambda-idle" {
	nb_unmount
	nb_mount --lambda-idle 1
	L="$MNT/lambda"
	nb_make_fn idle
	echo '{}' >"$L/idle/invoke"
	id="$(awk '{print $1}' "$L/idle/warm")"
	[ -n "$id" ]
	nb_wait 10 warm_count idle 0
	nb_wait 10 sh -c "! engine GET '/containers/json?all=1' | grep -q '$id'"
}

@test "lambda: functions, settings and packages survive a remount; warm containers do not" {
	nb_make_fn keep
	echo 7 >"$L/keep/timeout"
	echo 'K1=v' >"$L/keep/environment"
	sha="$(cat "$L/keep/code-sha256")"
	echo '{}' >"$L/keep/invoke"
	id="$(awk '{print $1}' "$L/keep/warm")"
	nb_unmount
	! engine GET '/containers/json?all=1' | grep -q "$id"
	nb_mount
	L="$MNT/lambda"
	[ "$(cat "$L/keep/timeout")" = 7 ]
	[ "$(cat "$L/keep/environment")" = K1=v ]
	[ "$(cat "$L/keep/code-sha256")" = "$sha" ]
	[ "$(head -n 1 "$L/keep/state")" = Active ]
	nb_engine_ready
	[ "$(invoke_rw keep '"again"')" = '{"got": "again"}' ]
}

@test "lambda: with the engine unreachable an invoke is EHOSTDOWN" {
	nb_make_fn down
	nb_unmount
	nb_mount --engine unix:///nonexistent.sock
	run bash -c "echo '{}' >'$MNT/lambda/down/invoke'"
	[[ "$output" == *"Host is down"* ]]
	grep -q "unreachable" "$MNT/lambda/down/last-error"
}

@test "lambda: --lambda-image maps a runtime to a local image; a missing image fails the invoke" {
	nb_unmount
	nb_mount --lambda-image python3.12=local/lambda-provided:al2023 \
		--lambda-image nodejs20.x=local/no-such-image:1
	L="$MNT/lambda"
	"$ROOT/tests/mkzip.py" "$ZIPS/py.zip" 'function.sh=handler() { echo "\"runtime $AWS_EXECUTION_ENV\""; }'
	for f in py node; do
		mkdir "$L/$f"
		echo function.handler >"$L/$f/handler"
		cp "$ZIPS/py.zip" "$L/$f/code.zip"
	done
	echo python3.12 >"$L/py/runtime"
	echo nodejs20.x >"$L/node/runtime"
	[ "$(invoke_rw py '{}')" = '"runtime AWS_Lambda_python3.12"' ]
	# the write is accepted; the container starts at the read, which fails
	run python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.write(fd, b"{}\n")
os.read(fd, 65536)' "$L/node/invoke"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	grep -q "local/no-such-image:1" "$L/node/last-error"
	warm_count node 0
}

@test "lambda: an image function (PackageType Image) runs its image's own handler" {
	mkdir "$L/img"
	echo local/lambda-provided:al2023 >"$L/img/image"
	jq -e '.PackageType == "Image" and (has("Runtime") | not)' "$L/img/config.json"
	[ "$(head -n 1 "$L/img/state")" = Active ]
	# the image's own handler (its CMD) runs; it has no function.sh
	run invoke_rw img '{}'
	echo "$output" | jq -e '.errorType == "Runtime.HandlerNotFound"'
}

@test "lambda: a function whose package vanished from the state dir is Failed until code.zip is written" {
	nb_make_fn lost
	nb_unmount
	rm -f "$STATE/lambda/lost/code.tar"
	nb_mount
	L="$MNT/lambda"
	[ "$(head -n 1 "$L/lost/state")" = Failed ]
	grep -q "write code.zip again" "$L/lost/state"
	jq -e '.State == "Failed" and .StateReasonCode == "InvalidZipFileException"' "$L/lost/config.json"
	run bash -c "echo '{}' >'$L/lost/invoke'"
	[[ "$output" == *"busy"* ]]
	cp "$BATS_TEST_TMPDIR/lost.zip" "$L/lost/code.zip"
	[ "$(head -n 1 "$L/lost/state")" = Active ]
	[ "$(invoke_rw lost '1')" = '{"got": 1}' ]
}

@test "lambda: a container gets the function's memory, a /tmp of its ephemeral storage and a 127.0.0.1 port" {
	nb_make_fn limits 'df -m /tmp | tail -n 1 | awk "{print \$2}"'
	echo 256 >"$L/limits/memory-size"
	echo 1024 >"$L/limits/ephemeral-storage"
	[ "$(invoke_rw limits '{}')" = 1024 ]
	id="$(awk '{print $1}' "$L/limits/warm")"
	engine GET "/containers/$id/json" | jq -e --arg owner "$(cat "$STATE/id")" '
		.HostConfig.Memory == 268435456 and
		(.HostConfig.Tmpfs["/tmp"] | contains("size=1024m")) and
		.HostConfig.PortBindings["8080/tcp"][0].HostIp == "127.0.0.1" and
		.Config.Labels["io.nimbusfs.kind"] == "lambda" and
		.Config.Labels["io.nimbusfs.object"] == "limits" and
		.Config.Labels["io.nimbusfs.owner"] == $owner'
	grep -q "^$id 127\.0\.0\.1:$(engine GET "/containers/$id/json" |
		jq -r '.NetworkSettings.Ports["8080/tcp"][0].HostPort') " "$L/limits/warm"
}

@test "lambda: Ctrl-C on a waiting invoke returns at once and abandons the invocation" {
	nb_make_fn long 'sleep 30; echo "{}"'
	echo 60 >"$L/long/timeout"
	perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' \
		bash -c 'exec 7<>"$1"; echo "{}" >&7; exec cat <&7' _ "$L/long/invoke" >/dev/null 2>&1 &
	pid=$!
	nb_wait 10 grep -q " busy " "$L/long/warm"
	# the mount answers while the invocation runs
	[ "$(head -n 1 "$L/long/state")" = Active ]
	kill -INT "$pid"
	nb_wait 3 nb_gone "$pid"
	nb_wait 10 warm_count long 0
	grep -q "invocation was abandoned" "$L/long/logs"
	grep -q "interrupted" "$L/long/last-error"
}

@test "lambda: a runtime that returns no log header has its output read back from the container's log" {
	nb_make_fn quiet 'echo "said $1 on stderr" >&2; echo "{}"'
	# the emulator then answers as AWS's own does: output only in its log
	echo 'NIMBUSFS_RIE_NO_LOG_RESULT=1' >>"$L/quiet/environment"
	echo '"one"' >"$L/quiet/invoke"
	echo '"two"' >"$L/quiet/invoke"
	run cat "$L/quiet/logs"
	[ "${#lines[@]}" -eq 8 ]
	[[ "${lines[0]}" == "START RequestId: "* ]]
	[ "${lines[1]}" = 'said "one" on stderr' ]
	[[ "${lines[2]}" == "END RequestId: "* ]]
	[ "${lines[5]}" = 'said "two" on stderr' ]
	[[ "${lines[7]}" == "REPORT RequestId: "* ]]
}

@test "lambda: a runtime that returns no log header has every line of its output in logs" {
	# The engine reads a container's stdout and stderr apart: the runtime's
	# END must not overtake the output it follows.
	nb_make_fn burst 'i=0; while [ $i -lt 200 ]; do echo "line $i of $1" >&2; i=$((i+1)); done; echo "{}"'
	echo 'NIMBUSFS_RIE_NO_LOG_RESULT=1' >>"$L/burst/environment"
	for n in 1 2 3 4 5; do
		echo "$n" >"$L/burst/invoke"
	done
	for n in 1 2 3 4 5; do
		[ "$(grep -c " of $n\$" "$L/burst/logs")" -eq 200 ]
		# each invocation's lines between its START and its END, in order
		awk -v n="$n" '/^START /{ inv++ } inv == n && / of /{ if ($2 != k++ || $4 != n) bad = 1 }
			/^END /{ if (inv == n && k != 200) bad = 1 } END { exit bad }' "$L/burst/logs"
	done
}

@test "lambda: an invoke written before a code change runs the new code" {
	nb_make_fn chg
	"$ROOT/tests/mkzip.py" "$ZIPS/v2.zip" 'function.sh=handler() { echo "\"v2\""; }'
	# one fd, no dup of it closed in between (a shell's `>&7` would close
	# one, and that close runs the invocation at once)
	run python3 -c 'import os, shutil, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.write(fd, b"\"x\"\n")
shutil.copyfile(sys.argv[2], sys.argv[3])
sys.stdout.write(os.read(fd, 65536).decode())' "$L/chg/invoke" "$ZIPS/v2.zip" "$L/chg/code.zip"
	[ "$status" -eq 0 ]
	[ "$output" = '"v2"' ]
}

@test "lambda: rmdir and mkdir of the same name give an empty function" {
	nb_make_fn again
	rmdir "$L/again"
	mkdir "$L/again"
	[ "$(head -n 1 "$L/again/state")" = Pending ]
	[ ! -s "$L/again/code-sha256" ]
	run ls "$L/again/code"
	[ -z "$output" ]
	[ -z "$(ls -A "$STATE/lambda" | grep deleted)" ]
}
