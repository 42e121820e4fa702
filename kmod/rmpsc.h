/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringmpsc: module-internal types shared by the source files, and the
 * module's locking rules.
 *
 * Lock ordering, outermost first: a lock may be taken while any of those
 * above it on its branch are held, never the other way round.
 *
 *   rmpsc_file.lock			mutex, one per open file
 *     rmpsc_registry_lock		mutex, global (registry.c)
 *     rmpsc_chan.lock			mutex, one per channel
 *       rmpsc_users_lock		spinlock, global (account.c)
 *       rmpsc_chan.efd_lock		spinlock, one per channel
 *         eventfd_ctx wqh.lock		(inside eventfd_signal())
 *
 * rmpsc_registry_lock and rmpsc_chan.lock are never held together: ATTACH
 * takes its channel reference under the first and releases it before
 * taking the second. rmpsc_users_lock and efd_lock never nest.
 *
 * rmpsc_file.lock: serialises ATTACH on one fd; guards the writing of the
 *   fd's chan, role, ring and mm, which are fixed once chan is published.
 *   Release takes no lock for it: no ioctl of that file runs any more.
 * rmpsc_registry_lock: the registry list and the list of unlinked
 *   channels (rmpsc_chan.node), ->linked, and the namespace runs that
 *   reaping walks.
 * rmpsc_chan.lock: the ring and consumer lifecycle: every ring's state,
 *   generation and producer, ->consumer, page allocation and zeroing,
 *   the control area, the flags words the module clears, ->charged, the
 *   u64 stats, and the writing of eventfd pointers (with efd_lock).
 * rmpsc_users_lock: the per-uid accounts (hash table, chans, bytes).
 * rmpsc_chan.efd_lock: the eventfd pointers (->cons_efd, each ring's
 *   ->efd) against WAKE, which reads and signals them under this lock
 *   alone; they are written under rmpsc_chan.lock as well.
 *
 * Context: every lock is taken in process context only (ioctls and file
 * release), never from an interrupt, so the spinlocks are plain
 * spin_lock().
 * The mutexes may be held across sleeping allocation and page zeroing;
 * nothing sleeps under a spinlock. rmpsc_chan_put() may free the channel
 * and takes rmpsc_registry_lock and rmpsc_users_lock: call it without
 * rmpsc_registry_lock and rmpsc_chan.lock.
 *
 * mmap_lock never nests with these locks: rmpsc_mmap() and the fault
 * handler (under mmap_lock) take none of them, and no user memory is
 * touched while one is held (arguments are copied in and out by main.c,
 * names by rmpsc_get_name(), before any lock). Release runs from fput()'s
 * deferred work (task work or the delayed-fput worker), never under
 * mmap_lock, even when the last reference was a vma.
 *
 * Without a lock: rmpsc_file.chan (store-release at ATTACH, then read with
 * rmpsc_file_chan()), rmpsc_chan.rings[i] (store-release once the ring
 * and its pages exist, under rmpsc_chan.lock; read with rmpsc_ring_get()
 * by mmap, the fault handler and WAKE), the wakeup and refusal counters
 * (atomic64), the channel's kref, and what CREATE sets before the channel
 * is linked (name, owner, mode, geometry, created_ns).
 *
 * LIST and STAT (query.c) take references under rmpsc_registry_lock,
 * drop it, then take each channel's lock in turn; they copy to user
 * memory with no lock held.
 */
#ifndef RMPSC_H
#define RMPSC_H

#include <linux/atomic.h>
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <asm/barrier.h>

#include <linux/ringmpsc.h>

/*
 * What CREATE and ATTACH allocate for a user, charged to the caller's
 * memory cgroup: when the cgroup (or the machine) has no more, the call
 * fails with ENOMEM instead of OOM-killing the caller or a bystander
 * (__GFP_RETRY_MAYFAIL), and logs nothing: the limit is the caller's.
 */
#define RMPSC_GFP_USER	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

struct ipc_namespace;
struct pid;
struct rmpsc_file;
struct seq_file;
struct rmpsc_user;

/* A ring's kernel state, allocated with its pages (UNUSED -> FREE): an
 * UNUSED ring costs the channel one pointer (INV-MOD-07).
 */
struct rmpsc_ring {
	struct page *prod;		/* tail, producer flags */
	struct page *cons;		/* head, consumer flags */
	struct rmpsc_file *producer;	/* attached producer, under lock */
	struct eventfd_ctx *efd;	/* producer's eventfd, see efd_lock */
	struct pid *pid;		/* attached producer's tgid, under lock */
	u32 state;			/* kernel copy of ctrl state */
	u32 generation;			/* kernel copy of ctrl generation */
	struct page *data[];		/* chan->data_pages pages */
};

/* What the counters count: spec.md section 7, "Counters". */
struct rmpsc_stats {
	u64 producer_attaches;
	u64 producer_detaches;
	u64 recycles;
	u64 discards;
	u64 consumer_attaches;
	u64 consumer_detaches;
	atomic64_t consumer_wakeups;
	atomic64_t producer_wakeups;
	atomic64_t refused_perm;	/* under the registry lock, not ->lock */
	atomic64_t refused_busy;
	atomic64_t refused_full;
	atomic64_t refused_nomem;
	u64 bytes_allocated;		/* allocated rings, bytes charged */
};

struct rmpsc_chan {
	struct kref ref;
	struct list_head node;		/* registry or unlinked list */
	bool linked;			/* name visible, under registry lock */
	struct ipc_namespace *ns;	/* pinned from link to free */
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	struct rmpsc_user *user;	/* owner's account, charged below */
	u64 charged;			/* bytes charged to user, under lock */
	char name[RINGMPSC_NAME_MAX + 1];
	u64 created_ns;			/* CLOCK_REALTIME at CREATE */

	u32 slot_size;
	u32 capacity;
	u32 nr_rings;
	bool mirrored;
	unsigned long data_pages;	/* pages of one copy of DATA */
	unsigned long ctrl_pages;
	unsigned long ring_stride_pages;	/* PROD + CONS + DATA map */
	u64 base_bytes;			/* memory of the channel without rings */
	u64 ring_bytes;			/* memory of one allocated ring */

	void *ctrl;			/* ctrl_pages pages, kernel address */

	struct mutex lock;		/* the lifecycle; see the top */
	struct rmpsc_file *consumer;	/* under lock */
	struct pid *consumer_pid;	/* its tgid, under lock */
	spinlock_t efd_lock;		/* eventfd pointers; see the top */
	struct eventfd_ctx *cons_efd;	/* consumer's eventfd, see efd_lock */
	struct rmpsc_stats stats;	/* u64 fields under lock */
	struct rmpsc_ring **rings;	/* nr_rings; NULL while UNUSED */
};

/* Per open file of /dev/ringmpsc. */
struct rmpsc_file {
	struct mutex lock;		/* serialises attach on this fd */
	struct rmpsc_chan *chan;	/* NULL until attached; then fixed */
	u32 role;			/* enum ringmpsc_role */
	u32 ring;			/* producer's ring index */
	struct mm_struct *mm;		/* mm that attached (mmgrab'd) */
};

/* The argument of any ioctl, copied in and out by main.c. */
union rmpsc_ioc_arg {
	struct ringmpsc_create create;
	struct ringmpsc_attach attach;
	struct ringmpsc_info info;
	struct ringmpsc_eventfd efd;
	struct ringmpsc_wake wake;
	struct ringmpsc_recycle recycle;
	struct ringmpsc_unlink unlink;
	struct ringmpsc_stats stats;
	struct ringmpsc_list list;
	struct ringmpsc_stat stat;
};

/* The channel of an attached fd, or NULL; fixed once set. */
static inline struct rmpsc_chan *rmpsc_file_chan(struct rmpsc_file *f)
{
	/* Pairs with the store-release in rmpsc_ioc_attach(): the role,
	 * ring and mm of the fd are visible once the channel is.
	 */
	return smp_load_acquire(&f->chan);
}

/* Ring @i of @ch, or NULL while it is UNUSED. Set once, never freed
 * before the channel (INV-MOD-01).
 */
static inline struct rmpsc_ring *rmpsc_ring_get(struct rmpsc_chan *ch, u32 i)
{
	/* Pairs with the store-release in rmpsc_ring_alloc(): the ring's
	 * pages are visible once the ring is.
	 */
	return smp_load_acquire(&ch->rings[i]);
}

/* The state of ring @i. Under ch->lock. */
static inline u32 rmpsc_ring_state(struct rmpsc_chan *ch, u32 i)
{
	return ch->rings[i] ? ch->rings[i]->state : RINGMPSC_RING_UNUSED;
}

/* Live objects, for the leak check at module exit (INV-LIFE-07). */
extern atomic_long_t rmpsc_live_chans;
extern atomic_long_t rmpsc_live_pages;

/* registry.c */
void rmpsc_registry_exit(void);
int rmpsc_get_name(char *buf, u64 uptr);
struct rmpsc_chan *rmpsc_registry_find(const char *name, int mask);
unsigned int rmpsc_registry_collect(struct rmpsc_chan **out, unsigned int max,
				    unsigned int *got);
int rmpsc_permission(struct rmpsc_chan *ch, int mask);
void rmpsc_registry_forget(struct rmpsc_chan *ch);
long rmpsc_ioc_create(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
long rmpsc_ioc_unlink(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);

/* channel.c */
int rmpsc_chan_check_create(const struct ringmpsc_create *a);
struct rmpsc_chan *rmpsc_chan_new(const struct ringmpsc_create *a,
				  const char *name);
void rmpsc_chan_put(struct rmpsc_chan *ch);

/* account.c */
u64 rmpsc_kmalloc_bytes(size_t size);
struct rmpsc_user *rmpsc_user_get(kuid_t uid);
void rmpsc_user_put(struct rmpsc_user *u, u64 bytes);
int rmpsc_charge(struct rmpsc_chan *ch, u64 bytes);
void rmpsc_uncharge(struct rmpsc_chan *ch, u64 bytes);
void rmpsc_account_exit(void);

/* lifecycle.c */
int rmpsc_prealloc_rings(struct rmpsc_chan *ch);
long rmpsc_ioc_attach(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
long rmpsc_ioc_recycle(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
long rmpsc_ioc_stats(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
void rmpsc_file_detach(struct rmpsc_file *f);

/* memory.c */
void rmpsc_layout(struct rmpsc_chan *ch);
int rmpsc_ctrl_alloc(struct rmpsc_chan *ch);
void rmpsc_ctrl_free(struct rmpsc_chan *ch);
struct ringmpsc_ctrl_header *rmpsc_ctrl_header(struct rmpsc_chan *ch);
struct ringmpsc_ctrl_ring *rmpsc_ctrl_ring(struct rmpsc_chan *ch, u32 i);
int rmpsc_ring_alloc(struct rmpsc_chan *ch, u32 i);
void rmpsc_ring_free(struct rmpsc_chan *ch, struct rmpsc_ring *r);
void rmpsc_ring_zero(struct rmpsc_chan *ch, struct rmpsc_ring *r);
u64 rmpsc_ring_load_tail(struct rmpsc_ring *r);
u64 rmpsc_ring_load_head(struct rmpsc_ring *r);
void rmpsc_ring_clear_flags(struct rmpsc_chan *ch, struct rmpsc_ring *r,
			    u32 role);
long rmpsc_ioc_info(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
int rmpsc_mmap(struct rmpsc_file *f, struct vm_area_struct *vma);

/* query.c */
long rmpsc_ioc_list(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
long rmpsc_ioc_stat(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
void rmpsc_show_fdinfo(struct seq_file *m, struct rmpsc_file *f);

/* wake.c */
long rmpsc_ioc_set_eventfd(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
long rmpsc_ioc_wake(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
void rmpsc_wake_consumer(struct rmpsc_chan *ch);
void rmpsc_wake_producer_left(struct rmpsc_chan *ch, u32 ring);
void rmpsc_wake_consumer_left(struct rmpsc_chan *ch);
void rmpsc_wake_consumer_arrived(struct rmpsc_chan *ch);

#endif /* RMPSC_H */
