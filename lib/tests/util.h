/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the library's host tests: the kselftest harness and
 * what every test process needs around it, clocks, a self-checking
 * message format, rings in ordinary heap memory, and access to the shared
 * words of a ring.
 */
#ifndef RINGMPSC_TEST_UTIL_H
#define RINGMPSC_TEST_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "../invariants.h"	/* before ringmpsc.h: INV checks on */
#include "ringmpsc.h"

/*
 * The harness macros compare expected and seen values of mixed signedness,
 * and the 6.1 harness has unused parameters of its own: neither is a bug
 * of the test, so -Wextra -Werror builds must not stop on them.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

/* Which build this is: plain, tsan, asan (set by lib/tests/tests.mk). */
#ifndef RINGMPSC_TEST_BUILD
#define RINGMPSC_TEST_BUILD "plain"
#endif

static inline bool test_build_is(const char *what)
{
	return strcmp(RINGMPSC_TEST_BUILD, what) == 0;
}

/*
 * A line for the log, "# " first. One write to stderr: lines of threads
 * and forked children do not mix, and none is left in a stdio buffer when
 * the harness ends a test's process with _exit().
 */
static inline __attribute__((format(printf, 1, 2))) void
test_diag(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "# %s\n", buf);
}

/*
 * The positive count in environment variable @name (the sizes
 * lib/tests/run-tests.sh chooses per build), or @dflt when it is unset. A
 * value that is not a positive number ends the test's process, which
 * fails the test.
 */
static inline uint64_t test_env_count(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !v || *s == '-') {
		test_diag("%s=%s: want a positive number", name, s);
		exit(2);
	}
	return v;
}

/*
 * First and last steps of every test, in the process the harness forks
 * for it (the FIXTURE_SETUP and FIXTURE_TEARDOWN of every fixture call
 * them).
 *
 * The harness puts each test's process in a process group of its own, out
 * of reach of a kill of the runner's group (timeout(1), ^C): the test dies
 * with the harness instead.
 *
 * The harness ends each test's process with _exit(), which skips the leak
 * check LeakSanitizer would run at exit: the asan build runs it here, so
 * that a leak fails the test that made it. ThreadSanitizer reports at
 * _exit() itself (its exit status, 66, fails the test), ASan, UBSan and
 * the INV- assertions stop the process at their first error, and valgrind
 * checks for leaks and sets its error exit status at _exit() too.
 */
static pid_t test_harness_pid;

__attribute__((constructor)) static void test_note_harness_pid(void)
{
	test_harness_pid = getpid();
}

static inline void test_begin(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, prctl(PR_SET_PDEATHSIG, SIGKILL));
	ASSERT_EQ(test_harness_pid, getppid());	/* not gone already */
}

static inline void test_end(struct __test_metadata *_metadata)
{
#ifdef __SANITIZE_ADDRESS__
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check())
		TH_LOG("LeakSanitizer found leaks: see its report above");
#endif
}

/*
 * TEST_PROCESS_FIXTURE(name): a fixture without shared data for tests
 * that set up their own rings; its setup and teardown are test_begin()
 * and test_end().
 */
#define TEST_PROCESS_FIXTURE(name)					\
	FIXTURE(name) {};						\
	FIXTURE_SETUP(name) { test_begin(_metadata); }			\
	FIXTURE_TEARDOWN(name) { test_end(_metadata); }

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ms_since(uint64_t start_ns)
{
	return (now_ns() - start_ns) / 1000000u;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* splitmix64 finaliser: a cheap, well-mixed function of its input. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * Message format of the tests: @len bytes (a multiple of 8, >= 16) of
 * 64-bit words. Word 0 is the producer's sequence number, word k > 0 a
 * function of (ring, seq, k). A consumer can thus check order and
 * exactly-once (word 0) and that the whole message arrived intact, never
 * torn or stale (the other words; INV-RING-09).
 */
static inline uint64_t msg_word(uint32_t ring, uint64_t seq, uint32_t k)
{
	return mix64(seq ^ ((uint64_t)ring << 40) ^ ((uint64_t)k << 56));
}

static inline void msg_fill(void *slot, uint32_t ring, uint64_t seq, uint32_t len)
{
	uint64_t *w = slot;

	w[0] = seq;
	for (uint32_t k = 1; k < len / 8; k++)
		w[k] = msg_word(ring, seq, k);
}

/* The checksum contribution of one message: its word 1. */
static inline uint64_t msg_sum(uint32_t ring, uint64_t seq)
{
	return msg_word(ring, seq, 1);
}

/* 0 when intact, else the index of the first bad word plus one. */
static inline uint32_t msg_bad_word(const void *slot, uint32_t ring,
				    uint64_t seq, uint32_t len)
{
	uint64_t w[RINGMPSC_SLOT_MAX / 8];

	memcpy(w, slot, len);
	if (w[0] != seq)
		return 1;
	for (uint32_t k = 1; k < len / 8; k++)
		if (w[k] != msg_word(ring, seq, k))
			return k + 1;
	return 0;
}

/* Shared words of a ring, as the other side (or an attacker) sees them. */
static inline uint64_t *tail_word(const struct ringmpsc_ring_mem *m)
{
	return (uint64_t *)((unsigned char *)m->prod + m->tail_off);
}

static inline uint64_t *head_word(const struct ringmpsc_ring_mem *m)
{
	return (uint64_t *)((unsigned char *)m->cons + m->head_off);
}

static inline uint32_t *prod_flags_word(const struct ringmpsc_ring_mem *m)
{
	return (uint32_t *)((unsigned char *)m->prod + m->prod_flags_off);
}

static inline uint32_t *cons_flags_word(const struct ringmpsc_ring_mem *m)
{
	return (uint32_t *)((unsigned char *)m->cons + m->cons_flags_off);
}

/*
 * A ring in ordinary heap memory: PROD and CONS "pages" of 256 bytes and a
 * data area of exactly capacity * slot_size bytes (twice that when
 * @mirrored: not a real mirror, but the bound a mirrored reader may touch).
 * Under AddressSanitizer any access past them is reported.
 */
struct heap_ring {
	struct ringmpsc_ring_mem mem;
};

static inline int heap_ring_init(struct heap_ring *h, uint32_t capacity,
				 uint32_t slot_size, bool mirrored)
{
	size_t data = (size_t)capacity * slot_size * (mirrored ? 2 : 1);

	memset(h, 0, sizeof(*h));
	h->mem.prod = calloc(1, 2 * RINGMPSC_LINE);
	h->mem.cons = calloc(1, 2 * RINGMPSC_LINE);
	h->mem.data = calloc(1, data);
	if (!h->mem.prod || !h->mem.cons || !h->mem.data)
		return -ENOMEM;
	h->mem.tail_off = 0;
	h->mem.prod_flags_off = RINGMPSC_LINE;
	h->mem.head_off = 0;
	h->mem.cons_flags_off = RINGMPSC_LINE;
	h->mem.slot_size = slot_size;
	h->mem.capacity = capacity;
	h->mem.mirrored = mirrored;
	return 0;
}

static inline void heap_ring_free(struct heap_ring *h)
{
	free(h->mem.prod);
	free(h->mem.cons);
	free(h->mem.data);
	memset(h, 0, sizeof(*h));
}

/* A consumer over @n rings of arbitrary memory, built from the public
 * structs (no eventfd: blocking waits are not available on it).
 */
static inline int mem_consumer_init(struct ringmpsc_consumer *c,
				    const struct ringmpsc_ring_mem *mems,
				    uint32_t n)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = ringmpsc__consumer_alloc(c, n);
	if (err)
		return err;
	c->nr_rings = n;
	c->slot_size = mems[0].slot_size;
	c->capacity = mems[0].capacity;
	c->mask = mems[0].capacity - 1;
	c->mirrored = mems[0].mirrored;
	c->wait_fd = -1;
	for (uint32_t i = 0; i < n; i++) {
		err = ringmpsc_cring_init(&c->rings[i], &mems[i]);
		if (err)
			return err;
	}
	return 0;
}

static inline void mem_consumer_free(struct ringmpsc_consumer *c)
{
	free(c->rings);
	c->rings = NULL;
	c->nr_rings = 0;
}

/*
 * A set of local rings with a producer bound to every ring and the
 * consumer. Indices start at @start (both head and tail), written into the
 * fresh memory before anything binds to it, to run the counters near any
 * boundary.
 */
#define LFIX_MAX 8

struct lfix {
	struct ringmpsc_local *l;
	uint32_t n;
	struct ringmpsc_ring_mem mem[LFIX_MAX];
	struct ringmpsc_producer p[LFIX_MAX];
	struct ringmpsc_consumer c;
};

static inline int lfix_init_at(struct lfix *f, uint32_t n, uint32_t slot_size,
			       uint32_t capacity, uint32_t flags, uint64_t start)
{
	int err;

	memset(f, 0, sizeof(*f));
	if (n > LFIX_MAX)
		return -EINVAL;
	err = ringmpsc_local_create(&f->l, n, slot_size, capacity, flags);
	if (err)
		return err;
	f->n = n;
	for (uint32_t i = 0; i < n; i++) {
		err = ringmpsc_local_ring_mem(f->l, i, &f->mem[i]);
		if (err)
			return err;
		*tail_word(&f->mem[i]) = start;
		*head_word(&f->mem[i]) = start;
	}
	for (uint32_t i = 0; i < n; i++) {
		err = ringmpsc_local_producer(f->l, i, &f->p[i]);
		if (err)
			return err;
	}
	return ringmpsc_local_consumer(f->l, &f->c);
}

static inline int lfix_init(struct lfix *f, uint32_t n, uint32_t slot_size,
			    uint32_t capacity, uint32_t flags)
{
	return lfix_init_at(f, n, slot_size, capacity, flags, 0);
}

static inline void lfix_fini(struct lfix *f)
{
	for (uint32_t i = 0; i < f->n; i++)
		ringmpsc_producer_close(&f->p[i]);
	ringmpsc_consumer_close(&f->c);
	ringmpsc_local_destroy(f->l);
	memset(f, 0, sizeof(*f));
}

/* Send message @seq of the test format on producer @p (ring p->ring). */
static inline int send_seq(struct ringmpsc_producer *p, uint64_t seq, uint32_t len)
{
	uint64_t buf[RINGMPSC_SLOT_MAX / 8];

	msg_fill(buf, p->ring, seq, len);
	return ringmpsc_try_send(p, buf, len);
}

#endif /* RINGMPSC_TEST_UTIL_H */
