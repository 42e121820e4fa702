/* SPDX-License-Identifier: MIT */
/*
 * Self-metrics: what the collector received, exported and dropped (by
 * cause), its retries, its breaker, its batches and export latency, as
 * counters and histograms written in the Prometheus text format to a
 * file that is replaced atomically (rename), as node_exporter's textfile
 * collector reads it.
 */
#ifndef COLLECTOR_METRICS_H
#define COLLECTOR_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "record.h"

enum drop_cause {
	DROP_REJECTED,		/* the backend refused the request for good */
	DROP_RETRY_EXHAUSTED,	/* attempts or time ran out */
	DROP_RATE_LIMIT,	/* over the rate, policy drop */
	DROP_ENCODE,		/* out of memory encoding it */
	DROP_CAUSES
};

#define HIST_BUCKETS 12

struct histogram {
	double bounds[HIST_BUCKETS];	/* upper bounds, ascending */
	uint64_t counts[HIST_BUCKETS];	/* non-cumulative */
	uint64_t count;
	double sum;
};

struct metrics {
	uint64_t spans_received;
	uint64_t spans_corrupt[RECORD_FAULTS];
	uint64_t spans_exported;
	uint64_t spans_dropped[DROP_CAUSES];
	uint64_t spans_inherited;	/* unreleased at start: maybe sent before */
	uint64_t spans_held;		/* gauge: read, not yet released */
	uint64_t batches_exported;
	uint64_t batches_dropped;
	uint64_t export_attempts;
	uint64_t export_retries;
	uint64_t export_failures;	/* attempts that failed retryably */
	uint64_t http_responses[6];	/* by class: [2] = 2xx ... [5] = 5xx */
	uint64_t transport_errors;	/* no HTTP status: refused, timeout, ... */
	uint64_t retry_after_honoured;
	uint64_t breaker_state;		/* gauge: enum breaker_state */
	uint64_t breaker_opened;
	uint64_t breaker_rejected;	/* exports the open breaker held back */
	uint64_t ratelimit_holds;	/* intake passes held by the rate limit */
	uint64_t rings_broken;		/* rings found corrupt (INV-RING-10) */
	uint64_t batches_inflight;	/* gauge */
	uint64_t file_rotations;
	struct histogram batch_spans;
	struct histogram batch_bytes;
	struct histogram export_seconds;
};

void metrics_init(struct metrics *m);
void hist_observe(struct histogram *h, double v);
/* The Prometheus text exposition of @m. */
void metrics_print(const struct metrics *m, FILE *f);
/* Write @path atomically (a temporary file renamed over it). -errno. */
int metrics_write_file(const struct metrics *m, const char *path);

#endif /* COLLECTOR_METRICS_H */
