// SPDX-License-Identifier: MIT
/*
 * Workload 6: fan-in across processes. N producer processes, all sending,
 * into one consumer: the aggregate rate and how evenly the consumer serves
 * the producers (Jain's index over per-producer counts in a window of the
 * run, runner.c). Every producer is pinned to CPU 0 and the consumer to
 * CPU 1: on a 2-CPU machine N > 1 producers time-share one CPU, so the
 * window's counts also show how the scheduler shared it.
 *
 * Then the cost of idle producers: 1 busy ring among 64 attached against
 * 1 of 1, interleaved, ratio per round (the worst round is what a user
 * meets).
 */
#include <stdio.h>

#include "bench.h"
#include "report.h"
#include "runner.h"

/* Long enough for every producer to be scheduled many times in the window
 * (64 producers share CPU 0 in slices of a few ms).
 */
static double window_secs(uint32_t nprod)
{
	return nprod > 8 ? g_secs * nprod / 8 : g_secs;
}

static void fanin(uint32_t nprod, uint32_t batch, int runs)
{
	struct tp_params p = { .batch = batch, .nprod = nprod, .fork = true,
			       .fairness = true };
	struct tp_params blk = p;
	struct row rows[MAX_CASES];
	struct case_result res[MAX_CASES];
	double rates[MAX_CASES][MAX_RUNS];
	const char *peers[] = { "rte_ring-MP/SC-processes",
				"rte_ring-MP-RTS/SC-processes", "iceoryx-processes",
				"zmq-ipc-processes", "pipe-shared-processes" };
	char v[32];
	int n = 0, me;

	snprintf(v, sizeof(v), "%up-%s", nprod, bname(batch));
	/* Sleeping instead of spinning when the ring is full (producer) or
	 * empty (consumer, after 50 us): what an oversubscribed producer
	 * should do, and the waits' cost when producers take turns.
	 */
	blk.blocking = true;
	blk.spin_us = 50;
	rows[n++] = (struct row){ "ringmpsc-processes", v, { &ct_ringmpsc, p } };
	rows[n++] = (struct row){ "ringmpsc-proc-blocking", v, { &ct_ringmpsc, blk } };
#ifdef HAVE_DPDK
	rows[n++] = (struct row){ peers[0], v, { &ct_rte_mpsc, p } };
	rows[n++] = (struct row){ peers[1], v, { &ct_rte_mpsc_rts, p } };
#endif
#ifdef HAVE_ICEORYX
	rows[n++] = (struct row){ peers[2], v, { &ct_iceoryx, p } };
#endif
#ifdef HAVE_ZMQ
	rows[n++] = (struct row){ peers[3], v, { &ct_zmq, p } };
#endif
	rows[n++] = (struct row){ peers[4], v, { &ct_pipe, p } };
	n = tp_rows("w6", rows, n, runs, window_secs(nprod), res, rates);
	me = find_row(rows, n, "ringmpsc-processes", v);
	for (unsigned i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		print_ratio("w6", rows, me, find_row(rows, n, peers[i], v), res,
			    rates);
	for (unsigned i = 0; i < 2; i++)
		print_ratio("w6", rows, find_row(rows, n, "ringmpsc-proc-blocking", v),
			    find_row(rows, n, peers[i], v), res, rates);
}

void idle_rings(const char *wl, bool processes, uint32_t batch, int runs)
{
	struct tp_params p1 = { .batch = batch, .fork = processes };
	struct tp_params p64 = { .batch = batch, .fork = processes,
				 .idle_rings = 63 };
	const char *name = processes ? "ringmpsc-processes" : "ringmpsc-threads";
	struct row rows[3];
	struct case_result res[3];
	double rates[3][MAX_RUNS];
	char v1[32], v64[32], again[40];
	int n;

	snprintf(v1, sizeof(v1), "1-of-1-%s", bname(batch));
	snprintf(v64, sizeof(v64), "1-of-64-%s", bname(batch));
	snprintf(again, sizeof(again), "1-of-1-again-%s", bname(batch));
	rows[0] = (struct row){ name, v1, { &ct_ringmpsc, p1 } };
	rows[1] = (struct row){ name, v64, { &ct_ringmpsc, p64 } };
	/* The control: 1 of 1 against itself. Its worst round is how far a
	 * ratio of two identical rows strays on this machine.
	 */
	rows[2] = (struct row){ name, again, { &ct_ringmpsc, p1 } };
	n = tp_rows(wl, rows, 3, runs, g_secs, res, rates);
	print_ratio(wl, rows, find_row(rows, n, name, v64),
		    find_row(rows, n, name, v1), res, rates);
	print_ratio(wl, rows, find_row(rows, n, name, again),
		    find_row(rows, n, name, v1), res, rates);
}

void workload6(void)
{
	static const uint32_t np[] = { 1, 2, 4, 8, 16, 64 };
	int runs = g_runs < 5 ? g_runs : 5;	/* bounded time: 64 processes */

	header("workload 6: fan-in across processes, N producers (all on CPU 0: "
	       "N > 1 time-share it) -> 1 consumer (CPU 1); aggregate rate, and "
	       "Jain's index of per-producer counts in a window "
	       "(min/median/max over rounds)");
	for (unsigned b = 0; b < 2; b++)
		for (unsigned i = 0; i < sizeof(np) / sizeof(np[0]); i++)
			fanin(np[i], b ? 1 : 32, runs);
	printf("  idle producers: 1 busy ring of 64 attached against 1 of 1, "
	       "interleaved; the ratio's min is the worst round\n");
	idle_rings("w6", true, 1, g_runs);
	idle_rings("w6", true, 256, g_runs);
}
