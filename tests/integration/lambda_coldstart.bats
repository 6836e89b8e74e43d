#!/usr/bin/env bats
# Lambda cold starts: a container starts on the invocation's own thread,
# never on a FUSE worker, and Ctrl-C ends one. The functions here are image
# functions (PackageType Image) of an image whose entrypoint takes
# $INIT_SECONDS (from the function's environment) before it serves, as a
# container image with a slow initialisation does (a JVM's, a large model's).

load ../helper

setup_file() {
	# The image: local/lambda-provided:al2023 with that entrypoint, made with
	# the Engine API's commit, as `docker commit --change` makes one.
	local base=local/lambda-provided:al2023 cid change
	SLOW_IMAGE="nimbusfs-test/slow-init:$$-$RANDOM"
	export SLOW_IMAGE
	cid="$(engine POST /containers/create -H 'Content-Type: application/json' \
		-d "{\"Image\":\"$base\"}" | jq -r .Id)"
	[ -n "$cid" ] && [ "$cid" != null ]
	change="$(printf '%s\n' \
		'ENTRYPOINT ["/bin/sh", "-c", "sleep \"${INIT_SECONDS:-0}\"; exec /usr/local/bin/aws-lambda-rie \"$@\"", "sh"]' \
		'CMD ["function.handler"]' | jq -sRr @uri)"
	engine POST "/commit?container=$cid&repo=${SLOW_IMAGE%:*}&tag=${SLOW_IMAGE#*:}&changes=$change" >/dev/null
	engine DELETE "/containers/$cid?force=1" >/dev/null
}

teardown_file() {
	engine DELETE "/images/$SLOW_IMAGE?force=1" >/dev/null || true
}

setup() {
	PIDS=()
	nb_mount --fuse-workers 4 --lambda-idle 60
	L="$MNT/lambda"
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	nb_cleanup
}

# slow_fn NAME SECONDS: an image function of the slow image, Active.
slow_fn() {
	mkdir "$L/$1"
	echo "$SLOW_IMAGE" >"$L/$1/image"
	echo "INIT_SECONDS=$2" >"$L/$1/environment"
	[ "$(head -n 1 "$L/$1/state")" = Active ]
}

# containers_of FN OP N: the engine's count of this mount's containers of
# function FN compares to N with test's OP (-ge, -eq).
containers_of() {
	local f n
	f="$(jq -cn --arg o "io.nimbusfs.owner=$(cat "$STATE/id")" --arg n "io.nimbusfs.object=$1" \
		'{label: [$o, $n]}' | jq -sRr @uri)"
	n="$(engine GET "/containers/json?all=1&filters=$f" | jq length)"
	[ "$n" "$2" "$3" ]
}

# lambda_containers N: this mount has at least N Lambda containers.
lambda_containers() {
	local f
	f="$(jq -cn --arg o "io.nimbusfs.owner=$(cat "$STATE/id")" \
		'{label: [$o, "io.nimbusfs.kind=lambda"]}' | jq -sRr @uri)"
	[ "$(engine GET "/containers/json?all=1&filters=$f" | jq length)" -ge "$1" ]
}

# reader FN: writes {} to FN's invoke and reads the answer on the same fd
# (the close of the dup that `>&7` made runs the invocation), in the
# background with SIGINT at its default (a terminal's Ctrl-C); its pid is
# $READER.
reader() {
	perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' \
		bash -c 'exec 7<>"$1"; echo "{}" >&7; exec cat <&7' _ "$L/$1/invoke" >/dev/null 2>&1 &
	READER=$!
	PIDS+=("$READER")
}

# in_request PID: the process waits for the answer to a FUSE request (the
# invocation its `>&7`'s close runs).
in_request() {
	[ "$(cat "/proc/$1/wchan")" = request_wait_answer ]
}

@test "lambda: cold starts of more functions than FUSE workers leave the mount answering" {
	local i p
	for i in 1 2 3 4 5 6; do
		slow_fn "slow$i" 8
	done
	for i in 1 2 3 4 5 6; do
		bash -c "echo '{}' >'$L/slow$i/invoke'" &
		PIDS+=($!)
	done
	# At least as many cold starts under way as there are FUSE workers.
	nb_wait 30 lambda_containers 4
	run timeout 5 cat "$MNT/health"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	run timeout 5 ls "$L"
	[ "$status" -eq 0 ]
	[[ " $(echo $output) " == *" slow6 "* ]]
	# ... and both answered before any cold start had finished.
	for p in "${PIDS[@]}"; do
		kill -0 "$p"
	done
	# Each invocation then ran on its own new container.
	for p in "${PIDS[@]}"; do
		nb_wait 40 nb_gone "$p"
	done
	for i in 1 2 3 4 5 6; do
		jq -e '.initDurationMs > 0' "$L/slow$i/last-invocation"
		[ "$(grep -c . "$L/slow$i/warm")" -eq 1 ]
	done
}

@test "lambda: Ctrl-C during a cold start returns at once and the container is removed" {
	slow_fn slow 30
	reader slow
	nb_wait 20 containers_of slow -ge 1
	kill -INT "$READER"
	nb_wait 2 nb_gone "$READER"
	nb_wait 20 containers_of slow -eq 0
	grep -q "interrupted" "$L/slow/last-error"
	[ ! -s "$L/slow/warm" ]
}

@test "lambda: Ctrl-C on an invoke waiting for its function's cold start returns at once" {
	slow_fn slow 30
	reader slow
	first=$READER
	nb_wait 20 containers_of slow -ge 1
	# A second invocation waits for the first one's cold start to end.
	reader slow
	nb_wait 5 in_request "$READER"
	kill -INT "$READER"
	nb_wait 2 nb_gone "$READER"
	kill -0 "$first"
	kill -INT "$first"
	nb_wait 2 nb_gone "$first"
	nb_wait 20 containers_of slow -eq 0
}

@test "lambda: a write reserves capacity; truncate gives it back" {
	slow_fn one 0
	echo 1 >"$L/one/reserved-concurrency"
	run python3 -c 'import errno, os, sys
f = sys.argv[1] + "/invoke"
a = os.open(f, os.O_RDWR)
os.write(a, b"{}\n")
b = os.open(f, os.O_RDWR)
try:
    os.write(b, b"{}\n")
    sys.exit("a second write passed reserved-concurrency 1")
except OSError as e:
    assert e.errno == errno.EAGAIN, e
os.ftruncate(a, 0)
os.write(b, b"{}\n")
print(os.read(b, 65536).decode())' "$L/one"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Runtime.HandlerNotFound"* ]]
	[ "$(grep -c . "$L/one/warm")" -eq 1 ]
}
