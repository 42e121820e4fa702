// SPDX-License-Identifier: MIT
/*
 * Corrupt and hostile rings (INV-RING-10): a "producer" that writes its
 * tail behind head or more than capacity ahead, a "consumer" that writes a
 * head the producer cannot trust. The other side must never read or write
 * out of bounds, must report -EPROTO for that ring only, and must keep
 * serving the other rings.
 *
 * Out-of-bounds accesses are caught two ways: rings in heap memory of the
 * exact size (AddressSanitizer in the asan build, memcheck under
 * valgrind), and rings whose data is fenced by PROT_NONE guard pages (a
 * fault in any build). Every returned run is also checked against the
 * bounds of the data area, and read byte by byte.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define LEN 16
/* Seconds before the harness ends a test: the hostile tests give up after
 * 120 s on their own.
 */
#define TIMEOUT_S 300

TEST_PROCESS_FIXTURE(corrupt)

/* ---- rings in fenced memory --------------------------------------------- */

/*
 * Data of exactly capacity * slot_size bytes (a page multiple), mapped
 * once or twice (mirrored) from a memfd, with a PROT_NONE page before and
 * after. PROD and CONS pages are private anonymous pages.
 */
struct guard_ring {
	struct ringmpsc_ring_mem mem;
	unsigned char *base;
	size_t base_len;
};

static int guard_ring_init(struct guard_ring *g, uint32_t capacity,
			   uint32_t slot_size, bool mirrored)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)capacity * slot_size;
	unsigned char *pages;
	int fd;

	memset(g, 0, sizeof(*g));
	if (len % page)
		return -EINVAL;
	g->base_len = len * (mirrored ? 2 : 1) + 2 * page;
	g->base = mmap(NULL, g->base_len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED)
		return -errno;
	fd = memfd_create("guard-ring", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)len))
		return -errno;
	for (int i = 0; i < (mirrored ? 2 : 1); i++)
		if (mmap(g->base + page + (size_t)i * len, len,
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
		    MAP_FAILED)
			return -errno;
	close(fd);
	pages = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		return -errno;
	g->mem = (struct ringmpsc_ring_mem){
		.prod = pages, .cons = pages + page, .data = g->base + page,
		.tail_off = 0, .prod_flags_off = RINGMPSC_LINE,
		.head_off = 0, .cons_flags_off = RINGMPSC_LINE,
		.slot_size = slot_size, .capacity = capacity,
		.mirrored = mirrored,
	};
	return 0;
}

static void guard_ring_free(struct guard_ring *g)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (g->mem.prod)
		munmap(g->mem.prod, 2 * page);
	if (g->base)
		munmap(g->base, g->base_len);
	memset(g, 0, sizeof(*g));
}

/* Bytes a reader of @m may touch from m->data on. */
static size_t data_bound(const struct ringmpsc_ring_mem *m)
{
	return (size_t)m->capacity * m->slot_size * (m->mirrored ? 2 : 1);
}

/* A run of @n slots at @p lies inside the data area. */
static bool run_in_bounds(const struct ringmpsc_ring_mem *m, const void *p,
			  uint32_t n)
{
	const unsigned char *d = m->data, *q = p;

	return q >= d && (size_t)(q - d) % m->slot_size == 0 &&
	       (size_t)(q - d) + (size_t)n * m->slot_size <= data_bound(m);
}

/* Touch every byte of a run, as a reader would. */
static uint64_t read_run(const void *p, size_t bytes)
{
	const volatile unsigned char *q = p;
	uint64_t sum = 0;

	for (size_t i = 0; i < bytes; i++)
		sum += q[i];
	return sum;
}

/* A tiny deterministic PRNG (xorshift64*). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* ---- deterministic corruptions ------------------------------------------ */

struct seen {
	const struct ringmpsc_ring_mem *mems;
	uint32_t nr;
	uint64_t msgs[8];
	uint64_t next[8];	/* honest rings: expected sequence */
	uint32_t bad;		/* out of bounds or out of order */
};

static void on_batch(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct seen *s = ctx;

	if (ring >= s->nr) {
		s->bad++;
		return;
	}
	/* Read first, as a user would: a stray run is an ASan error (or a
	 * fault on a guard page) right here; then judge its bounds.
	 */
	read_run(msgs, (size_t)n * s->mems[ring].slot_size);
	if (!run_in_bounds(&s->mems[ring], msgs, n))
		s->bad++;
	s->msgs[ring] += n;
}

/* Tail behind head, tail past head + capacity (by one, by 2^32, at
 * UINT64_MAX): each such ring reports -EPROTO once from consume and always
 * from peek, is never read (its head stays), and the honest ring next to
 * them keeps being served. Heap rings: any stray read is an ASan error.
 */
TEST_F_TIMEOUT(corrupt, corrupt_tail_consumer, TIMEOUT_S)
{
	enum { NR = 6, CAP = 8 };
	const uint64_t h0 = 1000;
	struct heap_ring h[NR];
	struct ringmpsc_ring_mem mems[NR];
	struct ringmpsc_consumer c;
	struct ringmpsc_producer honest;
	struct seen s = { .mems = mems, .nr = NR };
	const void *m = NULL;
	long n;
	int eproto = 0;

	for (int i = 0; i < NR; i++) {
		ASSERT_EQ(0, heap_ring_init(&h[i], CAP, LEN, false));
		mems[i] = h[i].mem;
		*head_word(&mems[i]) = h0;
		*tail_word(&mems[i]) = h0;
	}
	ASSERT_EQ(0, mem_consumer_init(&c, mems, NR));
	ASSERT_EQ(0, ringmpsc_producer_init(&honest, &mems[5]));
	honest.ring = 5;
	*tail_word(&mems[0]) = h0 - 1;			/* behind */
	*tail_word(&mems[1]) = h0 + CAP + 1;		/* one too far */
	*tail_word(&mems[2]) = h0 + (1ull << 32);	/* far */
	*tail_word(&mems[3]) = UINT64_MAX;		/* "-1" */
	*tail_word(&mems[4]) = h0 + CAP;		/* full: valid */
	for (uint64_t i = 0; i < 3; i++)
		ASSERT_EQ(0, send_seq(&honest, i, LEN));

	for (int call = 0; call < 4; call++) {
		n = ringmpsc_consume_batch(&c, on_batch, &s, 64);
		if (n == -EPROTO)
			eproto++;
		else
			EXPECT_LE(0, n);
	}
	EXPECT_EQ(1, eproto);		/* all four found in the first call */
	EXPECT_EQ(4, c.stats.broken);
	EXPECT_EQ(0, s.bad);
	for (int i = 0; i < 4; i++) {
		EXPECT_TRUE(c.rings[i].broken);
		EXPECT_EQ(0, s.msgs[i]);
		EXPECT_EQ(-EPROTO, ringmpsc_peek(&c, (uint32_t)i, &m, 8));
		EXPECT_EQ(-EPROTO, ringmpsc_peek(&c, (uint32_t)i, &m, 8));
		EXPECT_EQ(h0, *head_word(&mems[i]));
	}
	EXPECT_TRUE(!c.rings[4].broken);
	EXPECT_EQ(CAP, s.msgs[4]);			/* garbage, but in bounds */
	EXPECT_EQ(h0 + CAP, *head_word(&mems[4]));
	EXPECT_EQ(3, s.msgs[5]);

	/* Still served afterwards, and -EPROTO is not repeated. */
	for (uint64_t i = 3; i < 5; i++)
		ASSERT_EQ(0, send_seq(&honest, i, LEN));
	EXPECT_EQ(2, ringmpsc_consume_batch(&c, on_batch, &s, 64));
	EXPECT_EQ(5, s.msgs[5]);
	EXPECT_EQ(4, c.stats.broken);
	mem_consumer_free(&c);
	for (int i = 0; i < NR; i++)
		heap_ring_free(&h[i]);
}

/* A ring that turns corrupt mid-stream: what was validated before is
 * delivered, then -EPROTO; the messages other rings handed to the handler
 * in that same call are delivered and released (not delivered again).
 */
TEST_F_TIMEOUT(corrupt, corrupt_midstream, TIMEOUT_S)
{
	struct lfix f;
	struct seen s = { .nr = 2 };
	const void *m = NULL;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 8, 0));
	s.mems = f.mem;
	for (uint64_t i = 0; i < 3; i++) {
		ASSERT_EQ(0, send_seq(&f.p[0], i, LEN));
		ASSERT_EQ(0, send_seq(&f.p[1], i, LEN));
	}
	EXPECT_EQ(1, ringmpsc_peek(&f.c, 1, &m, 1));	/* caches tail 3 */
	EXPECT_EQ(4, ringmpsc_consume_batch(&f.c, on_batch, &s, 2));
	/* Ring 1 now goes backwards; its cached message still comes. */
	*tail_word(&f.mem[1]) = 1;
	EXPECT_EQ(-EPROTO, ringmpsc_consume_batch(&f.c, on_batch, &s, 8));
	EXPECT_EQ(3, s.msgs[0]);
	EXPECT_EQ(3, s.msgs[1]);
	EXPECT_EQ(3, *head_word(&f.mem[0]));	/* released despite -EPROTO */
	EXPECT_EQ(3, *head_word(&f.mem[1]));
	EXPECT_EQ(6, f.c.stats.messages);
	EXPECT_EQ(0, ringmpsc_consume_batch(&f.c, on_batch, &s, 8));
	ASSERT_EQ(0, send_seq(&f.p[0], 3, LEN));
	EXPECT_EQ(1, ringmpsc_consume_batch(&f.c, on_batch, &s, 8));
	EXPECT_EQ(-EPROTO, ringmpsc_peek(&f.c, 1, &m, 8));
	EXPECT_EQ(0, s.bad);
	lfix_fini(&f);
}

/* A consumer blocked in ringmpsc_wait is not fooled by a broken ring: the
 * corruption counts as work once (so the caller sees -EPROTO), then the
 * broken ring is ignored (no flag set in it, no busy loop) while a commit
 * on a healthy ring still wakes the consumer.
 */
TEST_F_TIMEOUT(corrupt, corrupt_wait, TIMEOUT_S)
{
	struct lfix f;
	struct seen s = { .nr = 2 };
	uint64_t t0;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 4, 0));
	s.mems = f.mem;
	*tail_word(&f.mem[0]) = 100;
	t0 = now_ns();
	EXPECT_EQ(0, ringmpsc_wait(&f.c, 10000));
	EXPECT_GT(5000, ms_since(t0));
	EXPECT_EQ(-EPROTO, ringmpsc_consume_batch(&f.c, on_batch, &s, 8));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_wait(&f.c, 50));
	EXPECT_LE(49, ms_since(t0));
	EXPECT_EQ(0, ringmpsc_wait_prepare(&f.c));
	EXPECT_EQ(0, *cons_flags_word(&f.mem[0]));	/* broken: left alone */
	EXPECT_EQ(RINGMPSC_NEED_WAKEUP, *cons_flags_word(&f.mem[1]));
	EXPECT_EQ(0, send_seq(&f.p[1], 0, LEN));
	EXPECT_EQ(1, f.p[1].stats.wakeups);
	ringmpsc_wait_finish(&f.c);
	EXPECT_EQ(1, ringmpsc_consume_batch(&f.c, on_batch, &s, 8));
	EXPECT_EQ(1, s.msgs[1]);
	EXPECT_EQ(0, s.bad);
	lfix_fini(&f);
}

/*
 * Consumer fuzz over one ring: the "producer" writes random tails (valid,
 * exactly full, one too far, behind, anything) whenever the consumer has
 * drained what it cached; the consumer peeks/releases or consumes with
 * random sizes. Checks: -EPROTO exactly for invalid tails; otherwise the
 * count the model predicts; every run inside the data and read in full.
 * After -EPROTO a fresh view of the ring (a new consumer) continues.
 */
static void consumer_fuzz(struct __test_metadata *_metadata,
			  const struct ringmpsc_ring_mem *mem, uint64_t seed,
			  uint32_t iters)
{
	const uint32_t cap = mem->capacity;
	struct ringmpsc_consumer c;
	struct seen s = { .mems = mem, .nr = 1 };
	uint64_t rs = seed, broken_before;
	uint32_t broken = 0;

	ASSERT_EQ(0, mem_consumer_init(&c, mem, 1));
	for (uint32_t it = 0; it < iters && !s.bad; it++) {
		struct ringmpsc_cring *r = &c.rings[0];
		uint64_t head = r->head, tail = head, x = rnd(&rs);
		bool valid;

		if (r->cached_tail == head) {
			switch (x % 8) {
			case 0: tail = head + cap; break;
			case 1: tail = head + cap + 1 + (x >> 40) % cap; break;
			case 2: tail = head - 1 - (x >> 40) % cap; break;
			case 3: tail = rnd(&rs); break;
			default: tail = head + (x >> 40) % (cap + 1); break;
			}
			ringmpsc_smp_store_release(tail_word(mem), tail);
		} else {
			tail = r->cached_tail;	/* not re-read until drained */
		}
		valid = tail - head <= cap;
		broken_before = c.stats.broken;
		if (x & (1ull << 20)) {
			const void *m = NULL;
			uint32_t max = 1 + (uint32_t)((x >> 24) % (2 * cap));
			int n = ringmpsc_peek(&c, 0, &m, max);
			uint64_t want = tail - head;

			if (!valid) {
				EXPECT_EQ(-EPROTO, n);
			} else {
				if (want > max)
					want = max;
				if (!mem->mirrored && want > cap - (head & (cap - 1)))
					want = cap - (head & (cap - 1));
				EXPECT_EQ(want, n);
			}
			if (n > 0) {
				read_run(m, (size_t)n * mem->slot_size);
				if (!run_in_bounds(mem, m, (uint32_t)n))
					s.bad++;
				EXPECT_EQ(0, ringmpsc_release(&c, 0, (uint32_t)
							      ((x >> 32) % (uint32_t)(n + 1))));
			}
		} else {
			uint32_t budget = 1 + (uint32_t)((x >> 24) % (2 * cap));
			long n = ringmpsc_consume_batch(&c, on_batch, &s, budget);

			if (!valid) {
				EXPECT_EQ(-EPROTO, n);
			} else {
				EXPECT_EQ(tail - head < budget ? tail - head : budget, n);
			}
		}
		if (!valid) {
			EXPECT_EQ(broken_before + 1, c.stats.broken);
			EXPECT_TRUE(r->broken);
			broken++;
			/* A new consumer picks the ring up from head. */
			ringmpsc_smp_store_release(tail_word(mem), r->head);
			mem_consumer_free(&c);
			ASSERT_EQ(0, mem_consumer_init(&c, mem, 1));
		}
		/* The head we published is the one we keep (INV-RING-10). */
		EXPECT_EQ(c.rings[0].head, *head_word(mem));
	}
	EXPECT_EQ(0, s.bad);
	EXPECT_LT(iters / 16, broken);
	mem_consumer_free(&c);
}

/* @dflt, or less when RINGMPSC_FUZZ_N says so (valgrind runs the plain
 * build).
 */
static uint64_t scaled(uint64_t dflt)
{
	uint64_t n = test_env_count("RINGMPSC_FUZZ_N", dflt);

	return n < dflt ? n : dflt;
}

static uint32_t fuzz_iters(void)
{
	return (uint32_t)scaled(20000);
}

TEST_F_TIMEOUT(corrupt, fuzz_consumer_heap, TIMEOUT_S)
{
	static const struct { uint32_t cap, slot; bool mirrored; } cfg[] = {
		{ 2, 8, false }, { 4, 24, false }, { 64, 16, false },
		{ 2, 40, true }, { 8, 16, true },
	};

	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		struct heap_ring h;

		ASSERT_EQ(0, heap_ring_init(&h, cfg[i].cap, cfg[i].slot,
					    cfg[i].mirrored));
		consumer_fuzz(_metadata, &h.mem, 0x1234 + i, fuzz_iters());
		heap_ring_free(&h);
	}
}

TEST_F_TIMEOUT(corrupt, fuzz_consumer_guard_pages, TIMEOUT_S)
{
	static const struct { uint32_t cap, slot; bool mirrored; } cfg[] = {
		{ 2, 2048, false }, { 4, 1024, true }, { 256, 16, false },
		{ 256, 16, true },
	};

	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		struct guard_ring g;

		ASSERT_EQ(0, guard_ring_init(&g, cfg[i].cap, cfg[i].slot,
					     cfg[i].mirrored));
		consumer_fuzz(_metadata, &g.mem, 0x9876 + i, fuzz_iters());
		guard_ring_free(&g);
	}
}

/* ---- the producer side -------------------------------------------------- */

/* A head the producer cannot trust (beyond its tail, more than capacity
 * behind, or going backwards) is ignored: the producer keeps its cached
 * head, which can only make it see less room; wait_space does not return
 * on it; a sane head later is taken again.
 */
TEST_F_TIMEOUT(corrupt, corrupt_head_producer, TIMEOUT_S)
{
	struct lfix f;
	void *s = NULL;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 8, 0));
	for (uint64_t i = 0; i < 8; i++)
		ASSERT_EQ(0, send_seq(&f.p[0], i, LEN));
	*head_word(&f.mem[0]) = 11;			/* beyond tail 8 */
	EXPECT_EQ(-EAGAIN, ringmpsc_reserve(&f.p[0], 1, &s));
	EXPECT_EQ(0, f.p[0].cached_head);
	*head_word(&f.mem[0]) = UINT64_MAX;		/* far behind */
	EXPECT_EQ(-EAGAIN, ringmpsc_reserve(&f.p[0], 1, &s));
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_wait_space(&f.p[0], 1, 30));
	EXPECT_EQ(0, f.p[0].cached_head);

	*head_word(&f.mem[0]) = 4;			/* sane */
	EXPECT_EQ(4, ringmpsc_reserve(&f.p[0], 8, &s));
	EXPECT_EQ(4, f.p[0].cached_head);
	EXPECT_EQ(0, ringmpsc_commit(&f.p[0], 2));	/* tail 10 */
	*head_word(&f.mem[0]) = 3;			/* backwards */
	EXPECT_EQ(2, ringmpsc_reserve(&f.p[0], 8, &s));	/* not 1: keeps 4 */
	EXPECT_EQ(4, f.p[0].cached_head);
	EXPECT_EQ(0, ringmpsc_commit(&f.p[0], 0));
	*head_word(&f.mem[0]) = 10;
	EXPECT_EQ(6, ringmpsc_reserve(&f.p[0], 8, &s));	/* all free, to the wrap */
	EXPECT_EQ(0, ringmpsc_commit(&f.p[0], 0));
	/* A producer attaching to a ring with a corrupt head refuses it. */
	struct ringmpsc_producer p2;

	*head_word(&f.mem[0]) = 11;
	EXPECT_EQ(-EPROTO, ringmpsc_producer_init(&p2, &f.mem[0]));
	lfix_fini(&f);
}

/*
 * Producer fuzz: the "consumer" writes random heads; the producer reserves
 * random counts, writes every reserved byte and commits part. Checks: the
 * cached head only ever takes a sane value that does not go back
 * (INV-RING-10/11); every reservation is in bounds and inside
 * [tail, cached_head + capacity) (INV-RING-06); the count never exceeds
 * what a sane head allows.
 */
static void producer_fuzz(struct __test_metadata *_metadata,
			  const struct ringmpsc_ring_mem *mem, uint64_t seed,
			  uint32_t iters)
{
	const uint32_t cap = mem->capacity;
	struct ringmpsc_producer p;
	uint64_t rs = seed;
	uint32_t bad = 0;

	ASSERT_EQ(0, ringmpsc_producer_init(&p, mem));
	for (uint32_t it = 0; it < iters && !bad; it++) {
		uint64_t x = rnd(&rs), old = p.cached_head, head;
		uint32_t want = 1 + (uint32_t)((x >> 8) % cap);
		void *slots = NULL;
		int n;

		switch (x % 6) {
		case 0: head = p.tail + 1 + (x >> 40) % cap; break;	/* ahead */
		case 1: head = p.tail - cap - 1 - (x >> 40) % cap; break;
		case 2: head = old - 1 - (x >> 40) % 4; break;		/* back */
		case 3: head = rnd(&rs); break;
		default: head = p.tail - (x >> 40) % (cap + 1); break;	/* sane */
		}
		ringmpsc_smp_store_release(head_word(mem), head);
		n = ringmpsc_reserve(&p, want, &slots);
		if (p.cached_head != old) {
			EXPECT_EQ(head, p.cached_head);
			EXPECT_TRUE(p.tail - head <= cap && head >= old);
		}
		EXPECT_GE(cap, p.tail - p.cached_head);
		if (n == -EAGAIN) {
			EXPECT_EQ(cap, p.tail - p.cached_head);
			continue;
		}
		EXPECT_TRUE(n >= 1 && (uint32_t)n <= want);
		if (n < 1)
			break;
		EXPECT_GE(cap, p.tail + (uint32_t)n - p.cached_head);
		if (!run_in_bounds(mem, slots, (uint32_t)n)) {
			bad++;
			break;
		}
		memset(slots, (int)(x >> 56), (size_t)n * mem->slot_size);
		EXPECT_EQ(0, ringmpsc_commit(&p, (uint32_t)((x >> 32) % (uint32_t)(n + 1))));
		EXPECT_EQ(p.tail, *tail_word(mem));
	}
	EXPECT_EQ(0, bad);
}

TEST_F_TIMEOUT(corrupt, fuzz_producer, TIMEOUT_S)
{
	static const struct { uint32_t cap, slot; bool mirrored; } cfg[] = {
		{ 2, 8, false }, { 4, 24, false }, { 64, 16, true },
	};

	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		struct heap_ring h;
		struct guard_ring g;

		ASSERT_EQ(0, heap_ring_init(&h, cfg[i].cap, cfg[i].slot,
					    cfg[i].mirrored));
		producer_fuzz(_metadata, &h.mem, 0x55 + i, fuzz_iters());
		heap_ring_free(&h);
		ASSERT_EQ(0, guard_ring_init(&g, 256, 16, cfg[i].mirrored));
		producer_fuzz(_metadata, &g.mem, 0x77 + i, fuzz_iters());
		guard_ring_free(&g);
	}
}

/* ---- concurrent hostility ------------------------------------------------- */

struct hostile {
	pthread_t th;
	uint64_t *word;		/* tail (or head) to scribble on */
	uint32_t *flags;	/* its side's flags word */
	_Atomic uint64_t base;	/* near which to scribble */
	uint32_t cap;
	atomic_int stop;
	uint64_t writes;
};

/* Scribble random values, mostly near the plausible range. */
static void *scribbler(void *arg)
{
	struct hostile *h = arg;
	uint64_t rs = 0xdeadbeefcafef00dull;

	while (!atomic_load_explicit(&h->stop, memory_order_acquire)) {
		uint64_t base = atomic_load_explicit(&h->base, memory_order_relaxed);
		uint64_t x = rnd(&rs), v;

		switch (x % 4) {
		case 0: v = rnd(&rs); break;
		case 1: v = base - (x >> 40) % 8; break;
		default: v = base + (x >> 40) % (2 * h->cap + 2); break;
		}
		ringmpsc_smp_store_release(h->word, v);
		RINGMPSC_WRITE_ONCE(*h->flags,
				    (uint32_t)(x >> 32) & RINGMPSC_NEED_WAKEUP);
		h->writes++;
		if (h->writes % 64 == 0)
			sched_yield();
	}
	return NULL;
}

struct honest {
	pthread_t th;
	struct ringmpsc_producer *p;
	uint64_t count;
	int err;
};

static void *honest_producer(void *arg)
{
	struct honest *h = arg;

	for (uint64_t i = 0; i < h->count && !h->err; i++) {
		int err;

		while ((err = send_seq(h->p, i, LEN)) == -EAGAIN)
			sched_yield();
		h->err = err;
	}
	return NULL;
}

struct checker {
	uint64_t next[4];
	uint32_t bad;
	const struct ringmpsc_ring_mem *mems;
};

static void check_batch(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct checker *k = ctx;
	const unsigned char *m = msgs;

	read_run(msgs, (size_t)n * LEN);
	if (!run_in_bounds(&k->mems[ring], msgs, n)) {
		k->bad++;
		return;
	}
	if (ring == 0)		/* the hostile ring: garbage */
		return;
	for (uint32_t i = 0; i < n; i++, m += LEN)
		if (msg_bad_word(m, ring, k->next[ring]++, LEN))
			k->bad++;
}

/* A thread scribbles on ring 0's tail and flags while honest producers
 * stream on rings 1..3: the consumer reports -EPROTO for ring 0 exactly
 * once and delivers every honest message once, in order (INV-RING-07/08,
 * INV-RING-10). Runs under TSan too (only shared words are scribbled).
 */
TEST_F_TIMEOUT(corrupt, hostile_producer_thread, TIMEOUT_S)
{
	const uint64_t count = scaled(test_build_is("plain") ? 200000 : 20000);
	struct lfix f;
	struct hostile h = { 0 };
	struct honest hp[3];
	struct checker k = { { 0 }, 0, NULL };
	uint64_t t0 = now_ns(), done = 0;
	int eproto = 0;

	ASSERT_EQ(0, lfix_init(&f, 4, LEN, 8, 0));
	k.mems = f.mem;
	h.word = tail_word(&f.mem[0]);
	h.flags = prod_flags_word(&f.mem[0]);
	h.cap = 8;
	ASSERT_EQ(0, pthread_create(&h.th, NULL, scribbler, &h));
	for (int i = 0; i < 3; i++) {
		hp[i] = (struct honest){ .p = &f.p[i + 1], .count = count };
		ASSERT_EQ(0, pthread_create(&hp[i].th, NULL, honest_producer, &hp[i]));
	}
	while (done < 3 * count && ms_since(t0) < 120000) {
		long n = ringmpsc_consume_batch(&f.c, check_batch, &k, 16);

		if (n == -EPROTO) {
			eproto++;
			continue;
		}
		EXPECT_LE(0, n);
		if (n <= 0)
			sched_yield();
		done = k.next[1] + k.next[2] + k.next[3];
	}
	atomic_store_explicit(&h.stop, 1, memory_order_release);
	pthread_join(h.th, NULL);
	for (int i = 0; i < 3; i++) {
		pthread_join(hp[i].th, NULL);
		EXPECT_EQ(0, hp[i].err);
		EXPECT_EQ(count, k.next[i + 1]);
	}
	EXPECT_EQ(1, eproto);
	EXPECT_EQ(1, f.c.stats.broken);
	EXPECT_TRUE(f.c.rings[0].broken);
	EXPECT_EQ(0, k.bad);
	EXPECT_EQ(0, ringmpsc_consume_batch(&f.c, check_batch, &k, 16));
	lfix_fini(&f);
}

/* The same with the hostile producer a separate process (a local ring
 * shared by fork), killed at the end.
 */
TEST_F_TIMEOUT(corrupt, hostile_producer_process, TIMEOUT_S)
{
	const uint64_t count = scaled(test_build_is("plain") ? 200000 : 20000);
	struct lfix f;
	struct honest hp[3];
	struct checker k = { { 0 }, 0, NULL };
	uint64_t t0 = now_ns(), done = 0;
	int eproto = 0, status;
	pid_t pid;

	ASSERT_EQ(0, lfix_init(&f, 4, LEN, 8, 0));
	k.mems = f.mem;
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct hostile h = { .word = tail_word(&f.mem[0]),
				     .flags = prod_flags_word(&f.mem[0]),
				     .cap = 8 };

		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive us */
		scribbler(&h);		/* until killed */
		_exit(0);
	}
	for (int i = 0; i < 3; i++) {
		hp[i] = (struct honest){ .p = &f.p[i + 1], .count = count };
		ASSERT_EQ(0, pthread_create(&hp[i].th, NULL, honest_producer, &hp[i]));
	}
	/* Until the honest messages are in and the scribbler has been seen:
	 * a slow start of the child (emulation) must not end the test first.
	 */
	while ((done < 3 * count || !eproto) && ms_since(t0) < 120000) {
		long n = ringmpsc_consume_batch(&f.c, check_batch, &k, 16);

		if (n == -EPROTO) {
			eproto++;
			continue;
		}
		EXPECT_LE(0, n);
		if (n <= 0)
			sched_yield();
		done = k.next[1] + k.next[2] + k.next[3];
	}
	kill(pid, SIGKILL);
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	for (int i = 0; i < 3; i++) {
		pthread_join(hp[i].th, NULL);
		EXPECT_EQ(0, hp[i].err);
		EXPECT_EQ(count, k.next[i + 1]);
	}
	EXPECT_EQ(1, eproto);
	EXPECT_EQ(1, f.c.stats.broken);
	EXPECT_EQ(0, k.bad);
	lfix_fini(&f);
}

/* A thread scribbles on the head (and consumer flags) of a producer's ring
 * while it sends: the producer never trusts a bad head (INV-RING-10): its
 * reservations stay in bounds and within [tail, cached_head + capacity)
 * (INV-RING-01/06, asserted by the library's INV checks in this build and
 * checked here). Heap memory: ASan sees any stray write.
 */
TEST_F_TIMEOUT(corrupt, hostile_consumer_thread, TIMEOUT_S)
{
	const uint32_t iters = (uint32_t)scaled(test_build_is("plain") ? 1000000 : 100000);
	struct heap_ring hr;
	struct ringmpsc_producer p;
	struct hostile h = { 0 };
	uint32_t bad = 0, sent = 0;
	uint64_t buf[7 * 2] = { 0 };

	ASSERT_EQ(0, heap_ring_init(&hr, 16, LEN, false));
	ASSERT_EQ(0, ringmpsc_producer_init(&p, &hr.mem));
	h.word = head_word(&hr.mem);
	h.flags = cons_flags_word(&hr.mem);
	h.cap = 16;
	ASSERT_EQ(0, pthread_create(&h.th, NULL, scribbler, &h));
	for (uint32_t it = 0; it < iters && !bad; it++) {
		void *s = NULL;
		int n;

		/* Keep the scribbles near the producer's tail. */
		atomic_store_explicit(&h.base, p.tail, memory_order_relaxed);
		if (it & 1) {
			n = ringmpsc_try_send_many(&p, buf, LEN, 1 + it % 7);
			if (n > 0)
				sent += (uint32_t)n;
			else if (n != -EAGAIN)
				bad++;
		} else {
			n = ringmpsc_reserve(&p, 1 + it % 16, &s);
			if (n > 0) {
				if (!run_in_bounds(&hr.mem, s, (uint32_t)n) ||
				    p.tail + (uint32_t)n - p.cached_head > 16)
					bad++;
				else
					memset(s, 0xab, (size_t)n * LEN);
				EXPECT_EQ(0, ringmpsc_commit(&p, (uint32_t)n));
				sent += (uint32_t)n;
			} else if (n != -EAGAIN) {
				bad++;
			}
		}
		if (p.tail - p.cached_head > 16)
			bad++;
	}
	atomic_store_explicit(&h.stop, 1, memory_order_release);
	pthread_join(h.th, NULL);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, sent);
	EXPECT_EQ(sent, p.stats.messages);
	heap_ring_free(&hr);
}

TEST_HARNESS_MAIN
