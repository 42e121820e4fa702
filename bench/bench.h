/* SPDX-License-Identifier: MIT */
/*
 * ringbench: common harness. Every contender moves messages from pinned
 * producers (CPU 0) to a pinned consumer (CPU 1); the consumer checks every
 * message (per-producer sequence and a checksum) and only verified
 * messages are counted.
 *
 * Message format: a message is `words` 64-bit words. Word k of the message
 * with sequence s from producer p holds ((p << 48) | s) + k. Word 0 is the
 * 8-byte message of workload 1. The consumer compares every word (so it
 * reads every byte) and sums word 0 into the checksum. A stamped message
 * (workload 7) is 16 bytes: word 0 as above, word 1 the TSC time it was
 * due, from which the consumer takes its latency.
 */
#ifndef RINGBENCH_H
#define RINGBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "hist.h"

#define MAX_PRODUCERS	64
#define PROD_SHIFT	48

#define ALIGNED_LINE	__attribute__((aligned(128)))

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* The time stamp counter: invariant on the machines ringbench runs on
 * (constant_tsc, nonstop_tsc), the clock the latency workload stamps with
 * and paces by. tsc_calibrate() (harness.c) measures it against
 * CLOCK_MONOTONIC once, before any process is forked.
 */
static inline uint64_t rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}

extern double g_ns_per_tick;
void tsc_calibrate(void);

static inline uint64_t msg_value(uint32_t prod, uint64_t seq)
{
	return ((uint64_t)prod << PROD_SHIFT) | seq;
}

/* Consumer-side verification state; lives in shared memory. */
struct verify {
	uint64_t next[MAX_PRODUCERS];	/* next expected seq per producer */
	uint64_t sum;			/* sum of word 0 of every message */
	uint64_t bad;			/* non-zero: a message was wrong */
	uint64_t count;			/* verified messages */
};

/* Check @n 8-byte messages of producer @prod at @m. Written so that the
 * compiler vectorises it: no early exit, xor-or and add reductions.
 */
static inline void check_run8(struct verify *v, uint32_t prod,
			      const uint64_t *m, uint32_t n)
{
	uint64_t base = msg_value(prod, v->next[prod]);
	uint64_t bad = 0, sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		bad |= m[i] ^ (base + i);
		sum += m[i];
	}
	v->bad |= bad;
	v->sum += sum;
	v->next[prod] += n;
	v->count += n;
}

/* Check @n messages of @words words each, @stride bytes apart. */
static inline void check_runw(struct verify *v, uint32_t prod,
			      const void *msgs, uint32_t n, uint32_t words,
			      size_t stride)
{
	const unsigned char *p = (const unsigned char *)msgs;
	uint64_t base = msg_value(prod, v->next[prod]);
	uint64_t bad = 0, sum = 0;

	for (uint32_t i = 0; i < n; i++, p += stride) {
		const uint64_t *w = (const uint64_t *)p;
		uint64_t b = base + i;

		for (uint32_t k = 0; k < words; k++)
			bad |= w[k] ^ (b + k);
		sum += w[0];
	}
	v->bad |= bad;
	v->sum += sum;
	v->next[prod] += n;
	v->count += n;
}

/* The producer a message names, or MAX_PRODUCERS (and @v marked bad) if
 * it names none.
 */
static inline uint32_t msg_producer(struct verify *v, uint64_t word0)
{
	uint32_t prod = (uint32_t)(word0 >> PROD_SHIFT);

	if (prod >= MAX_PRODUCERS) {
		v->bad |= 1;
		return MAX_PRODUCERS;
	}
	return prod;
}

/* One message whose producer is encoded in it (interleaved rings). */
static inline void check_one(struct verify *v, uint64_t m)
{
	uint32_t prod = msg_producer(v, m);

	if (prod < MAX_PRODUCERS)
		check_run8(v, prod, &m, 1);
}

/* Fill @n messages of @words words (stride bytes apart) starting at seq. */
static inline void fill_msgs(void *dst, uint32_t prod, uint64_t seq,
			     uint32_t n, uint32_t words, size_t stride)
{
	unsigned char *p = (unsigned char *)dst;
	uint64_t base = msg_value(prod, seq);

	for (uint32_t i = 0; i < n; i++, p += stride) {
		uint64_t *w = (uint64_t *)p;

		for (uint32_t k = 0; k < words; k++)
			w[k] = base + i + k;
	}
}

static inline void fill_run8(uint64_t *dst, uint32_t prod, uint64_t seq,
			     uint32_t n)
{
	uint64_t base = msg_value(prod, seq);

	for (uint32_t i = 0; i < n; i++)
		dst[i] = base + i;
}

/* ---- a throughput case -------------------------------------------------- */

struct tp_params {
	uint32_t nprod;		/* producers */
	uint32_t batch;		/* messages per call (1 = single) */
	uint32_t msg_size;	/* bytes, multiple of 8 */
	uint32_t capacity;	/* ring slots where it applies */
	uint32_t idle_rings;	/* extra attached idle producers (workload 3) */
	bool fork;		/* separate processes */
	bool module;		/* ringmpsc: a channel of the module
				 * (/dev/ringmpsc), not local rings */
	bool blocking;		/* ringmpsc: sleep in ringmpsc_wait* when idle */
	bool evloop;		/* ringmpsc, with blocking: the consumer sleeps
				 * in an epoll loop (<ringmpsc/epoll.h>) */
	uint32_t pace;		/* producer rate limit, msgs/s (0: none) */
	uint32_t backoff;	/* consumer: pauses after an empty poll (0: 1) */
	bool fence;		/* ringmpsc: full fence per publication, as
				 * when membarrier() is unavailable */
	bool typed;		/* ringmpsc: single 8-byte messages through
				 * <ringmpsc/typed.h> (capacity 4096) */
	uint32_t drain;		/* ringmpsc, single messages: the consumer's
				 * budget per consume call (0: 1) */
	uint32_t spin_us;	/* blocking consumer: spin this long on an
				 * empty channel before it sleeps */
	bool stamped;		/* 16-byte messages: word 1 is the send time
				 * (TSC); the consumer records the latency */
	bool fairness;		/* sample per-producer counts in a window */
	/* ringmpsc, messages of whole lines (workload 2's account): */
	bool nt_stores;		/* producer writes with non-temporal stores */
	uint32_t prod_prefetch;	/* producer prefetches this many bytes ahead
				 * for writing, within its reservation */
	uint32_t cons_prefetch;	/* consumer prefetches this many bytes ahead,
				 * within the run it was handed */
};

struct tp_ctx {
	struct tp_params p;
	uint64_t per_prod;	/* messages each producer sends */
	void *priv;		/* the contender's state (shared memory) */
	/* synchronisation, shared memory */
	volatile uint32_t ready;
	volatile uint32_t go;
	volatile uint64_t t_start, t_end;
	volatile uint64_t prod_syscalls, cons_syscalls;
	/* stamped: the producers' struct pace_stats, summed (max_late: the
	 * largest), and involuntary context switches of the producers and
	 * of the consumer during the run
	 */
	volatile uint64_t late_msgs, max_late_ticks;
	volatile uint64_t prod_ivcsw, cons_ivcsw;
	volatile int error;	/* set by a side, or by the runner's watchdog */
	struct hist *hist;	/* stamped: latencies, shared memory */
	struct verify v ALIGNED_LINE;	/* written by the consumer all along */
};

struct contender {
	const char *name;
	/* may the case run? returns false (with a reason) if not */
	bool (*supports)(const struct tp_params *p);
	int (*setup)(struct tp_ctx *c);		/* before fork/threads */
	void (*producer)(struct tp_ctx *c, uint32_t id);
	void (*consumer)(struct tp_ctx *c);	/* until all verified */
	void (*teardown)(struct tp_ctx *c);
	void (*prod_init)(struct tp_ctx *c, uint32_t id); /* in the child */
	/* In ringbench, once producer processes are forked: drop what only
	 * they use (a pipe's write end), so that their death ends the
	 * consumer's blocking read instead of leaving it waiting forever.
	 */
	void (*producers_forked)(struct tp_ctx *c);
	/* The consumer runs in a process of its own: the peer's library keeps
	 * per-process state that a forked producer must not inherit (one
	 * iceoryx runtime per process, a ZeroMQ context).
	 */
	bool consumer_process;
};

/* harness.c */
void *shared_alloc(size_t len);
void shared_free(void *p, size_t len);
int pin_cpu(int cpu);
int unpin(void);
#include <pthread.h>
/* pthread_create() on @cpu from the start: a real-time thread created on a
 * CPU that a spinning real-time peer owns would never run to pin itself.
 */
int thread_on_cpu(pthread_t *th, int cpu, void *(*fn)(void *), void *arg);
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
extern bool g_count_syscalls;
uint64_t syscalls_begin(int *fd);
uint64_t syscalls_end(int fd);
uint64_t expected_sum(const struct tp_ctx *c);
/* Remove /tmp/PREFIX<pid>... files whose process is gone (what a peer's
 * process killed mid-run leaves: sockets, locks).
 */
void remove_stale_tmp(const char *prefix);

/* Wait for "go" (producer side). */
static inline void wait_go(struct tp_ctx *c)
{
	__atomic_fetch_add(&c->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		cpu_relax();
}

/* Start the clock once every producer is ready (consumer side). */
static inline void start_clock(struct tp_ctx *c)
{
	while (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) < c->p.nprod)
		cpu_relax();
	c->t_start = now_ns();
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
}

/* The run failed or was abandoned by the runner's watchdog: a side that
 * found its channel full or empty gives up. (Polled only there, so the
 * paths that move messages pay nothing for it.)
 */
static inline bool run_failed(const struct tp_ctx *c)
{
	return c->error != 0;
}

/* What a polling consumer does when it found nothing. */
static inline void idle_poll(const struct tp_ctx *c)
{
	uint32_t n = c->p.backoff ? c->p.backoff : 1;

	for (uint32_t i = 0; i < n; i++)
		cpu_relax();
}

static inline uint64_t total_msgs(const struct tp_ctx *c)
{
	return c->per_prod * c->p.nprod;
}

/* ---- paced producers, stamped messages --------------------------------- */

/*
 * A producer sending p.pace messages/s (0: as fast as it can). The stamp of
 * a paced message is the time it was due, not the time it left: a producer
 * running late (preempted, or held by a full channel) counts its lateness
 * in the latency, so a stall cannot hide by delaying the samples that
 * would have seen it (coordinated omission).
 */
struct pacer {
	uint64_t t0;		/* TSC when sending began */
	double ticks_per_msg;	/* 0: not paced */
	uint64_t late_ticks;	/* a message sent this late counts as late */
};

/* What the pacers of this thread saw: how far the producer fell behind
 * its schedule. The runner zeroes it before a producer runs and sums it
 * into the run's record after (a bad round's account: preempted, or held
 * by a full channel, rather than a slow channel).
 */
struct pace_stats {
	uint64_t late;		/* messages sent PACE_LATE_NS or more late */
	uint64_t max_late;	/* ticks: the most a message was late */
};
#define PACE_LATE_NS	1000
extern __thread struct pace_stats t_pace;

static inline void pacer_start(struct pacer *pc, uint32_t msgs_per_sec)
{
	pc->t0 = rdtsc();
	pc->ticks_per_msg = msgs_per_sec ? 1e9 / g_ns_per_tick / msgs_per_sec : 0;
	pc->late_ticks = (uint64_t)(PACE_LATE_NS / g_ns_per_tick);
}

/* Wait until message @seq is due; returns its stamp (TSC). */
static inline uint64_t pacer_wait(const struct pacer *pc, uint64_t seq)
{
	uint64_t due, t = rdtsc();

	if (!pc->ticks_per_msg)
		return t;
	due = pc->t0 + (uint64_t)((double)seq * pc->ticks_per_msg);
	if (t >= due) {		/* behind schedule: sent at once */
		if (t - due >= pc->late_ticks)
			t_pace.late++;
		if (t - due > t_pace.max_late)
			t_pace.max_late = t - due;
		return due;
	}
	do {
		cpu_relax();
		t = rdtsc();
	} while (t < due);
	return due;
}

/* A stamped message: word 0 as every message, word 1 the stamp. */
static inline void fill_stamped(void *dst, uint32_t prod, uint64_t seq,
				uint64_t stamp)
{
	uint64_t *w = (uint64_t *)dst;

	w[0] = msg_value(prod, seq);
	w[1] = stamp;
}

/* Check @n stamped messages of producer @prod, @stride bytes apart, as
 * check_run8() does, and record the latency of each: now minus its stamp
 * (a stamp ahead of this CPU's TSC counts as 0).
 */
static inline void check_stamped(struct tp_ctx *c, uint32_t prod,
				 const void *msgs, uint32_t n, size_t stride)
{
	const unsigned char *p = (const unsigned char *)msgs;
	uint64_t now = rdtsc(), base = msg_value(prod, c->v.next[prod]);
	uint64_t bad = 0, sum = 0;

	for (uint32_t i = 0; i < n; i++, p += stride) {
		const uint64_t *w = (const uint64_t *)p;
		int64_t ticks = (int64_t)(now - w[1]);

		bad |= w[0] ^ (base + i);
		sum += w[0];
		hist_record(c->hist, ticks > 0 ? (uint64_t)((double)ticks * g_ns_per_tick) : 0);
	}
	c->v.bad |= bad;
	c->v.sum += sum;
	c->v.next[prod] += n;
	c->v.count += n;
}

/* @n messages of producer @prod that arrived as one sample (a batch),
 * p.msg_size bytes apart, stamped or not.
 */
static inline void check_sample(struct tp_ctx *c, uint32_t prod,
				const void *msgs, uint32_t n)
{
	uint32_t size = c->p.msg_size;

	if (c->p.stamped)
		check_stamped(c, prod, msgs, n, size);
	else if (size == 8)
		check_run8(&c->v, prod, (const uint64_t *)msgs, n);
	else
		check_runw(&c->v, prod, msgs, n, size / 8, size);
}

/* contenders */
extern const struct contender ct_ringmpsc;
extern const struct contender ct_ringmpsc_peek;
extern const struct contender ct_rte_spsc, ct_rte_mpsc, ct_rte_mpsc_rts;
extern const struct contender ct_ck_spsc, ct_ck_mpsc;
extern const struct contender ct_pipe, ct_unix, ct_mq, ct_eventfd;
extern const struct contender ct_uring;
extern const struct contender ct_iceoryx, ct_zmq;
extern const struct contender ct_efd_shm;
extern const struct contender ct_ceiling;
extern const struct contender ct_onethread;

#endif
