// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: what an operator may see without attaching (spec.md section 7,
 * "Queries"): LIST of the channels of the caller's IPC namespace, STAT of
 * one of them by name, and the fdinfo of a /dev/ringmpsc file.
 *
 * Nothing here changes a channel. The rings' head and tail are read as
 * plain numbers and only compared (INV-LIFE-08). Results go to user memory
 * with no lock held (rmpsc.h).
 *
 * Permissions are checked after the registry lock is dropped, on a
 * channel that may be unlinked meanwhile: its ->ns (which
 * rmpsc_permission() reads) stays valid, since it is the caller's own IPC
 * namespace, pinned by the caller's nsproxy for the whole call.
 */
#include <linux/build_bug.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "rmpsc.h"

/* What LIST and STAT tell a reader of @ch. Under ch->lock. */
static void rmpsc_describe(struct rmpsc_chan *ch, struct ringmpsc_chan_desc *d)
{
	u32 by_state[RINGMPSC_RING_DETACHED + 1] = { 0 };
	u32 i;

	lockdep_assert_held(&ch->lock);
	for (i = 0; i < ch->nr_rings; i++)
		by_state[rmpsc_ring_state(ch, i)]++;
	d->uid = from_kuid_munged(current_user_ns(), ch->uid);
	d->gid = from_kgid_munged(current_user_ns(), ch->gid);
	d->mode = ch->mode;
	d->flags = RINGMPSC_CHAN_F_READABLE;
	/* A snapshot: an UNLINK may clear it right after. */
	if (READ_ONCE(ch->linked))
		d->flags |= RINGMPSC_CHAN_F_LINKED;
	d->slot_size = ch->slot_size;
	d->capacity = ch->capacity;
	d->max_producers = ch->nr_rings;
	d->consumer_state = ch->consumer ? RINGMPSC_CONSUMER_PRESENT :
					   RINGMPSC_CONSUMER_ABSENT;
	d->rings_unused = by_state[RINGMPSC_RING_UNUSED];
	d->rings_free = by_state[RINGMPSC_RING_FREE];
	d->rings_active = by_state[RINGMPSC_RING_ACTIVE];
	d->rings_detached = by_state[RINGMPSC_RING_DETACHED];
	d->created_ns = ch->created_ns;
	d->bytes_allocated = ch->stats.bytes_allocated;
}

/* The counters of @ch. Under ch->lock (the u64 ones). */
static void rmpsc_count(struct rmpsc_chan *ch, struct ringmpsc_counters *c)
{
	const struct rmpsc_stats *s = &ch->stats;

	lockdep_assert_held(&ch->lock);
	c->producer_attaches = s->producer_attaches;
	c->producer_detaches = s->producer_detaches;
	c->consumer_attaches = s->consumer_attaches;
	c->consumer_detaches = s->consumer_detaches;
	c->recycles = s->recycles;
	c->discards = s->discards;
	c->consumer_wakeups = atomic64_read(&s->consumer_wakeups);
	c->producer_wakeups = atomic64_read(&s->producer_wakeups);
	c->refused_perm = atomic64_read(&s->refused_perm);
	c->refused_busy = atomic64_read(&s->refused_busy);
	c->refused_full = atomic64_read(&s->refused_full);
	c->refused_nomem = atomic64_read(&s->refused_nomem);
}

/* Ring @i of @ch as STAT reports it. Under ch->lock. */
static void rmpsc_stat_ring(struct rmpsc_chan *ch, u32 i,
			    struct ringmpsc_stat_ring *s)
{
	struct rmpsc_ring *r = ch->rings[i];

	lockdep_assert_held(&ch->lock);
	if (!r)
		return;		/* UNUSED: all zero */
	s->state = r->state;
	s->generation = r->generation;
	/* 0 when the producer is not visible in the caller's namespace. */
	s->producer_pid = pid_vnr(r->pid);
	/* Plain numbers a live producer and consumer may be changing, or
	 * may have written anything into: compared, never used as an
	 * index. INV-LIFE-08, INV-RING-01
	 */
	s->head = rmpsc_ring_load_head(r);
	s->tail = rmpsc_ring_load_tail(r);
	if (s->tail - s->head > ch->capacity)
		s->flags |= RINGMPSC_STAT_RING_F_CORRUPT;
	else
		s->backlog = s->tail - s->head;
}

/* Copy @n records of @ksize bytes from @src to the user's array @uptr of
 * records of @usize bytes: the bytes the user does not know are dropped,
 * those the module does not know are zeroed.
 */
static int rmpsc_copy_records(u64 uptr, size_t usize, const void *src,
			      size_t ksize, u32 n)
{
	void __user *dst = u64_to_user_ptr(uptr);
	u32 i;

	for (i = 0; i < n; i++, dst += usize, src += ksize) {
		if (copy_to_user(dst, src, min(usize, ksize)))
			return -EFAULT;
		if (usize > ksize && clear_user(dst + ksize, usize - ksize))
			return -EFAULT;
	}
	return 0;
}

/* LIST's entry for @ch: the name, and for who may read it the rest. */
static void rmpsc_list_entry(struct rmpsc_chan *ch,
			     struct ringmpsc_list_entry *e)
{
	memset(e, 0, sizeof(*e));
	strscpy(e->name, ch->name, sizeof(e->name));
	if (rmpsc_permission(ch, MAY_READ))
		return;
	mutex_lock(&ch->lock);
	rmpsc_describe(ch, &e->desc);
	mutex_unlock(&ch->lock);
}

long rmpsc_ioc_list(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	struct ringmpsc_list *a = &arg->list;
	struct ringmpsc_list_entry *e;
	struct rmpsc_chan **chans;
	unsigned int room, got, i;
	long ret = 0;

	/* The first version is what this module writes. */
	BUILD_BUG_ON(sizeof(*e) != RINGMPSC_LIST_ENTRY_SIZE_VER0);
	if (a->flags || a->reserved)
		return -EINVAL;
	if (a->entry_size < RINGMPSC_LIST_ENTRY_SIZE_VER0 ||
	    a->entry_size > RINGMPSC_LIST_ENTRY_SIZE_MAX)
		return -EINVAL;
	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	/* A huge count is only room: never more than there are channels. */
	room = min(a->count, rmpsc_registry_collect(NULL, 0, &got));
	chans = kvcalloc(max(room, 1U), sizeof(*chans), GFP_KERNEL);
	if (!chans) {
		kfree(e);
		return -ENOMEM;
	}
	a->total = rmpsc_registry_collect(chans, room, &got);
	/* One entry at a time, each copied out with no lock held. */
	for (i = 0; i < got; i++) {
		if (!ret) {
			rmpsc_list_entry(chans[i], e);
			ret = rmpsc_copy_records(a->entries +
						 (u64)i * a->entry_size,
						 a->entry_size, e, sizeof(*e), 1);
		}
		rmpsc_chan_put(chans[i]);
	}
	a->count = got;
	kvfree(chans);
	kfree(e);
	return ret;
}

long rmpsc_ioc_stat(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	struct ringmpsc_stat *a = &arg->stat;
	char name[RINGMPSC_NAME_MAX + 1];
	struct ringmpsc_stat_ring *rings;
	struct rmpsc_chan *ch;
	u32 i, n;
	long ret;

	BUILD_BUG_ON(sizeof(*rings) != RINGMPSC_STAT_RING_SIZE_VER0);
	if (a->flags)
		return -EINVAL;
	if (a->ring_size < RINGMPSC_STAT_RING_SIZE_VER0 ||
	    a->ring_size > RINGMPSC_STAT_RING_SIZE_MAX)
		return -EINVAL;
	ret = rmpsc_get_name(name, a->name);
	if (ret)
		return ret;
	ch = rmpsc_registry_find(name, 0);
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	ret = rmpsc_permission(ch, MAY_READ);
	if (ret)
		goto out;
	n = min(a->nr_rings, ch->nr_rings);
	rings = kvcalloc(max(n, 1U), sizeof(*rings), GFP_KERNEL);
	ret = -ENOMEM;
	if (!rings)
		goto out;

	mutex_lock(&ch->lock);
	rmpsc_describe(ch, &a->desc);
	rmpsc_count(ch, &a->counters);
	a->consumer_pid = pid_vnr(ch->consumer_pid);
	for (i = 0; i < n; i++)
		rmpsc_stat_ring(ch, i, &rings[i]);
	mutex_unlock(&ch->lock);

	ret = rmpsc_copy_records(a->rings, a->ring_size, rings, sizeof(*rings),
				 n);
	a->nr_rings = n;
	kvfree(rings);
out:
	rmpsc_chan_put(ch);
	return ret;
}

/* /proc/PID/fdinfo/FD of a /dev/ringmpsc file. The name is escaped: it
 * may hold any byte but '/' and NUL.
 */
void rmpsc_show_fdinfo(struct seq_file *m, struct rmpsc_file *f)
{
	struct rmpsc_chan *ch = rmpsc_file_chan(f);
	u32 generation;

	if (!ch) {
		seq_puts(m, "ringmpsc-role:\tnone\n");
		return;
	}
	seq_printf(m, "ringmpsc-role:\t%s\n",
		   f->role == RINGMPSC_ROLE_PRODUCER ? "producer" : "consumer");
	seq_puts(m, "ringmpsc-channel:\t");
	seq_escape(m, ch->name, " \t\n\\");
	seq_putc(m, '\n');
	if (f->role != RINGMPSC_ROLE_PRODUCER)
		return;
	mutex_lock(&ch->lock);
	generation = ch->rings[f->ring]->generation;
	mutex_unlock(&ch->lock);
	seq_printf(m, "ringmpsc-ring:\t%u\nringmpsc-generation:\t%u\n", f->ring,
		   generation);
}
