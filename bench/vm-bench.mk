# SPDX-License-Identifier: MIT
# bench/vm-bench.mk: the module contender. "make vm-bench" boots the qemu
# VM on each kernel of BENCH_VM_KERNELS with the module loaded and runs
# ringbench's workload 8 there (bench/vm-bench.sh): the ringmpsc rows over
# /dev/ringmpsc channels against the same rows over local rings, in the
# same run. TCG emulation makes absolute figures meaningless: the ratios
# module / local per round are the result. Not part of "make check".
#
#   make vm-bench                   both kernels, results in
#                                   bench/results/vm-<release>.{txt,csv}
#   make vm-bench-6.1               one kernel
#   BENCH_VM_RUNS=25 make vm-bench  rounds per row (default 15)
#
# The VM's ringbench is static and has no optional peers (the VM has no
# libc, and the peers' libraries do not link statically); it is built for
# the baseline x86-64 that qemu's default TCG CPU offers. tsc=reliable:
# under TCG on a loaded host the guest's clocksource watchdog otherwise
# finds the TSC unstable mid-run and moves the clocks the rows read to a
# slower clocksource.

BENCH_VM_OUT     := $(BUILD)/bench-vm
BENCH_VM_BIN     := $(BENCH_VM_OUT)/ringbench
BENCH_VM_KERNELS ?= $(VM_KERNELS)
BENCH_VM_RUNS    ?= 15
BENCH_VM_SECS    ?= 0.15
# A run's speed under TCG swings by 10x and more with the host's load:
# the watchdog (ringbench -W) waits longer than on the host.
BENCH_VM_WATCHDOG ?= 60
BENCH_VM_TIMEOUT ?= 1200
BENCH_VM_ARCH    ?= -march=x86-64
BENCH_VM_OBJS    := $(patsubst bench/%.c,$(BENCH_VM_OUT)/%.o,$(BENCH_CORE_SRCS))

CLEAN_FILES += $(BENCH_VM_OUT)
.PHONY: vm-bench $(addprefix vm-bench-,$(BENCH_VM_KERNELS))

$(BENCH_VM_OUT)/%.o: bench/%.c $(wildcard bench/*.h) lib/include/ringmpsc.h \
		     $(wildcard lib/include/ringmpsc/*.h) \
		     uapi/linux/ringmpsc.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 $(BENCH_VM_ARCH) -Ibench -c -o $@ $<

$(BENCH_VM_BIN): $(BENCH_VM_OBJS) $(LIBRINGMPSC_A)
	$(CC) $(LDFLAGS) -static -o $@ $(BENCH_VM_OBJS) $(LIBRINGMPSC_A) \
		-lpthread -lrt -lm

# $(1): kernel series. The serial log's RINGBENCH-FILE blocks become
# bench/results/vm-<release>.txt and .csv, and the ratios' plot
# vm-<release>-w8.png.
define vm_bench_rules
vm-bench-$(1): module-$(1) $$(BENCH_VM_BIN)
	scripts/vm-run -k "$$(KREL_$(1))" -m $$(MODULE_KO_$(1)) \
		-t $$(BENCH_VM_TIMEOUT) -T $$(BENCH_VM_TIMEOUT) \
		-e BENCH_RUNS=$$(BENCH_VM_RUNS) -e BENCH_SECS=$$(BENCH_VM_SECS) \
		-e BENCH_WATCHDOG=$$(BENCH_VM_WATCHDOG) \
		-l $$(BENCH_VM_OUT)/vm-$$(KREL_$(1)).log --append tsc=reliable \
		--demo bench/vm-bench.sh $$(BENCH_VM_BIN)
	@mkdir -p bench/results
	for f in txt csv; do \
		tr -d '\r' <$$(BENCH_VM_OUT)/vm-$$(KREL_$(1)).log | \
		awk -v f="results.$$$$f" '$$$$0 == "RINGBENCH-FILE " f { on = 1; next } \
			$$$$0 == "RINGBENCH-END" { on = 0 } on' \
		>bench/results/vm-$$(KREL_$(1)).$$$$f || exit 1; \
	done
	sh bench/plot.sh bench/results/vm-$$(KREL_$(1)).csv $$(BENCH_VM_OUT)/$(1)
	if [ -f $$(BENCH_VM_OUT)/$(1)/w8.png ]; then \
		cp $$(BENCH_VM_OUT)/$(1)/w8.png bench/results/vm-$$(KREL_$(1))-w8.png; fi
	@echo "vm-bench: bench/results/vm-$$(KREL_$(1)).txt"
endef
$(foreach s,$(BENCH_VM_KERNELS),$(eval $(call vm_bench_rules,$(s))))

vm-bench:
	@scripts/run-steps $(MAKE) $(addprefix vm-bench-,$(BENCH_VM_KERNELS))
