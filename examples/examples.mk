# Programs built on the library.
EXAMPLES := $(BUILD)/examples/spancollector

ALL_TARGETS += $(EXAMPLES)
DEMO_BINS += $(BUILD)/examples/spancollector
LINT_USER_SOURCES += examples/spancollector.c

$(BUILD)/examples/%: examples/%.c $(LIBRINGMPSC_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static -o $@ $< $(LIBRINGMPSC_A)
DEMO_SCRIPT := examples/vm-demo.sh
