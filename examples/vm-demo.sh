#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The demo "make demo" runs inside the VM once the module is loaded:
# ringmpsc-collector consumes channel demo-spans; four ringmpsc-spangen
# processes record spans into it; the collector is killed with SIGKILL
# half-way and restarted (nothing is lost: it re-exports what it had not
# released), then stopped with SIGTERM. It exports OTLP/JSON lines to a
# file (this static build has no OTLP/HTTP exporter: the VM has no libc
# for libcurl). Busybox sh; DEMO_BINS are on PATH. Non-zero exit fails
# "make demo".
set -e

out=/tmp/spans.jsonl
prom=/tmp/collector.prom
collect() {
	ringmpsc-collector --channel demo-spans --exporter file --file $out \
		--metrics-file $prom --batch-max-delay-ms 50 "$@" &
	col=$!
}

echo "== ringmpsc demo on $(uname -r), $(nproc) cpus (TCG-emulated: slow)"
ls -l /dev/ringmpsc
echo "== ringmpsc-collector, 4 ringmpsc-spangen processes x 20000 spans"
collect
sleep 1
pids=
for i in 0 1 2 3; do
	ringmpsc-spangen --channel demo-spans --id $i --spans 20000 --rate 10000 &
	pids="$pids $!"
done
sleep 1
echo "== kill -9 the collector under load, start another"
kill -9 $col
wait $col || true
collect --unlink-at-exit
for p in $pids; do wait $p; done
sleep 1
kill -TERM $col
wait $col
echo "== exported (the first collector's metrics file was replaced by the second's)"
grep -E '^ringmpsc_collector_(spans_received|spans_exported|spans_inherited)_total' $prom
echo "$(wc -l <$out) OTLP requests, $(grep -o '"traceId"' $out | wc -l) spans in $out"
echo "== the first span"
head -c 700 $out
echo
echo "== demo done"
