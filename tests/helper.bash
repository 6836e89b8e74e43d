# tests/helper.bash - shared setup for the integration tests.
# Each test mounts a real nimbusfs on a temporary directory against the real
# engine and unmounts it in teardown; every wait has a deadline.

ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
NIMBUSFS="${NIMBUSFS:-$ROOT/build/nimbusfs}"
NBTOOLS="$ROOT/build/tools"
ENGINE_SOCK="${ENGINE_SOCK:-/var/run/docker.sock}"

# nb_mount [nimbusfs options...]: mounts at $MNT with a fresh state dir in $STATE.
nb_mount() {
	MNT="$(mktemp -d /tmp/nimbusfs-mnt.XXXXXX)"
	STATE="${STATE:-$(mktemp -d /tmp/nimbusfs-state.XXXXXX)}"
	NB_LOG="$(mktemp /tmp/nimbusfs-log.XXXXXX)"
	"$NIMBUSFS" -f --state-dir "$STATE" "$@" "$MNT" 2>"$NB_LOG" &
	NB_PID=$!
	nb_wait 10 mountpoint -q "$MNT" || {
		echo "nimbusfs did not mount; its log:" >&2
		cat "$NB_LOG" >&2
		return 1
	}
}

# nb_wait SECONDS CMD...: runs CMD until it succeeds, at most SECONDS.
nb_wait() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# nb_unmount: unmounts, waits for the daemon to exit, fails on sanitizer output.
nb_unmount() {
	[ -n "${MNT:-}" ] || return 0
	if mountpoint -q "$MNT"; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null || true
	fi
	if [ -n "${NB_PID:-}" ]; then
		nb_wait 10 nb_gone "$NB_PID" || kill -9 "$NB_PID" 2>/dev/null || true
		wait "$NB_PID" 2>/dev/null || true
	fi
	rmdir "$MNT" 2>/dev/null || true
	if [ -n "${NB_LOG:-}" ] && grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$NB_LOG"; then
		cat "$NB_LOG" >&2
		return 1
	fi
	rm -f "$NB_LOG"
	MNT=""
	NB_PID=""
}

# nb_engine_ready: waits until the mounted nimbusfs reports a healthy engine.
nb_engine_ready() {
	nb_wait 15 grep -qx ok "$MNT/health"
}

nb_gone() {
	! kill -0 "$1" 2>/dev/null
}

# nb_remove_containers: removes the containers, volumes and networks this test's state dir owns.
nb_remove_containers() {
	local id
	[ -n "${STATE:-}" ] && [ -f "$STATE/id" ] || return 0
	id="$(cat "$STATE/id")"
	for c in $(curl -s --unix-socket "$ENGINE_SOCK" \
		"http://localhost/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.nimbusfs.owner%3D$id%22%5D%7D" |
		grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
		curl -s --unix-socket "$ENGINE_SOCK" -X DELETE "http://localhost/v1.41/containers/$c?force=1" >/dev/null
	done
	for v in $(curl -s --unix-socket "$ENGINE_SOCK" \
		"http://localhost/v1.41/volumes?filters=%7B%22label%22%3A%5B%22io.nimbusfs.owner%3D$id%22%5D%7D" |
		grep -o '"Name":"[^"]*"' | cut -d'"' -f4); do
		curl -s --unix-socket "$ENGINE_SOCK" -X DELETE "http://localhost/v1.41/volumes/$v?force=1" >/dev/null
	done
	# EC2 subnets' networks (after their containers are gone).
	for n in $(curl -s --unix-socket "$ENGINE_SOCK" \
		"http://localhost/v1.41/networks?filters=%7B%22label%22%3A%5B%22io.nimbusfs.owner%3D$id%22%5D%7D" |
		grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
		curl -s --unix-socket "$ENGINE_SOCK" -X DELETE "http://localhost/v1.41/networks/$n" >/dev/null
	done
}

nb_cleanup() {
	nb_unmount || true
	nb_remove_containers
	[ -n "${STATE:-}" ] && rm -rf "$STATE"
	STATE=""
}

# engine API call with curl: engine METHOD PATH [curl args...]
engine() {
	local method=$1 path=$2
	shift 2
	curl -sf --max-time 30 --unix-socket "$ENGINE_SOCK" -X "$method" "http://localhost/v1.41$path" "$@"
}

teardown() {
	nb_cleanup
}

# ---- shared by several suites ----

# nb_scratch PATH: whether PATH is a test's own scratch path, one that a
# cleanup may fill or remove: absolute, under /tmp/nimbusfs-, without `..`.
# A cleanup whose setup failed half way must never reach the caller's
# working directory or /.
nb_scratch() {
	case "$1" in
	*..*) return 1 ;;
	/tmp/nimbusfs-?*) return 0 ;;
	*) return 1 ;;
	esac
}

# nb_paths: the service directories of the mount at $MNT.
nb_paths() {
	TD="${MNT:?}/ecs/task-definitions"
	TASKS="$MNT/ecs/tasks"
	L="$MNT/lambda"
	E="$MNT/ec2"
}

# nb_request FILE TEXT [SECONDS]: writes TEXT and a newline to FILE and
# reads the answer on the same descriptor (run, invoke, create), at most
# SECONDS (default 30).
nb_request() {
	printf '%s\n' "$2" | { exec 7<>"$1" || exit 1; cat >&7 || exit 1; timeout "${3:-30}" cat <&7; }
}

# nb_register JSON: registers a task definition.
nb_register() {
	printf '%s\n' "$1" >"${MNT:?}/ecs/task-definitions/register"
}

# nb_run_task FAMILY-OR-JSON: runs a task; prints its id (fails if none).
nb_run_task() {
	local id
	id="$(nb_request "${MNT:?}/ecs/tasks/run" "$1" | head -n 1)"
	[[ "$id" =~ ^[0-9a-f]{32}$ ]] || { echo "no task id from run: '$id'" >&2; return 1; }
	echo "$id"
}

# nb_make_fn NAME [BODY]: an Active provided.al2023 function whose handler
# runs the shell BODY (default: echo the event back as {"got": EVENT}). Its
# package stays in $BATS_TEST_TMPDIR/NAME.zip.
nb_make_fn() {
	local body=${2:-'echo "{\"got\": $1}"'} f="${MNT:?}/lambda/$1"
	mkdir "$f"
	echo provided.al2023 >"$f/runtime"
	echo function.handler >"$f/handler"
	"$ROOT/tests/mkzip.py" "$BATS_TEST_TMPDIR/$1.zip" "function.sh=handler() { $body
}"
	cp "$BATS_TEST_TMPDIR/$1.zip" "$f/code.zip"
	[ "$(head -n 1 "$f/state")" = Active ]
}

# nb_invoke NAME PAYLOAD: invokes a function; prints its answer.
nb_invoke() {
	nb_request "${MNT:?}/lambda/$1/invoke" "$2" 60
}

# nb_tick_cmd PERIOD: a shell loop printing "tick N" from 0 every PERIOD s.
nb_tick_cmd() {
	echo "i=0; while true; do echo tick \$i; i=\$((i+1)); sleep $1; done"
}

# nb_ticks_ok FILE PREFIX: the "tick N" lines of FILE (after PREFIX) count
# from 0 by one, none lost and none repeated, and there is at least one.
# Prints the last N.
nb_ticks_ok() {
	sed -n "s/^$2tick //p" "$1" | awk 'NR - 1 != $1 { print "tick " $1 " at line " NR > "/dev/stderr"; bad = 1; exit }
		{ last = $1 } END { if (bad || NR == 0) exit 1; print last }'
}

# nb_more_ticks FILE PREFIX: waits (bounded) for more than 5 new ticks,
# then checks them all again.
nb_more_ticks() {
	local n
	n="$(nb_ticks_ok "$1" "$2")" || return 1
	nb_wait 15 bash -c "[ \$(grep -c '^$2tick' '$1') -gt $((n + 6)) ]" || { echo "no new ticks in $1 after tick $n"; return 1; }
	nb_ticks_ok "$1" "$2" >/dev/null
}

# nb_engine_up: the engine at $ENGINE_SOCK answers its ping.
nb_engine_up() {
	curl -s --max-time 2 --unix-socket "$ENGINE_SOCK" http://localhost/_ping 2>/dev/null | grep -qx OK
}

# nb_proxy_start: a socket at $PROXY in front of the engine's, which a test
# can take away (nb_proxy_stop) and put back: an outage as nimbusfs sees it.
nb_proxy_start() {
	setsid socat "UNIX-LISTEN:${PROXY:?},fork,unlink-early" "UNIX-CONNECT:$ENGINE_SOCK" 3>&- &
	PROXY_PID=$!
	nb_wait 5 test -S "$PROXY"
}

nb_proxy_stop() {
	[ -n "${PROXY_PID:-}" ] || return 0
	kill -- -"$PROXY_PID" 2>/dev/null || kill "$PROXY_PID" 2>/dev/null || true
	nb_wait 5 nb_gone "$PROXY_PID" || kill -9 -- -"$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
	PROXY_PID=""
	rm -f "${PROXY:?}"
}
