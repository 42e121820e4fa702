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
# Reports of the stock kernels, then of the debug kernel's checkers (KASAN,
# KFENCE, lockdep, sleep-in-atomic, slub_debug's "BUG <cache> (...)").
KLOG_PATTERN='WARNING:|BUG:|Oops|general protection fault|unreferenced object|UBSAN:|KASAN:|kernel BUG|Call Trace:|list_add corruption|list_del corruption|refcount_t:|INFO: task .* blocked|possible circular locking|inconsistent lock state'
KLOG_PATTERN="$KLOG_PATTERN"'|KFENCE:|possible recursive locking|suspicious RCU usage|bad unlock balance|held lock freed|trying to register non-static key|sleeping function called from invalid context|BUG [^ ]+ \((Not tainted|Tainted)'

# kmemleak and lockdep exist only on debug kernels; kmemleak's file lists
# what its last scan found, lockdep's debug_locks drops to 0 when it stops
# checking (after a report, or when one of its tables is full).
kml=/sys/kernel/debug/kmemleak
lockdep=/proc/lockdep_stats
problems=
problem() { problems="$problems$*
"; }

status=0
mark="ringmpsc-ktest: begin $$ $(date +%s)"
echo "<6>$mark" >/dev/kmsg 2>/dev/null || true

if grep -q "^$mod " /proc/modules 2>/dev/null; then
	echo "RINGMPSC-INSMOD FAILED ($mod is already loaded; not touching it)"
	echo "RINGMPSC-DONE"
	exit 1
fi

# Leaks from boot are not ours: two scans report those old enough (5 s),
# "clear" forgets them.
if [ -e "$kml" ]; then
	sleep 5
	{ echo scan >"$kml" && echo scan >"$kml" &&
		echo clear >"$kml"; } 2>/dev/null ||
		problem "kmemleak: cannot scan before the tests (disabled?)"
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

# kmemleak: scan twice (objects must age 5 s first, and a leak is reported
# after two scans that found it unreferenced). debugfs files have size 0:
# read the contents.
if [ -e "$kml" ]; then
	sleep 6
	if { echo scan >"$kml" && echo scan >"$kml"; } 2>/dev/null; then
		leaks=$(cat "$kml")
		[ -z "$leaks" ] || problem "$(echo "$leaks" | head -n 40 |
			sed 's/^/kmemleak: /')
kmemleak: $(echo "$leaks" | grep -c 'unreferenced object') unreferenced objects in all"
	else
		problem "kmemleak: cannot scan after the tests (disabled?)"
	fi
fi
if [ -r "$lockdep" ] && grep -Eq 'debug_locks: +0$' "$lockdep"; then
	problem "lockdep: off (debug_locks 0): it reported or ran out of room, see the log"
fi

# Kernel log since our mark.
klog=$(dmesg | sed -n "/$mark/,\$p" | grep -E "$KLOG_PATTERN")
if [ -n "$klog" ] || [ -n "$problems" ]; then
	printf '%s\n%s\n' "$klog" "$problems" |
		sed '/^$/d; s/^/RINGMPSC-KLOG-LINE /'
	echo "RINGMPSC-KLOG dirty"
	status=1
else
	echo "RINGMPSC-KLOG clean"
fi

echo "RINGMPSC-DONE"
exit $status
