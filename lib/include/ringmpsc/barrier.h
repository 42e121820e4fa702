/* SPDX-License-Identifier: MIT */
/*
 * <ringmpsc/barrier.h>: the one vocabulary for accesses to memory that
 * another process (a peer, or the module) also reads or writes. Nothing
 * else in libringmpsc touches shared memory or orders accesses, so every
 * ordering the protocol relies on is named where it happens and can be
 * paired with its other half (spec.md sections 2 and 3):
 *
 *   ringmpsc_smp_store_release(p, v)  store *p = v after every earlier
 *                                     access of this thread
 *   ringmpsc_smp_load_acquire(p)      load *p before every later access
 *   RINGMPSC_READ_ONCE(x)             one untorn load of x, no ordering
 *   RINGMPSC_WRITE_ONCE(x, v)         one untorn store to x, no ordering
 *   ringmpsc_smp_mb()                 full barrier: also orders an earlier
 *                                     store before a later load
 *   ringmpsc_barrier()                compiler barrier only
 *   ringmpsc_cmpxchg(p, old, nv)      if *p == old, store nv, in one atomic
 *                                     step with a full barrier; true if
 *                                     stored
 *   ringmpsc_cpu_relax()              pause inside a spin loop
 *   ringmpsc_prefetchw(addr)          fetch a line to write it soon
 *
 * The words are naturally aligned and at most 64 bits, so each access is
 * single-copy atomic. Built on the compiler's __atomic builtins (C11
 * memory model), which ThreadSanitizer understands; only the two hints
 * carry architecture code, each with a portable fallback.
 */
#ifndef RINGMPSC_BARRIER_H
#define RINGMPSC_BARRIER_H

#define ringmpsc_smp_store_release(p, v) \
	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ringmpsc_smp_load_acquire(p) \
	__atomic_load_n((p), __ATOMIC_ACQUIRE)

/* Shared words with no ordering of their own: one writer, and whatever
 * order is needed comes from a barrier next to them.
 */
#define RINGMPSC_READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define RINGMPSC_WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define ringmpsc_smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define ringmpsc_barrier()		__atomic_signal_fence(__ATOMIC_SEQ_CST)

/* For a word more than one writer may claim (a local ring's binding, on a
 * slow path): the ring's own words each have one writer and never need it.
 */
#define ringmpsc_cmpxchg(p, old, nv)					\
	__extension__({							\
		__typeof__(*(p)) ringmpsc__old = (old);			\
		__atomic_compare_exchange_n((p), &ringmpsc__old, (nv), 0,	\
					    __ATOMIC_SEQ_CST,		\
					    __ATOMIC_SEQ_CST);		\
	})

/* Tell the CPU we are spinning (saves power, frees the sibling thread). */
static inline void ringmpsc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" : : : "memory");
#else
	ringmpsc_barrier();
#endif
}

/*
 * Prefetch the line at @addr for writing (exclusive ownership). On x86,
 * PREFETCHW whatever -march says (CPUs without it execute a NOP), since
 * __builtin_prefetch falls back to a read prefetch on baseline x86-64,
 * which does not take ownership; elsewhere the builtin emits the write
 * prefetch (arm64: PRFM PSTL1KEEP). A prefetch changes no memory.
 */
static inline void ringmpsc_prefetchw(const void *addr)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("prefetchw %0" : : "m"(*(const char *)addr));
#else
	__builtin_prefetch(addr, 1, 3);
#endif
}

#endif /* RINGMPSC_BARRIER_H */
