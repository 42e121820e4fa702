# SPDX-License-Identifier: MIT
# collector/: ringmpsc-collector, the span collector daemon, and its tests.
#
# libcurl is linked as a shared library (Debian ships no static libcurl
# with its dependencies); libringmpsc is linked statically.
# COLLECTOR_DEBUG=0 builds without the INV-COLL run-time checks.

COLLECTOR_DEBUG ?= 1
COLLECTOR_BIN  := $(BUILD)/collector/ringmpsc-collector
COLLECTOR_SRCS := $(filter-out collector/tests/%,$(wildcard collector/*.c))
COLLECTOR_OBJS := $(patsubst collector/%.c,$(BUILD)/collector/%.o,$(COLLECTOR_SRCS))
COLLECTOR_HDRS := $(wildcard collector/*.h)
COLLECTOR_CFLAGS := $(if $(filter 1,$(COLLECTOR_DEBUG)),-DCOLLECTOR_DEBUG)

ALL_TARGETS += $(COLLECTOR_BIN)
INSTALL_BINS += $(COLLECTOR_BIN)
LINT_USER_SOURCES += $(COLLECTOR_SRCS)
# nodejs/npm: the test receiver (collector/tests/receiver). A nodejs that
# brings its own npm (NodeSource) conflicts with Debian's npm package.
DEPS_PACKAGES += libcurl4-openssl-dev nodejs $(if $(shell command -v npm),,npm)

$(BUILD)/collector/%.o: collector/%.c $(COLLECTOR_HDRS) $(LIB_PUBLIC_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(COLLECTOR_CFLAGS) -c -o $@ $<

$(COLLECTOR_BIN): $(COLLECTOR_OBJS) $(LIBRINGMPSC_A)
	$(CC) -o $@ $(COLLECTOR_OBJS) $(LIBRINGMPSC_A) -lcurl -lm

-include collector/tests/tests.mk
