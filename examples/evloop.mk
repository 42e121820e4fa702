# Event-loop integration (spec.md section 8): the adapter headers
# <ringmpsc/epoll.h>, <ringmpsc/uring.h> (liburing) and <ringmpsc/uv.h>
# (libuv), and one example per loop, each with producers and consumer in
# that loop on local rings.
#
#   make check-evloop   every public header alone in C11 strict, gnu11 and
#                       C++17; then each example: 100k+ messages each way,
#                       exactly once in order, no stall past the bound
EVLOOP_EXAMPLES := epoll uring uv
EVLOOP_BINS := $(addprefix $(BUILD)/examples/evloop_,$(EVLOOP_EXAMPLES))
EVLOOP_LIBS_epoll :=
EVLOOP_LIBS_uring := -luring
EVLOOP_LIBS_uv := -luv

ALL_TARGETS += $(EVLOOP_BINS)
LINT_USER_SOURCES += $(addprefix examples/evloop_,$(addsuffix .c,$(EVLOOP_EXAMPLES)))
CHECK_HOST_TARGETS += check-evloop
DEPS_PACKAGES += liburing-dev libuv1-dev g++

# Dynamic: libuv and liburing are not needed in the VM.
$(BUILD)/examples/evloop_%: examples/evloop_%.c examples/evloop.h \
		$(LIB_PUBLIC_HDRS) $(LIBRINGMPSC_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pthread -o $@ $< $(LIBRINGMPSC_A) $(EVLOOP_LIBS_$*)

.PHONY: check-evloop
check-evloop: $(EVLOOP_BINS)
	CC="$(CC)" CXX="$(CXX)" examples/check-evloop $(BUILD) \
		$(filter lib/include/%,$(LIB_PUBLIC_HDRS))
