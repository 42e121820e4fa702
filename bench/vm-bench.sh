#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run inside the qemu VM by "make vm-bench" (scripts/vm-run --demo, module
# loaded): ringbench's workload 8, the module's channels against local
# rings, with the static ringbench in /demo/bin. No system call counting
# (-S): enabling its perf tracepoint patches kernel text, and under TCG a
# 6.12 guest took an int3 oops in syscall_trace_enter() doing that. What the mappings sit on
# (page size, transparent huge pages, NUMA nodes) is printed first, then
# each result file between "RINGBENCH-FILE <name>" and "RINGBENCH-END"
# lines, which bench/vm-bench.mk copies out of the serial log. Busybox sh;
# a non-zero exit fails the target.
set -e

runs=${BENCH_RUNS:-15}
secs=${BENCH_SECS:-0.15}
watchdog=${BENCH_WATCHDOG:-60}
out=/tmp/ringbench
mkdir -p "$out"

echo "== vm-bench on $(uname -r), $(nproc) vCPUs (qemu TCG)"
grep -m1 KernelPageSize /proc/self/smaps || true
for f in enabled shmem_enabled; do
	t=/sys/kernel/mm/transparent_hugepage/$f
	[ -r "$t" ] && echo "THP $f: $(cat "$t")"
done
echo "NUMA nodes: $(ls -d /sys/devices/system/node/node* 2>/dev/null | wc -l)"

rc=0
ringbench -w 8 -r "$runs" -t "$secs" -W "$watchdog" -S -o "$out" >"$out/results.txt" 2>&1 || rc=$?
for f in results.txt results.csv; do
	echo "RINGBENCH-FILE $f"
	cat "$out/$f"
	echo "RINGBENCH-END"
done
# The run must have measured: a module row that did not run fails.
grep -q '^w8,module-threads' "$out/results.csv" || {
	echo "vm-bench: no module rows measured" >&2
	exit 1
}
! grep -q 'ERROR\|FAILED' "$out/results.txt" || {
	echo "vm-bench: a row failed (see above)" >&2
	exit 1
}
exit "$rc"
