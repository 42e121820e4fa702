// SPDX-License-Identifier: MIT
/*
 * The source (source.h): taking without releasing, the per-ring
 * segments that say which batch holds which slots, and the release of a
 * ring's prefix once its batches are done.
 */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "source.h"

int source_init(struct source *s, struct ringmpsc_consumer *c,
		struct metrics *m, struct ratelimit *rl, uint32_t nr_batches,
		uint32_t batch_max_spans, size_t batch_max_bytes,
		const struct otlp_encoding *enc,
		void (*submit)(void *ctx, struct batch *b), void *ctx)
{
	*s = (struct source){
		.c = c, .m = m, .rl = rl,
		.nr_rings = c ? c->nr_rings : 0,
		.seg_cap = nr_batches,
		.nr_batches = nr_batches,
		.batch_max_spans = batch_max_spans,
		.batch_max_bytes = batch_max_bytes,
		.submit = submit, .ctx = ctx,
	};
	s->rings = calloc(s->nr_rings ? s->nr_rings : 1, sizeof(*s->rings));
	s->batches = calloc(nr_batches, sizeof(*s->batches));
	if (!s->rings || !s->batches)
		goto nomem;
	for (uint32_t i = 0; i < s->nr_rings; i++) {
		s->rings[i].segs = calloc(s->seg_cap, sizeof(*s->rings[i].segs));
		if (!s->rings[i].segs)
			goto nomem;
	}
	for (uint32_t i = 0; i < nr_batches; i++) {
		struct batch *b = &s->batches[i];

		b->enc = enc;
		batch_reset(b);
		b->state = BATCH_FREE;
		b->next = s->pool;
		s->pool = b;
	}
	return 0;
nomem:
	source_free(s);
	return -ENOMEM;
}

void source_free(struct source *s)
{
	if (s->rings)
		for (uint32_t i = 0; i < s->nr_rings; i++)
			free(s->rings[i].segs);
	if (s->batches)
		for (uint32_t i = 0; i < s->nr_batches; i++)
			batch_free(&s->batches[i]);
	free(s->rings);
	free(s->batches);
	s->rings = NULL;
	s->batches = NULL;
}

static struct batch *open_batch(struct source *s, uint64_t now_ns)
{
	struct batch *b = s->pool;

	if (!b)
		return NULL;
	s->pool = b->next;
	batch_reset(b);
	b->seq = ++s->seq;
	b->state = BATCH_OPEN;
	b->opened_ns = now_ns;
	s->open = b;
	return b;
}

static void to_pool(struct source *s, struct batch *b)
{
	b->state = BATCH_FREE;
	b->next = s->pool;
	s->pool = b;
}

void source_close_open(struct source *s)
{
	struct batch *b = s->open;

	if (!b)
		return;
	s->open = NULL;
	if (b->nr_spans && batch_seal(b) == 0) {
		b->state = BATCH_QUEUED;
		s->submit(s->ctx, b);
		return;
	}
	/* Nothing to send (its slots were corrupt or over the rate), or no
	 * memory to assemble it: done now, counted, slots released.
	 */
	if (b->nr_spans) {
		log_msg(LOG_WARN, "out of memory sealing a batch of %u spans",
			b->nr_spans);
		s->m->spans_dropped[DROP_ENCODE] += b->nr_spans;
		s->m->batches_dropped++;
	}
	source_batch_done(s, b);
}

/* Count slot run @n of ring @r as held by batch @b. */
static void hold(struct source *s, struct source_ring *r, struct batch *b,
		 uint32_t n)
{
	struct source_segment *last = r->nr_segs ?
		&r->segs[(r->first + r->nr_segs - 1) % s->seg_cap] : NULL;

	r->held += n;
	s->m->spans_held += n;
	if (last && last->b == b) {
		last->n += n;
		return;
	}
	/* A batch is open until the next one opens, so a ring's segments
	 * name distinct batches and seg_cap (the number of batches) is room
	 * enough. INV-COLL-03.
	 */
	RINGMPSC_INV(r->nr_segs < s->seg_cap, "INV-COLL-03");
	r->segs[(r->first + r->nr_segs) % s->seg_cap] =
		(struct source_segment){ .b = b, .n = n };
	r->nr_segs++;
	b->segments++;
}

static void release_done(struct source *s);

/* Open a batch; if none is free, release what done batches hold first
 * (a pass defers that, source_batch_done()) and try again.
 */
static struct batch *open_or_release(struct source *s, uint64_t now_ns)
{
	struct batch *b = open_batch(s, now_ns);

	if (!b && s->release_pending) {
		release_done(s);
		b = open_batch(s, now_ns);
	}
	return b;
}

/* Put slot @slot into the open batch, held by ring @r (NULL: a record
 * of no ring). false: no batch can take it.
 */
static bool take_one(struct source *s, struct source_ring *r,
		     const void *slot, bool over_rate, uint64_t now_ns)
{
	struct ringmpsc_span span;
	enum record_fault f = record_take(&span, slot);
	struct batch *b = s->open ? s->open : open_or_release(s, now_ns);
	int err;

	if (!b)
		return false;
	if (f != RECORD_OK) {
		s->m->spans_corrupt[f]++;
	} else if (over_rate) {
		s->m->spans_dropped[DROP_RATE_LIMIT]++;
	} else {
		err = batch_add(b, &span, s->batch_max_bytes);
		if (err == -E2BIG) {
			source_close_open(s);
			b = open_or_release(s, now_ns);
			if (!b)
				return false;
			err = batch_add(b, &span, s->batch_max_bytes);
		}
		if (err)
			s->m->spans_dropped[DROP_ENCODE]++;
	}
	s->m->spans_received++;
	if (r)
		hold(s, r, b, 1);
	if (b->nr_spans >= s->batch_max_spans)
		source_close_open(s);
	return true;
}

bool source_take_record(struct source *s, const void *rec, uint64_t now_ns)
{
	return take_one(s, NULL, rec, false, now_ns);
}

/* Take the next run of ring @i into r->parked, unless some is left. */
static int park_run(struct source *s, uint32_t i, uint32_t budget)
{
	struct source_ring *r = &s->rings[i];
	const void *slots;
	int got;

	if (r->parked)
		return (int)r->parked;
	got = ringmpsc_take(s->c, i, &slots, budget);
	if (got == -EPROTO && !r->reported_broken) {
		r->reported_broken = true;
		s->m->rings_broken++;
		log_msg(LOG_WARN, "ring %u is corrupt (its producer wrote a bad tail): no longer read", i);
	}
	if (got <= 0)
		return 0;
	r->parked_at = slots;
	r->parked = (uint32_t)got;
	RINGMPSC_INV(s->c->rings[i].taken == r->held + r->parked, "INV-COLL-03");
	return got;
}

/* Put what ring @i has past the held slots into batches: a run at a
 * time, as the library hands them out after what it has taken.
 */
static enum source_stop take_ring(struct source *s, uint32_t i,
				  uint64_t now_ns, uint32_t *budget)
{
	struct source_ring *r = &s->rings[i];
	uint32_t fresh, tokens, k;
	bool held_back = false;

	while (*budget) {
		fresh = (uint32_t)park_run(s, i, *budget);
		if (!fresh)
			return SOURCE_EMPTY;
		if (fresh > *budget)
			fresh = *budget;
		tokens = s->rl->rate > 0 ?
			 ratelimit_take(s->rl, now_ns, fresh) : fresh;
		if (tokens < fresh && s->rl->policy == RATELIMIT_HOLD) {
			/* Back-pressure: what has no token stays parked,
			 * unreleased; the ring fills behind it.
			 */
			s->m->ratelimit_holds++;
			held_back = true;
			fresh = tokens;
		}
		/* Over the rate with policy drop: taken, counted, dropped. */
		for (k = 0; k < fresh; k++) {
			if (!take_one(s, r, r->parked_at, k >= tokens, now_ns))
				break;
			r->parked_at += s->c->slot_size;
			r->parked--;
		}
		*budget -= k;
		if (k < fresh)
			return SOURCE_NO_BATCH;
		if (held_back)
			return SOURCE_RATE;
	}
	return SOURCE_EMPTY;
}

enum source_stop source_take(struct source *s, uint64_t now_ns,
			     uint32_t budget)
{
	enum source_stop why = SOURCE_EMPTY;

	s->pass_most = 0;
	s->in_pass = true;
	for (uint32_t k = 0; k < s->nr_rings && budget; k++) {
		uint32_t i = (s->next_ring + k) % s->nr_rings, before = budget;
		enum source_stop r = take_ring(s, i, now_ns, &budget);

		if (before - budget > s->pass_most)
			s->pass_most = before - budget;
		if (r != SOURCE_EMPTY) {
			why = r;
			s->next_ring = i;
			break;
		}
	}
	s->in_pass = false;
	if (s->release_pending)
		release_done(s);
	if (!budget && why == SOURCE_EMPTY)
		why = SOURCE_BUDGET;
	return why;
}

/* Release ring @i's leading segments whose batches are done. */
static void release_ring(struct source *s, uint32_t i)
{
	struct source_ring *r = &s->rings[i];
	uint32_t n = 0;
	int err;

	while (r->nr_segs) {
		struct source_segment *seg = &r->segs[r->first];

		if (seg->b->state != BATCH_DONE)
			break;
		n += seg->n;
		if (--seg->b->segments == 0)
			to_pool(s, seg->b);
		r->first = (r->first + 1) % s->seg_cap;
		r->nr_segs--;
	}
	if (!n)
		return;
	r->held -= n;
	s->m->spans_held -= n;
	/* The oldest taken slots are the oldest held ones: segments are in
	 * ring order, parked slots come after them. The consumer's
	 * store-release of head inside (D, INV-RING-05) is what lets the
	 * producer reuse them: only after their batch is done. INV-COLL-03
	 */
	err = ringmpsc_release_taken(s->c, i, n);
	if (err) {
		/* The ring is gone (recycled under a new generation): the
		 * library forgot what we took, nothing to release into.
		 */
		r->held = 0;
		r->parked = 0;
	}
	RINGMPSC_INV(err || s->c->rings[i].taken >= r->held, "INV-COLL-03");
}

/* Release every ring's leading segments whose batches are done. */
static void release_done(struct source *s)
{
	s->release_pending = false;
	for (uint32_t i = 0; i < s->nr_rings; i++)
		release_ring(s, i);
}

void source_batch_done(struct source *s, struct batch *b)
{
	b->state = BATCH_DONE;
	if (!b->segments) {
		to_pool(s, b);
		return;
	}
	/*
	 * Within a pass (a synchronous exporter finished it), release when
	 * the pass ends: a producer waiting on its full ring is woken once
	 * a pass, with the room of every batch the pass completed, not once
	 * a batch, and sleeps as often. Its slots stay held until then, by
	 * a batch out of the pool: the bound on duplicates is unchanged.
	 * INV-COLL-03, INV-COLL-04.
	 */
	if (s->in_pass) {
		s->release_pending = true;
		return;
	}
	/* Only rings whose oldest segment is this batch's can move. */
	for (uint32_t i = 0; i < s->nr_rings; i++) {
		struct source_ring *r = &s->rings[i];

		if (r->nr_segs && r->segs[r->first].b == b)
			release_ring(s, i);
	}
}

void source_count_inherited(struct source *s)
{
	/* What a previous collector left unreleased: it may have exported
	 * some of it already; those come again, as duplicates. INV-COLL-04.
	 */
	for (uint32_t i = 0; i < s->nr_rings; i++) {
		const void *slots;
		int got = ringmpsc_peek(s->c, i, &slots, s->c->capacity);

		if (got > 0)
			s->m->spans_inherited += (uint32_t)got;
	}
}

uint64_t source_held(const struct source *s)
{
	return s->m->spans_held;
}
