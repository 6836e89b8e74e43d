#!/usr/bin/env bats
# The top of the tree as a user meets it with ls and cat.

load ../helper

setup() {
	nb_mount
}

@test "tree: ls shows every top-level file and directory" {
	run ls "$MNT"
	[ "$status" -eq 0 ]
	for name in README version health events metrics ctl last-error ecs lambda ec2; do
		echo "$output" | grep -qx "$name"
	done
	run ls "$MNT/ecs"
	echo "$output" | grep -qx task-definitions
	echo "$output" | grep -qx tasks
}

@test "tree: modes say what is writable" {
	[ "$(stat -c %A "$MNT/version")" = "-r--r--r--" ]
	[ "$(stat -c %A "$MNT/health")" = "-r--r--r--" ]
	[ "$(stat -c %A "$MNT/ctl")" = "--w-------" ]
	[ "$(stat -c %A "$MNT/ecs")" = "drwxr-xr-x" ]
}

@test "tree: version names nimbusfs, the engine and the negotiated API version" {
	run cat "$MNT/version"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "nimbusfs 0.1.0" ]
	nb_wait 5 grep -q '^api-version: 1\.4[01]$' "$MNT/version"
	grep -q "^engine: Docker Engine [0-9]" "$MNT/version"
}

@test "tree: health says ok when the engine answers" {
	nb_wait 5 grep -qx ok "$MNT/health"
}

@test "tree: st_size is exact, so wc -c and stat agree with cat" {
	for f in README version health metrics; do
		[ "$(stat -c %s "$MNT/$f")" -eq "$(cat "$MNT/$f" | wc -c)" ]
	done
	[ "$(stat -c %s "$MNT/events")" -eq 0 ]
}

@test "tree: README explains the tree" {
	grep -q "events" "$MNT/README"
	grep -q "last-error" "$MNT/README"
	grep -q "lambda/" "$MNT/README"
}

@test "tree: metrics is Prometheus text with the engine gauge" {
	nb_wait 5 grep -qx "nimbusfs_engine_up 1" "$MNT/metrics"
	# every sample line: name{labels} value
	run awk '!/^#/ && !/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$/ {print; bad=1} END {exit bad}' "$MNT/metrics"
	[ "$status" -eq 0 ]
	grep -q '^# TYPE nimbusfs_fuse_requests_total counter$' "$MNT/metrics"
}

@test "tree: an unknown path is ENOENT" {
	run cat "$MNT/nope"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	run ls "$MNT/ecs/nope"
	[ "$status" -ne 0 ]
}

@test "tree: writing a read-only file is EACCES" {
	run bash -c "echo x > '$MNT/version'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run bash -c "echo x >> '$MNT/health'"
	[[ "$output" == *"Permission denied"* ]]
	run truncate -s 0 "$MNT/README"
	[ "$status" -ne 0 ]
}

@test "tree: reading a write-only verb file is EACCES" {
	run cat "$MNT/ctl"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
}

@test "tree: mkdir where objects are not made by mkdir is EPERM, and says why" {
	run mkdir "$MNT/foo"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	grep -q mkdir "$MNT/last-error"
	run mkdir "$MNT/ecs/tasks/abc"
	[[ "$output" == *"Operation not permitted"* ]]
	run mkdir "$MNT/ecs"
	[[ "$output" == *"File exists"* ]]
}

@test "tree: new files, unlink and rmdir of fixed names are refused" {
	run touch "$MNT/newfile"
	[ "$status" -ne 0 ]
	run rm -f "$MNT/version"
	[ "$status" -ne 0 ]
	run rmdir "$MNT/ecs"
	[ "$status" -ne 0 ]
	[ -d "$MNT/ecs" ]
}

@test "ctl: resync is accepted and announced on events" {
	nb_engine_ready
	exec 7<"$MNT/events"
	echo resync >"$MNT/ctl"
	run timeout 5 head -n 1 <&7
	exec 7<&-
	[[ "$output" == *'"status":"resync"'* ]]
}

@test "ctl: an unknown command fails in write() with EINVAL and last-error says why" {
	run bash -c "echo bogus > '$MNT/ctl'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'unknown command "bogus"' "$MNT/last-error"
	[ "$(stat -c %s "$MNT/last-error")" -eq "$(wc -c <"$MNT/last-error")" ]
}

@test "ctl: a command without newline is committed at close, and cat reports its error" {
	nb_engine_ready
	printf resync >"$MNT/ctl"
	run bash -c "printf bogus2 | cat > '$MNT/ctl'"
	[ "$status" -ne 0 ]
	grep -q bogus2 "$MNT/last-error"
}

@test "ctl: several lines in one write are each committed, up to the first bad one" {
	nb_engine_ready
	run bash -c "printf 'resync\nwhat\nresync\n' > '$MNT/ctl'"
	[ "$status" -ne 0 ]
	grep -q '"what"' "$MNT/last-error"
}

@test "poll: a value file wakes POLLPRI when its value changes" {
	"$NBTOOLS/nbpoll" "$MNT/last-error" 5000 >"$BATS_TEST_TMPDIR/poll.out" &
	local poller=$!
	sleep 0.3
	echo nonsense >"$MNT/ctl" 2>/dev/null || true
	wait "$poller"
	grep -qx changed "$BATS_TEST_TMPDIR/poll.out"
}

@test "poll: an unchanged value file does not wake" {
	nb_engine_ready # version changes once, when the engine first answers
	run "$NBTOOLS/nbpoll" "$MNT/version" 300
	[ "$status" -eq 1 ]
	[ "$output" = timeout ]
}

@test "stat: mtime of last-error moves when it changes, so ls -lt and find -newer work" {
	echo first >"$MNT/ctl" 2>/dev/null || true
	local t1
	t1=$(stat -c %Y.%y "$MNT/last-error")
	touch "$BATS_TEST_TMPDIR/ref"
	sleep 1.1
	echo second >"$MNT/ctl" 2>/dev/null || true
	[ "$(stat -c %Y.%y "$MNT/last-error")" != "$t1" ]
	[ -n "$(find "$MNT/last-error" -newer "$BATS_TEST_TMPDIR/ref")" ]
}

@test "stat: a changed value's size shows at once, not after the attribute cache expires" {
	echo short >"$MNT/ctl" 2>/dev/null || true
	stat -c %s "$MNT/last-error" >/dev/null # cache the attributes
	echo a-much-longer-unknown-command-name >"$MNT/ctl" 2>/dev/null || true
	# within the 1 s attribute timeout: only invalidation makes this exact
	# (cat through a pipe counts the bytes; wc -c on the file trusts st_size)
	[ "$(stat -c %s "$MNT/last-error")" -eq "$(cat "$MNT/last-error" | wc -c)" ]
	grep -q a-much-longer "$MNT/last-error"
}
