/* SPDX-License-Identifier: MIT */
/*
 * libringmpsc: multi-producer, single-consumer channels between processes.
 *
 * Each producer owns one SPSC ring; the consumer polls every ring. The
 * fast paths (reserve/commit/send, peek/release/consume) are static inline
 * here and make no system call; the slow paths (setup, waits, wakeups) live
 * in the library. Every function returns 0 or a count on success and a
 * negative errno on failure; nothing here aborts, exits or prints.
 *
 * Memory ordering follows spec.md; each access to shared memory goes
 * through <ringmpsc/barrier.h> and names its pair and its INV- id. The
 * pairs are drawn before the producer fast path below.
 */
#ifndef RINGMPSC_H
#define RINGMPSC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/ringmpsc.h>
#include <ringmpsc/barrier.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tests include lib/invariants.h first to turn these into assertions. */
#ifndef RINGMPSC_INV
#define RINGMPSC_INV(cond, id) ((void)0)
#endif

#define RINGMPSC_LIKELY(x)	__builtin_expect(!!(x), 1)
#define RINGMPSC_UNLIKELY(x)	__builtin_expect(!!(x), 0)
#define RINGMPSC_MUST_USE	__attribute__((warn_unused_result))
/* A compile-time check, in the C and the C++ the headers compile as. */
#ifdef __cplusplus
#define RINGMPSC_STATIC_ASSERT(e, msg)	static_assert(e, msg)
#else
#define RINGMPSC_STATIC_ASSERT(e, msg)	_Static_assert(e, msg)
#endif

/* Where one ring lives in this process, as a module mapping or any other
 * memory with the layout of struct ringmpsc_offsets.
 */
struct ringmpsc_ring_mem {
	void *prod;		/* PROD page: tail, producer flags */
	void *cons;		/* CONS page: head, consumer flags */
	void *data;		/* DATA, mirrored or not */
	uint32_t tail_off;
	uint32_t prod_flags_off;
	uint32_t head_off;
	uint32_t cons_flags_off;
	uint32_t slot_size;
	uint32_t capacity;
	bool mirrored;
};

/* Per-handle counters, private to the handle: plain increments. */
struct ringmpsc_producer_stats {
	uint64_t messages;	/* slots committed */
	uint64_t commits;	/* tail publications */
	uint64_t full;		/* reserve found the ring full */
	uint64_t wakeups;	/* consumer wakeups requested */
};

struct ringmpsc_consumer_stats {
	uint64_t messages;	/* slots released */
	uint64_t batches;	/* head publications */
	uint64_t empty;		/* tail refreshes that found nothing */
	uint64_t wakeups;	/* producer wakeups requested */
	uint64_t broken;	/* rings found corrupt (INV-RING-10) */
};

/* What a handle's backend (module channel, local rings, bare ring memory)
 * does for it; private to the library.
 */
struct ringmpsc_producer_ops;
struct ringmpsc_consumer_ops;

/* A producer: the writer of exactly one ring (INV-RING-04). */
struct ringmpsc_producer {
	/* hot, private to this process (INV-RING-11) */
	uint64_t tail;		/* next index to reserve */
	uint64_t cached_head;	/* last head seen; only lags head */
	uint32_t pending;	/* slots in the open reservation */
	uint32_t mask;
	uint32_t slot_size;
	uint32_t capacity;
	bool mirrored;
	bool asym_barrier;	/* compiler barrier on commit (INV-WAKE-02) */
	unsigned char *data;
	uint64_t *tail_p;		/* shared, written by us */
	const uint64_t *head_p;		/* shared, written by the consumer */
	uint32_t *flags_p;		/* shared: our NEED_WAKEUP */
	const uint32_t *peer_flags_p;	/* shared: the consumer's NEED_WAKEUP */
	struct ringmpsc_producer_stats stats;
	/* slow path */
	const struct ringmpsc_producer_ops *ops;	/* NULL: closed */
	void *backend;		/* the backend's own state */
	int wait_fd;		/* eventfd this producer sleeps on, or -1 */
	uint32_t ring;		/* ring index in the channel */
};

/* The consumer's private view of one ring. */
struct ringmpsc_cring {
	uint64_t head;		/* authoritative, private (INV-RING-10) */
	uint64_t cached_tail;	/* last tail seen; only lags tail */
	uint32_t peeked;	/* messages the last peek handed out */
	uint32_t taken;		/* read past head, not released (INV-RING-12) */
	const uint64_t *tail_p;		/* shared, written by the producer */
	uint64_t *head_p;		/* shared, written by us */
	uint32_t *flags_p;		/* shared: our NEED_WAKEUP in this ring */
	const uint32_t *peer_flags_p;	/* shared: the producer's NEED_WAKEUP */
	const unsigned char *data;
	uint32_t generation;
	bool asym_barrier;	/* compiler barrier on release (INV-WAKE-02) */
	bool live;		/* mapped and carrying a producer's messages */
	bool detached;		/* producer gone: recycle once drained */
	bool broken;		/* INV-RING-10 violated: never read again */
};

/* The one consumer of a channel (or of a set of local rings). */
struct ringmpsc_consumer {
	uint32_t nr_rings;
	uint32_t slot_size;
	uint32_t capacity;
	uint32_t mask;
	bool mirrored;
	struct ringmpsc_cring *rings;	/* nr_rings entries */
	const uint32_t *ring_epoch_p;	/* shared, kernel-written; without a
					 * module a word that never changes */
	uint32_t ring_epoch;		/* last epoch acted on */
	uint32_t start;			/* round-robin start of the next scan */
	uint32_t *hot;			/* rings that had messages at the last scan */
	uint32_t nr_hot;
	uint32_t since_scan;		/* messages consumed since the last full scan */
	int map_err;			/* a live ring failed to map: retried
					 * before every sleep (INV-WAKE-03) */
	struct ringmpsc_consumer_stats stats;
	const struct ringmpsc_consumer_ops *ops;	/* NULL: closed */
	void *backend;			/* the backend's own state */
	int wait_fd;			/* eventfd the consumer sleeps on, or -1 */
};

/* ---- slow paths, in the library --------------------------------------- */
/*
 * What differs between backends (a module channel, local rings, bare ring
 * memory) is behind these calls; the fast paths below do not know which
 * backend a handle has.
 */

/* Ask the consumer to wake (its NEED_WAKEUP was seen set). */
int ringmpsc_producer_wake_peer(struct ringmpsc_producer *p);
/* Ask the producer of ring @ring to wake. */
int ringmpsc_consumer_wake_peer(struct ringmpsc_consumer *c, uint32_t ring);
/* Re-read ring states from the control area: map new rings, note
 * detached ones, recycle drained ones. No-op without a module.
 */
int ringmpsc_consumer_refresh(struct ringmpsc_consumer *c);
/* A detached ring was drained: hand it back to the module. */
int ringmpsc_consumer_recycle(struct ringmpsc_consumer *c, uint32_t ring);
/* Reset *c to a consumer of @nr_rings rings of bare memory, not yet bound
 * (ringmpsc_cring_init() binds each): allocates c->rings and c->hot, sets
 * no peer to wake and ring states that never change.
 * ringmpsc_consumer_close() frees it.
 */
int ringmpsc__consumer_alloc(struct ringmpsc_consumer *c, uint32_t nr_rings);

/* Bind a producer or a consumer ring view to memory with the ABI layout. */
int ringmpsc_producer_init(struct ringmpsc_producer *p,
			   const struct ringmpsc_ring_mem *mem);
int ringmpsc_cring_init(struct ringmpsc_cring *r,
			const struct ringmpsc_ring_mem *mem);

/* ---- channels of the module (/dev/ringmpsc) --------------------------- */

struct ringmpsc_channel_attr {
	uint32_t slot_size;	/* bytes, multiple of 8, <= 4096 */
	uint32_t capacity;	/* slots per ring, power of two */
	uint32_t max_producers;
	uint32_t mode;		/* permission bits, e.g. 0600 */
	uint32_t flags;		/* RINGMPSC_CREATE_* */
};

/*
 * Every call that opens /dev/ringmpsc (create, unlink, both opens) returns
 * -ENODEV when the module is not loaded (no /dev/ringmpsc, or a node
 * without a driver behind it), never -ENOENT, which means "no such
 * channel".
 */
int ringmpsc_create(const char *name, const struct ringmpsc_channel_attr *attr);
int ringmpsc_unlink(const char *name);

/* Attach to channel @name and map its memory. A producer gets a free ring;
 * the consumer is exclusive (-EBUSY if one is attached).
 */
int ringmpsc_producer_open(struct ringmpsc_producer *p, const char *name);
int ringmpsc_consumer_open(struct ringmpsc_consumer *c, const char *name);
/* Close a handle of any backend (a channel's, a local ring's): detach and
 * unmap, free what it holds, leave it closed; closing a closed or zeroed
 * handle does nothing. A producer's committed messages stay deliverable.
 */
void ringmpsc_producer_close(struct ringmpsc_producer *p);
void ringmpsc_consumer_close(struct ringmpsc_consumer *c);

/* Is a consumer attached? Always true without a module. */
bool ringmpsc_consumer_present(const struct ringmpsc_producer *p);
/* The module's counters of the handle's channel. -EOPNOTSUPP: not a
 * module channel (local rings).
 */
int ringmpsc_producer_channel_stats(const struct ringmpsc_producer *p,
				    struct ringmpsc_stats *out);
int ringmpsc_consumer_channel_stats(const struct ringmpsc_consumer *c,
				    struct ringmpsc_stats *out);

/* ---- blocking calls (timeout_ms < 0: forever) ------------------------- */

/* Wait until @n slots are free. -ETIMEDOUT, -EINTR, -EPIPE (no consumer:
 * a channel's blocking producer gives up rather than wait forever).
 */
int ringmpsc_wait_space(struct ringmpsc_producer *p, uint32_t n, int timeout_ms);
/* try_send, waiting for space when full. */
int ringmpsc_send(struct ringmpsc_producer *p, const void *msg, size_t len,
		  int timeout_ms);
/* Wait until some ring has a message or changed state. 0 when there may
 * be work, -ETIMEDOUT, -EINTR.
 */
int ringmpsc_wait(struct ringmpsc_consumer *c, int timeout_ms);

/* ---- event loops: each side's eventfd and its prepare/finish ---------- */
/*
 * To sleep in your own poll/epoll/io_uring/libuv loop instead of in a
 * blocking call (spec.md section 8; <ringmpsc/epoll.h>, <ringmpsc/uring.h>
 * and <ringmpsc/uv.h> do this for you):
 *
 *	r = ringmpsc_wait_prepare(c);	  (producer: ..._wait_prepare(p, n, f))
 *	if (r == 1)		work (room) now: do not sleep
 *	else if (r == 0)	sleep until the eventfd is readable
 *	else if ((ms = ringmpsc_wait_retry_ms(r)) >= 0)
 *				sleep at most ms, whatever the eventfd says
 *	else			r is final: report it
 *	ringmpsc_wait_finish(c);	  (producer: ..._wait_finish(p))
 *	... consume (send), then prepare again before the next sleep ...
 *
 * The eventfds are nonblocking; what makes one readable stays until the
 * finish, so a loop may start polling it at any time after the prepare
 * (epoll, a multishot or one-shot io_uring poll, uv_poll_t) and no order
 * of prepare, poll and wakeup loses one (INV-STREAM-01). Call the finish
 * after every prepare that returned 0 or an error with a retry; after 1
 * it is harmless.
 */

/* The eventfd the consumer sleeps on. -EOPNOTSUPP: none (bare memory). */
int ringmpsc_consumer_eventfd(const struct ringmpsc_consumer *c);
/* 1: a ring has messages or changed state; 0: NEED_WAKEUP is set in
 * every live ring, sleep; negative: -EOPNOTSUPP (no eventfd), or a wakeup
 * cannot be promised (INV-WAKE-06): the errno of a failed membarrier()
 * (seccomp), -ENOMEM (a ring could not be mapped).
 */
int ringmpsc_wait_prepare(struct ringmpsc_consumer *c);
/* Clear NEED_WAKEUP, drop the eventfd's count. */
void ringmpsc_wait_finish(struct ringmpsc_consumer *c);

/* The eventfd the producer sleeps on. -EOPNOTSUPP: none (bare memory). */
int ringmpsc_producer_eventfd(const struct ringmpsc_producer *p);

/* ringmpsc_producer_wait_prepare() flags. */
#define RINGMPSC_WAIT_CONSUMER	(1U << 0)	/* also wait for a consumer */

/*
 * Get ready to sleep until @n slots are free (1 <= n <= capacity), with
 * RINGMPSC_WAIT_CONSUMER until a consumer is attached too (module
 * channels; the other backends always have one). 1: ready now; 0:
 * NEED_WAKEUP is set, sleep on the eventfd: a release by the consumer, its
 * departure, and (with the flag) its arrival make it readable. Negative:
 * -EINVAL (bad n or flags), -EBADF (closed handle), -EOPNOTSUPP (no
 * eventfd), -EPIPE (fewer than n free and no consumer attached to free
 * them, without the flag; INV-STREAM-03), -ENOTCONN (with the flag: room
 * but no consumer, and the module does not announce arrivals, so retry
 * in slices), or a wakeup cannot be promised: the errno of a failed
 * membarrier() (INV-WAKE-06).
 */
int ringmpsc_producer_wait_prepare(struct ringmpsc_producer *p, uint32_t n,
				   uint32_t flags);
/* Clear NEED_WAKEUP, drop the eventfd's count. */
void ringmpsc_producer_wait_finish(struct ringmpsc_producer *p);

/*
 * Before a waiter of either side (the blocking calls with a timeout other
 * than 0, and the prepares) arms NEED_WAKEUP and pays for membarrier()
 * and its peer's wake call, it polls its ring for up to this many ns with
 * a pause between looks: a peer that publishes within that time costs
 * neither side a system call. Process-wide; 0 turns spinning off. Returns
 * the previous bound. Default RINGMPSC_WAIT_SPIN_NS.
 */
#define RINGMPSC_WAIT_SPIN_NS	2000
uint32_t ringmpsc_set_wait_spin_ns(uint32_t ns);

/* Longest sleep, ms, after a wakeup that cannot be promised (INV-WAKE-06),
 * and while waiting for a consumer whose arrival is not announced.
 */
#define RINGMPSC_WAIT_SLICE_MS		1
#define RINGMPSC_WAIT_ATTACH_SLICE_MS	10

/*
 * After a wait_prepare of either side returned @err < 0: the longest time
 * in ms the caller may sleep before preparing again (the eventfd may stay
 * silent meanwhile), or -1 when @err is final and must be reported:
 * -EINVAL, -EBADF, -EOPNOTSUPP, -EPIPE.
 */
int ringmpsc_wait_retry_ms(int err);

/* ---- the library ------------------------------------------------------- */

/* The release of the library running, "MAJOR.MINOR.PATCH": compare it
 * with RINGMPSC_VERSION_STRING, the release of the headers a program was
 * built with. Never NULL.
 */
const char *ringmpsc_version(void);

/* ---- local rings: same layout in a shared memfd, no module ------------ */
/*
 * For threads of one process or processes forked after creation. The
 * memory is MAP_SHARED and the wakeup eventfds are inherited across fork.
 */
#define RINGMPSC_LOCAL_NO_MIRROR	(1U << 0)	/* map data once */

struct ringmpsc_local;

int ringmpsc_local_create(struct ringmpsc_local **out, uint32_t nr_rings,
			  uint32_t slot_size, uint32_t capacity, uint32_t flags);
void ringmpsc_local_destroy(struct ringmpsc_local *l);
int ringmpsc_local_ring_mem(const struct ringmpsc_local *l, uint32_t ring,
			    struct ringmpsc_ring_mem *out);
/* Handles of local rings; they work until ringmpsc_local_destroy(). Close
 * them with ringmpsc_producer_close() and ringmpsc_consumer_close(). A
 * ring has one producer handle at a time, in whichever process: binding a
 * bound ring is -EBUSY until its handle is closed or its process has
 * exited (INV-LOCAL-01); a fork()ed child shares its parent's handles.
 */
int ringmpsc_local_producer(struct ringmpsc_local *l, uint32_t ring,
			    struct ringmpsc_producer *p);
int ringmpsc_local_consumer(struct ringmpsc_local *l, struct ringmpsc_consumer *c);

/* ---- ordering ---------------------------------------------------------- */
/*
 * The pairs the fast paths below rely on (spec.md sections 2 and 3). The
 * letters mark the accesses in the code.
 *
 *   producer                              consumer
 *
 *   if cached_head shows too little:
 *     head = load_acquire(head)     (A) <-- store_release(head)        (D)
 *   write slots [tail, tail + n)              after reading its slots
 *   store_release(tail)             (B) --> if cached_tail == head:
 *                                             tail = load_acquire(tail) (C)
 *                                           read slots [head, tail)
 *
 * (B) pairs with (C): every slot below the tail the consumer sees is fully
 * written (INV-RING-05, INV-RING-09). (D) pairs with (A): the consumer has
 * read a slot before the producer sees the head that lets it write there
 * again (INV-RING-05, INV-RING-06). Each side loads the other's index only
 * when its private cache runs out (INV-RING-11).
 *
 * The wakeup is a store-buffer pair, with the roles taken by whichever side
 * publishes ((B) or (D)) and whichever side goes to sleep:
 *
 *   publisher                             sleeper (lib/wait.c)
 *
 *   store_release(own index)  (B)/(D)     WRITE_ONCE(own flag, NEED)    (E)
 *   full barrier                    (F)   full barrier, membarrier()   (G)
 *   READ_ONCE(peer's flag)          (H)   re-check the ring: (A) or (C)
 *   if NEED: wake the sleeper             if nothing to do: sleep
 *
 * (F) pairs with (G): the publisher's (H) sees (E), or the sleeper's
 * re-check sees the index of (B)/(D); never neither, so no wakeup is lost
 * (INV-WAKE-01, INV-WAKE-02, INV-WAKE-03). A publisher registered for
 * membarrier() makes (F) a compiler barrier: the membarrier() in (G) runs
 * the full barrier on the publisher's CPU (lib/asym_barrier.c).
 */

/* ---- producer fast path ----------------------------------------------- */

/* (F): the publisher's half of the wakeup pair. Our index store is visible
 * before we read the peer's flag, or we and a peer going to sleep can each
 * miss the other. INV-WAKE-02.
 */
static inline void ringmpsc__publisher_barrier(bool asym)
{
	if (RINGMPSC_LIKELY(asym))
		/* Registered: the sleeper's membarrier() (G) runs the full
		 * barrier on our CPU; only the compiler must keep the order.
		 * INV-WAKE-02.
		 */
		ringmpsc_barrier();
	else
		/* Pairs with the sleeper's full barrier (G). INV-WAKE-02 */
		ringmpsc_smp_mb();
}

/* After publishing (B) or (D): does the peer sleep and want a wakeup? */
static inline bool ringmpsc__peer_wants_wakeup(bool asym,
					       const uint32_t *peer_flags_p)
{
	ringmpsc__publisher_barrier(asym);
	/* (H): the peer's flag, ordered after our index store by (F); pairs
	 * with the sleeper's flag store (E). INV-WAKE-01, INV-WAKE-04.
	 */
	return RINGMPSC_READ_ONCE(*peer_flags_p) & RINGMPSC_NEED_WAKEUP;
}

/* Free slots, refreshing the cached head only when the cache says fewer
 * than @want are free.
 */
static inline uint32_t ringmpsc__free(struct ringmpsc_producer *p, uint32_t want)
{
	uint64_t used = p->tail - p->cached_head;

	if (RINGMPSC_LIKELY(p->capacity - used >= want))
		return (uint32_t)(p->capacity - used);
	/* (A), pairs with the consumer's store-release of head (D): slots it
	 * released are no longer read when we overwrite them. INV-RING-05.
	 */
	uint64_t head = ringmpsc_smp_load_acquire(p->head_p);

	/* A head beyond our tail, more than capacity behind it, or behind the
	 * cache is corrupt: keep the old cache, which can only make us see
	 * less space. INV-RING-10.
	 */
	if (RINGMPSC_LIKELY(p->tail - head <= p->capacity && head >= p->cached_head)) {
		/* The cache only catches up with head. INV-RING-11 */
		RINGMPSC_INV(p->cached_head <= head, "INV-RING-11");
		p->cached_head = head;
	}
	RINGMPSC_INV(p->tail - p->cached_head <= p->capacity, "INV-RING-01");
	return (uint32_t)(p->capacity - (p->tail - p->cached_head));
}

/* @n, cut so that a run of slots from index @idx does not cross the end of
 * data mapped once (@mask + 1 = capacity slots); mirrored data is
 * contiguous for any run of up to capacity slots (spec.md section 5).
 * Producer and consumer alike.
 */
static inline uint32_t ringmpsc__stop_at_wrap(uint32_t n, uint64_t idx,
					      uint32_t mask, bool mirrored)
{
	if (!mirrored) {
		uint32_t to_wrap = mask + 1 - (uint32_t)(idx & mask);

		if (n > to_wrap)
			n = to_wrap;
	}
	return n;
}

/* Pointer to slot @i (0-based) of the open reservation. */
static inline void *ringmpsc_slot(const struct ringmpsc_producer *p, uint32_t i)
{
	return p->data + (size_t)((p->tail + i) & p->mask) * p->slot_size;
}

/* Batches of at least this many bytes prefetch the next one, up to MAX. */
#ifndef RINGMPSC_PREFETCH_MIN
#define RINGMPSC_PREFETCH_MIN	512
#endif
#ifndef RINGMPSC_PREFETCH_MAX
#define RINGMPSC_PREFETCH_MAX	2048
#endif

/*
 * How many bytes after a reservation of @n to prefetch for writing: the
 * next batch's slots, so that their stores do not each wait for the
 * consumer's cached copy of the line to be invalidated (the cross-core
 * round trip that otherwise stalls the commit). Only slots inside the free
 * space the producer has already seen released (INV-RING-06, INV-RING-11:
 * the consumer no longer reads them), and a prefetch changes no memory.
 * Small reservations skip it: their next slots mostly share a line. The
 * loop is in ringmpsc_reserve(): a helper made only of prefetches counts
 * as side-effect free to GCC, which then drops the call.
 */
static inline size_t ringmpsc__prefetch_len(const struct ringmpsc_producer *p,
					    uint32_t n, uint32_t free_slots)
{
	uint32_t next = free_slots - n;
	size_t len;

	if ((size_t)n * p->slot_size < RINGMPSC_PREFETCH_MIN || next == 0)
		return 0;
	if (next > n)
		next = n;
	next = ringmpsc__stop_at_wrap(next, p->tail + n, p->mask, p->mirrored);
	len = (size_t)next * p->slot_size;
	return len < RINGMPSC_PREFETCH_MAX ? len : RINGMPSC_PREFETCH_MAX;
}

/*
 * Reserve up to @n slots. Returns how many were reserved (1..n) and points
 * *slots at the first; the run is contiguous. It is fewer than n when the
 * ring has less room, or, on an unmirrored ring, at the wrap. Write them,
 * then ringmpsc_commit(). -EAGAIN: full. -EINVAL: n is 0 or > capacity.
 * -EBUSY: a reservation is already open.
 */
static inline RINGMPSC_MUST_USE int
ringmpsc_reserve(struct ringmpsc_producer *p, uint32_t n, void **slots)
{
	uint32_t free_slots;
	size_t pf_len;

	if (RINGMPSC_UNLIKELY(n == 0 || n > p->capacity))
		return -EINVAL;
	if (RINGMPSC_UNLIKELY(p->pending))
		return -EBUSY;
	free_slots = ringmpsc__free(p, n);
	if (RINGMPSC_UNLIKELY(free_slots == 0)) {
		p->stats.full++;
		return -EAGAIN;
	}
	if (n > free_slots)
		n = free_slots;
	n = ringmpsc__stop_at_wrap(n, p->tail, p->mask, p->mirrored);
	/* The reservation lies in [tail, head + capacity). INV-RING-06 */
	RINGMPSC_INV(p->tail + n - p->cached_head <= p->capacity, "INV-RING-06");
	p->pending = n;
	*slots = ringmpsc_slot(p, 0);
	pf_len = ringmpsc__prefetch_len(p, n, free_slots);
	if (pf_len) {
		unsigned char *next = (unsigned char *)ringmpsc_slot(p, n);

		for (size_t off = 0; off < pf_len; off += 64)
			ringmpsc_prefetchw(next + off);
	}
	return (int)n;
}

/* Make the @n slots just added to p->tail visible, in one store. */
static inline void ringmpsc__publish_tail(struct ringmpsc_producer *p,
					  uint32_t n)
{
	/* (B): every slot write before it happens before the consumer can
	 * see the new tail; a slot is visible whole or not at all. Pairs with
	 * the consumer's load-acquire of tail (C). INV-RING-05, INV-RING-09.
	 */
	/* The two counters on either side of the store: next to each other,
	 * GCC merges them into one 16-byte load-add-store, and each send's
	 * load then waits for the previous send's store to forward (6.5
	 * against 4.3 cycles a send on one core).
	 */
	p->stats.messages += n;
	ringmpsc_smp_store_release(p->tail_p, p->tail);
	p->stats.commits++;
	if (RINGMPSC_UNLIKELY(ringmpsc__peer_wants_wakeup(p->asym_barrier,
							  p->peer_flags_p)))
		ringmpsc_producer_wake_peer(p);
}

/* Close the open reservation, keeping its first @n (<= pending) slots:
 * they join the private tail, and nobody sees them before
 * ringmpsc__publish_tail() (INV-RING-09).
 */
static inline void ringmpsc__close_reservation(struct ringmpsc_producer *p,
					       uint32_t n)
{
	p->pending = 0;
	p->tail += n;
}

/*
 * Publish the first @n slots of the open reservation (n may be smaller
 * than reserved: the rest is abandoned; n == 0 abandons all of it).
 * -EINVAL: n exceeds the reservation.
 */
static inline int ringmpsc_commit(struct ringmpsc_producer *p, uint32_t n)
{
	if (RINGMPSC_UNLIKELY(n > p->pending))
		return -EINVAL;
	ringmpsc__close_reservation(p, n);
	if (RINGMPSC_UNLIKELY(n == 0))
		return 0;
	ringmpsc__publish_tail(p, n);
	return 0;
}

/* Send one message of @len <= slot_size bytes. -EAGAIN: full. */
static inline int ringmpsc_try_send(struct ringmpsc_producer *p,
				    const void *msg, size_t len)
{
	void *slot;
	int n;

	if (RINGMPSC_UNLIKELY(len > p->slot_size))
		return -EMSGSIZE;
	n = ringmpsc_reserve(p, 1, &slot);
	if (RINGMPSC_UNLIKELY(n < 0))
		return n;
	memcpy(slot, msg, len);
	return ringmpsc_commit(p, 1);
}

/*
 * Send up to @count messages of @len bytes each, packed back to back at
 * @msgs, with one tail publication. Returns how many were sent (>= 1),
 * -EAGAIN if the ring is full, -EMSGSIZE if len > slot_size, -EBUSY if a
 * reservation is open.
 */
static inline int ringmpsc_try_send_many(struct ringmpsc_producer *p,
					 const void *msgs, size_t len,
					 uint32_t count)
{
	const unsigned char *src = (const unsigned char *)msgs;
	unsigned char *dst;
	void *slots;
	uint32_t sent = 0;
	int n;

	if (RINGMPSC_UNLIKELY(len > p->slot_size))
		return -EMSGSIZE;
	if (RINGMPSC_UNLIKELY(count == 0))
		return -EINVAL;
	if (count > p->capacity)
		count = p->capacity;
	/* An unmirrored ring may need a second run after the wrap. */
	while (sent < count) {
		n = ringmpsc_reserve(p, count - sent, &slots);
		if (n < 0) {
			if (sent == 0)
				return n;	/* -EBUSY or -EAGAIN */
			break;
		}
		dst = (unsigned char *)slots;
		if (len == p->slot_size) {
			memcpy(dst, src, (size_t)n * len);
		} else {
			for (int i = 0; i < n; i++)
				memcpy(dst + (size_t)i * p->slot_size,
				       src + (size_t)i * len, len);
		}
		src += (size_t)n * len;
		/* Commit this run, publish all runs at once. */
		ringmpsc__close_reservation(p, (uint32_t)n);
		sent += (uint32_t)n;
	}
	ringmpsc__publish_tail(p, sent);
	return (int)sent;
}

/* Typed helpers: the message is a struct no larger than a slot. */
#define RINGMPSC_TRY_SEND(p, msgp) ringmpsc_try_send((p), (msgp), sizeof(*(msgp)))

/* ---- consumer fast path ----------------------------------------------- */

/* Committed slots of @r not read yet (after head + taken), refreshing the
 * cached tail only when the cache shows none. -EPROTO: the producer's tail
 * is corrupt.
 */
static inline int64_t ringmpsc__avail(struct ringmpsc_consumer *c,
				      struct ringmpsc_cring *r)
{
	uint64_t unread = r->cached_tail - r->head - r->taken;
	uint64_t tail;

	if (RINGMPSC_LIKELY(unread))
		return (int64_t)unread;
	/* (C), pairs with the producer's store-release of tail (B): the
	 * slots below it are fully written. Read once per batch.
	 * INV-RING-05, INV-RING-10.
	 */
	tail = ringmpsc_smp_load_acquire(r->tail_p);
	if (RINGMPSC_UNLIKELY(tail - r->head > c->capacity ||
			      tail - r->head < r->taken)) {
		/* Tail behind head, too far ahead, or behind what we have
		 * already taken (it went back): reject, never read.
		 * INV-RING-10.
		 */
		if (!r->broken) {
			r->broken = true;
			c->stats.broken++;
		}
		return -EPROTO;
	}
	/* We refresh only when the cache shows nothing unread (cached_tail
	 * == head + taken), so with the check above the tail has not gone
	 * back past one we saw (INV-RING-02) and the cache only catches up
	 * with it (INV-RING-11).
	 */
	RINGMPSC_INV(r->cached_tail <= tail, "INV-RING-02, INV-RING-11");
	r->cached_tail = tail;
	if (tail - r->head == r->taken)
		c->stats.empty++;
	return (int64_t)(tail - r->head - r->taken);
}

/* Notice ring state changes the module published (new, detached or
 * recycled rings). One load of a kernel-written word per call.
 */
static inline int ringmpsc__refresh_if_changed(struct ringmpsc_consumer *c)
{
	/* Pairs with the module's store-release of ring_epoch after a state
	 * change. INV-LIFE-01.
	 */
	if (RINGMPSC_LIKELY(ringmpsc_smp_load_acquire(c->ring_epoch_p) ==
			    c->ring_epoch))
		return 0;
	return ringmpsc_consumer_refresh(c);
}

/* Live ring @ring or NULL. */
static inline struct ringmpsc_cring *ringmpsc__cring(struct ringmpsc_consumer *c,
						     uint32_t ring)
{
	if (RINGMPSC_UNLIKELY(ring >= c->nr_rings || !c->rings[ring].live))
		return NULL;
	return &c->rings[ring];
}

/*
 * Point *slots at up to @max unread messages of live ring @ring (those
 * after head + taken), contiguous; ringmpsc_peek() and ringmpsc_take()
 * (lib/take.c). Returns the count, 0 when none: then a departed producer's
 * ring with nothing taken is handed back to the module (INV-LIFE-02).
 */
static inline int ringmpsc__unread_run(struct ringmpsc_consumer *c,
				       uint32_t ring, const void **slots,
				       uint32_t max)
{
	struct ringmpsc_cring *r = &c->rings[ring];
	int64_t avail;
	uint64_t from = r->head + r->taken;
	uint32_t n;

	if (RINGMPSC_UNLIKELY(r->broken))
		avail = -EPROTO;
	else
		avail = ringmpsc__avail(c, r);
	if (avail <= 0) {
		/* Empty or unreadable for good: hand a departed producer's
		 * ring back to the module, once nothing of it is taken.
		 * INV-LIFE-02.
		 */
		if (RINGMPSC_UNLIKELY(r->detached) && !r->taken)
			ringmpsc_consumer_recycle(c, ring);
		return (int)avail;
	}
	n = avail < (int64_t)max ? (uint32_t)avail : max;
	n = ringmpsc__stop_at_wrap(n, from, c->mask, c->mirrored);
	*slots = r->data + (size_t)(from & c->mask) * c->slot_size;
	return (int)n;
}

/* What a read call checks first: ring states, @max, the ring. The live
 * ring @ring, its last peek forgotten; or NULL and the error in *err.
 */
static inline struct ringmpsc_cring *ringmpsc__read_ring(struct ringmpsc_consumer *c,
							 uint32_t ring,
							 uint32_t max, int *err)
{
	struct ringmpsc_cring *r;

	*err = ringmpsc__refresh_if_changed(c);
	if (RINGMPSC_UNLIKELY(*err < 0))
		return NULL;
	if (RINGMPSC_UNLIKELY(max == 0)) {
		*err = -EINVAL;
		return NULL;
	}
	r = ringmpsc__cring(c, ring);
	if (RINGMPSC_UNLIKELY(!r)) {
		*err = -ENOENT;
		return NULL;
	}
	r->peeked = 0;
	return r;
}

/*
 * Zero-copy read: point *slots at up to @max committed messages of ring
 * @ring, contiguous. Returns the count (0 when empty). The slots stay
 * valid until ringmpsc_release(). -EINVAL: @max is 0. -ENOENT: no such
 * live ring. -EPROTO: the ring is corrupt and is no longer read
 * (INV-RING-10). -EBUSY: the ring has messages taken with ringmpsc_take()
 * (INV-RING-12).
 */
static inline int ringmpsc_peek(struct ringmpsc_consumer *c, uint32_t ring,
				const void **slots, uint32_t max)
{
	int err, n;
	struct ringmpsc_cring *r = ringmpsc__read_ring(c, ring, max, &err);

	if (RINGMPSC_UNLIKELY(!r))
		return err;
	if (RINGMPSC_UNLIKELY(r->taken))
		return -EBUSY;
	n = ringmpsc__unread_run(c, ring, slots, max);
	if (n > 0)
		r->peeked = (uint32_t)n;
	return n;
}

static inline void ringmpsc__publish_head(struct ringmpsc_consumer *c,
					  struct ringmpsc_cring *r, uint32_t ring)
{
	/* (D): our reads of the slots finish before the producer may reuse
	 * them. Pairs with the producer's load-acquire of head (A).
	 * INV-RING-05.
	 */
	ringmpsc_smp_store_release(r->head_p, r->head);
	c->stats.batches++;
	/* A producer may sleep on a full ring. INV-WAKE-02, INV-WAKE-04 */
	if (RINGMPSC_UNLIKELY(ringmpsc__peer_wants_wakeup(r->asym_barrier,
							  r->peer_flags_p)))
		ringmpsc_consumer_wake_peer(c, ring);
}

/*
 * Release the @n oldest messages of ring @ring that a read counted, in
 * r->taken (@taken) or in r->peeked: move head past them and publish it.
 * The head store (D) comes after this consumer read those slots.
 * -EINVAL: more than counted.
 */
static inline int ringmpsc__release_read(struct ringmpsc_consumer *c,
					 uint32_t ring, uint32_t n, bool taken)
{
	struct ringmpsc_cring *r = ringmpsc__cring(c, ring);
	uint32_t *counted;

	if (RINGMPSC_UNLIKELY(!r))
		return -ENOENT;
	counted = taken ? &r->taken : &r->peeked;
	if (RINGMPSC_UNLIKELY(n > *counted))
		return -EINVAL;
	if (n == 0)
		return 0;
	*counted -= n;
	r->head += n;
	c->stats.messages += n;
	ringmpsc__publish_head(c, r, ring);
	return 0;
}

/* Release the first @n messages of the last peek of @ring. -EINVAL: more
 * than that peek handed out.
 */
static inline int ringmpsc_release(struct ringmpsc_consumer *c, uint32_t ring,
				   uint32_t n)
{
	return ringmpsc__release_read(c, ring, n, false);
}

/*
 * Reading ahead of the release, for a consumer that keeps messages past
 * the call that read them and releases them later, oldest first (until
 * the batch holding them is acknowledged downstream, say: nothing is
 * freed for the producer before that, and a consumer that dies meanwhile
 * leaves them to its successor, INV-RING-08). Besides head, the released
 * prefix that the producer sees, the consumer keeps a private count of
 * messages read past it, taken (INV-RING-12).
 *
 * ringmpsc_take() points *slots at up to @max messages after the taken
 * ones, contiguous, and counts them taken: 0 when nothing is unread;
 * errors as ringmpsc_peek(). They stay valid until released.
 * ringmpsc_release_taken() releases the @n oldest taken messages: -EINVAL
 * when fewer are taken (a ring that was recycled or re-read from its
 * generation's start meanwhile has none), -ENOENT: no such live ring.
 *
 * While a ring has taken messages, ringmpsc_peek() on it is -EBUSY and
 * ringmpsc_consume*() pass it over. The waits (ringmpsc_wait(),
 * ringmpsc_wait_prepare()) count only unread messages as work: taken ones
 * do not keep a consumer awake, and releasing them is the caller's own
 * event, not the ring's.
 */
int ringmpsc_take(struct ringmpsc_consumer *c, uint32_t ring,
		  const void **slots, uint32_t max);
int ringmpsc_release_taken(struct ringmpsc_consumer *c, uint32_t ring,
			   uint32_t n);

/* Called with a contiguous run of @n messages of ring @ring. */
typedef void (*ringmpsc_batch_fn)(void *ctx, uint32_t ring,
				  const void *msgs, uint32_t n);
/* Called once per message. */
typedef void (*ringmpsc_msg_fn)(void *ctx, uint32_t ring, const void *msg);

/*
 * Messages consumed from the busy rings between full scans of every ring:
 * at least RINGMPSC_RESCAN_EVERY, and RINGMPSC_RESCAN_PER_RING per ring of
 * the channel, so that a scan, one look at each ring, adds at most
 * 1/RINGMPSC_RESCAN_PER_RING of a look to a message however many rings
 * sit idle (with a bound of 64 consume calls, a consumer taking single
 * messages from one busy ring of 64 scanned every 64 messages: 42% of its
 * rate). Counted in messages, not calls, so that a ring that becomes busy
 * waits for as much work on the others whatever the budget.
 */
#ifndef RINGMPSC_RESCAN_EVERY
#define RINGMPSC_RESCAN_EVERY	64
#endif
#ifndef RINGMPSC_RESCAN_PER_RING
#define RINGMPSC_RESCAN_PER_RING	16
#endif

/* Messages between full scans for @c: see RINGMPSC_RESCAN_EVERY. */
static inline uint32_t ringmpsc__rescan_every(const struct ringmpsc_consumer *c)
{
	uint32_t per_ring = RINGMPSC_RESCAN_PER_RING * c->nr_rings;

	return per_ring > RINGMPSC_RESCAN_EVERY ? per_ring : RINGMPSC_RESCAN_EVERY;
}

/* Take up to @budget messages from ring @i; one head publication. */
static inline uint32_t ringmpsc__drain_ring(struct ringmpsc_consumer *c,
					    uint32_t i, ringmpsc_batch_fn fn,
					    void *ctx, uint32_t budget,
					    bool *newly_broken)
{
	struct ringmpsc_cring *r = &c->rings[i];
	uint32_t left = budget, done = 0;

	r->peeked = 0;
	/* Read with ringmpsc_take(): its taker releases it. INV-RING-12 */
	if (RINGMPSC_UNLIKELY(r->taken))
		return 0;
	while (left && !r->broken) {
		int64_t avail = ringmpsc__avail(c, r);
		uint32_t n, pos;

		if (RINGMPSC_UNLIKELY(avail < 0)) {
			*newly_broken = true;
			break;
		}
		if (avail == 0)
			break;
		n = avail < (int64_t)left ? (uint32_t)avail : left;
		n = ringmpsc__stop_at_wrap(n, r->head, c->mask, c->mirrored);
		pos = (uint32_t)(r->head & c->mask);
		fn(ctx, i, r->data + (size_t)pos * c->slot_size, n);
		r->head += n;
		done += n;
		left -= n;
	}
	if (done) {
		c->stats.messages += done;
		ringmpsc__publish_head(c, r, i);
	} else if (RINGMPSC_UNLIKELY(r->detached)) {
		/* Drained, or unreadable for good: hand a departed producer's
		 * ring back to the module. INV-LIFE-02.
		 */
		ringmpsc_consumer_recycle(c, i);
	}
	return done;
}

/*
 * Drain the live rings, at most @budget messages from each so that one busy
 * producer cannot starve the others, calling @fn with contiguous runs; one
 * head publication per ring per call. Idle rings cost nothing while others
 * are busy: a call serves the rings that had messages at the last full
 * scan, and scans every ring when those run dry or once
 * max(RINGMPSC_RESCAN_EVERY, RINGMPSC_RESCAN_PER_RING x rings) messages
 * came from them, so a ring that becomes busy waits at most for that many
 * messages of the others (and one call's worth). Returns the number of
 * messages handled, or -EPROTO when
 * a ring was newly found corrupt during this call (the messages handed to
 * @fn before that still count as delivered; the other rings keep being
 * served on later calls).
 */
static inline long ringmpsc_consume_batch(struct ringmpsc_consumer *c,
					  ringmpsc_batch_fn fn, void *ctx,
					  uint32_t budget)
{
	long total = 0;
	bool newly_broken = false;
	int err = ringmpsc__refresh_if_changed(c);

	if (RINGMPSC_UNLIKELY(err < 0))
		return err;
	if (RINGMPSC_UNLIKELY(budget == 0))
		return -EINVAL;
	uint32_t rescan = ringmpsc__rescan_every(c);

	if (c->nr_hot && c->since_scan < rescan) {
		for (uint32_t k = 0; k < c->nr_hot;) {
			uint32_t i = c->hot[k], n = 0;

			if (c->rings[i].live)
				n = ringmpsc__drain_ring(c, i, fn, ctx, budget,
							 &newly_broken);
			if (n) {
				total += n;
				k++;
			} else {
				c->hot[k] = c->hot[--c->nr_hot];
			}
		}
		/* At most 2 x rescan: no overflow, whatever the budget. */
		c->since_scan += total < rescan ? (uint32_t)total : rescan;
		if (total || newly_broken)
			return newly_broken ? -EPROTO : total;
		/* Every busy ring ran dry: look at all of them now. */
	}
	c->nr_hot = 0;
	c->since_scan = 0;
	for (uint32_t k = 0; k < c->nr_rings; k++) {
		uint32_t i = c->start + k < c->nr_rings ? c->start + k
							: c->start + k - c->nr_rings;
		uint32_t n;

		if (!c->rings[i].live)
			continue;
		n = ringmpsc__drain_ring(c, i, fn, ctx, budget, &newly_broken);
		if (n) {
			total += n;
			c->hot[c->nr_hot++] = i;
		}
	}
	c->start = c->start + 1 < c->nr_rings ? c->start + 1 : 0;
	return newly_broken ? -EPROTO : total;
}

struct ringmpsc__msg_adapter {
	ringmpsc_msg_fn fn;
	void *ctx;
	uint32_t slot_size;
};

static inline void ringmpsc__per_msg(void *ctx, uint32_t ring,
				     const void *msgs, uint32_t n)
{
	const struct ringmpsc__msg_adapter *a =
		(const struct ringmpsc__msg_adapter *)ctx;
	const unsigned char *m = (const unsigned char *)msgs;

	for (uint32_t i = 0; i < n; i++)
		a->fn(a->ctx, ring, m + (size_t)i * a->slot_size);
}

/* As ringmpsc_consume_batch(), one call of @fn per message. */
static inline long ringmpsc_consume(struct ringmpsc_consumer *c,
				    ringmpsc_msg_fn fn, void *ctx,
				    uint32_t budget)
{
	struct ringmpsc__msg_adapter a = { fn, ctx, c->slot_size };

	return ringmpsc_consume_batch(c, ringmpsc__per_msg, &a, budget);
}

#ifdef __cplusplus
}
#endif

#endif /* RINGMPSC_H */
