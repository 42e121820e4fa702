/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * ringmpsc: multi-producer, single-consumer channels between processes,
 * one SPSC ring per producer, rings in kernel pages that both sides mmap.
 *
 * This header is the whole ABI between the module and user space. User
 * space never hard-codes a layout: every offset it needs is reported by
 * RINGMPSC_IOC_INFO in struct ringmpsc_offsets. See spec.md.
 */
#ifndef _UAPI_LINUX_RINGMPSC_H
#define _UAPI_LINUX_RINGMPSC_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * The release this header belongs to: the module (MODULE_VERSION) and the
 * library (ringmpsc_version(), the shared object's version) take theirs
 * from here, so one number names both. Compatibility between a module and
 * a library of different releases is not decided by it: see
 * RINGMPSC_ABI_VERSION (spec.md, section 5, versions and compatibility).
 */
#define RINGMPSC_VERSION_MAJOR	1
#define RINGMPSC_VERSION_MINOR	0
#define RINGMPSC_VERSION_PATCH	0
#define RINGMPSC_VERSION_STRING	"1.0.0"

#define RINGMPSC_DEVICE		"/dev/ringmpsc"
#define RINGMPSC_ABI_VERSION	1
#define RINGMPSC_CTRL_MAGIC	0x52474d50	/* "RGMP" */

/* Limits that are part of the ABI (the module may enforce tighter ones). */
#define RINGMPSC_NAME_MAX	255	/* bytes, without the NUL; no '/' */
#define RINGMPSC_SLOT_ALIGN	8	/* slot_size is a multiple of this */
#define RINGMPSC_SLOT_MAX	4096
#define RINGMPSC_CAPACITY_MIN	2	/* slots per ring, power of two */
#define RINGMPSC_CAPACITY_MAX	(1U << 24)
#define RINGMPSC_PRODUCERS_MAX	1024
#define RINGMPSC_LINE		128	/* hot-line alignment, bytes */

/*
 * Shared memory, per ring, three regions mapped separately so that the
 * module can give each role exactly the write access it needs:
 *
 *   PROD page  tail (u64) and producer flags (u32), each on its own line.
 *              Written by the producer; read-only for the consumer.
 *   CONS page  head (u64) and consumer flags (u32), each on its own line.
 *              Written by the consumer; read-only for the producer.
 *   DATA       capacity * slot_size bytes, rounded up to whole pages. When
 *              RINGMPSC_RING_F_MIRRORED is set the data pages are mapped a
 *              second time right after the first, so any run of up to
 *              capacity slots is contiguous in virtual memory.
 *
 * tail and head are free-running 64-bit slot counters; the slot of
 * index i is at data + (i & (capacity - 1)) * slot_size.
 * 0 <= tail - head <= capacity always holds for a sane ring (INV-RING-01);
 * a reader that sees otherwise treats the ring as broken.
 */

/*
 * Where this module puts the hot words inside the PROD and CONS pages, and
 * the per-ring entries inside the control area. User space reads them from
 * RINGMPSC_IOC_INFO (struct ringmpsc_offsets) and never assumes them; they
 * are here so that the module and memory laid out by user space alone
 * (the library's local rings) share one definition. Each hot word is on a
 * line of its own, and the four differ in their offset within a page too:
 * the consumer stores head and then loads tail, and were both at offset 0
 * the CPU would take the load for one that may depend on the store (4K
 * aliasing).
 */
#define RINGMPSC_LAYOUT_TAIL_OFF	0
#define RINGMPSC_LAYOUT_PROD_FLAGS_OFF	RINGMPSC_LINE
#define RINGMPSC_LAYOUT_HEAD_OFF	(2 * RINGMPSC_LINE)
#define RINGMPSC_LAYOUT_CONS_FLAGS_OFF	(3 * RINGMPSC_LINE)
#define RINGMPSC_LAYOUT_CTRL_RING_OFF	64

/*
 * A ring geometry the ABI allows: slot_size a non-zero multiple of
 * RINGMPSC_SLOT_ALIGN up to RINGMPSC_SLOT_MAX, capacity a power of two in
 * [RINGMPSC_CAPACITY_MIN, RINGMPSC_CAPACITY_MAX]. The one definition the
 * module (CREATE) and the library (local rings, ring memory) both apply.
 */
static __inline__ int
ringmpsc_ring_geometry_valid(__u32 slot_size, __u32 capacity)
{
	return slot_size != 0 && slot_size % RINGMPSC_SLOT_ALIGN == 0 &&
	       slot_size <= RINGMPSC_SLOT_MAX &&
	       capacity >= RINGMPSC_CAPACITY_MIN &&
	       capacity <= RINGMPSC_CAPACITY_MAX &&
	       (capacity & (capacity - 1)) == 0;
}

/* Values of the producer and consumer flags words. */
#define RINGMPSC_NEED_WAKEUP	(1U << 0)	/* owner is about to sleep */

/* Control area (offset 0 of any channel fd, read-only for everyone). */
enum ringmpsc_ring_state {
	RINGMPSC_RING_UNUSED	= 0,	/* no pages allocated yet */
	RINGMPSC_RING_FREE	= 1,	/* pages exist, no producer */
	RINGMPSC_RING_ACTIVE	= 2,	/* a producer is attached */
	RINGMPSC_RING_DETACHED	= 3,	/* producer gone, contents kept */
};

enum ringmpsc_consumer_state {
	RINGMPSC_CONSUMER_ABSENT	= 0,
	RINGMPSC_CONSUMER_PRESENT	= 1,
};

/* Header at ctrl offset 0. Written only by the kernel. */
struct ringmpsc_ctrl_header {
	__u32 magic;		/* RINGMPSC_CTRL_MAGIC */
	__u32 abi_version;	/* RINGMPSC_ABI_VERSION */
	__u32 nr_rings;		/* == max_producers of the channel */
	__u32 consumer_state;	/* enum ringmpsc_consumer_state */
	/* Always 0. Earlier modules counted consumer attaches here
	 * (consumer_epoch), which nothing read: readers ignore it.
	 */
	__u32 reserved0;
	__u32 ring_epoch;	/* bumped on every ring state change */
	__u32 pad[2];
};

/* One per ring at ctrl + ctrl_ring_off + i * ctrl_ring_stride. */
struct ringmpsc_ctrl_ring {
	__u32 state;		/* enum ringmpsc_ring_state */
	__u32 generation;	/* bumped each time the ring is recycled */
	__u32 owner_pid;	/* tgid of the attached producer, 0 if none */
	__u32 pad;
};

/* Where things are; every field is filled in by RINGMPSC_IOC_INFO. */
struct ringmpsc_offsets {
	/* control area: mmap offset 0, ctrl_size bytes, PROT_READ only */
	__u64 ctrl_size;
	__u32 ctrl_header_off;
	__u32 ctrl_ring_off;
	__u32 ctrl_ring_stride;
	__u32 pad0;
	/* ring i, region R is at mmap offset ring_base + i * ring_stride + R_off */
	__u64 ring_base;
	__u64 ring_stride;
	__u64 prod_off;		/* PROD page */
	__u64 cons_off;		/* CONS page */
	__u64 data_off;		/* DATA */
	__u64 prod_size;
	__u64 cons_size;
	__u64 data_size;	/* one copy of the data, page multiple */
	__u64 data_map_size;	/* bytes to map: 2 * data_size when mirrored */
	/* byte offsets inside the PROD and CONS pages */
	__u32 tail_off;
	__u32 prod_flags_off;
	__u32 head_off;
	__u32 cons_flags_off;
};

#define RINGMPSC_RING_F_MIRRORED	(1U << 0)

/* ---- ioctls ----------------------------------------------------------- */
/*
 * Every argument struct is versioned by its size, which the command number
 * carries (_IOC_SIZE): a newer, larger struct gets a new command number
 * with the same _IOC_NR, and the module accepts any size it knows as long
 * as the bytes it does not know are zero (copy_struct_from_user). Reserved
 * fields must be zero, unknown flags are rejected with EINVAL, pointers
 * travel as __u64.
 */
#define RINGMPSC_IOC_MAGIC	0xb7

/* Create a channel. Any fd of /dev/ringmpsc; the fd stays unattached. */
#define RINGMPSC_CREATE_EXCL		(1U << 0) /* EEXIST if name exists */
#define RINGMPSC_CREATE_PREALLOC	(1U << 1) /* allocate all rings now */
#define RINGMPSC_CREATE_FLAGS		(RINGMPSC_CREATE_EXCL | \
					 RINGMPSC_CREATE_PREALLOC)
struct ringmpsc_create {
	__u64 name;		/* const char *, NUL-terminated */
	__u32 slot_size;	/* bytes, multiple of 8, <= RINGMPSC_SLOT_MAX */
	__u32 capacity;		/* slots per ring, power of two */
	__u32 max_producers;	/* rings in the channel */
	__u32 mode;		/* permission bits, like a file (0777 mask) */
	__u32 flags;		/* RINGMPSC_CREATE_* */
	__u32 reserved;		/* must be zero */
};

/* Bind this fd to a channel as its one consumer or as a new producer. */
enum ringmpsc_role {
	RINGMPSC_ROLE_PRODUCER	= 1,	/* needs write permission */
	RINGMPSC_ROLE_CONSUMER	= 2,	/* needs read permission */
};

struct ringmpsc_attach {
	__u64 name;		/* const char *, NUL-terminated */
	__u32 role;		/* enum ringmpsc_role */
	__u32 flags;		/* none defined: must be zero */
	__u32 ring;		/* out: producer's ring index */
	__u32 generation;	/* out: producer's ring generation */
	__u64 reserved;		/* must be zero */
};

/*
 * What this module does beyond RINGMPSC_ABI_VERSION, as INFO reports it:
 * a library uses a feature only when its bit is set, so a newer library
 * works with an older module and the other way round (as io_uring's
 * features word).
 */
/* A consumer's attach signals the eventfd of every producer, as its
 * departure does: a producer may sleep until a consumer arrives.
 */
#define RINGMPSC_FEAT_ATTACH_WAKES_PRODUCERS	(1ULL << 0)
#define RINGMPSC_FEATURES	RINGMPSC_FEAT_ATTACH_WAKES_PRODUCERS

/* Describe the channel this fd is attached to. The first version of this
 * struct ended before features (RINGMPSC_INFO_SIZE_VER0 bytes): the module
 * answers either size, and a module that knows only the first fills in
 * the fields it knows and zeroes the rest, features too.
 */
#define RINGMPSC_INFO_SIZE_VER0	136
struct ringmpsc_info {
	__u32 slot_size;
	__u32 capacity;
	__u32 max_producers;
	__u32 role;		/* enum ringmpsc_role of this fd */
	__u32 ring;		/* producer: own ring index; consumer: ~0 */
	__u32 ring_flags;	/* RINGMPSC_RING_F_* */
	struct ringmpsc_offsets off;
	__u64 features;		/* RINGMPSC_FEAT_* */
};

/* Register an eventfd: the consumer's "data or detach" wakeup, or this
 * producer's "space or consumer gone" wakeup. fd -1 unregisters.
 */
struct ringmpsc_eventfd {
	__s32 fd;
	__u32 flags;		/* must be zero */
};

/* Signal the peer's eventfd. Producer: the consumer's. Consumer: the
 * producer of ring @ring. Called only when the peer's NEED_WAKEUP flag is
 * set (spec.md, wakeup protocol).
 */
struct ringmpsc_wake {
	__u32 ring;		/* consumer only; producer passes 0 */
	__u32 flags;		/* must be zero */
};

/* Consumer: return a drained DETACHED ring to FREE with a new generation.
 * RINGMPSC_RECYCLE_DISCARD recycles it even if it is not drained: the
 * messages still in it are dropped (for a ring whose indices are corrupt,
 * whose contents cannot be read anyway). The first version of this struct
 * had no flags (RINGMPSC_RECYCLE_SIZE_VER0 bytes); the module accepts both.
 */
#define RINGMPSC_RECYCLE_DISCARD	(1U << 0)
#define RINGMPSC_RECYCLE_FLAGS		RINGMPSC_RECYCLE_DISCARD
#define RINGMPSC_RECYCLE_SIZE_VER0	8
struct ringmpsc_recycle {
	__u32 ring;
	__u32 generation;	/* must match: protects against stale calls */
	__u32 flags;		/* RINGMPSC_RECYCLE_* */
	__u32 reserved;		/* must be zero */
};

/* Unlink a channel name; memory lives until the last fd and mapping go. */
struct ringmpsc_unlink {
	__u64 name;
	__u64 reserved;		/* must be zero */
};

/* Kernel-side counters of the channel this fd is attached to. */
struct ringmpsc_stats {
	__u64 producer_attaches;
	__u64 producer_detaches;
	__u64 recycles;
	__u64 consumer_attaches;
	__u64 consumer_wakeups;	/* consumer eventfd signalled */
	__u64 producer_wakeups;	/* producer eventfds signalled */
	__u64 bytes_allocated;	/* allocated rings, bytes charged */
	__u64 reserved[4];
};

/* ---- queries that do not attach (spec.md section 7, "Queries") ------ */
/*
 * What LIST and STAT tell about a channel. A caller without read
 * permission on the channel gets from LIST its name only: every field
 * below is zero (flags too). LIST shows a channel that is unlinked but
 * still attached (RINGMPSC_CHAN_F_LINKED clear) only to who may read it.
 */
#define RINGMPSC_CHAN_F_READABLE	(1U << 0) /* the caller may read it */
#define RINGMPSC_CHAN_F_LINKED		(1U << 1) /* clear: unlinked, alive */
struct ringmpsc_chan_desc {
	__u32 uid;		/* owner, in the caller's user namespace */
	__u32 gid;
	__u32 mode;		/* permission bits given at CREATE */
	__u32 flags;		/* RINGMPSC_CHAN_F_* */
	__u32 slot_size;
	__u32 capacity;
	__u32 max_producers;
	__u32 consumer_state;	/* enum ringmpsc_consumer_state */
	__u32 rings_unused;	/* rings by state; they sum to max_producers */
	__u32 rings_free;
	__u32 rings_active;
	__u32 rings_detached;
	__u64 created_ns;	/* CREATE's time, CLOCK_REALTIME, ns */
	__u64 bytes_allocated;	/* memory of the allocated rings */
};

/* One channel in LIST's array. */
struct ringmpsc_list_entry {
	char name[RINGMPSC_NAME_MAX + 1];	/* NUL-terminated */
	struct ringmpsc_chan_desc desc;
};

/*
 * List the channels of the caller's IPC namespace. The module
 * writes min(count, total) entries of entry_size bytes each at entries
 * (the bytes of an entry it does not know are zeroed) and sets count to
 * how many it wrote and total to how many there are; count 0 asks for
 * the total only.
 */
#define RINGMPSC_LIST_ENTRY_SIZE_VER0	320
#define RINGMPSC_LIST_ENTRY_SIZE_MAX	4096
struct ringmpsc_list {
	__u64 entries;		/* struct ringmpsc_list_entry[count] */
	__u32 count;		/* in: room in entries; out: written */
	__u32 entry_size;	/* sizeof(struct ringmpsc_list_entry) */
	__u32 total;		/* out: channels in the namespace */
	__u32 flags;		/* none defined: must be zero */
	__u64 reserved;		/* must be zero */
};

/* Kernel-side counters of a channel since CREATE (spec.md section 7,
 * "Counters").
 */
struct ringmpsc_counters {
	__u64 producer_attaches;
	__u64 producer_detaches;
	__u64 consumer_attaches;
	__u64 consumer_detaches;
	__u64 recycles;		/* DETACHED -> FREE, discards included */
	__u64 discards;		/* recycles that dropped messages */
	__u64 consumer_wakeups;	/* consumer eventfd signalled */
	__u64 producer_wakeups;	/* producer eventfds signalled */
	__u64 refused_perm;	/* ATTACH refused: EACCES */
	__u64 refused_busy;	/* ATTACH refused: a consumer is attached */
	__u64 refused_full;	/* ATTACH refused: no ring for a producer */
	__u64 refused_nomem;	/* ATTACH refused: ENOSPC, ENOMEM */
	__u64 reserved[4];
};

/* One ring in STAT's array. head and tail are read by the module as
 * plain numbers, never trusted (INV-LIFE-08).
 */
#define RINGMPSC_STAT_RING_F_CORRUPT	(1U << 0) /* tail - head > capacity */
struct ringmpsc_stat_ring {
	__u32 state;		/* enum ringmpsc_ring_state */
	__u32 generation;
	__u32 producer_pid;	/* in the caller's pid namespace; 0: none
				 * or not visible there
				 */
	__u32 flags;		/* RINGMPSC_STAT_RING_F_* */
	__u64 head;
	__u64 tail;
	__u64 backlog;		/* tail - head; 0 when CORRUPT */
};

/*
 * Inspect the channel @name of the caller's IPC namespace without
 * attaching; needs read permission on it. Fills desc and counters, and
 * min(nr_rings, max_producers) entries of ring_size bytes at rings;
 * nr_rings is set to how many were written.
 */
#define RINGMPSC_STAT_RING_SIZE_VER0	40
#define RINGMPSC_STAT_RING_SIZE_MAX	4096
struct ringmpsc_stat {
	__u64 name;		/* const char *, NUL-terminated */
	__u64 rings;		/* struct ringmpsc_stat_ring[nr_rings] */
	__u32 nr_rings;		/* in: room in rings; out: written */
	__u32 ring_size;	/* sizeof(struct ringmpsc_stat_ring) */
	__u32 flags;		/* none defined: must be zero */
	__u32 consumer_pid;	/* out: as producer_pid */
	struct ringmpsc_chan_desc desc;		/* out */
	struct ringmpsc_counters counters;	/* out */
};

#define RINGMPSC_IOC_CREATE	_IOW(RINGMPSC_IOC_MAGIC, 1, struct ringmpsc_create)
#define RINGMPSC_IOC_ATTACH	_IOWR(RINGMPSC_IOC_MAGIC, 2, struct ringmpsc_attach)
#define RINGMPSC_IOC_INFO	_IOR(RINGMPSC_IOC_MAGIC, 3, struct ringmpsc_info)
/* The first INFO: struct ringmpsc_info without features. */
#define RINGMPSC_IOC_INFO_VER0	_IOC(_IOC_READ, RINGMPSC_IOC_MAGIC, 3, \
				     RINGMPSC_INFO_SIZE_VER0)
#define RINGMPSC_IOC_SET_EVENTFD _IOW(RINGMPSC_IOC_MAGIC, 4, struct ringmpsc_eventfd)
#define RINGMPSC_IOC_WAKE	_IOW(RINGMPSC_IOC_MAGIC, 5, struct ringmpsc_wake)
#define RINGMPSC_IOC_RECYCLE	_IOW(RINGMPSC_IOC_MAGIC, 6, struct ringmpsc_recycle)
/* The first RECYCLE: struct ringmpsc_recycle without flags and reserved. */
#define RINGMPSC_IOC_RECYCLE_VER0 _IOC(_IOC_WRITE, RINGMPSC_IOC_MAGIC, 6, \
				       RINGMPSC_RECYCLE_SIZE_VER0)
#define RINGMPSC_IOC_UNLINK	_IOW(RINGMPSC_IOC_MAGIC, 7, struct ringmpsc_unlink)
#define RINGMPSC_IOC_STATS	_IOR(RINGMPSC_IOC_MAGIC, 8, struct ringmpsc_stats)
#define RINGMPSC_IOC_LIST	_IOWR(RINGMPSC_IOC_MAGIC, 9, struct ringmpsc_list)
#define RINGMPSC_IOC_STAT	_IOWR(RINGMPSC_IOC_MAGIC, 10, struct ringmpsc_stat)

#endif /* _UAPI_LINUX_RINGMPSC_H */
