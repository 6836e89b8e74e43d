# shellcheck shell=bash
# engine-lib.sh - helpers shared by tools/engine-up.sh and tools/engine-down.sh:
# process inspection through /proc, validation of the pid record that
# engine-up writes and engine-down trusts, the record's lock, and messages.
#
# Source it, do not run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"
# It only defines functions and the variables run_dir and record; it sets no
# shell options and runs nothing else. The caller sets `me` (the name put in
# front of messages) before calling die or note.
#
# Environment (read when sourced):
#   NIMBUSFS_RUN_DIR        directory of the record (default /run/nimbusfs)
#   NIMBUSFS_ENGINE_RECORD  pid record (default $NIMBUSFS_RUN_DIR/dockerd.pid)

# Refuse to run as a program.
(return 0 2>/dev/null) || {
	echo "engine-lib.sh: source this file from bash; it is not a program" >&2
	exit 1
}

run_dir=${NIMBUSFS_RUN_DIR:-/run/nimbusfs}
record=${NIMBUSFS_ENGINE_RECORD:-$run_dir/dockerd.pid}

# shellcheck disable=SC2154 # me is set by the caller
die() { echo "$me: error: $*" >&2; exit 1; }
note() { echo "$me: $*"; }

# --- process helpers -------------------------------------------------------
stat_fields() { # PID -> fields 3.. of /proc/PID/stat (state, ppid, ...)
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	echo "${s##*) }"
}
# Alive and not a zombie (an orphan may wait for a slow reaper; PID 1 may
# not reap at all).
alive() {
	local f
	f=$(stat_fields "$1") || return 1
	[[ ${f%% *} != Z ]]
}
# Name of a live process; empty if gone or a zombie.
comm_of() {
	alive "$1" || return 0
	cat "/proc/$1/comm" 2>/dev/null || true
}
ppid_of() { local f; f=$(stat_fields "$1") || return 0; f=${f#* }; echo "${f%% *}"; }
# Start time of a process in seconds since the epoch.
start_of() {
	local f btime hz
	read -ra f <<<"$(stat_fields "$1")" || return 1 # f[0] is field 3; starttime is field 22
	[[ ${#f[@]} -gt 19 ]] || return 1
	btime=$(awk '$1 == "btime" { print $2 }' /proc/stat)
	hz=$(getconf CLK_TCK)
	echo $((btime + f[19] / hz))
}

# --- the record ------------------------------------------------------------
# Print the pid in the record if it names a live dockerd started no later
# than the record was written (so a reused pid is never taken for our
# daemon); false otherwise.
recorded_pid() {
	local pid started written
	[[ -f $record ]] || return 1
	pid=$(head -n1 "$record" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ $(comm_of "$pid") == dockerd ]] || return 1
	started=$(start_of "$pid") || return 1
	written=$(stat -c %Y "$record")
	((started <= written + 1)) || return 1
	echo "$pid"
}

# One engine-up/engine-down at a time: take the record's lock on fd 9,
# waiting up to SECONDS; it is held until exit or unlock_record.
lock_record() {
	exec 9>"$record.lock"
	flock -w "$1" 9 || die "another engine-up/engine-down holds $record.lock"
}
unlock_record() { exec 9>&-; }
