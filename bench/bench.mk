# SPDX-License-Identifier: MIT
# bench/: ringbench, ringmpsc against its peers, side by side in one run.
#
#   make bench            build and run every workload (< ~10 min), write
#                         build/bench/{results.csv,results.txt,*.png}
#   make bench-quick      smoke run (3 short runs per case)
#   make bench-publish    copy the latest table and plots to bench/results/
#   BENCH_ARGS="-w 1 -r 15" make bench   pass options to ringbench
#   make bench-icount     instructions per message, generic and typed
#                         single-message calls (valgrind's callgrind)
#
# Peers are optional: DPDK (libdpdk, pkg-config), Concurrency Kit (ck_ring.h),
# liburing, ZeroMQ (libzmq, pkg-config) and iceoryx (its C binding's headers
# and iox-roudi) are detected; a missing one drops its rows, never the build.

BENCH_OUT   := $(BUILD)/bench
RINGBENCH   := $(BENCH_OUT)/ringbench
BENCH_ARGS  ?=
# The same code generation for every contender (the check loop is shared);
# native, since the figures are of this machine. Override for a portable build.
BENCH_ARCH  ?= -march=native

BENCH_HAVE_DPDK  := $(shell pkg-config --exists libdpdk 2>/dev/null && echo 1)
BENCH_HAVE_URING := $(shell pkg-config --exists liburing 2>/dev/null && echo 1)
BENCH_HAVE_CK    := $(shell printf '\#include <ck_ring.h>\n' | \
		      $(CC) -E -x c - >/dev/null 2>&1 && echo 1)
BENCH_HAVE_ZMQ   := $(shell pkg-config --exists libzmq 2>/dev/null && echo 1)
# iceoryx ships no pkg-config file: its headers sit in a versioned directory.
BENCH_IOX_INC    := $(lastword $(sort $(wildcard /usr/include/iceoryx/v*)))
BENCH_HAVE_IOX   := $(if $(BENCH_IOX_INC),$(shell command -v iox-roudi >/dev/null && \
		      printf '\#include <iceoryx_binding_c/runtime.h>\n' | \
		      $(CC) -E -x c -isystem $(BENCH_IOX_INC) - >/dev/null 2>&1 && echo 1))

# The peers' packages, for "make deps".
DEPS_PACKAGES += libzmq3-dev iceoryx libiceoryx-binding-c-dev

# What every build has (the VM's static ringbench, bench/vm-bench.mk, has
# only these), then the peers found.
BENCH_CORE_SRCS := bench/main.c bench/report.c bench/harness.c bench/runner.c \
	      bench/latency.c bench/extra.c bench/fanin.c bench/hist.c \
	      bench/loadlat.c bench/c_ringmpsc.c bench/c_os.c bench/c_efd_shm.c \
	      bench/c_ceiling.c bench/bigmsg.c bench/module.c \
	      bench/c_onethread.c
BENCH_SRCS := $(BENCH_CORE_SRCS)
BENCH_DEFS :=
BENCH_PEER_CFLAGS :=
BENCH_LIBS := -lpthread -lrt -lm
ifeq ($(BENCH_HAVE_DPDK),1)
BENCH_SRCS += bench/c_dpdk.c
BENCH_DEFS += -DHAVE_DPDK
$(BENCH_OUT)/c_dpdk.o: BENCH_PEER_CFLAGS := $(shell pkg-config --cflags libdpdk)
BENCH_LIBS += $(shell pkg-config --libs libdpdk)
endif
ifeq ($(BENCH_HAVE_URING),1)
BENCH_SRCS += bench/c_uring.c
BENCH_DEFS += -DHAVE_URING
BENCH_LIBS += $(shell pkg-config --libs liburing)
endif
ifeq ($(BENCH_HAVE_CK),1)
BENCH_SRCS += bench/c_ck.c
BENCH_DEFS += -DHAVE_CK
BENCH_LIBS += -lck
endif
ifeq ($(BENCH_HAVE_ZMQ),1)
BENCH_SRCS += bench/c_zmq.c
BENCH_DEFS += -DHAVE_ZMQ
BENCH_LIBS += $(shell pkg-config --libs libzmq)
endif
ifeq ($(BENCH_HAVE_IOX),1)
BENCH_SRCS += bench/c_iceoryx.c bench/iox_roudi.c
BENCH_DEFS += -DHAVE_ICEORYX
# -isystem: the binding's headers are not -Wstrict-prototypes clean.
$(BENCH_OUT)/c_iceoryx.o: BENCH_PEER_CFLAGS := -isystem $(BENCH_IOX_INC)
BENCH_LIBS += -liceoryx_binding_c
endif

BENCH_OBJS := $(patsubst bench/%.c,$(BENCH_OUT)/%.o,$(BENCH_SRCS))
# -O3 after CFLAGS' -O2 so that the verification loops vectorise; the
# architecture flag last, after DPDK's own -march, so all share it.
BENCH_CFLAGS = $(CFLAGS) $(BENCH_PEER_CFLAGS) -O3 $(BENCH_ARCH) $(BENCH_DEFS) -Ibench

ALL_TARGETS += $(RINGBENCH)
LINT_USER_SOURCES += $(BENCH_SRCS)
# make lint compiles each source alone: give it the same defines and peers.
LINT_CFLAGS_bench := $(BENCH_DEFS) $(BENCH_ARCH) -Ibench
ifeq ($(BENCH_HAVE_DPDK),1)
LINT_CFLAGS_bench/c_dpdk.c := $(shell pkg-config --cflags libdpdk) $(BENCH_ARCH)
endif
ifeq ($(BENCH_HAVE_IOX),1)
LINT_CFLAGS_bench/c_iceoryx.c := -isystem $(BENCH_IOX_INC)
endif
CLEAN_FILES += $(BENCH_OUT)

$(BENCH_OUT)/%.o: bench/%.c $(wildcard bench/*.h) lib/include/ringmpsc.h \
		  $(wildcard lib/include/ringmpsc/*.h) \
		  uapi/linux/ringmpsc.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -c -o $@ $<

$(RINGBENCH): $(BENCH_OBJS) $(LIBRINGMPSC_A)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJS) $(LIBRINGMPSC_A) $(BENCH_LIBS)

# Instructions per message of the single-message calls, generic and typed,
# under callgrind: built for AVX2 at most, the widest valgrind decodes.
ICOUNT := $(BENCH_OUT)/ringbench-icount
ALL_TARGETS += $(ICOUNT)
LINT_USER_SOURCES += bench/icount.c
$(ICOUNT): bench/icount.c bench/bench.h lib/include/ringmpsc.h \
	   $(wildcard lib/include/ringmpsc/*.h) $(LIBRINGMPSC_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 -march=x86-64-v3 -Ibench -o $@ $< $(LIBRINGMPSC_A) -lpthread

.PHONY: bench bench-quick bench-publish bench-icount
bench: $(RINGBENCH)
	$(RINGBENCH) -o $(BENCH_OUT) $(BENCH_ARGS) | tee $(BENCH_OUT)/results.txt
	sh bench/plot.sh $(BENCH_OUT)/results.csv $(BENCH_OUT)

bench-quick: $(RINGBENCH)
	$(RINGBENCH) -q -o $(BENCH_OUT) $(BENCH_ARGS) | tee $(BENCH_OUT)/results.txt
	sh bench/plot.sh $(BENCH_OUT)/results.csv $(BENCH_OUT)

bench-icount: $(ICOUNT)
	sh bench/icount.sh $(ICOUNT)

bench-publish:
	@mkdir -p bench/results
	cp $(BENCH_OUT)/results.txt $(BENCH_OUT)/results.csv bench/results/
	cp $(wildcard $(BENCH_OUT)/w*.png) bench/results/
