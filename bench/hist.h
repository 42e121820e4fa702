/* SPDX-License-Identifier: MIT */
/*
 * A latency histogram with log-linear buckets, in the manner of
 * HdrHistogram: values below 2^HIST_SUB_BITS ns are counted exactly; above,
 * every power of two is cut into 2^HIST_SUB_BITS equal buckets, so a value
 * read back is at most 1/64 (1.6%) above the true one, from nanoseconds to
 * an hour in 2368 counters. One writer (the consumer) with plain
 * increments; merged and read once the run is over.
 */
#ifndef RINGBENCH_HIST_H
#define RINGBENCH_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS	6
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_TOP_BIT	42	/* 2^42 ns = 73 min; above: the last bucket */
#define HIST_BUCKETS	(HIST_SUB + (HIST_TOP_BIT - HIST_SUB_BITS) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t max;		/* exact */
	uint64_t n[HIST_BUCKETS];
};

static inline uint32_t hist_index(uint64_t ns)
{
	uint32_t msb, shift;

	if (ns < HIST_SUB)
		return (uint32_t)ns;
	msb = 63u - (uint32_t)__builtin_clzll(ns);
	if (msb >= HIST_TOP_BIT)
		return HIST_BUCKETS - 1;
	shift = msb - HIST_SUB_BITS;
	return HIST_SUB * (shift + 1) + (uint32_t)(ns >> shift) - HIST_SUB;
}

static inline void hist_record(struct hist *h, uint64_t ns)
{
	h->n[hist_index(ns)]++;
	h->count++;
	if (ns > h->max)
		h->max = ns;
}

/* The highest value bucket @i holds. */
uint64_t hist_bucket_top(uint32_t i);
void hist_merge(struct hist *into, const struct hist *from);
/* The value at quantile @q (0..1): the top of the bucket where the
 * cumulative count reaches q * count; the exact maximum for q = 1.
 */
uint64_t hist_quantile(const struct hist *h, double q);
/* Lines "LABEL QUANTILE NS" at quantiles 1 - 10^(-k/8) up to the last
 * sample, and the maximum at quantile 1: a percentile plot's data.
 */
void hist_write_quantiles(const struct hist *h, FILE *f, const char *label);

#endif
