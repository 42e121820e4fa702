# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel run:
#   make debug-kernel   build the debug kernel (scripts/debug-kernel: Debian's
#                       kernel source with scripts/debug-kernel.config, i.e.
#                       KASAN, KFENCE, lockdep, kmemleak, ...), once per key,
#                       cached outside the repository
#   make module-debug   the module against it, with its invariant checks
#                       (RINGMPSC_DEBUG) and -g, in $(BUILD)/kdebug/
#   make check-debug    boot it, run VM_TEST_BINS and DEBUG_TEST_BINS with
#                       panic_on_warn; any checker's report fails the run
#
# A fragment adds what only the debug run takes (crash storms, soaks):
#   DEBUG_TEST_BINS += $(BUILD)/soak/storm_test
# each a static binary that prints TAP like the kselftests (it may be
# made by a rule of that fragment). DEBUG_TEST_BINS is not set here: a
# fragment read before this one may already have added to it.
#
# Reports name module frames as function+offset; the source line is
#   $(scripts/debug-kernel dir)/src/scripts/faddr2line \
#	build/kdebug/kmod/ringmpsc.ko rmpsc_ioctl+0x12/0x340

# The checkers make TCG much slower than the stock kernels; the fuzzer's
# long run alone takes 5 to 30 minutes, by the machine's load.
DEBUG_VM_TIMEOUT   ?= 5400
DEBUG_TEST_TIMEOUT ?= 3300
DEBUG_VM_MEM       ?= 2G
# Freed pages are poisoned and checked when reused (CONFIG_PAGE_POISONING).
DEBUG_VM_APPEND    ?= page_poison=1
# Environment of the tests there (scripts/vm-run -e): the ping-pong of
# wakeup_test takes ~1 ms a round trip on the stock kernels under TCG,
# several times that here; 10k round trips instead of 100k. The fuzzer
# (fuzz_test) runs its long run here: 4 x 100k worker ops, over 10^6 ops
# with its children's (10^5 worker ops on the stock kernels). The
# event-loop hand-offs (stream_test, evloop_test) pass 20k messages each
# instead of 100k: their sleeps and wakeups are what the checkers slow most.
# RINGMPSC_DEBUG_KERNEL skips the one measure the checkers distort:
# hardening_test's bound on MemFree (their metadata is 2.2x the charge).
DEBUG_VM_ENV       ?= RINGMPSC_ROUND_TRIPS=10000 RINGMPSC_FUZZ_OPS=400000 \
		      RINGMPSC_STREAM_N=20000 RINGMPSC_DEBUG_KERNEL=1
DEBUG_KERNEL_TOOL   = scripts/debug-kernel --source "$(LINUX_SRC_TAR)"
DEBUG_MODULE_KO    := $(BUILD)/kdebug/kmod/$(MODULE_NAME).ko

DEPS_PACKAGES += flex bison bc libelf-dev

.PHONY: debug-kernel module-debug check-debug debug-test-bins

debug-kernel:
	@$(DEBUG_KERNEL_TOOL) build >/dev/null

# Whatever kmod/ is in the tree, built in a copy of its own (as for the
# other kernels in the top-level Makefile).
module-debug: debug-kernel
	scripts/mirror-tree $(BUILD)/kdebug Kbuild kmod uapi
	$(MAKE) -C "$$($(DEBUG_KERNEL_TOOL) kbuild)" M=$(CURDIR)/$(BUILD)/kdebug \
		RINGMPSC_DEBUG=1 KCFLAGS=-g modules

# VM_TEST_BINS is complete only once every fragment is read (this one comes
# before selftests/), so the binaries are made when the recipe runs.
debug-test-bins:
	@$(MAKE) --no-print-directory $(VM_TEST_BINS) $(DEBUG_TEST_BINS)

check-debug: module-debug debug-test-bins
	VM_MEM=$(DEBUG_VM_MEM) scripts/vm-run -k "$$($(DEBUG_KERNEL_TOOL) image)" \
		-m $(DEBUG_MODULE_KO) -t $(DEBUG_VM_TIMEOUT) -T $(DEBUG_TEST_TIMEOUT) \
		--append "$(strip $(DEBUG_VM_APPEND) $(VM_APPEND))" \
		$(addprefix -e ,$(DEBUG_VM_ENV)) \
		$(VM_TEST_BINS) $(DEBUG_TEST_BINS)
