// SPDX-License-Identifier: MIT
/*
 * Tests of <ringmpsc/typed.h>: the typed calls refuse a handle of another
 * geometry, fill a ring to exactly its capacity, keep order across many
 * wraps, count and wake as a generic commit does, interoperate with the
 * generic calls on the same ring, respect an open reservation, and carry
 * every message intact from a forked producer process (INV-RING-06,
 * INV-RING-09, INV-WAKE-02).
 */
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "ringmpsc/typed.h"

/* 24 bytes: a slot size that is not a power of two. */
struct tick {
	uint64_t seq;
	uint64_t check;
	uint32_t ring;
	uint32_t pad;
};

#define TICK_CAP 64
RINGMPSC_TYPED_RING(tick, struct tick, TICK_CAP)

struct seen {
	uint64_t next[4];	/* next seq expected per ring */
	uint64_t n;
	uint64_t bad;		/* out of order, torn or misrouted */
};

static struct tick tick_make(uint32_t ring, uint64_t seq)
{
	struct tick t = { seq, mix64(seq ^ ((uint64_t)ring << 40)), ring, 0 };

	return t;
}

static void tick_check(void *ctx, uint32_t ring, const struct tick *t)
{
	struct seen *s = ctx;
	struct tick want = tick_make(ring, s->next[ring]);

	if (ring >= 4 || memcmp(t, &want, sizeof(want)))
		s->bad++;
	s->next[ring & 3]++;
	s->n++;
}

TEST_PROCESS_FIXTURE(typed)

TEST_F(typed, geometry_is_checked_on_every_call)
{
	struct ringmpsc_local *l;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct tick t = tick_make(0, 0);
	struct seen s = { 0 };
	/* Another capacity, then another slot size. */
	static const uint32_t geo[][2] = {
		{ tick_SLOT_SIZE, TICK_CAP * 2 }, { tick_SLOT_SIZE + 8, TICK_CAP },
	};

	ASSERT_EQ(24, tick_SLOT_SIZE);
	for (unsigned int i = 0; i < 2; i++) {
		ASSERT_EQ(0, ringmpsc_local_create(&l, 1, geo[i][0], geo[i][1], 0));
		ASSERT_EQ(0, ringmpsc_local_producer(l, 0, &p));
		ASSERT_EQ(0, ringmpsc_local_consumer(l, &c));
		EXPECT_EQ(-EINVAL, tick_try_send(&p, &t));
		EXPECT_EQ(0, p.tail);	/* nothing written */
		EXPECT_EQ(-EINVAL, tick_consume(&c, tick_check, &s, 8));
		ringmpsc_producer_close(&p);
		ringmpsc_consumer_close(&c);
		ringmpsc_local_destroy(l);
	}
}

/* Capacity accepted, then -EAGAIN; order kept over 100 wraps. */
TEST_F(typed, fills_to_capacity_and_keeps_order_across_wraps)
{
	struct ringmpsc_local *l;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct seen s = { 0 };
	struct tick t;
	uint64_t seq = 0;

	ASSERT_EQ(0, ringmpsc_local_create(&l, 1, tick_SLOT_SIZE, tick_CAPACITY, 0));
	ASSERT_EQ(0, ringmpsc_local_producer(l, 0, &p));
	ASSERT_EQ(0, ringmpsc_local_consumer(l, &c));
	for (int i = 0; i < TICK_CAP; i++) {
		t = tick_make(0, seq);
		ASSERT_EQ(0, tick_try_send(&p, &t));
		seq++;
	}
	t = tick_make(0, seq);
	EXPECT_EQ(-EAGAIN, tick_try_send(&p, &t));
	EXPECT_EQ(1, p.stats.full);
	EXPECT_EQ(TICK_CAP, tick_consume(&c, tick_check, &s, 1000));
	/* Odd-sized steps so that sends and consumes straddle the wrap. */
	while (seq < 100 * TICK_CAP) {
		for (int i = 0; i < 37; i++, seq++) {
			t = tick_make(0, seq);
			ASSERT_EQ(0, tick_try_send(&p, &t));
		}
		EXPECT_EQ(37, tick_consume(&c, tick_check, &s, 1000));
	}
	EXPECT_EQ(seq, s.n);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(seq, p.stats.messages);
	EXPECT_EQ(seq, p.stats.commits);
	EXPECT_EQ(seq, c.stats.messages);
	ringmpsc_producer_close(&p);
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(l);
}

/* A typed send publishes as a commit does: with the consumer about to
 * sleep (its NEED_WAKEUP set by ringmpsc_wait_prepare()), the send wakes
 * it, and its eventfd becomes readable (INV-WAKE-02); with the consumer
 * awake it wakes nobody.
 */
TEST_F(typed, send_wakes_a_sleeping_consumer)
{
	struct ringmpsc_local *l;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct seen s = { 0 };
	struct tick t = tick_make(0, 0);
	struct pollfd pfd;

	ASSERT_EQ(0, ringmpsc_local_create(&l, 1, tick_SLOT_SIZE, tick_CAPACITY, 0));
	ASSERT_EQ(0, ringmpsc_local_producer(l, 0, &p));
	ASSERT_EQ(0, ringmpsc_local_consumer(l, &c));
	pfd = (struct pollfd){ .fd = ringmpsc_consumer_eventfd(&c), .events = POLLIN };
	EXPECT_LE(0, pfd.fd);

	ASSERT_EQ(0, tick_try_send(&p, &t));
	EXPECT_EQ(0, p.stats.wakeups);		/* nobody asleep */
	EXPECT_EQ(1, tick_consume(&c, tick_check, &s, 1));

	EXPECT_EQ(0, ringmpsc_wait_prepare(&c));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	t = tick_make(0, 1);
	ASSERT_EQ(0, tick_try_send(&p, &t));
	EXPECT_EQ(1, p.stats.wakeups);
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	ringmpsc_wait_finish(&c);
	EXPECT_EQ(1, tick_consume(&c, tick_check, &s, 1));
	EXPECT_EQ(2, s.n);
	EXPECT_EQ(0, s.bad);
	ringmpsc_producer_close(&p);
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(l);
}

/* Same layout: typed sends read by the generic consumer, generic sends by
 * the typed consumer; an open generic reservation makes a typed send wait.
 */
TEST_F(typed, interoperates_with_the_generic_calls)
{
	struct ringmpsc_local *l;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct seen s = { 0 };
	struct tick t = tick_make(1, 0), u = tick_make(1, 1);
	const void *got = NULL;
	void *slot = NULL;

	ASSERT_EQ(0, ringmpsc_local_create(&l, 2, tick_SLOT_SIZE, tick_CAPACITY, 0));
	ASSERT_EQ(0, ringmpsc_local_producer(l, 1, &p));
	ASSERT_EQ(0, ringmpsc_local_consumer(l, &c));
	ASSERT_EQ(0, tick_try_send(&p, &t));
	ASSERT_EQ(1, ringmpsc_peek(&c, 1, &got, 4));
	EXPECT_EQ(0, memcmp(got, &t, sizeof(t)));
	ASSERT_EQ(0, ringmpsc_release(&c, 1, 1));

	ASSERT_EQ(1, ringmpsc_reserve(&p, 1, &slot));
	EXPECT_EQ(-EBUSY, tick_try_send(&p, &u));
	memcpy(slot, &u, sizeof(u));
	ASSERT_EQ(0, ringmpsc_commit(&p, 1));
	s.next[1] = 1;
	EXPECT_EQ(1, tick_consume(&c, tick_check, &s, 4));
	EXPECT_EQ(0, s.bad);
	ringmpsc_producer_close(&p);
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(l);
}

/* Two producer processes, typed both ways, spinning on a full ring. */
TEST_F_TIMEOUT(typed, forked_producers_deliver_exactly_once_in_order, 120)
{
	uint64_t n = test_env_count("RINGMPSC_STRESS_N", 10000000) / 20;
	struct ringmpsc_local *l;
	struct ringmpsc_consumer c;
	struct seen s = { 0 };
	pid_t pid[2];
	int status;

	ASSERT_EQ(0, ringmpsc_local_create(&l, 2, tick_SLOT_SIZE, tick_CAPACITY, 0));
	for (uint32_t r = 0; r < 2; r++) {
		pid[r] = fork();
		ASSERT_LE(0, pid[r]);
		if (pid[r] == 0) {
			struct ringmpsc_producer p;

			if (ringmpsc_local_producer(l, r, &p))
				_exit(10);
			for (uint64_t seq = 0; seq < n;) {
				struct tick t = tick_make(r, seq);
				int err = tick_try_send(&p, &t);

				if (err == 0)
					seq++;
				else if (err == -EAGAIN)
					ringmpsc_cpu_relax();
				else
					_exit(11);
			}
			ringmpsc_producer_close(&p);
			_exit(0);
		}
	}
	ASSERT_EQ(0, ringmpsc_local_consumer(l, &c));
	while (s.n < 2 * n && !s.bad) {
		long got = tick_consume(&c, tick_check, &s, 16);

		ASSERT_LE(0, got);
		if (!got)
			ringmpsc_cpu_relax();
	}
	if (s.bad)	/* they may spin on a full ring for good */
		for (int r = 0; r < 2; r++)
			kill(pid[r], SIGKILL);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(n, s.next[0]);
	EXPECT_EQ(n, s.next[1]);
	for (int r = 0; r < 2; r++) {
		ASSERT_EQ(pid[r], waitpid(pid[r], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(l);
}

TEST_HARNESS_MAIN
