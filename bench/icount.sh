#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/icount.sh ICOUNT_BINARY: the cost per message of each
# single-message call, generic against <ringmpsc/typed.h>, on one thread
# (bench/icount.c). The binary runs once plainly: it checks every message
# and prints each function with its messages and its fastest burst's ns
# per message. Then once per function under valgrind's callgrind,
# collecting only inside that function and its callees: instructions per
# message, with no hardware counters needed.
set -eu

bin=${1:?usage: bench/icount.sh path/to/ringbench-icount}
if ! command -v valgrind >/dev/null; then
	echo "icount.sh: valgrind not found: apt-get install valgrind" >&2
	exit 1
fi
out=$(mktemp)
trap 'rm -f "$out" "$out.list"' EXIT
"$bin" >"$out.list"

printf '%-22s %14s %18s\n' "function" "instr/message" "best ns/message"
while read -r fn msgs ns; do
	valgrind -q --tool=callgrind --collect-atstart=no \
		--toggle-collect="$fn" --callgrind-out-file="$out" \
		"$bin" >/dev/null
	ir=$(sed -n 's/^totals: *//p' "$out")
	if [ -z "$ir" ] || [ "$ir" -eq 0 ]; then
		echo "icount.sh: no instructions counted in $fn" >&2
		exit 1
	fi
	awk -v fn="$fn" -v ir="$ir" -v n="$msgs" -v ns="$ns" \
		'BEGIN { printf "%-22s %14.1f %18.2f\n", fn, ir / n, ns }'
done <"$out.list"
