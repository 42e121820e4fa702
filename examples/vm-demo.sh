#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The demo "make demo" runs inside the VM once the module is loaded: a
# span collector (the consumer) and four producer processes that send for
# a few seconds through /dev/ringmpsc, then per-producer counts,
# throughput and the verification verdict. Busybox sh; DEMO_BINS are on
# PATH. Non-zero exit fails "make demo".
set -e

echo "== ringmpsc demo on $(uname -r), $(nproc) cpus (TCG-emulated: slow)"
ls -l /dev/ringmpsc
echo "== spancollector: 1 consumer, 4 producer processes, 3 s"
spancollector --producers 4 --seconds 3 --name demo-spans
echo "== spancollector: 8 producer processes, 2 s"
spancollector --producers 8 --seconds 2 --name demo-spans-8
echo "== demo done"
