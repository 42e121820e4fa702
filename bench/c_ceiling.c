// SPDX-License-Identifier: MIT
/*
 * The ceiling of workload 1: a producer streaming whole cache lines to a
 * consumer with no protocol. A line holds eight 8-byte messages; its last
 * word, stored last, tells the consumer the line has arrived (its value
 * is the message's, unique to its place in the stream, so a stale line
 * never matches) and the consumer then checks all eight as every
 * contender does. No head or tail index moves per message: the consumer
 * publishes how far it got once per quarter ring, and the producer reads
 * that only when its cached copy says the ring is full. What remains is
 * the cost of moving lines from one core's cache to the other's, which no
 * ring can beat. The ring is capacity x 8 bytes, as the rings' are; the
 * producer writes a line in one vector store where it can and prefetches
 * a group (up to 2 KiB) ahead for writing, as ringmpsc_reserve() does.
 */
#include <errno.h>

#include "bench.h"

#define LINE_MSGS	8

typedef uint64_t line_vec __attribute__((vector_size(64)));

union line {
	uint64_t w[LINE_MSGS];
	line_vec v;
} __attribute__((aligned(64)));

struct ceiling {			/* shared memory */
	volatile uint64_t consumed ALIGNED_LINE;	/* lines, by the consumer */
	uint64_t nr_lines;		/* a power of two */
	size_t bytes;
	union line lines[] ALIGNED_LINE;
};

static inline void prefetchw(const void *p)
{
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
}

static bool ceiling_supports(const struct tp_params *p)
{
	return p->nprod == 1 && p->msg_size == 8 && !p->idle_rings &&
	       !p->stamped && !p->fork && p->capacity >= 4 * LINE_MSGS;
}

static int ceiling_setup(struct tp_ctx *c)
{
	uint64_t nr = c->p.capacity / LINE_MSGS;
	size_t bytes = sizeof(struct ceiling) + nr * sizeof(union line);
	struct ceiling *s = shared_alloc(bytes);

	s->nr_lines = nr;
	s->bytes = bytes;
	c->priv = s;
	return 0;
}

static void ceiling_teardown(struct tp_ctx *c)
{
	struct ceiling *s = c->priv;

	shared_free(s, s->bytes);
}

/* Lines the consumer takes at once: 32 (2 KiB, what one tail publication
 * of a ring makes visible at batch 256), whatever the row's batch: with
 * no protocol there is nothing to amortise, this is the best group. The
 * consumer waits only on a group's last line, so it does not pull lines
 * away from the producer while they are being written.
 */
static uint64_t group_lines(const struct ceiling *s)
{
	return s->nr_lines / 4 < 32 ? s->nr_lines / 4 : 32;
}

/* Write lines [i, end): whole lines in one store each (two without
 * AVX-512), the last one's last word last, with release: the consumer's
 * load-acquire of it sees every line of the group.
 */
static void write_group(struct ceiling *s, uint32_t id, uint64_t i,
			uint64_t end)
{
	const line_vec step = { 0, 1, 2, 3, 4, 5, 6, 7 };
	union line *l;
	uint64_t base;

	for (; i < end - 1; i++)
		s->lines[i & (s->nr_lines - 1)].v = msg_value(id, i * LINE_MSGS) + step;
	l = &s->lines[i & (s->nr_lines - 1)];
	base = msg_value(id, i * LINE_MSGS);
	for (unsigned k = 0; k < LINE_MSGS - 1; k++)
		l->w[k] = base + k;
	__atomic_store_n(&l->w[LINE_MSGS - 1], base + LINE_MSGS - 1,
			 __ATOMIC_RELEASE);
}

static void ceiling_producer(struct tp_ctx *c, uint32_t id)
{
	struct ceiling *s = c->priv;
	uint64_t n = c->per_prod, lines = (n + LINE_MSGS - 1) / LINE_MSGS;
	uint64_t group = group_lines(s), consumed = 0;

	wait_go(c);
	for (uint64_t i = 0; i < lines; i += group) {
		uint64_t end = i + group < lines ? i + group : lines;

		/* Pairs with the consumer's store-release of consumed. */
		while (end - consumed > s->nr_lines) {
			if (run_failed(c))
				return;
			cpu_relax();
			consumed = __atomic_load_n(&s->consumed, __ATOMIC_ACQUIRE);
		}
		/* The next group where the consumer is done with it. */
		for (uint64_t k = end; k < end + group && k - consumed < s->nr_lines;
		     k++)
			prefetchw(&s->lines[k & (s->nr_lines - 1)]);
		write_group(s, id, i, end);
	}
}

static void ceiling_consumer(struct tp_ctx *c)
{
	struct ceiling *s = c->priv;
	uint64_t n = c->per_prod, lines = (n + LINE_MSGS - 1) / LINE_MSGS;
	uint64_t group = group_lines(s), quarter = s->nr_lines / 4;

	start_clock(c);
	for (uint64_t i = 0; i < lines; i += group) {
		uint64_t end = i + group < lines ? i + group : lines;
		const union line *l = &s->lines[i & (s->nr_lines - 1)];
		const uint64_t *flag = &s->lines[(end - 1) & (s->nr_lines - 1)].w[LINE_MSGS - 1];
		uint64_t msgs = (end * LINE_MSGS < n ? end * LINE_MSGS : n) - i * LINE_MSGS;

		/* Pairs with the producer's store-release of the group's last
		 * word: every line before it is written.
		 */
		while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) !=
		       msg_value(0, end * LINE_MSGS - 1)) {
			if (run_failed(c))
				goto out;
			cpu_relax();
		}
		check_run8(&c->v, 0, l->w, (uint32_t)msgs);
		if (end / quarter != i / quarter || end == lines)
			/* Our reads of these lines are done before their reuse. */
			__atomic_store_n(&s->consumed, end, __ATOMIC_RELEASE);
	}
out:
	c->t_end = now_ns();
}

const struct contender ct_ceiling = {
	.name = "ceiling",
	.supports = ceiling_supports,
	.setup = ceiling_setup,
	.producer = ceiling_producer,
	.consumer = ceiling_consumer,
	.teardown = ceiling_teardown,
};
