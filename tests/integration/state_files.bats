#!/usr/bin/env bats
# Files backed by a file in the state dir: task and container `logs`, a
# function's `logs` and `code.zip`. Their size is the file's and their
# bytes are read where asked, whatever the size: past the 64 MiB a whole
# read used to stop at, while they grow, and while other readers stream
# them.

load ../helper

setup() {
	nb_mount
	nb_engine_ready
	nb_paths
}

# big_lines N LEN: N lines of LEN x's, as the test containers print them.
big_lines() {
	yes "$(head -c "$2" /dev/zero | tr '\0' x)" | head -n "$1"
}

# stopped TASK: whether the task is STOPPED (its output is then all in).
stopped() {
	[ "$(cat "$TASKS/$1/status")" = STOPPED ]
}

@test "state files: a task log past 64 MiB reads back whole and stats exactly" {
	# 9000 lines of 8000 bytes: 72,009,000 bytes, past 64 MiB (67,108,864).
	nb_register '{"family": "big", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "stopTimeout": 2, "command": ["sh", "-c",
		"yes $(head -c 8000 /dev/zero | tr \"\\\\0\" x) | head -n 9000"]}]}'
	T="$TASKS/$(nb_run_task big)"
	nb_wait 300 stopped "$(basename "$T")"
	[ "$(stat -c %s "$T/containers/app/logs")" -eq 72009000 ]
	# the task's log prefixes each line with "[app] "
	[ "$(stat -c %s "$T/logs")" -eq $((72009000 + 9000 * 6)) ]
	[ "$(cat "$T/logs" | wc -c)" -eq $((72009000 + 9000 * 6)) ]
	cmp <(big_lines 9000 8000) "$T/containers/app/logs"
	cmp <(big_lines 9000 8000 | sed 's/^/[app] /') "$T/logs"
	# a read far into the file returns the bytes there, nothing before
	[ "$(tail -c 8001 "$T/containers/app/logs" | head -c 8000)" = "$(big_lines 1 8000)" ]
}

@test "state files: stat of a growing log is exact while other readers stream it" {
	nb_register '{"family": "chatty", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "stopTimeout": 2, "command": ["sh", "-c",
		"i=0; while [ $i -lt 40000 ]; do echo line $i; i=$((i+1)); done; sleep 600"]}]}'
	id="$(nb_run_task chatty)"
	T="$TASKS/$id"
	nb_wait 30 test -s "$T/containers/app/logs"
	# two readers stream the log over and over while we stat it
	for r in 1 2; do
		(while :; do cat "$T/logs" >/dev/null 2>&1 || exit 0; done) &
		eval "reader$r=\$!"
	done
	local prev=0 size
	for _ in $(seq 1 40); do
		size="$(timeout 10 stat -c %s "$T/containers/app/logs")"
		# it only grows, and exactly as many bytes are there to read
		[ "$size" -ge "$prev" ]
		[ "$(head -c "$size" "$T/containers/app/logs" | wc -c)" -eq "$size" ]
		prev=$size
	done
	kill "$reader1" "$reader2"
	wait "$reader1" "$reader2" 2>/dev/null || true
	# once the capture caught up, every line is there, the last one whole
	nb_wait 120 sh -c "tail -n 1 '$T/containers/app/logs' | grep -qx 'line 39999'"
	echo stop >"$T/ctl"
	nb_wait 60 stopped "$id"
	[ "$(wc -l <"$T/containers/app/logs")" -eq 40000 ]
	[ "$(stat -c %s "$T/containers/app/logs")" -eq "$(cat "$T/containers/app/logs" | wc -c)" ]
}

@test "state files: a log with nothing captured is empty; once its task is removed, ENOENT" {
	nb_register '{"family": "nopull", "networkMode": "bridge", "containerDefinitions": [{"name": "app", "image": "127.0.0.1:1/nothing/here:1"}]}'
	id="$(nb_run_task nopull)"
	T="$TASKS/$id"
	[ "$(stat -c %s "$T/logs")" -eq 0 ]
	[ "$(wc -c <"$T/containers/app/logs")" -eq 0 ]
	run timeout 60 cat "$T/wait"
	[ "$(cat "$T/status")" = STOPPED ]
	run cat "$T/logs"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# an fd opened before the rmdir ends in ENOENT, as a stat does
	exec 8<"$T/containers/app/logs"
	rmdir "$T"
	run cat <&8
	exec 8<&-
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	run stat "$T/logs"
	[ "$status" -ne 0 ]
}

@test "state files: a function's log past 64 MiB reads back whole and stats exactly" {
	# each invocation logs 48 KiB on stderr, what the runtime's log header
	# carries at most: 1400 invocations make 67 MiB and more
	nb_make_fn chatty 'head -c 49152 /dev/zero | tr "\0" x >&2; echo "{}"'
	for loop in 1 2; do
		(for _ in $(seq 1 700); do echo '{}' >"$L/chatty/invoke" || exit 1; done) &
		eval "loop$loop=\$!"
	done
	wait "$loop1"
	wait "$loop2"
	local size
	size="$(stat -c %s "$L/chatty/logs")"
	[ "$size" -gt 67108864 ]
	[ "$(cat "$L/chatty/logs" | wc -c)" -eq "$size" ]
	[ "$(grep -c '^START RequestId: ' "$L/chatty/logs")" -eq 1400 ]
	[ "$(grep -c '^REPORT RequestId: ' "$L/chatty/logs")" -eq 1400 ]
	[ "$(awk 'length == 49152 && /^x+$/' "$L/chatty/logs" | wc -l)" -eq 1400 ]
}

@test "state files: a fresh function's logs and code.zip are empty; an open code.zip stays whole" {
	mkdir "$L/fresh"
	[ "$(stat -c %s "$L/fresh/logs")" -eq 0 ]
	[ "$(stat -c %s "$L/fresh/code.zip")" -eq 0 ]
	[ -z "$(cat "$L/fresh/logs")" ]
	nb_make_fn pkg 'echo "{\"v\": 1}"'
	[ "$(stat -c %s "$L/pkg/code.zip")" -eq "$(stat -c %s "$BATS_TEST_TMPDIR/pkg.zip")" ]
	cmp "$BATS_TEST_TMPDIR/pkg.zip" "$L/pkg/code.zip"
	# an fd open across a deploy reads the package it opened, whole
	"$ROOT/tests/mkzip.py" "$BATS_TEST_TMPDIR/v2.zip" "function.sh=handler() { echo '{\"v\": 2}'
}" 'padding.txt=a second file, so the two packages differ in size'
	exec 8<"$L/pkg/code.zip"
	cp "$BATS_TEST_TMPDIR/v2.zip" "$L/pkg/code.zip"
	cmp "$BATS_TEST_TMPDIR/pkg.zip" - <&8
	exec 8<&-
	[ "$(stat -c %s "$L/pkg/code.zip")" -eq "$(stat -c %s "$BATS_TEST_TMPDIR/v2.zip")" ]
	cmp "$BATS_TEST_TMPDIR/v2.zip" "$L/pkg/code.zip"
	rmdir "$L/pkg"
	run stat "$L/pkg/code.zip"
	[ "$status" -ne 0 ]
}

@test "state files: two thousand open packages hold their files and the mount still answers" {
	# a daemon started with the usual soft limit of 1024 fds
	nb_unmount
	ulimit -Sn 1024
	nb_mount
	nb_engine_ready
	nb_paths
	nb_make_fn held 'echo "{\"ok\": true}"'
	# each open descriptor of code.zip keeps its package's file open in
	# the daemon: past 1024 of them, opens and invocations still work
	run python3 -c 'import os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fds = [os.open(sys.argv[1], os.O_RDONLY) for _ in range(2000)]
assert all(os.read(fd, 2) == b"PK" for fd in fds[::100])
print(len(fds))' "$L/held/code.zip"
	[ "$status" -eq 0 ]
	[ "$output" = 2000 ]
	grep -qx ok "$MNT/health"
	[ "$(nb_invoke held '{}')" = '{"ok": true}' ]
}
