# libringmpsc: static and shared library, and its host tests.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/pic/%.o,$(LIB_SRCS))
LIBRINGMPSC_A := $(BUILD)/lib/libringmpsc.a
LIBRINGMPSC_SO := $(BUILD)/lib/libringmpsc.so
# Public headers (lib/include: <ringmpsc.h>, <ringmpsc/*.h>) and the ABI.
LIB_PUBLIC_HDRS := $(wildcard lib/include/*.h lib/include/ringmpsc/*.h) \
		   uapi/linux/ringmpsc.h
LIB_HDRS := $(LIB_PUBLIC_HDRS) lib/internal.h

ALL_TARGETS += $(LIBRINGMPSC_A) $(LIBRINGMPSC_SO)
LINT_USER_SOURCES += $(LIB_SRCS)

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -c -o $@ $<

$(BUILD)/lib/pic/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -Ilib -c -o $@ $<

$(LIBRINGMPSC_A): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBRINGMPSC_SO): $(LIB_PIC_OBJS)
	$(CC) -shared -Wl,-soname,libringmpsc.so.1 -o $@ $^

# Host tests of the ring core (unit, stress, sanitizers, valgrind).
-include lib/tests/tests.mk
# ... which rebuild with any header of the library, not only ringmpsc.h.
$(LIB_TEST_BINS) $(LIB_TEST_TSAN_OBJS) $(LIB_TEST_ASAN_OBJS): $(LIB_HDRS)
