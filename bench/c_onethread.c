// SPDX-License-Identifier: MIT
/*
 * The single-message paths of ringmpsc without a second core: one thread
 * sends ONETHREAD_BURST single 8-byte messages into a local ring, then
 * consumes them, one per call (or p.drain per call), and again, over the
 * same ring. No line crosses a core, so the rate is what the work of a
 * send plus a consume costs: the part of workload 1's single rows that
 * <ringmpsc/typed.h> can save. Generic (ringmpsc_try_send(),
 * ringmpsc_consume()) or p.typed (the same through <ringmpsc/typed.h>),
 * every message checked as in the other rows. A burst never fills the
 * ring, so a send that fails or a consume that finds nothing fails the run.
 */
#include <errno.h>

#include "ringmpsc.h"
#include "ringmpsc/typed.h"
#include "bench.h"

#define ONETHREAD_CAP	4096	/* the default capacity of workload 1 */
#define ONETHREAD_BURST	256	/* messages per send, then consume, phase */
RINGMPSC_TYPED_RING(one8, uint64_t, ONETHREAD_CAP)

static bool onethread_supports(const struct tp_params *p)
{
	return p->nprod == 1 && p->batch == 1 && p->msg_size == 8 &&
	       !p->fork && !p->module && !p->idle_rings && !p->stamped &&
	       !p->blocking && !p->pace && p->capacity == ONETHREAD_CAP;
}

static int onethread_setup(struct tp_ctx *c)
{
	struct ringmpsc_local *l;
	int err = ringmpsc_local_create(&l, 1, 8, ONETHREAD_CAP, 0);

	c->priv = err ? NULL : l;
	return err;
}

static void onethread_teardown(struct tp_ctx *c)
{
	ringmpsc_local_destroy(c->priv);
}

/* The producer thread only takes part in the start: the consumer's thread
 * does the sending.
 */
static void onethread_producer(struct tp_ctx *c, uint32_t id)
{
	(void)id;
	wait_go(c);
}

static void onethread_generic_one(void *ctx, uint32_t ring, const void *msg)
{
	check_run8(ctx, ring, msg, 1);
}

static void onethread_typed_one(void *ctx, uint32_t ring, const uint64_t *msg)
{
	check_run8(ctx, ring, msg, 1);
}

/* Bursts of sends and consumes until c->per_prod messages are verified;
 * inlined with a constant @typed, so each row's loop is its own.
 */
static inline __attribute__((always_inline)) int
onethread_run(struct tp_ctx *c, struct ringmpsc_producer *p,
	      struct ringmpsc_consumer *cons, bool typed)
{
	uint32_t budget = c->p.drain ? c->p.drain : 1;
	uint64_t seq = 0;

	while (seq < c->per_prod) {
		uint64_t left = c->per_prod - seq;
		uint32_t burst = left < ONETHREAD_BURST ? (uint32_t)left
							: ONETHREAD_BURST;

		for (uint32_t i = 0; i < burst; i++) {
			uint64_t m = msg_value(p->ring, seq + i);
			int err = typed ? one8_try_send(p, &m)
					: ringmpsc_try_send(p, &m, sizeof(m));

			if (RINGMPSC_UNLIKELY(err))
				return err;
		}
		for (uint32_t got = 0; got < burst;) {
			long r = typed ? one8_consume(cons, onethread_typed_one,
						      &c->v, budget)
				       : ringmpsc_consume(cons, onethread_generic_one,
							  &c->v, budget);

			if (RINGMPSC_UNLIKELY(r <= 0))
				return r < 0 ? (int)r : -EIO;
			got += (uint32_t)r;
		}
		seq += burst;
	}
	return 0;
}

static void onethread_consumer(struct tp_ctx *c)
{
	struct ringmpsc_producer p;
	struct ringmpsc_consumer cons;
	int err = ringmpsc_local_producer(c->priv, 0, &p);

	if (err)
		die("ringmpsc_local_producer: %d", err);
	err = ringmpsc_local_consumer(c->priv, &cons);
	if (err)
		die("ringmpsc_local_consumer: %d", err);
	start_clock(c);
	err = c->p.typed ? onethread_run(c, &p, &cons, true)
			 : onethread_run(c, &p, &cons, false);
	c->t_end = now_ns();
	if (err)
		c->error = err;
	ringmpsc_consumer_close(&cons);
	ringmpsc_producer_close(&p);
}

const struct contender ct_onethread = {
	.name = "ringmpsc-1thread",
	.supports = onethread_supports,
	.setup = onethread_setup,
	.producer = onethread_producer,
	.consumer = onethread_consumer,
	.teardown = onethread_teardown,
};
