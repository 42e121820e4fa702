// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: the lifecycle of rings and of the consumer (spec.md section
 * 7, "Lifecycle state machine"): rmpsc_ring_transition() performs every
 * change of a ring's state with all its side effects, and
 * rmpsc_consumer_transition() every consumer attach and detach; ATTACH,
 * RECYCLE, a file's release and CREATE's preallocation are calls into
 * them. Also STATS, the counters they keep.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/nospec.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include "invariants.h"
#include "rmpsc.h"
#include "trace.h"

/* The one state that follows each ring state. INV-LIFE-01 */
static const u32 rmpsc_ring_next[] = {
	[RINGMPSC_RING_UNUSED]		= RINGMPSC_RING_FREE,
	[RINGMPSC_RING_FREE]		= RINGMPSC_RING_ACTIVE,
	[RINGMPSC_RING_ACTIVE]		= RINGMPSC_RING_DETACHED,
	[RINGMPSC_RING_DETACHED]	= RINGMPSC_RING_FREE,
};

/*
 * rmpsc_ring_transition - move ring @i to state @to, with every side
 * effect of the change (spec.md section 7, "Lifecycle state machine"):
 *
 *   UNUSED   -> FREE      the ring and its pages charged to the owner and
 *                         allocated zeroed
 *   DETACHED -> FREE      pages zeroed, generation + 1 (recycle)
 *   FREE     -> ACTIVE    @producer attached; the consumer is woken
 *   ACTIVE   -> DETACHED  producer gone: its flags word cleared, its
 *                         eventfd dropped; the consumer is woken
 *
 * and for each: the ring's control-area entry (state, generation,
 * owner_pid), then ring_epoch, then the stats. Memory first, eventfds
 * last, so a woken consumer finds the change published. Only UNUSED ->
 * FREE can fail (ENOSPC, ENOMEM), and then nothing has changed.
 */
static int rmpsc_ring_transition(struct rmpsc_chan *ch, u32 i, u32 to,
				 struct rmpsc_file *producer)
{
	struct ringmpsc_ctrl_header *h = rmpsc_ctrl_header(ch);
	struct ringmpsc_ctrl_ring *cr = rmpsc_ctrl_ring(ch, i);
	u32 from = rmpsc_ring_state(ch, i), owner = 0;
	struct rmpsc_ring *r = ch->rings[i];
	int ret;

	lockdep_assert_held(&ch->lock);
	RMPSC_INV(to == rmpsc_ring_next[from], "INV-LIFE-01");
	switch (from) {
	case RINGMPSC_RING_UNUSED:
		/* The ring's state and its pages, all charged. INV-MOD-07 */
		ret = rmpsc_charge(ch, ch->ring_bytes);
		if (ret)
			return ret;
		ret = rmpsc_ring_alloc(ch, i);
		if (ret) {
			rmpsc_uncharge(ch, ch->ring_bytes);
			return ret;
		}
		r = ch->rings[i];
		ch->stats.bytes_allocated += ch->ring_bytes;
		break;
	case RINGMPSC_RING_DETACHED:
		/* Nothing of the old generation survives. INV-LIFE-03 */
		rmpsc_ring_zero(ch, r);
		r->generation++;
		ch->stats.recycles++;
		break;
	case RINGMPSC_RING_FREE:
		r->producer = producer;
		r->pid = get_pid(task_tgid(current));
		owner = task_tgid_vnr(current);
		ch->stats.producer_attaches++;
		trace_ringmpsc_attach(ch, RINGMPSC_ROLE_PRODUCER, i,
				      r->generation);
		break;
	case RINGMPSC_RING_ACTIVE:
		r->producer = NULL;
		/* No writer is left: a stale NEED_WAKEUP would only make the
		 * consumer issue useless wake calls. INV-MOD-05
		 */
		rmpsc_ring_clear_flags(ch, r, RINGMPSC_ROLE_PRODUCER);
		put_pid(r->pid);
		r->pid = NULL;
		ch->stats.producer_detaches++;
		trace_ringmpsc_detach(ch, RINGMPSC_ROLE_PRODUCER, i,
				      r->generation);
		break;
	}
	r->state = to;
	/* Only the module writes the control area. INV-LIFE-01 */
	WRITE_ONCE(cr->owner_pid, owner);
	WRITE_ONCE(cr->generation, r->generation);
	WRITE_ONCE(cr->state, to);
	/* Release: the entry above is visible to whoever loads ring_epoch
	 * with acquire (ringmpsc__refresh_if_changed(),
	 * ringmpsc_consumer_refresh()) before it reads the states.
	 * INV-LIFE-01
	 */
	smp_store_release(&h->ring_epoch, READ_ONCE(h->ring_epoch) + 1);

	/* A sleeping consumer has no flag in a ring it has not mapped yet,
	 * and must learn of a departure. INV-WAKE-05
	 */
	if (to == RINGMPSC_RING_ACTIVE)
		rmpsc_wake_consumer(ch);
	else if (to == RINGMPSC_RING_DETACHED)
		rmpsc_wake_producer_left(ch, i);
	return 0;
}

/*
 * rmpsc_consumer_transition - attach consumer @f (ABSENT -> PRESENT), or
 * with @f NULL detach the one attached (PRESENT -> ABSENT): its flags
 * word in every ring cleared, consumer_state published, its eventfd
 * dropped. Either way every producer is woken. Rings and contents survive.
 * INV-LIFE-05
 */
static void rmpsc_consumer_transition(struct rmpsc_chan *ch,
				      struct rmpsc_file *f)
{
	struct ringmpsc_ctrl_header *h = rmpsc_ctrl_header(ch);
	u32 i;

	lockdep_assert_held(&ch->lock);
	/* One consumer at a time. INV-LIFE-06 */
	RMPSC_INV(!ch->consumer != !f, "INV-LIFE-06");
	ch->consumer = f;
	if (f) {
		ch->consumer_pid = get_pid(task_tgid(current));
		ch->stats.consumer_attaches++;
		trace_ringmpsc_attach(ch, RINGMPSC_ROLE_CONSUMER, ~0U, 0);
	} else {
		put_pid(ch->consumer_pid);
		ch->consumer_pid = NULL;
		ch->stats.consumer_detaches++;
		trace_ringmpsc_detach(ch, RINGMPSC_ROLE_CONSUMER, ~0U, 0);
		/* Its flags words: a stale NEED_WAKEUP would only make
		 * producers issue useless wake calls. INV-MOD-05
		 */
		for (i = 0; i < ch->nr_rings; i++)
			if (ch->rings[i])
				rmpsc_ring_clear_flags(ch, ch->rings[i],
						       RINGMPSC_ROLE_CONSUMER);
	}
	/* Release: pairs with ringmpsc_consumer_present()'s acquire. */
	smp_store_release(&h->consumer_state, f ? RINGMPSC_CONSUMER_PRESENT :
						  RINGMPSC_CONSUMER_ABSENT);
	/* After the release: a woken producer sees the new state. */
	if (f)
		rmpsc_wake_consumer_arrived(ch);
	else
		rmpsc_wake_consumer_left(ch);
}

/* CREATE with RINGMPSC_CREATE_PREALLOC: every ring UNUSED -> FREE. */
int rmpsc_prealloc_rings(struct rmpsc_chan *ch)
{
	u32 i;
	int ret = 0;

	mutex_lock(&ch->lock);
	for (i = 0; i < ch->nr_rings && !ret; i++)
		ret = rmpsc_ring_transition(ch, i, RINGMPSC_RING_FREE, NULL);
	mutex_unlock(&ch->lock);
	return ret;
}

/* Give back a DETACHED ring: FREE, zeroed, with a new generation, if it
 * is drained or the consumer drops what is left (@discard,
 * RINGMPSC_RECYCLE_DISCARD). Reads head and tail only as numbers.
 * INV-LIFE-08
 */
static int rmpsc_recycle(struct rmpsc_chan *ch, u32 i, bool discard)
{
	struct rmpsc_ring *r = ch->rings[i];
	u64 left;

	lockdep_assert_held(&ch->lock);
	if (rmpsc_ring_state(ch, i) != RINGMPSC_RING_DETACHED)
		return -EINVAL;
	left = rmpsc_ring_load_tail(r) - rmpsc_ring_load_head(r);
	/* Nothing committed is discarded unless the consumer says so.
	 * INV-LIFE-02
	 */
	if (!discard && left)
		return -ENOTEMPTY;
	rmpsc_ring_transition(ch, i, RINGMPSC_RING_FREE, NULL);
	if (left)
		ch->stats.discards++;
	trace_ringmpsc_recycle(ch, i, r->generation, left);
	return 0;
}

/* Choose a FREE ring for a new producer: a FREE one, else (no consumer)
 * a drained DETACHED one recycled now, else an UNUSED one allocated now.
 */
static int rmpsc_pick_ring(struct rmpsc_chan *ch, u32 *out)
{
	u32 i;
	int ret;

	lockdep_assert_held(&ch->lock);
	for (i = 0; i < ch->nr_rings; i++) {
		if (rmpsc_ring_state(ch, i) == RINGMPSC_RING_FREE)
			goto found;
	}
	if (!ch->consumer) {
		for (i = 0; i < ch->nr_rings; i++) {
			if (rmpsc_ring_state(ch, i) == RINGMPSC_RING_DETACHED &&
			    !rmpsc_recycle(ch, i, false))
				goto found;
		}
	}
	for (i = 0; i < ch->nr_rings; i++) {
		if (rmpsc_ring_state(ch, i) == RINGMPSC_RING_UNUSED) {
			ret = rmpsc_ring_transition(ch, i, RINGMPSC_RING_FREE,
						    NULL);
			if (ret)
				return ret;
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
	if (ret) {
		atomic64_inc(ret == -EMFILE ? &ch->stats.refused_full :
					      &ch->stats.refused_nomem);
		goto out;
	}
	f->ring = i;
	rmpsc_ring_transition(ch, i, RINGMPSC_RING_ACTIVE, f);
	a->ring = i;
	a->generation = ch->rings[i]->generation;
out:
	mutex_unlock(&ch->lock);
	return ret;
}

static int rmpsc_attach_consumer(struct rmpsc_chan *ch, struct rmpsc_file *f,
				 struct ringmpsc_attach *a)
{
	int ret = 0;

	mutex_lock(&ch->lock);
	/* One consumer at a time. INV-LIFE-06 */
	if (ch->consumer) {
		ret = -EBUSY;
		atomic64_inc(&ch->stats.refused_busy);
	} else {
		rmpsc_consumer_transition(ch, f);
	}
	mutex_unlock(&ch->lock);
	a->ring = ~0U;
	a->generation = 0;
	return ret;
}

long rmpsc_ioc_attach(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	struct ringmpsc_attach *a = &arg->attach;
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

	if (!ch)
		return;
	mutex_lock(&ch->lock);
	if (f->role == RINGMPSC_ROLE_PRODUCER) {
		RMPSC_INV(ch->rings[f->ring]->producer == f, "INV-LIFE-01");
		/* Committed messages stay for the consumer. INV-LIFE-04 */
		rmpsc_ring_transition(ch, f->ring, RINGMPSC_RING_DETACHED,
				      NULL);
	} else {
		RMPSC_INV(ch->consumer == f, "INV-LIFE-06");
		rmpsc_consumer_transition(ch, NULL);
	}
	mutex_unlock(&ch->lock);
	rmpsc_chan_put(ch);
}

long rmpsc_ioc_recycle(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	const struct ringmpsc_recycle *a = &arg->recycle;
	struct rmpsc_chan *ch = rmpsc_file_chan(f);
	u32 ring;
	int ret;

	if (!ch)
		return -ENOTCONN;
	if (f->role != RINGMPSC_ROLE_CONSUMER)
		return -EACCES;
	if (a->ring >= ch->nr_rings || a->reserved ||
	    (a->flags & ~RINGMPSC_RECYCLE_FLAGS))
		return -EINVAL;
	/* The index is the user's: no speculative read past the table. */
	ring = array_index_nospec(a->ring, ch->nr_rings);
	mutex_lock(&ch->lock);
	if (rmpsc_ring_state(ch, ring) == RINGMPSC_RING_DETACHED &&
	    ch->rings[ring]->generation != a->generation)
		ret = -ESTALE;
	else
		ret = rmpsc_recycle(ch, ring,
				    a->flags & RINGMPSC_RECYCLE_DISCARD);
	mutex_unlock(&ch->lock);
	return ret;
}

long rmpsc_ioc_stats(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	struct ringmpsc_stats *a = &arg->stats;
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
