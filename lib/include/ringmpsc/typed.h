/* SPDX-License-Identifier: MIT */
/*
 * <ringmpsc/typed.h>: a producer and a consumer specialised at compile
 * time for one message type and one ring capacity, over the same shared
 * layout and the same handles as the generic calls of <ringmpsc.h>.
 *
 *   struct tick { uint64_t seq; double price; };
 *   RINGMPSC_TYPED_RING(tick, struct tick, 4096)
 *
 * defines, for channels (or local rings) created with slot size
 * tick_SLOT_SIZE and capacity tick_CAPACITY:
 *
 *   int  tick_try_send(struct ringmpsc_producer *p, const struct tick *m);
 *   long tick_consume(struct ringmpsc_consumer *c, tick_msg_fn fn,
 *                     void *ctx, uint32_t budget);
 *   typedef void (*tick_msg_fn)(void *ctx, uint32_t ring,
 *                               const struct tick *m);
 *
 * With the slot stride and the mask known to the compiler, a send is a
 * struct copy to a constant offset and the one store-release of tail: no
 * reservation bookkeeping, no run cut at the wrap (one slot never crosses
 * it), no prefetch sizing; about half the instructions of
 * ringmpsc_try_send() and, on one core, 0.6x its time (make bench-icount).
 * Nothing else changes: the head refresh and its checks, the publication
 * and its wakeup check (the same steps as ringmpsc_commit()'s) and the
 * consumer's loop are the generic ones, so every INV- of the generic path
 * holds as it is. The consume saves nothing: its cost is the scan of the
 * rings and the head publication per call, not the geometry, so a consumer
 * of single messages gains most from a larger budget.
 *
 * Every call checks that the handle's geometry is the one compiled in
 * (two compares of hot words) and returns -EINVAL if not: a handle of
 * another channel can never make a typed call write outside its ring.
 * Returns as the generic calls: -EAGAIN full, -EBUSY a reservation of
 * ringmpsc_reserve() is open, -EPROTO a corrupt ring (consume).
 */
#ifndef RINGMPSC_TYPED_H
#define RINGMPSC_TYPED_H

#include "../ringmpsc.h"

/* The slot size a channel needs to carry @type: its size, rounded up to
 * RINGMPSC_SLOT_ALIGN.
 */
#define RINGMPSC_TYPED_SLOT_SIZE(type) \
	((sizeof(type) + RINGMPSC_SLOT_ALIGN - 1) & \
	 ~(size_t)(RINGMPSC_SLOT_ALIGN - 1))

#define RINGMPSC_TYPED_RING(prefix, type, capacity)			\
/* ringmpsc_ring_geometry_valid(), as a constant expression. */	\
RINGMPSC_STATIC_ASSERT(sizeof(type) <= RINGMPSC_SLOT_MAX,		\
			#prefix ": message larger than a slot can be");	\
RINGMPSC_STATIC_ASSERT((capacity) >= RINGMPSC_CAPACITY_MIN &&	\
			(capacity) <= RINGMPSC_CAPACITY_MAX &&		\
			((capacity) & ((capacity) - 1)) == 0,		\
			#prefix ": capacity not a power of two in range"); \
									\
enum {									\
	prefix##_SLOT_SIZE = (int)RINGMPSC_TYPED_SLOT_SIZE(type),	\
	prefix##_CAPACITY = (int)(capacity),				\
};									\
									\
typedef void (*prefix##_msg_fn)(void *ctx, uint32_t ring,		\
				const type *msg);			\
									\
static inline bool prefix##__geometry(uint32_t mask, uint32_t slot_size) \
{									\
	return mask == (uint32_t)(capacity) - 1 &&			\
	       slot_size == (uint32_t)prefix##_SLOT_SIZE;		\
}									\
									\
static inline RINGMPSC_MUST_USE int					\
prefix##_try_send(struct ringmpsc_producer *p, const type *msg)	\
{									\
	uint64_t tail = p->tail;					\
									\
	if (RINGMPSC_UNLIKELY(!prefix##__geometry(p->mask, p->slot_size))) \
		return -EINVAL;						\
	if (RINGMPSC_UNLIKELY(p->pending))				\
		return -EBUSY;						\
	/* Full by the cached head: refresh it, with the generic	\
	 * checks of a corrupt head (INV-RING-10, INV-RING-11).	\
	 */								\
	if (RINGMPSC_UNLIKELY(tail - p->cached_head >= (capacity)) &&	\
	    ringmpsc__free(p, 1) == 0) {				\
		p->stats.full++;					\
		return -EAGAIN;						\
	}								\
	/* The slot lies in [tail, head + capacity). INV-RING-06	\
	 * (tail is a local: the compiler would otherwise load it	\
	 * again after the copy, which it must assume may write *p.)	\
	 */								\
	memcpy(p->data + (size_t)(tail & ((capacity) - 1)) *		\
	       prefix##_SLOT_SIZE, msg, sizeof(type));			\
	p->tail = tail + 1;						\
	/* (B) and the wakeup check, as every commit. INV-RING-09 */	\
	ringmpsc__publish_tail(p, 1);					\
	return 0;							\
}									\
									\
struct prefix##__adapter {						\
	prefix##_msg_fn fn;						\
	void *ctx;							\
};									\
									\
static inline void prefix##__per_msg(void *ctx, uint32_t ring,		\
				     const void *msgs, uint32_t n)	\
{									\
	const struct prefix##__adapter *a =				\
		(const struct prefix##__adapter *)ctx;			\
	const unsigned char *m = (const unsigned char *)msgs;		\
									\
	for (uint32_t i = 0; i < n; i++)				\
		a->fn(a->ctx, ring,					\
		      (const type *)(const void *)			\
		      (m + (size_t)i * prefix##_SLOT_SIZE));		\
}									\
									\
static inline long prefix##_consume(struct ringmpsc_consumer *c,	\
				    prefix##_msg_fn fn, void *ctx,	\
				    uint32_t budget)			\
{									\
	struct prefix##__adapter a = { fn, ctx };			\
									\
	if (RINGMPSC_UNLIKELY(!prefix##__geometry(c->mask, c->slot_size))) \
		return -EINVAL;						\
	return ringmpsc_consume_batch(c, prefix##__per_msg, &a, budget); \
}

#endif /* RINGMPSC_TYPED_H */
