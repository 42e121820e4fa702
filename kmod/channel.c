// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: a channel object, from the arguments of CREATE, checked
 * against the per-channel limits (module parameters), to the freeing of
 * everything it holds at its last reference (spec.md section 7,
 * "Limits"; INV-LIFE-07, INV-MOD-07). Where a channel is named and found
 * is registry.c's.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "invariants.h"
#include "rmpsc.h"

static unsigned int producers_per_channel = RINGMPSC_PRODUCERS_MAX;
module_param(producers_per_channel, uint, 0644);
MODULE_PARM_DESC(producers_per_channel,
		 "Largest max_producers a channel may have (EMFILE beyond)");

static unsigned long bytes_per_channel = 64UL << 20;
module_param(bytes_per_channel, ulong, 0644);
MODULE_PARM_DESC(bytes_per_channel,
		 "Largest memory of one channel with all rings allocated (ENOSPC beyond)");

atomic_long_t rmpsc_live_chans = ATOMIC_LONG_INIT(0);
atomic_long_t rmpsc_live_pages = ATOMIC_LONG_INIT(0);

static void rmpsc_chan_free(struct kref *ref)
{
	struct rmpsc_chan *ch = container_of(ref, struct rmpsc_chan, ref);
	u32 i;

	RMPSC_INV(!ch->consumer && !ch->linked, "INV-LIFE-07");
	/* Once linked: off the unlinked list, the namespace let go. */
	if (ch->ns)
		rmpsc_registry_forget(ch);
	if (ch->rings) {
		for (i = 0; i < ch->nr_rings; i++) {
			RMPSC_INV(!ch->rings[i] || !ch->rings[i]->producer,
				  "INV-LIFE-07");
			rmpsc_ring_free(ch, ch->rings[i]);
		}
		kvfree(ch->rings);
	}
	rmpsc_ctrl_free(ch);
	/* Everything the owner was charged for is gone. INV-MOD-07 */
	if (ch->user)
		rmpsc_user_put(ch->user, ch->charged);
	mutex_destroy(&ch->lock);
	kfree(ch);
	atomic_long_dec(&rmpsc_live_chans);
}

void rmpsc_chan_put(struct rmpsc_chan *ch)
{
	kref_put(&ch->ref, rmpsc_chan_free);
}

/* CREATE's arguments, before anything is allocated. */
int rmpsc_chan_check_create(const struct ringmpsc_create *a)
{
	if (a->reserved || (a->flags & ~RINGMPSC_CREATE_FLAGS))
		return -EINVAL;
	if (!ringmpsc_ring_geometry_valid(a->slot_size, a->capacity))
		return -EINVAL;
	if (!a->max_producers || a->max_producers > RINGMPSC_PRODUCERS_MAX)
		return -EINVAL;
	if (a->mode & ~0777)
		return -EINVAL;
	if (a->max_producers > READ_ONCE(producers_per_channel))
		return -EMFILE;
	return 0;
}

struct rmpsc_chan *rmpsc_chan_new(const struct ringmpsc_create *a,
				  const char *name)
{
	struct rmpsc_chan *ch;
	u64 total;
	int ret;

	ch = kzalloc(sizeof(*ch), RMPSC_GFP_USER);
	if (!ch)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&rmpsc_live_chans);
	kref_init(&ch->ref);
	INIT_LIST_HEAD(&ch->node);
	mutex_init(&ch->lock);
	spin_lock_init(&ch->efd_lock);
	strscpy(ch->name, name, sizeof(ch->name));
	ch->created_ns = ktime_get_real_ns();
	ch->uid = current_fsuid();
	ch->gid = current_fsgid();
	ch->mode = a->mode;
	ch->slot_size = a->slot_size;
	ch->capacity = a->capacity;
	ch->nr_rings = a->max_producers;

	rmpsc_layout(ch);
	total = ch->base_bytes + (u64)ch->nr_rings * ch->ring_bytes;
	ret = -ENOSPC;
	if (total > READ_ONCE(bytes_per_channel))
		goto err;

	ret = -ENOMEM;
	ch->user = rmpsc_user_get(ch->uid);
	if (!ch->user)
		goto err;
	/* The channel and its ring table too, not only what is mapped:
	 * they can be most of a channel whose rings are unused. INV-MOD-07
	 */
	ret = rmpsc_charge(ch, ch->base_bytes);
	if (ret)
		goto err;
	ret = -ENOMEM;
	ch->rings = kvcalloc(ch->nr_rings, sizeof(*ch->rings),
			     RMPSC_GFP_USER);
	if (!ch->rings)
		goto err;
	ret = rmpsc_ctrl_alloc(ch);
	if (ret)
		goto err;
	if (a->flags & RINGMPSC_CREATE_PREALLOC) {
		ret = rmpsc_prealloc_rings(ch);
		if (ret)
			goto err;
	}
	return ch;
err:
	rmpsc_chan_put(ch);
	return ERR_PTR(ret);
}
