#!/usr/bin/env bash
# tools/run-unit.sh DIR TEST... - runs cmocka unit test binaries and sums
# their own summaries. A binary that dies before its summary counts as one
# failure. Appends "PASSED FAILED" to $NIMBUSFS_COUNTS when set.
set -uo pipefail

dir=$1
shift
passed=0
failed=0
for t in "$@"; do
	out=$("$dir/$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' | tail -n 1)
	if [ -z "$p" ] && [ -z "$f" ]; then
		echo "unit: $t exited with status $rc before its summary" >&2
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		failed=$((failed + 1)) # e.g. a sanitizer report after the summary
	fi
done
echo "unit ($dir): $passed passed, $failed failed"
[ -z "${NIMBUSFS_COUNTS:-}" ] || echo "$passed $failed" >>"$NIMBUSFS_COUNTS"
[ "$failed" -eq 0 ]
