#!/usr/bin/env bats
# EC2 with the engine unreachable: every action that needs it answers
# EHOSTDOWN with the reason in last-error, and nothing is recorded.

load ../helper

# launch: one default instance on the real engine, its directory in $I.
launch() {
	nb_mount --ec2-image local/busybox:latest
	nb_engine_ready
	echo >"$MNT/ec2/run"
	ID="$(readlink "$MNT/ec2/latest")"
	I="$MNT/ec2/$ID"
	nb_wait 30 grep -qx running "$I/state"
}

@test "ec2 faults: run answers EHOSTDOWN when the engine is unreachable" {
	nb_mount --engine unix:///nonexistent --ec2-image local/busybox:latest
	run bash -c "echo > '$MNT/ec2/run'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Host is down"* ]]
	grep -q "cannot launch" "$MNT/ec2/last-error"
	grep -q "engine unreachable" "$MNT/ec2/last-error"
	[ -z "$(ls "$MNT/ec2" | grep '^i-')" ]
}

@test "ec2 faults: state writes, run-command and subnets/create answer EHOSTDOWN" {
	launch
	nb_unmount
	nb_mount --engine unix:///nonexistent --ec2-image local/busybox:latest
	I="$MNT/ec2/$ID"
	# The record is back, with the state it had.
	[ "$(cat "$I/state")" = running ]
	run bash -c "echo stop > '$I/state'"
	[[ "$output" == *"Host is down"* ]]
	grep -q "cannot change the instance's state" "$I/last-error"
	[ "$(cat "$I/state")" = running ]
	run bash -c "echo terminate > '$I/state'"
	[[ "$output" == *"Host is down"* ]]
	run bash -c "echo true > '$I/run-command'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Host is down"* ]]
	grep -q "engine unreachable" "$I/last-error"
	run bash -c "echo '{\"CidrBlock\":\"10.37.0.0/24\"}' > '$MNT/ec2/subnets/create'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Host is down"* ]]
	grep -q "engine unreachable" "$MNT/ec2/subnets/last-error"
	[ "$(ls "$MNT/ec2/subnets" | grep -c '^subnet-')" -eq 1 ]
}

@test "ec2 faults: the engine's containers are found again after the engine was unreachable" {
	launch
	nb_unmount
	nb_mount --engine unix:///nonexistent --ec2-image local/busybox:latest
	[ "$(cat "$MNT/ec2/$ID/state")" = running ]
	nb_unmount
	nb_mount --ec2-image local/busybox:latest
	I="$MNT/ec2/$ID"
	nb_engine_ready
	nb_wait 10 grep -qx running "$I/state"
	echo stop >"$I/state"
	nb_wait 30 grep -qx stopped "$I/state"
}
