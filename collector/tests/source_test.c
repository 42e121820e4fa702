// SPDX-License-Identifier: MIT
/*
 * source_test (host): when the source releases ring slots to a producer.
 * A local ring full of load spans is read by one intake pass whose
 * exporter finishes each batch at once (as the file exporter does): the
 * pass publishes the ring's head once, at its end, with the room of
 * every batch it completed, not once a batch (one producer wakeup per
 * pass); a pass that runs out of batches releases what its done batches
 * hold and goes on; and no slot is released before its batch is done
 * (INV-COLL-03). Single process, no timing: nothing here depends on the
 * scheduler.
 */
#include <errno.h>
#include <unistd.h>

#include "../invariants.h"
#include <ringmpsc.h>
#include <ringmpsc/span.h>

#include "kselftest_harness.h"

#include "../encoding.h"
#include "../loadgen.h"
#include "../source.h"

#define CAPACITY	4096
#define BATCH_SPANS	512

struct fixture {
	struct ringmpsc_local *local;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct metrics m;
	struct ratelimit rl;
	struct source src;
	uint32_t submitted;
	/* Head publications seen when each batch was done, and the most
	 * slots any batch's completion found released.
	 */
	uint64_t published_at_done;
	uint64_t released_early;
};

/* The exporter of the test: done at once, inside the pass. */
static void submit_done(void *ctx, struct batch *b)
{
	struct fixture *f = ctx;

	f->submitted++;
	/* Nothing of this batch may be released before it is done. */
	if (f->c.stats.messages > (uint64_t)(f->submitted - 1) * BATCH_SPANS)
		f->released_early++;
	f->published_at_done = f->c.stats.batches;
	b->state = BATCH_DONE;
	source_batch_done(&f->src, b);
}

/* A ring holding @n load spans; the source over it, with @batches. */
static int setup(struct fixture *f, uint32_t n, uint32_t batches)
{
	struct ringmpsc_span_writer w;
	struct ringmpsc_span *s = NULL;
	int err;

	memset(f, 0, sizeof(*f));
	err = ringmpsc_local_create(&f->local, 1, RINGMPSC_SPAN_SIZE, CAPACITY, 0);
	if (!err)
		err = ringmpsc_local_producer(f->local, 0, &f->p);
	if (!err)
		err = ringmpsc_local_consumer(f->local, &f->c);
	if (!err)
		err = ringmpsc_span_writer_init(&w, &f->p, "source-test",
						(uint32_t)getpid(), 0);
	for (uint64_t seq = 0; !err && seq < n; seq++) {
		err = ringmpsc_span_reserve(&w, &s);
		if (!err) {
			loadgen_span(s, &w, 0, seq);
			err = ringmpsc_span_commit(&w);
		}
	}
	if (err)
		return err;
	metrics_init(&f->m);
	ratelimit_init(&f->rl, 0, 0, RATELIMIT_HOLD, 0);
	return source_init(&f->src, &f->c, &f->m, &f->rl, batches, BATCH_SPANS,
			   1u << 20, &otlp_json_encoding, submit_done, f);
}

static void teardown(struct fixture *f)
{
	source_free(&f->src);
	ringmpsc_producer_close(&f->p);
	ringmpsc_consumer_close(&f->c);
	ringmpsc_local_destroy(f->local);
}

/* Room the producer sees. */
static uint32_t room(struct fixture *f)
{
	void *slot;
	int n = ringmpsc_reserve(&f->p, CAPACITY, &slot);

	if (n > 0)
		ringmpsc_commit(&f->p, 0);
	return n > 0 ? (uint32_t)n : 0;
}

TEST(one_release_per_pass)
{
	struct fixture f;

	ASSERT_EQ(0, setup(&f, CAPACITY, CAPACITY / BATCH_SPANS));
	ASSERT_EQ(0, room(&f));
	EXPECT_EQ(SOURCE_EMPTY, source_take(&f.src, 1, 16384));
	/* Eight batches, all done inside the pass, their slots released
	 * once, after the last of them: one head publication, the whole
	 * ring free, nothing held.
	 */
	EXPECT_EQ(CAPACITY / BATCH_SPANS, f.submitted);
	EXPECT_EQ(0, f.released_early);
	EXPECT_EQ(0, f.published_at_done);
	EXPECT_EQ(1, f.c.stats.batches);
	EXPECT_EQ(CAPACITY, f.c.stats.messages);
	EXPECT_EQ(0, source_held(&f.src));
	EXPECT_EQ(CAPACITY, room(&f));
	EXPECT_EQ(CAPACITY, f.m.spans_received);
	teardown(&f);
}

TEST(pool_dry_releases_and_goes_on)
{
	struct fixture f;

	/* Two batches for eight batches' worth of spans: the pass must
	 * release what its done batches hold to get them back.
	 */
	ASSERT_EQ(0, setup(&f, CAPACITY, 2));
	EXPECT_EQ(SOURCE_EMPTY, source_take(&f.src, 1, 16384));
	EXPECT_EQ(CAPACITY / BATCH_SPANS, f.submitted);
	EXPECT_EQ(0, f.released_early);
	/* Every second batch found the pool dry: a release then, and the
	 * last one at the end of the pass.
	 */
	EXPECT_EQ(CAPACITY / BATCH_SPANS / 2, f.c.stats.batches);
	EXPECT_EQ(CAPACITY, f.c.stats.messages);
	EXPECT_EQ(0, source_held(&f.src));
	EXPECT_EQ(CAPACITY, room(&f));
	teardown(&f);
}

TEST(done_outside_a_pass_releases_at_once)
{
	struct fixture f;

	ASSERT_EQ(0, setup(&f, BATCH_SPANS / 2, 2));
	EXPECT_EQ(SOURCE_EMPTY, source_take(&f.src, 1, 16384));
	/* Half a batch: still open, its slots held. */
	EXPECT_EQ(0, f.submitted);
	EXPECT_EQ(BATCH_SPANS / 2, source_held(&f.src));
	EXPECT_EQ(CAPACITY - BATCH_SPANS / 2, room(&f));
	/* Closed by age (no pass running): released before this returns. */
	source_close_open(&f.src);
	EXPECT_EQ(1, f.submitted);
	EXPECT_EQ(0, source_held(&f.src));
	EXPECT_EQ(CAPACITY, room(&f));
	teardown(&f);
}

TEST_HARNESS_MAIN
