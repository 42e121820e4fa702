# SPDX-License-Identifier: GPL-2.0
#
# ringmpsc(1), the command-line tool (cli/): $(BUILD)/cli/ringmpsc links
# libringmpsc statically and libc dynamically (what "make install" puts in
# bin/); $(BUILD)/cli/ringmpsc.static is all static, for the VM, whose
# tests run it (selftests/observe_test embeds it).

CLI_SRCS := $(wildcard cli/*.c)
CLI_HDRS := $(wildcard cli/*.h)
CLI_BIN := $(BUILD)/cli/ringmpsc
CLI_STATIC_BIN := $(BUILD)/cli/ringmpsc.static

ALL_TARGETS += $(CLI_BIN) $(CLI_STATIC_BIN)
LINT_USER_SOURCES += $(CLI_SRCS)
INSTALL_BINS += $(CLI_BIN)
INSTALL_MAN += man/man1/ringmpsc.1

$(CLI_BIN): $(CLI_SRCS) $(CLI_HDRS) $(LIB_PUBLIC_HDRS) $(LIBRINGMPSC_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(CLI_SRCS) $(LIBRINGMPSC_A) $(LDFLAGS)

$(CLI_STATIC_BIN): $(CLI_SRCS) $(CLI_HDRS) $(LIB_PUBLIC_HDRS) $(LIBRINGMPSC_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $(CLI_SRCS) $(LIBRINGMPSC_A) $(LDFLAGS)

# The VM test of the tool carries the static binary inside it (the VM has
# no other way to get a program that is not a test) and parses its JSON
# with a real parser, jansson, linked statically.
OBSERVE_TEST := $(BUILD)/selftests/observe_test
DEPS_PACKAGES += libjansson-dev
$(OBSERVE_TEST): $(CLI_STATIC_BIN)
$(OBSERVE_TEST): SELFTEST_CFLAGS += -DRINGMPSC_CLI_STATIC=\"$(CLI_STATIC_BIN)\"
$(OBSERVE_TEST): SELFTEST_LDLIBS += -ljansson
LINT_CFLAGS_selftests/observe_test.c := -DRINGMPSC_CLI_STATIC=\"$(CLI_STATIC_BIN)\"
