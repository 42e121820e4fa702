// SPDX-License-Identifier: MIT
/*
 * ringmpsc contender: local rings (memfd, same layout as the module's) or
 * (p.module) a channel of the module, opened by name through
 * /dev/ringmpsc in each producer and in the consumer; producer threads or
 * forked producer processes, one consumer. Both backends run the same
 * fast path: only the handles' opening and closing differ.
 *
 * batch == 1: ringmpsc_try_send() of one message per call, and
 *             ringmpsc_consume() with budget 1 (one message per call),
 *             or p.drain (up to that many per call);
 *             p.typed: the same through <ringmpsc/typed.h>, whose slot
 *             stride and mask are compile-time constants.
 * batch  > 1: ringmpsc_reserve(batch) + write in place + ringmpsc_commit(),
 *             and ringmpsc_consume_batch() with budget batch, whose handler
 *             checks a contiguous run (a vectorised loop).
 * stamped:    one message per reserve/commit at the paced rate; the
 *             consumer takes what is there (budget STAMPED_BUDGET).
 * blocking:   the consumer spins p.spin_us on an empty channel, then
 *             sleeps in ringmpsc_wait(), or (p.evloop) in epoll_wait()
 *             between ringmpsc_wait_prepare() and ringmpsc_wait_finish(),
 *             as an event loop does.
 * Messages of whole lines may be written with non-temporal stores or a
 * software prefetch ahead, and read with a prefetch ahead (p.nt_stores,
 * p.prod_prefetch, p.cons_prefetch): workload 2's account of where the
 * time of 4 KiB messages goes.
 */
#include <immintrin.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ringmpsc.h"
#include "ringmpsc/epoll.h"
#include "ringmpsc/typed.h"
#include "bench.h"

#define TYPED_CAP	4096	/* rm_setup()'s default capacity */
RINGMPSC_TYPED_RING(msg8, uint64_t, TYPED_CAP)

#define STAMPED_BUDGET	256

struct rm_state {
	struct ringmpsc_local *l;	/* local rings, or NULL: */
	char channel[64];		/* the module's channel of this run */
};

static bool rm_supports(const struct tp_params *p)
{
	return p->nprod + p->idle_rings <= RINGMPSC_PRODUCERS_MAX &&
	       p->batch <= p->capacity &&
	       (!p->module || !p->idle_rings) &&
	       (!p->typed || (p->batch == 1 && p->msg_size == 8 &&
			      (!p->capacity || p->capacity == TYPED_CAP)));
}

/* A fresh channel for every run, removed by rm_teardown(): a run never
 * sees rings that an earlier one used.
 */
static int rm_create_channel(struct rm_state *s, const struct tp_params *p,
			     uint32_t cap)
{
	static unsigned int runs;
	struct ringmpsc_channel_attr attr = {
		.slot_size = p->msg_size,
		.capacity = cap,
		.max_producers = p->nprod,
		.mode = 0600,
		.flags = RINGMPSC_CREATE_EXCL,
	};

	snprintf(s->channel, sizeof(s->channel), "ringbench-%d-%u",
		 (int)getpid(), runs++);
	return ringmpsc_create(s->channel, &attr);
}

static int rm_setup(struct tp_ctx *c)
{
	struct rm_state *s = calloc(1, sizeof(*s));
	uint32_t cap = c->p.capacity ? c->p.capacity : 4096;
	int err;

	if (!s)
		return -ENOMEM;
	if (c->p.module)
		err = rm_create_channel(s, &c->p, cap);
	else
		err = ringmpsc_local_create(&s->l, c->p.nprod + c->p.idle_rings,
					    c->p.msg_size, cap, 0);
	if (err) {
		free(s);
		return err;
	}
	c->priv = s;
	return 0;
}

static void rm_teardown(struct tp_ctx *c)
{
	struct rm_state *s = c->priv;

	if (s->l)
		ringmpsc_local_destroy(s->l);
	else
		(void)ringmpsc_unlink(s->channel);
	free(s);
}

/* Producer @id's handle: local ring @id, or whichever ring of the
 * channel the module hands out (its index then names the producer in
 * the messages, which is what the consumer checks them against).
 */
static void rm_open_producer(struct rm_state *s, uint32_t id,
			     struct ringmpsc_producer *p)
{
	int err = s->l ? ringmpsc_local_producer(s->l, id, p)
		       : ringmpsc_producer_open(p, s->channel);

	if (err)
		die("%s: %d", s->l ? "ringmpsc_local_producer"
				   : "ringmpsc_producer_open", err);
}

/* Paced single messages, each stamped with the time it was due. */
static void rm_send_stamped(struct tp_ctx *c, struct ringmpsc_producer *p,
			    uint32_t id)
{
	struct pacer pc;

	pacer_start(&pc, c->p.pace);
	for (uint64_t seq = 0; seq < c->per_prod; seq++) {
		uint64_t stamp = pacer_wait(&pc, seq);
		void *slot;

		while (ringmpsc_reserve(p, 1, &slot) < 0) {
			if (run_failed(c))
				return;
			cpu_relax();
		}
		fill_stamped(slot, id, seq, stamp);
		(void)ringmpsc_commit(p, 1);
	}
}

static inline void prefetchw(const void *addr)
{
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)addr));
}

/* fill_msgs() for messages of whole lines, one line at a time: with
 * non-temporal stores (p.nt_stores), and/or prefetching p.prod_prefetch
 * bytes ahead for writing (within the run).
 */
static void fill_lines(const struct tp_params *p, unsigned char *dst,
		       uint32_t id, uint64_t seq, uint32_t n)
{
	size_t bytes = (size_t)n * p->msg_size, off = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t base = msg_value(id, seq + i);

		for (uint32_t k = 0; k < p->msg_size / 8; k += 8, off += 64) {
			__m128i *line = (__m128i *)(dst + off);

			if (p->prod_prefetch && off + p->prod_prefetch < bytes)
				prefetchw(dst + off + p->prod_prefetch);
			for (unsigned j = 0; j < 4; j++) {
				__m128i w = _mm_set_epi64x((long long)(base + k + 2 * j + 1),
							   (long long)(base + k + 2 * j));

				if (p->nt_stores)
					_mm_stream_si128(line + j, w);
				else
					_mm_store_si128(line + j, w);
			}
		}
	}
	/* Non-temporal stores are weakly ordered: they must be visible
	 * before the commit's store-release of tail publishes the slots.
	 */
	if (p->nt_stores)
		_mm_sfence();
}

/* Single 8-byte messages, one send per call, generic or typed. Inlined
 * with a constant @typed at each call, so each row's loop is its own.
 */
static inline __attribute__((always_inline)) void
rm_send_singles(struct tp_ctx *c, struct ringmpsc_producer *p, uint32_t id,
		bool typed)
{
	for (uint64_t seq = 0; seq < c->per_prod;) {
		uint64_t m = msg_value(id, seq);
		int err = typed ? msg8_try_send(p, &m)
				: ringmpsc_try_send(p, &m, sizeof(m));

		if (RINGMPSC_LIKELY(err == 0))
			seq++;
		else if (run_failed(c))
			return;
		else
			cpu_relax();
	}
}

/* Reservations of up to p.batch messages, written in place, paced or
 * not; in blocking mode a full ring is waited out in ringmpsc_wait_space().
 */
static void rm_send_batches(struct tp_ctx *c, struct ringmpsc_producer *p,
			    uint32_t id)
{
	uint64_t seq = 0, n = c->per_prod;
	uint32_t batch = c->p.batch, words = c->p.msg_size / 8;
	uint64_t spins = 0;
	struct pacer pc;

	pacer_start(&pc, c->p.pace);
	while (seq < n) {
		uint32_t want = n - seq < batch ? (uint32_t)(n - seq) : batch;
		void *slots;
		int k;

		(void)pacer_wait(&pc, seq);	/* the batch's first message */
		k = ringmpsc_reserve(p, want, &slots);
		if (RINGMPSC_UNLIKELY(k < 0 && k != -EAGAIN))
			die("ringmpsc_reserve: %d", k);
		if (RINGMPSC_UNLIKELY(k < 0)) {
			if (run_failed(c))
				return;
			/* Full: spin a while, then (blocking mode) sleep. */
			if (c->p.blocking && ++spins > 2000) {
				spins = 0;
				(void)ringmpsc_wait_space(p, 1, 100);
			} else {
				cpu_relax();
			}
			continue;
		}
		spins = 0;
		if (words == 1)
			fill_run8(slots, id, seq, (uint32_t)k);
		else if (c->p.nt_stores || c->p.prod_prefetch)
			fill_lines(&c->p, slots, id, seq, (uint32_t)k);
		else
			fill_msgs(slots, id, seq, (uint32_t)k, words, c->p.msg_size);
		(void)ringmpsc_commit(p, (uint32_t)k);
		seq += (uint32_t)k;
	}
}

static void rm_producer(struct tp_ctx *c, uint32_t id)
{
	struct rm_state *s = c->priv;
	struct ringmpsc_producer p;

	rm_open_producer(s, id, &p);
	id = p.ring;
	if (c->p.fence)
		p.asym_barrier = false;
	wait_go(c);
	if (c->p.stamped)
		rm_send_stamped(c, &p, id);
	else if (c->p.typed)
		rm_send_singles(c, &p, id, true);
	else if (c->p.batch == 1 && c->p.msg_size == 8 && !c->p.pace &&
		 !c->p.blocking)
		rm_send_singles(c, &p, id, false);
	else
		rm_send_batches(c, &p, id);
	/* Committed messages stay deliverable after the close. */
	ringmpsc_producer_close(&p);
}

struct rm_cons_ctx {
	struct verify *v;
	uint32_t words;
	uint32_t size;
	uint32_t prefetch;	/* bytes ahead, within the run */
};

static void rm_one(void *ctx, uint32_t ring, const void *msg)
{
	check_run8(ctx, ring, msg, 1);
}

static void rm_typed_one(void *ctx, uint32_t ring, const uint64_t *msg)
{
	check_run8(ctx, ring, msg, 1);
}

static void rm_run8(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	check_run8(ctx, ring, msgs, n);
}

static void rm_runw(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct rm_cons_ctx *k = ctx;

	check_runw(k->v, ring, msgs, n, k->words, k->size);
}

/* rm_runw(), prefetching the lines k->prefetch bytes ahead of each
 * message it checks.
 */
static void rm_runw_prefetch(void *ctx, uint32_t ring, const void *msgs,
			     uint32_t n)
{
	struct rm_cons_ctx *k = ctx;
	const unsigned char *m = msgs;
	size_t bytes = (size_t)n * k->size;

	for (uint32_t i = 0; i < n; i++, m += k->size) {
		size_t ahead = (size_t)i * k->size + k->prefetch;

		for (size_t a = ahead; a < ahead + k->size && a < bytes; a += 64)
			__builtin_prefetch((const unsigned char *)msgs + a);
		check_runw(k->v, ring, m, 1, k->words, k->size);
	}
}

static void rm_stamped(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	check_stamped(ctx, ring, msgs, n, 16);
}

/* One sleep of an event loop whose only source is the consumer: the
 * prepare, epoll_wait() on its eventfd, the finish.
 */
static void rm_epoll_sleep(int epfd, struct ringmpsc_consumer *cons)
{
	struct epoll_event ev;
	int timeout = 100;

	if (ringmpsc_epoll_timeout(ringmpsc_wait_prepare(cons), &timeout))
		die("ringmpsc_wait_prepare");
	if (epoll_wait(epfd, &ev, 1, timeout) < 0 && errno != EINTR)
		die("epoll_wait");
	ringmpsc_wait_finish(cons);
}

/* Consume until every message is in; on an empty channel spin p.spin_us,
 * then sleep in ringmpsc_wait() or (p.evloop) in an epoll loop.
 */
static void rm_consume_blocking(struct tp_ctx *c, struct ringmpsc_consumer *cons,
				ringmpsc_batch_fn fn, void *ctx, uint32_t budget)
{
	uint64_t total = total_msgs(c), spin_ns = c->p.spin_us * 1000ull;
	uint64_t idle_since = 0;
	int epfd = -1;

	if (c->p.evloop) {
		epfd = epoll_create1(EPOLL_CLOEXEC);
		if (epfd < 0 || ringmpsc_epoll_add(epfd,
						   ringmpsc_consumer_eventfd(cons), 0))
			die("epoll for the consumer's eventfd");
	}

	while (c->v.count < total) {
		if (ringmpsc_consume_batch(cons, fn, ctx, budget) > 0) {
			idle_since = 0;
			continue;
		}
		if (run_failed(c))
			break;
		if (!idle_since) {
			idle_since = now_ns();
		} else if (now_ns() - idle_since >= spin_ns) {
			if (epfd >= 0)
				rm_epoll_sleep(epfd, cons);
			else
				(void)ringmpsc_wait(cons, 100);
			idle_since = 0;
		}
		cpu_relax();
	}
	if (epfd >= 0)
		close(epfd);
}

/* Single messages, up to @budget per consume call, until all are in. */
static inline __attribute__((always_inline)) void
rm_consume_singles(struct tp_ctx *c, struct ringmpsc_consumer *cons,
		   uint32_t budget)
{
	uint64_t total = total_msgs(c);
	long r;

	while (c->v.count < total) {
		r = c->p.typed ? msg8_consume(cons, rm_typed_one, &c->v, budget)
			       : ringmpsc_consume(cons, rm_one, &c->v, budget);
		if (r > 0)
			continue;
		if (run_failed(c))
			break;
		idle_poll(c);
	}
}

static void rm_consumer(struct tp_ctx *c)
{
	struct rm_state *s = c->priv;
	struct ringmpsc_consumer cons;
	struct rm_cons_ctx k = { &c->v, c->p.msg_size / 8, c->p.msg_size,
				 c->p.cons_prefetch };
	uint64_t total = total_msgs(c);
	uint32_t batch = c->p.batch;
	ringmpsc_batch_fn fn = rm_run8;
	void *ctx = &c->v;
	long r;
	int err = s->l ? ringmpsc_local_consumer(s->l, &cons)
		       : ringmpsc_consumer_open(&cons, s->channel);

	if (err)
		die("%s: %d", s->l ? "ringmpsc_local_consumer"
				   : "ringmpsc_consumer_open", err);
	for (uint32_t i = 0; c->p.fence && i < cons.nr_rings; i++)
		cons.rings[i].asym_barrier = false;
	if (c->p.stamped) {
		fn = rm_stamped;
		ctx = c;
		batch = STAMPED_BUDGET;
	} else if (k.words > 1) {
		fn = k.prefetch ? rm_runw_prefetch : rm_runw;
		ctx = &k;
	}
	start_clock(c);
	if (c->p.blocking) {
		rm_consume_blocking(c, &cons, fn, ctx, batch);
	} else if (batch == 1 && !c->p.drain) {
		/* A literal budget, as a caller taking one message per call
		 * writes it: the compiler folds it into the consume loop.
		 */
		rm_consume_singles(c, &cons, 1);
	} else if (batch == 1) {
		rm_consume_singles(c, &cons, c->p.drain);
	} else {
		while (c->v.count < total) {
			r = ringmpsc_consume_batch(&cons, fn, ctx, batch);
			if (r > 0)
				continue;
			if (run_failed(c))
				break;
			idle_poll(c);
		}
	}
	c->t_end = now_ns();
	if (cons.stats.broken)
		c->error = -EPROTO;
	ringmpsc_consumer_close(&cons);
}

const struct contender ct_ringmpsc = {
	.name = "ringmpsc",
	.supports = rm_supports,
	.setup = rm_setup,
	.producer = rm_producer,
	.consumer = rm_consumer,
	.teardown = rm_teardown,
};
