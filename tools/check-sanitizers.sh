#!/usr/bin/env bash
# tools/check-sanitizers.sh - `make check-sanitizers`: the integration
# suites against a nimbusfs built with AddressSanitizer + UBSan, then with
# ThreadSanitizer. A report in the daemon's log fails the test that ran it
# (tests/helper.bash's nb_unmount greps for it). Appends each run's counts
# to $NIMBUSFS_COUNTS like tools/run-integration.sh.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
status=0
flags_asan="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
flags_tsan="-O1 -g -fsanitize=thread"

for s in asan tsan; do
	if [ "$s" = asan ]; then
		flags=$flags_asan ldflags="-fsanitize=address,undefined"
	else
		flags=$flags_tsan ldflags="-fsanitize=thread"
	fi
	echo "== integration tests against nimbusfs built with ${s^^}"
	if ! make --no-print-directory -s BUILD="build/$s" CFLAGS="$flags" LDFLAGS="$ldflags" \
		"build/$s/nimbusfs"; then
		echo "check-sanitizers: cannot build the $s daemon" >&2
		[ -z "${NIMBUSFS_COUNTS:-}" ] || echo "0 1" >>"$NIMBUSFS_COUNTS"
		status=1
		continue
	fi
	# The kill -9 loop, the engine restart, the load and the state files
	# (logs past 64 MiB, 1400 invocations: sizes, not new paths) run a
	# sanitized daemon through nothing the other suites do not, at many
	# times the cost; they run against the plain build only.
	NIMBUSFS_SUITES=$(cd tests/integration && ls ./*.bats | sed 's|^\./||' |
		grep -vxE 'crash.bats|engine_restart.bats|load.bats|state_files.bats' | tr '\n' ' ') \
		NIMBUSFS="$PWD/build/$s/nimbusfs" NIMBUSFS_SANITIZER=$s \
		ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" TSAN_OPTIONS="halt_on_error=0" \
		tools/run-integration.sh || status=1
done
exit "$status"
