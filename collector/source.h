/* SPDX-License-Identifier: MIT */
/*
 * The source: the ring side of the collector. It takes span slots from
 * the channel's rings (ringmpsc_take(): read, not released), encodes them
 * into the open batch, and remembers, per ring, which batch holds which
 * run of slots (a segment). A ring's slots are released only when every batch holding
 * them, in ring order, is done: exported or given up on (INV-COLL-03).
 * So the consumer head never passes an unexported span, and a collector
 * that dies at any instant leaves its successor every such span to read
 * again (INV-COLL-04).
 */
#ifndef COLLECTOR_SOURCE_H
#define COLLECTOR_SOURCE_H

#include "invariants.h"
#include <ringmpsc.h>

#include "batch.h"
#include "metrics.h"
#include "ratelimit.h"

struct source_segment {
	struct batch *b;
	uint32_t n;			/* slots, consecutive in the ring */
};

struct source_ring {
	uint32_t held;			/* slots from head that batches hold */
	/* Taken after those, not in a batch yet (no batch was free, or
	 * the rate limit holds them): the next pass starts with them.
	 * The library's taken count is held + parked. INV-COLL-03
	 */
	const unsigned char *parked_at;
	uint32_t parked;
	uint32_t first, nr_segs;	/* FIFO of segments, in ring order */
	struct source_segment *segs;	/* seg_cap entries */
	bool reported_broken;
};

struct source {
	struct ringmpsc_consumer *c;
	struct metrics *m;
	struct ratelimit *rl;
	struct source_ring *rings;
	uint32_t nr_rings;
	uint32_t seg_cap;		/* = number of batches */
	uint32_t next_ring;		/* round-robin start */
	uint32_t pass_most;		/* most spans the last pass took
					 * from one ring */
	/* Batches: a pool, and the one open batch (NULL: none). */
	struct batch *batches;
	uint32_t nr_batches;
	struct batch *pool;
	struct batch *open;
	uint64_t seq;
	uint32_t batch_max_spans;
	size_t batch_max_bytes;
	/* Inside source_take(): a batch done now (a synchronous exporter)
	 * releases its slots when the pass ends, or when the pool runs dry,
	 * not at once; release_pending says one did.
	 */
	bool in_pass;
	bool release_pending;
	/* A batch closed: export it (the collector's pipeline). */
	void (*submit)(void *ctx, struct batch *b);
	void *ctx;
};

/* @c NULL: no rings (records come by source_take_record()). */
int source_init(struct source *s, struct ringmpsc_consumer *c,
		struct metrics *m, struct ratelimit *rl, uint32_t nr_batches,
		uint32_t batch_max_spans, size_t batch_max_bytes,
		const struct otlp_encoding *enc,
		void (*submit)(void *ctx, struct batch *b), void *ctx);
void source_free(struct source *s);

/* Why an intake pass stopped. */
enum source_stop {
	SOURCE_EMPTY,		/* every ring read up to its tail */
	SOURCE_NO_BATCH,	/* every batch is full or in export */
	SOURCE_RATE,		/* the rate limit (hold) ran out of tokens */
	SOURCE_BUDGET,		/* @budget spans taken: there may be more */
};

/* Put record @rec (of no ring: nothing held) into a batch. false: no
 * batch can take it.
 */
bool source_take_record(struct source *s, const void *rec, uint64_t now_ns);
/* Take what the rings hold into batches, up to @budget spans. */
enum source_stop source_take(struct source *s, uint64_t now_ns,
			     uint32_t budget);
/* Close the open batch, if it has anything, and hand it to submit(). */
void source_close_open(struct source *s);
/* Batch @b is done (exported or given up): release what it frees. */
void source_batch_done(struct source *s, struct batch *b);
/* Count what the rings hold at attach as inherited: a previous
 * collector may have exported some of it (module channels only).
 */
void source_count_inherited(struct source *s);
/* Spans read and not yet released; 0: the rings hold nothing of ours. */
uint64_t source_held(const struct source *s);

#endif /* COLLECTOR_SOURCE_H */
