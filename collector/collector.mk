# SPDX-License-Identifier: MIT
# collector/: ringmpsc-collector, the span collector daemon, and its tests.
#
# Two builds of the same sources:
#   $(BUILD)/collector/ringmpsc-collector   every exporter; libcurl is
#       linked as a shared library (Debian ships no static libcurl with
#       its dependencies), libringmpsc statically. Installed.
#   $(BUILD)/collector/static/              static, without the OTLP
#       exporter (COLLECTOR_NO_OTLP): for the VM, which has no libc; with
#       ringmpsc-spangen (load producers) and the crash test.
# COLLECTOR_DEBUG=0 builds without the INV-COLL run-time checks.

COLLECTOR_DEBUG ?= 1
COLLECTOR_BIN  := $(BUILD)/collector/ringmpsc-collector
COLLECTOR_STATIC_DIR := $(BUILD)/collector/static
COLLECTOR_STATIC_BIN := $(COLLECTOR_STATIC_DIR)/ringmpsc-collector
COLLECTOR_SPANGEN := $(COLLECTOR_STATIC_DIR)/ringmpsc-spangen
COLLECTOR_HDRS := $(wildcard collector/*.h)
COLLECTOR_CFLAGS := $(if $(filter 1,$(COLLECTOR_DEBUG)),-DCOLLECTOR_DEBUG)
# The daemon but its entry point and its OTLP exporter.
COLLECTOR_CORE := $(filter-out collector/cli.c collector/spangen.c \
		  collector/export_otlp.c,$(wildcard collector/*.c))
COLLECTOR_OBJS := $(patsubst collector/%.c,$(BUILD)/collector/%.o,\
		  $(COLLECTOR_CORE) collector/export_otlp.c collector/cli.c)
COLLECTOR_STATIC_CORE := $(patsubst collector/%.c,$(COLLECTOR_STATIC_DIR)/%.o,\
			 $(COLLECTOR_CORE))

ALL_TARGETS += $(COLLECTOR_BIN) $(COLLECTOR_STATIC_BIN) $(COLLECTOR_SPANGEN)
# A daemon (page in section 8): SBINDIR.
INSTALL_SBINS += $(COLLECTOR_BIN)
# The demo exports over OTLP/HTTP: the libcurl build, its shared libraries
# copied into the VM (scripts/vm-demo-otlp).
DEMO_BINS += $(COLLECTOR_BIN) $(COLLECTOR_SPANGEN)
LINT_USER_SOURCES += $(wildcard collector/*.c collector/tests/*.c)
# nodejs/npm: the test receiver (collector/tests/receiver). A nodejs that
# brings its own npm (NodeSource) conflicts with Debian's npm package.
DEPS_PACKAGES += libcurl4-openssl-dev nodejs $(if $(shell command -v npm),,npm)

$(BUILD)/collector/%.o: collector/%.c $(COLLECTOR_HDRS) $(LIB_PUBLIC_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(COLLECTOR_CFLAGS) -c -o $@ $<

$(COLLECTOR_STATIC_DIR)/%.o: collector/%.c $(COLLECTOR_HDRS) $(LIB_PUBLIC_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(COLLECTOR_CFLAGS) -DCOLLECTOR_NO_OTLP -Icollector -c -o $@ $<

$(COLLECTOR_BIN): $(COLLECTOR_OBJS) $(LIBRINGMPSC_A)
	$(CC) -o $@ $(COLLECTOR_OBJS) $(LIBRINGMPSC_A) -lcurl -lm

$(COLLECTOR_STATIC_BIN): $(COLLECTOR_STATIC_CORE) $(COLLECTOR_STATIC_DIR)/cli.o \
			 $(LIBRINGMPSC_A)
	$(CC) -static -o $@ $^ -lm

$(COLLECTOR_SPANGEN): $(COLLECTOR_STATIC_DIR)/spangen.o \
		      $(COLLECTOR_STATIC_DIR)/loadgen.o $(LIBRINGMPSC_A)
	$(CC) -static -o $@ $^

-include collector/tests/tests.mk
