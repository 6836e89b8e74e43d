#!/usr/bin/env bats
# Load, scaled down for every `make test`: tools/load.sh (`make load` runs
# it at 200 tasks, 1000 waiters, 100 invokes) with 20 tasks launched at
# once, 100 parked wait readers and 20 concurrent invokes across 4
# functions. It checks every answer and that the daemon's fds, threads and
# memory come back; its timings are printed, never asserted.

load ../helper

@test "load: 20 tasks at once, 100 parked waiters, 20 concurrent invokes; all answered, fds back" {
	run env LOAD_TASKS=20 LOAD_WAITERS=100 LOAD_FUNCS=4 LOAD_INVOKES=20 LOAD_DEADLINE=240 \
		NIMBUSFS="$NIMBUSFS" timeout 600 "$ROOT/tools/load.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"load: all checks passed"* ]]
}
