// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: the lifecycle of rings and of the consumer: attach, detach,
 * recycle, and the ring state machine (spec.md section 7, "Lifecycle
 * state machine").
 */
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "invariants.h"
#include "rmpsc.h"

/* Allocate the pages of ring @i, charged to the channel's owner. */
static int rmpsc_chan_ring_alloc(struct rmpsc_chan *ch, u32 i)
{
	int ret;

	lockdep_assert_held(&ch->lock);
	ret = rmpsc_charge(ch, ch->ring_bytes);
	if (ret)
		return ret;
	ret = rmpsc_ring_alloc(ch, &ch->rings[i]);
	if (ret)
		rmpsc_uncharge(ch, ch->ring_bytes);
	return ret;
}

/* Publish a ring state change: the state words are written before the
 * epoch, which user space loads with acquire before it reads the states.
 * Pairs with ringmpsc__refresh_if_changed() and ringmpsc_consumer_refresh().
 * INV-LIFE-01.
 */
static void rmpsc_bump_ring_epoch(struct rmpsc_chan *ch)
{
	struct ringmpsc_ctrl_header *h = rmpsc_ctrl_header(ch);

	/* Release: pairs with user space's load-acquire of ring_epoch. */
	smp_store_release(&h->ring_epoch, READ_ONCE(h->ring_epoch) + 1);
}

static void rmpsc_set_ring_state(struct rmpsc_chan *ch, u32 i, u32 state,
				 u32 owner)
{
	struct ringmpsc_ctrl_ring *cr = rmpsc_ctrl_ring(ch, i);
	struct rmpsc_ring *r = &ch->rings[i];

	lockdep_assert_held(&ch->lock);
	RMPSC_INV((r->state == RINGMPSC_RING_UNUSED &&
		   state == RINGMPSC_RING_FREE) ||
		  (r->state == RINGMPSC_RING_FREE &&
		   state == RINGMPSC_RING_ACTIVE) ||
		  (r->state == RINGMPSC_RING_ACTIVE &&
		   state == RINGMPSC_RING_DETACHED) ||
		  (r->state == RINGMPSC_RING_DETACHED &&
		   state == RINGMPSC_RING_FREE), "INV-LIFE-01");
	r->state = state;
	WRITE_ONCE(cr->owner_pid, owner);
	WRITE_ONCE(cr->generation, r->generation);
	WRITE_ONCE(cr->state, state);
	rmpsc_bump_ring_epoch(ch);
}

/* CREATE with RINGMPSC_CREATE_PREALLOC: every ring UNUSED -> FREE. */
int rmpsc_prealloc_rings(struct rmpsc_chan *ch)
{
	u32 i;
	int ret = 0;

	mutex_lock(&ch->lock);
	for (i = 0; i < ch->nr_rings && !ret; i++) {
		ret = rmpsc_chan_ring_alloc(ch, i);
		if (!ret)
			rmpsc_set_ring_state(ch, i, RINGMPSC_RING_FREE, 0);
	}
	mutex_unlock(&ch->lock);
	return ret;
}

/* Give back a drained DETACHED ring: zeroed, new generation, FREE.
 * Reads head and tail only as numbers (INV-LIFE-08). @discard: the
 * consumer drops what is left (RINGMPSC_RECYCLE_DISCARD).
 */
static int rmpsc_recycle_locked(struct rmpsc_chan *ch, u32 i, bool discard)
{
	struct rmpsc_ring *r = &ch->rings[i];

	lockdep_assert_held(&ch->lock);
	if (r->state != RINGMPSC_RING_DETACHED)
		return -EINVAL;
	/* Nothing committed is discarded unless the consumer says so.
	 * INV-LIFE-02
	 */
	if (!discard && rmpsc_ring_load_head(r) != rmpsc_ring_load_tail(r))
		return -ENOTEMPTY;
	rmpsc_ring_zero(ch, r);
	r->generation++;
	rmpsc_set_ring_state(ch, i, RINGMPSC_RING_FREE, 0);
	ch->stats.recycles++;
	return 0;
}

/* Choose a ring for a new producer: a FREE one, else (no consumer) a
 * drained DETACHED one recycled now, else an UNUSED one allocated now.
 */
static int rmpsc_pick_ring(struct rmpsc_chan *ch, u32 *out)
{
	u32 i;
	int ret;

	lockdep_assert_held(&ch->lock);
	for (i = 0; i < ch->nr_rings; i++) {
		if (ch->rings[i].state == RINGMPSC_RING_FREE)
			goto found;
	}
	if (!ch->consumer) {
		for (i = 0; i < ch->nr_rings; i++) {
			if (ch->rings[i].state == RINGMPSC_RING_DETACHED &&
			    !rmpsc_recycle_locked(ch, i, false))
				goto found;
		}
	}
	for (i = 0; i < ch->nr_rings; i++) {
		if (ch->rings[i].state == RINGMPSC_RING_UNUSED) {
			ret = rmpsc_chan_ring_alloc(ch, i);
			if (ret)
				return ret;
			rmpsc_set_ring_state(ch, i, RINGMPSC_RING_FREE, 0);
			goto found;
		}
	}
	/* Every ring has a producer or undrained messages. */
	return -EMFILE;
found:
	*out = i;
	return 0;
}

static int rmpsc_attach_producer(struct rmpsc_chan *ch, struct rmpsc_file *f,
				 struct ringmpsc_attach *a)
{
	u32 i;
	int ret;

	mutex_lock(&ch->lock);
	ret = rmpsc_pick_ring(ch, &i);
	if (ret)
		goto out;
	ch->rings[i].producer = f;
	f->ring = i;
	rmpsc_set_ring_state(ch, i, RINGMPSC_RING_ACTIVE,
			     task_tgid_vnr(current));
	ch->stats.producer_attaches++;
	/* A sleeping consumer has no flag in a ring it has not mapped yet.
	 * INV-WAKE-05
	 */
	rmpsc_signal_consumer(ch);
	a->ring = i;
	a->generation = ch->rings[i].generation;
out:
	mutex_unlock(&ch->lock);
	return ret;
}

static int rmpsc_attach_consumer(struct rmpsc_chan *ch, struct rmpsc_file *f,
				 struct ringmpsc_attach *a)
{
	struct ringmpsc_ctrl_header *h = rmpsc_ctrl_header(ch);

	mutex_lock(&ch->lock);
	/* One consumer at a time. INV-LIFE-06 */
	if (ch->consumer) {
		mutex_unlock(&ch->lock);
		return -EBUSY;
	}
	ch->consumer = f;
	WRITE_ONCE(h->consumer_epoch, READ_ONCE(h->consumer_epoch) + 1);
	/* Release: pairs with ringmpsc_consumer_present()'s acquire. */
	smp_store_release(&h->consumer_state, RINGMPSC_CONSUMER_PRESENT);
	ch->stats.consumer_attaches++;
	mutex_unlock(&ch->lock);
	a->ring = ~0U;
	a->generation = 0;
	return 0;
}

long rmpsc_ioc_attach(struct rmpsc_file *f, struct ringmpsc_attach *a)
{
	char name[RINGMPSC_NAME_MAX + 1];
	struct rmpsc_chan *ch;
	int ret;

	if (a->flags || a->reserved)
		return -EINVAL;
	if (a->role != RINGMPSC_ROLE_PRODUCER &&
	    a->role != RINGMPSC_ROLE_CONSUMER)
		return -EINVAL;
	ret = rmpsc_get_name(name, a->name);
	if (ret)
		return ret;

	mutex_lock(&f->lock);
	if (f->chan) {
		ret = -EISCONN;
		goto out_file;
	}
	ch = rmpsc_registry_find(name, a->role == RINGMPSC_ROLE_PRODUCER ?
				       MAY_WRITE : MAY_READ);
	if (IS_ERR(ch)) {
		ret = PTR_ERR(ch);
		goto out_file;
	}

	if (a->role == RINGMPSC_ROLE_PRODUCER)
		ret = rmpsc_attach_producer(ch, f, a);
	else
		ret = rmpsc_attach_consumer(ch, f, a);
	if (ret) {
		rmpsc_chan_put(ch);
		goto out_file;
	}
	f->role = a->role;
	mmgrab(current->mm);
	f->mm = current->mm;
	/* Release, published last: ioctls and mmap read f->chan without
	 * f->lock; pairs with rmpsc_file_chan().
	 */
	smp_store_release(&f->chan, ch);
out_file:
	mutex_unlock(&f->lock);
	return ret;
}

/* Called at file release: the fd and every mapping of it are gone. */
void rmpsc_file_detach(struct rmpsc_file *f)
{
	struct rmpsc_chan *ch = f->chan;
	struct ringmpsc_ctrl_header *h;
	u32 i;

	if (!ch)
		return;
	h = rmpsc_ctrl_header(ch);
	mutex_lock(&ch->lock);
	if (f->role == RINGMPSC_ROLE_PRODUCER) {
		i = f->ring;
		RMPSC_INV(ch->rings[i].producer == f, "INV-LIFE-01");
		rmpsc_drop_producer_efd(ch, i);
		ch->rings[i].producer = NULL;
		/* No writer is left: a stale NEED_WAKEUP would only make
		 * the consumer issue useless wake calls.
		 */
		rmpsc_ring_clear_flags(&ch->rings[i], true);
		/* Committed messages stay for the consumer. INV-LIFE-04 */
		rmpsc_set_ring_state(ch, i, RINGMPSC_RING_DETACHED, 0);
		ch->stats.producer_detaches++;
		/* INV-WAKE-05 */
		rmpsc_signal_consumer(ch);
	} else {
		RMPSC_INV(ch->consumer == f, "INV-LIFE-06");
		rmpsc_drop_consumer_efd(ch);
		ch->consumer = NULL;
		for (i = 0; i < ch->nr_rings; i++)
			if (ch->rings[i].allocated)
				rmpsc_ring_clear_flags(&ch->rings[i], false);
		/* Rings and contents survive. INV-LIFE-05. Release: pairs
		 * with ringmpsc_consumer_present()'s acquire.
		 */
		smp_store_release(&h->consumer_state,
				  RINGMPSC_CONSUMER_ABSENT);
		/* INV-WAKE-05 */
		rmpsc_signal_all_producers(ch);
	}
	mutex_unlock(&ch->lock);
	f->chan = NULL;
	rmpsc_chan_put(ch);
}

long rmpsc_ioc_recycle(struct rmpsc_file *f, const struct ringmpsc_recycle *a)
{
	struct rmpsc_chan *ch = rmpsc_file_chan(f);
	int ret;

	if (!ch)
		return -ENOTCONN;
	if (f->role != RINGMPSC_ROLE_CONSUMER)
		return -EACCES;
	if (a->ring >= ch->nr_rings || a->reserved ||
	    (a->flags & ~RINGMPSC_RECYCLE_FLAGS))
		return -EINVAL;
	mutex_lock(&ch->lock);
	if (ch->rings[a->ring].state == RINGMPSC_RING_DETACHED &&
	    ch->rings[a->ring].generation != a->generation)
		ret = -ESTALE;
	else
		ret = rmpsc_recycle_locked(ch, a->ring,
					   a->flags & RINGMPSC_RECYCLE_DISCARD);
	mutex_unlock(&ch->lock);
	return ret;
}

long rmpsc_ioc_stats(struct rmpsc_file *f, struct ringmpsc_stats *a)
{
	struct rmpsc_chan *ch = rmpsc_file_chan(f);

	if (!ch)
		return -ENOTCONN;
	mutex_lock(&ch->lock);
	a->producer_attaches = ch->stats.producer_attaches;
	a->producer_detaches = ch->stats.producer_detaches;
	a->recycles = ch->stats.recycles;
	a->consumer_attaches = ch->stats.consumer_attaches;
	a->bytes_allocated = ch->stats.bytes_allocated;
	mutex_unlock(&ch->lock);
	a->consumer_wakeups = atomic64_read(&ch->stats.consumer_wakeups);
	a->producer_wakeups = atomic64_read(&ch->stats.producer_wakeups);
	return 0;
}
