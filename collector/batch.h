/* SPDX-License-Identifier: MIT */
/*
 * A batch: the spans of one export request, encoded as they arrive (one
 * OTLP resource per producer process and service, in the encoding of
 * encoding.h), and its export
 * state. The batcher fills one open batch at a time and closes it by
 * size (spans, bytes) or age; the pipeline exports closed ones. A batch
 * also knows how many ring segments still refer to it: the source frees
 * it only when its last one is released (INV-COLL-03).
 */
#ifndef COLLECTOR_BATCH_H
#define COLLECTOR_BATCH_H

#include "invariants.h"
#include <ringmpsc/span.h>

#include "encoding.h"
#include "json.h"
#include "loop.h"

#define BATCH_MAX_RESOURCES	64

struct batch_resource {
	uint32_t pid;
	uint8_t service_len;
	char service[RINGMPSC_SPAN_SERVICE_MAX];
	struct jbuf frag;	/* its part of the body (encoding.h) */
	uint32_t nr_spans;
};

enum batch_state {
	BATCH_FREE,		/* in the pool */
	BATCH_OPEN,		/* taking spans */
	BATCH_QUEUED,		/* closed, waiting for an export slot */
	BATCH_EXPORTING,	/* an exporter has it */
	BATCH_BACKOFF,		/* waiting for its retry timer */
	BATCH_DONE,		/* exported, or given up on: releasable */
};

struct batch {
	const struct otlp_encoding *enc;	/* set once, kept by resets */
	uint64_t seq;
	enum batch_state state;
	uint32_t nr_spans;
	size_t bytes;			/* the request body, once sealed */
	uint32_t nr_resources;
	struct batch_resource res[BATCH_MAX_RESOURCES];
	struct jbuf body;		/* sealed request */
	uint64_t opened_ns;		/* first span taken (monotonic) */
	uint64_t first_try_ns;		/* first export attempt */
	uint64_t try_start_ns;		/* the current attempt */
	uint32_t attempts;
	bool probe;			/* the breaker's half-open probe */
	uint32_t segments;		/* ring segments referring to it */
	struct loop_timer retry_timer;
	struct batch *next;		/* queue or pool link */
	void *owner;			/* the pipeline */
};

/* Empty @b for reuse (keeps its buffers). */
void batch_reset(struct batch *b);
void batch_free(struct batch *b);
/*
 * Encode checked record @s into @b. -E2BIG: @b is not empty and the
 * span would take the body over @max_bytes, or it would need a resource
 * beyond BATCH_MAX_RESOURCES: close @b and add it to the next one.
 * -ENOMEM.
 */
int batch_add(struct batch *b, const struct ringmpsc_span *s, size_t max_bytes);
/* Assemble the request body. -ENOMEM. */
int batch_seal(struct batch *b);

#endif /* COLLECTOR_BATCH_H */
