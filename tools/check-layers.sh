#!/usr/bin/env bash
# tools/check-layers.sh - fails on an #include against the direction of the
# layers: fs/ -> the composition root (backend/daemon.*) -> services
# (backend/ecs, lambda, ec2) -> {workload core, engine, state} -> common.
# A file may include its own module and any lower layer; never a higher
# one, and never another module of its own layer (services never include
# one another; state knows no service, nor the engine's insides).
# Prints each violation as file:line: what and why; exits 1 if any.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# module and rank of a path under the tree
layer_of() {
	case $1 in
	backend/common/*) echo "common 0" ;;
	backend/engine/*) echo "engine 1" ;;
	backend/state/*) echo "state 1" ;;
	backend/workload/*) echo "workload 2" ;;
	backend/ecs/*) echo "ecs 3" ;;
	backend/lambda/*) echo "lambda 3" ;;
	backend/ec2/*) echo "ec2 3" ;;
	backend/daemon.[ch]) echo "root 4" ;;
	fs/*) echo "fs 5" ;;
	*) echo "" ;;
	esac
}

bad=0
checked=0
while IFS= read -r file; do
	read -r mod rank <<<"$(layer_of "$file")"
	[ -n "${mod:-}" ] || {
		echo "check-layers: $file is in no layer; add it to tools/check-layers.sh" >&2
		bad=$((bad + 1))
		continue
	}
	while IFS=: read -r line inc; do
		read -r tmod trank <<<"$(layer_of "$inc")"
		checked=$((checked + 1))
		if [ -z "${tmod:-}" ]; then
			echo "$file:$line: includes \"$inc\", which is in no layer" >&2
			bad=$((bad + 1))
		elif [ "$tmod" != "$mod" ] && [ "$trank" -ge "$rank" ]; then
			if [ "$trank" -eq "$rank" ]; then
				why="$mod and $tmod are one layer: what both need goes down a layer"
			else
				why="$tmod is above $mod"
			fi
			echo "$file:$line: includes \"$inc\": $why" >&2
			bad=$((bad + 1))
		fi
	done < <(grep -n '^#include "' "$file" | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1:\2/')
done < <(find backend fs -name '*.[ch]' | sort)

if [ "$bad" -gt 0 ]; then
	echo "check-layers: $bad include(s) against the layers" >&2
	exit 1
fi
echo "check-layers: $checked includes, all along the layers"
