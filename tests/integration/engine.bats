#!/usr/bin/env bats
# Engine faults: unreachable from the start, lost and found again.

load ../helper

teardown() {
	nb_cleanup
	nb_proxy_stop
}

@test "engine: unreachable at mount, the mount still works and health says why" {
	nb_mount --engine unix:///nonexistent
	nb_wait 5 grep -q '^engine unreachable at unix:///nonexistent: No such file or directory$' "$MNT/health"
	run ls "$MNT"
	[ "$status" -eq 0 ]
	grep -q "^engine: unknown (not reached yet) at unix:///nonexistent$" "$MNT/version"
	grep -qx "nimbusfs_engine_up 0" "$MNT/metrics"
}

@test "engine: unreachable, an action answers EHOSTDOWN and last-error is readable" {
	nb_mount --engine unix:///nonexistent
	run bash -c "echo resync > '$MNT/ctl'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Host is down"* ]]
	grep -q "cannot resync: engine unreachable at unix:///nonexistent" "$MNT/last-error"
}

@test "engine: a tcp:// engine that refuses is reported the same way" {
	nb_mount --engine tcp://127.0.0.1:9
	nb_wait 5 grep -q '^engine unreachable at tcp://127.0.0.1:9' "$MNT/health"
}

@test "engine: an outage shows in health and events within 2 s, and recovery without remount" {
	PROXY="$BATS_TEST_TMPDIR/engine.sock"
	nb_proxy_start
	nb_mount --engine "unix://$PROXY"
	nb_engine_ready
	exec 7<"$MNT/events"
	nb_proxy_stop
	nb_wait 2 grep -q "^engine unreachable at unix://$PROXY" "$MNT/health"
	run timeout 5 grep -m 1 '"status":"down"' <&7
	[ "$status" -eq 0 ]
	nb_proxy_start
	nb_wait 5 grep -qx ok "$MNT/health"
	run timeout 5 grep -m 1 '"status":"up"' <&7
	[ "$status" -eq 0 ]
	exec 7<&-
	grep -qx "nimbusfs_engine_up 1" "$MNT/metrics"
	grep -q "^nimbusfs_engine_disconnects_total [1-9]" "$MNT/metrics"
}

@test "engine: a restarted dockerd is noticed and nimbusfs recovers without a remount" {
	local record="${NIMBUSFS_ENGINE_RECORD:-/run/nimbusfs/dockerd.pid}"
	[ -f "$record" ] || skip "the engine was not started by tools/engine-up.sh"
	nb_mount
	nb_engine_ready
	"$ROOT/tools/engine-down.sh"
	nb_wait 5 grep -q '^engine unreachable' "$MNT/health"
	"$ROOT/tools/engine-up.sh" 3>&-
	nb_wait 15 grep -qx ok "$MNT/health"
	grep -q "^engine: Docker Engine" "$MNT/version"
}
