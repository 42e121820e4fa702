// SPDX-License-Identifier: MIT
/*
 * Binding producer and consumer views to ring memory of the ABI layout, and
 * the backend of bare ring memory: a handle bound here and nowhere else has
 * no peer to wake and nothing to give back. The module channel and local
 * ring backends bind their handles here first, then take them over.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool ring_mem_valid(const struct ringmpsc_ring_mem *mem)
{
	return mem->prod && mem->cons && mem->data &&
	       ringmpsc_ring_geometry_valid(mem->slot_size, mem->capacity) &&
	       mem->tail_off % 8 == 0 && mem->head_off % 8 == 0 &&
	       mem->prod_flags_off % 4 == 0 && mem->cons_flags_off % 4 == 0;
}

static int nobody_to_wake(struct ringmpsc_producer *p)
{
	(void)p;
	return 0;
}

static int no_producer_to_wake(struct ringmpsc_consumer *c, uint32_t ring)
{
	(void)c;
	(void)ring;
	return 0;
}

static const struct ringmpsc_producer_ops mem_producer_ops = {
	.wake_peer = nobody_to_wake,
};

static const struct ringmpsc_consumer_ops mem_consumer_ops = {
	.wake_peer = no_producer_to_wake,
};

static void *at(void *page, uint32_t off)
{
	return (unsigned char *)page + off;
}

int ringmpsc_producer_init(struct ringmpsc_producer *p,
			   const struct ringmpsc_ring_mem *mem)
{
	uint64_t tail, head;

	if (!p || !mem || !ring_mem_valid(mem))
		return -EINVAL;
	ringmpsc__producer_reset(p);
	p->ops = &mem_producer_ops;
	p->tail_p = at(mem->prod, mem->tail_off);
	p->flags_p = at(mem->prod, mem->prod_flags_off);
	p->head_p = at(mem->cons, mem->head_off);
	p->peer_flags_p = at(mem->cons, mem->cons_flags_off);
	p->data = mem->data;
	p->slot_size = mem->slot_size;
	p->capacity = mem->capacity;
	p->mask = mem->capacity - 1;
	p->mirrored = mem->mirrored;
	p->asym_barrier = ringmpsc__asym_barrier_register();
	/* A new producer starts where the ring is. Its own tail (INV-RING-04:
	 * nobody else writes it) and head, acquired as (A) so that the slots
	 * the consumer released are no longer read. Pairs with the consumer's
	 * store-release of head (D). INV-RING-05.
	 */
	tail = RINGMPSC_READ_ONCE(*p->tail_p);
	head = ringmpsc_smp_load_acquire(p->head_p);
	if (tail - head > p->capacity)
		return -EPROTO;		/* INV-RING-10 */
	p->tail = tail;
	p->cached_head = head;
	return 0;
}

int ringmpsc_cring_init(struct ringmpsc_cring *r,
			const struct ringmpsc_ring_mem *mem)
{
	if (!r || !mem || !ring_mem_valid(mem))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->tail_p = at(mem->prod, mem->tail_off);
	r->peer_flags_p = at(mem->prod, mem->prod_flags_off);
	r->head_p = at(mem->cons, mem->head_off);
	r->flags_p = at(mem->cons, mem->cons_flags_off);
	r->data = mem->data;
	r->asym_barrier = ringmpsc__asym_barrier_register();
	/* The only time the consumer reads head back: to continue where an
	 * earlier consumer stopped (INV-LIFE-05). Only consumers write the
	 * CONS page (INV-RING-04), so head is ours to trust. tail is not: the
	 * first consume checks it against head (INV-RING-10).
	 */
	r->head = RINGMPSC_READ_ONCE(*r->head_p);
	r->cached_tail = r->head;
	r->live = true;
	return 0;
}

int ringmpsc__consumer_alloc(struct ringmpsc_consumer *c, uint32_t nr_rings)
{
	size_t rings = (size_t)nr_rings * sizeof(*c->rings);

	ringmpsc__consumer_reset(c);
	/* One block: the hot list after the ring views (4-byte aligned). */
	c->rings = calloc(1, rings + (size_t)nr_rings * sizeof(*c->hot));
	if (!c->rings)
		return -ENOMEM;
	c->hot = (uint32_t *)(void *)((unsigned char *)c->rings + rings);
	c->nr_rings = nr_rings;
	c->ops = &mem_consumer_ops;
	return 0;
}
