#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the VM by "make demo" (scripts/vm-run --demo) after
# the module is loaded; the VM unloads it and checks the kernel log after.
# Busybox sh. DEMO_BINS (static binaries) are in /demo/bin, on PATH.
# A non-zero exit fails "make demo".
set -e

echo "== ringmpsc demo on $(uname -r), $(nproc) cpus"
echo "== module"
grep '^ringmpsc ' /proc/modules
echo "== device"
ls -l /dev/ringmpsc
grep ' ringmpsc$' /proc/misc

echo "== demo programs"
ls /demo/bin

# ---- demo steps -------------------------------------------------------------
# Hook for the module/library engineers: put the demo here, e.g. a consumer
# in the background and a few producers, each with its own output:
#
#   collector --channel demo >/tmp/collector.log &
#   for i in 1 2 3; do producer --channel demo --count 1000 & done
#   wait
#
# Keep it short (the VM is emulated, ~10x slower than the host) and make it
# exit non-zero if something is wrong.
# -----------------------------------------------------------------------------

echo "== demo done"
