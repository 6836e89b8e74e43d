#!/usr/bin/env bash
# tools/load.sh - `make load`: nimbusfs under load, checked and measured.
# Launches LOAD_TASKS tasks at once (RunTask with count 10 from concurrent
# writers), parks LOAD_WAITERS `wait` readers on them, fires LOAD_INVOKES
# concurrent Lambda invokes across LOAD_FUNCS functions, stops every task,
# and checks: every task reached RUNNING and then STOPPED, every waiter
# returned the exit code, every invoke answered its own payload; the
# daemon's fds, threads and memory went back to their idle level. Prints
# the latency of reading a value file (open+read+close, bash builtins, no
# fork) idle and under load, and of `ls -R` of the mount. Exits non-zero
# when a check fails. Needs the engine and the local images (make images).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
TASKS=${LOAD_TASKS:-200}
WAITERS=${LOAD_WAITERS:-1000}
FUNCS=${LOAD_FUNCS:-10}
INVOKES=${LOAD_INVOKES:-100}
DEADLINE=${LOAD_DEADLINE:-600} # s, for each phase that waits
NIMBUSFS=${NIMBUSFS:-build/nimbusfs}
WORK=$(mktemp -d /tmp/nimbusfs-load.XXXXXX)
MNT=$WORK/mnt
STATE=$WORK/state
mkdir -p "$MNT" "$STATE"
fails=0
nb_pid=""

fail() {
	echo "load: FAIL: $*" >&2
	fails=$((fails + 1))
}

cleanup() {
	if mountpoint -q "$MNT"; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
	fi
	if [ -n "$nb_pid" ]; then
		for _ in $(seq 100); do kill -0 "$nb_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$nb_pid" 2>/dev/null
	fi
	if [ -s "$STATE/id" ]; then
		local o
		o=$(cat "$STATE/id")
		docker ps -aq --filter "label=io.nimbusfs.owner=$o" | xargs -r docker rm -f >/dev/null 2>&1
		docker network ls -q --filter "label=io.nimbusfs.owner=$o" | xargs -r docker network rm >/dev/null 2>&1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# until SECONDS CMD...: runs CMD until it succeeds, at most SECONDS.
until_ok() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# sockets: the daemon's open sockets.
sockets() {
	ls -l "/proc/$nb_pid/fd" | grep -c 'socket:'
}

# snapshot NAME: the daemon's fds, threads and resident memory.
snapshot() {
	local fds threads rss
	fds=$(ls "/proc/$nb_pid/fd" | wc -l)
	threads=$(awk '/^Threads:/ {print $2}' "/proc/$nb_pid/status")
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$nb_pid/status")
	echo "$fds $threads $rss"
}

# read_latency FILE N: median and p99 of N open+read+close of FILE, in us.
read_latency() {
	local i t0 t1 line
	for ((i = 0; i < $2; i++)); do
		t0=$EPOCHREALTIME
		read -r line <"$1"
		t1=$EPOCHREALTIME
		echo "$(((${t1/./} - ${t0/./})))"
	done | sort -n | awk '{v[NR] = $1} END {printf "%d %d", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1]}'
}

ls_ms() {
	local t0 t1
	t0=$EPOCHREALTIME
	ls -R "$MNT" >/dev/null 2>&1
	t1=$EPOCHREALTIME
	echo $(((${t1/./} - ${t0/./}) / 1000))
}

# The task directories (not `latest`).
task_dirs() {
	ls "$MNT/ecs/tasks" | grep '^[0-9a-f]\{32\}$' | sed "s|^|$MNT/ecs/tasks/|"
}

task_states() {
	local t
	for t in $(task_dirs); do cat "$t/status" 2>/dev/null; done | sort | uniq -c | tr '\n' ' '
}

all_tasks_are() {
	local n
	n=$(for t in $(task_dirs); do cat "$t/status"; done 2>/dev/null | grep -cx "$1")
	[ "$n" -eq "$TASKS" ]
}

# fd_kinds: what the daemon's fds point at, counted.
fd_kinds() {
	ls -l "/proc/$nb_pid/fd" | awk 'NR > 1 {sub(/:.*/, "", $NF); print $NF}' | sort | uniq -c | tr '\n' ' '
}

"$NIMBUSFS" -f --state-dir "$STATE" "$MNT" 2>"$WORK/nimbusfs.log" &
nb_pid=$!
until_ok 10 mountpoint -q "$MNT" || { echo "load: nimbusfs did not mount" >&2; exit 1; }
until_ok 15 grep -qx ok "$MNT/health" || { echo "load: engine not ready" >&2; exit 1; }

# ---- warm-up, so thread pools exist before the idle baseline ----
printf '%s\n' '{"family": "load", "networkMode": "none", "containerDefinitions": [{
	"name": "app", "image": "local/busybox:latest", "stopTimeout": 5,
	"command": ["sh", "-c", "trap \"exit 0\" TERM; while true; do sleep 1; done"]}]}' \
	>"$MNT/ecs/task-definitions/register" || { echo "load: register failed" >&2; exit 1; }
for ((f = 0; f < FUNCS; f++)); do
	fn="load$f"
	mkdir "$MNT/lambda/$fn" && echo provided.al2023 >"$MNT/lambda/$fn/runtime" &&
		echo function.handler >"$MNT/lambda/$fn/handler" &&
		tests/mkzip.py "$WORK/$fn.zip" "function.sh=handler() { echo \"{\\\"fn\\\": \\\"$fn\\\", \\\"got\\\": \$1}\"
}" && cp "$WORK/$fn.zip" "$MNT/lambda/$fn/code.zip" || { echo "load: function $fn failed" >&2; exit 1; }
done
exec 7<>"$MNT/lambda/load0/invoke"
echo '{"n": -1}' >&7
cat <&7 >/dev/null
exec 7<&-
echo evict >"$MNT/lambda/load0/warm"
sleep 1
read -r idle_fds idle_threads idle_rss <<<"$(snapshot)"
idle_kinds=$(fd_kinds)
idle_sockets=$(sockets)
read -r idle_p50 idle_p99 <<<"$(read_latency "$MNT/ecs/task-definitions/load/1.json" 500)"
idle_ls=$(ls_ms)

# ---- tasks ----
t0=$SECONDS
writers=()
for ((w = 0; w < TASKS / 10; w++)); do
	(echo '{"taskDefinition": "load", "count": 10}' >"$MNT/ecs/tasks/run") &
	writers+=($!)
done
for p in "${writers[@]}"; do wait "$p" || fail "a RunTask write failed"; done
n=$(ls "$MNT/ecs/tasks" | grep -c '^[0-9a-f]\{32\}$')
[ "$n" -eq "$TASKS" ] || fail "$n tasks listed, $TASKS launched"
until_ok "$DEADLINE" all_tasks_are RUNNING || fail "not all RUNNING: $(task_states)"
launch_s=$((SECONDS - t0))
read -r load_p50 load_p99 <<<"$(read_latency "$(task_dirs | head -n 1)/status" 500)"
load_ls=$(ls_ms)
read -r busy_fds busy_threads busy_rss <<<"$(snapshot)"

# ---- parked waiters ----
waiters=()
i=0
for t in $(task_dirs); do
	for ((k = 0; k < WAITERS / TASKS; k++)); do
		timeout "$DEADLINE" cat "$t/wait" >"$WORK/wait.$i" &
		waiters+=($!)
		i=$((i + 1))
	done
done
sleep 2
read -r park_fds park_threads park_rss <<<"$(snapshot)"
read -r park_p50 park_p99 <<<"$(read_latency "$(task_dirs | head -n 1)/status" 500)"

# ---- concurrent invokes ----
invokers=()
for ((i = 0; i < INVOKES; i++)); do
	fn="load$((i % FUNCS))"
	(exec 7<>"$MNT/lambda/$fn/invoke" && echo "{\"n\": $i}" >&7 && timeout "$DEADLINE" cat <&7 >"$WORK/inv.$i") &
	invokers+=($!)
done
for p in "${invokers[@]}"; do wait "$p" || true; done
bad=0
for ((i = 0; i < INVOKES; i++)); do
	fn="load$((i % FUNCS))"
	jq -e --arg fn "$fn" --argjson n "$i" '.fn == $fn and .got.n == $n' "$WORK/inv.$i" >/dev/null 2>&1 ||
		bad=$((bad + 1))
done
[ "$bad" -eq 0 ] || fail "$bad of $INVOKES invokes did not answer their own payload"

# ---- stop everything ----
t0=$SECONDS
stoppers=()
for t in $(task_dirs); do
	(echo STOPPED >"$t/desired") &
	stoppers+=($!)
done
for p in "${stoppers[@]}"; do wait "$p" || fail "a stop write failed"; done
until_ok "$DEADLINE" all_tasks_are STOPPED || fail "not all STOPPED: $(task_states)"
stop_s=$((SECONDS - t0))
# Counted by their answers: bash keeps only so many exit statuses.
waiters_gone() {
	local p
	for p in "${waiters[@]}"; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}
until_ok 30 waiters_gone || fail "waiters still parked after every task stopped"
returned=0
for ((i = 0; i < ${#waiters[@]}; i++)); do
	[ -s "$WORK/wait.$i" ] && returned=$((returned + 1))
done
answered=$(cat "$WORK"/wait.* 2>/dev/null | grep -c '^[0-9]*$')
[ "$returned" -eq "${#waiters[@]}" ] || fail "$returned of ${#waiters[@]} waiters returned"
[ "$answered" -eq "${#waiters[@]}" ] || fail "$answered of ${#waiters[@]} waiters read an exit code"

# ---- back to idle ----
for t in $(task_dirs); do rmdir "$t" || fail "rmdir $t"; done
for ((f = 0; f < FUNCS; f++)); do rmdir "$MNT/lambda/load$f" || fail "rmdir load$f"; done
# Evicted containers are removed, and their connections closed, by jobs.
sockets_settled() {
	[ "$(sockets)" -le $((idle_sockets + 24)) ]
}
until_ok 120 sockets_settled
sleep 1
read -r end_fds end_threads end_rss <<<"$(snapshot)"
# FUSE keeps up to 10 idle workers and the runner pool up to 4. Files must
# come back exactly; sockets up to the engine client's pool of 8 kept-alive
# handles (backend/engine/engine.c POOL_MAX), which load fills: each holds
# its connection and the socketpair of curl's internal multi handle, so 3
# sockets. A leak would grow with the load; this bound does not.
end_sockets=$(sockets)
[ $((end_fds - end_sockets)) -le $((idle_fds - idle_sockets)) ] ||
	fail "fds: $end_fds after ($(fd_kinds)), $idle_fds idle ($idle_kinds)"
[ "$end_sockets" -le $((idle_sockets + 24)) ] ||
	fail "sockets: $end_sockets after, $idle_sockets idle ($(fd_kinds))"
[ "$end_threads" -le $((idle_threads + 14)) ] || fail "threads: $end_threads after, $idle_threads idle"
[ "$end_rss" -le $((idle_rss * 3 + 65536)) ] || fail "rss: $end_rss kB after, $idle_rss idle"

printf '%-46s %s\n' "tasks launched at once" "$TASKS (all RUNNING in ${launch_s} s; all STOPPED ${stop_s} s after stop)"
printf '%-46s %s\n' "parked wait readers" "${#waiters[@]} (returned: $returned)"
printf '%-46s %s\n' "concurrent invokes" "$INVOKES across $FUNCS functions (wrong: $bad)"
printf '%-46s %10s %10s\n' "read of a value file" "median us" "p99 us"
printf '%-46s %10s %10s\n' "  idle" "$idle_p50" "$idle_p99"
printf '%-46s %10s %10s\n' "  $TASKS tasks running" "$load_p50" "$load_p99"
printf '%-46s %10s %10s\n' "  and ${#waiters[@]} parked waiters" "$park_p50" "$park_p99"
printf '%-46s %s\n' "ls -R of the mount, ms" "idle $idle_ls, $TASKS tasks $load_ls"
printf '%-46s %s\n' "daemon fds / threads / RSS kB" "idle $idle_fds/$idle_threads/$idle_rss, busy $busy_fds/$busy_threads/$busy_rss, parked $park_fds/$park_threads/$park_rss, after $end_fds/$end_threads/$end_rss"
# A sanitizer build's report (make check-sanitizers) fails the run too.
fusermount3 -u "$MNT" 2>/dev/null
for _ in $(seq 100); do kill -0 "$nb_pid" 2>/dev/null || break; sleep 0.1; done
if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|WARNING: ThreadSanitizer|runtime error:' \
	"$WORK/nimbusfs.log"; then
	cat "$WORK/nimbusfs.log" >&2
	fail "a sanitizer report in the daemon's log"
fi
if [ "$fails" -eq 0 ]; then
	echo "load: all checks passed"
else
	echo "load: $fails check(s) failed" >&2
	exit 1
fi
