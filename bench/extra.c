// SPDX-License-Identifier: MIT
/* Workload 2's memcpy limit and workload 5 (system calls per message). */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "runner.h"

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Single-core memcpy bandwidth (bytes copied per second) for a working set
 * of @bytes source + @bytes destination.
 */
static double memcpy_case(FILE *csv, int runs, size_t bytes, const char *label)
{
	unsigned char *src = aligned_alloc(4096, bytes), *dst = aligned_alloc(4096, bytes);
	double gb[64];
	size_t total = (size_t)1 << 30;	/* copy 1 GiB per run */

	if (!src || !dst)
		die("alloc");
	memset(src, 1, bytes);
	memset(dst, 2, bytes);
	pin_cpu(1);	/* the consumer's CPU; unpinned by the next case */
	if (runs > 64)
		runs = 64;
	for (int r = 0; r < runs; r++) {
		uint64_t t0 = now_ns();

		for (size_t done = 0; done < total; done += bytes) {
			memcpy(dst, src, bytes);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		gb[r] = (double)total / (double)(now_ns() - t0);
	}
	qsort(gb, (size_t)runs, sizeof(gb[0]), cmp_d);
	printf("  %-26s %-20s %9.2f %9.2f %9.2f GB/s (bytes copied per second)\n",
	       "memcpy-1-core", label, gb[0], gb[runs / 2], gb[runs - 1]);
	fprintf(csv, "w2,memcpy-1-core,%s,%zu,0,%d,GB/s,%.3f,%.3f,%.3f,%.3f,,,yes,\n",
		label, bytes, runs, gb[0], gb[runs / 2], gb[runs - 1], gb[runs / 2]);
	free(src);
	free(dst);
	return gb[runs / 2];
}

double memcpy_bw(FILE *csv, int runs)
{
	double in_cache = memcpy_case(csv, runs, 1 << 20, "1MiB(L2)");

	memcpy_case(csv, runs, 64 << 20, "64MiB(DRAM)");
	return in_cache;
}

/* Workload 5: count system calls on each side with the perf tracepoint
 * raw_syscalls:sys_enter, per thread, over the measured phase only.
 */
void syscalls_workload(FILE *csv, int runs, double secs)
{
	static const struct {
		const char *name, *variant;
		struct tp_params p;
	} cases[] = {
		{ "ringmpsc-processes", "polling-batch256",
		  { .nprod = 1, .batch = 256, .msg_size = 8, .fork = true } },
		{ "ringmpsc-processes", "polling-single",
		  { .nprod = 1, .batch = 1, .msg_size = 8, .fork = true } },
		{ "ringmpsc-processes", "blocking-batch32",
		  { .nprod = 1, .batch = 32, .msg_size = 8, .fork = true,
		    .blocking = true, .spin_us = 50 } },
		{ "ringmpsc-processes", "blocking-10M/s-b32",
		  { .nprod = 1, .batch = 32, .msg_size = 8, .fork = true,
		    .blocking = true, .spin_us = 50, .pace = 10000000 } },
		{ "ringmpsc-processes", "blocking-1M/s-b1",
		  { .nprod = 1, .batch = 1, .msg_size = 8, .fork = true,
		    .blocking = true, .spin_us = 50, .pace = 1000000 } },
	};

	printf("  %-26s %-20s %9s %9s %9s  (M msgs/s; syscalls per million "
	       "messages: p=producer c=consumer)\n", "contender", "variant",
	       "min", "median", "max");
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct case_result r;
		struct tp_params p = cases[i].p;
		int err;

		p.capacity = 4096;
		err = run_case(&ct_ringmpsc, &p, runs > 5 ? 5 : runs, secs, &r);
		if (err) {
			printf("  %-26s %-20s ERROR %d\n", cases[i].name,
			       cases[i].variant, err);
			continue;
		}
		printf("  %-26s %-20s %9.2f %9.2f %9.2f", cases[i].name,
		       cases[i].variant, r.min / 1e6, r.median / 1e6, r.max / 1e6);
		if (r.sys_counted)
			printf("  sys/M p=%.2f c=%.2f", r.prod_sys_per_m,
			       r.cons_sys_per_m);
		else
			printf("  sys/M not counted (no perf tracepoint access)");
		printf("  %s\n", r.verified ? "ok" : "FAILED");
		fprintf(csv, "w5,%s,%s,8,1,%d,Mmsg/s,%.3f,%.3f,%.3f,,", cases[i].name,
			cases[i].variant, r.runs, r.min / 1e6, r.median / 1e6,
			r.max / 1e6);
		if (r.sys_counted)
			fprintf(csv, "%.3f,%.3f,", r.prod_sys_per_m, r.cons_sys_per_m);
		else
			fprintf(csv, ",,");
		fprintf(csv, "%s,%016llx\n", r.verified ? "yes" : "NO",
			(unsigned long long)r.checksum);
	}
}
