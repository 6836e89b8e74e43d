#!/usr/bin/env bats
# EC2 subnets (Docker networks with the subnet's IPAM block), the private
# addresses instances get from them, and what survives an unmount, a kill -9
# of nimbusfs and a container removed behind its back. Addresses are only
# read from files and the engine, never contacted.

load ../ec2_helper

setup() {
	nb_mount --ec2-image local/busybox:latest
	nb_engine_ready
	E="$MNT/ec2"
	S="$E/subnets"
}

# remount: unmounts and mounts again on the same state dir.
remount() {
	nb_unmount
	nb_mount --ec2-image local/busybox:latest
	nb_engine_ready
	E="$MNT/ec2"
	S="$E/subnets"
}

# create_subnet JSON: subnets/create on one fd; SN gets the id.
create_subnet() {
	SN="$(printf '%s\n' "$1" | { exec 7<>"$S/create" || exit 1; cat >&7 || exit 1; timeout 30 cat <&7; })" || return 1
	[[ "$SN" =~ ^subnet-[0-9a-f]{17}$ ]]
}

# subnet_ids: the subnet directories, one per line.
subnet_ids() {
	ls "$S" | grep '^subnet-' || true
}

# default_subnet: the id of the subnet whose default reads true.
default_subnet() {
	local s
	for s in $(subnet_ids); do
		[ "$(cat "$S/$s/default")" = true ] && echo "$s"
	done
	true
}

# ip_str N: an address number as A.B.C.D.
ip_str() {
	echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"
}

# ip_at CIDR N: the Nth address of the block.
ip_at() {
	ip_str $(( $(ip_num "${1%/*}") + $2 ))
}

# check_network SUBNET-ID CIDR INTERNAL: the subnet's Docker network.
check_network() {
	local net
	net="$(cat "$S/$1/network")"
	[ -n "$net" ]
	engine GET "/networks/$net" | jq -e --arg cidr "$2" --argjson internal "$3" \
		--arg owner "$(cat "$STATE/id")" '
		.IPAM.Config[0].Subnet == $cidr and .Internal == $internal and
		.Labels["io.nimbusfs.owner"] == $owner and .Labels["io.nimbusfs.kind"] == "ec2-subnet"'
}

# container_ip DIR: the instance container's address on its subnet's network.
container_ip() {
	local net
	net="$(cat "$S/$(cat "$1/subnet")/network")"
	engine GET "/containers/$(cat "$1/container")/json" |
		jq -r --arg net "$net" '.NetworkSettings.Networks[$net].IPAddress'
}

@test "subnets: a default /20 subnet exists, instances get its first free address" {
	[ -e "$S/create" ]
	[ "$(stat -c %a "$S/create")" = 600 ]
	[ -e "$S/last-error" ]
	[ "$(subnet_ids | wc -l)" -eq 1 ]
	local d
	d="$(default_subnet)"
	[[ "$d" =~ ^subnet-[0-9a-f]{17}$ ]]
	local cidr first second
	cidr="$(cat "$S/$d/cidr")"
	[[ "$cidr" =~ ^10\.[0-9]+\.[0-9]+\.0/20$ ]]
	first="$(ip_at "$cidr" 4)"
	second="$(ip_at "$cidr" 5)"
	[ "$(cat "$S/$d/default")" = true ]
	[ "$(cat "$S/$d/private")" = false ]
	[ -z "$(cat "$S/$d/instances")" ]
	jq -e --arg id "$d" --arg cidr "$cidr" '.SubnetId == $id and .CidrBlock == $cidr and
		.State == "available" and .DefaultForAz == true and
		.AvailableIpAddressCount == 4091 and .MapPublicIpOnLaunch == false' "$S/$d/describe.json"
	# the first instance gets .4: .0 to .3 are reserved
	launch
	running "$I"
	[ "$(cat "$I/subnet")" = "$d" ]
	[ "$(cat "$I/private-ip")" = "$first" ]
	[ "$(cat "$I/hostname")" = "ip-${first//./-}" ]
	jq -e --arg ip "$first" --arg h "ip-${first//./-}" \
		'.PrivateIpAddress == $ip and (.PrivateDnsName | startswith($h))' "$I/describe.json"
	[ "$(cat "$S/$d/instances")" = "$ID" ]
	check_network "$d" "$cidr" false
	[ "$(container_ip "$I")" = "$first" ]
	# the second one .5
	launch
	[ "$(cat "$I/private-ip")" = "$second" ]
	[ "$(grep -c '^i-' "$S/$d/instances")" -eq 2 ]
}

@test "subnets: rmdir of the default subnet is EPERM" {
	local d
	d="$(default_subnet)"
	run rmdir "$S/$d"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	grep -q default "$S/last-error"
	[ -d "$S/$d" ]
}

@test "subnets: create answers an id; cidr, private, network and a labelled Docker network with that subnet" {
	create_subnet '{"CidrBlock": "10.77.1.0/24"}'
	local pub="$SN"
	[ -d "$S/$pub" ]
	[ "$(cat "$S/$pub/cidr")" = 10.77.1.0/24 ]
	[ "$(cat "$S/$pub/private")" = false ]
	[ "$(cat "$S/$pub/default")" = false ]
	[ -z "$(cat "$S/$pub/instances")" ]
	jq -e --arg id "$pub" '.SubnetId == $id and .CidrBlock == "10.77.1.0/24" and
		.State == "available" and .DefaultForAz == false and
		.AvailableIpAddressCount == 251 and .MapPublicIpOnLaunch == false' "$S/$pub/describe.json"
	check_network "$pub" 10.77.1.0/24 false
	# a private subnet is an internal network
	create_subnet '{"CidrBlock": "10.77.2.0/28", "Private": true}'
	[ "$SN" != "$pub" ]
	[ "$(cat "$S/$SN/cidr")" = 10.77.2.0/28 ]
	[ "$(cat "$S/$SN/private")" = true ]
	check_network "$SN" 10.77.2.0/28 true
	jq -e '.AvailableIpAddressCount == 11' "$S/$SN/describe.json"
	[ "$(subnet_ids | wc -l)" -eq 3 ]
	subnet_ids | grep -qx "$pub"
	subnet_ids | grep -qx "$SN"
}

@test "subnets: instances get addresses from their subnet in order, or their free PrivateIpAddress" {
	create_subnet '{"CidrBlock": "10.77.4.0/24"}'
	launch "{\"SubnetId\": \"$SN\"}"
	local a="$ID"
	running "$I"
	[ "$(cat "$I/subnet")" = "$SN" ]
	[ "$(cat "$I/private-ip")" = 10.77.4.4 ]
	[ "$(cat "$I/hostname")" = ip-10-77-4-4 ]
	[ "$(container_ip "$I")" = 10.77.4.4 ]
	jq -e --arg sn "$SN" '.SubnetId == $sn and .PrivateIpAddress == "10.77.4.4"' "$I/describe.json"
	# a given free address is used
	launch "{\"SubnetId\": \"$SN\", \"PrivateIpAddress\": \"10.77.4.20\"}"
	local b="$ID"
	running "$I"
	[ "$(cat "$I/private-ip")" = 10.77.4.20 ]
	[ "$(cat "$I/hostname")" = ip-10-77-4-20 ]
	[ "$(container_ip "$I")" = 10.77.4.20 ]
	run rc hostname
	echo "$output" | jq -e '.StandardOutputContent == "ip-10-77-4-20\n"'
	# the next free one is .5
	launch "{\"SubnetId\": \"$SN\"}"
	local c="$ID"
	[ "$(cat "$I/private-ip")" = 10.77.4.5 ]
	[ "$(sort "$S/$SN/instances" | tr '\n' ' ')" = "$(printf '%s\n' "$a" "$b" "$c" | sort | tr '\n' ' ')" ]
	jq -e '.AvailableIpAddressCount == 248' "$S/$SN/describe.json"
	# an address in use, reserved, or outside the subnet is refused
	try_write "$E/run" "{\"SubnetId\": \"$SN\", \"PrivateIpAddress\": \"10.77.4.20\"}"
	[ "$status" -ne 0 ]
	grep -q 'InvalidIPAddress.InUse' "$E/last-error"
	local ip
	for ip in 10.77.4.20 10.77.4.1 10.77.4.255 10.77.5.9; do
		try_write "$E/run" "{\"SubnetId\": \"$SN\", \"PrivateIpAddress\": \"$ip\"}"
		[ "$status" -ne 0 ] || { echo "$ip accepted"; false; }
		[ -n "$(cat "$E/last-error")" ]
	done
	[ "$(ls "$E" | grep -c '^i-')" -eq 3 ]
	# a PrivateIpAddress in the default subnet without SubnetId
	local want
	want="$(ip_at "$(cat "$S/$(default_subnet)/cidr")" 263)"
	launch "{\"PrivateIpAddress\": \"$want\"}"
	[ "$(cat "$I/private-ip")" = "$want" ]
	[ "$(cat "$I/subnet")" = "$(default_subnet)" ]
}

@test "subnets: invalid and overlapping CIDRs are EINVAL with the reason in last-error" {
	create_subnet '{"CidrBlock": "10.77.6.0/24"}'
	local cidr dcidr
	dcidr="$(cat "$S/$(default_subnet)/cidr")"
	# the default's own block, a /24 inside it, and the /16 holding it
	for cidr in 10.77.6.128/25 10.77.0.0/16 10.77.6.0/24 "$dcidr" "${dcidr%/*}/24" \
		"$(echo "$dcidr" | cut -d. -f1-2).0.0/16"; do
		try_write "$S/create" "{\"CidrBlock\": \"$cidr\"}"
		[ "$status" -ne 0 ] || { echo "$cidr accepted"; false; }
		[[ "$output" == *"Invalid argument"* ]]
		grep -qF "$cidr" "$S/last-error" || { cat "$S/last-error"; false; }
	done
	for cidr in 10.77.7.1/24 10.0.0.0/8 10.77.7.0/29 10.77.7.0/15; do
		try_write "$S/create" "{\"CidrBlock\": \"$cidr\"}"
		[ "$status" -ne 0 ] || { echo "$cidr accepted"; false; }
		[[ "$output" == *"Invalid argument"* ]]
		grep -q "InvalidSubnet.Range" "$S/last-error"
	done
	for cidr in garbage 10.77.7.0 256.0.0.0/16 ""; do
		try_write "$S/create" "{\"CidrBlock\": \"$cidr\"}"
		[ "$status" -ne 0 ] || { echo "'$cidr' accepted"; false; }
		[[ "$output" == *"Invalid argument"* ]]
		[ -n "$(cat "$S/last-error")" ]
	done
	try_write "$S/create" '{"CidrBlock": }'
	[[ "$output" == *"Invalid argument"* ]]
	try_write "$S/create" '{}'
	[ "$status" -ne 0 ]
	grep -qi 'CidrBlock' "$S/last-error"
	# only the default and the first one exist
	[ "$(subnet_ids | wc -l)" -eq 2 ]
}

@test "subnets: rmdir is EBUSY while an instance is in it; an empty one goes with its network" {
	create_subnet '{"CidrBlock": "10.77.8.0/24", "Private": true}'
	local net
	net="$(cat "$S/$SN/network")"
	engine GET "/networks/$net" >/dev/null
	launch "{\"SubnetId\": \"$SN\"}"
	running "$I"
	[ "$(cat "$S/$SN/instances")" = "$ID" ]
	run rmdir "$S/$SN"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Device or resource busy"* ]]
	[ -d "$S/$SN" ]
	[ -n "$(cat "$S/last-error")" ]
	# still busy with a stopped instance
	echo stop >"$I/state"
	nb_wait 30 state_is "$I" stopped
	run rmdir "$S/$SN"
	[[ "$output" == *"Device or resource busy"* ]]
	echo terminate >"$I/state"
	nb_wait 30 state_is "$I" terminated
	[ -z "$(cat "$S/$SN/instances")" ]
	rmdir "$S/$SN"
	[ ! -e "$S/$SN" ]
	! subnet_ids | grep -qx "$SN"
	run engine GET "/networks/$net"
	[ "$status" -ne 0 ]
	# the removed subnet is unknown to run
	try_write "$E/run" "{\"SubnetId\": \"$SN\"}"
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'InvalidSubnetID.NotFound' "$E/last-error"
	# and its block is free again
	create_subnet '{"CidrBlock": "10.77.8.0/24"}'
}

@test "restart: after an unmount, instances, console, tags, subnets and AMIs are found again" {
	local ami=ami-0123456789abcdef0
	echo local/busybox:latest >"$E/images/$ami"
	create_subnet '{"CidrBlock": "10.77.10.0/24", "Private": true}'
	local sn="$SN" d
	d="$(default_subnet)"
	launch "{\"ImageId\": \"$ami\", \"SubnetId\": \"$sn\", \"MinCount\": 2, \"MaxCount\": 2,
		\"UserData\": \"$UD_B64\",
		\"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": \"Name\", \"Value\": \"keeper\"}]}]}"
	local a="${IDS[0]}" b="${IDS[1]}"
	local id
	for id in "$a" "$b"; do
		running "$E/$id"
		nb_wait 30 grep -qx 'exited 3' "$E/$id/user-data-status"
	done
	echo extra >"$E/$a/tags/role"
	I="$E/$a"
	run rc 'echo on-disk > /kept-file'
	[ "$status" -eq 0 ]
	echo stop >"$E/$b/state"
	nb_wait 30 state_is "$E/$b" stopped
	local ip_a cid_a cid_b
	ip_a="$(cat "$E/$a/private-ip")"
	cid_a="$(cat "$E/$a/container")"
	cid_b="$(cat "$E/$b/container")"
	remount
	# the running one runs, same container, address, console, tags
	nb_wait 15 state_is "$E/$a" running || { cat "$E/$a/state"; false; }
	[ "$(cat "$E/$a/container")" = "$cid_a" ]
	[ "$(cat "$E/$a/private-ip")" = "$ip_a" ]
	[ "$(cat "$E/$a/subnet")" = "$sn" ]
	[ "$(cat "$E/$a/image")" = local/busybox:latest ]
	[ "$(ud_count "$E/$a")" -eq 1 ]
	[ "$(cat "$E/$a/user-data-status")" = "exited 3" ]
	[ "$(cat "$E/$a/tags/Name")" = keeper ]
	[ "$(cat "$E/$a/tags/role")" = extra ]
	jq -e --arg ami "$ami" '.ImageId == $ami and .State.Code == 16 and
		(.Tags | from_entries) == {"Name": "keeper", "role": "extra"}' "$E/$a/describe.json"
	I="$E/$a"
	run rc 'cat /kept-file'
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.StandardOutputContent == "on-disk\n"'
	# the stopped one is stopped, and starts without re-running its user data
	[ "$(cat "$E/$b/state")" = stopped ]
	[ "$(cat "$E/$b/container")" = "$cid_b" ]
	[ "$(cat "$E/$b/tags/Name")" = keeper ]
	echo start >"$E/$b/state"
	running "$E/$b"
	sleep 1
	[ "$(ud_count "$E/$b")" -eq 1 ]
	# subnets and AMIs persist
	[ "$(default_subnet)" = "$d" ]
	[ "$(cat "$S/$sn/cidr")" = 10.77.10.0/24 ]
	[ "$(cat "$S/$sn/private")" = true ]
	check_network "$sn" 10.77.10.0/24 true
	[ "$(sort "$S/$sn/instances" | tr '\n' ' ')" = "$(printf '%s\n' "$a" "$b" | sort | tr '\n' ' ')" ]
	[ "$(cat "$E/images/$ami")" = local/busybox:latest ]
	# and work: a launch with the AMI into the subnet takes the next address
	launch "{\"ImageId\": \"$ami\", \"SubnetId\": \"$sn\"}"
	running "$I"
	[ "$(cat "$I/private-ip")" = 10.77.10.6 ]
}

@test "restart: an instance whose container was removed while unmounted reads terminated with a reason" {
	launch '{"MinCount": 2, "MaxCount": 2}'
	local gone="${IDS[0]}" kept="${IDS[1]}"
	running "$E/$gone"
	running "$E/$kept"
	local cid
	cid="$(cat "$E/$gone/container")"
	nb_unmount
	engine DELETE "/containers/$cid?force=1" >/dev/null
	nb_mount --ec2-image local/busybox:latest
	nb_engine_ready
	E="$MNT/ec2"
	nb_wait 30 state_is "$E/$gone" terminated || { cat "$E/$gone/state"; false; }
	jq -e '.State.Code == 48 and .State.Name == "terminated" and
		((.StateReason.Message // "") + (.StateTransitionReason // "") | length > 0)' "$E/$gone/describe.json"
	[ -z "$(cat "$E/$gone/container")" ]
	# the other one is untouched
	nb_wait 15 state_is "$E/$kept" running
	I="$E/$kept"
	run rc 'echo still-here'
	echo "$output" | jq -e '.StandardOutputContent == "still-here\n"'
	# the terminated one can be removed
	rmdir "$E/$gone"
	[ ! -e "$E/$gone" ]
}

@test "restart: after kill -9 of nimbusfs a new mount finds the instance running with console and tags" {
	launch "{\"UserData\": \"$UD_B64\",
		\"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": \"Name\", \"Value\": \"survivor\"}]}]}"
	running "$I"
	nb_wait 30 grep -qx 'exited 3' "$I/user-data-status"
	local cid ip
	cid="$(cat "$I/container")"
	ip="$(cat "$I/private-ip")"
	kill -9 "$NB_PID"
	nb_wait 10 bash -c "[ ! -e /proc/$NB_PID ] || grep -q '^State:.*Z' /proc/$NB_PID/status"
	wait "$NB_PID" 2>/dev/null || true
	NB_PID=""
	fusermount3 -uz "$MNT"
	nb_unmount
	nb_mount --ec2-image local/busybox:latest
	nb_engine_ready
	E="$MNT/ec2"
	I="$E/$ID"
	nb_wait 15 state_is "$I" running || { cat "$I/state"; false; }
	[ "$(cat "$I/container")" = "$cid" ]
	[ "$(cat "$I/private-ip")" = "$ip" ]
	# no console line lost or repeated
	[ "$(ud_count "$I")" -eq 1 ] || { cat "$I/console"; false; }
	[ "$(cat "$I/user-data-status")" = "exited 3" ]
	[ "$(cat "$I/tags/Name")" = survivor ]
	run rc hostname
	echo "$output" | jq -e --arg h "ip-${ip//./-}" '.StandardOutputContent == $h + "\n"'
	# the lifecycle still works
	echo stop >"$I/state"
	nb_wait 30 state_is "$I" stopped
	echo start >"$I/state"
	running "$I"
	[ "$(ud_count "$I")" -eq 1 ]
}
