# Programs built on the library.
EXAMPLES :=

ALL_TARGETS += $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c $(LIBRINGMPSC_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static -o $@ $< $(LIBRINGMPSC_A)

# make demo: the collector in the VM exports over OTLP/HTTP to the test
# receiver (collector/tests/receiver) on the host, which checks every span.
DEMO_SCRIPT := examples/vm-demo.sh
DEMO_DEPS += $(COLLECTOR_NPM_STAMP)
DEMO_RUNNER := NODE_PATH=$(CURDIR)/$(COLLECTOR_NPM_DIR)/node_modules \
	       scripts/vm-demo-otlp collector/tests/receiver/receiver.js
