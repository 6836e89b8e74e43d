#!/usr/bin/env bash
# engine-up.sh - make sure a Docker engine answers at the engine address.
#
# If GET /_ping answers "OK" it does nothing and prints nothing. Otherwise, for
# a unix socket only, it starts dockerd in its own session (setsid), logging
# to a file, records the daemon's pid so that tools/engine-down.sh stops
# exactly that daemon, and waits (bounded) for /_ping. On timeout it prints
# the end of the daemon's log, stops the daemon it started, and fails.
#
# Leftovers of a dockerd that was killed are handled before starting: a
# docker.pid naming a dead (or reused, non-dockerd) pid is removed, and so is
# a containerd.pid naming a process that is not containerd; a docker-managed
# containerd orphaned by a dead dockerd is stopped (only when no dockerd at
# all runs). A dockerd that runs but does not answer yet (e.g. just started by
# someone else) is waited for, never killed.
#
# Environment:
#   DOCKER_HOST             engine address: unix:///path or tcp://host:port
#                           (default unix:///var/run/docker.sock); a tcp
#                           engine is only checked, never started
#   NIMBUSFS_RUN_DIR        directory of the record (default /run/nimbusfs)
#   NIMBUSFS_ENGINE_RECORD  pid record of the dockerd we start
#                           (default $NIMBUSFS_RUN_DIR/dockerd.pid)
#   NIMBUSFS_ENGINE_LOG     dockerd's log (default /var/log/nimbusfs-dockerd.log)
#   NIMBUSFS_ENGINE_TIMEOUT seconds to wait for /_ping (default 60)
#   NIMBUSFS_DOCKERD_ARGS   extra dockerd arguments, split on spaces
#                           (e.g. "--iptables=false"). A second daemon beside
#                           another one needs its own --pidfile, --data-root,
#                           --exec-root, and must not use --bridge=none (dockerd
#                           then deletes docker0, breaking the other daemon).
set -euo pipefail

me=engine-up
# die, note, run_dir, record, the process helpers, recorded_pid, the lock.
# shellcheck source=engine-lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"

command -v curl >/dev/null 2>&1 || die "curl is not installed; run 'make deps'"

# --- engine address --------------------------------------------------------
host=${DOCKER_HOST:-unix:///var/run/docker.sock}
sock='' hostport=''
case $host in
unix://*)
	sock=${host#unix://}
	[[ $sock == /* ]] || die "DOCKER_HOST '$host' must name an absolute socket path"
	;;
tcp://*)
	hostport=${host#tcp://}
	hostport=${hostport%%/*}
	[[ -n $hostport ]] || die "DOCKER_HOST '$host' has no host"
	[[ $hostport =~ :[0-9]+$ ]] || hostport+=:2375
	;;
*) die "unsupported DOCKER_HOST '$host' (use unix:///path or tcp://host:port)" ;;
esac

ping_engine() {
	local out
	if [[ -n $sock ]]; then
		out=$(curl -s --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null) || return 1
	else
		out=$(curl -s --max-time 2 "http://$hostport/_ping" 2>/dev/null) || return 1
	fi
	[[ $out == OK ]]
}

ping_engine && exit 0

[[ -n $sock ]] || die "no Docker engine answers at $host (only a unix-socket engine is started automatically)"
PATH=$PATH:/usr/sbin:/sbin
command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed; run 'make deps'"
[[ $EUID -eq 0 ]] || die "no Docker engine answers at $host, and starting dockerd needs root"

log=${NIMBUSFS_ENGINE_LOG:-/var/log/nimbusfs-dockerd.log}
timeout=${NIMBUSFS_ENGINE_TIMEOUT:-60}
[[ $timeout =~ ^[0-9]+$ ]] || die "NIMBUSFS_ENGINE_TIMEOUT must be a number of seconds"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# --- process helpers (the rest are in engine-lib.sh) ------------------------
all_pids_named() { # NAME -> pids of processes whose comm is NAME
	local d
	for d in /proc/[0-9]*; do
		[[ $(cat "$d/comm" 2>/dev/null) == "$1" ]] || continue
		[[ $(comm_of "${d#/proc/}") == "$1" ]] && echo "${d#/proc/}"
	done
	return 0
}

# Wait until /_ping answers or PID exits; false on timeout or exit.
wait_ping() {
	local pid=$1 deadline=$((SECONDS + timeout))
	while ((SECONDS < deadline)); do
		ping_engine && return 0
		kill -0 "$pid" 2>/dev/null || { ping_engine && return 0; return 1; }
		sleep 0.5
	done
	ping_engine
}

# Our daemon did not come up: show its log, stop it, fail.
fail_ours() {
	local pid=$1 why=$2
	echo "$me: error: dockerd (pid $pid) $why; last lines of $log:" >&2
	tail -n 20 "$log" >&2 2>/dev/null || true
	unlock_record # engine-down takes the lock itself
	"$here/engine-down.sh" >&2 || true
	exit 1
}

# --- one engine-up/engine-down at a time ------------------------------------
mkdir -p "$(dirname "$record")"
lock_record $((timeout + 30))
ping_engine && exit 0 # someone else started it while we waited

# A dockerd we started earlier that is still starting (or hung)?
if pid=$(recorded_pid); then
	wait_ping "$pid" || fail_ours "$pid" "does not answer at $sock after ${timeout}s"
	exit 0
fi
rm -f "$record"

# The daemon's arguments: -H only for a socket other than dockerd's default.
args=()
if [[ $(realpath -m "$sock") != "$(realpath -m /var/run/docker.sock)" ]]; then
	args+=(-H "unix://$sock")
fi
# Where the daemon we start keeps its pid file and its containerd state.
read -ra extra <<<"${NIMBUSFS_DOCKERD_ARGS:-}"
docker_pidfile=/var/run/docker.pid exec_root=/var/run/docker
for ((i = 0; i < ${#extra[@]}; i++)); do
	case ${extra[i]} in
	-p | --pidfile) docker_pidfile=${extra[i + 1]:-} ;;
	--pidfile=*) docker_pidfile=${extra[i]#*=} ;;
	--exec-root) exec_root=${extra[i + 1]:-} ;;
	--exec-root=*) exec_root=${extra[i]#*=} ;;
	esac
done

# dockerd's pid file: a live dockerd that does not answer yet is waited for;
# a stale file (dead or reused pid) makes dockerd refuse to start: remove it.
if [[ -f $docker_pidfile ]]; then
	pid=$(head -n1 "$docker_pidfile" 2>/dev/null || true)
	if [[ $pid =~ ^[0-9]+$ && $(comm_of "$pid") == dockerd ]]; then
		[[ ${#args[@]} -eq 0 ]] ||
			die "dockerd (pid $pid) uses $docker_pidfile already; give one for $sock its own --pidfile, --data-root and --exec-root in NIMBUSFS_DOCKERD_ARGS"
		# Maybe still starting (e.g. started by a service manager): wait.
		if wait_ping "$pid"; then
			note "dockerd (pid $pid, not recorded by engine-up) now answers at $sock"
			exit 0
		fi
		die "dockerd (pid $pid in $docker_pidfile, not recorded by engine-up) runs but does not answer at $sock after ${timeout}s; stop it or fix it"
	fi
	note "removing stale $docker_pidfile (pid ${pid:-?} is not a running dockerd)"
	rm -f "$docker_pidfile"
fi

# containerd leftovers of a killed dockerd.
ctr_dir=$exec_root/containerd
if [[ -f $ctr_dir/containerd.pid ]]; then
	pid=$(head -n1 "$ctr_dir/containerd.pid" 2>/dev/null || true)
	if ! [[ $pid =~ ^[0-9]+$ && $(comm_of "$pid") == containerd ]]; then
		rm -f "$ctr_dir/containerd.pid" # dead or reused: dockerd would trust it
	fi
fi
if [[ -z $(all_pids_named dockerd) ]]; then
	for pid in $(all_pids_named containerd); do
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
		[[ $cmd == *"--config $ctr_dir/containerd.toml"* ]] || continue
		[[ $(comm_of "$(ppid_of "$pid")") != dockerd ]] || continue
		note "stopping leftover containerd (pid $pid) of a dead dockerd"
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do [[ -n $(comm_of "$pid") ]] || break; sleep 0.2; done
		[[ -z $(comm_of "$pid") ]] || kill -KILL "$pid" 2>/dev/null || true
	done
fi

# --- start dockerd -----------------------------------------------------------
[[ ${#args[@]} -eq 0 ]] || mkdir -p "$(dirname "$sock")"
mkdir -p "$(dirname "$log")"
cmd=(dockerd "${args[@]}" "${extra[@]}")
echo "=== $me: $(date -u +%Y-%m-%dT%H:%M:%SZ): ${cmd[*]}" >"$log"
# fd 9 (the lock) must not leak into the daemon, or it would hold the lock.
# dockerd outlives us: it must hold none of our descriptors (a test
# runner's pipe held open by a daemon makes the runner wait forever).
(
	for fd in /proc/self/fd/*; do
		fd=${fd##*/}
		if [[ $fd -gt 2 ]]; then eval "exec $fd>&-" 2>/dev/null || true; fi
	done
	exec setsid "${cmd[@]}" </dev/null >>"$log" 2>&1
) &
pid=$!
echo "$pid" >"$record.tmp"
mv -f "$record.tmp" "$record"

wait_ping "$pid" || {
	if kill -0 "$pid" 2>/dev/null; then
		fail_ours "$pid" "does not answer at $sock after ${timeout}s"
	fi
	fail_ours "$pid" "exited before answering at $sock"
}
note "started dockerd (pid $pid)"
