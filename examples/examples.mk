# Programs built on the library.
EXAMPLES :=

ALL_TARGETS += $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c $(LIBRINGMPSC_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static -o $@ $< $(LIBRINGMPSC_A)
DEMO_SCRIPT := examples/vm-demo.sh
