// SPDX-License-Identifier: MIT
/*
 * DPDK rte_ring contender. rte_ring_create() needs the EAL's memzones, but
 * rte_ring_get_memsize_elem() + rte_ring_init() work on any memory without
 * rte_eal_init(), so the ring lives in our shared mapping. The 8-byte
 * message is the ring element itself (the object pointer slot). For larger
 * messages the _elem API copies esize bytes per element.
 *
 * batch == 1: rte_ring_{sp,mp}_enqueue_elem / rte_ring_sc_dequeue_elem.
 * batch  > 1: ..._enqueue_burst_elem / rte_ring_sc_dequeue_burst_elem into
 *             a local array, then the same check loop as everyone else.
 *
 * MP/SC comes in two of DPDK's producer modes: the default, whose
 * producers commit in reservation order (one preempted between its
 * reservation and its commit holds every later producer spinning), and
 * RTS, "relaxed tail sync", the mode DPDK documents for producers that
 * can be preempted (more threads than cores): the last producer out
 * moves the tail for all, and the others stop only when reservations run
 * more than capacity / 8 ahead of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench.h"

#define MAX_BURST 512

struct rte_state {
	struct rte_ring *r;
	size_t bytes;
};

static int rte_setup_common(struct tp_ctx *c, unsigned flags)
{
	struct rte_state *s = calloc(1, sizeof(*s));
	unsigned cap = c->p.capacity ? c->p.capacity : 4096;
	ssize_t sz;

	if (!s)
		return -ENOMEM;
	/* Same slot count as the other rings (usable: cap - 1). */
	sz = rte_ring_get_memsize_elem(c->p.msg_size, cap);
	if (sz < 0) {
		free(s);
		return (int)sz;
	}
	s->bytes = (size_t)sz;
	s->r = shared_alloc(s->bytes);
	if (rte_ring_init(s->r, "bench", cap, flags)) {
		shared_free(s->r, s->bytes);
		free(s);
		return -EINVAL;
	}
	c->priv = s;
	return 0;
}

static int rte_setup_spsc(struct tp_ctx *c)
{
	return rte_setup_common(c, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int rte_setup_mpsc(struct tp_ctx *c)
{
	return rte_setup_common(c, RING_F_SC_DEQ);
}

static int rte_setup_mpsc_rts(struct tp_ctx *c)
{
	return rte_setup_common(c, RING_F_MP_RTS_ENQ | RING_F_SC_DEQ);
}

static void rte_teardown(struct tp_ctx *c)
{
	struct rte_state *s = c->priv;

	shared_free(s->r, s->bytes);
	free(s);
}

/* The ring lives in a MAP_SHARED mapping and holds no pointers: forked
 * producers share it as threads do.
 */
static bool rte_supports(const struct tp_params *p)
{
	return p->batch <= MAX_BURST && p->msg_size <= 4096 && !p->idle_rings &&
	       !p->stamped;
}

/* mp: a multi-producer ring, in the mode it was initialised with (the
 * generic calls dispatch on it); otherwise the single-producer calls.
 */
static void rte_producer(struct tp_ctx *c, uint32_t id, bool mp)
{
	struct rte_state *s = c->priv;
	struct rte_ring *r = s->r;
	uint32_t batch = c->p.batch, words = c->p.msg_size / 8;
	unsigned esz = c->p.msg_size;
	uint64_t seq = 0, n = c->per_prod;
	uint64_t *buf = aligned_alloc(64, (size_t)MAX_BURST * esz + 64);

	if (!buf)
		die("alloc");
	wait_go(c);
	if (batch == 1 && words == 1) {
		while (seq < n) {
			uint64_t m = msg_value(id, seq);
			int e = mp ? rte_ring_enqueue_elem(r, &m, 8)
				   : rte_ring_sp_enqueue_elem(r, &m, 8);

			if (e == 0)
				seq++;
			else if (run_failed(c))
				break;
			else
				cpu_relax();
		}
		free(buf);
		return;
	}
	while (seq < n) {
		uint32_t want = n - seq < batch ? (uint32_t)(n - seq) : batch;
		unsigned k;

		fill_msgs(buf, id, seq, want, words, esz);
		do {
			k = mp ? rte_ring_enqueue_burst_elem(r, buf, esz, want, NULL)
			       : rte_ring_sp_enqueue_burst_elem(r, buf, esz, want, NULL);
			if (!k && run_failed(c))
				goto out;
			if (!k)
				cpu_relax();
		} while (!k);
		/* Unsent tail of the burst is regenerated next round. */
		seq += k;
	}
out:
	free(buf);
}

static void rte_producer_sp(struct tp_ctx *c, uint32_t id)
{
	rte_producer(c, id, false);
}

static void rte_producer_mp(struct tp_ctx *c, uint32_t id)
{
	rte_producer(c, id, true);
}

static void rte_consumer(struct tp_ctx *c)
{
	struct rte_state *s = c->priv;
	struct rte_ring *r = s->r;
	uint64_t total = total_msgs(c);
	uint32_t batch = c->p.batch, words = c->p.msg_size / 8;
	unsigned esz = c->p.msg_size;
	uint64_t *buf = aligned_alloc(64, (size_t)MAX_BURST * esz + 64);
	bool multi = c->p.nprod > 1;

	if (!buf)
		die("alloc");
	start_clock(c);
	if (batch == 1 && words == 1) {
		while (c->v.count < total) {
			uint64_t m;

			if (rte_ring_sc_dequeue_elem(r, &m, 8) == 0)
				check_one(&c->v, m);
			else if (run_failed(c))
				break;
			else
				idle_poll(c);
		}
	} else {
		while (c->v.count < total) {
			unsigned k = rte_ring_sc_dequeue_burst_elem(r, buf, esz,
								    batch, NULL);

			if (!k) {
				if (run_failed(c))
					break;
				idle_poll(c);
				continue;
			}
			if (multi) {
				for (unsigned i = 0; i < k; i++)
					check_one(&c->v, buf[(size_t)i * words]);
			} else if (words == 1) {
				check_run8(&c->v, 0, buf, k);
			} else {
				check_runw(&c->v, 0, buf, k, words, esz);
			}
		}
	}
	c->t_end = now_ns();
	free(buf);
}

const struct contender ct_rte_spsc = {
	.name = "rte_ring-SP/SC",
	.supports = rte_supports,
	.setup = rte_setup_spsc,
	.producer = rte_producer_sp,
	.consumer = rte_consumer,
	.teardown = rte_teardown,
};

const struct contender ct_rte_mpsc = {
	.name = "rte_ring-MP/SC",
	.supports = rte_supports,
	.setup = rte_setup_mpsc,
	.producer = rte_producer_mp,
	.consumer = rte_consumer,
	.teardown = rte_teardown,
};

const struct contender ct_rte_mpsc_rts = {
	.name = "rte_ring-MP-RTS/SC",
	.supports = rte_supports,
	.setup = rte_setup_mpsc_rts,
	.producer = rte_producer_mp,
	.consumer = rte_consumer,
	.teardown = rte_teardown,
};
