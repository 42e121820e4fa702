# Host tests of libringmpsc (included by lib/lib.mk): unit, corrupt-ring and
# stress tests, each built plain, with ThreadSanitizer and with
# AddressSanitizer + UBSan, and run once under valgrind.
#
#   make lib-tests                  build every test binary
#   make check-lib                  run them all; fails on any failure
#   make check-lib LIB_CHECK_SETS="plain asan"   only some builds
#
# Each lib/tests/test_*.c is a kselftest harness program (the harness of
# the kernel source tree the build extracts, as for selftests/): every test
# runs in a process of its own, under the timeout its TEST_F_TIMEOUT gives
# (30 s for a plain TEST_F), and the program prints TAP. The 6.1 harness
# takes no options, so sizes come from the environment:
#   RINGMPSC_STRESS_N  messages per producer in test_stress (default 10
#                      million; the blocking and 2-slot multi-process
#                      variants send a tenth), round trips x 100 in the
#                      ping-pongs of test_stress and test_barrier
#   RINGMPSC_FUZZ_N    at most this many fuzz iterations and hostile-ring
#                      messages in test_corrupt
# lib/tests/run-tests.sh sets them per build (fewer under the sanitizers
# and valgrind) and judges the TAP with lib/tests/tap-judge (perl's
# TAP::Parser, as prove(1) uses). By hand:
#   RINGMPSC_STRESS_N=100000 build/lib/tests/plain/test_stress
#   prove --exec '' build/lib/tests/plain/test_api
#
# Plain binaries link $(LIBRINGMPSC_A); sanitizer binaries compile the
# library sources with the test under the same flags. Every build turns
# the INV- assertions of lib/invariants.h on.

LIB_TEST_SRCS := $(sort $(wildcard lib/tests/*.c))
LIB_TEST_NAMES := $(patsubst lib/tests/%.c,%,$(LIB_TEST_SRCS))
LIB_TEST_DIR := $(BUILD)/lib/tests
LIB_TEST_DEPS := $(wildcard lib/tests/*.h) lib/invariants.h \
		 lib/include/ringmpsc.h $(wildcard lib/include/ringmpsc/*.h) \
		 uapi/linux/ringmpsc.h $(LINUX_SRC_STAMP)
# The kselftest harness, from the kernel source tree the build extracts.
LIB_TEST_CFLAGS := -pthread -I$(KSFT_INC)
LIB_TEST_PLAIN := $(addprefix $(LIB_TEST_DIR)/plain/,$(LIB_TEST_NAMES))
LIB_TEST_TSAN := $(addprefix $(LIB_TEST_DIR)/tsan/,$(LIB_TEST_NAMES))
LIB_TEST_ASAN := $(addprefix $(LIB_TEST_DIR)/asan/,$(LIB_TEST_NAMES))
LIB_TEST_SAN_BINS := $(LIB_TEST_TSAN) $(LIB_TEST_ASAN)
LIB_TEST_BINS := $(LIB_TEST_PLAIN) $(LIB_TEST_SAN_BINS)

LIB_CHECK_SETS ?= plain tsan asan valgrind

# TSan: gcc 12's runtime works with this kernel's mmap randomisation; the
# runner still starts TSan binaries under "setarch -R" (no ASLR) where it
# can, which newer runtimes need when vm.mmap_rnd_bits is high.
# gcc warns that TSan does not model standalone fences (the Dekker fences
# of the wakeup protocol); the ring's release/acquire pairs are modelled.
LIB_TSAN_NOWARN := $(shell $(CC) -Werror -Wno-tsan -fsanitize=thread -x c \
		     -c -o /dev/null /dev/null 2>/dev/null && echo -Wno-tsan)
LIB_SAN_COMMON := -O1 -g -fno-omit-frame-pointer -Ilib -include lib/invariants.h
LIB_TSAN_FLAGS := $(LIB_SAN_COMMON) -fsanitize=thread $(LIB_TSAN_NOWARN)
LIB_ASAN_FLAGS := $(LIB_SAN_COMMON) -fsanitize=address,undefined \
		  -fno-sanitize-recover=all

LINT_USER_SOURCES += $(LIB_TEST_SRCS)
$(foreach f,$(LIB_TEST_SRCS),$(eval LINT_CFLAGS_$(f) := $(LIB_TEST_CFLAGS)))
CHECK_HOST_TARGETS += check-lib
DEPS_PACKAGES += valgrind

.PHONY: lib-tests check-lib

lib-tests: $(LIB_TEST_BINS)

$(LIB_TEST_DIR)/plain/%: lib/tests/%.c $(LIB_TEST_DEPS) $(LIBRINGMPSC_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIB_TEST_CFLAGS) -DRINGMPSC_TEST_BUILD='"plain"' -o $@ $< \
		$(LIBRINGMPSC_A)

# Sanitizer builds: the library's sources compiled with the same flags as
# the test, into objects of their own.
define lib_test_san_rules
LIB_TEST_$(2)_OBJS := $$(patsubst lib/%.c,$$(LIB_TEST_DIR)/$(1)/lib/%.o,$$(LIB_SRCS))

$$(LIB_TEST_DIR)/$(1)/lib/%.o: lib/%.c lib/include/ringmpsc.h lib/internal.h \
		uapi/linux/ringmpsc.h lib/invariants.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -pthread $$(LIB_$(2)_FLAGS) -c -o $$@ $$<

$$(LIB_TEST_DIR)/$(1)/%: lib/tests/%.c $$(LIB_TEST_DEPS) $$(LIB_TEST_$(2)_OBJS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(LIB_TEST_CFLAGS) $$(LIB_$(2)_FLAGS) \
		-DRINGMPSC_TEST_BUILD='"$(1)"' -o $$@ $$< $$(LIB_TEST_$(2)_OBJS)
endef
$(eval $(call lib_test_san_rules,tsan,TSAN))
$(eval $(call lib_test_san_rules,asan,ASAN))
.SECONDARY: $(LIB_TEST_TSAN_OBJS) $(LIB_TEST_ASAN_OBJS)

LIB_CHECK_DEPS_plain := $(LIB_TEST_PLAIN)
LIB_CHECK_DEPS_valgrind := $(LIB_TEST_PLAIN)
LIB_CHECK_DEPS_tsan := $(LIB_TEST_TSAN)
LIB_CHECK_DEPS_asan := $(LIB_TEST_ASAN)

check-lib: $(sort $(foreach s,$(LIB_CHECK_SETS),$(LIB_CHECK_DEPS_$(s))))
	lib/tests/run-tests.sh $(LIB_TEST_DIR) "$(LIB_TEST_NAMES)" $(LIB_CHECK_SETS)
