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
die() { echo "$me: error: $*" >&2; exit 1; }
note() { echo "$me: $*"; }

run_dir=${NIMBUSFS_RUN_DIR:-/run/nimbusfs}
record=${NIMBUSFS_ENGINE_RECORD:-$run_dir/dockerd.pid}

[[ -e $record ]] || exit 0
[[ $EUID -eq 0 ]] || die "stopping the dockerd recorded in $record needs root"

comm_of() { cat "/proc/$1/comm" 2>/dev/null || true; }
stat_fields() { # PID -> fields 3.. of /proc/PID/stat (state first)
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	echo "${s##*) }"
}
# Alive and not a zombie (an orphan may wait for a slow reaper).
alive() {
	local f
	f=$(stat_fields "$1") || return 1
	[[ ${f%% *} != Z ]]
}
start_of() { # PID -> start time in seconds since the epoch
	local f btime hz
	read -ra f <<<"$(stat_fields "$1")" || return 1
	[[ ${#f[@]} -gt 19 ]] || return 1
	btime=$(awk '$1 == "btime" { print $2 }' /proc/stat)
	hz=$(getconf CLK_TCK)
	echo $((btime + f[19] / hz))
}
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

exec 9>"$record.lock"
flock -w 90 9 || die "another engine-up/engine-down holds $record.lock"
[[ -e $record ]] || exit 0 # removed while we waited

pid=$(head -n1 "$record" 2>/dev/null || true)
ours=0
if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && [[ $(comm_of "$pid") == dockerd ]]; then
	started=$(start_of "$pid" || echo 0)
	written=$(stat -c %Y "$record")
	((started != 0 && started <= written + 1)) && ours=1
fi
if [[ $ours -eq 0 ]]; then
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
