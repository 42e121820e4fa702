/* SPDX-License-Identifier: MIT */
/*
 * The export pipeline: closed batches wait in a queue for an export slot
 * (the exporter's max_inflight) and for the circuit breaker; outcomes
 * decide what happens next: exported (done), rejected for good (done,
 * dropped), failed (back off and queue again while the retry budget
 * lasts; then done, dropped). "Done" hands the batch back to the
 * collector, which releases its ring slots (INV-COLL-03).
 */
#ifndef COLLECTOR_PIPELINE_H
#define COLLECTOR_PIPELINE_H

#include "batch.h"
#include "breaker.h"
#include "exporter.h"
#include "retry.h"

struct config;

struct pipeline {
	struct loop *loop;
	struct metrics *m;
	struct exporter exp;
	struct breaker breaker;
	struct retry_policy retry;
	uint64_t rand_state;
	struct batch *head, *tail;	/* queued, FIFO */
	uint32_t queued;
	uint32_t exporting;
	uint32_t backoff;
	struct loop_timer breaker_timer;
	bool verbose;
	/* A batch is done: exported, or given up on. */
	void (*batch_done)(void *ctx, struct batch *b);
	void *ctx;
};

int pipeline_init(struct pipeline *p, const struct config *cfg,
		  struct loop *l, struct metrics *m,
		  void (*batch_done)(void *ctx, struct batch *b), void *ctx);
/* Take closed, sealed batch @b. */
void pipeline_submit(struct pipeline *p, struct batch *b);
/* Nothing queued, exporting or backing off. */
bool pipeline_idle(const struct pipeline *p);
/* Flush and shut the exporter down; what is in flight is abandoned. */
void pipeline_shutdown(struct pipeline *p);

#endif /* COLLECTOR_PIPELINE_H */
