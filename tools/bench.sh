#!/usr/bin/env bash
# tools/bench.sh - `make bench`: nimbusfs's figures as ratios to floors
# measured in the same run, on the same machine, with the same C loops.
#   1. stat+open+read+close of `version`: nimbusfs vs a tmpfs file and vs a
#      minimal low-level FUSE filesystem serving the same bytes.
#   2. engine event -> line readable in `events`, vs the raw /events stream.
set -euo pipefail

cd "$(dirname "$0")/.."
B=build/tools
READS=${BENCH_READS:-20000}
EVENTS=${BENCH_EVENTS:-20}
work=$(mktemp -d /tmp/nimbusfs-bench.XXXXXX)
mkdir -p "$work/mnt" "$work/minfs" "$work/state"
pids=()

cleanup() {
	for m in "$work/mnt" "$work/minfs"; do
		mountpoint -q "$m" && fusermount3 -u "$m"
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
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

build/nimbusfs -f --state-dir "$work/state" "$work/mnt" 2>"$work/nimbusfs.log" 3>&- &
pids+=($!)
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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "nimbusfs bench: $(nproc) cores; $READS reads, $EVENTS events; medians (p90)"
echo
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

owner=$(cat "$work/state/id")
read -r raw_ms nb_ms samples < <($B/bench_events "$work/mnt" "$owner" local/busybox:latest "$EVENTS")
printf '%-44s %10s\n' "engine 'start' event -> reader (ms, median)" ""
printf '%-44s %10s\n' "  raw /events stream (floor)" "$raw_ms"
printf '%-44s %10s\n' "  nimbusfs events file" "$nb_ms"
printf '%-44s %10s\n' "  added by nimbusfs (goal <= 5 ms)" "$(awk -v a="$nb_ms" -v b="$raw_ms" 'BEGIN { printf "%.3f", a - b }')"
printf '%-44s %10s\n' "  ratio nimbusfs / raw" "$(ratio "$nb_ms" "$raw_ms")"
printf '%-44s %10s\n' "  samples" "$samples"
