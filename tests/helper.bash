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
