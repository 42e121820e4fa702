/* SPDX-License-Identifier: MIT */
/*
 * What the event-loop examples (evloop_epoll, evloop_uring, evloop_uv)
 * share: the message they pass (a sequence number per producer and a
 * check word), the consumer's tally that proves exactly-once in-order
 * delivery, the clock, and the command line. Each example runs its
 * producers and its consumer inside its own kind of loop, on local rings,
 * sleeping whenever idle; a wakeup that does not come within the stall
 * bound fails the run.
 */
#ifndef EVLOOP_H
#define EVLOOP_H

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ringmpsc.h>

#define EV_MAX_PRODUCERS	16

struct ev_msg {
	uint64_t seq;		/* per producer, from 0 */
	uint64_t check;		/* ev_check(producer, seq) */
};

struct ev_opts {
	uint64_t messages;	/* per producer */
	uint32_t producers;
	uint32_t capacity;	/* slots per ring: small, so producers wait */
	int stall_ms;		/* no progress for this long: a lost wakeup */
};

/* Per producer: the next sequence number the consumer must see. */
struct ev_tally {
	uint64_t next[EV_MAX_PRODUCERS];
	uint64_t received;
	uint64_t bad;		/* lost, duplicated, reordered or corrupt */
	uint32_t base;		/* producer number of this channel's ring 0 */
};

static inline uint64_t ev_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ev_check(uint32_t producer, uint64_t seq)
{
	uint64_t h = (seq ^ ((uint64_t)producer << 48)) * 0x9e3779b97f4a7c15ull;

	return h ^ (h >> 29);
}

static inline struct ev_msg ev_msg_for(uint32_t producer, uint64_t seq)
{
	struct ev_msg m = { seq, ev_check(producer, seq) };

	return m;
}

/* consume_batch handler: check and count a run of ring @ring's messages. */
static inline void ev_take(void *ctx, uint32_t ring, const void *msgs,
			   uint32_t n)
{
	struct ev_tally *t = (struct ev_tally *)ctx;
	const struct ev_msg *m = (const struct ev_msg *)msgs;
	uint32_t producer = t->base + ring;

	for (uint32_t i = 0; i < n; i++, m++) {
		if (producer >= EV_MAX_PRODUCERS || m->seq != t->next[producer] ||
		    m->check != ev_check(producer, m->seq))
			t->bad++;
		else
			t->next[producer]++;
	}
	t->received += n;
}

/* Did every producer's messages all arrive, once and in order? */
static inline int ev_verdict(const char *prog, const struct ev_tally *t,
			     const struct ev_opts *o, uint64_t ns)
{
	uint64_t want = o->messages * o->producers;
	int ok = t->bad == 0 && t->received == want;

	for (uint32_t i = 0; i < o->producers; i++)
		ok = ok && t->next[i] == o->messages;
	printf("%s: %" PRIu64 " of %" PRIu64 " messages, %" PRIu64
	       " bad, %.1f ms: %s\n", prog, t->received, want, t->bad,
	       (double)ns / 1e6, ok ? "exactly once, in order" : "FAILED");
	return ok ? 0 : 1;
}

static inline int ev_usage(const char *prog, const char *what, int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s [--messages N] [--producers P] [--capacity C]\n"
		"          [--stall-ms MS]\n\n"
		"%s\n\n"
		"Runs on local rings (no module needed). Exits 0 when every\n"
		"message arrived exactly once and in order and no wakeup took\n"
		"longer than the stall bound; 1 otherwise; 2 on bad usage.\n",
		prog, what);
	return status;
}

/* Parse the common options (--help exits); 0, or the exit status to end
 * with.
 */
static inline int ev_parse(int argc, char **argv, struct ev_opts *o,
			   const char *what)
{
	static const struct option opts[] = {
		{ "messages", required_argument, NULL, 'n' },
		{ "producers", required_argument, NULL, 'p' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "stall-ms", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "n:p:c:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': o->messages = strtoull(optarg, NULL, 0); break;
		case 'p': o->producers = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'c': o->capacity = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': o->stall_ms = atoi(optarg); break;
		case 'h': exit(ev_usage(argv[0], what, 0));
		default: return ev_usage(argv[0], what, 2);
		}
	}
	if (optind != argc || !o->messages || !o->producers ||
	    o->producers > EV_MAX_PRODUCERS || o->stall_ms <= 0 ||
	    o->capacity < 2 || (o->capacity & (o->capacity - 1))) {
		fprintf(stderr, "%s: bad arguments (producers 1..%d, capacity a "
			"power of two >= 2, stall-ms > 0)\n", argv[0],
			EV_MAX_PRODUCERS);
		return 2;
	}
	return 0;
}

/* A library call failed: say which and why. */
static inline int ev_fail(const char *prog, const char *call, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, call, strerror(err < 0 ? -err : err));
	return 1;
}

#endif /* EVLOOP_H */
