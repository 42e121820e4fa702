// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: the channel registry: names per IPC namespace, reaping of dead
 * namespaces, permissions, and the limit on the channels one uid may own
 * (spec.md section 7, "Names and namespaces", "Permissions", "Limits").
 * The channel object itself, from CREATE's arguments to its last
 * reference, is channel.c's.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/ipc_namespace.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "invariants.h"
#include "rmpsc.h"
#include "trace.h"

static unsigned int channels_per_user = 64;
module_param(channels_per_user, uint, 0644);
MODULE_PARM_DESC(channels_per_user,
		 "Linked channels one uid may own in a namespace (EMFILE beyond)");

/* Linked channels of every namespace; lookups compare the namespace. The
 * channels of one namespace are kept next to each other, so that a dead
 * namespace is found in one pass (rmpsc_reap_orphans()).
 */
static DEFINE_MUTEX(rmpsc_registry_lock);
static LIST_HEAD(rmpsc_registry);
/* Channels unlinked but still attached, until they are freed: LIST shows
 * them (to who may read them). Each keeps its namespace pinned till then.
 */
static LIST_HEAD(rmpsc_unlinked_list);

/*
 * Drop a channel's reference on its IPC namespace. put_ipc_ns() is not
 * exported by every kernel (6.1), but every namespace carries its own
 * operations, whose put is the same call: the last reference frees the
 * namespace, its mqueue mount and the ucounts of its creator.
 */
static void rmpsc_put_ipc_ns(struct ipc_namespace *ns)
{
	ns->ns.ops->put(&ns->ns);
}

/* The last reference to @ch, once linked, is gone: take it off the
 * unlinked list and let its namespace go.
 */
void rmpsc_registry_forget(struct rmpsc_chan *ch)
{
	mutex_lock(&rmpsc_registry_lock);
	list_del(&ch->node);
	mutex_unlock(&rmpsc_registry_lock);
	rmpsc_put_ipc_ns(ch->ns);
}

/* Copy and check a channel name: 1..NAME_MAX bytes, NUL-terminated, no '/'. */
int rmpsc_get_name(char *buf, u64 uptr)
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
int rmpsc_permission(struct rmpsc_chan *ch, int mask)
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

/* Drop what a linked channel held, once it is off the registry list;
 * it waits on the unlinked list for its last attachment, its namespace
 * pinned (rmpsc_chan_free() lets go of both). The caller holds a module
 * reference of its own (an open fd).
 */
static void rmpsc_unlinked(struct rmpsc_chan *ch)
{
	mutex_lock(&rmpsc_registry_lock);
	list_add_tail(&ch->node, &rmpsc_unlinked_list);
	mutex_unlock(&rmpsc_registry_lock);
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

long rmpsc_ioc_create(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	const struct ringmpsc_create *a = &arg->create;
	struct ipc_namespace *ns = rmpsc_current_ns();
	char name[RINGMPSC_NAME_MAX + 1];
	struct rmpsc_chan *ch, *old;
	int ret;

	ret = rmpsc_get_name(name, a->name);
	if (ret)
		return ret;
	ret = rmpsc_chan_check_create(a);
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
	trace_ringmpsc_create(ch);
	return 0;

out_unlock:
	mutex_unlock(&rmpsc_registry_lock);
	rmpsc_chan_put(ch);
	return ret;
}

long rmpsc_ioc_unlink(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	const struct ringmpsc_unlink *a = &arg->unlink;
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
	trace_ringmpsc_unlink(ch);
	rmpsc_unlinked(ch);
	return 0;
}

/* The linked channel @name of the caller's namespace, with a reference
 * for the caller, if the caller may attach to it with access @mask (a
 * refusal is counted); with @mask 0, whatever its permissions (STAT).
 */
struct rmpsc_chan *rmpsc_registry_find(const char *name, int mask)
{
	struct rmpsc_chan *ch;
	int ret;

	mutex_lock(&rmpsc_registry_lock);
	ch = rmpsc_lookup(rmpsc_current_ns(), name);
	if (!ch) {
		ret = -ENOENT;
		goto out;
	}
	ret = mask ? rmpsc_permission(ch, mask) : 0;
	if (ret) {
		atomic64_inc(&ch->stats.refused_perm);
		goto out;
	}
	kref_get(&ch->ref);
out:
	mutex_unlock(&rmpsc_registry_lock);
	return ret ? ERR_PTR(ret) : ch;
}

/* Take a reference to @ch for LIST, if it is of @ns and still alive (an
 * unlinked channel may be on its way to rmpsc_chan_free()). Counts it in
 * *@total, and stores it in @out while there is room.
 */
static void rmpsc_collect_one(struct rmpsc_chan *ch, struct ipc_namespace *ns,
			      struct rmpsc_chan **out, unsigned int max,
			      unsigned int *got, unsigned int *total)
{
	if (ch->ns != ns || !kref_read(&ch->ref))
		return;
	if (*total < max && kref_get_unless_zero(&ch->ref))
		out[(*got)++] = ch;
	++*total;
}

/* References to the first @max channels of the caller's namespace in
 * @out, their number in *@got; returns how many there are in all. The
 * linked ones, then those unlinked but alive that the caller may read
 * (for the others, the name has gone).
 */
unsigned int rmpsc_registry_collect(struct rmpsc_chan **out, unsigned int max,
				    unsigned int *got)
{
	struct ipc_namespace *ns = rmpsc_current_ns();
	struct rmpsc_chan *ch;
	unsigned int total = 0;

	*got = 0;
	mutex_lock(&rmpsc_registry_lock);
	list_for_each_entry(ch, &rmpsc_registry, node)
		rmpsc_collect_one(ch, ns, out, max, got, &total);
	list_for_each_entry(ch, &rmpsc_unlinked_list, node)
		if (!rmpsc_permission(ch, MAY_READ))
			rmpsc_collect_one(ch, ns, out, max, got, &total);
	mutex_unlock(&rmpsc_registry_lock);
	return total;
}

void rmpsc_registry_exit(void)
{
	/* Every linked channel holds a module reference, every attached
	 * file a channel reference: nothing can be left. INV-MOD-03
	 */
	RMPSC_INV(list_empty(&rmpsc_registry), "INV-LIFE-07");
	RMPSC_INV(list_empty(&rmpsc_unlinked_list), "INV-LIFE-07");
	RMPSC_INV(!atomic_long_read(&rmpsc_live_chans), "INV-LIFE-07");
	RMPSC_INV(!atomic_long_read(&rmpsc_live_pages), "INV-LIFE-07");
	rmpsc_account_exit();
}
