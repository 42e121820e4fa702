// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: named channels, their registry per IPC namespace, permissions,
 * limits, and the attach/detach/recycle lifecycle (spec.md, section 7).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "invariants.h"
#include "rmpsc.h"

static unsigned int channels_per_user = 64;
module_param(channels_per_user, uint, 0644);
MODULE_PARM_DESC(channels_per_user,
		 "Linked channels one uid may own in a namespace (EMFILE beyond)");

static unsigned int producers_per_channel = RINGMPSC_PRODUCERS_MAX;
module_param(producers_per_channel, uint, 0644);
MODULE_PARM_DESC(producers_per_channel,
		 "Largest max_producers a channel may have (EMFILE beyond)");

static unsigned long bytes_per_channel = 64UL << 20;
module_param(bytes_per_channel, ulong, 0644);
MODULE_PARM_DESC(bytes_per_channel,
		 "Largest memory of one channel with all rings allocated (ENOSPC beyond)");

static unsigned long bytes_per_user = 256UL << 20;
module_param(bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(bytes_per_user,
		 "Memory of all live channels one uid owns, linked or not (ENOSPC beyond)");

atomic_long_t rmpsc_live_chans = ATOMIC_LONG_INIT(0);
atomic_long_t rmpsc_live_pages = ATOMIC_LONG_INIT(0);

/* Linked channels of every namespace; lookups compare the namespace. The
 * channels of one namespace are kept next to each other, so that a dead
 * namespace is found in one pass (rmpsc_reap_orphans()).
 */
static DEFINE_MUTEX(rmpsc_registry_lock);
static LIST_HEAD(rmpsc_registry);

/*
 * Memory of live channels per owner (kuid, across all namespaces): the
 * control area and every allocated ring, from CREATE until the channel is
 * freed, whether it is still linked or not. A user cannot escape the
 * limit by unlinking channels it keeps attached.
 */
struct rmpsc_user {
	struct hlist_node node;		/* rmpsc_users, under rmpsc_users_lock */
	kuid_t uid;
	unsigned int chans;		/* channels holding this account */
	u64 bytes;			/* charged to it */
};

static DEFINE_SPINLOCK(rmpsc_users_lock);
static DEFINE_HASHTABLE(rmpsc_users, 6);

/* The account of @uid, with one more channel holding it. */
static struct rmpsc_user *rmpsc_user_get(kuid_t uid)
{
	struct rmpsc_user *u, *fresh;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return NULL;
	spin_lock(&rmpsc_users_lock);
	hash_for_each_possible(rmpsc_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			goto found;
	u = fresh;
	fresh = NULL;
	u->uid = uid;
	hash_add(rmpsc_users, &u->node, __kuid_val(uid));
found:
	u->chans++;
	spin_unlock(&rmpsc_users_lock);
	kfree(fresh);
	return u;
}

/* Drop a channel's hold on @u, and its @bytes. */
static void rmpsc_user_put(struct rmpsc_user *u, u64 bytes)
{
	spin_lock(&rmpsc_users_lock);
	u->bytes -= bytes;
	if (--u->chans) {
		u = NULL;
	} else {
		RMPSC_INV(!u->bytes, "INV-MOD-07");
		hash_del(&u->node);
	}
	spin_unlock(&rmpsc_users_lock);
	kfree(u);
}

/* Charge @bytes more of channel @ch to its owner: ENOSPC beyond
 * bytes_per_user. Under ch->lock, or before the channel is visible.
 */
static int rmpsc_charge(struct rmpsc_chan *ch, u64 bytes)
{
	struct rmpsc_user *u = ch->user;
	int ret = 0;

	spin_lock(&rmpsc_users_lock);
	if (u->bytes + bytes > READ_ONCE(bytes_per_user))
		ret = -ENOSPC;
	else
		u->bytes += bytes;
	spin_unlock(&rmpsc_users_lock);
	if (!ret)
		ch->charged += bytes;
	return ret;
}

static void rmpsc_uncharge(struct rmpsc_chan *ch, u64 bytes)
{
	spin_lock(&rmpsc_users_lock);
	ch->user->bytes -= bytes;
	spin_unlock(&rmpsc_users_lock);
	ch->charged -= bytes;
}

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

struct ringmpsc_ctrl_header *rmpsc_ctrl_header(struct rmpsc_chan *ch)
{
	return ch->ctrl;
}

struct ringmpsc_ctrl_ring *rmpsc_ctrl_ring(struct rmpsc_chan *ch, u32 i)
{
	return ch->ctrl + RMPSC_CTRL_RING_OFF +
	       i * sizeof(struct ringmpsc_ctrl_ring);
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

static void rmpsc_chan_free(struct kref *ref)
{
	struct rmpsc_chan *ch = container_of(ref, struct rmpsc_chan, ref);
	u32 i;

	RMPSC_INV(!ch->consumer && !ch->linked, "INV-LIFE-07");
	if (ch->rings) {
		for (i = 0; i < ch->nr_rings; i++) {
			RMPSC_INV(!ch->rings[i].producer, "INV-LIFE-07");
			rmpsc_ring_free(ch, &ch->rings[i]);
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

static void rmpsc_chan_put(struct rmpsc_chan *ch)
{
	kref_put(&ch->ref, rmpsc_chan_free);
}

/* Copy and check a channel name: 1..NAME_MAX bytes, NUL-terminated, no '/'. */
static int rmpsc_get_name(char *buf, u64 uptr)
{
	long len;

	len = strncpy_from_user(buf, u64_to_user_ptr(uptr),
				RINGMPSC_NAME_MAX + 1);
	if (len < 0)
		return len;
	if (len == 0)
		return -EINVAL;
	if (len > RINGMPSC_NAME_MAX)
		return -ENAMETOOLONG;
	if (strchr(buf, '/'))
		return -EINVAL;
	return 0;
}

static struct ipc_namespace *rmpsc_current_ns(void)
{
	return current->nsproxy->ipc_ns;
}

static struct rmpsc_chan *rmpsc_lookup(struct ipc_namespace *ns,
				       const char *name)
{
	struct rmpsc_chan *ch;

	lockdep_assert_held(&rmpsc_registry_lock);
	list_for_each_entry(ch, &rmpsc_registry, node)
		if (ch->ns == ns && !strcmp(ch->name, name))
			return ch;
	return NULL;
}

static unsigned int rmpsc_count_owned(struct ipc_namespace *ns, kuid_t uid)
{
	struct rmpsc_chan *ch;
	unsigned int n = 0;

	lockdep_assert_held(&rmpsc_registry_lock);
	list_for_each_entry(ch, &rmpsc_registry, node)
		if (ch->ns == ns && uid_eq(ch->uid, uid))
			n++;
	return n;
}

static bool rmpsc_capable(struct rmpsc_chan *ch)
{
	return ns_capable(ch->ns->user_ns, CAP_DAC_OVERRIDE);
}

/* Owner/group/other bits like a file; CAP_DAC_OVERRIDE bypasses. */
static int rmpsc_permission(struct rmpsc_chan *ch, int mask)
{
	umode_t mode = ch->mode;

	if (uid_eq(current_fsuid(), ch->uid))
		mode >>= 6;
	else if (in_group_p(ch->gid))
		mode >>= 3;
	if ((mask & ~mode & 7) == 0)
		return 0;
	return rmpsc_capable(ch) ? 0 : -EACCES;
}

static int rmpsc_check_create(const struct ringmpsc_create *a)
{
	if (a->reserved || (a->flags & ~RINGMPSC_CREATE_FLAGS))
		return -EINVAL;
	if (!a->slot_size || a->slot_size % RINGMPSC_SLOT_ALIGN ||
	    a->slot_size > RINGMPSC_SLOT_MAX)
		return -EINVAL;
	if (a->capacity < RINGMPSC_CAPACITY_MIN ||
	    a->capacity > RINGMPSC_CAPACITY_MAX ||
	    !is_power_of_2(a->capacity))
		return -EINVAL;
	if (!a->max_producers || a->max_producers > RINGMPSC_PRODUCERS_MAX)
		return -EINVAL;
	if (a->mode & ~0777)
		return -EINVAL;
	if (a->max_producers > READ_ONCE(producers_per_channel))
		return -EMFILE;
	return 0;
}

static struct rmpsc_chan *rmpsc_chan_new(const struct ringmpsc_create *a,
					 const char *name)
{
	struct rmpsc_chan *ch;
	u64 total;
	u32 i;
	int ret;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&rmpsc_live_chans);
	kref_init(&ch->ref);
	INIT_LIST_HEAD(&ch->node);
	mutex_init(&ch->lock);
	spin_lock_init(&ch->efd_lock);
	strscpy(ch->name, name, sizeof(ch->name));
	ch->uid = current_fsuid();
	ch->gid = current_fsgid();
	ch->mode = a->mode;
	ch->slot_size = a->slot_size;
	ch->capacity = a->capacity;
	ch->nr_rings = a->max_producers;

	ret = rmpsc_layout(ch);
	if (ret)
		goto err;
	total = ((u64)ch->ctrl_pages << PAGE_SHIFT) +
		(u64)ch->nr_rings * ch->ring_bytes;
	ret = -ENOSPC;
	if (total > READ_ONCE(bytes_per_channel))
		goto err;

	ret = -ENOMEM;
	ch->user = rmpsc_user_get(ch->uid);
	if (!ch->user)
		goto err;
	ret = rmpsc_charge(ch, (u64)ch->ctrl_pages << PAGE_SHIFT);
	if (ret)
		goto err;
	ret = -ENOMEM;
	ch->rings = kvcalloc(ch->nr_rings, sizeof(*ch->rings),
			     GFP_KERNEL_ACCOUNT);
	if (!ch->rings)
		goto err;
	ret = rmpsc_ctrl_alloc(ch);
	if (ret)
		goto err;
	if (a->flags & RINGMPSC_CREATE_PREALLOC) {
		mutex_lock(&ch->lock);
		for (i = 0; i < ch->nr_rings && !ret; i++) {
			ret = rmpsc_chan_ring_alloc(ch, i);
			if (!ret)
				rmpsc_set_ring_state(ch, i, RINGMPSC_RING_FREE,
						     0);
		}
		mutex_unlock(&ch->lock);
		if (ret)
			goto err;
	}
	return ch;
err:
	rmpsc_chan_put(ch);
	return ERR_PTR(ret);
}

/* Drop what a linked channel held, once it is off the registry list.
 * The caller holds a module reference of its own (an open fd).
 */
static void rmpsc_unlinked(struct rmpsc_chan *ch)
{
	rmpsc_put_ipc_ns(ch->ns);
	/* The registry's reference; attached files hold their own. */
	rmpsc_chan_put(ch);
	module_put(THIS_MODULE);
}

/*
 * A channel whose IPC namespace is referenced only by the registry's own
 * pins can never be named again: no task is in the namespace and nothing
 * can enter it. Unlink such channels, so that a dead container does not
 * keep them (and the module) forever. Run before every registry change
 * (CREATE, UNLINK); one pass, since the channels of a namespace are next
 * to each other on the list.
 */
static void rmpsc_reap_orphans(void)
{
	struct rmpsc_chan *ch, *end, *next;
	struct ipc_namespace *ns;
	LIST_HEAD(dead);
	unsigned int pins;

	mutex_lock(&rmpsc_registry_lock);
	ch = list_first_entry(&rmpsc_registry, struct rmpsc_chan, node);
	while (!list_entry_is_head(ch, &rmpsc_registry, node)) {
		/* The run of channels of ch's namespace: [ch, end). */
		ns = ch->ns;
		pins = 0;
		end = ch;
		while (!list_entry_is_head(end, &rmpsc_registry, node) &&
		       end->ns == ns) {
			pins++;
			end = list_next_entry(end, node);
		}
		/* Only a holder can take a new reference, so a count
		 * that equals our pins stays so.
		 */
		if (refcount_read(&ns->ns.count) > pins) {
			ch = end;
			continue;
		}
		for (; ch != end; ch = next) {
			next = list_next_entry(ch, node);
			list_move_tail(&ch->node, &dead);
			ch->linked = false;
		}
	}
	mutex_unlock(&rmpsc_registry_lock);
	list_for_each_entry_safe(ch, next, &dead, node) {
		list_del_init(&ch->node);
		rmpsc_unlinked(ch);
	}
}

/* Where a new channel of @ns goes: after the last one of @ns, so that
 * each namespace's channels stay together; else at the end.
 */
static struct list_head *rmpsc_insert_pos(struct ipc_namespace *ns)
{
	struct rmpsc_chan *ch;

	lockdep_assert_held(&rmpsc_registry_lock);
	list_for_each_entry_reverse(ch, &rmpsc_registry, node)
		if (ch->ns == ns)
			return &ch->node;
	return rmpsc_registry.prev;
}

long rmpsc_ioc_create(struct rmpsc_file *f, const struct ringmpsc_create *a)
{
	struct ipc_namespace *ns = rmpsc_current_ns();
	char name[RINGMPSC_NAME_MAX + 1];
	struct rmpsc_chan *ch, *old;
	int ret;

	ret = rmpsc_get_name(name, a->name);
	if (ret)
		return ret;
	ret = rmpsc_check_create(a);
	if (ret)
		return ret;
	rmpsc_reap_orphans();

	/* An existing name is answered before anything is charged or
	 * allocated; the lookup below catches a create that races us.
	 */
	mutex_lock(&rmpsc_registry_lock);
	old = rmpsc_lookup(ns, name);
	mutex_unlock(&rmpsc_registry_lock);
	if (old)
		return (a->flags & RINGMPSC_CREATE_EXCL) ? -EEXIST : 0;

	/* Allocate outside the registry lock; most creates do not race. */
	ch = rmpsc_chan_new(a, name);
	if (IS_ERR(ch))
		return PTR_ERR(ch);

	mutex_lock(&rmpsc_registry_lock);
	old = rmpsc_lookup(ns, name);
	if (old) {
		/* Like mq_open(O_CREAT): the existing channel is kept. */
		ret = (a->flags & RINGMPSC_CREATE_EXCL) ? -EEXIST : 0;
		goto out_unlock;
	}
	if (rmpsc_count_owned(ns, ch->uid) >= READ_ONCE(channels_per_user)) {
		ret = -EMFILE;
		goto out_unlock;
	}
	ch->ns = get_ipc_ns(ns);
	ch->linked = true;
	list_add(&ch->node, rmpsc_insert_pos(ns));
	/* A linked channel keeps the module loaded until it is unlinked. */
	__module_get(THIS_MODULE);
	mutex_unlock(&rmpsc_registry_lock);
	return 0;

out_unlock:
	mutex_unlock(&rmpsc_registry_lock);
	rmpsc_chan_put(ch);
	return ret;
}

long rmpsc_ioc_unlink(struct rmpsc_file *f, const struct ringmpsc_unlink *a)
{
	char name[RINGMPSC_NAME_MAX + 1];
	struct rmpsc_chan *ch;
	int ret;

	if (a->reserved)
		return -EINVAL;
	ret = rmpsc_get_name(name, a->name);
	if (ret)
		return ret;
	rmpsc_reap_orphans();

	mutex_lock(&rmpsc_registry_lock);
	ch = rmpsc_lookup(rmpsc_current_ns(), name);
	if (!ch) {
		mutex_unlock(&rmpsc_registry_lock);
		return -ENOENT;
	}
	/* Like a file in a sticky directory: only its owner may remove it. */
	if (!uid_eq(current_fsuid(), ch->uid) && !rmpsc_capable(ch)) {
		mutex_unlock(&rmpsc_registry_lock);
		return -EACCES;
	}
	list_del_init(&ch->node);
	ch->linked = false;
	mutex_unlock(&rmpsc_registry_lock);
	rmpsc_unlinked(ch);
	return 0;
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
	mutex_lock(&rmpsc_registry_lock);
	ch = rmpsc_lookup(rmpsc_current_ns(), name);
	if (!ch) {
		mutex_unlock(&rmpsc_registry_lock);
		ret = -ENOENT;
		goto out_file;
	}
	ret = rmpsc_permission(ch, a->role == RINGMPSC_ROLE_PRODUCER ?
				   MAY_WRITE : MAY_READ);
	if (ret) {
		mutex_unlock(&rmpsc_registry_lock);
		goto out_file;
	}
	kref_get(&ch->ref);
	mutex_unlock(&rmpsc_registry_lock);

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

long rmpsc_ioc_info(struct rmpsc_file *f, struct ringmpsc_info *a)
{
	struct rmpsc_chan *ch = rmpsc_file_chan(f);

	if (!ch)
		return -ENOTCONN;
	a->slot_size = ch->slot_size;
	a->capacity = ch->capacity;
	a->max_producers = ch->nr_rings;
	a->role = f->role;
	a->ring = f->role == RINGMPSC_ROLE_PRODUCER ? f->ring : ~0U;
	a->ring_flags = ch->mirrored ? RINGMPSC_RING_F_MIRRORED : 0;
	rmpsc_fill_offsets(ch, &a->off);
	return 0;
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

int rmpsc_registry_init(void)
{
	return 0;
}

void rmpsc_registry_exit(void)
{
	/* Every linked channel holds a module reference, every attached
	 * file a channel reference: nothing can be left. INV-MOD-03
	 */
	RMPSC_INV(list_empty(&rmpsc_registry), "INV-LIFE-07");
	RMPSC_INV(!atomic_long_read(&rmpsc_live_chans), "INV-LIFE-07");
	RMPSC_INV(!atomic_long_read(&rmpsc_live_pages), "INV-LIFE-07");
	RMPSC_INV(hash_empty(rmpsc_users), "INV-MOD-07");
}
