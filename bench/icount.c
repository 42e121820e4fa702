// SPDX-License-Identifier: MIT
/*
 * ringbench-icount: what a single-message send and consume cost, generic
 * (<ringmpsc.h>) against typed (<ringmpsc/typed.h>), on one thread over
 * one local ring of ICOUNT_CAP slots, where no line crosses a core. Each
 * call kind runs in a function of its own, ICOUNT_BURST messages per call
 * of it. Run plainly it prints, per function, the messages it moved and
 * its fastest burst's nanoseconds per message (the burst least disturbed
 * by other load); bench/icount.sh runs it again under valgrind's callgrind
 * for each function's instructions per message (the host has no hardware
 * counters that perf could read). Every message is checked as in
 * ringbench; a wrong one fails the program.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringmpsc.h"
#include "ringmpsc/typed.h"
#include "bench.h"

#define ICOUNT_CAP	4096	/* workload 1's default capacity */
#define ICOUNT_BURST	256	/* messages per call of a measured function */
#define ICOUNT_ROUNDS	1000	/* calls of each measured function */
#define ICOUNT_DRAIN	256	/* the larger consume budget */
RINGMPSC_TYPED_RING(ic8, uint64_t, ICOUNT_CAP)

#define NOINLINE __attribute__((noinline))

static struct verify g_v;
static uint64_t g_seq;

static void ic_generic_one(void *ctx, uint32_t ring, const void *msg)
{
	check_run8(ctx, ring, msg, 1);
}

static void ic_typed_one(void *ctx, uint32_t ring, const uint64_t *msg)
{
	check_run8(ctx, ring, msg, 1);
}

/* Send one burst; 0 or the first error. */
NOINLINE static int ic_send_generic(struct ringmpsc_producer *p,
				   struct ringmpsc_consumer *c)
{
	uint64_t m = msg_value(p->ring, g_seq);

	(void)c;
	for (uint32_t i = 0; i < ICOUNT_BURST; i++, m++) {
		int err = ringmpsc_try_send(p, &m, sizeof(m));

		if (err)
			return err;
	}
	g_seq += ICOUNT_BURST;
	return 0;
}

NOINLINE static int ic_send_typed(struct ringmpsc_producer *p,
				 struct ringmpsc_consumer *c)
{
	uint64_t m = msg_value(p->ring, g_seq);

	(void)c;
	for (uint32_t i = 0; i < ICOUNT_BURST; i++, m++) {
		int err = ic8_try_send(p, &m);

		if (err)
			return err;
	}
	g_seq += ICOUNT_BURST;
	return 0;
}

/* Consume one burst, @budget per call; 0, or the error, or -EIO when the
 * ring ran dry early.
 */
static inline __attribute__((always_inline)) int
ic_consume(struct ringmpsc_consumer *c, uint32_t budget, bool typed)
{
	for (uint32_t got = 0; got < ICOUNT_BURST;) {
		long r = typed ? ic8_consume(c, ic_typed_one, &g_v, budget)
			       : ringmpsc_consume(c, ic_generic_one, &g_v, budget);

		if (r <= 0)
			return r < 0 ? (int)r : -EIO;
		got += (uint32_t)r;
	}
	return 0;
}

#define IC_CONSUME(name, budget, typed)					\
NOINLINE static int name(struct ringmpsc_producer *p,			\
			 struct ringmpsc_consumer *c)			\
{									\
	(void)p;							\
	return ic_consume(c, budget, typed);				\
}
IC_CONSUME(ic_consume1_generic, 1, false)
IC_CONSUME(ic_consume1_typed, 1, true)
IC_CONSUME(ic_drain_generic, ICOUNT_DRAIN, false)
IC_CONSUME(ic_drain_typed, ICOUNT_DRAIN, true)

/* Each measured function: its calls, and its fastest burst (TSC ticks),
 * the one least disturbed by whatever else shares the CPU.
 */
static struct ic_kind {
	const char *name;
	int (*fn)(struct ringmpsc_producer *p, struct ringmpsc_consumer *c);
	uint64_t calls, best;
} g_kinds[] = {
#define IC_KIND(fn) { #fn, fn, 0, UINT64_MAX }
	IC_KIND(ic_send_generic), IC_KIND(ic_send_typed),
	IC_KIND(ic_consume1_generic), IC_KIND(ic_consume1_typed),
	IC_KIND(ic_drain_generic), IC_KIND(ic_drain_typed),
#undef IC_KIND
};

/* One round: each consume kind after a burst of sends, generic and typed
 * sends alike.
 */
static const uint8_t g_round[] = { 0, 2, 1, 3, 0, 4, 1, 5 };

static int ic_rounds(struct ringmpsc_producer *p, struct ringmpsc_consumer *c)
{
	for (int r = 0; r < ICOUNT_ROUNDS; r++) {
		for (unsigned i = 0; i < sizeof(g_round); i++) {
			struct ic_kind *k = &g_kinds[g_round[i]];
			uint64_t t0 = rdtsc(), t;
			int err = k->fn(p, c);

			t = rdtsc() - t0;
			if (err)
				return err;
			k->calls++;
			if (t < k->best)
				k->best = t;
		}
	}
	return 0;
}

/* Nanoseconds per TSC tick, over 20 ms. */
static double ns_per_tick(void)
{
	uint64_t t0 = now_ns(), c0 = rdtsc(), t1;

	while ((t1 = now_ns()) - t0 < 20000000)
		;
	return (double)(t1 - t0) / (double)(rdtsc() - c0);
}

int main(int argc, char **argv)
{
	struct ringmpsc_local *l;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	uint64_t want_sum;
	double tick_ns;
	int err;

	if (argc > 1) {
		bool help = !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help");

		fprintf(help ? stdout : stderr,
			"usage: %s\n"
			"Sends and consumes single 8-byte messages on one thread,\n"
			"generic and typed, each kind of call in a function of its\n"
			"own; run it through bench/icount.sh (make bench-icount),\n"
			"which counts each function's instructions under callgrind.\n",
			argv[0]);
		return help ? 0 : 2;
	}
	err = ringmpsc_local_create(&l, 1, sizeof(uint64_t), ICOUNT_CAP, 0);
	if (!err)
		err = ringmpsc_local_producer(l, 0, &p);
	if (!err)
		err = ringmpsc_local_consumer(l, &c);
	if (err) {
		fprintf(stderr, "ringbench-icount: local ring: %s\n", strerror(-err));
		return 1;
	}
	err = ic_rounds(&p, &c);
	/* Messages 0 .. g_seq - 1 of producer 0: their sum. */
	want_sum = g_seq * (g_seq - 1) / 2;
	if (err || g_v.bad || g_v.count != g_seq || g_v.sum != want_sum) {
		fprintf(stderr, "ringbench-icount: %s (error %d, %llu of %llu messages)\n",
			err ? "a call failed" : "a message was wrong", err,
			(unsigned long long)g_v.count, (unsigned long long)g_seq);
		return 1;
	}
	/* What bench/icount.sh reads: each function, its messages and its
	 * fastest burst's time per message.
	 */
	tick_ns = ns_per_tick();
	for (unsigned i = 0; i < sizeof(g_kinds) / sizeof(g_kinds[0]); i++)
		printf("%s %llu %.2f\n", g_kinds[i].name,
		       (unsigned long long)(g_kinds[i].calls * ICOUNT_BURST),
		       (double)g_kinds[i].best * tick_ns / ICOUNT_BURST);
	ringmpsc_consumer_close(&c);
	ringmpsc_producer_close(&p);
	ringmpsc_local_destroy(l);
	return 0;
}
