// SPDX-License-Identifier: GPL-2.0
/*
 * stream_test: a producer of a module channel waiting in an event loop
 * (ringmpsc_producer_wait_prepare/finish, spec.md section 8): what it sees
 * on a full ring, with no consumer, when the consumer arrives and when it
 * leaves while the producer waits, and that nothing it sent is lost.
 * The loop is a plain poll() of the producer's eventfd, as an epoll,
 * io_uring or libuv loop would arm it after the prepare. Last, 100k
 * messages between a producer and a consumer each in its own epoll loop
 * (<ringmpsc/epoll.h>), both sleeping whenever idle.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <ringmpsc/epoll.h>

#include "helpers.h"

#define CAP		4
#define WAIT_MS		5000	/* a wakeup later than this is lost */

struct msg {
	uint64_t seq;
	uint64_t check;
};

FIXTURE(s) {
	char name[64];
	struct ringmpsc_producer p;
	int efd;
};

FIXTURE_SETUP(s)
{
	struct ringmpsc_channel_attr attr = {
		.slot_size = sizeof(struct msg), .capacity = CAP,
		.max_producers = 2, .mode = 0600,
		.flags = RINGMPSC_CREATE_EXCL,
	};

	rm_name(self->name, sizeof(self->name), "stream");
	ASSERT_EQ(0, ringmpsc_create(self->name, &attr));
	ASSERT_EQ(0, ringmpsc_producer_open(&self->p, self->name));
	self->efd = ringmpsc_producer_eventfd(&self->p);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(s)
{
	ringmpsc_producer_close(&self->p);
	ringmpsc_unlink(self->name);
}

static int send_seq(struct ringmpsc_producer *p, uint64_t i)
{
	struct msg m = { .seq = i, .check = rm_mix(i) };

	return ringmpsc_try_send(p, &m, sizeof(m));
}

/* Is @fd readable within @ms? 1, 0, or -errno. */
static int readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, ms);

	return n < 0 ? -errno : n;
}

/*
 * An event loop's wait, with poll() for the loop: prepare, sleep on the
 * eventfd for at most @ms, finish, until prepare says the wait is over.
 * Its last prepare's result, or -ETIMEDOUT.
 */
static int loop_wait(struct ringmpsc_producer *p, uint32_t n, uint32_t flags,
		     int ms)
{
	uint64_t end = rm_now_ns() + (uint64_t)ms * 1000000ull;
	int r, ready = 0;

	for (;;) {
		r = ringmpsc_producer_wait_prepare(p, n, flags);
		if (r != 0 && ringmpsc_wait_retry_ms(r) < 0)
			return r;
		if (rm_now_ns() > end)
			r = -ETIMEDOUT;
		else
			ready = readable(ringmpsc_producer_eventfd(p),
					 r ? ringmpsc_wait_retry_ms(r) : ms);
		ringmpsc_producer_wait_finish(p);
		if (r == -ETIMEDOUT || ready < 0)
			return r == -ETIMEDOUT ? r : ready;
	}
}

struct got {
	uint64_t next;
	int bad;
};

static void check_seq(void *ctx, uint32_t ring, const void *msg)
{
	struct got *g = ctx;
	struct msg m;

	memcpy(&m, msg, sizeof(m));
	if (m.seq != g->next || m.check != rm_mix(m.seq))
		g->bad++;
	g->next++;
}

/*
 * Room is room whether or not a consumer is attached; a full ring with no
 * consumer is -EPIPE without RINGMPSC_WAIT_CONSUMER (INV-STREAM-03); with
 * it the producer sleeps, the consumer's arrival wakes it (INV-STREAM-04)
 * and then its release (INV-STREAM-02).
 */
TEST_F(s, full_ring_no_consumer_then_arrival)
{
	struct ringmpsc_consumer c;
	struct got g = { 0 };

	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&self->p, CAP, 0));
	for (uint64_t i = 0; i < CAP; i++)
		ASSERT_EQ(0, send_seq(&self->p, i));
	EXPECT_EQ(-EPIPE, ringmpsc_producer_wait_prepare(&self->p, 1, 0));
	EXPECT_EQ(-1, ringmpsc_wait_retry_ms(-EPIPE));

	ASSERT_EQ(0, ringmpsc_producer_wait_prepare(&self->p, 1,
						    RINGMPSC_WAIT_CONSUMER));
	EXPECT_EQ(0, readable(self->efd, 0));
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->name));
	EXPECT_EQ(1, readable(self->efd, WAIT_MS));	/* the arrival */
	ringmpsc_producer_wait_finish(&self->p);
	/* Still full: sleep again, until the consumer releases. */
	ASSERT_EQ(0, ringmpsc_producer_wait_prepare(&self->p, 1,
						    RINGMPSC_WAIT_CONSUMER));
	EXPECT_EQ(0, readable(self->efd, 0));
	EXPECT_EQ(1, ringmpsc_consume(&c, check_seq, &g, 1));
	EXPECT_EQ(1, readable(self->efd, WAIT_MS));
	ringmpsc_producer_wait_finish(&self->p);
	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&self->p, 1, 0));
	EXPECT_EQ(0, send_seq(&self->p, CAP));
	EXPECT_EQ(CAP, ringmpsc_consume(&c, check_seq, &g, CAP));
	EXPECT_EQ(CAP + 1, g.next);
	EXPECT_EQ(0, g.bad);
	ringmpsc_consumer_close(&c);
}

/*
 * An empty ring and no consumer: with RINGMPSC_WAIT_CONSUMER the producer
 * sleeps until a consumer of another process attaches, woken by the
 * module, not by a timer (INV-STREAM-04).
 */
TEST_F(s, waits_for_a_consumer)
{
	uint64_t t;
	int status;
	pid_t pid;

	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&self->p, 1, 0));
	ASSERT_EQ(0, ringmpsc_producer_wait_prepare(&self->p, 1,
						    RINGMPSC_WAIT_CONSUMER));
	t = rm_now_ns();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringmpsc_consumer c;

		usleep(200000);
		if (ringmpsc_consumer_open(&c, self->name))
			_exit(1);
		usleep(200000);
		_exit(0);
	}
	EXPECT_EQ(1, readable(self->efd, WAIT_MS));
	t = rm_now_ns() - t;
	EXPECT_LT(150 * 1000000ull, t) TH_LOG("woke before the attach");
	ringmpsc_producer_wait_finish(&self->p);
	EXPECT_TRUE(ringmpsc_consumer_present(&self->p));
	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&self->p, 1,
						    RINGMPSC_WAIT_CONSUMER));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * The consumer dies while the producer waits on a full ring: the module
 * wakes it, the next prepare says -EPIPE (INV-STREAM-03), and what it had
 * sent is all there, in order, for the next consumer (INV-LIFE-05).
 */
TEST_F(s, consumer_leaves_while_waiting)
{
	struct ringmpsc_consumer c;
	struct got g = { 0 };
	uint64_t t = rm_now_ns();
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringmpsc_consumer cc;

		if (ringmpsc_consumer_open(&cc, self->name))
			_exit(1);
		usleep(300000);
		_exit(0);	/* no close: its death detaches it */
	}
	while (!ringmpsc_consumer_present(&self->p) &&
	       rm_now_ns() - t < WAIT_MS * 1000000ull)
		usleep(1000);
	ASSERT_TRUE(ringmpsc_consumer_present(&self->p));
	for (uint64_t i = 0; i < CAP; i++)
		ASSERT_EQ(0, send_seq(&self->p, i));
	t = rm_now_ns();
	EXPECT_EQ(-EPIPE, loop_wait(&self->p, 1, 0, WAIT_MS));
	EXPECT_LT(100 * 1000000ull, rm_now_ns() - t) TH_LOG("woke early");
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->name));
	EXPECT_EQ(CAP, ringmpsc_consume(&c, check_seq, &g, CAP));
	EXPECT_EQ(0, g.bad);
	ringmpsc_consumer_close(&c);
}

/* Messages of the epoll hand-off (RINGMPSC_STREAM_N sets another count:
 * rm_handoffs()).
 */
#define HANDOFFS	100000
#define HANDOFF_CAP	8

/* The producer process: an epoll loop that sleeps while the ring is full.
 * Its exit status says what went wrong.
 */
static int epoll_producer(const char *name, uint64_t n)
{
	struct ringmpsc_producer p;
	struct epoll_event ev;
	int epfd = epoll_create1(EPOLL_CLOEXEC), err, r, k, timeout;
	uint64_t seq = 0;

	if (epfd < 0 || ringmpsc_producer_open(&p, name))
		return 10;
	if (ringmpsc_epoll_add(epfd, ringmpsc_producer_eventfd(&p), 0))
		return 11;
	while (seq < n) {
		struct msg m = { .seq = seq, .check = rm_mix(seq) };

		err = ringmpsc_try_send(&p, &m, sizeof(m));
		if (err == 0) {
			seq++;
			continue;
		}
		if (err != -EAGAIN)
			return 12;
		/* Full. Wait for room, and for the consumer while none is
		 * attached yet (the parent attaches after the fork).
		 */
		timeout = WAIT_MS;
		r = ringmpsc_producer_wait_prepare(&p, 1, RINGMPSC_WAIT_CONSUMER);
		if (ringmpsc_epoll_timeout(r, &timeout))
			return 13;
		k = epoll_wait(epfd, &ev, 1, timeout);
		ringmpsc_producer_wait_finish(&p);
		if (k == 0 && r == 0)
			return 14;	/* a lost wakeup */
	}
	ringmpsc_producer_close(&p);
	return 0;
}

/*
 * 100k messages from a producer process to a consumer, each in an epoll
 * loop over a module channel, sleeping whenever idle: every message once,
 * in order (INV-STREAM-05), and no sleep that no wakeup ends within
 * WAIT_MS (INV-STREAM-01). Spinning is off, so that each side sleeps
 * whenever it is idle at all.
 */
TEST_F_TIMEOUT(s, epoll_handoffs, 280)
{
	struct ringmpsc_channel_attr attr = {
		.slot_size = sizeof(struct msg), .capacity = HANDOFF_CAP,
		.max_producers = 1, .mode = 0600, .flags = RINGMPSC_CREATE_EXCL,
	};
	uint64_t n = rm_handoffs(HANDOFFS), sleeps = 0, t0 = rm_now_ns();
	struct ringmpsc_consumer c;
	struct epoll_event ev;
	struct got g = { 0 };
	char name[64];
	int epfd, status;
	pid_t pid;

	ASSERT_LT(0, n);
	/* No spinning before a sleep: every idle moment is a sleep and a
	 * wakeup through the module (the fork inherits it).
	 */
	ringmpsc_set_wait_spin_ns(0);
	rm_name(name, sizeof(name), "handoff");
	ASSERT_EQ(0, ringmpsc_create(name, &attr));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(epoll_producer(name, n));
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, ringmpsc_epoll_add(epfd, ringmpsc_consumer_eventfd(&c), 0));
	while (g.next < n && !g.bad) {
		int timeout = WAIT_MS, r, k;
		long got = ringmpsc_consume(&c, check_seq, &g, 64);

		ASSERT_LE(0, got);
		if (got)
			continue;
		r = ringmpsc_wait_prepare(&c);
		ASSERT_EQ(0, ringmpsc_epoll_timeout(r, &timeout));
		sleeps += r == 0;
		k = epoll_wait(epfd, &ev, 1, timeout);
		ringmpsc_wait_finish(&c);
		ASSERT_FALSE(k == 0 && r == 0) TH_LOG("no wakeup in %d ms at %llu",
						       WAIT_MS, (unsigned long long)g.next);
	}
	EXPECT_EQ(n, g.next);
	EXPECT_EQ(0, g.bad);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("producer exit %d", WEXITSTATUS(status));
	TH_LOG("%llu messages in %.1f s, consumer slept %llu times",
	       (unsigned long long)n, (double)(rm_now_ns() - t0) / 1e9,
	       (unsigned long long)sleeps);
	close(epfd);
	ringmpsc_consumer_close(&c);
	ringmpsc_unlink(name);
}

TEST_HARNESS_MAIN
