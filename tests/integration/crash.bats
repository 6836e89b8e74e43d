#!/usr/bin/env bats
# kill -9 of nimbusfs at random moments: while a task definition is
# registered, a task is run, a code.zip is closed, a Lambda setting, an EC2
# state verb or a secret is written. After each kill the same state dir is
# mounted again and every object is checked: nothing that was acknowledged
# is lost, nothing is torn (each value is the old one or the new one), the
# running task and instance are adopted again, and their output goes on
# without a line lost or repeated.
#
# Rounds: CRASH_ROUNDS (default 50, about 90 s; at least 6), seed CRASH_SEED
# (default random; it is printed, so a failing run can be replayed). The
# operations take turns from a random start, so every kind is killed at
# least once. Each round checks 7 kinds of objects: every task definition
# revision, every task, the Lambda function (config, package, unpacked
# tree, setting), the secret, the toggled EC2 instance, the ticking task's
# logs and the ticking instance's console.
#
# The third test needs gdb (it is skipped without it, or when gdb may not
# attach to the daemon).

load ../ec2_helper

OPTS=(--ec2-image local/busybox:latest --lambda-idle 60)

setup() {
	W="$BATS_TEST_TMPDIR"
	mount_again
}

teardown() {
	[ -z "${OP_PID:-}" ] || kill -9 "$OP_PID" 2>/dev/null || true
	# timeout(1) leads its own process group, gdb in it
	[ -z "${GDB_PID:-}" ] || kill -9 -- -"$GDB_PID" 2>/dev/null || kill -9 "$GDB_PID" 2>/dev/null || true
	# a dead daemon's mount is no mountpoint to mountpoint(1): detach it
	if [ -n "${MNT:-}" ] && ! mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -uz "$MNT" 2>/dev/null || true
	fi
	nb_cleanup
}

# mount_again: mounts the state dir ($STATE, or a new one) and waits for
# the engine.
mount_again() {
	nb_mount "${OPTS[@]}"
	disown "$NB_PID" # killed on purpose: no "Killed" notes from bash
	nb_engine_ready
	nb_paths
	SECRET="$MNT/ecs/secrets/crash-secret"
}

# --- the crash ----------------------------------------------------------

# dead: once the daemon is dead (killed by SIGKILL), detaches its mount and
# forgets it. Its log is kept only if it holds a sanitizer report.
dead() {
	nb_wait 10 bash -c "[ ! -e /proc/$NB_PID ] || grep -q '^State:.*Z' /proc/$NB_PID/status" ||
		{ echo "nimbusfs $NB_PID did not die"; return 1; }
	NB_PID=""
	fusermount3 -uz "${MNT:?}"
	rmdir "$MNT"
	MNT=""
	if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$NB_LOG"; then
		cat "$NB_LOG" >&2
		return 1
	fi
	rm -f "$NB_LOG"
}

# crash: kill -9 the daemon and mount the same state dir again.
crash() {
	kill -9 "$NB_PID"
	dead
	mount_again
}

# --- fixtures --------------------------------------------------------------

# mkzip OUT WHICH: a package of 600 files of random text (about 1 MB
# zipped, so unpacking it takes a while) with a `which` file naming it.
mkzip() {
	python3 - "$1" "$2" <<'PY'
import base64, os, sys, zipfile
out, which = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("function.sh", 'handler() { echo "\\"%s\\""; }\n' % which)
    z.writestr("which", which + "\n")
    for i in range(600):
        z.writestr("data/f%03d.txt" % i, base64.b64encode(os.urandom(1500)).decode())
PY
}

b64sha() {
	openssl dgst -sha256 -binary "$1" | base64
}

# make_fn_zip ZIP: the function fn, Active with the package ZIP.
make_fn_zip() {
	mkdir "$L/fn"
	echo provided.al2023 >"$L/fn/runtime"
	echo function.handler >"$L/fn/handler"
	cp "$1" "$L/fn/code.zip"
	[ "$(head -n 1 "$L/fn/state")" = Active ]
}

# --- the objects and what they should read ---------------------------------

fixtures() {
	# a ticking task (awsvpc: a pause container, the app and a sidecar: two
	# captures share its task.log)
	nb_register "{\"family\": \"ticker\", \"containerDefinitions\": [{\"name\": \"app\",
		\"image\": \"local/busybox:latest\", \"command\": [\"sh\", \"-c\", \"$(nb_tick_cmd 0.05)\"],
		\"stopTimeout\": 2}, {\"name\": \"side\", \"essential\": false,
		\"image\": \"local/busybox:latest\", \"command\": [\"sh\", \"-c\", \"$(nb_tick_cmd 0.07)\"],
		\"stopTimeout\": 2}]}"
	TICK_TASK="$(nb_run_task ticker)"
	# the short tasks the run operation starts
	nb_register '{"family": "short", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["sh", "-c", "echo one; echo two"], "stopTimeout": 2}]}'
	# the family the register operation adds revisions to
	REG_REVS=0
	# a function with two packages to switch between
	mkzip "$W/A.zip" A
	mkzip "$W/B.zip" B
	SHA_A="$(b64sha "$W/A.zip")"
	SHA_B="$(b64sha "$W/B.zip")"
	make_fn_zip "$W/A.zip"
	CODE=A
	TIMEOUT=3
	# the secret, one line (a value file commits at its newline)
	SECRET_VAL="$(secret_value 0)"
	printf '%s\n' "$SECRET_VAL" >"$SECRET"
	# a ticking instance, and one that is stopped and started
	launch "{\"UserData\": \"$(printf '#!/bin/sh\n(%s) &\n' "$(nb_tick_cmd 0.05)" | base64 -w0)\"}"
	TICK_I="$ID"
	launch ""
	TOG="$ID"
	TOG_STATE=running
	running "$E/$TICK_I"
	running "$E/$TOG"
	nb_wait 20 grep -qx RUNNING "$TASKS/$TICK_TASK/status"
	TICK_TASK_CID="$(cat "$TASKS/$TICK_TASK/containers/app/id")"
	TICK_I_CID="$(cat "$E/$TICK_I/container")"
	nb_wait 10 grep -q 'tick 3$' "$E/$TICK_I/console"
	nb_wait 10 grep -q 'tick 3$' "$TASKS/$TICK_TASK/logs"
}

# secret_value N: a one-line value of about 8 KiB that names N.
secret_value() {
	printf "v$1-%.0s" $(seq 1 2000)
}

# count_short: how many tasks of the family short there are.
count_short() {
	local d n=0
	for d in "$TASKS"/*/; do
		[[ "$d" =~ /[0-9a-f]{32}/$ ]] || continue # not latest
		case "$(readlink "$d/task-definition")" in */short/*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}

# --- one operation, started in the background ------------------------------

# do_op OP: the operation itself, with NEW set by start_op.
do_op() {
	case $1 in
	register) printf '%s\n' "$NEW" >"$TD/register" ;;
	run) echo short >"$TASKS/run" ;;
	code) cp "$W/$NEW.zip" "$L/fn/code.zip" ;;
	setting) echo "$NEW" >"$L/fn/timeout" ;;
	ec2) echo "$NEW" >"$E/$TOG/state" ;;
	secret) printf '%s\n' "$NEW" >"$SECRET" ;;
	esac
}

# start_op OP ROUND: starts OP in the background; its status goes to $W/rc.
start_op() {
	local op=$1 n=$2
	rm -f "$W/rc"
	case $op in
	register)
		NEW="{\"family\": \"reg\", \"containerDefinitions\": [{\"name\": \"app\",
			\"image\": \"local/busybox:latest\", \"command\": [\"true\"],
			\"environment\": [{\"name\": \"MARK\", \"value\": \"round-$n\"}]}]}"
		;;
	run) NEW="" ;;
	code) [ "$CODE" = A ] && NEW=B || NEW=A ;;
	setting)
		NEW=$((RANDOM % 900 + 1))
		[ "$NEW" != "$TIMEOUT" ] || NEW=$((NEW % 900 + 1))
		;;
	ec2) [ "$TOG_STATE" = running ] && NEW=stop || NEW=start ;;
	secret) NEW="$(secret_value "$n")" ;;
	esac
	(if do_op "$op"; then echo 0 >"$W/rc"; else echo 1 >"$W/rc"; fi) 2>/dev/null 3>&- &
	OP_PID=$!
}

# finish_op: after the crash, waits for the operation to end (the dead
# mount fails whatever it still waited for); ACKED=1 if it succeeded.
finish_op() {
	nb_wait 10 nb_gone "$OP_PID" || { echo "the operation still hangs"; return 1; }
	wait "$OP_PID" 2>/dev/null || true
	OP_PID=""
	ACKED=0
	[ "$(cat "$W/rc" 2>/dev/null)" = 0 ] && ACKED=1
	return 0
}

# --- the checks -------------------------------------------------------------

fail() {
	echo "round $ROUND ($OP, acked $ACKED): $*" >&2
	return 1
}

check_taskdefs() {
	local fam f rev max
	for fam in "$TD"/*/; do
		fam="${fam%/}"
		max=0
		for f in "$fam"/*.json; do
			rev="$(basename "$f" .json)"
			jq -e --argjson r "$rev" '.taskDefinition.revision == $r and .taskDefinition.status == "ACTIVE"' \
				"$f" >/dev/null || fail "$f does not parse or is not revision $rev" || return 1
			[ "$rev" -le "$max" ] || max=$rev
		done
		[ "$(ls "$fam" | grep -c '\.json$')" -eq "$max" ] || fail "$fam: revisions are not 1..$max: $(ls "$fam")" || return 1
		[ "$(readlink "$fam/latest")" = "$max.json" ] || fail "$fam/latest -> $(readlink "$fam/latest"), not $max.json" || return 1
	done
	max="$(ls "$TD/reg" 2>/dev/null | grep -c '\.json$' || true)"
	if [ "$OP" = register ]; then
		[ "$max" -eq $((REG_REVS + 1)) ] || { [ "$ACKED" = 0 ] && [ "$max" -eq "$REG_REVS" ]; } ||
			fail "family reg has $max revisions, had $REG_REVS" || return 1
		if [ "$max" -gt "$REG_REVS" ]; then
			jq -e --arg m "round-$ROUND" '.taskDefinition.containerDefinitions[0].environment[0].value == $m' \
				"$TD/reg/$max.json" >/dev/null || fail "reg/$max.json is not this round's" || return 1
		fi
		REG_REVS=$max
	fi
	[ "$max" -eq "$REG_REVS" ] || fail "family reg has $max revisions, expected $REG_REVS"
}

check_tasks() {
	local d n
	for d in "$TASKS"/*/; do
		[[ "$d" =~ /[0-9a-f]{32}/$ ]] || continue # not latest
		jq -e '.taskArn and (.lastStatus | IN("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"))' \
			"$d/describe.json" >/dev/null || fail "$d/describe.json does not parse or has no valid lastStatus" || return 1
	done
	n="$(count_short)"
	if [ "$OP" = run ]; then
		[ "$n" -eq $((SHORT_N + 1)) ] || { [ "$ACKED" = 0 ] && [ "$n" -eq "$SHORT_N" ]; } ||
			fail "$n short tasks, had $SHORT_N" || return 1
		SHORT_N=$n
	fi
	[ "$n" -eq "$SHORT_N" ] || fail "$n short tasks, expected $SHORT_N"
}

check_lambda() {
	local F="$L/fn" sha got which to
	jq -e . "$F/config.json" >/dev/null || fail "config.json does not parse" || return 1
	[ "$(head -n 1 "$F/state")" = Active ] || fail "state: $(cat "$F/state")" || return 1
	cat "$F/code.zip" >"$W/back.zip" || fail "code.zip unreadable" || return 1
	sha="$(b64sha "$W/back.zip")"
	got="$(cat "$F/code-sha256")"
	[ "$got" = "$sha" ] || fail "code-sha256 $got, but code.zip's is $sha" || return 1
	jq -e --arg s "$sha" --argjson n "$(stat -c %s "$W/back.zip")" '.CodeSha256 == $s and .CodeSize == $n' \
		"$F/config.json" >/dev/null || fail "config.json's CodeSha256/CodeSize are not code.zip's" || return 1
	which="$(cat "$F/code/which")"
	case $sha in
	"$SHA_A") [ "$which" = A ] || fail "package A, unpacked tree $which" || return 1 ;;
	"$SHA_B") [ "$which" = B ] || fail "package B, unpacked tree $which" || return 1 ;;
	*) fail "code.zip is neither package (torn)"; return 1 ;;
	esac
	to="$(cat "$F/timeout")"
	jq -e --argjson t "$to" '.Timeout == $t' "$F/config.json" >/dev/null || fail "timeout $to, config.json says otherwise" || return 1
	case $OP in
	code)
		[ "$which" = "$NEW" ] || { [ "$ACKED" = 0 ] && [ "$which" = "$CODE" ]; } || fail "package $which, was $CODE, wrote $NEW" || return 1
		CODE=$which
		;;
	setting)
		[ "$to" = "$NEW" ] || { [ "$ACKED" = 0 ] && [ "$to" = "$TIMEOUT" ]; } || fail "timeout $to, was $TIMEOUT, wrote $NEW" || return 1
		TIMEOUT=$to
		;;
	esac
	[ "$which" = "$CODE" ] || fail "package $which, expected $CODE" || return 1
	[ "$to" = "$TIMEOUT" ] || fail "timeout $to, expected $TIMEOUT"
}

check_secret() {
	local v
	v="$(cat "$SECRET")" || fail "secret unreadable" || return 1
	if [ "$OP" = secret ]; then
		[ "$v" = "$NEW" ] || { [ "$ACKED" = 0 ] && [ "$v" = "$SECRET_VAL" ]; } ||
			fail "secret is ${#v} bytes: ${v:0:40}..., neither the old nor the new value" || return 1
		SECRET_VAL="$v"
	fi
	[ "$v" = "$SECRET_VAL" ] || fail "secret changed by itself: ${v:0:40}..."
}

settled() {
	case "$(cat "$E/$TOG/state" 2>/dev/null)" in running | stopped) return 0 ;; esac
	return 1
}

check_ec2() {
	local s f
	for f in "$E"/i-*/describe.json; do
		jq -e '.InstanceId and .State.Name' "$f" >/dev/null || fail "$f does not parse" || return 1
	done
	nb_wait 30 settled || fail "$TOG stays $(cat "$E/$TOG/state")" || return 1
	s="$(cat "$E/$TOG/state")"
	if [ "$OP" = ec2 ]; then
		local want=stopped
		[ "$NEW" = start ] && want=running
		[ "$s" = "$want" ] || { [ "$ACKED" = 0 ] && [ "$s" = "$TOG_STATE" ]; } ||
			fail "$TOG is $s after '$NEW', was $TOG_STATE" || return 1
		TOG_STATE=$s
	fi
	[ "$s" = "$TOG_STATE" ] || fail "$TOG is $s, expected $TOG_STATE"
}

check_tickers() {
	local T="$TASKS/$TICK_TASK" I="$E/$TICK_I"
	nb_wait 15 grep -qx RUNNING "$T/status" || fail "ticking task is $(cat "$T/status")" || return 1
	[ "$(cat "$T/containers/app/id")" = "$TICK_TASK_CID" ] || fail "ticking task has another container" || return 1
	nb_ticks_ok "$T/logs" '\[app\] ' >/dev/null || fail "ticking task's logs lost or repeated a line" || return 1
	nb_ticks_ok "$T/logs" '\[side\] ' >/dev/null || fail "ticking task's sidecar lost or repeated a line in task.log" || return 1
	nb_ticks_ok "$T/containers/side/logs" '' >/dev/null || fail "ticking task's sidecar log lost or repeated a line" || return 1
	nb_wait 15 state_is "$I" running || fail "ticking instance is $(cat "$I/state")" || return 1
	[ "$(cat "$I/container")" = "$TICK_I_CID" ] || fail "ticking instance has another container" || return 1
	nb_ticks_ok "$I/console" '' >/dev/null || fail "ticking instance's console lost or repeated a line"
}

check_all() {
	check_taskdefs && check_tasks && check_lambda && check_secret && check_ec2 && check_tickers
}

# --- the test ---------------------------------------------------------------

@test "crash: kill -9 at random moments loses nothing acknowledged and tears nothing" {
	local rounds=${CRASH_ROUNDS:-50} seed=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
	local ops=(register run code setting ec2 secret) kills=0 acked=0 first
	[ "$rounds" -ge "${#ops[@]}" ] || { echo "CRASH_ROUNDS=$rounds: at least ${#ops[@]}, one per operation"; false; }
	echo "# seed $seed, $rounds rounds" >&3
	fixtures
	SHORT_N=0
	RANDOM=$seed
	first=$((RANDOM % ${#ops[@]}))
	for ((ROUND = 1; ROUND <= rounds; ROUND++)); do
		OP=${ops[(first + ROUND) % ${#ops[@]}]}
		# 0-200 ms, but two rounds in three within 30 ms, while most
		# operations are still under way
		local ms=$((RANDOM % 3 ? RANDOM % 31 : RANDOM % 201))
		[ "$OP" != ec2 ] || nb_wait 30 settled
		[ "$OP" != ec2 ] || TOG_STATE="$(cat "$E/$TOG/state")"
		start_op "$OP" "$ROUND"
		sleep "$(printf '0.%03d' "$ms")"
		crash
		kills=$((kills + 1))
		finish_op
		acked=$((acked + ACKED))
		nb_engine_ready || fail "the engine is not ready after the remount"
		check_all || { echo "seed $seed: round $ROUND failed ($OP after $ms ms, acked $ACKED)"; false; }
	done
	echo "# $kills kills, $acked operations acknowledged before the kill" >&3
	# the checks of acknowledged operations ran at least once
	[ "$acked" -gt 0 ] || { echo "seed $seed: no operation was acknowledged before its kill"; false; }

	# Output goes on after the last restart.
	local t0 i0
	t0="$(nb_ticks_ok "$TASKS/$TICK_TASK/logs" '\[app\] ')"
	i0="$(nb_ticks_ok "$E/$TICK_I/console" '')"
	nb_wait 10 bash -c "[ \$(grep -c 'tick' '$TASKS/$TICK_TASK/logs') -gt $((t0 + 5)) ]"
	nb_wait 10 bash -c "[ \$(grep -c '^tick' '$E/$TICK_I/console') -gt $((i0 + 5)) ]"
	nb_ticks_ok "$TASKS/$TICK_TASK/logs" '\[app\] '
	nb_ticks_ok "$TASKS/$TICK_TASK/logs" '\[side\] '
	nb_ticks_ok "$E/$TICK_I/console" ''
	# Every short task ends, each with its two lines once.
	local d shorts=0
	for d in "$TASKS"/*/; do
		[[ "$d" =~ /[0-9a-f]{32}/$ ]] || continue # not latest
		case "$(readlink "$d/task-definition")" in */short/*) ;; *) continue ;; esac
		shorts=$((shorts + 1))
		nb_wait 30 grep -qx STOPPED "$d/status" || { echo "$d is $(cat "$d/status")"; false; }
		[ -n "$(cat "$d/stop-code")" ] && [ -n "$(cat "$d/stopped-reason")" ]
		if [ "$(cat "$d/stop-code")" = EssentialContainerExited ]; then
			[ "$(cat "$d/logs")" = "$(printf '[app] one\n[app] two')" ] || { echo "$d/logs:"; cat "$d/logs"; false; }
		fi
	done
	[ "$shorts" -eq "$SHORT_N" ] || { echo "checked $shorts short tasks of $SHORT_N"; false; }
	# The function still runs its current package.
	[ "$(nb_invoke fn '{}')" = "\"$CODE\"" ]
}

@test "crash: a stop, start or terminate acknowledged before kill -9 is carried out after the restart" {
	# Three instances: A to stop, B (stopped) to start, C to terminate.
	launch ""
	local A="$ID"
	launch ""
	local B="$ID"
	launch ""
	local C="$ID"
	running "$E/$A"
	running "$E/$B"
	running "$E/$C"
	echo stop >"$E/$B/state"
	nb_wait 30 state_is "$E/$B" stopped
	# A task to stop.
	nb_register '{"family": "victim", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["sleep", "300"], "stopTimeout": 2}]}'
	local T
	T="$TASKS/$(nb_run_task victim)"
	nb_wait 20 grep -qx RUNNING "$T/status"
	# The 4 job workers wait for a dependsOn HEALTHY that never comes, so
	# the jobs of the verbs below stay queued until the kill.
	nb_register '{"family": "blocker", "networkMode": "bridge", "containerDefinitions": [
		{"name": "a", "image": "local/busybox:latest", "command": ["sleep", "60"], "essential": false,
		 "stopTimeout": 2, "healthCheck": {"command": ["CMD-SHELL", "false"], "interval": 30, "retries": 10}},
		{"name": "b", "image": "local/busybox:latest", "command": ["sleep", "60"], "stopTimeout": 2,
		 "startTimeout": 60, "dependsOn": [{"containerName": "a", "condition": "HEALTHY"}]}]}'
	local i blockers=()
	for i in 1 2 3 4; do
		blockers+=("$(nb_run_task blocker)")
	done
	for i in "${blockers[@]}"; do
		nb_wait 20 grep -qx RUNNING "$TASKS/$i/containers/a/status"
	done
	echo stop >"$E/$A/state"
	echo start >"$E/$B/state"
	echo terminate >"$E/$C/state"
	echo "stop by the user" >"$T/ctl"
	sleep 0.5
	# Still queued: nothing has been done yet.
	[ "$(cat "$E/$A/state")" = stopping ]
	[ "$(cat "$E/$B/state")" = pending ]
	[ "$(cat "$T/status")" = RUNNING ]
	[ "$(cat "$T/desired")" = STOPPED ]
	crash
	nb_engine_ready
	T="$TASKS/$(basename "$T")"
	nb_wait 30 state_is "$E/$A" stopped || { echo "stop lost: $A is $(cat "$E/$A/state")"; false; }
	nb_wait 30 state_is "$E/$B" running || { echo "start lost: $B is $(cat "$E/$B/state")"; false; }
	nb_wait 30 state_is "$E/$C" terminated || { echo "terminate lost: $C is $(cat "$E/$C/state")"; false; }
	nb_wait 30 grep -qx STOPPED "$T/status" ||
		{ echo "task stop lost: $(cat "$T/status"), desired $(cat "$T/desired")"; false; }
	[ "$(cat "$T/stop-code")" = UserInitiated ]
	[ "$(cat "$T/stopped-reason")" = "by the user" ]
	jq -e '.State.Name == "stopped" and .StateReason.Code' "$E/$A/describe.json"
	# The blockers' launches were cut short: they end, with a reason.
	for i in "${blockers[@]}"; do
		nb_wait 30 grep -qx STOPPED "$TASKS/$i/status"
		[ -n "$(cat "$TASKS/$i/stopped-reason")" ]
	done
}

@test "crash: kill -9 between a package's commit and the move of its unpacked tree leaves it whole" {
	command -v gdb >/dev/null || skip "gdb is not installed"
	"$ROOT/tests/mkzip.py" "$W/A.zip" 'function.sh=handler() { echo "\"A\""; }' 'which=A'
	"$ROOT/tests/mkzip.py" "$W/B.zip" 'function.sh=handler() { echo "\"B\""; }' 'which=B'
	make_fn_zip "$W/A.zip"
	# gdb stops the daemon at its first rename(3), which moves the old tree
	# aside once config.json names the new package (state files and
	# code.zip are renamed with renameat), and kills it there.
	timeout 30 gdb -q -p "$NB_PID" -batch -ex 'handle all nostop noprint pass' -ex 'break rename' \
		-ex continue -ex 'bt 3' -ex kill >"$W/gdb.out" 2>&1 3>&- &
	GDB_PID=$!
	nb_wait 20 bash -c "grep -q '^Breakpoint 1 at' '$W/gdb.out' || ! kill -0 $GDB_PID" || { cat "$W/gdb.out"; false; }
	if ! grep -q '^Breakpoint 1 at' "$W/gdb.out"; then
		grep -qi 'ptrace' "$W/gdb.out" && skip "gdb may not attach to the daemon: $(grep -i -m 1 ptrace "$W/gdb.out")"
		cat "$W/gdb.out"
		false
	fi
	sleep 0.5
	run cp "$W/B.zip" "$L/fn/code.zip"
	nb_wait 30 nb_gone "$GDB_PID" || { cat "$W/gdb.out"; false; }
	GDB_PID=""
	grep -q 'lambda_deploy_put' "$W/gdb.out" || { cat "$W/gdb.out"; false; }
	[ "$status" -ne 0 ] # killed before it answered
	dead
	mount_again
	# All of one package: A (not done) or B (done at the restart).
	local sha which
	sha="$(cat "$L/fn/code-sha256")"
	[ "$(cat "$L/fn/code.zip" | openssl dgst -sha256 -binary | base64)" = "$sha" ]
	jq -e --arg s "$sha" '.CodeSha256 == $s' "$L/fn/config.json"
	which="$(cat "$L/fn/code/which")"
	[ "$sha" = "$(b64sha "$W/$which.zip")" ] || { echo "torn: code/ is package $which, code.zip and code-sha256 are the other"; false; }
	[ "$(head -n 1 "$L/fn/state")" = Active ]
	[ -z "$(ls "$STATE/lambda/fn" | grep -E '\.(new|next|old)$')" ] || { ls "$STATE/lambda/fn"; false; }
	[ "$(nb_invoke fn '{}')" = "\"$which\"" ]
}
