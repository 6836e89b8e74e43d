#!/usr/bin/env bash
# tools/bench.sh - `make bench`: nimbusfs's figures as ratios to floors
# measured in the same run, on the same machine, with the same C loops.
#   1. stat+open+read+close of `version`: nimbusfs vs a tmpfs file and vs a
#      minimal low-level FUSE filesystem serving the same bytes.
#   2. engine event -> line readable in `events`, vs the raw /events stream.
#   3. ECS task launch (1 and 3 containers) until `status` reads RUNNING, vs
#      raw create+start of the same containers from one C process.
#   4. container exit -> `status` STOPPED, from the engine's `die` event
#      timestamp, vs the same event's arrival on the raw /events stream.
#   5. Lambda: warm invoke through `invoke` vs libcurl straight to the same
#      container's published port (kept-alive, and a fresh connection);
#      sequential invocations per second both ways; cold start (evict, then
#      one invoke) vs raw create+upload+start+ready+first POST. On a
#      second mount with --fuse-workers BENCH_BURST_WORKERS: `health`
#      read while BENCH_BURST_FUNCS cold starts (more than the workers)
#      run at once, vs `health` with none running (bench_coldburst).
#   6. EC2: launch (`ec2/run` until `state` reads running) vs raw
#      create+start of an equivalent container; stop+start round trip
#      through `state` vs raw stop+start with the same grace period; a
#      `run-command` round trip vs raw exec create+start+inspect. Launch
#      and stop+start also against raw containers on a user-defined network
#      with static addresses, as nimbusfs's subnets are.
#   7. idle CPU of nimbusfs with 100 tasks running, vs dockerd's over the
#      same window.
#   8. log capture: a task whose container prints a burst (70 MB) at once,
#      from its start to `logs` holding every line, vs a raw Engine API
#      follow stream of the same container read at the same time; and a
#      line's arrival in `logs` after it reaches a raw follow stream.
#   9. objects: stat+open+read+close of a value of the last-listed of
#      BENCH_OBJECTS (10,000) objects of each kind (task `status`, task
#      definition revision, secret, function `timeout`, instance `state`) vs
#      the minimal FUSE fs; and a getattr (statx AT_STATX_FORCE_SYNC, past
#      the kernel's cache) of a 1 GB task log vs a 1 KB one. How the objects
#      are made, on a mount of their own: one real task (run, exits,
#      STOPPED) and one real instance (run, terminate), whose records serve
#      as templates; secrets (`echo > ecs/secrets/sI`), functions (`mkdir
#      lambda/fI`) and definitions (one `register` per family famI) through
#      the mount, as a user makes them; then, unmounted, the task and
#      instance records are copied under fresh ids up to BENCH_OBJECTS each
#      (bench_objects clone: stopped tasks and terminated instances are real
#      records a long-lived state dir holds; 10,000 launches would measure
#      the engine for hours), two copies get a captured task.log of 1 GB
#      and 1 KB of log lines, and it is mounted again, loading them all.
# Environment: BENCH_READS (20000), BENCH_EVENTS (20), BENCH_TASKS (10 runs
# per launch size and of the exit figure), BENCH_IDLE_TASKS (100),
# BENCH_IDLE_SECONDS (60), BENCH_INVOKES (200 warm invokes each way),
# BENCH_THROUGHPUT (100), BENCH_COLD (5 cold starts each way),
# BENCH_EC2 (10 samples of each EC2 figure, each way), BENCH_LOG_MB (70 MB
# burst), BENCH_LOG_LINES (100 lines timed), BENCH_BURST_FUNCS (8
# concurrent cold starts), BENCH_BURST_WORKERS (4), BENCH_BURST_INIT (3 s
# each cold start sleeps before serving), BENCH_BURST_SAMPLES (2000 floor
# reads of health), BENCH_OBJECTS (10000 of each kind), NIMBUSFS
# (build/nimbusfs: the daemon measured), BENCH_ONLY (space-separated
# sections to run, of: read events ecs lambda ec2 logs objects idle;
# default all).
set -euo pipefail

cd "$(dirname "$0")/.."
B=build/tools
READS=${BENCH_READS:-20000}
EVENTS=${BENCH_EVENTS:-20}
TASKS=${BENCH_TASKS:-10}
IDLE_TASKS=${BENCH_IDLE_TASKS:-100}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-60}
INVOKES=${BENCH_INVOKES:-200}
THROUGHPUT=${BENCH_THROUGHPUT:-100}
COLD=${BENCH_COLD:-5}
EC2=${BENCH_EC2:-10}
LOG_MB=${BENCH_LOG_MB:-70}
LOG_LINES=${BENCH_LOG_LINES:-100}
BURST_FUNCS=${BENCH_BURST_FUNCS:-8}
BURST_WORKERS=${BENCH_BURST_WORKERS:-4}
BURST_INIT=${BENCH_BURST_INIT:-3}
BURST_SAMPLES=${BENCH_BURST_SAMPLES:-2000}
OBJECTS=${BENCH_OBJECTS:-10000}
NB=${NIMBUSFS:-build/nimbusfs}
ONLY=${BENCH_ONLY:-read events ecs lambda ec2 logs objects idle}
IMAGE=local/busybox:latest
work=$(mktemp -d /tmp/nimbusfs-bench.XXXXXX)
mkdir -p "$work/mnt" "$work/minfs" "$work/state" "$work/mnt2" "$work/state2" "$work/omnt" \
	"$work/ostate"
pids=()

cleanup() {
	for m in "$work/mnt" "$work/minfs" "$work/mnt2" "$work/omnt"; do
		mountpoint -q "$m" && fusermount3 -u "$m"
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	# Containers an interrupted run left: only this run's owner ids (and
	# their floors') label them.
	for s in "$work/state" "$work/state2" "$work/ostate"; do
	if [ -s "$s/id" ] && command -v docker >/dev/null; then
		o=$(cat "$s/id")
		for l in "io.nimbusfs.owner=$o" "io.nimbusfs.owner=$o-floor"; do
			docker ps -aq --filter "label=$l" | xargs -r timeout 60 docker rm -f >/dev/null 2>&1 || true
		done
		# Networks nimbusfs made for this run (EC2 subnets') and the floor's.
		for l in "io.nimbusfs.owner=$o" "io.nimbusfs.owner=$o-floor"; do
			docker network ls -q --filter "label=$l" |
				xargs -r timeout 60 docker network rm >/dev/null 2>&1 || true
		done
		# bench_coldburst's image, if it was cut short.
		timeout 60 docker rmi -f "nimbusfs-bench/slow-init:$o" >/dev/null 2>&1 || true
	fi
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_mount() {
	for _ in $(seq 1 200); do
		mountpoint -q "$1" && return 0
		sleep 0.05
	done
	echo "bench: $1 did not mount" >&2
	return 1
}

"$NB" -f --state-dir "$work/state" --ec2-image "$IMAGE" "$work/mnt" 2>"$work/nimbusfs.log" 3>&- &
pids+=($!)
nb_pid=$!
wait_mount "$work/mnt"
for _ in $(seq 1 200); do
	grep -qx ok "$work/mnt/health" && break
	sleep 0.05
done
content=$(cat "$work/mnt/version")
printf '%s\n' "$content" >/dev/shm/nimbusfs-bench-version
$B/bench_minfs "$work/minfs" "$content
" 3>&- &
pids+=($!)
wait_mount "$work/minfs"

want() { [[ " $ONLY " == *" $1 "* ]]; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "nimbusfs bench: $(nproc) cores; $READS reads, $EVENTS events; medians (p90)"
echo
owner=$(cat "$work/state/id")

if want read; then
read -r tmpfs_med tmpfs_p90 < <($B/bench_read /dev/shm/nimbusfs-bench-version "$READS")
read -r minfs_med minfs_p90 < <($B/bench_read "$work/minfs/version" "$READS")
read -r nb_med nb_p90 < <($B/bench_read "$work/mnt/version" "$READS")
rm -f /dev/shm/nimbusfs-bench-version
printf '%-44s %10s %10s\n' "stat+open+read+close of version" "median us" "p90 us"
printf '%-44s %10s %10s\n' "  tmpfs file (floor)" "$tmpfs_med" "$tmpfs_p90"
printf '%-44s %10s %10s\n' "  minimal low-level FUSE fs (floor)" "$minfs_med" "$minfs_p90"
printf '%-44s %10s %10s\n' "  nimbusfs" "$nb_med" "$nb_p90"
printf '%-44s %10s\n' "  ratio nimbusfs / minimal FUSE (goal <= 1.3)" "$(ratio "$nb_med" "$minfs_med")"
printf '%-44s %10s\n' "  ratio nimbusfs / tmpfs" "$(ratio "$nb_med" "$tmpfs_med")"
echo
fi
rm -f /dev/shm/nimbusfs-bench-version

if want events; then
read -r raw_ms nb_ms samples < <($B/bench_events "$work/mnt" "$owner" local/busybox:latest "$EVENTS")
printf '%-44s %10s\n' "engine 'start' event -> reader (ms, median)" ""
printf '%-44s %10s\n' "  raw /events stream (floor)" "$raw_ms"
printf '%-44s %10s\n' "  nimbusfs events file" "$nb_ms"
printf '%-44s %10s\n' "  added by nimbusfs (goal <= 5 ms)" "$(awk -v a="$nb_ms" -v b="$raw_ms" 'BEGIN { printf "%.3f", a - b }')"
printf '%-44s %10s\n' "  ratio nimbusfs / raw" "$(ratio "$nb_ms" "$raw_ms")"
printf '%-44s %10s\n' "  samples" "$samples"
echo
fi

if want ecs; then
# ECS. bench_ecs alternates nimbusfs and floor runs, and cleans up after
# itself (ctl stop, `wait`, rmdir; raw containers removed) with bounded waits.
printf '%-44s %10s %10s\n' "task launch: run -> status RUNNING" "median ms" "p90 ms"
while read -r size raw_med raw_p90 nbl_med nbl_p90 samples misses; do
	printf '%-44s %10s %10s\n' "  $size container(s): raw create+start (floor)" "$raw_med" "$raw_p90"
	printf '%-44s %10s %10s\n' "  $size container(s): nimbusfs" "$nbl_med" "$nbl_p90"
	printf '%-44s %10s\n' "  $size container(s): ratio (goal <= 1.10)" "$(ratio "$nbl_med" "$raw_med")"
	printf '%-44s %10s\n' "  $size container(s): samples, poll timeouts" "$samples, $misses"
done < <($B/bench_ecs launch "$work/mnt" "$owner" "$IMAGE" "$TASKS")
echo

read -r die_med die_p90 ctr_med ctr_p90 task_med task_p90 samples misses < \
	<($B/bench_ecs exit "$work/mnt" "$owner" "$IMAGE" "$TASKS")
printf '%-44s %10s %10s\n' "exit: engine 'die' timestamp -> reader" "median ms" "p90 ms"
printf '%-44s %10s %10s\n' "  raw /events stream (floor)" "$die_med" "$die_p90"
printf '%-44s %10s %10s\n' "  containers/NAME/status STOPPED" "$ctr_med" "$ctr_p90"
printf '%-44s %10s %10s\n' "  status STOPPED (+stop, drain, inspect)" "$task_med" "$task_p90"
printf '%-44s %10s\n' "  container: added by nimbusfs (goal <= 5)" "$(awk -v a="$ctr_med" -v b="$die_med" 'BEGIN { printf "%.3f", a - b }')"
printf '%-44s %10s\n' "  container: ratio nimbusfs / raw" "$(ratio "$ctr_med" "$die_med")"
printf '%-44s %10s\n' "  task: added by nimbusfs (goal <= 50)" "$(awk -v a="$task_med" -v b="$die_med" 'BEGIN { printf "%.3f", a - b }')"
printf '%-44s %10s\n' "  task: ratio nimbusfs / raw" "$(ratio "$task_med" "$die_med")"
printf '%-44s %10s\n' "  samples, poll timeouts" "$samples, $misses"
echo
fi

if want lambda; then
# Lambda. bench_lambda makes one function, measures, then evicts and rmdirs
# it; its raw containers are removed as it goes (and by cleanup's -floor
# label sweep if it is cut short).
lambda_out=$($B/bench_lambda "$work/mnt" "$owner" "$INVOKES" "$THROUGHPUT" "$COLD") || {
	echo "bench: bench_lambda failed; Lambda figures skipped" >&2
	lambda_out=""
}
if [ -n "$lambda_out" ]; then
read -r _ w_nb w_nb90 w_ka w_ka90 w_fr w_fr90 w_n < <(grep '^warm ' <<<"$lambda_out")
read -r _ t_n t_nb t_curl < <(grep '^tput ' <<<"$lambda_out")
read -r _ c_nb c_nb90 c_raw c_raw90 c_n < <(grep '^cold ' <<<"$lambda_out")
printf '%-44s %10s %10s\n' "lambda warm invoke (trivial handler)" "median us" "p90 us"
printf '%-44s %10s %10s\n' "  curl to the port, kept-alive (floor)" "$w_ka" "$w_ka90"
printf '%-44s %10s %10s\n' "  curl to the port, fresh connection" "$w_fr" "$w_fr90"
printf '%-44s %10s %10s\n' "  nimbusfs invoke (open+write+read+close)" "$w_nb" "$w_nb90"
printf '%-44s %10s\n' "  ratio nimbusfs / curl (goal <= 1.2)" "$(ratio "$w_nb" "$w_ka")"
printf '%-44s %10s\n' "  ratio nimbusfs / curl fresh connection" "$(ratio "$w_nb" "$w_fr")"
printf '%-44s %10s\n' "  samples" "$w_n"
printf '%-44s %10s\n' "$t_n sequential warm invokes" "per second"
printf '%-44s %10s\n' "  curl to the port, kept-alive (floor)" "$t_curl"
printf '%-44s %10s\n' "  nimbusfs invoke" "$t_nb"
printf '%-44s %10s\n' "  ratio nimbusfs / curl" "$(ratio "$t_nb" "$t_curl")"
printf '%-44s %10s %10s\n' "lambda cold start: -> first answer" "median ms" "p90 ms"
printf '%-44s %10s %10s\n' "  raw create+PUT+start+ready+POST (floor)" "$c_raw" "$c_raw90"
printf '%-44s %10s %10s\n' "  nimbusfs invoke after evict" "$c_nb" "$c_nb90"
printf '%-44s %10s\n' "  ratio nimbusfs / raw" "$(ratio "$c_nb" "$c_raw")"
printf '%-44s %10s\n' "  samples" "$c_n"
echo
fi

# Cold starts off the FUSE workers: a mount of its own with few workers.
"$NB" -f --state-dir "$work/state2" --fuse-workers "$BURST_WORKERS" "$work/mnt2" \
	2>"$work/nimbusfs2.log" 3>&- &
pids+=($!)
wait_mount "$work/mnt2"
for _ in $(seq 1 200); do
	grep -qx ok "$work/mnt2/health" && break
	sleep 0.05
done
burst_out=$($B/bench_coldburst "$work/mnt2" "$(cat "$work/state2/id")" "$BURST_FUNCS" \
	"$BURST_INIT" "$BURST_SAMPLES") || {
	echo "bench: bench_coldburst failed; its figure skipped" >&2
	burst_out=""
}
fusermount3 -u "$work/mnt2"
if [ -n "$burst_out" ]; then
read -r _ h_fl h_fl99 h_b h_b99 h_bmax h_n h_cold h_ok <<<"$burst_out"
printf '%-44s %10s %10s\n' "health during $BURST_FUNCS cold starts, $BURST_WORKERS workers" "median us" "p99 us"
printf '%-44s %10s %10s\n' "  no cold start running (floor)" "$h_fl" "$h_fl99"
printf '%-44s %10s %10s\n' "  during the cold starts" "$h_b" "$h_b99"
printf '%-44s %10s\n' "  ratio p99 during / floor p99" "$(ratio "$h_b99" "$h_fl99")"
printf '%-44s %10s\n' "  slowest read during (us)" "$h_bmax"
printf '%-44s %10s\n' "  samples during; cold starts that answered" "$h_n; $h_ok"
printf '%-44s %10s\n' "  cold start (${BURST_INIT} s init), median ms" "$h_cold"
echo
fi
fi

if want ec2; then
# EC2. bench_ec2 launches N+1 instances (the first, untimed, also serves the
# stop/start and run-command figures) and as many raw containers on each
# floor: the default bridge, and a user-defined network of its own with
# static addresses (as nimbusfs's subnets); then it terminates and rmdirs the
# instances and removes its raw containers and network.
ec2_out=$($B/bench_ec2 "$work/mnt" "$owner" "$EC2") || {
	echo "bench: bench_ec2 failed; EC2 figures may be missing" >&2
}
if [ -n "${ec2_out:-}" ]; then
if grep -q '^launch ' <<<"$ec2_out"; then
read -r _ l_nb l_nb90 l_raw l_raw90 l_n < <(grep '^launch ' <<<"$ec2_out")
printf '%-44s %10s %10s\n' "ec2 launch: run -> state running" "median ms" "p90 ms"
printf '%-44s %10s %10s\n' "  nimbusfs ec2/run" "$l_nb" "$l_nb90"
# The floor does what an instance needs: its own network, a static address.
if grep -q '^launch-net ' <<<"$ec2_out"; then
read -r _ _ _ l_net l_net90 _ < <(grep '^launch-net ' <<<"$ec2_out")
printf '%-44s %10s %10s\n' "  raw create+start, user net + static IP" "$l_net" "$l_net90"
printf '%-44s %10s\n' "  ratio nimbusfs / raw (goal <= 1.10)" "$(ratio "$l_nb" "$l_net")"
fi
printf '%-44s %10s %10s\n' "  raw on the default bridge (reference)" "$l_raw" "$l_raw90"
printf '%-44s %10s\n' "  ratio nimbusfs / default bridge" "$(ratio "$l_nb" "$l_raw")"
printf '%-44s %10s\n' "  samples" "$l_n"
fi
if grep -q '^stopstart ' <<<"$ec2_out"; then
read -r _ s_nb s_nb90 s_raw s_raw90 s_n < <(grep '^stopstart ' <<<"$ec2_out")
printf '%-44s %10s %10s\n' "ec2 stop -> stopped, start -> running" "median ms" "p90 ms"
printf '%-44s %10s %10s\n' "  nimbusfs state" "$s_nb" "$s_nb90"
if grep -q '^stopstart-net ' <<<"$ec2_out"; then
read -r _ _ _ s_net s_net90 _ < <(grep '^stopstart-net ' <<<"$ec2_out")
printf '%-44s %10s %10s\n' "  raw stop+start, user net + static IP" "$s_net" "$s_net90"
printf '%-44s %10s\n' "  ratio nimbusfs / raw (goal <= 1.10)" "$(ratio "$s_nb" "$s_net")"
fi
printf '%-44s %10s %10s\n' "  raw on the default bridge (reference)" "$s_raw" "$s_raw90"
printf '%-44s %10s\n' "  ratio nimbusfs / default bridge" "$(ratio "$s_nb" "$s_raw")"
printf '%-44s %10s\n' "  samples" "$s_n"
fi
if grep -q '^runcmd ' <<<"$ec2_out"; then
read -r _ r_nb r_nb90 r_raw r_raw90 r_n < <(grep '^runcmd ' <<<"$ec2_out")
printf '%-44s %10s %10s\n' "ec2 run-command 'true' round trip" "median us" "p90 us"
printf '%-44s %10s %10s\n' "  raw exec create+start+inspect (floor)" "$r_raw" "$r_raw90"
printf '%-44s %10s %10s\n' "  nimbusfs run-command" "$r_nb" "$r_nb90"
printf '%-44s %10s\n' "  ratio nimbusfs / raw (goal <= 1.2)" "$(ratio "$r_nb" "$r_raw")"
printf '%-44s %10s\n' "  samples" "$r_n"
fi
echo
fi
fi

if want logs; then
# Logs. bench_logs runs one task per figure and removes it (ctl stop, rmdir).
mbs() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.2f", (ms > 0 ? b / 1e6 / (ms / 1e3) : 0) }'; }
if read -r bytes nb_ms raw_ms < <($B/bench_logs burst "$work/mnt" "$IMAGE" "$LOG_MB"); then
printf '%-44s %10s %10s\n' "log burst of $LOG_MB MB: start -> every line" "ms" "MB/s"
printf '%-44s %10s %10s\n' "  raw follow stream, same container (floor)" "$raw_ms" "$(mbs "$bytes" "$raw_ms")"
printf '%-44s %10s %10s\n' "  nimbusfs logs st_size" "$nb_ms" "$(mbs "$bytes" "$nb_ms")"
printf '%-44s %10s\n' "  throughput nimbusfs / raw (goal >= 0.8)" "$(ratio "$raw_ms" "$nb_ms")"
else
echo "bench: bench_logs burst failed; burst figure skipped" >&2
fi
if read -r l_med l_p90 l_max l_n < <($B/bench_logs latency "$work/mnt" "$IMAGE" "$LOG_LINES"); then
printf '%-44s %10s %10s\n' "a line: raw follow stream -> logs (ms)" "median" "p90"
printf '%-44s %10s %10s\n' "  added by nimbusfs (goal <= 5)" "$l_med" "$l_p90"
printf '%-44s %10s\n' "  largest, samples" "$l_max, $l_n"
else
echo "bench: bench_logs latency failed; latency figure skipped" >&2
fi
echo
fi

if want objects; then
# A mount of its own: its state dir is filled, unmounted, cloned into and
# mounted again (see the header).
om="$work/omnt"
mount_objects() {
	"$NB" -f --state-dir "$work/ostate" --ec2-image "$IMAGE" "$om" 2>>"$work/objects.log" 3>&- &
	obj_pid=$!
	pids+=($obj_pid)
	wait_mount "$om"
	for _ in $(seq 1 200); do
		grep -qx ok "$om/health" && return 0
		sleep 0.05
	done
	echo "bench: the objects mount is not healthy" >&2
	return 1
}
unmount_objects() {
	fusermount3 -u "$om"
	wait "$obj_pid" 2>/dev/null || true
}
# request FILE TEXT: writes TEXT to FILE and reads the answer on one fd.
request() {
	printf '%s\n' "$2" | { exec 7<>"$1"; cat >&7; timeout 60 cat <&7; }
}
# until_is SECONDS FILE VALUE: waits (bounded) until FILE reads VALUE.
until_is() {
	for _ in $(seq 1 $(($1 * 20))); do
		[ "$(cat "$2" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.05
	done
	echo "bench: $2 is not $3" >&2
	return 1
}
# last NAME-REGEX DIR: the last entry of DIR's listing that matches.
last() {
	ls -U "$2" | grep -E "$1" | tail -n 1
}
mount_objects
printf '%s\n' '{"family": "tmpl", "containerDefinitions": [{"name": "app", "image": "'"$IMAGE"'",
	"command": ["sh", "-c", "echo done"], "stopTimeout": 2}]}' >"$om/ecs/task-definitions/register"
tmpl_task=$(request "$om/ecs/tasks/run" tmpl | head -n 1) || true
timeout 120 cat "$om/ecs/tasks/$tmpl_task/wait" >/dev/null
tmpl_inst=$(request "$om/ec2/run" "" | head -n 1) || true
until_is 120 "$om/ec2/$tmpl_inst/state" running
echo terminate >"$om/ec2/$tmpl_inst/state"
until_is 120 "$om/ec2/$tmpl_inst/state" terminated
s_make=$($B/bench_objects make "$om" secrets "$OBJECTS")
f_make=$($B/bench_objects make "$om" functions "$OBJECTS")
d_make=$($B/bench_objects make "$om" definitions "$OBJECTS")
unmount_objects
t_clone=$($B/bench_objects clone "$work/ostate" tasks "$OBJECTS")
i_clone=$($B/bench_objects clone "$work/ostate" instances "$OBJECTS")
# Two stopped tasks' captured output: 1 GB and 1 KB of log lines.
big_small=$(ls "$work/ostate/tasks" | grep -v "^$tmpl_task" | awk 'NR <= 2' | sed 's/\.json$//')
big=$(head -n 1 <<<"$big_small")
small=$(tail -n 1 <<<"$big_small")
line="[app] 2024-01-01T00:00:00Z GET /index.html 200 1043 bytes in 0.8 ms from 127.0.0.1"
mkdir -p "$work/ostate/task-logs/$big" "$work/ostate/task-logs/$small"
{ yes "$line" || true; } | head -c 1073741824 >"$work/ostate/task-logs/$big/task.log"
{ yes "$line" || true; } | head -c 1024 >"$work/ostate/task-logs/$small/task.log"
load_start=$(date +%s.%N)
mount_objects
load_s=$(awk -v a="$load_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
task=$(last '^[0-9a-f]{32}$' "$om/ecs/tasks")
fam=$(last '^fam' "$om/ecs/task-definitions")
sec=$(last '^s[0-9]' "$om/ecs/secrets")
fn=$(last '^f[0-9]' "$om/lambda")
inst=$(last '^i-' "$om/ec2")
# Each figure alternates with the floor, iteration by iteration (the
# machine is shared; drift then weighs on both). A read that fails (the
# 64 MiB limit of an older build) prints "failed".
measure() {
	$B/bench_read "$@" || echo failed failed failed failed
}
printf '%-44s %10s %10s %10s\n' "stat+open+read+close, last of $OBJECTS" "median us" "p90 us" "floor us"
for kv in "task:ecs/tasks/$task/status" "definition:ecs/task-definitions/$fam/1.json" \
	"secret:ecs/secrets/$sec" "function:lambda/$fn/timeout" "instance:ec2/$inst/state"; do
	read -r med p90 fmed _ < <(measure --floor "$work/minfs/version" "$om/${kv#*:}" "$READS")
	printf '%-44s %10s %10s %10s\n' "  ${kv%%:*} (ratio $(ratio "$med" "$fmed"), goal <= 1.3)" "$med" "$p90" "$fmed"
done
printf '%-44s %10s\n' "  made: secrets, functions, definitions (s)" "$s_make, $f_make, $d_make"
printf '%-44s %10s\n' "  cloned: tasks, instances (s); mount (s)" "$t_clone, $i_clone; $load_s"
printf '%-44s %10s\n' "  nimbusfs RSS with them loaded (MB)" "$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$obj_pid/status")"
read -r s_small s_small90 s_min s_min90 < <(measure --stat --floor "$work/minfs/version" "$om/ecs/tasks/$small/logs" "$READS")
read -r s_big s_big90 s_bmin _ < <(measure --stat --floor "$om/ecs/tasks/$small/logs" "$om/ecs/tasks/$big/logs" "$READS")
# The 1 KB log's stat while two readers stream the 1 GB log end to end
# (a pass takes seconds; the stats take about one).
streamers=()
for _ in 1 2; do
	cat "$om/ecs/tasks/$big/logs" >/dev/null 2>&1 &
	streamers+=($!)
done
read -r s_busy s_busy90 < <(measure --stat "$om/ecs/tasks/$small/logs" "$READS")
wait "${streamers[@]}" || true
printf '%-44s %10s %10s\n' "getattr (statx FORCE_SYNC) of a task log" "median us" "p90 us"
printf '%-44s %10s %10s\n' "  minimal FUSE fs, version (floor)" "$s_min" "$s_min90"
printf '%-44s %10s %10s\n' "  nimbusfs, 1 KB log" "$s_small" "$s_small90"
printf '%-44s %10s %10s\n' "  nimbusfs, 1 GB log (alternating with 1 KB)" "$s_big" "$s_big90"
printf '%-44s %10s\n' "  ... the 1 KB log in that run" "$s_bmin"
printf '%-44s %10s\n' "  ratio 1 GB / 1 KB (goal: 1 within noise)" "$(ratio "$s_big" "$s_bmin")"
printf '%-44s %10s\n' "  ratio 1 KB log / minimal FUSE" "$(ratio "$s_small" "$s_min")"
printf '%-44s %10s %10s\n' "  1 KB log, 2 readers streaming the 1 GB" "$s_busy" "$s_busy90"
echo
unmount_objects
fi

want idle || exit 0
# dockerd's pid: the daemon's pidfile, else the oldest dockerd.
dpid=$(cat /var/run/docker.pid 2>/dev/null || true)
if [ -z "$dpid" ] || [ "$(cat "/proc/$dpid/comm" 2>/dev/null)" != dockerd ]; then
	dpid=$(pgrep -xo dockerd || true)
fi
if [ -z "$dpid" ]; then
	echo "bench: no local dockerd; idle CPU figure skipped" >&2
	exit 0
fi
read -r nb_cpu d_cpu nb_ns d_ns running launch_s stop_s < \
	<($B/bench_ecs idle "$work/mnt" "$nb_pid" "$dpid" "$IMAGE" "$IDLE_TASKS" "$IDLE_SECONDS")
printf '%-44s %10s %10s\n' "idle CPU, $running tasks RUNNING, ${IDLE_SECONDS} s" "CPU-s/s" "schedstat"
printf '%-44s %10s %10s\n' "  dockerd (floor)" "$d_cpu" "$d_ns"
printf '%-44s %10s %10s\n' "  nimbusfs (goal < 0.005)" "$nb_cpu" "$nb_ns"
# utime+stime counts 10 ms ticks; the ratio uses the ns-precise schedstat.
printf '%-44s %10s\n' "  ratio nimbusfs / dockerd (schedstat)" "$(ratio "$nb_ns" "$d_ns")"
printf '%-44s %10s\n' "  launch of all / stop+rmdir of all (s)" "$launch_s / $stop_s"
