// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: wakeups: the eventfd each attachment may register, and its
 * signalling, on request (WAKE: user space saw the peer's NEED_WAKEUP
 * flag, spec.md section 3) and when a side attaches or leaves
 * (INV-WAKE-05). The ring fast path never comes here.
 */
#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/nospec.h>

#include "compat.h"
#include "rmpsc.h"
#include "trace.h"

/* Put @ctx (NULL: none) in *@slot and drop the eventfd it replaces.
 * Under ch->lock, so that a departing side's drop and its successor's
 * registration cannot pass each other.
 */
static void rmpsc_efd_replace(struct rmpsc_chan *ch, struct eventfd_ctx **slot,
			      struct eventfd_ctx *ctx)
{
	struct eventfd_ctx *old;

	lockdep_assert_held(&ch->lock);
	spin_lock(&ch->efd_lock);
	old = *slot;
	*slot = ctx;
	spin_unlock(&ch->efd_lock);
	if (old)
		eventfd_ctx_put(old);
}

long rmpsc_ioc_set_eventfd(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	const struct ringmpsc_eventfd *a = &arg->efd;
	struct rmpsc_chan *ch = rmpsc_file_chan(f);
	struct eventfd_ctx *ctx = NULL;

	if (!ch)
		return -ENOTCONN;
	if (a->flags || a->fd < -1)
		return -EINVAL;
	if (a->fd >= 0) {
		ctx = eventfd_ctx_fdget(a->fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	mutex_lock(&ch->lock);
	rmpsc_efd_replace(ch, f->role == RINGMPSC_ROLE_CONSUMER ?
			  &ch->cons_efd : &ch->rings[f->ring]->efd, ctx);
	mutex_unlock(&ch->lock);
	return 0;
}

/* Signal the eventfd in *@slot, if there is one. */
static bool rmpsc_signal(struct rmpsc_chan *ch, struct eventfd_ctx **slot)
{
	bool done = false;

	spin_lock(&ch->efd_lock);
	if (*slot) {
		rmpsc_eventfd_signal(*slot);
		done = true;
	}
	spin_unlock(&ch->efd_lock);
	return done;
}

void rmpsc_wake_consumer(struct rmpsc_chan *ch)
{
	if (rmpsc_signal(ch, &ch->cons_efd))
		atomic64_inc(&ch->stats.consumer_wakeups);
}

static void rmpsc_wake_producer(struct rmpsc_chan *ch, u32 ring)
{
	struct rmpsc_ring *r = rmpsc_ring_get(ch, ring);

	/* An UNUSED ring has never had a producer. */
	if (r && rmpsc_signal(ch, &r->efd))
		atomic64_inc(&ch->stats.producer_wakeups);
}

/* The producer of ring @ring has left: its eventfd goes, the consumer
 * learns of it. INV-WAKE-05
 */
void rmpsc_wake_producer_left(struct rmpsc_chan *ch, u32 ring)
{
	rmpsc_efd_replace(ch, &ch->rings[ring]->efd, NULL);
	rmpsc_wake_consumer(ch);
}

static void rmpsc_wake_producers(struct rmpsc_chan *ch)
{
	u32 i;

	for (i = 0; i < ch->nr_rings; i++)
		rmpsc_wake_producer(ch, i);
}

/* The consumer has left: its eventfd goes, every producer learns of it.
 * INV-WAKE-05
 */
void rmpsc_wake_consumer_left(struct rmpsc_chan *ch)
{
	rmpsc_efd_replace(ch, &ch->cons_efd, NULL);
	rmpsc_wake_producers(ch);
}

/* A consumer has arrived: every producer learns of it, so that one
 * waiting for a consumer needs no polling (RINGMPSC_FEAT_ATTACH_WAKES_PRODUCERS).
 * INV-STREAM-04
 */
void rmpsc_wake_consumer_arrived(struct rmpsc_chan *ch)
{
	rmpsc_wake_producers(ch);
}

long rmpsc_ioc_wake(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	const struct ringmpsc_wake *a = &arg->wake;
	struct rmpsc_chan *ch = rmpsc_file_chan(f);

	if (!ch)
		return -ENOTCONN;
	if (a->flags)
		return -EINVAL;
	if (f->role == RINGMPSC_ROLE_PRODUCER) {
		if (a->ring)
			return -EINVAL;
		trace_ringmpsc_wake(ch, f->role, 0);
		rmpsc_wake_consumer(ch);
		return 0;
	}
	if (a->ring >= ch->nr_rings)
		return -EINVAL;
	trace_ringmpsc_wake(ch, f->role, a->ring);
	/* The index is the user's: no speculative read past the table. */
	rmpsc_wake_producer(ch, array_index_nospec(a->ring, ch->nr_rings));
	return 0;
}
