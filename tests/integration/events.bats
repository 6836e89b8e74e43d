#!/usr/bin/env bats
# The events stream: blocking reads that hold no thread, and engine events.

load ../helper

setup() {
	nb_mount
	nb_engine_ready
	OTHERS=()
}

teardown() {
	for c in "${OTHERS[@]}"; do
		engine DELETE "/containers/$c?force=1" || true
	done
	nb_cleanup
}

@test "events: a reader blocks until something happens, then gets one JSON line" {
	timeout 10 head -n 1 "$MNT/events" >"$BATS_TEST_TMPDIR/ev" &
	local reader=$!
	sleep 0.5
	kill -0 "$reader" # still blocked
	echo resync >"$MNT/ctl"
	wait "$reader"
	grep -q '^{"time":"[0-9T:.-]*Z","type":"engine","id":"engine","status":"resync"' "$BATS_TEST_TMPDIR/ev"
}

@test "events: Ctrl-C returns a blocked reader at once" {
	# Background jobs start with SIGINT ignored; give cat its default back.
	perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' cat "$MNT/events" >/dev/null &
	local reader=$!
	sleep 0.5
	kill -0 "$reader"
	kill -INT "$reader"
	nb_wait 2 nb_gone "$reader"
}

@test "events: poll() says POLLIN only once a line is there" {
	run "$NBTOOLS/nbpoll" --in "$MNT/events" 300
	[ "$status" -eq 1 ]
	"$NBTOOLS/nbpoll" --in "$MNT/events" 5000 >"$BATS_TEST_TMPDIR/poll.out" &
	local poller=$!
	sleep 0.3
	echo resync >"$MNT/ctl"
	wait "$poller"
	grep -qx changed "$BATS_TEST_TMPDIR/poll.out"
}

@test "events: 200 blocked readers hold no worker; ls and cat still answer; all return when killed" {
	local pids=()
	for i in $(seq 1 200); do
		cat "$MNT/events" >/dev/null &
		pids+=($!)
	done
	nb_wait 20 grep -qx 'nimbusfs_parked_readers 200' "$MNT/metrics"
	# the daemon's threads stay few: readers are parked, not served by threads
	[ "$(ls /proc/$NB_PID/task | wc -l)" -lt 30 ]
	run timeout 2 ls "$MNT"
	[ "$status" -eq 0 ]
	run timeout 2 cat "$MNT/version"
	[ "$status" -eq 0 ]
	kill "${pids[@]}"
	for p in "${pids[@]}"; do
		nb_wait 5 nb_gone "$p"
	done
	nb_wait 5 grep -qx 'nimbusfs_parked_readers 0' "$MNT/metrics"
}

@test "events: each reader gets every line, from when it opened" {
	exec 7<"$MNT/events"
	echo resync >"$MNT/ctl"
	run timeout 5 head -n 1 <&7
	local first="$output"
	exec 8<"$MNT/events"
	echo resync >"$MNT/ctl"
	run timeout 5 head -n 1 <&7
	local second="$output"
	[ "$second" != "$first" ]
	# the later reader starts at the second line, the earlier one had both
	run timeout 5 head -n 1 <&8
	[ "$output" = "$second" ]
	exec 7<&- 8<&-
}

@test "events: a labelled container starting and dying shows as container events" {
	local id cid
	id="$(cat "$STATE/id")"
	exec 7<"$MNT/events"
	cid=$(engine POST /containers/create -H 'Content-Type: application/json' \
		-d "{\"Image\":\"local/busybox:latest\",\"Cmd\":[\"true\"],\"Labels\":{\"io.nimbusfs.owner\":\"$id\",\"io.nimbusfs.kind\":\"ecs-task\",\"io.nimbusfs.object\":\"t1\"}}" |
		grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4)
	[ -n "$cid" ]
	OTHERS+=("$cid")
	engine POST "/containers/$cid/start"
	run timeout 10 grep -m 1 '"action":"die"' <&7
	exec 7<&-
	[[ "$output" == *'"type":"container","id":"t1"'* ]]
	[[ "$output" == *'"kind":"ecs-task"'* ]]
	[[ "$output" == *'"exitCode":"0"'* ]]
}

@test "events: containers of another owner are not seen" {
	local cid
	exec 7<"$MNT/events"
	cid=$(engine POST /containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"local/busybox:latest","Cmd":["true"],"Labels":{"io.nimbusfs.owner":"someone-else"}}' |
		grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4)
	OTHERS+=("$cid")
	engine POST "/containers/$cid/start"
	sleep 1
	echo resync >"$MNT/ctl"
	run timeout 5 head -n 1 <&7
	exec 7<&-
	[[ "$output" == *'"status":"resync"'* ]]
}
