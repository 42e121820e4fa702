# SPDX-License-Identifier: GPL-2.0
#
# Kernel selftests: each selftests/<name>_test.c becomes a statically linked
# binary $(BUILD)/selftests/<name>_test (the VM has no libc), built with the
# kselftest harness from the kernel source and linked with libringmpsc.a
# when lib/lib.mk defines LIBRINGMPSC_A. They run in the VM on every kernel
# (make vm-check) or on a host with module support (make check-host).

SELFTEST_SRCS := $(sort $(wildcard selftests/*_test.c))
SELFTEST_BINS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(SELFTEST_SRCS))
SELFTEST_HDRS := $(wildcard selftests/*.h)
# The 6.1 harness leaves some parameters unused (kselftests build without
# -Wextra); everything else stays -Werror.
SELFTEST_CFLAGS := -I$(KSFT_INC) -Iselftests -pthread -Wno-unused-parameter
SELFTEST_LDLIBS := -lpthread

ALL_TARGETS += $(SELFTEST_BINS)
VM_TEST_BINS += $(SELFTEST_BINS)
LINT_USER_SOURCES += $(SELFTEST_SRCS)
LINT_CFLAGS_selftests := $(SELFTEST_CFLAGS)

.PHONY: selftests
selftests: $(SELFTEST_BINS)

$(BUILD)/selftests/%: selftests/%.c $(SELFTEST_HDRS) $(LINUX_SRC_STAMP) \
		uapi/linux/ringmpsc.h $(LIBRINGMPSC_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SELFTEST_CFLAGS) -static -o $@ $< \
		$(LIBRINGMPSC_A) $(LDFLAGS) $(SELFTEST_LDLIBS)

# The fuzzer (fuzz_test) runs RINGMPSC_FUZZ_OPS ops (default 10^5) in
# every VM run; "make fuzz" soaks one kernel with many more, and a seed
# that failed runs again with FUZZ_SEED=<the seed it printed>:
#   make fuzz [FUZZ_KERNEL=6.12] [FUZZ_OPS=5000000] [FUZZ_SEED=0x...]
FUZZ_KERNEL ?= 6.1
FUZZ_OPS    ?= 5000000
FUZZ_SEED   ?=

.PHONY: fuzz
fuzz: module-$(FUZZ_KERNEL) $(BUILD)/selftests/fuzz_test
	scripts/vm-run -k "$(KREL_$(FUZZ_KERNEL))" -m $(MODULE_KO_$(FUZZ_KERNEL)) \
		-t 3600 -T 3300 -e RINGMPSC_FUZZ_OPS=$(FUZZ_OPS) \
		$(if $(FUZZ_SEED),-e RINGMPSC_FUZZ_SEED=$(FUZZ_SEED)) \
		$(if $(VM_APPEND),--append "$(VM_APPEND)") \
		$(BUILD)/selftests/fuzz_test
