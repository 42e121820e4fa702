# SPDX-License-Identifier: GPL-2.0
#
# arm64: the library and its host tests cross-built for arm64 with Debian's
# gcc-aarch64-linux-gnu and run under qemu-user, so that the portable paths
# of <ringmpsc/barrier.h> (no x86 pause or prefetchw) are built and tested:
#   make check-arm64          in make check (CHECK_HOST_TARGETS)
#   make check-arm64 ARM64_SETS=plain ARM64_STRESS_N=1000000
# The build goes to $(BUILD)/arm64/ by a make of its own (BUILD, CC and AR
# of the cross toolchain), reusing the extracted kernel tree for the
# kselftest harness. The tests run under qemu-aarch64-static, which
# emulates arm64 on the host's memory order: this checks the code, not
# the weaker ordering of arm64 hardware (spec.md section 3 has that
# argument). Sets: plain, and asan (ASan + UBSan) without LeakSanitizer,
# which cannot stop the threads of an emulated process (the x86 asan set
# checks leaks). No tsan set: ThreadSanitizer re-executes the binary to
# change its address space, which fails without binfmt_misc (ENOEXEC), as
# in a container.
#
# The module is cross-built for Debian's arm64 kernels of ARM64_KERNELS,
# against their own headers (linux-headers-<release>:arm64, fetched and
# cached by scripts/arm64-kernel), with no warning and every imported
# symbol exported by that kernel (scripts/arm64-module):
#   make module-arm64         all of them, in make check-arm64
#   make module-arm64-6.1     one, in $(BUILD)/arm64/k6.1/
#
# And the module run: Debian's arm64 kernels of ARM64_VM_KERNELS booted
# in qemu-system-aarch64 (TCG, -M virt -cpu max) with an arm64 busybox,
# the module built above and the kselftests cross-built statically (not
# in make check: 1 to 6 minutes a kernel on this machine, by its load):
#   make vm-check-arm64       every kernel, one summary line
#   make vm-check-arm64-6.1   one

ARM64_CROSS   ?= aarch64-linux-gnu-
ARM64_QEMU    ?= qemu-aarch64-static
ARM64_SYSROOT ?= /usr/aarch64-linux-gnu
ARM64_SETS    ?= plain asan
# Messages per producer in the stress tests (emulation is ~20x slower).
ARM64_STRESS_N      ?= 300000
ARM64_ASAN_STRESS_N ?= 100000
ARM64_BUILD   := $(BUILD)/arm64
ARM64_TESTS   := $(foreach s,$(ARM64_SETS),\
		   $(addprefix $(ARM64_BUILD)/lib/tests/$(s)/,$(LIB_TEST_NAMES)))

ARM64_KERNELS ?= $(VM_KERNELS)
ARM64_VM_KERNELS ?= $(ARM64_KERNELS)
ARM64_VM_TIMEOUT ?= 1800
# Every kselftest but observe_test, which would need an arm64 libjansson
# and the static CLI built for arm64.
ARM64_VM_TESTS ?= $(filter-out observe_test,\
		  $(patsubst selftests/%.c,%,$(wildcard selftests/*_test.c)))
ARM64_VM_BINS  := $(addprefix $(ARM64_BUILD)/selftests/,$(ARM64_VM_TESTS))
# Sleeping hand-offs are slow under arm64 TCG: a wakeup round trip takes
# ~15 ms (2000 trips, not 120 s' worth), the 100k-message epoll hand-off
# of stream_test 230 s of its 280 s limit on a loaded machine (20k). The
# checks that a wakeup comes within 5 s stay as they are.
ARM64_VM_ENV   ?= RINGMPSC_ROUND_TRIPS=2000 RINGMPSC_STREAM_N=20000
# User space for arm64: a make of its own in $(ARM64_BUILD).
ARM64_MAKE = $(MAKE) --no-print-directory BUILD=$(ARM64_BUILD) \
	     LINUX_SRC=$(abspath $(LINUX_SRC)) \
	     CC=$(ARM64_CROSS)gcc AR=$(ARM64_CROSS)ar

DEPS_PACKAGES += gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static \
		 qemu-system-arm
CHECK_HOST_TARGETS += check-arm64
# scripts/install-deps makes dpkg and apt know arm64, whose kernel packages
# scripts/arm64-kernel downloads (never installs).
deps: export DEPS_ARCHS += arm64

.PHONY: arm64-tests check-arm64 module-arm64 $(addprefix module-arm64-,$(ARM64_KERNELS)) \
	arm64-vm-bins vm-check-arm64 $(addprefix vm-check-arm64-,$(ARM64_VM_KERNELS))

module-arm64: $(addprefix module-arm64-,$(ARM64_KERNELS))

$(addprefix module-arm64-,$(ARM64_KERNELS)): module-arm64-%:
	ARM64_CROSS=$(ARM64_CROSS) scripts/arm64-module $* $(ARM64_BUILD)/k$*

arm64-tests: $(LINUX_SRC_STAMP)
	@command -v $(ARM64_CROSS)gcc >/dev/null || \
		{ echo "arm64: $(ARM64_CROSS)gcc not found (make deps: gcc-aarch64-linux-gnu)"; exit 1; }
	$(ARM64_MAKE) $(ARM64_TESTS)

check-arm64: arm64-tests module-arm64
	@command -v $(ARM64_QEMU) >/dev/null || \
		{ echo "arm64: $(ARM64_QEMU) not found (make deps: qemu-user-static)"; exit 1; }
	QEMU_LD_PREFIX=$(ARM64_SYSROOT) RINGMPSC_TEST_EXEC=$(ARM64_QEMU) \
	RINGMPSC_STRESS_N=$(ARM64_STRESS_N) \
	RINGMPSC_ASAN_STRESS_N=$(ARM64_ASAN_STRESS_N) ASAN_OPTIONS=detect_leaks=0 \
		lib/tests/run-tests.sh $(ARM64_BUILD)/lib/tests "$(LIB_TEST_NAMES)" \
		$(ARM64_SETS)

arm64-vm-bins: $(LINUX_SRC_STAMP)
	$(ARM64_MAKE) $(ARM64_VM_BINS)

vm-check-arm64:
	@scripts/run-steps $(MAKE) $(addprefix vm-check-arm64-,$(ARM64_VM_KERNELS))

$(addprefix vm-check-arm64-,$(ARM64_VM_KERNELS)): vm-check-arm64-%: \
		module-arm64-% arm64-vm-bins
	busybox=$$(scripts/arm64-kernel $* busybox) && \
	image=$$(scripts/arm64-kernel $* image) && \
	scripts/vm-run --arch arm64 --busybox "$$busybox" -k "$$image" \
		-m $(ARM64_BUILD)/k$*/kmod/$(MODULE_NAME).ko \
		$(VM_RUN_OPTS) -t $(ARM64_VM_TIMEOUT) \
		$(addprefix -e ,$(ARM64_VM_ENV)) $(ARM64_VM_BINS)
