#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ktest.sh test|demo MODULE.ko TIMEOUT ITEM...
#
# Load the module, run ITEMs, unload the module and check the kernel log.
# POSIX sh that busybox runs: it is the body of the VM's /init (see vm-run)
# and is also what "make check-host" runs as root on a machine that can
# load modules.
#
#   test  ITEMs are kselftest binaries, each run with its own TIMEOUT
#         (seconds); their TAP goes to stdout between markers.
#   demo  ITEM is a shell script (vm-demo.sh) run with TIMEOUT.
#
# Every line the host parses starts with "RINGMPSC-" (see tap-check):
#   RINGMPSC-INSMOD ok|FAILED ...
#   RINGMPSC-TEST-BEGIN <name>
#   RINGMPSC-TEST-END <name> rc=<exit status>
#   RINGMPSC-RMMOD ok|FAILED ...
#   RINGMPSC-KLOG clean|dirty
#   RINGMPSC-KLOG-LINE <kernel log line>
#   RINGMPSC-DONE
# The exit status is 0 only if the module loaded and unloaded cleanly; the
# TAP verdict is the host's business.

mode=$1
ko=$2
tmo=$3
shift 3

mod=$(basename "$ko" .ko)
KLOG_PATTERN='WARNING:|BUG:|Oops|general protection fault|unreferenced object|UBSAN:|KASAN:|kernel BUG|Call Trace:|list_add corruption|list_del corruption|refcount_t:|INFO: task .* blocked|possible circular locking|inconsistent lock state'

status=0
mark="ringmpsc-ktest: begin $$ $(date +%s)"
echo "<6>$mark" >/dev/kmsg 2>/dev/null || true

if grep -q "^$mod " /proc/modules 2>/dev/null; then
	echo "RINGMPSC-INSMOD FAILED ($mod is already loaded; not touching it)"
	echo "RINGMPSC-DONE"
	exit 1
fi

if insmod "$ko"; then
	echo "RINGMPSC-INSMOD ok"
	loaded=1
else
	echo "RINGMPSC-INSMOD FAILED (rc=$?)"
	loaded=0
	status=1
fi

# devtmpfs (or udev on a host) creates the node; give udev a moment.
i=0
while [ "$loaded" = 1 ] && [ ! -c /dev/ringmpsc ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

run_item() {
	name=$1
	shift
	echo "RINGMPSC-TEST-BEGIN $name"
	(cd /tmp && timeout -k 10 "$tmo" "$@" </dev/null)
	rc=$?
	echo "RINGMPSC-TEST-END $name rc=$rc"
}

if [ "$loaded" = 1 ]; then
	case $mode in
	test)
		for t in "$@"; do
			run_item "$(basename "$t")" "$t"
		done
		;;
	demo)
		run_item demo sh "$1"
		;;
	*)
		echo "ktest.sh: unknown mode $mode" >&2
		status=1
		;;
	esac

	# Unload with busybox/kmod rmmod: fails (EBUSY/EAGAIN) while any
	# reference is held, which is what we want to catch.
	if rmmod "$mod"; then
		echo "RINGMPSC-RMMOD ok"
	else
		echo "RINGMPSC-RMMOD FAILED (rc=$?)"
		status=1
	fi
fi

# kmemleak, when the kernel has it: scan twice (objects must age first).
kml=/sys/kernel/debug/kmemleak
if [ -w "$kml" ]; then
	sleep 6
	echo scan >"$kml"
	echo scan >"$kml"
	if [ -s "$kml" ]; then
		sed 's/^/RINGMPSC-KLOG-LINE kmemleak: /' "$kml"
		klog_leak=1
	fi
fi

# Kernel log since our mark.
klog=$(dmesg | sed -n "/$mark/,\$p" | grep -E "$KLOG_PATTERN")
if [ -n "$klog" ] || [ -n "$klog_leak" ]; then
	echo "$klog" | sed '/^$/d; s/^/RINGMPSC-KLOG-LINE /'
	echo "RINGMPSC-KLOG dirty"
	status=1
else
	echo "RINGMPSC-KLOG clean"
fi

echo "RINGMPSC-DONE"
exit $status
