// SPDX-License-Identifier: MIT
/*
 * Unit tests of the blocking calls and the wakeup protocol (spec.md
 * section 3) on local rings: timeouts, wakeups on commit and on release,
 * wait_prepare/finish for callers that poll the eventfd themselves, no
 * wakeup while nobody sleeps, -EINTR, -EOPNOTSUPP. Wakeup tests are
 * deterministic: the waker acts only once it sees the sleeper's
 * NEED_WAKEUP flag in shared memory, and then must have woken it.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "util.h"

#define LEN 16
#define LONG_MS 20000	/* "forever" for a wait that must be woken */
/* Seconds before the harness ends a test: a few LONG_MS waits fail first. */
#define TIMEOUT_S 120

TEST_PROCESS_FIXTURE(wait)

/* Wait until *flag has NEED_WAKEUP (the other thread is about to sleep). */
static bool await_flag(const uint32_t *flag, uint32_t want)
{
	uint64_t t0 = now_ns();

	while ((ringmpsc_smp_load_acquire(flag) & RINGMPSC_NEED_WAKEUP) != want) {
		if (ms_since(t0) > LONG_MS)
			return false;
		sleep_ms(1);
	}
	return true;
}

struct waiter {
	pthread_t th;
	struct ringmpsc_consumer *c;
	struct ringmpsc_producer *p;
	uint32_t n;		/* wait_space: slots */
	int timeout_ms;
	int ret;
	uint64_t ms;
	atomic_int done;	/* ret and ms are set */
};

static void *consumer_waiter(void *arg)
{
	struct waiter *w = arg;
	uint64_t t0 = now_ns();

	w->ret = ringmpsc_wait(w->c, w->timeout_ms);
	w->ms = ms_since(t0);
	atomic_store_explicit(&w->done, 1, memory_order_release);
	return NULL;
}

static void *space_waiter(void *arg)
{
	struct waiter *w = arg;
	uint64_t t0 = now_ns();

	w->ret = ringmpsc_wait_space(w->p, w->n, w->timeout_ms);
	w->ms = ms_since(t0);
	atomic_store_explicit(&w->done, 1, memory_order_release);
	return NULL;
}

static bool is_done(struct waiter *w)
{
	return atomic_load_explicit(&w->done, memory_order_acquire);
}

static void fill(struct __test_metadata *_metadata,
		 struct ringmpsc_producer *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		EXPECT_EQ(0, send_seq(p, i, LEN));
}

/* Every live ring's consumer flag has the value @v. */
static bool cons_flags_are(struct lfix *f, uint32_t v)
{
	for (uint32_t i = 0; i < f->n; i++)
		if (*cons_flags_word(&f->mem[i]) != v)
			return false;
	return true;
}

/* ringmpsc_wait on empty rings times out after the timeout, not before,
 * and leaves no NEED_WAKEUP flag behind; with a message it returns at once.
 */
TEST_F_TIMEOUT(wait, wait_timeout, TIMEOUT_S)
{
	struct lfix f;
	uint64_t t0, ms;

	ASSERT_EQ(0, lfix_init(&f, 3, LEN, 4, 0));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_wait(&f.c, 60));
	ms = ms_since(t0);
	EXPECT_LE(59, ms);
	EXPECT_TRUE(cons_flags_are(&f, 0));
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_wait(&f.c, 0));

	ASSERT_EQ(0, send_seq(&f.p[2], 0, LEN));
	EXPECT_EQ(0, f.p[2].stats.wakeups);	/* nobody was asleep */
	t0 = now_ns();
	EXPECT_EQ(0, ringmpsc_wait(&f.c, LONG_MS));
	EXPECT_EQ(0, ringmpsc_wait(&f.c, 0));
	EXPECT_EQ(0, ringmpsc_wait(&f.c, -1));
	EXPECT_GT(1000, ms_since(t0));
	EXPECT_TRUE(cons_flags_are(&f, 0));
	lfix_fini(&f);
}

/* A consumer asleep in ringmpsc_wait (with a timeout, and forever) is
 * woken by a commit on any ring: the producer sees NEED_WAKEUP after its
 * barrier and signals (INV-WAKE-02/03); the flags are cleared after.
 */
TEST_F_TIMEOUT(wait, wait_wakes_on_commit, TIMEOUT_S)
{
	static const int timeouts[] = { LONG_MS, -1 };

	for (int k = 0; k < 2; k++) {
		struct lfix f;
		struct waiter w = { 0 };

		ASSERT_EQ(0, lfix_init(&f, 3, LEN, 4, 0));
		w.c = &f.c;
		w.timeout_ms = timeouts[k];
		ASSERT_EQ(0, pthread_create(&w.th, NULL, consumer_waiter, &w));
		/* The consumer sets its flag in every ring before sleeping. */
		EXPECT_TRUE(await_flag(cons_flags_word(&f.mem[0]), RINGMPSC_NEED_WAKEUP));
		EXPECT_TRUE(await_flag(cons_flags_word(&f.mem[2]), RINGMPSC_NEED_WAKEUP));
		sleep_ms(20);
		EXPECT_TRUE(!is_done(&w));
		EXPECT_EQ(0, send_seq(&f.p[1], 7, LEN));
		EXPECT_EQ(1, f.p[1].stats.wakeups);
		pthread_join(w.th, NULL);
		EXPECT_EQ(0, w.ret);
		EXPECT_GT(LONG_MS / 2, w.ms);
		EXPECT_TRUE(cons_flags_are(&f, 0));
		/* Later commits, with nobody asleep, make no wakeup. */
		EXPECT_EQ(0, send_seq(&f.p[1], 8, LEN));
		EXPECT_EQ(1, f.p[1].stats.wakeups);
		lfix_fini(&f);
	}
}

/* wait_space: bad n -> -EINVAL; room -> 0 at once; full -> -ETIMEDOUT
 * after the timeout with the producer flag cleared.
 */
TEST_F_TIMEOUT(wait, wait_space_timeout, TIMEOUT_S)
{
	struct lfix f;
	uint64_t t0;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 4, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_wait_space(&f.p[0], 0, 10));
	EXPECT_EQ(-EINVAL, ringmpsc_wait_space(&f.p[0], 5, 10));
	EXPECT_EQ(0, ringmpsc_wait_space(&f.p[0], 4, 0));
	fill(_metadata, &f.p[0], 3);
	EXPECT_EQ(0, ringmpsc_wait_space(&f.p[0], 1, LONG_MS));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_wait_space(&f.p[0], 2, 60));
	EXPECT_LE(59, ms_since(t0));
	EXPECT_EQ(0, *prod_flags_word(&f.mem[0]));
	fill(_metadata, &f.p[0], 1);
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_wait_space(&f.p[0], 1, 0));
	EXPECT_EQ(0, f.c.stats.wakeups);
	lfix_fini(&f);
}

/* A producer asleep in wait_space(2) on a full ring: a release of one slot
 * wakes it (the consumer sees NEED_WAKEUP after its barrier), it finds too
 * little room and sleeps again; the next release lets it return.
 */
TEST_F_TIMEOUT(wait, wait_space_wakes_on_release, TIMEOUT_S)
{
	struct lfix f;
	struct waiter w = { 0 };
	const void *m = NULL;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 4, 0));
	fill(_metadata, &f.p[1], 4);
	w.p = &f.p[1];
	w.n = 2;
	w.timeout_ms = LONG_MS;
	ASSERT_EQ(0, pthread_create(&w.th, NULL, space_waiter, &w));
	EXPECT_TRUE(await_flag(prod_flags_word(&f.mem[1]), RINGMPSC_NEED_WAKEUP));
	ASSERT_EQ(4, ringmpsc_peek(&f.c, 1, &m, 4));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 1, 1));
	EXPECT_EQ(1, f.c.stats.wakeups);
	/* Woken, one slot free, not enough: it must go back to sleep. */
	EXPECT_TRUE(await_flag(prod_flags_word(&f.mem[1]), RINGMPSC_NEED_WAKEUP));
	sleep_ms(20);
	EXPECT_TRUE(!is_done(&w));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 1, 1));
	pthread_join(w.th, NULL);
	EXPECT_EQ(0, w.ret);
	EXPECT_GT(LONG_MS / 2, w.ms);
	EXPECT_EQ(0, *prod_flags_word(&f.mem[1]));
	EXPECT_LE(2, f.c.stats.wakeups);
	/* The room is really there. */
	EXPECT_EQ(0, send_seq(&f.p[1], 4, LEN));
	EXPECT_EQ(0, send_seq(&f.p[1], 5, LEN));
	EXPECT_EQ(-EAGAIN, send_seq(&f.p[1], 6, LEN));
	lfix_fini(&f);
}

struct sender {
	pthread_t th;
	struct ringmpsc_producer *p;
	int ret;
};

static void *blocking_sender(void *arg)
{
	struct sender *s = arg;

	s->ret = send_seq(s->p, 0, LEN);	/* must be full */
	if (s->ret == -EAGAIN) {
		uint64_t buf[2];

		msg_fill(buf, s->p->ring, 100, LEN);
		s->ret = ringmpsc_send(s->p, buf, LEN, LONG_MS);
	}
	return NULL;
}

/* ringmpsc_send: -EMSGSIZE; a message into a ring with room; -ETIMEDOUT
 * when it stays full; a sender blocked on a full ring completes once the
 * consumer frees a slot.
 */
TEST_F_TIMEOUT(wait, send_blocking, TIMEOUT_S)
{
	struct lfix f;
	struct sender s = { 0 };
	uint64_t buf[3] = { 0 };
	const void *m = NULL;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 2, 0));
	EXPECT_EQ(-EMSGSIZE, ringmpsc_send(&f.p[0], buf, LEN + 8, 10));
	msg_fill(buf, 0, 0, LEN);
	EXPECT_EQ(0, ringmpsc_send(&f.p[0], buf, LEN, 0));
	msg_fill(buf, 0, 1, LEN);
	EXPECT_EQ(0, ringmpsc_send(&f.p[0], buf, LEN, -1));
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_send(&f.p[0], buf, LEN, 30));
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_send(&f.p[0], buf, LEN, 0));

	s.p = &f.p[0];
	ASSERT_EQ(0, pthread_create(&s.th, NULL, blocking_sender, &s));
	EXPECT_TRUE(await_flag(prod_flags_word(&f.mem[0]), RINGMPSC_NEED_WAKEUP));
	ASSERT_EQ(2, ringmpsc_peek(&f.c, 0, &m, 2));
	EXPECT_EQ(0, msg_bad_word(m, 0, 0, LEN));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 2));
	pthread_join(s.th, NULL);
	EXPECT_EQ(0, s.ret);
	ASSERT_EQ(1, ringmpsc_peek(&f.c, 0, &m, 2));
	EXPECT_EQ(0, msg_bad_word(m, 0, 100, LEN));
	lfix_fini(&f);
}

/* For poll/epoll users: wait_prepare returns 1 when there is work (and
 * leaves no flag), else sets NEED_WAKEUP in every ring and returns 0; a
 * commit then makes the eventfd readable; wait_finish clears the flags and
 * drains the eventfd.
 */
TEST_F_TIMEOUT(wait, wait_prepare_finish, TIMEOUT_S)
{
	struct lfix f;
	struct pollfd pfd;
	int fd;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 4, 0));
	fd = ringmpsc_consumer_eventfd(&f.c);
	EXPECT_LE(0, fd);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };

	EXPECT_EQ(0, ringmpsc_wait_prepare(&f.c));
	EXPECT_TRUE(cons_flags_are(&f, RINGMPSC_NEED_WAKEUP));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, send_seq(&f.p[0], 0, LEN));
	EXPECT_EQ(1, f.p[0].stats.wakeups);
	EXPECT_EQ(1, poll(&pfd, 1, LONG_MS));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ringmpsc_wait_finish(&f.c);
	EXPECT_TRUE(cons_flags_are(&f, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));		/* count drained */

	EXPECT_EQ(1, ringmpsc_wait_prepare(&f.c));	/* a message waits */
	EXPECT_TRUE(cons_flags_are(&f, 0));
	ringmpsc_wait_finish(&f.c);
	lfix_fini(&f);
}

/* Taken messages are not work (INV-RING-12): a consumer holding some
 * arms and sleeps, and wakes for the next commit only; ringmpsc_wait
 * times out over them. Their release wakes a producer waiting for the
 * room they hold.
 */
TEST_F_TIMEOUT(wait, wait_prepare_past_taken, TIMEOUT_S)
{
	struct lfix f;
	struct pollfd pfd, ppfd;
	const void *m = NULL;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 4, 0));
	pfd = (struct pollfd){ .fd = ringmpsc_consumer_eventfd(&f.c),
			       .events = POLLIN };
	ppfd = (struct pollfd){ .fd = ringmpsc_producer_eventfd(&f.p[0]),
				.events = POLLIN };
	fill(_metadata, &f.p[0], 3);
	EXPECT_EQ(1, ringmpsc_wait_prepare(&f.c));
	ringmpsc_wait_finish(&f.c);
	EXPECT_EQ(3, ringmpsc_take(&f.c, 0, &m, 4));

	EXPECT_EQ(0, ringmpsc_wait_prepare(&f.c));	/* held, not unread */
	EXPECT_TRUE(cons_flags_are(&f, RINGMPSC_NEED_WAKEUP));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, send_seq(&f.p[0], 3, LEN));
	EXPECT_EQ(1, f.p[0].stats.wakeups);
	EXPECT_EQ(1, poll(&pfd, 1, LONG_MS));
	ringmpsc_wait_finish(&f.c);
	EXPECT_EQ(1, ringmpsc_wait_prepare(&f.c));	/* seq 3 is unread */
	ringmpsc_wait_finish(&f.c);
	EXPECT_EQ(1, ringmpsc_take(&f.c, 0, &m, 4));
	EXPECT_EQ(0, msg_bad_word(m, 0, 3, LEN));
	EXPECT_EQ(-ETIMEDOUT, ringmpsc_wait(&f.c, 20));
	EXPECT_TRUE(cons_flags_are(&f, 0));

	/* The ring is full of taken messages: the producer sleeps until a
	 * release frees its room.
	 */
	EXPECT_EQ(0, ringmpsc_producer_wait_prepare(&f.p[0], 1, 0));
	EXPECT_EQ(0, poll(&ppfd, 1, 0));
	EXPECT_EQ(0, ringmpsc_release_taken(&f.c, 0, 1));
	EXPECT_EQ(1, f.c.stats.wakeups);
	EXPECT_EQ(1, poll(&ppfd, 1, LONG_MS));
	ringmpsc_producer_wait_finish(&f.p[0]);
	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&f.p[0], 1, 0));
	EXPECT_EQ(0, ringmpsc_release_taken(&f.c, 0, 3));
	EXPECT_EQ(4, *head_word(&f.mem[0]));
	lfix_fini(&f);
}

/* The producer's side for event loops (spec.md section 8): prepare(n)
 * returns 1 while n slots are free and leaves no flag; on a full ring it
 * sets NEED_WAKEUP and returns 0; a release then makes the eventfd
 * readable, and it stays readable until the finish, which clears the flag
 * and drains the count (INV-STREAM-01, INV-STREAM-02). A release that
 * frees fewer than n wakes it too: the next prepare sleeps again.
 */
TEST_F_TIMEOUT(wait, producer_prepare_finish, TIMEOUT_S)
{
	struct lfix f;
	struct pollfd pfd;
	const void *m = NULL;
	int fd;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 4, 0));
	fd = ringmpsc_producer_eventfd(&f.p[1]);
	EXPECT_LE(0, fd);
	EXPECT_EQ(f.p[1].wait_fd, fd);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };

	/* Room: no sleep, no flag; the flag makes no difference locally. */
	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&f.p[1], 4, 0));
	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&f.p[1], 4,
						    RINGMPSC_WAIT_CONSUMER));
	EXPECT_EQ(0, *prod_flags_word(&f.mem[1]));
	fill(_metadata, &f.p[1], 3);
	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&f.p[1], 1, 0));
	EXPECT_EQ(0, ringmpsc_producer_wait_prepare(&f.p[1], 2, 0));
	EXPECT_EQ(RINGMPSC_NEED_WAKEUP, *prod_flags_word(&f.mem[1]));
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* One release: woken, one more slot free, two now. */
	ASSERT_EQ(3, ringmpsc_peek(&f.c, 1, &m, 3));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 1, 1));
	EXPECT_EQ(1, f.c.stats.wakeups);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 0));		/* level: still readable */
	ringmpsc_producer_wait_finish(&f.p[1]);
	EXPECT_EQ(0, *prod_flags_word(&f.mem[1]));
	EXPECT_EQ(0, poll(&pfd, 1, 0));		/* count drained */
	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&f.p[1], 2, 0));

	/* Asking for 3 sleeps; a release of 1 wakes it, and not enough. */
	EXPECT_EQ(0, ringmpsc_producer_wait_prepare(&f.p[1], 3, 0));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 1, 1));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ringmpsc_producer_wait_finish(&f.p[1]);
	EXPECT_EQ(1, ringmpsc_producer_wait_prepare(&f.p[1], 3, 0));
	/* Producer 0 was never involved. */
	EXPECT_EQ(0, *prod_flags_word(&f.mem[0]));
	ringmpsc_producer_wait_finish(&f.p[1]);	/* after 1: harmless */
	lfix_fini(&f);
}

/* Bad arguments and handles of the producer's prepare, and the verdicts
 * of ringmpsc_wait_retry_ms(): which errors are final, which a retry.
 */
TEST_F_TIMEOUT(wait, producer_prepare_errors, TIMEOUT_S)
{
	struct heap_ring h;
	struct ringmpsc_producer p;
	struct lfix f;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 4, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_producer_wait_prepare(&f.p[0], 0, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_producer_wait_prepare(&f.p[0], 5, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_producer_wait_prepare(&f.p[0], 1, 1U << 1));
	EXPECT_EQ(-EINVAL, ringmpsc_producer_wait_prepare(&f.p[0], 1, 1U << 31));
	EXPECT_EQ(0, *prod_flags_word(&f.mem[0]));
	ringmpsc_producer_close(&f.p[0]);
	EXPECT_EQ(-EBADF, ringmpsc_producer_wait_prepare(&f.p[0], 1, 0));
	EXPECT_EQ(-EBADF, ringmpsc_producer_wait_prepare(NULL, 1, 0));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_producer_eventfd(&f.p[0]));
	ringmpsc_producer_wait_finish(&f.p[0]);		/* closed: no-op */
	ringmpsc_producer_wait_finish(NULL);
	lfix_fini(&f);

	/* Bare memory: no eventfd. */
	ASSERT_EQ(0, heap_ring_init(&h, 2, LEN, false));
	ASSERT_EQ(0, ringmpsc_producer_init(&p, &h.mem));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_producer_eventfd(&p));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_producer_wait_prepare(&p, 1, 0));
	EXPECT_EQ(0, *prod_flags_word(&h.mem));
	heap_ring_free(&h);

	EXPECT_EQ(-1, ringmpsc_wait_retry_ms(-EINVAL));
	EXPECT_EQ(-1, ringmpsc_wait_retry_ms(-EBADF));
	EXPECT_EQ(-1, ringmpsc_wait_retry_ms(-EOPNOTSUPP));
	EXPECT_EQ(-1, ringmpsc_wait_retry_ms(-EPIPE));
	EXPECT_EQ(-1, ringmpsc_wait_retry_ms(0));
	EXPECT_EQ(-1, ringmpsc_wait_retry_ms(1));
	EXPECT_EQ(RINGMPSC_WAIT_SLICE_MS, ringmpsc_wait_retry_ms(-EPERM));
	EXPECT_EQ(RINGMPSC_WAIT_SLICE_MS, ringmpsc_wait_retry_ms(-ENOSYS));
	EXPECT_EQ(RINGMPSC_WAIT_SLICE_MS, ringmpsc_wait_retry_ms(-ENOMEM));
	EXPECT_EQ(RINGMPSC_WAIT_ATTACH_SLICE_MS,
		  ringmpsc_wait_retry_ms(-ENOTCONN));
}

/* Closing a local producer that armed its flag leaves none behind: a
 * release after the close wakes nobody (INV-STREAM-06).
 */
TEST_F_TIMEOUT(wait, producer_close_clears_flag, TIMEOUT_S)
{
	struct lfix f;
	const void *m = NULL;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 2, 0));
	fill(_metadata, &f.p[0], 2);
	EXPECT_EQ(0, ringmpsc_producer_wait_prepare(&f.p[0], 1, 0));
	EXPECT_EQ(RINGMPSC_NEED_WAKEUP, *prod_flags_word(&f.mem[0]));
	ringmpsc_producer_close(&f.p[0]);
	EXPECT_EQ(0, *prod_flags_word(&f.mem[0]));
	/* What it sent is still delivered. */
	ASSERT_EQ(2, ringmpsc_peek(&f.c, 0, &m, 2));
	EXPECT_EQ(0, msg_bad_word(m, 0, 0, LEN));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 2));
	EXPECT_EQ(0, f.c.stats.wakeups);
	lfix_fini(&f);
}

/* A waiter spins before it arms (ringmpsc_set_wait_spin_ns): a message
 * or a release within the spin wakes it without a flag or a wake call,
 * on both sides; with spinning off, the flag goes up at once and the
 * peer's publish costs a wake call (INV-WAKE-04).
 */
TEST_F_TIMEOUT(wait, spin_before_arming, TIMEOUT_S)
{
	const uint32_t long_spin = 300u * 1000 * 1000;	/* 300 ms */
	struct waiter w = { 0 };
	const void *m = NULL;
	struct lfix f;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 2, 0));
	EXPECT_EQ(RINGMPSC_WAIT_SPIN_NS, ringmpsc_set_wait_spin_ns(long_spin));

	/* Consumer: the message comes while it spins. */
	w.c = &f.c;
	w.timeout_ms = LONG_MS;
	ASSERT_EQ(0, pthread_create(&w.th, NULL, consumer_waiter, &w));
	sleep_ms(30);
	EXPECT_TRUE(cons_flags_are(&f, 0));
	EXPECT_EQ(0, send_seq(&f.p[0], 0, LEN));
	pthread_join(w.th, NULL);
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(0, f.p[0].stats.wakeups);

	/* Producer: a full ring, and the release comes while it spins. */
	fill(_metadata, &f.p[0], 1);
	w = (struct waiter){ .p = &f.p[0], .n = 1, .timeout_ms = LONG_MS };
	ASSERT_EQ(0, pthread_create(&w.th, NULL, space_waiter, &w));
	sleep_ms(30);
	EXPECT_EQ(0, *prod_flags_word(&f.mem[0]));
	ASSERT_EQ(2, ringmpsc_peek(&f.c, 0, &m, 2));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 1));
	pthread_join(w.th, NULL);
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(0, f.c.stats.wakeups);

	/* Spinning off: armed at once, woken by a wake call. */
	EXPECT_EQ(long_spin, ringmpsc_set_wait_spin_ns(0));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 1));
	w = (struct waiter){ .c = &f.c, .timeout_ms = LONG_MS };
	ASSERT_EQ(0, pthread_create(&w.th, NULL, consumer_waiter, &w));
	EXPECT_TRUE(await_flag(cons_flags_word(&f.mem[0]), RINGMPSC_NEED_WAKEUP));
	EXPECT_EQ(0, send_seq(&f.p[0], 2, LEN));
	pthread_join(w.th, NULL);
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(1, f.p[0].stats.wakeups);
	ringmpsc_set_wait_spin_ns(RINGMPSC_WAIT_SPIN_NS);
	lfix_fini(&f);
}

/* A busy exchange makes no wakeup call (INV-WAKE-04): 10000 messages
 * through a 4-slot ring between two threads that never block.
 */
struct spinner {
	pthread_t th;
	struct ringmpsc_producer *p;
	uint32_t count;
};

static void *spin_producer(void *arg)
{
	struct spinner *s = arg;

	for (uint64_t i = 0; i < s->count; i++)
		while (send_seq(s->p, i, LEN) == -EAGAIN)
			sched_yield();
	return NULL;
}

static void count_msg(void *ctx, uint32_t ring, const void *msg)
{
	uint64_t *next = ctx, seq;

	(void)ring;
	memcpy(&seq, msg, sizeof(seq));
	if (seq == *next)
		(*next)++;
}

TEST_F_TIMEOUT(wait, no_wakeup_when_busy, TIMEOUT_S)
{
	struct lfix f;
	struct spinner s = { 0 };
	uint64_t next = 0, t0 = now_ns();
	long n;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 4, 0));
	s.p = &f.p[0];
	s.count = 10000;
	ASSERT_EQ(0, pthread_create(&s.th, NULL, spin_producer, &s));
	while (next < s.count && ms_since(t0) < LONG_MS) {
		n = ringmpsc_consume(&f.c, count_msg, &next, 64);
		EXPECT_LE(0, n);
		if (n == 0)
			sched_yield();
	}
	pthread_join(s.th, NULL);
	EXPECT_EQ(s.count, next);
	EXPECT_EQ(0, f.p[0].stats.wakeups);
	EXPECT_EQ(0, f.c.stats.wakeups);
	EXPECT_EQ(0, *prod_flags_word(&f.mem[0]));
	EXPECT_EQ(0, *cons_flags_word(&f.mem[0]));
	lfix_fini(&f);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A signal interrupts a blocking wait: -EINTR, flags cleared. */
TEST_F_TIMEOUT(wait, wait_eintr, TIMEOUT_S)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct lfix f;
	struct waiter w = { 0 }, ws = { 0 };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 2, 0));
	w.c = &f.c;
	w.timeout_ms = LONG_MS;
	ASSERT_EQ(0, pthread_create(&w.th, NULL, consumer_waiter, &w));
	EXPECT_TRUE(await_flag(cons_flags_word(&f.mem[0]), RINGMPSC_NEED_WAKEUP));
	while (!is_done(&w)) {		/* until the signal hits the poll */
		pthread_kill(w.th, SIGUSR1);
		sleep_ms(5);
	}
	pthread_join(w.th, NULL);
	EXPECT_EQ(-EINTR, w.ret);
	EXPECT_EQ(0, *cons_flags_word(&f.mem[0]));

	fill(_metadata, &f.p[0], 2);
	ws.p = &f.p[0];
	ws.n = 1;
	ws.timeout_ms = LONG_MS;
	ASSERT_EQ(0, pthread_create(&ws.th, NULL, space_waiter, &ws));
	EXPECT_TRUE(await_flag(prod_flags_word(&f.mem[0]), RINGMPSC_NEED_WAKEUP));
	while (!is_done(&ws)) {
		pthread_kill(ws.th, SIGUSR1);
		sleep_ms(5);
	}
	pthread_join(ws.th, NULL);
	EXPECT_EQ(-EINTR, ws.ret);
	EXPECT_EQ(0, *prod_flags_word(&f.mem[0]));
	signal(SIGUSR1, SIG_DFL);
	lfix_fini(&f);
}

/* Handles without an eventfd (rings in plain memory) cannot block:
 * -EOPNOTSUPP from every blocking call, nothing left flagged.
 */
TEST_F_TIMEOUT(wait, wait_unsupported, TIMEOUT_S)
{
	struct heap_ring h;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	uint64_t buf[2] = { 0 };

	ASSERT_EQ(0, heap_ring_init(&h, 2, LEN, false));
	ASSERT_EQ(0, ringmpsc_producer_init(&p, &h.mem));
	ASSERT_EQ(0, mem_consumer_init(&c, &h.mem, 1));
	EXPECT_EQ(0, ringmpsc_try_send(&p, buf, LEN));
	EXPECT_EQ(0, ringmpsc_try_send(&p, buf, LEN));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_wait_space(&p, 1, 10));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_send(&p, buf, LEN, 10));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_wait(&c, 10));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_wait_prepare(&c));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_consumer_eventfd(&c));
	EXPECT_EQ(0, *prod_flags_word(&h.mem));
	EXPECT_EQ(0, *cons_flags_word(&h.mem));
	mem_consumer_free(&c);
	heap_ring_free(&h);
}

/* Across processes: a forked child blocks in ringmpsc_send on a full
 * ring and in ringmpsc_wait for the parent's reply; the parent does the
 * same the other way. 300 round trips through 2-slot rings, nearly every
 * step through a sleep and a wakeup (INV-WAKE-03): a lost wakeup shows as
 * a timeout.
 */
TEST_F_TIMEOUT(wait, wait_across_fork, TIMEOUT_S)
{
	const uint32_t trips = 300;
	struct lfix up, down;	/* child -> parent, parent -> child */
	pid_t pid;
	int status = -1;
	uint32_t got = 0;
	uint64_t reply[2];

	ASSERT_EQ(0, lfix_init(&up, 1, LEN, 2, 0));
	ASSERT_EQ(0, lfix_init(&down, 1, LEN, 2, 0));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int err = 0;

		for (uint32_t i = 0; i < trips && !err; i++) {
			const void *m = NULL;
			uint64_t buf[2];
			int n = 0;

			msg_fill(buf, 0, i, LEN);
			err = ringmpsc_send(&up.p[0], buf, LEN, LONG_MS);
			while (!err && (n = ringmpsc_peek(&down.c, 0, &m, 1)) == 0)
				err = ringmpsc_wait(&down.c, LONG_MS);
			if (!err && n < 0)
				err = n;
			if (!err && msg_bad_word(m, 0, i, LEN))
				err = -EBADMSG;
			if (!err)
				err = ringmpsc_release(&down.c, 0, 1);
		}
		if (err)
			test_diag("child: error %d", err);
		_exit(err ? 1 : 0);
	}
	while (got < trips) {
		const void *m = NULL;
		int n = ringmpsc_peek(&up.c, 0, &m, 1);

		if (n == 0) {
			int err = ringmpsc_wait(&up.c, LONG_MS);

			EXPECT_EQ(0, err);
			if (err)
				break;
			continue;
		}
		EXPECT_EQ(1, n);
		if (n != 1)
			break;
		EXPECT_EQ(0, msg_bad_word(m, 0, got, LEN));
		EXPECT_EQ(0, ringmpsc_release(&up.c, 0, 1));
		msg_fill(reply, 0, got, LEN);
		EXPECT_EQ(0, ringmpsc_send(&down.p[0], reply, LEN, LONG_MS));
		got++;
	}
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(trips, got);
	/* How often the reply found the child asleep depends on timing; the
	 * deterministic wakeup tests above assert the protocol itself.
	 */
	test_diag("wait_across_fork: %llu of %u replies woke the child",
		  (unsigned long long)down.p[0].stats.wakeups, trips);
	lfix_fini(&up);
	lfix_fini(&down);
}

/*
 * The two halves of the Dekker pair, made deterministic: the test stops a
 * side exactly at its store (the page holding the stored word is made
 * read-only, so the store faults) and lets the other side act in the
 * fault handler, then the store completes.
 *
 * Sleeper: the consumer's store of NEED_WAKEUP faults; in the handler a
 * producer commits, sees no flag yet and does not wake it. The consumer
 * must find the message in its re-check after the flag and not sleep
 * (INV-WAKE-01, INV-WAKE-03). Publisher: the producer's store of tail
 * faults; in the handler the consumer prepares to sleep (sets its flag).
 * The producer must read the flag after its store and wake it
 * (INV-WAKE-02). The same for the consumer's head store and a producer
 * about to sleep on a full ring.
 */
static struct {
	void *page;
	size_t len;
	void (*action)(void);
	int hits;
} armed;

static struct lfix *dk;		/* the fixture the actions work on */

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	unsigned char *a = si->si_addr, *p = armed.page;

	(void)uc;
	if (!p || a < p || a >= p + armed.len) {
		signal(sig, SIG_DFL);	/* a real fault: crash on return */
		return;
	}
	mprotect(p, armed.len, PROT_READ | PROT_WRITE);
	armed.page = NULL;
	armed.hits++;
	armed.action();
}

static void arm(void *page, void (*action)(void))
{
	armed.len = (size_t)sysconf(_SC_PAGESIZE);
	armed.action = action;
	armed.page = page;
	mprotect(page, armed.len, PROT_READ);
}

static void act_commit(void)
{
	if (send_seq(&dk->p[0], 0, LEN))
		armed.hits = -100;
}

static void act_release(void)
{
	const void *m = NULL;

	if (ringmpsc_peek(&dk->c, 0, &m, 1) != 1 || ringmpsc_release(&dk->c, 0, 1))
		armed.hits = -100;
}

static void act_consumer_prepares(void)
{
	if (ringmpsc_wait_prepare(&dk->c) != 0)
		armed.hits = -100;
}

static void act_producer_flags(void)
{
	/* What wait_space does before sleeping: NEED_WAKEUP, then a full
	 * barrier; the producer is now committed to re-check or sleep.
	 */
	RINGMPSC_WRITE_ONCE(*prod_flags_word(&dk->mem[0]), RINGMPSC_NEED_WAKEUP);
	ringmpsc_smp_mb();	/* INV-WAKE-01 */
}

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

TEST_F_TIMEOUT(wait, dekker_halves, TIMEOUT_S)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	struct sigaction old;
	struct lfix f;
	const void *m = NULL;
	uint64_t t0, count;
	void *s = NULL;

	/* TSan runs its own code around the faulting atomic store. */
	if (test_build_is("tsan"))
		SKIP(return, "fault injection under TSan");
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, &old));
	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 2, 0));
	dk = &f;

	/* Sleeper half, consumer: the commit lands between its first look
	 * and its flag; it must not sleep through the 10 s timeout.
	 */
	arm(f.mem[0].cons, act_commit);
	t0 = now_ns();
	EXPECT_EQ(0, ringmpsc_wait(&f.c, 10000));
	EXPECT_GT(5000, ms_since(t0));
	EXPECT_EQ(1, armed.hits);
	EXPECT_EQ(0, f.p[0].stats.wakeups);	/* it saw no flag */
	EXPECT_EQ(0, *cons_flags_word(&f.mem[0]));

	/* Publisher half, consumer side: the consumer releases while the
	 * producer is about to sleep; the release must see the flag.
	 */
	EXPECT_EQ(0, send_seq(&f.p[0], 1, LEN));		/* ring full */
	arm(f.mem[0].cons, act_producer_flags);
	EXPECT_EQ(1, ringmpsc_peek(&f.c, 0, &m, 1));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 1));	/* head store faults */
	EXPECT_EQ(2, armed.hits);
	EXPECT_EQ(1, f.c.stats.wakeups);
	EXPECT_TRUE(readable(f.p[0].wait_fd));
	RINGMPSC_WRITE_ONCE(*prod_flags_word(&f.mem[0]), 0);

	/* Sleeper half, producer: a full ring; the release lands between
	 * its first look and its flag; wait_space must return at once.
	 */
	EXPECT_EQ(0, send_seq(&f.p[0], 2, LEN));
	EXPECT_EQ(-EAGAIN, ringmpsc_reserve(&f.p[0], 1, &s));
	/* Drop the count left by the previous step. */
	EXPECT_EQ(8, read(f.p[0].wait_fd, &count, sizeof(count)));
	arm(f.mem[0].prod, act_release);
	t0 = now_ns();
	EXPECT_EQ(0, ringmpsc_wait_space(&f.p[0], 1, 10000));
	EXPECT_GT(5000, ms_since(t0));
	EXPECT_EQ(3, armed.hits);
	EXPECT_EQ(1, f.c.stats.wakeups);	/* the release saw no flag */

	/* Publisher half, producer side: the consumer gets ready to sleep
	 * while the producer stores tail; the commit must see the flag.
	 */
	EXPECT_EQ(1, ringmpsc_peek(&f.c, 0, &m, 2));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 1));	/* now empty */
	ringmpsc_wait_finish(&f.c);
	arm(f.mem[0].prod, act_consumer_prepares);
	EXPECT_EQ(0, send_seq(&f.p[0], 3, LEN));		/* tail store faults */
	EXPECT_EQ(4, armed.hits);
	EXPECT_EQ(1, f.p[0].stats.wakeups);
	EXPECT_TRUE(readable(ringmpsc_consumer_eventfd(&f.c)));
	ringmpsc_wait_finish(&f.c);

	sigaction(SIGSEGV, &old, NULL);
	dk = NULL;
	lfix_fini(&f);
}

TEST_HARNESS_MAIN
