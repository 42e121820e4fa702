# SPDX-License-Identifier: MIT
# Host tests of ringmpsc-collector (no module: local rings).
#
#   make check-collector   span_test (the span API, record checks),
#                          json_test (the JSON writer's numbers),
#                          intake_test (the datagram intake), source_test
#                          (when ring slots are released), then the OTLP
#                          receiver test (collector/tests/otlp_test.js)
#
# The receiver decodes with npm @opentelemetry/otlp-transformer, installed
# by "npm ci" from the lock file into $(BUILD) (not the source tree) and
# found through NODE_PATH.

COLLECTOR_NPM_DIR   := $(BUILD)/collector/receiver
COLLECTOR_NPM_STAMP := $(COLLECTOR_NPM_DIR)/.installed
COLLECTOR_TEST_CASES ?=

CHECK_HOST_TARGETS += check-collector
.PHONY: check-collector

$(COLLECTOR_NPM_STAMP): collector/tests/receiver/package.json \
			collector/tests/receiver/package-lock.json
	@mkdir -p $(COLLECTOR_NPM_DIR)
	cp $^ $(COLLECTOR_NPM_DIR)/
	cd $(COLLECTOR_NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# (-Wno-*: for the harness macros, which compare int constants with
# unsigned fields and use setjmp.)
# The span API and record checks, with the kselftest harness.
COLLECTOR_SPAN_TEST := $(BUILD)/collector/tests/span_test
COLLECTOR_HARNESS_CFLAGS := -I$(KSFT_INC) -Wno-unused-parameter \
			    -Wno-sign-compare -Wno-clobbered
LINT_CFLAGS_collector/tests/span_test.c := $(COLLECTOR_HARNESS_CFLAGS)

$(COLLECTOR_SPAN_TEST): collector/tests/span_test.c $(COLLECTOR_STATIC_DIR)/record.o \
			$(COLLECTOR_HDRS) $(LIB_PUBLIC_HDRS) $(LIBRINGMPSC_A) $(LINUX_SRC_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(COLLECTOR_CFLAGS) $(COLLECTOR_HARNESS_CFLAGS) -o $@ $< \
		$(COLLECTOR_STATIC_DIR)/record.o $(LIBRINGMPSC_A)

# With the same harness, linked with the static collector core (no OTLP):
# the JSON writer's numbers and the room a span takes; the datagram
# intake (--socket; the core runs in a child); when the source releases
# ring slots (collector/source.c, local rings).
COLLECTOR_JSON_TEST := $(BUILD)/collector/tests/json_test
COLLECTOR_INTAKE_TEST := $(BUILD)/collector/tests/intake_test
COLLECTOR_SOURCE_TEST := $(BUILD)/collector/tests/source_test
COLLECTOR_CORE_TESTS := $(COLLECTOR_JSON_TEST) $(COLLECTOR_INTAKE_TEST) \
			$(COLLECTOR_SOURCE_TEST)
$(foreach t,json intake source,\
	$(eval LINT_CFLAGS_collector/tests/$(t)_test.c := $(COLLECTOR_HARNESS_CFLAGS)))

$(COLLECTOR_CORE_TESTS): $(BUILD)/collector/tests/%: collector/tests/%.c \
			 $(wildcard collector/tests/*.h) $(COLLECTOR_STATIC_CORE) \
			 $(COLLECTOR_HDRS) $(LIB_PUBLIC_HDRS) $(LIBRINGMPSC_A) \
			 $(LINUX_SRC_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(COLLECTOR_CFLAGS) $(COLLECTOR_HARNESS_CFLAGS) -o $@ $< \
		$(COLLECTOR_STATIC_CORE) $(LIBRINGMPSC_A) -lm

check-collector: $(COLLECTOR_BIN) $(COLLECTOR_NPM_STAMP) $(COLLECTOR_SPAN_TEST) \
		 $(COLLECTOR_JSON_TEST) $(COLLECTOR_INTAKE_TEST) $(COLLECTOR_SOURCE_TEST)
	NODE_PATH=$(CURDIR)/$(COLLECTOR_NPM_DIR)/node_modules \
		collector/tests/run-checks.sh $(COLLECTOR_SPAN_TEST) \
		$(COLLECTOR_JSON_TEST) $(COLLECTOR_INTAKE_TEST) $(COLLECTOR_SOURCE_TEST) $(COLLECTOR_BIN) \
		$(COLLECTOR_TEST_CASES)

# In the VM (module channels): SIGKILL the collector under load, restart,
# nothing lost (collector/tests/crash_test.c).
COLLECTOR_CRASH_TEST := $(COLLECTOR_STATIC_DIR)/collector_crash_test
VM_TEST_BINS += $(COLLECTOR_CRASH_TEST)

$(COLLECTOR_STATIC_DIR)/tests/%.o: collector/tests/%.c $(COLLECTOR_HDRS) \
				   $(wildcard collector/tests/*.h) $(LIB_PUBLIC_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(COLLECTOR_CFLAGS) -DCOLLECTOR_NO_OTLP -c -o $@ $<

$(COLLECTOR_CRASH_TEST): $(COLLECTOR_STATIC_DIR)/tests/crash_test.o \
			 $(COLLECTOR_STATIC_CORE) $(LIBRINGMPSC_A)
	$(CC) -static -o $@ $^ -lm

# What a span costs a producer: ring vs AF_UNIX datagram socket, 1, 4 and
# 16 producer processes (collector/tests/bench_collector.c). Not in check.
COLLECTOR_BENCH := $(COLLECTOR_STATIC_DIR)/bench_collector
COLLECTOR_BENCH_SPANS ?= 200000
.PHONY: bench-collector

$(COLLECTOR_BENCH): $(COLLECTOR_STATIC_DIR)/tests/bench_collector.o \
		    $(COLLECTOR_STATIC_CORE) $(LIBRINGMPSC_A)
	$(CC) -static -o $@ $^ -lm

bench-collector: $(COLLECTOR_BENCH)
	$(COLLECTOR_BENCH) $(COLLECTOR_BENCH_SPANS)

# End to end into the file exporter, the same collector fed through its
# rings and through its AF_UNIX datagram intake (--socket), 1, 4 and 16
# producer processes (collector/tests/bench_e2e.c), ROUNDS rounds a row,
# median [min-max]. Not in check.
COLLECTOR_BENCH_E2E := $(COLLECTOR_STATIC_DIR)/bench_e2e
COLLECTOR_BENCH_E2E_SPANS ?= 50000
COLLECTOR_BENCH_E2E_ROUNDS ?= 5
.PHONY: bench-collector-e2e

$(COLLECTOR_BENCH_E2E): $(COLLECTOR_STATIC_DIR)/tests/bench_e2e.o \
			$(COLLECTOR_STATIC_CORE) $(LIBRINGMPSC_A)
	$(CC) -static -o $@ $^ -lm

bench-collector-e2e: $(COLLECTOR_BENCH_E2E)
	$(COLLECTOR_BENCH_E2E) $(COLLECTOR_BENCH_E2E_SPANS) $(COLLECTOR_BENCH_E2E_ROUNDS)
