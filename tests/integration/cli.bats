#!/usr/bin/env bats
# The command line, start-up refusals and clean shutdown.

load ../helper

@test "cli: --help and --version answer and exit 0" {
	run "$NIMBUSFS" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--lambda-image RUNTIME=IMAGE"* ]]
	run "$NIMBUSFS" -V
	[ "$status" -eq 0 ]
	[ "$output" = "nimbusfs 0.1.0" ]
}

@test "cli: a bad option is one line and exit status 2" {
	run "$NIMBUSFS" --bogus /tmp
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"unknown option --bogus"* ]]
	run "$NIMBUSFS" --lambda-image python3.12 /tmp
	[ "$status" -eq 2 ]
	[[ "$output" == *"expected RUNTIME=IMAGE"* ]]
	run "$NIMBUSFS" --engine ftp://x /tmp
	[ "$status" -eq 2 ]
	[[ "$output" == *"expected unix:///PATH or tcp://HOST:PORT"* ]]
	run "$NIMBUSFS" --state-dir relative /tmp
	[ "$status" -eq 2 ]
	for n in 0 1025 -1 4x ''; do
		run "$NIMBUSFS" --fuse-workers "$n" /tmp
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"--fuse-workers $n: expected a number of threads from 1 to 1024"* ]]
	done
	run "$NIMBUSFS"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no mountpoint"* ]]
}

@test "cli: an unusable mountpoint is one line and exit status 2" {
	run "$NIMBUSFS" -f /nonexistent/dir
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"mountpoint /nonexistent/dir: No such file or directory"* ]]
	run "$NIMBUSFS" -f /etc/hostname
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a directory"* ]]
}

@test "cli: a second nimbusfs on the same state dir refuses to start and says who holds it" {
	nb_mount
	local other
	other="$(mktemp -d)"
	run "$NIMBUSFS" -f --state-dir "$STATE" "$other"
	rmdir "$other"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is in use by another nimbusfs (pid $NB_PID)"* ]]
}

@test "cli: the state dir gets a stable owner id" {
	nb_mount
	local id
	id="$(cat "$STATE/id")"
	[[ "$id" =~ ^[0-9a-f]{16}$ ]]
	nb_unmount
	nb_mount
	[ "$(cat "$STATE/id")" = "$id" ]
}

@test "cli: SIGTERM and SIGINT unmount cleanly" {
	# Background jobs start with SIGINT ignored (and libfuse respects that);
	# a terminal's Ctrl-C reaches a foreground nimbusfs with it at default.
	local real="$NIMBUSFS"
	NIMBUSFS="$BATS_TEST_TMPDIR/nimbusfs-fg"
	cat >"$NIMBUSFS" <<-EOF
		#!/bin/sh
		exec perl -e '\$SIG{INT} = "DEFAULT"; exec @ARGV' -- "$real" "\$@"
	EOF
	chmod +x "$NIMBUSFS"
	for sig in TERM INT; do
		nb_mount
		kill -"$sig" "$NB_PID"
		nb_wait 10 nb_gone "$NB_PID"
		wait "$NB_PID" || true
		! mountpoint -q "$MNT"
		nb_cleanup
	done
}

# threads PID: how many threads the process has now.
threads() {
	awk '/^Threads:/ { print $2 }' "/proc/$1/status"
}

# threads_under_load CAP: mounts with --fuse-workers CAP, reads `version`
# from 16 processes at once, and prints the daemon's threads before, the
# most seen while they ran, and after.
threads_under_load() {
	local base most=0 n i pids=()
	nb_mount --fuse-workers "$1"
	nb_engine_ready
	base="$(threads "$NB_PID")"
	for i in $(seq 16); do
		(for _ in $(seq 300); do cat "$MNT/version" >/dev/null; done) &
		pids+=($!)
	done
	while kill -0 "${pids[@]}" 2>/dev/null; do
		n="$(threads "$NB_PID")"
		[ "$n" -le "$most" ] || most=$n
	done
	wait "${pids[@]}"
	echo "$base $most $(threads "$NB_PID")"
	nb_cleanup
}

@test "cli: --fuse-workers caps the threads that answer FUSE requests" {
	local base most after base64 most64 after64
	run "$NIMBUSFS" --help
	[[ "$output" == *"--fuse-workers N"* ]]
	# one worker stays one worker under 16 concurrent readers ...
	read -r base most after < <(threads_under_load 1)
	[ "$most" -eq "$base" ]
	[ "$after" -eq "$base" ]
	# ... where libfuse starts a second as soon as its only one takes a
	# request (the same daemon threads otherwise)
	read -r base64 most64 after64 < <(threads_under_load 64)
	[ "$after64" -gt "$base" ]
}

@test "cli: fusermount3 -u ends the daemon with status 0" {
	nb_mount
	fusermount3 -u "$MNT"
	nb_wait 10 nb_gone "$NB_PID"
	wait "$NB_PID"
}

@test "cli: without -f it daemonizes and the mount is there when it returns" {
	MNT="$(mktemp -d /tmp/nimbusfs-mnt.XXXXXX)"
	STATE="$(mktemp -d /tmp/nimbusfs-state.XXXXXX)"
	"$NIMBUSFS" --state-dir "$STATE" "$MNT"
	mountpoint -q "$MNT"
	cat "$MNT/version" | grep -q nimbusfs
	NB_PID="$(head -n 1 "$STATE/lock")"
	fusermount3 -u "$MNT"
	nb_wait 10 nb_gone "$NB_PID"
}

@test "cli: valgrind finds no leak and no error over a mount, reads, writes and unmount" {
	command -v valgrind >/dev/null || skip "valgrind not installed"
	# A sanitizer build (make check-sanitizers) cannot run under valgrind.
	[ -z "${NIMBUSFS_SANITIZER:-}" ] || skip "nimbusfs is built with $NIMBUSFS_SANITIZER"
	local vlog="$BATS_TEST_TMPDIR/valgrind.log"
	NIMBUSFS="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=$vlog $NIMBUSFS"
	MNT="$(mktemp -d /tmp/nimbusfs-mnt.XXXXXX)"
	STATE="$(mktemp -d /tmp/nimbusfs-state.XXXXXX)"
	NB_LOG="$BATS_TEST_TMPDIR/nb.log"
	$NIMBUSFS -f --state-dir "$STATE" "$MNT" 2>"$NB_LOG" &
	NB_PID=$!
	nb_wait 60 mountpoint -q "$MNT"
	nb_wait 30 grep -qx ok "$MNT/health"
	ls -l "$MNT" "$MNT/ecs" >/dev/null
	cat "$MNT/version" "$MNT/metrics" "$MNT/README" >/dev/null
	echo resync >"$MNT/ctl"
	echo bogus >"$MNT/ctl" 2>/dev/null || true
	cat "$MNT/last-error" >/dev/null
	timeout 3 cat "$MNT/events" >/dev/null || true
	fusermount3 -u "$MNT"
	nb_wait 60 nb_gone "$NB_PID"
	run wait "$NB_PID"
	cat "$vlog" >&2
	[ "$status" -eq 0 ]
	grep -q "ERROR SUMMARY: 0 errors" "$vlog"
}
