#!/usr/bin/env bash
# tests/fuzz/run.sh BINDIR SECONDS TARGET... - runs the libFuzzer harnesses
# `make fuzz` built (BINDIR/fuzz_<target>), each for SECONDS.
#
# Per target: first replays tests/fuzz/crashes/<target>/* (inputs that once
# crashed; each must pass now), then fuzzes a COPY of
# tests/fuzz/corpus/<target>/ (with tests/fuzz/dict/<target>.dict when
# there is one), so a run never dirties the repository. A crash, a leak, an
# input that runs over 10 s or over 2 GB is a failure; libFuzzer stops that
# target at the first one, and its input is kept in BINDIR/../artifacts/
# <target>/ to commit under tests/fuzz/crashes/<target>/ with the fix.
# Prints the executions and crashes of each target and exits non-zero if
# any target failed.
#
# Environment: FUZZ_KEEP_CORPUS=DIR keeps each grown corpus in DIR/<target>
# (to pick new seeds from).
set -uo pipefail

me=fuzz
[[ $# -ge 3 ]] || { echo "usage: $0 BINDIR SECONDS TARGET..." >&2; exit 2; }
bindir=$1 secs=$2
shift 2
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || { echo "$me: SECONDS must be a positive number" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
artifacts=$(cd "$bindir/.." && pwd)/artifacts
work=$(mktemp -d "${TMPDIR:-/tmp}/nbfuzz.XXXXXX") || exit 1
# The harnesses' own scratch files (the zip targets unpack every input) go
# to memory when it can be had: a disk's discards slow them down.
scratch=$work
if [[ -d /dev/shm && -w /dev/shm ]]; then
	scratch=$(mktemp -d /dev/shm/nbfuzz.XXXXXX) || scratch=$work
fi
trap 'rm -rf "$work" "$scratch"' EXIT

common=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048)
passed=0 failed=0 total_execs=0
summary=()

for t in "$@"; do
	bin=$bindir/fuzz_$t
	if [[ ! -x $bin ]]; then
		echo "$me: $t: no harness at $bin" >&2
		summary+=("$(printf '%-16s %12s %8s  %s' "$t" - - "not built")")
		failed=$((failed + 1))
		continue
	fi
	dir=$work/$t
	mkdir -p "$dir/corpus" "$dir/art" "$scratch/$t"
	[[ -d $here/corpus/$t ]] && cp -R "$here/corpus/$t/." "$dir/corpus/"
	note=

	# 1. Crash reproducers: each must run clean now.
	repro=()
	if [[ -d $here/crashes/$t ]]; then
		while IFS= read -r -d '' f; do repro+=("$f"); done \
			< <(find "$here/crashes/$t" -type f ! -name '*.md' -print0 | sort -z)
	fi
	if [[ ${#repro[@]} -gt 0 ]]; then
		if ! TMPDIR=$scratch/$t timeout 600 "$bin" "${common[@]}" "${repro[@]}" >"$dir/repro.log" 2>&1; then
			echo "$me: $t: a committed crash reproducer fails again:" >&2
			grep -E 'ERROR|SUMMARY|fuzz:|Running: ' "$dir/repro.log" | head -20 >&2
			note="reproducer fails"
		fi
	fi

	# 2. Fuzz a copy of the seed corpus.
	opts=("${common[@]}" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$dir/art/")
	[[ -f $here/dict/$t.dict ]] && opts+=(-dict="$here/dict/$t.dict")
	echo "$me: $t: fuzzing for ${secs}s (seeds: $(find "$dir/corpus" -type f | wc -l))"
	TMPDIR=$scratch/$t timeout $((secs * 2 + 120)) "$bin" "${opts[@]}" "$dir/corpus" >"$dir/fuzz.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -1)
	execs=${execs:-0}
	total_execs=$((total_execs + execs))
	crashes=$(find "$dir/art" -type f | wc -l)
	if [[ $rc -ne 0 || $crashes -gt 0 ]]; then
		[[ $crashes -eq 0 ]] && crashes=1 # killed by timeout(1), or died without an artifact
		mkdir -p "$artifacts/$t"
		cp "$dir/art/"* "$artifacts/$t/" 2>/dev/null
		cp "$dir/fuzz.log" "$artifacts/$t/fuzz.log"
		echo "$me: $t: CRASH (exit $rc); input and log in $artifacts/$t/:" >&2
		grep -E '^==[0-9]+==ERROR|^SUMMARY|^fuzz:|runtime error|ERROR: libFuzzer' "$dir/fuzz.log" | head -20 >&2
		note="${note:+$note; }crashed"
	fi
	if [[ -n ${FUZZ_KEEP_CORPUS:-} ]]; then
		mkdir -p "$FUZZ_KEEP_CORPUS/$t"
		cp -R "$dir/corpus/." "$FUZZ_KEEP_CORPUS/$t/"
	fi
	if [[ -n $note ]]; then
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
	summary+=("$(printf '%-16s %12s %8s  %s' "$t" "$execs" "$crashes" "${note:-ok}")")
	rm -rf "$dir" "${scratch:?}/$t"
done

echo
printf '%-16s %12s %8s\n' target executions crashes
printf '%s\n' "${summary[@]}"
echo "fuzz: $total_execs executions in all"
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
