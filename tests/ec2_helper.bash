# tests/ec2_helper.bash - what the EC2 suites share: the mount, the user
# data most tests give, launches on one fd, run-command, and waits that end.

# Paths resolve from the test file (tests/integration/).
load ../helper

# The user data most tests give: a #! script that says hello and exits 3.
UD_SCRIPT=$'#!/bin/sh\necho hello-from-user-data\nexit 3\n'
UD_B64="$(printf '%s' "$UD_SCRIPT" | base64 -w0)"

# launch [JSON]: writes a RunInstances request (default: an empty line) to
# ec2/run and reads the answer on the same fd. IDS gets the ids, ID the
# first one and I its directory.
launch() {
	local out
	out="$(printf '%s\n' "${1:-}" | { exec 7<>"$E/run" || exit 1; cat >&7 || exit 1; timeout 30 cat <&7; })" || return 1
	mapfile -t IDS <<<"$out"
	ID="${IDS[0]}"
	I="$E/$ID"
	[[ "$ID" =~ ^i-[0-9a-f]{17}$ ]]
}

# try_write FILE TEXT: writes TEXT and a newline to FILE under `run`.
try_write() {
	run bash -c 'printf "%s\n" "$2" >"$1"' _ "$1" "$2"
}

# rc TEXT: runs TEXT through $I/run-command; the JSON answer on stdout.
rc() {
	local s
	exec 8<>"$I/run-command" || return 1
	printf '%s\n' "$1" >&8 || { exec 8<&-; return 1; }
	timeout 60 cat <&8
	s=$?
	exec 8<&-
	return $s
}

state_is() {
	[ "$(cat "$1/state" 2>/dev/null)" = "$2" ]
}

# running DIR: waits (bounded) until the instance in DIR runs.
running() {
	nb_wait 30 state_is "$1" running || { echo "state of $1: $(cat "$1/state")"; false; }
}

# ud_count DIR: how many times the user data's line is in the console.
ud_count() {
	grep -c hello-from-user-data "$1/console" || true
}

# ip_num A.B.C.D: the address as a number.
ip_num() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(( (a << 24) + (b << 16) + (c << 8) + d ))
}
