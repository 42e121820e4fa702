// SPDX-License-Identifier: MIT
/*
 * Workload 2's account of 4096-byte messages: where the time goes. The
 * same 1 -> 1 case (threads, batches of 32) with one thing changed per
 * row, all rows interleaved round by round: the ring's size in bytes
 * against the caches (256 KiB .. 16 MiB; 16 MiB is the default capacity
 * of 4096 slots), non-temporal stores in the producer, a software
 * prefetch ahead on either side, smaller batches; beside them rte_ring,
 * and the ceiling of workload 1 (cache lines streamed with no protocol)
 * with the same ring bytes, which is what moving the bytes from one core
 * to the other costs on this machine. The summary puts the baseline
 * against that ceiling and against single-core memcpy in cache.
 */
#include <stdio.h>

#include "bench.h"
#include "report.h"
#include "runner.h"

#define MSG	4096u
#define KIB	1024u

struct variant {
	const char *name, *variant;
	const struct contender *ct;
	struct tp_params p;
};

/* A ring of @bytes for 4 KiB messages. */
static struct tp_params msgs(uint32_t bytes)
{
	return (struct tp_params){ .batch = 32, .msg_size = MSG,
				   .capacity = bytes / MSG };
}

/* The ceiling with a ring of @bytes: 8-byte messages, bytes/s = 8 x. */
static struct tp_params lines(uint32_t bytes)
{
	return (struct tp_params){ .batch = 256, .msg_size = 8,
				   .capacity = bytes / 8 };
}

void big_messages(double memcpy_in_cache)
{
	struct tp_params nt = msgs(2048 * KIB), pfw = nt, pfr = nt, b4 = nt;
	struct row rows[MAX_CASES];
	struct case_result res[MAX_CASES];
	double rates[MAX_CASES][MAX_RUNS];
	int n = 0, base, ceil;

	nt.nt_stores = true;
	pfw.prod_prefetch = MSG;
	pfr.cons_prefetch = MSG;
	b4.batch = 4;
	printf("  4096-byte messages, where the time goes (rows interleaved; "
	       "ring sizes in bytes):\n");
	rows[n++] = (struct row){ "ringmpsc-threads", "4K-ring2MiB", { &ct_ringmpsc, msgs(2048 * KIB) } };
	rows[n++] = (struct row){ "ringmpsc-threads", "4K-ring16MiB", { &ct_ringmpsc, msgs(16384 * KIB) } };
	rows[n++] = (struct row){ "ringmpsc-threads", "4K-ring1MiB", { &ct_ringmpsc, msgs(1024 * KIB) } };
	rows[n++] = (struct row){ "ringmpsc-threads", "4K-ring256KiB", { &ct_ringmpsc, msgs(256 * KIB) } };
	rows[n++] = (struct row){ "ringmpsc-threads", "4K-ring2MiB-ntstore", { &ct_ringmpsc, nt } };
	rows[n++] = (struct row){ "ringmpsc-threads", "4K-ring2MiB-pfw4K", { &ct_ringmpsc, pfw } };
	rows[n++] = (struct row){ "ringmpsc-threads", "4K-ring2MiB-pfr4K", { &ct_ringmpsc, pfr } };
	rows[n++] = (struct row){ "ringmpsc-threads", "4K-ring2MiB-batch4", { &ct_ringmpsc, b4 } };
#ifdef HAVE_DPDK
	rows[n++] = (struct row){ "rte_ring-SP/SC-elem", "4K-ring2MiB", { &ct_rte_spsc, msgs(2048 * KIB) } };
#endif
	rows[n++] = (struct row){ "ceiling-line-stream", "ring2MiB", { &ct_ceiling, lines(2048 * KIB) } };
	rows[n++] = (struct row){ "ceiling-line-stream", "ring256KiB", { &ct_ceiling, lines(256 * KIB) } };
	n = tp_rows("w2", rows, n, g_runs, g_secs, res, rates);
	base = find_row(rows, n, "ringmpsc-threads", "4K-ring2MiB");
	for (int j = 0; j < n; j++)
		if (j != base && rows[j].cs.p.msg_size == MSG)
			print_ratio("w2", rows, j, base, res, rates);
	ceil = find_row(rows, n, "ceiling-line-stream", "ring2MiB");
	if (base < 0 || ceil < 0 || res[base].err || res[ceil].err)
		return;
	{
		double gb = res[base].median * MSG / 1e9;
		double line = res[ceil].median * 8 / 1e9;
		double q[MAX_RUNS];

		for (int i = 0; i < res[base].runs; i++)
			q[i] = rates[base][i] * MSG / (rates[ceil][i] * 8);
		sort_doubles(q, res[base].runs);
		printf("  4 KiB messages, 2 MiB ring: %.2f GB/s = %.0f%% of single-core "
		       "memcpy in cache (%.2f GB/s); the line stream with the same "
		       "ring moves %.2f GB/s: per round the ring gets %.2f / %.2f / "
		       "%.2f of it\n", gb, 100 * gb / memcpy_in_cache,
		       memcpy_in_cache, line, q[0],
		       median_of_sorted(q, res[base].runs), q[res[base].runs - 1]);
		fprintf(g_csv, "w2,ringmpsc-threads/ceiling-line-stream,4K-ring2MiB/"
			"ring2MiB(bytes),4096,1,%d,ratio,%.3f,%.3f,%.3f,,,,yes,\n",
			res[base].runs, q[0], median_of_sorted(q, res[base].runs),
			q[res[base].runs - 1]);
	}
}
