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

# events_proxy_start: a proxy at $PROXY in front of the engine that answers
# 403 to /events while $PROXY_FLAG exists and passes everything else on (a
# stream always opens a connection of its own, so its first request is it).
events_proxy_start() {
	cat >"$BATS_TEST_TMPDIR/proxy.py" <<'PY'
import os, socket, sys, threading

listen, engine, flag = sys.argv[1:4]

def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def serve(c):
    head = b""
    while b"\r\n\r\n" not in head:
        data = c.recv(65536)
        if not data:
            c.close()
            return
        head += data
    path = head.split(b" ", 2)[1].split(b"?")[0]
    if path.endswith(b"/events") and os.path.exists(flag):
        body = b'{"message":"events forbidden by the test proxy"}'
        c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        c.close()
        return
    e = socket.socket(socket.AF_UNIX)
    e.connect(engine)
    e.sendall(head)
    threading.Thread(target=pipe, args=(e, c), daemon=True).start()
    pipe(c, e)

s = socket.socket(socket.AF_UNIX)
s.bind(listen)
s.listen(64)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
	rm -f "$PROXY"
	setsid python3 "$BATS_TEST_TMPDIR/proxy.py" "$PROXY" "$ENGINE_SOCK" "$PROXY_FLAG" 3>&- &
	PROXY_PID=$!
	nb_wait 5 test -S "$PROXY"
}

# connects: how many times nimbusfs has listed the engine and subscribed.
connects() {
	sed -n 's/^nimbusfs_engine_connects_total //p' "$MNT/metrics"
}

@test "engine: an events stream the engine refuses shows in health, is tried again with backoff, and clears once it runs" {
	PROXY="$BATS_TEST_TMPDIR/engine.sock"
	PROXY_FLAG="$BATS_TEST_TMPDIR/refuse-events"
	touch "$PROXY_FLAG"
	events_proxy_start
	nb_mount --engine "unix://$PROXY"
	nb_wait 5 grep -q '^engine events stream failing: .*403: events forbidden by the test proxy$' "$MNT/health"
	# The engine answers: actions still reach it, only the stream fails.
	echo resync >"$MNT/ctl"
	grep -qx "nimbusfs_engine_up 1" "$MNT/metrics"
	# Tried again every second at most, not in a loop (thousands a second).
	local c0 c1
	c0="$(connects)"
	sleep 3
	c1="$(connects)"
	echo "listed $((c1 - c0)) times in 3 s"
	[ $((c1 - c0)) -le 6 ]
	exec 7<"$MNT/events"
	rm -f "$PROXY_FLAG"
	nb_wait 5 grep -qx ok "$MNT/health"
	run timeout 5 grep -m 1 '"status":"events-running"' <&7
	[ "$status" -eq 0 ]
	exec 7<&-
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
