// SPDX-License-Identifier: MIT
/*
 * Workload 8: the module's path. The ringmpsc rows of workloads 1 and 7
 * over channels of the module (/dev/ringmpsc: created, opened by name,
 * mapped from the module's pages) against the same rows over local rings
 * (a memfd with the same layout), interleaved round by round in the same
 * run; the result is the ratio module / local per round. The fast path is
 * the same code on both (lib/include/ringmpsc.h), so what a ratio away
 * from 1 measures is the memory behind the mappings and, for a sleeping
 * consumer, the module's wakeup against a direct eventfd write; a control
 * row, local against local, shows how far a ratio strays with no
 * difference at all. Needs the
 * module loaded; "make vm-bench" runs it in the qemu VM.
 */
#include <stdio.h>
#include <unistd.h>

#include <linux/ringmpsc.h>

#include "bench.h"
#include "report.h"
#include "runner.h"

static void module_throughput(uint32_t batch)
{
	const char *v = bname(batch);
	struct tp_params p = { .batch = batch };
	struct tp_params pf = { .batch = batch, .fork = true };
	struct tp_params m = { .batch = batch, .module = true };
	struct tp_params mf = { .batch = batch, .fork = true, .module = true };
	struct row rows[MAX_CASES];
	struct case_result res[MAX_CASES];
	double rates[MAX_CASES][MAX_RUNS];
	int n = 0;

	rows[n++] = (struct row){ "ringmpsc-threads", v, { &ct_ringmpsc, p } };
	rows[n++] = (struct row){ "module-threads", v, { &ct_ringmpsc, m } };
	rows[n++] = (struct row){ "ringmpsc-processes", v, { &ct_ringmpsc, pf } };
	rows[n++] = (struct row){ "module-processes", v, { &ct_ringmpsc, mf } };
	/* The control: local rings against themselves, the same row twice.
	 * Under TCG a round's speed swings with the host; this ratio's
	 * spread is what the module's ratios would show if the module cost
	 * nothing.
	 */
	rows[n++] = (struct row){ "ringmpsc-threads-again", v, { &ct_ringmpsc, p } };
	n = tp_rows("w8", rows, n, g_runs, g_secs, res, rates);
	print_ratio("w8", rows, find_row(rows, n, "module-threads", v),
		    find_row(rows, n, "ringmpsc-threads", v), res, rates);
	print_ratio("w8", rows, find_row(rows, n, "module-processes", v),
		    find_row(rows, n, "ringmpsc-processes", v), res, rates);
	print_ratio("w8", rows, find_row(rows, n, "ringmpsc-threads-again", v),
		    find_row(rows, n, "ringmpsc-threads", v), res, rates);
}

static void module_ratios(const char *wl, const struct row *rows, int n,
			  const struct case_result *res, int load)
{
	print_p99_ratio(wl, rows, n, "module-polling", "ringmpsc-polling", res, load);
	print_p99_ratio(wl, rows, n, "module-blocking", "ringmpsc-blocking", res, load);
}

/* Workload 7's polling and sleeping consumers, local and module, at 50%
 * of each one's maximum.
 */
static void module_latency(void)
{
	static const int half[] = { 50 };
	struct tp_params p = { .batch = 1, .msg_size = 16, .fork = true,
			       .stamped = true };
	struct tp_params blk = p, m, mblk;
	struct row rows[4];
	int n = 0;

	blk.blocking = true;
	m = p;
	m.module = true;
	mblk = blk;
	mblk.module = true;
	rows[n++] = (struct row){ "ringmpsc-polling", "max", { &ct_ringmpsc, p } };
	rows[n++] = (struct row){ "module-polling", "max", { &ct_ringmpsc, m } };
	rows[n++] = (struct row){ "ringmpsc-blocking", "max", { &ct_ringmpsc, blk } };
	rows[n++] = (struct row){ "module-blocking", "max", { &ct_ringmpsc, mblk } };
	printf("\n== workload 8: one-way latency, 16-byte messages, producer "
	       "process -> consumer, module and local\n"
	       "  maximum rate of each, stamped messages:\n");
	lat_sweep("w8", rows, n, half, 1, module_ratios);
}

void workload8(void)
{
	static const uint32_t batches[] = { 1, 32, 256 };

	if (access(RINGMPSC_DEVICE, R_OK | W_OK)) {
		printf("\n== workload 8: skipped: no usable %s (load the module; "
		       "\"make vm-bench\" runs this workload in the VM)\n",
		       RINGMPSC_DEVICE);
		return;
	}
	header("workload 8: the module's channels against local rings, "
	       "1 -> 1, 8-byte messages (interleaved, round by round)");
	for (unsigned i = 0; i < sizeof(batches) / sizeof(batches[0]); i++)
		module_throughput(batches[i]);
	module_latency();
}
