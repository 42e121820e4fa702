# examples/quickstart: the smallest whole program, the one the README and
# the install test (scripts/install-check) build out of tree.
QUICKSTART := $(BUILD)/examples/quickstart

ALL_TARGETS += $(QUICKSTART)
LINT_USER_SOURCES += examples/quickstart.c

$(QUICKSTART): examples/quickstart.c examples/program.h $(LIB_PUBLIC_HDRS) $(LIBRINGMPSC_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static -o $@ $< $(LIBRINGMPSC_A)
