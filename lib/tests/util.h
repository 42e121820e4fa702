/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the library's host tests: clocks, a self-checking
 * message format, rings in ordinary heap memory, and access to the shared
 * words of a ring.
 */
#ifndef RINGMPSC_TEST_UTIL_H
#define RINGMPSC_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../invariants.h"	/* before ringmpsc.h: INV checks on */
#include "ringmpsc.h"
#include "tap.h"

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
