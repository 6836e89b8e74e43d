#!/usr/bin/env bats
# EC2 instances: AMIs registered as files, RunInstances written to ec2/run,
# long-lived containers of the local busybox image that run their user data
# once, stop, start, reboot and terminate through `state`, run commands and
# carry tags. Addresses are only read from files, never contacted.

load ../ec2_helper

setup() {
	nb_mount --ec2-image local/busybox:latest
	nb_engine_ready
	E="$MNT/ec2"
}

# try_rc TEXT: a whole run-command transaction under `run`.
try_rc() {
	run bash -c 'exec 8<>"$1" && printf "%s\n" "$2" >&8 && timeout 60 cat <&8' _ "$I/run-command" "$1"
}

# started_at CONTAINER: the engine's State.StartedAt of the container.
started_at() {
	engine GET "/containers/$1/json" | jq -r .State.StartedAt
}

# in_cidr IP CIDR: whether IP is an assignable address of CIDR (not the
# first four, not the last).
in_cidr() {
	local net=${2%/*} prefix=${2#*/} ip n
	ip=$(ip_num "$1")
	n=$(ip_num "$net")
	[ "$ip" -ge $((n + 4)) ] && [ "$ip" -lt $((n + (1 << (32 - prefix)) - 1)) ]
}

# tag_keys DIR: the instance's tag files (not last-error), sorted, on one line.
tag_keys() {
	ls "$1/tags" | grep -vx last-error | LC_ALL=C sort | tr '\n' ' '
}

# no_instances: no instance directory under ec2/.
no_instances() {
	! ls "$E" | grep -q '^i-'
}

@test "ec2: the directory lists images, last-error, latest, run and subnets; run is a 0600 transaction" {
	local f
	for f in images last-error run subnets; do
		[ -e "$E/$f" ] || { echo "missing $f"; false; }
	done
	[ -d "$E/images" ]
	[ -d "$E/subnets" ]
	[ "$(stat -c %a "$E/run")" = 600 ]
	[ -e "$E/images/last-error" ]
	[ -e "$E/subnets/last-error" ]
	[ -e "$E/subnets/create" ]
	launch
	run ls "$E"
	for f in images last-error latest run subnets "$ID"; do
		[[ " $(echo $output) " == *" $f "* ]] || { echo "missing $f in: $output"; false; }
	done
	[ "$(ls "$E" | grep -c '^i-')" -eq 1 ]
	[ -d "$I" ]
	run ls "$I"
	for f in state console user-data user-data-status image instance-type private-ip hostname \
		subnet container describe.json run-command tags last-error; do
		[[ " $(echo $output) " == *" $f "* ]] || { echo "missing $f in: $output"; false; }
	done
	[ "$(stat -c %a "$I/run-command")" = 600 ]
}

@test "ec2: an empty write launches one default t3.micro instance of the --ec2-image image" {
	launch
	[ "${#IDS[@]}" -eq 1 ]
	[ "$(readlink "$E/latest")" = "$ID" ]
	[[ "$(cat "$I/state")" =~ ^(pending|running)$ ]]
	running "$I"
	[ "$(cat "$I/image")" = local/busybox:latest ]
	[ "$(cat "$I/instance-type")" = t3.micro ]
	[ -z "$(cat "$I/user-data")" ]
	[ "$(cat "$I/user-data-status")" = none ]
	[[ "$(cat "$I/container")" =~ ^[0-9a-f]{64}$ ]]
	# it is in the default subnet, with an address of it and the matching hostname
	local subnet ip
	subnet="$(cat "$I/subnet")"
	[[ "$subnet" =~ ^subnet-[0-9a-f]{17}$ ]]
	[ "$(cat "$E/subnets/$subnet/default")" = true ]
	ip="$(cat "$I/private-ip")"
	in_cidr "$ip" "$(cat "$E/subnets/$subnet/cidr")"
	[ "$(cat "$I/hostname")" = "ip-${ip//./-}" ]
	jq -e --arg id "$ID" --arg ip "$ip" --arg sn "$subnet" '
		.InstanceId == $id and .State.Code == 16 and .State.Name == "running" and
		.InstanceType == "t3.micro" and .PrivateIpAddress == $ip and .SubnetId == $sn and
		(.PrivateDnsName | startswith("ip-" + ($ip | gsub("\\."; "-")))) and
		(.LaunchTime | length > 0) and (.Architecture | length > 0)' "$I/describe.json"
	# the same through the answer's fd: a second empty run gives another id
	local first="$ID"
	launch
	[ "$ID" != "$first" ]
	[ "$(readlink "$E/latest")" = "$ID" ]
	[ "$(ls "$E" | grep -c '^i-')" -eq 2 ]
}

@test "ec2: the container is nimbusfs's, has an init, its type's limits and the ip- hostname" {
	launch
	running "$I"
	local cid ncpu want_cpus
	cid="$(cat "$I/container")"
	ncpu="$(engine GET /info | jq -r .NCPU)"
	want_cpus=$(( (ncpu < 2 ? ncpu : 2) * 1000000000 ))
	engine GET "/containers/$cid/json" | jq -e --arg owner "$(cat "$STATE/id")" --arg id "$ID" \
		--arg host "$(cat "$I/hostname")" --argjson cpus "$want_cpus" '
		.State.Running == true and
		.HostConfig.Init == true and
		.HostConfig.Memory == 1073741824 and
		.HostConfig.NanoCpus == $cpus and
		.Config.Hostname == $host and
		.Config.Labels["io.nimbusfs.owner"] == $owner and
		.Config.Labels["io.nimbusfs.kind"] == "ec2" and
		.Config.Labels["io.nimbusfs.object"] == $id'
	# the hostname as the instance itself sees it
	run rc hostname
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg host "$(cat "$I/hostname")" '.StandardOutputContent == $host + "\n"'
	[[ "$(cat "$I/hostname")" =~ ^ip-[0-9]+-[0-9]+-[0-9]+-[0-9]+$ ]]
}

@test "ec2: InstanceType sets the limits; MinCount 2 MaxCount 2 launches two; other user data is not run" {
	local data=$'just some data\nnot a script\n'
	launch "{\"InstanceType\": \"t3.nano\", \"MinCount\": 2, \"MaxCount\": 2,
		\"UserData\": \"$(printf '%s' "$data" | base64 -w0)\"}"
	[ "${#IDS[@]}" -eq 2 ]
	[ "${IDS[0]}" != "${IDS[1]}" ]
	local id ips=()
	for id in "${IDS[@]}"; do
		[[ "$id" =~ ^i-[0-9a-f]{17}$ ]]
		running "$E/$id"
		[ "$(cat "$E/$id/instance-type")" = t3.nano ]
		jq -e '.InstanceType == "t3.nano"' "$E/$id/describe.json"
		engine GET "/containers/$(cat "$E/$id/container")/json" |
			jq -e '.HostConfig.Memory == 512 * 1024 * 1024 and .HostConfig.Init == true'
		[ "$(cat "$E/$id/user-data")" = "$(printf '%s' "$data")" ]
		[ "$(cmp <(printf '%s' "$data") "$E/$id/user-data" && echo same)" = same ]
		[[ "$(cat "$E/$id/user-data-status")" == "skipped: not a script (no #! line)"* ]]
		ips+=("$(cat "$E/$id/private-ip")")
	done
	[ "${ips[0]}" != "${ips[1]}" ]
	local latest
	latest="$(readlink "$E/latest")"
	[ "$latest" = "${IDS[0]}" ] || [ "$latest" = "${IDS[1]}" ]
}

@test "ec2: a #! user data script runs at first boot, its output in console, its exit status recorded" {
	launch "{\"UserData\": \"$UD_B64\"}"
	[ "$(cat "$I/user-data")" = "$(printf '%s' "$UD_SCRIPT")" ]
	nb_wait 30 grep -qx 'exited 3' "$I/user-data-status" || { cat "$I/user-data-status"; false; }
	running "$I"
	grep -qx hello-from-user-data "$I/console"
	[ "$(ud_count "$I")" -eq 1 ]
	# st_size is exact
	[ "$(stat -c %s "$I/console")" -eq "$(cat "$I/console" | wc -c)" ]
}

@test "ec2: console keeps the newest 64 KiB with an exact st_size" {
	local script=$'#!/bin/sh\nyes 012345678 | head -c 70000\necho END-OF-OUTPUT\n'
	launch "{\"UserData\": \"$(printf '%s' "$script" | base64 -w0)\"}"
	nb_wait 30 grep -qx 'exited 0' "$I/user-data-status" || { cat "$I/user-data-status"; false; }
	nb_wait 10 grep -qx END-OF-OUTPUT "$I/console"
	[ "$(stat -c %s "$I/console")" -eq 65536 ]
	[ "$(cat "$I/console" | wc -c)" -eq 65536 ]
	# the newest bytes are kept: the end is there, the first boot line is gone
	tail -n 3 "$I/console" | grep -qx END-OF-OUTPUT
	[ "$(grep -c 012345678 "$I/console")" -lt 7000 ]
}

@test "ec2: tail -f follows the console as the instance prints" {
	local script=$'#!/bin/sh\ni=0\nwhile [ $i -lt 30 ]; do echo tick-$i; i=$((i + 1)); sleep 0.2; done\n'
	launch "{\"UserData\": \"$(printf '%s' "$script" | base64 -w0)\"}"
	nb_wait 30 grep -qx tick-1 "$I/console"
	tail -f "$I/console" >"$BATS_TEST_TMPDIR/tail.out" &
	local tailer=$!
	# lines printed after tail opened the file reach it
	nb_wait 20 grep -qx tick-29 "$BATS_TEST_TMPDIR/tail.out" || { kill "$tailer"; cat "$BATS_TEST_TMPDIR/tail.out"; false; }
	kill "$tailer"
	nb_wait 10 grep -qx 'exited 0' "$I/user-data-status"
	[ "$(stat -c %s "$I/console")" -eq "$(cat "$I/console" | wc -c)" ]
}

@test "ec2: stop keeps the container and its files, start runs it again, user data does not run again" {
	launch "{\"UserData\": \"$UD_B64\"}"
	nb_wait 30 grep -qx 'exited 3' "$I/user-data-status"
	running "$I"
	local cid
	cid="$(cat "$I/container")"
	run rc 'echo kept-across-stop > /kept-file'
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ExitCode == 0'
	echo stop >"$I/state"
	nb_wait 30 state_is "$I" stopped || { cat "$I/state"; false; }
	jq -e '.State.Code == 80 and .State.Name == "stopped" and
		(.StateTransitionReason | test("^User initiated \\([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT\\)$")) and
		(.StateReason.Code | length > 0) and (.StateReason.Message | length > 0)' "$I/describe.json"
	# the container is kept, not running
	[ "$(cat "$I/container")" = "$cid" ]
	engine GET "/containers/$cid/json" | jq -e '.State.Running == false'
	# a stopped instance: stop again is EBUSY, run-command is EBUSY, rmdir is EBUSY
	try_write "$I/state" stop
	[ "$status" -ne 0 ]
	[[ "$output" == *"Device or resource busy"* ]]
	grep -q '^IncorrectInstanceState:' "$I/last-error"
	try_rc hostname
	[ "$status" -ne 0 ]
	[[ "$output" == *"Device or resource busy"* ]]
	run rmdir "$I"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Device or resource busy"* ]]
	[ -d "$I" ]
	# start: the same container runs again, with its file, without re-running user data
	echo start >"$I/state"
	running "$I"
	[ "$(cat "$I/container")" = "$cid" ]
	jq -e '.State.Code == 16 and .State.Name == "running"' "$I/describe.json"
	run rc 'cat /kept-file'
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ExitCode == 0 and .StandardOutputContent == "kept-across-stop\n"'
	sleep 1
	[ "$(ud_count "$I")" -eq 1 ]
	[ "$(cat "$I/user-data-status")" = "exited 3" ]
	# start of a running instance is EBUSY
	try_write "$I/state" start
	[ "$status" -ne 0 ]
	[[ "$output" == *"Device or resource busy"* ]]
	grep -q '^IncorrectInstanceState:' "$I/last-error"
}

@test "ec2: reboot restarts the same container in place without re-running user data; stop --force stops it" {
	launch "{\"UserData\": \"$UD_B64\"}"
	nb_wait 30 grep -qx 'exited 3' "$I/user-data-status"
	running "$I"
	local cid before
	cid="$(cat "$I/container")"
	before="$(started_at "$cid")"
	[ -n "$before" ]
	echo reboot >"$I/state"
	nb_wait 30 bash -c "[ \"\$(curl -sf --max-time 5 --unix-socket '$ENGINE_SOCK' http://localhost/v1.41/containers/$cid/json | jq -r .State.StartedAt)\" != '$before' ]"
	running "$I"
	[ "$(cat "$I/container")" = "$cid" ]
	engine GET "/containers/$cid/json" | jq -e '.State.Running == true'
	run rc 'echo back'
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.StandardOutputContent == "back\n"'
	sleep 1
	[ "$(ud_count "$I")" -eq 1 ]
	[ "$(cat "$I/user-data-status")" = "exited 3" ]
	# stop --force
	echo "stop --force" >"$I/state"
	nb_wait 15 state_is "$I" stopped || { cat "$I/state"; false; }
	jq -e '.State.Code == 80' "$I/describe.json"
	[ "$(cat "$I/container")" = "$cid" ]
	# reboot of a stopped instance is refused
	try_write "$I/state" reboot
	[ "$status" -ne 0 ]
	grep -q '^IncorrectInstanceState:' "$I/last-error"
}

@test "ec2: terminate removes the container and keeps the directory until rmdir; terminated refuses the rest" {
	launch
	running "$I"
	local cid
	cid="$(cat "$I/container")"
	# an unknown verb is EINVAL
	try_write "$I/state" hibernate
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	# rmdir of a running instance is EBUSY
	run rmdir "$I"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Device or resource busy"* ]]
	[ -d "$I" ]
	[ -n "$(cat "$E/last-error")" ]
	echo terminate >"$I/state"
	nb_wait 30 state_is "$I" terminated || { cat "$I/state"; false; }
	jq -e '.State.Code == 48 and .State.Name == "terminated" and
		(.StateTransitionReason | test("^User initiated \\([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT\\)$")) and
		(.StateReason.Code | length > 0)' "$I/describe.json"
	[ -z "$(cat "$I/container")" ]
	run engine GET "/containers/$cid/json"
	[ "$status" -ne 0 ]
	# start, stop and reboot of a terminated instance are EPERM
	local verb
	for verb in start stop reboot; do
		try_write "$I/state" "$verb"
		[ "$status" -ne 0 ] || { echo "$verb accepted"; false; }
		[[ "$output" == *"Operation not permitted"* ]]
		grep -q '^IncorrectInstanceState:' "$I/last-error"
	done
	try_rc hostname
	[ "$status" -ne 0 ]
	# terminate again is fine, as on AWS
	echo terminate >"$I/state"
	[ "$(cat "$I/state")" = terminated ]
	rmdir "$I"
	[ ! -e "$I" ]
	! ls "$E" | grep -q "$ID"
}

@test "ec2: run-command answers JSON with the exit code, status and output" {
	launch
	running "$I"
	run rc 'echo out-line; echo err-line >&2; exit 4'
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$ID" '
		.InstanceId == $id and (.CommandId | length > 0) and
		.Status == "Failed" and .ExitCode == 4 and .ResponseCode == 4 and
		.StandardOutputContent == "out-line\n" and .StandardErrorContent == "err-line\n"'
	run rc '{"commands": ["echo a", "echo b"], "timeoutSeconds": 20}'
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.Status == "Success" and .ExitCode == 0 and .ResponseCode == 0 and
		.StandardOutputContent == "a\nb\n"'
	run rc 'uname -s'
	echo "$output" | jq -e '.Status == "Success" and .StandardOutputContent == "Linux\n"'
	# bad JSON is EINVAL
	try_rc '{"commands": }'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	[ -n "$(cat "$I/last-error")" ]
}

@test "ec2: run-command past timeoutSeconds answers TimedOut in bounded time" {
	launch
	running "$I"
	local t0 t1
	t0="$(date +%s%N)"
	run rc '{"commands": ["sleep 5"], "timeoutSeconds": 1}'
	t1="$(date +%s%N)"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.Status == "TimedOut"'
	# well before the command itself would have ended
	[ $(( (t1 - t0) / 1000000 )) -lt 4500 ]
	# the instance still answers
	run rc 'echo alive'
	echo "$output" | jq -e '.StandardOutputContent == "alive\n"'
}

@test "ec2: tags from TagSpecifications are files; echo sets, rm removes; describe.json lists them" {
	launch '{"TagSpecifications": [{"ResourceType": "instance", "Tags": [
		{"Key": "Name", "Value": "web-1"}, {"Key": "env", "Value": "test"}]}]}'
	[ "$(tag_keys "$I")" = "Name env " ]
	[ "$(cat "$I/tags/Name")" = web-1 ]
	[ "$(cat "$I/tags/env")" = test ]
	jq -e '(.Tags | from_entries) == {"Name": "web-1", "env": "test"}' "$I/describe.json"
	echo prod >"$I/tags/env"
	[ "$(cat "$I/tags/env")" = prod ]
	echo alice >"$I/tags/owner"
	[ "$(stat -c %a "$I/tags/owner")" = 644 ]
	jq -e '(.Tags | from_entries) == {"Name": "web-1", "env": "prod", "owner": "alice"}' "$I/describe.json"
	rm "$I/tags/env"
	[ ! -e "$I/tags/env" ]
	# keys starting with aws: are reserved
	try_write "$I/tags/aws:name" x
	[ "$status" -ne 0 ]
	[ ! -e "$I/tags/aws:name" ]
	grep -q "aws:" "$I/tags/last-error"
	[ "$(tag_keys "$I")" = "Name owner " ]
	jq -e '(.Tags | from_entries) == {"Name": "web-1", "owner": "alice"}' "$I/describe.json"
	# an instance without tags has an empty tags/
	local tagged="$I"
	launch
	[ -z "$(tag_keys "$I")" ]
	jq -e '(.Tags // []) == []' "$I/describe.json"
	[ "$(cat "$tagged/tags/Name")" = web-1 ]
}

@test "ec2: images: writing registers an AMI, run uses it, rm deregisters it" {
	local ami=ami-0123456789abcdef0
	echo local/busybox:latest >"$E/images/$ami"
	[ "$(cat "$E/images/$ami")" = local/busybox:latest ]
	[ "$(cat "$E/images/$ami" | wc -c)" -eq 21 ]
	[ "$(stat -c %a "$E/images/$ami")" = 644 ]
	ls "$E/images" | grep -qx "$ami"
	# an 8-hex id is an AMI id too; writing again replaces
	echo busybox:1.36 >"$E/images/ami-12345678"
	[ "$(cat "$E/images/ami-12345678")" = busybox:1.36 ]
	echo local/busybox:latest >"$E/images/ami-12345678"
	[ "$(cat "$E/images/ami-12345678")" = local/busybox:latest ]
	launch "{\"ImageId\": \"$ami\"}"
	running "$I"
	[ "$(cat "$I/image")" = local/busybox:latest ]
	jq -e --arg ami "$ami" '.ImageId == $ami' "$I/describe.json"
	# deregister: gone from the listing, and run with it is ENOENT
	rm "$E/images/$ami"
	[ ! -e "$E/images/$ami" ]
	! ls "$E/images" | grep -qx "$ami"
	try_write "$E/run" "{\"ImageId\": \"$ami\"}"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	grep -q 'InvalidAMIID.NotFound' "$E/last-error"
	# the running instance is not affected
	[ "$(cat "$I/state")" = running ]
}

@test "ec2: images: a name that is no AMI id is EINVAL" {
	local name
	for name in ami-xyz ami-0123456789ABCDEF0 ami-1234567 foo; do
		try_write "$E/images/$name" local/busybox:latest
		[ "$status" -ne 0 ] || { echo "$name accepted"; false; }
		[[ "$output" == *"Invalid argument"* ]]
		[ ! -e "$E/images/$name" ]
	done
	[ "$(ls "$E/images" | grep -c '^ami-')" -eq 0 ]
}

@test "ec2: bad run requests fail with EINVAL or ENOENT, last-error names the field, nothing launches" {
	try_write "$E/run" '{"ImageId": }'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	grep -qi 'invalid JSON' "$E/last-error"
	try_write "$E/run" '{"MinCount": 3, "MaxCount": 2}'
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'maxCount' "$E/last-error"
	try_write "$E/run" '{"MinCount": 0}'
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'minCount' "$E/last-error"
	# 21 is above the instance limit of 20 (EC2 answers InstanceLimitExceeded)
	try_write "$E/run" '{"MaxCount": 21}'
	[ "$status" -ne 0 ]
	grep -q '21' "$E/last-error"
	try_write "$E/run" '{"InstanceType": "t3.mega"}'
	[[ "$output" == *"Invalid argument"* ]]
	grep -q "InstanceType" "$E/last-error"
	grep -q "t3.mega" "$E/last-error"
	try_write "$E/run" '{"UserData": "#!/bin/sh echo not base64"}'
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'BASE64' "$E/last-error"
	try_write "$E/run" '{"SubnetId": "subnet-0123456789abcdef0"}'
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'InvalidSubnetID.NotFound' "$E/last-error"
	try_write "$E/run" '{"ImageId": "ami-0fedcba9876543210"}'
	[[ "$output" == *"No such file or directory"* ]]
	grep -q 'InvalidAMIID.NotFound' "$E/last-error"
	try_write "$E/run" '{"ImageId": "ubuntu:22.04"}'
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'ImageId\|InvalidAMIID' "$E/last-error"
	try_write "$E/run" '{"Count": 2}'
	[[ "$output" == *"Invalid argument"* ]]
	grep -q 'Count' "$E/last-error"
	no_instances
	[ ! -e "$E/latest" ]
}
