// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: per-owner memory accounting and its limit, bytes_per_user
 * (spec.md section 7, "Limits"; INV-MOD-07).
 *
 * One account per owner kuid, across all namespaces, holds all the memory
 * the module allocates for each live channel the owner created (the
 * channel, its ring table and control area, every allocated ring),
 * from CREATE until the channel is freed, whether it is still linked or
 * not: a user cannot escape the limit by unlinking channels it keeps
 * attached.
 */
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "invariants.h"
#include "rmpsc.h"

static unsigned long bytes_per_user = 256UL << 20;
module_param(bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(bytes_per_user,
		 "Memory of all live channels one uid owns, linked or not (ENOSPC beyond)");

struct rmpsc_user {
	struct hlist_node node;		/* rmpsc_users, under rmpsc_users_lock */
	kuid_t uid;
	unsigned int chans;		/* channels holding this account */
	u64 bytes;			/* charged to it */
};

static DEFINE_SPINLOCK(rmpsc_users_lock);
static DEFINE_HASHTABLE(rmpsc_users, 6);

/*
 * The memory kmalloc() takes for @size bytes, which is what a charge
 * counts: the slab object, or whole pages in powers of two beyond the
 * largest slab. kvmalloc()'s vmalloc fallback takes whole pages, no more
 * than that but for its own small bookkeeping.
 */
u64 rmpsc_kmalloc_bytes(size_t size)
{
	return kmalloc_size_roundup(size);
}

/* The account of @uid, with one more channel holding it. */
struct rmpsc_user *rmpsc_user_get(kuid_t uid)
{
	struct rmpsc_user *u, *fresh;

	fresh = kzalloc(sizeof(*fresh), RMPSC_GFP_USER);
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
void rmpsc_user_put(struct rmpsc_user *u, u64 bytes)
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
int rmpsc_charge(struct rmpsc_chan *ch, u64 bytes)
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

void rmpsc_uncharge(struct rmpsc_chan *ch, u64 bytes)
{
	spin_lock(&rmpsc_users_lock);
	ch->user->bytes -= bytes;
	spin_unlock(&rmpsc_users_lock);
	ch->charged -= bytes;
}

/* At module exit: no channel is left, so no account is. INV-MOD-07 */
void rmpsc_account_exit(void)
{
	RMPSC_INV(hash_empty(rmpsc_users), "INV-MOD-07");
}
