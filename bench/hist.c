// SPDX-License-Identifier: MIT
/* ringbench: reading and merging latency histograms (hist.h). */
#include <math.h>

#include "hist.h"

uint64_t hist_bucket_top(uint32_t i)
{
	uint32_t shift;

	if (i < HIST_SUB)
		return i;
	shift = i / HIST_SUB - 1;
	return (((uint64_t)(i % HIST_SUB + HIST_SUB) + 1) << shift) - 1;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	for (uint32_t i = 0; i < HIST_BUCKETS; i++)
		into->n[i] += from->n[i];
	into->count += from->count;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	if (q >= 1)
		return h->max;
	want = (uint64_t)ceil(q * (double)h->count);
	if (want == 0)
		want = 1;
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= want) {
			uint64_t top = hist_bucket_top(i);

			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}

void hist_write_quantiles(const struct hist *h, FILE *f, const char *label)
{
	for (int k = 0; k <= 40; k++) {
		double q = 1 - pow(10, -k / 8.0);

		if (q * (double)h->count > (double)h->count - 1 && k)
			break;	/* beyond the last sample */
		fprintf(f, "%s %.6f %llu\n", label, q,
			(unsigned long long)hist_quantile(h, q));
	}
	fprintf(f, "%s 1 %llu\n", label, (unsigned long long)h->max);
}
