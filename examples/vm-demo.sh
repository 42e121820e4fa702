#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The demo "make demo" runs inside the VM once the module is loaded:
# ringmpsc-collector consumes channel demo-spans and exports OTLP/HTTP
# (JSON) to DEMO_OTLP_ENDPOINT, the test receiver on the host (see
# scripts/vm-demo-otlp, which also checks what it received);
# DEMO_PRODUCERS ringmpsc-spangen processes record DEMO_SPANS spans each;
# once the receiver has taken a few requests, the collector is killed with
# SIGKILL and another started (nothing is lost: it re-exports what the
# first had not released); once every ring is empty it is stopped with
# SIGTERM. Busybox sh; DEMO_BINS are on PATH. Non-zero
# exit fails "make demo".
set -e

endpoint=${DEMO_OTLP_ENDPOINT:?"no DEMO_OTLP_ENDPOINT: run me through make demo"}
producers=${DEMO_PRODUCERS:-4}
spans=${DEMO_SPANS:-20000}
prom=/tmp/collector.prom
collect() {
	ringmpsc-collector --channel demo-spans --endpoint "$endpoint" \
		--metrics-file $prom --metrics-interval-ms 200 \
		--batch-max-delay-ms 50 "$@" &
	col=$!
}
# The collector has had a few requests taken by the receiver.
exported_some() {
	[ "$(sed -n 's/^ringmpsc_collector_batches_exported_total //p' $prom)" \
		-ge 3 ] 2>/dev/null
}
# No ring holds a span: all were exported (slots are released only then).
rings_empty() {
	ringmpsc stat demo-spans |
		awk '$1 ~ /^[0-9]+$/ && $7 != "0" { n++ } END { exit n > 0 }'
}
# wait_for SECS WHAT CONDITION: poll CONDITION; after SECS, fail.
wait_for() {
	t=0
	until $3; do
		if [ $t -ge $(($1 * 2)) ]; then
			echo "not $2 after $1 s:"
			ringmpsc stat demo-spans
			exit 1
		fi
		sleep 0.5
		t=$((t + 1))
	done
}

echo "== ringmpsc demo on $(uname -r), $(nproc) cpus (TCG-emulated: slow)"
ls -l /dev/ringmpsc
echo "== ringmpsc-collector exporting to $endpoint (the host's test receiver)"
echo "== $producers ringmpsc-spangen processes x $spans spans"
collect
sleep 1
pids=
i=0
while [ $i -lt "$producers" ]; do
	ringmpsc-spangen --channel demo-spans --id $i --spans "$spans" \
		--rate 10000 &
	pids="$pids $!"
	i=$((i + 1))
done
wait_for 120 "exporting" exported_some
echo "== kill -9 the collector under load; what it left in the rings:"
kill -9 $col
wait $col || true
ringmpsc stat demo-spans | sed -n '/^ *RING/,$p'
echo "== another collector takes over"
collect --unlink-at-exit
for p in $pids; do wait "$p"; done
echo "== producers done; waiting for the collector to empty the rings"
wait_for 300 "empty" rings_empty
kill -TERM $col
wait $col
echo "== the second collector's metrics"
grep -E '^ringmpsc_collector_(spans_received|spans_exported|spans_inherited|batches_exported|export_retries)_total' $prom
echo "== demo done"
