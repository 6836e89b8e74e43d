#!/usr/bin/env bash
# engine-down.sh - stop the dockerd that tools/engine-up.sh started, and only it.
#
# If the record written by engine-up names a running dockerd (one started no
# later than the record was written, so a reused pid is never hit), it sends
# SIGTERM, waits up to 30 s for the daemon to exit (SIGKILL after that), makes
# sure the containerd it had started as its child is gone too, and removes the
# record. Without a record it does nothing and prints nothing: an engine that
# engine-up did not start is never touched. Containers are not removed first.
#
# Environment:
#   NIMBUSFS_RUN_DIR        directory of the record (default /run/nimbusfs)
#   NIMBUSFS_ENGINE_RECORD  pid record (default $NIMBUSFS_RUN_DIR/dockerd.pid)
set -euo pipefail

me=engine-down
# die, note, run_dir, record, the process helpers, recorded_pid, the lock.
# shellcheck source=engine-lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"

[[ -e $record ]] || exit 0
[[ $EUID -eq 0 ]] || die "stopping the dockerd recorded in $record needs root"

children_named() { # PID NAME -> pids of PID's children whose comm is NAME
	local d f
	for d in /proc/[0-9]*; do
		[[ $(cat "$d/comm" 2>/dev/null) == "$2" ]] || continue
		read -ra f <<<"$(stat_fields "${d#/proc/}" || true)"
		[[ ${f[1]:-} == "$1" ]] && echo "${d#/proc/}"
	done
	return 0
}
# Wait up to SECONDS for PID to exit; false if it is still alive.
wait_gone() {
	local pid=$1 deadline=$((SECONDS + $2))
	while alive "$pid"; do
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}

lock_record 90
[[ -e $record ]] || exit 0 # removed while we waited

pid=$(head -n1 "$record" 2>/dev/null || true)
if ! recorded_pid >/dev/null; then
	rm -f "$record"
	note "dockerd (pid ${pid:-?}) from $record is no longer running; removed the record"
	exit 0
fi

# Its containerd (dockerd normally stops it itself on SIGTERM).
ctrs=$(children_named "$pid" containerd)

kill -TERM "$pid" 2>/dev/null || true
if ! wait_gone "$pid" 30; then
	echo "$me: warning: dockerd (pid $pid) still runs 30 s after SIGTERM; sending SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null || true
	wait_gone "$pid" 10 || die "dockerd (pid $pid) survives SIGKILL; record kept in $record"
fi

for c in $ctrs; do
	[[ $(comm_of "$c") == containerd ]] || continue # gone (pid maybe reused)
	wait_gone "$c" 10 && continue
	echo "$me: warning: containerd (pid $c) of dockerd $pid still runs; stopping it" >&2
	kill -TERM "$c" 2>/dev/null || true
	if ! wait_gone "$c" 10; then
		kill -KILL "$c" 2>/dev/null || true
		wait_gone "$c" 5 || echo "$me: warning: containerd (pid $c) survives SIGKILL" >&2
	fi
done

rm -f "$record"
note "stopped dockerd (pid $pid)"
