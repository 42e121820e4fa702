// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: eventfd registration and signalling. The ring fast path never
 * comes here; user space asks for a wakeup only when it saw the peer's
 * NEED_WAKEUP flag set (spec.md, section 3).
 */
#include <linux/err.h>
#include <linux/eventfd.h>

#include "compat.h"
#include "rmpsc.h"

/* Swap in @ctx for *@slot under efd_lock; the old context is returned. */
static struct eventfd_ctx *rmpsc_swap_efd(struct rmpsc_chan *ch,
					  struct eventfd_ctx **slot,
					  struct eventfd_ctx *ctx)
{
	struct eventfd_ctx *old;

	spin_lock(&ch->efd_lock);
	old = *slot;
	*slot = ctx;
	spin_unlock(&ch->efd_lock);
	return old;
}

long rmpsc_ioc_set_eventfd(struct rmpsc_file *f,
			   const struct ringmpsc_eventfd *a)
{
	struct rmpsc_chan *ch = rmpsc_file_chan(f);
	struct eventfd_ctx *ctx = NULL, *old;

	if (!ch)
		return -ENOTCONN;
	if (a->flags || a->fd < -1)
		return -EINVAL;
	if (a->fd >= 0) {
		ctx = eventfd_ctx_fdget(a->fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	/* Under the channel lock so that a concurrent release, which drops
	 * the registration, cannot be overtaken by this one.
	 */
	mutex_lock(&ch->lock);
	if (f->role == RINGMPSC_ROLE_CONSUMER)
		old = rmpsc_swap_efd(ch, &ch->cons_efd, ctx);
	else
		old = rmpsc_swap_efd(ch, &ch->rings[f->ring].efd, ctx);
	mutex_unlock(&ch->lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

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

void rmpsc_signal_consumer(struct rmpsc_chan *ch)
{
	if (rmpsc_signal(ch, &ch->cons_efd))
		atomic64_inc(&ch->stats.consumer_wakeups);
}

void rmpsc_signal_producer(struct rmpsc_chan *ch, u32 ring)
{
	if (rmpsc_signal(ch, &ch->rings[ring].efd))
		atomic64_inc(&ch->stats.producer_wakeups);
}

void rmpsc_signal_all_producers(struct rmpsc_chan *ch)
{
	u32 i;

	for (i = 0; i < ch->nr_rings; i++)
		rmpsc_signal_producer(ch, i);
}

void rmpsc_drop_producer_efd(struct rmpsc_chan *ch, u32 ring)
{
	struct eventfd_ctx *old;

	old = rmpsc_swap_efd(ch, &ch->rings[ring].efd, NULL);
	if (old)
		eventfd_ctx_put(old);
}

void rmpsc_drop_consumer_efd(struct rmpsc_chan *ch)
{
	struct eventfd_ctx *old;

	old = rmpsc_swap_efd(ch, &ch->cons_efd, NULL);
	if (old)
		eventfd_ctx_put(old);
}

long rmpsc_ioc_wake(struct rmpsc_file *f, const struct ringmpsc_wake *a)
{
	struct rmpsc_chan *ch = rmpsc_file_chan(f);

	if (!ch)
		return -ENOTCONN;
	if (a->flags)
		return -EINVAL;
	if (f->role == RINGMPSC_ROLE_PRODUCER) {
		if (a->ring)
			return -EINVAL;
		rmpsc_signal_consumer(ch);
		return 0;
	}
	if (a->ring >= ch->nr_rings)
		return -EINVAL;
	rmpsc_signal_producer(ch, a->ring);
	return 0;
}
