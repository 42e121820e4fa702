// SPDX-License-Identifier: MIT
/*
 * Concurrency Kit ck_ring contender: ck_ring_enqueue_spsc / _mpsc and
 * ck_ring_dequeue_spsc (ck_ring_dequeue_mpsc for the MPSC ring, which is
 * the consumer half that matches multi-producer enqueue). The 8-byte
 * message is the pointer-sized entry itself. Single-message calls only:
 * ck_ring has no burst enqueue for pointer rings.
 */
#include <ck_ring.h>
#include <errno.h>
#include <stdlib.h>

#include "bench.h"

struct ck_state {
	struct ck_ring ring ALIGNED_LINE;
	struct ck_ring_buffer *buf;
	size_t bytes;
};

static bool ck_supports(const struct tp_params *p)
{
	return p->batch == 1 && p->msg_size == 8 && !p->idle_rings && !p->fork;
}

static int ck_setup(struct tp_ctx *c)
{
	unsigned cap = c->p.capacity ? c->p.capacity : 4096;
	struct ck_state *s = shared_alloc(sizeof(*s));

	s->bytes = sizeof(*s->buf) * cap;
	s->buf = shared_alloc(s->bytes);
	ck_ring_init(&s->ring, cap);
	c->priv = s;
	return 0;
}

static void ck_teardown(struct tp_ctx *c)
{
	struct ck_state *s = c->priv;

	shared_free(s->buf, s->bytes);
	shared_free(s, sizeof(*s));
}

static void ck_prod_spsc(struct tp_ctx *c, uint32_t id)
{
	struct ck_state *s = c->priv;
	uint64_t seq = 0, n = c->per_prod;

	wait_go(c);
	while (seq < n) {
		if (ck_ring_enqueue_spsc(&s->ring, s->buf,
					 (void *)(uintptr_t)msg_value(id, seq)))
			seq++;
		else if (run_failed(c))
			return;
		else
			cpu_relax();
	}
}

static void ck_prod_mpsc(struct tp_ctx *c, uint32_t id)
{
	struct ck_state *s = c->priv;
	uint64_t seq = 0, n = c->per_prod;

	wait_go(c);
	while (seq < n) {
		if (ck_ring_enqueue_mpsc(&s->ring, s->buf,
					 (void *)(uintptr_t)msg_value(id, seq)))
			seq++;
		else if (run_failed(c))
			return;
		else
			cpu_relax();
	}
}

static void ck_cons(struct tp_ctx *c, bool mp)
{
	struct ck_state *s = c->priv;
	uint64_t total = total_msgs(c);

	start_clock(c);
	while (c->v.count < total) {
		void *m;
		bool ok = mp ? ck_ring_dequeue_mpsc(&s->ring, s->buf, &m)
			     : ck_ring_dequeue_spsc(&s->ring, s->buf, &m);

		if (ok)
			check_one(&c->v, (uint64_t)(uintptr_t)m);
		else if (run_failed(c))
			break;
		else
			idle_poll(c);
	}
	c->t_end = now_ns();
}

static void ck_cons_spsc(struct tp_ctx *c)
{
	ck_cons(c, false);
}

static void ck_cons_mpsc(struct tp_ctx *c)
{
	ck_cons(c, true);
}

const struct contender ct_ck_spsc = {
	.name = "ck_ring-SPSC",
	.supports = ck_supports,
	.setup = ck_setup,
	.producer = ck_prod_spsc,
	.consumer = ck_cons_spsc,
	.teardown = ck_teardown,
};

const struct contender ct_ck_mpsc = {
	.name = "ck_ring-MPSC",
	.supports = ck_supports,
	.setup = ck_setup,
	.producer = ck_prod_mpsc,
	.consumer = ck_cons_mpsc,
	.teardown = ck_teardown,
};
