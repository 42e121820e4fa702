#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the VM by "make vm-check-install" (scripts/vm-run --demo),
# with the module loaded: quickstart, built out of tree against the
# staged install (headers, ringmpsc.pc, libringmpsc.a) and nothing else,
# passes messages through module channels. Busybox sh; non-zero fails.
set -e

quickstart --count 200000
quickstart --name installed-check --count 1000
echo "vm-installed: quickstart from the installed headers passes messages"
