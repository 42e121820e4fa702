# SPDX-License-Identifier: GPL-2.0
#
# ringmpsc(1), the command-line tool (tools/): $(BUILD)/tools/ringmpsc links
# libringmpsc statically and libc dynamically (what "make install" puts in
# bin/); $(BUILD)/tools/static/ringmpsc is all static, for the VM: its
# tests run it (selftests/observe_test embeds it), the demo VM has it on
# PATH. Its page is man/man1/ringmpsc.1 (installed with the manual).

CLI_SRCS := $(wildcard tools/*.c)
CLI_HDRS := $(wildcard tools/*.h)
CLI_BIN := $(BUILD)/tools/ringmpsc
CLI_STATIC_BIN := $(BUILD)/tools/static/ringmpsc

ALL_TARGETS += $(CLI_BIN) $(CLI_STATIC_BIN)
DEMO_BINS += $(CLI_STATIC_BIN)
LINT_USER_SOURCES += $(CLI_SRCS)
INSTALL_BINS += $(CLI_BIN)

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

# Host checks of the tool that need no module (usage, exit codes, the
# "module not loaded" hint): tools/check-tools.
CHECK_HOST_TARGETS += check-tools
.PHONY: check-tools
check-tools: $(CLI_BIN)
	tools/check-tools $(CLI_BIN)
