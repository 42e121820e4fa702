// SPDX-License-Identifier: GPL-2.0
/*
 * wakeup_test: blocking waits on module channels wake, and in time.
 * Up to 100k blocking round trips between two processes (no lost wakeup,
 * INV-WAKE-03; RINGMPSC_ROUND_TRIPS in the environment sets another
 * count), a producer blocked on a full ring (the other half of the
 * protocol), the consumer's eventfd on producer attach and detach
 * (INV-WAKE-05), a blocked producer learning the consumer is gone
 * (-EPIPE), and both sides using the asymmetric barrier when the kernel
 * offers membarrier() (INV-WAKE-02).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/membarrier.h>
#include <poll.h>
#include <ringmpsc.h>
#include <sys/syscall.h>

#include "helpers.h"

#define WAIT_MS		5000	/* any single wait longer than this fails */
/*
 * Blocking round trips (two wakeups through the module each): up to 100k,
 * for at most ROUND_TRIP_BUDGET_S, at least ROUND_TRIPS_MIN. What fails
 * the test is a lost wakeup, a wait of WAIT_MS, not slowness: under qemu
 * TCG one round trip costs 0.16 to 0.8 ms on an idle 2-core host,
 * depending on its CPU (100k in 16 to 82 s), 13 ms at load 16, more on
 * the debug kernel, so the count that fits the budget is run and
 * printed. RINGMPSC_ROUND_TRIPS in the environment sets another maximum.
 */
#define ROUND_TRIPS		100000
#define ROUND_TRIPS_MIN		1000
#define ROUND_TRIP_BUDGET_S	120
#define ROUND_TRIPS_ENV		"RINGMPSC_ROUND_TRIPS"

static uint64_t round_trips(void)
{
	const char *s = getenv(ROUND_TRIPS_ENV);
	char *end;
	unsigned long long n;

	if (!s || !*s)
		return ROUND_TRIPS;
	errno = 0;
	n = strtoull(s, &end, 10);
	/* A count that does not parse is a broken setup, not a pass. */
	return errno || *end || !n ? 0 : n;
}

/* seq of the round trip the first side chose to be the last one. */
#define PING_LAST	(1ull << 63)

struct ping {
	uint64_t seq;
	uint64_t check;
};

static int create_chan(char *name, size_t len, const char *tag,
		       uint32_t slot, uint32_t cap, uint32_t nprod)
{
	struct ringmpsc_channel_attr attr = {
		.slot_size = slot, .capacity = cap, .max_producers = nprod,
		.mode = 0600, .flags = RINGMPSC_CREATE_EXCL,
	};

	rm_name(name, len, tag);
	return ringmpsc_create(name, &attr);
}

struct recv_one {
	struct ping got;
	uint32_t n;
};

static void take_one(void *ctx, uint32_t ring, const void *msg)
{
	struct recv_one *r = ctx;

	r->n++;
	memcpy(&r->got, msg, sizeof(r->got));
}

/*
 * Receive exactly one message, blocking. 0, or -ETIMEDOUT if a wait of
 * WAIT_MS passed with nothing, or another -errno; 1 if more than one came.
 */
static int recv_blocking(struct ringmpsc_consumer *c, struct ping *out)
{
	struct recv_one r = { .n = 0 };

	for (;;) {
		long n = ringmpsc_consume(c, take_one, &r, 1);
		int err;

		if (n < 0)
			return (int)n;
		if (r.n > 1)
			return 1;
		if (r.n == 1) {
			*out = r.got;
			return 0;
		}
		err = ringmpsc_wait(c, WAIT_MS);
		if (err)
			return err;
	}
}

/*
 * Blocking send; -EPIPE (no consumer yet: the peer process may not have
 * attached its consumer so far) is retried for up to WAIT_MS.
 */
static int send_retry_epipe(struct ringmpsc_producer *p, const struct ping *m)
{
	uint64_t give_up = rm_now_ns() + WAIT_MS * 1000000ull;
	int err;

	for (;;) {
		err = ringmpsc_send(p, m, sizeof(*m), WAIT_MS);
		if (err != -EPIPE || rm_now_ns() > give_up)
			return err;
		usleep(1000);
	}
}

/*
 * One side of the ping-pong: send on @out, receive on @in. The first side
 * marks the last round trip (PING_LAST) once it has done @max, or
 * ROUND_TRIPS_MIN when the budget ran out; *@trips is how many ran.
 */
static int pingpong_side(const char *out_name, const char *in_name,
			 int first, uint64_t max, uint64_t *trips,
			 uint64_t *slowest_ns)
{
	uint64_t i, t, last = 0, budget_end =
		rm_now_ns() + ROUND_TRIP_BUDGET_S * 1000000000ull;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct ping m;
	int err;

	/* Consumer first so that the peer's sends find it; then producer. */
	if (ringmpsc_consumer_open(&c, in_name))
		return 20;
	if (ringmpsc_producer_open(&p, out_name))
		return 21;
	*slowest_ns = 0;
	for (i = 0; !last; i++) {
		if (!first) {
			t = rm_now_ns();
			err = recv_blocking(&c, &m);
			if (err)
				return err == -ETIMEDOUT ? 22 : 23;
			if (rm_now_ns() - t > *slowest_ns)
				*slowest_ns = rm_now_ns() - t;
			last = m.seq & PING_LAST;
			if ((m.seq & ~PING_LAST) != i || m.check != rm_mix(i))
				return 24;
		} else if (i + 1 == max ||
			   (i + 1 >= ROUND_TRIPS_MIN && rm_now_ns() > budget_end)) {
			last = PING_LAST;
		}
		m = (struct ping){ .seq = i | last, .check = rm_mix(i) };
		err = send_retry_epipe(&p, &m);
		if (err)
			return err == -ETIMEDOUT ? 25 : 26;
		if (first) {
			t = rm_now_ns();
			err = recv_blocking(&c, &m);
			if (err)
				return err == -ETIMEDOUT ? 27 : 28;
			if (rm_now_ns() - t > *slowest_ns)
				*slowest_ns = rm_now_ns() - t;
			if (m.seq != (i | last) || m.check != rm_mix(i))
				return 29;
		}
	}
	*trips = i;
	ringmpsc_producer_close(&p);
	ringmpsc_consumer_close(&c);
	return 0;
}

FIXTURE(w) {
	char a[64], b[64];
};

FIXTURE_SETUP(w)
{
	ASSERT_EQ(0, create_chan(self->a, sizeof(self->a), "wa", 16, 64, 1));
	ASSERT_EQ(0, create_chan(self->b, sizeof(self->b), "wb", 16, 64, 1));
}

FIXTURE_TEARDOWN(w)
{
	ringmpsc_unlink(self->a);
	ringmpsc_unlink(self->b);
}

/*
 * Ping-pong: each side sleeps in ringmpsc_wait() for every message, so
 * every round trip needs two wakeups; a lost one is a 5 s timeout.
 * INV-WAKE-01..03
 */
TEST_F_TIMEOUT(w, pingpong_blocking_round_trips, 280)
{
	uint64_t slowest = 0, t0 = rm_now_ns(), t1, max = round_trips();
	uint64_t trips = 0;
	int status, ret;
	pid_t pid;

	ASSERT_LT(0, max) TH_LOG("bad " ROUND_TRIPS_ENV);
	/* Every wait sleeps, in both processes: a spin before arming would
	 * catch most replies awake and leave the wakeups untested.
	 */
	ringmpsc_set_wait_spin_ns(0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t s, n;

		_exit(pingpong_side(self->b, self->a, 0, max, &n, &s));
	}
	ret = pingpong_side(self->a, self->b, 1, max, &trips, &slowest);
	t1 = rm_now_ns();
	EXPECT_EQ(0, ret);
	if (ret)
		kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_LT(0, trips);
	ksft_print_msg("%llu round trips in %.2f s (%.1f us each), slowest wait %.1f ms\n",
		       (unsigned long long)trips, (t1 - t0) / 1e9,
		       (t1 - t0) / 1e3 / trips, slowest / 1e6);
}

/*
 * A producer on a 2-slot ring blocks in ringmpsc_send() on nearly every
 * message, a consumer in ringmpsc_wait(): both halves of the Dekker pair.
 */
#ifndef FULL_MSGS
#define FULL_MSGS 20000
#endif
TEST_F_TIMEOUT(w, full_ring_blocking_send, 200)
{
	char name[64];
	struct ringmpsc_consumer c;
	uint64_t next = 0;
	int status;
	pid_t pid;

	ASSERT_EQ(0, create_chan(name, sizeof(name), "wfull", 16, 2, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringmpsc_producer p;
		struct ping m;
		uint64_t i;
		int err;

		if (ringmpsc_producer_open(&p, name))
			_exit(30);
		for (i = 0; i < FULL_MSGS; i++) {
			m = (struct ping){ .seq = i, .check = rm_mix(i) };
			err = send_retry_epipe(&p, &m);
			if (err)
				_exit(err == -ETIMEDOUT ? 31 : 32);
		}
		/* the ring was full most of the time */
		if (p.stats.full < 10)
			_exit(33);
		ringmpsc_producer_close(&p);
		_exit(0);
	}
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	while (next < FULL_MSGS) {
		struct ping m;
		int err = recv_blocking(&c, &m);

		ASSERT_EQ(0, err) TH_LOG("after %llu messages: %s",
					 (unsigned long long)next, strerror(-err));
		ASSERT_EQ(next, m.seq);
		ASSERT_EQ(rm_mix(next), m.check);
		next++;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ringmpsc_consumer_close(&c);
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

static int efd_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms);
}

static void efd_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

/*
 * The consumer's eventfd is signalled when a producer attaches and when it
 * detaches, by close or by death. INV-WAKE-05
 */
TEST_F(w, consumer_eventfd_on_producer_attach_and_detach)
{
	struct ringmpsc_consumer c;
	struct ringmpsc_producer p;
	int efd, status;
	pid_t pid;

	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->a));
	efd = ringmpsc_consumer_eventfd(&c);
	ASSERT_LE(0, efd);
	efd_drain(efd);
	EXPECT_EQ(0, efd_readable(efd, 0));

	/* attach in this process */
	ASSERT_EQ(0, ringmpsc_producer_open(&p, self->a));
	EXPECT_EQ(1, efd_readable(efd, WAIT_MS));
	efd_drain(efd);
	ringmpsc_producer_close(&p);
	EXPECT_EQ(1, efd_readable(efd, WAIT_MS));
	efd_drain(efd);
	/* let the library notice, recycle the drained ring */
	EXPECT_LE(0, ringmpsc_consume(&c, take_one, &(struct recv_one){0}, 1));
	EXPECT_LE(0, ringmpsc_consume(&c, take_one, &(struct recv_one){0}, 1));
	efd_drain(efd);

	/* a producer that is killed */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ringmpsc_producer_open(&p, self->a))
			_exit(1);
		pause();
		_exit(2);
	}
	EXPECT_EQ(1, efd_readable(efd, WAIT_MS));	/* attach */
	efd_drain(efd);
	usleep(10000);
	efd_drain(efd);
	EXPECT_EQ(0, efd_readable(efd, 0));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(1, efd_readable(efd, WAIT_MS));	/* death */
	ringmpsc_consumer_close(&c);
}

/* A consumer blocked in ringmpsc_wait() wakes when a producer goes away. */
TEST_F(w, blocked_consumer_wakes_on_detach)
{
	struct ringmpsc_consumer c;
	uint64_t t;
	int status, err;
	pid_t pid;

	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->a));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringmpsc_producer p;

		if (ringmpsc_producer_open(&p, self->a))
			_exit(1);
		usleep(300000);
		_exit(0);	/* exit without close: the fd release detaches */
	}
	/* first wakeup: the attach; consume to map the ring */
	err = ringmpsc_wait(&c, WAIT_MS);
	ASSERT_EQ(0, err);
	EXPECT_LE(0, ringmpsc_consume(&c, take_one, &(struct recv_one){0}, 1));
	ringmpsc_wait_finish(&c);	/* drop the attach's count */
	t = rm_now_ns();
	/* nothing to do until the producer exits, ~300 ms after its attach */
	err = ringmpsc_wait(&c, WAIT_MS);
	t = rm_now_ns() - t;
	EXPECT_EQ(0, err) TH_LOG("wait: %s", strerror(-err));
	EXPECT_GT(WAIT_MS * 1000000ull, t);
	/* On a slow VM the producer may be gone before the wait starts;
	 * either way the wait must not end before the detach.
	 */
	{
		struct ringmpsc_stats st;

		ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
		EXPECT_EQ(1, st.producer_detaches) TH_LOG("woke before the detach");
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the ring is DETACHED now; the consumer recycles it once seen */
	EXPECT_LE(0, ringmpsc_consume(&c, take_one, &(struct recv_one){0}, 1));
	EXPECT_LE(0, ringmpsc_consume(&c, take_one, &(struct recv_one){0}, 1));
	{
		struct ringmpsc_stats st;

		ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
		EXPECT_EQ(1, st.producer_detaches);
		EXPECT_EQ(1, st.recycles);
	}
	ringmpsc_consumer_close(&c);
}

/*
 * A producer that leaves while the consumer is between calls (after a
 * consume that found nothing, before its next wait) still ends that wait:
 * the drained, detached ring is work, the consume that recycles it.
 * INV-LIFE-02, INV-WAKE-05
 */
TEST_F(w, detach_between_consume_and_wait_ends_the_wait)
{
	struct ringmpsc_consumer c;
	struct ringmpsc_stats st;
	int go[2], status, err;
	char byte = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->a));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringmpsc_producer p;

		close(go[1]);
		if (ringmpsc_producer_open(&p, self->a))
			_exit(1);
		/* attached; leave when the parent says so */
		_exit(read(go[0], &byte, 1) == 1 ? 0 : 2);
	}
	close(go[0]);
	/* the attach: wait for it and map the ring */
	ASSERT_EQ(0, ringmpsc_wait(&c, WAIT_MS));
	EXPECT_EQ(0, ringmpsc_consume(&c, take_one, &(struct recv_one){0}, 1));
	ASSERT_EQ(1, write(go[1], &byte, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* detached before this wait began */
	err = ringmpsc_wait(&c, WAIT_MS);
	EXPECT_EQ(0, err) TH_LOG("wait: %s", strerror(-err));
	EXPECT_EQ(0, ringmpsc_consume(&c, take_one, &(struct recv_one){0}, 1));
	ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
	EXPECT_EQ(1, st.producer_detaches);
	EXPECT_EQ(1, st.recycles);
	close(go[1]);
	ringmpsc_consumer_close(&c);
}

/*
 * A producer blocked on a full ring learns that the consumer is gone:
 * ringmpsc_send() returns -EPIPE, not a timeout. INV-WAKE-05
 */
TEST_F(w, blocked_producer_epipe_when_consumer_goes)
{
	struct ringmpsc_producer p;
	struct ping m = { 0 };
	int go[2], status, err, sent = 0;
	uint64_t t;
	pid_t pid;
	char ch;

	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringmpsc_consumer c;

		close(go[0]);
		if (ringmpsc_consumer_open(&c, self->a))
			_exit(1);
		if (write(go[1], "x", 1) != 1)
			_exit(2);
		usleep(300000);
		_exit(0);	/* no close: death must do */
	}
	close(go[1]);
	ASSERT_EQ(1, read(go[0], &ch, 1));
	ASSERT_EQ(0, ringmpsc_producer_open(&p, self->a));
	EXPECT_TRUE(ringmpsc_consumer_present(&p));
	/* fill the ring; nobody consumes */
	while ((err = ringmpsc_try_send(&p, &m, sizeof(m))) == 0)
		sent++;
	EXPECT_EQ(-EAGAIN, err);
	EXPECT_EQ(64, sent);
	t = rm_now_ns();
	err = ringmpsc_send(&p, &m, sizeof(m), 10000);
	EXPECT_EQ(-EPIPE, err) TH_LOG("send: %s", strerror(-err));
	EXPECT_GT(WAIT_MS * 1000000ull, rm_now_ns() - t);
	EXPECT_FALSE(ringmpsc_consumer_present(&p));
	/* non-blocking sends still report a full ring, not an error */
	EXPECT_EQ(-EAGAIN, ringmpsc_try_send(&p, &m, sizeof(m)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ringmpsc_producer_close(&p);
	close(go[0]);
}

/*
 * The handles of a module channel publish with a compiler barrier only
 * exactly when this kernel lets the process register for membarrier()
 * (so the round trips above ran with the asymmetric barrier). INV-WAKE-02
 */
TEST_F(w, asymmetric_barrier_when_kernel_offers_it)
{
	const long needed = MEMBARRIER_CMD_GLOBAL_EXPEDITED |
			    MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
	long supported = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	bool offered = supported >= 0 && (supported & needed) == needed;
	struct ringmpsc_consumer c;
	struct ringmpsc_producer p;
	struct ping m = { 0 };

	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->a));
	ASSERT_EQ(0, ringmpsc_producer_open(&p, self->a));
	EXPECT_EQ(offered, p.asym_barrier);
	ASSERT_EQ(0, ringmpsc_try_send(&p, &m, sizeof(m)));
	ASSERT_EQ(0, recv_blocking(&c, &m));	/* maps the ring */
	EXPECT_EQ(offered, c.rings[p.ring].asym_barrier);
	ksft_print_msg("membarrier GLOBAL_EXPEDITED %s\n",
		       offered ? "offered" : "not offered");
	ringmpsc_producer_close(&p);
	ringmpsc_consumer_close(&c);
}

TEST_HARNESS_MAIN
