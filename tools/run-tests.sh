#!/usr/bin/env bash
# tools/run-tests.sh - every test: build, unit tests, unit tests under
# ASan+UBSan, integration tests, and the integration tests again against
# ASan+UBSan and TSan builds of the daemon. Ends with one "N passed,
# N failed" line.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
counts=$(mktemp)
export NIMBUSFS_COUNTS="$counts"
status=0


run_counted() {
	local name=$1
	shift
	local lines_before
	lines_before=$(wc -l <"$counts")
	"$@" || status=1
	if [ "$(wc -l <"$counts")" -eq "$lines_before" ]; then
		echo "$name: failed before running its tests" >&2
		echo "0 1" >>"$counts"
	fi
}

echo "== build"
if ! make --no-print-directory all; then
	echo "0 1" >>"$counts"
	status=1
fi
echo "== layers"
if tools/check-layers.sh; then echo "1 0" >>"$counts"; else
	echo "0 1" >>"$counts"
	status=1
fi
echo "== unit tests"
run_counted unit make --no-print-directory unit
echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
run_counted asan make --no-print-directory asan
echo "== integration tests"
run_counted integration tools/run-integration.sh
run_counted sanitizers tools/check-sanitizers.sh

read -r passed failed < <(awk '{p += $1; f += $2} END {print p + 0, f + 0}' "$counts")
rm -f "$counts"
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit "$status"
