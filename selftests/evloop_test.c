// SPDX-License-Identifier: GPL-2.0
/*
 * evloop_test: the io_uring and libuv adapters (<ringmpsc/uring.h>,
 * <ringmpsc/uv.h>, spec.md section 8) on a module channel, with both sides
 * in event loops that sleep whenever idle. A producer process starts
 * before any consumer and sleeps in its loop until the module announces
 * the consumer's arrival (nothing else can wake it then); from there it
 * sends, and sleeps for room whenever the ring is full. The consumer
 * sleeps in its loop whenever the ring is empty. Every message arrives
 * once, in order; an armed sleep that nothing ends within WAIT_MS is a
 * lost wakeup and fails the run. stream_test does the same with epoll;
 * make check-evloop runs the examples of these loops on local rings.
 */
#include <ringmpsc/uring.h>	/* first: liburing's feature macros */
#include <ringmpsc/uv.h>

#include <inttypes.h>

#include "helpers.h"

#define CAP		32	/* both sides sleep thousands of times */
#define WAIT_MS		5000	/* an armed sleep longer than this: lost */
#define BUDGET		64	/* messages the consumer takes per call */
#define HANDOFFS	100000	/* per variant (rm_handoffs()) */

struct msg {
	uint64_t seq;
	uint64_t check;
};

/* What the consumer saw: every message of the one producer, in order? */
struct tally {
	uint64_t next;		/* messages received */
	uint64_t bad;		/* ... out of order, repeated or corrupt */
	uint64_t wakeups;	/* armed sleeps (io_uring), callbacks (libuv) */
};

/* consume_batch handler. */
static void take(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	const struct msg *m = msgs;
	struct tally *t = ctx;

	for (uint32_t i = 0; i < n; i++, m++, t->next++)
		if (m->seq != t->next || m->check != rm_mix(m->seq))
			t->bad++;
}

/* Send from *@seq on until the ring is full or @n are sent: 0 or -errno. */
static int send_until_full(struct ringmpsc_producer *p, uint64_t *seq,
			   uint64_t n)
{
	int err = 0;

	while (*seq < n && !err) {
		struct msg m = { .seq = *seq, .check = rm_mix(*seq) };

		err = ringmpsc_try_send(p, &m, sizeof(m));
		*seq += !err;
	}
	return err == -EAGAIN ? 0 : err;
}

/*
 * Tell the parent, once, what the producer's first wait found: 0 when it
 * is asleep waiting for a consumer, so that the parent attaches only then.
 * A failed write leaves the parent an end of file, which fails the test.
 */
static void report_first(int *fd, int what)
{
	if (*fd < 0)
		return;
	if (write(*fd, &what, sizeof(what)) != sizeof(what))
		what = -EIO;
	close(*fd);
	*fd = -1;
}

/* ---- io_uring (<ringmpsc/uring.h>) --------------------------------------- */

/* A loop that sleeps in io_uring on one side's eventfd. */
struct uring_loop {
	struct io_uring ring;
	struct ringmpsc_uring_poll w;
};

static int uring_loop_init(struct uring_loop *l, int fd, unsigned int flags)
{
	int err = io_uring_queue_init(4, &l->ring, 0);

	if (err)
		return err;
	err = ringmpsc_uring_poll_init(&l->w, fd, 1, flags);
	if (err)
		io_uring_queue_exit(&l->ring);
	return err;
}

/*
 * One turn of the loop after the side's prepare returned @r: no sleep for
 * 1; for 0 a sleep until the eventfd's poll completes, -ETIMEDOUT if
 * nothing completes it within WAIT_MS; at most the retry slice for an
 * error that allows one. io_uring may return from a wait with nothing
 * completed: that is no wakeup, so the sleep goes on (a loop that
 * prepared again instead would hide a lost one). 0 or -errno; the caller
 * then finishes.
 */
static int uring_sleep(struct uring_loop *l, int r)
{
	int ms = r == 0 ? WAIT_MS : ringmpsc_wait_retry_ms(r);
	uint64_t now = rm_now_ns(), end = now + (uint64_t)ms * 1000000ull;
	struct io_uring_cqe *cqe;
	bool woken = false;
	int err = 0;

	if (r == 1)
		return 0;
	if (ms < 0)
		return r;
	while (!err && !woken && now < end) {
		struct __kernel_timespec ts = { (end - now) / 1000000000ull,
						(end - now) % 1000000000ull };

		/* Armed after the prepare, or still armed (multishot): either
		 * way it completes for a wakeup that came first; armed again
		 * if the kernel ended it. INV-STREAM-01
		 */
		err = ringmpsc_uring_poll_arm(&l->ring, &l->w);
		if (!err)
			err = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1,
							       &ts, NULL);
		if (err == -ETIME || err == -EINTR || err > 0)
			err = 0;
		while (!err && io_uring_peek_cqe(&l->ring, &cqe) == 0) {
			int c = ringmpsc_uring_poll_complete(&l->w, cqe);

			woken |= c > 0;
			err = c < 0 ? c : 0;
			io_uring_cqe_seen(&l->ring, cqe);
		}
		now = rm_now_ns();
	}
	return !err && r == 0 && !woken ? -ETIMEDOUT : err;
}

/*
 * The producer: prepare (for room and a consumer), sleep in io_uring,
 * finish, and send until full whenever the prepare said ready. 0 or -errno.
 */
static int uring_produce(struct ringmpsc_producer *p, uint64_t n,
			 int report_fd, unsigned int flags)
{
	struct uring_loop l;
	uint64_t seq = 0, sleeps = 0;
	int err = uring_loop_init(&l, ringmpsc_producer_eventfd(p), flags);

	while (!err && seq < n) {
		int r = ringmpsc_producer_wait_prepare(p, 1, RINGMPSC_WAIT_CONSUMER);

		report_first(&report_fd, r);
		sleeps += r == 0;
		err = uring_sleep(&l, r);
		ringmpsc_producer_wait_finish(p);
		if (!err && r == 1)
			err = send_until_full(p, &seq, n);
	}
	io_uring_queue_exit(&l.ring);	/* cancels the poll */
	ksft_print_msg("io_uring producer (%s poll): %" PRIu64 " sleeps\n",
		       flags & RINGMPSC_URING_ONESHOT ? "one-shot" : "multishot",
		       sleeps);
	return err;
}

/* The consumer: consume with a budget; when empty prepare, sleep, finish. */
static int uring_consume(struct ringmpsc_consumer *c, struct tally *t,
			 uint64_t n, unsigned int flags)
{
	struct uring_loop l;
	int err = uring_loop_init(&l, ringmpsc_consumer_eventfd(c), flags);

	while (!err && t->next < n) {
		long got = ringmpsc_consume_batch(c, take, t, BUDGET);
		int r;

		if (got) {
			err = got < 0 ? (int)got : 0;
			continue;
		}
		r = ringmpsc_wait_prepare(c);
		t->wakeups += r == 0;
		err = uring_sleep(&l, r);
		ringmpsc_wait_finish(c);
	}
	io_uring_queue_exit(&l.ring);
	return err;
}

/* ---- libuv (<ringmpsc/uv.h>) --------------------------------------------- */

/*
 * Each side's loop has a watchdog: a repeating timer that fails the side
 * when its count (sent, received) did not move for WAIT_MS.
 */
struct uv_side {
	uv_timer_t watchdog;
	uint64_t count, seen;
	int err;
	void (*close)(struct uv_side *s);	/* the adapter's handle */
};

static void uv_side_done(struct uv_side *s, int err)
{
	s->err = err;
	s->close(s);
	uv_close((uv_handle_t *)&s->watchdog, NULL);
}

static void uv_side_watch(uv_timer_t *w)
{
	struct uv_side *s = w->data;

	if (s->count == s->seen)
		uv_side_done(s, -ETIMEDOUT);	/* asleep, nobody woke us */
	s->seen = s->count;
}

/* Start @s's watchdog on @loop, and the side with @start (0 or -errno);
 * run the loop until every handle is closed. The side's error.
 */
static int uv_side_run(uv_loop_t *loop, struct uv_side *s, int start)
{
	uv_timer_init(loop, &s->watchdog);
	s->watchdog.data = s;
	uv_timer_start(&s->watchdog, uv_side_watch, WAIT_MS, WAIT_MS);
	if (start)
		uv_side_done(s, start);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	return s->err;
}

struct uv_producer {
	struct uv_side s;	/* first: s->close casts back */
	struct ringmpsc_uv_producer h;
	uint64_t n, waits;
};

static void uv_producer_close(struct uv_side *s)
{
	ringmpsc_uv_producer_close(&((struct uv_producer *)s)->h, NULL);
}

/* Room (and a consumer), or an error: send until full, then wait again. */
static void uv_on_room(struct ringmpsc_uv_producer *h, int status)
{
	struct uv_producer *u = h->data;
	int err = status ? status : send_until_full(h->p, &u->s.count, u->n);

	if (!err && u->s.count < u->n) {
		u->waits++;
		err = ringmpsc_uv_producer_wait(h, 1, RINGMPSC_WAIT_CONSUMER,
						uv_on_room);
	}
	if (err || u->s.count == u->n)
		uv_side_done(&u->s, err);
}

static int uv_produce(struct ringmpsc_producer *p, uint64_t n, int report_fd,
		      unsigned int flags)
{
	struct uv_producer u = { .s.close = uv_producer_close, .n = n };
	uv_loop_t loop;
	int err = uv_loop_init(&loop);

	if (!err)
		err = ringmpsc_uv_producer_init(&loop, &u.h, p);
	if (err)
		return err;
	u.h.data = &u;
	/* First, wait for a consumer: asleep, as none is attached yet. */
	err = ringmpsc_uv_producer_wait(&u.h, 1, RINGMPSC_WAIT_CONSUMER,
					uv_on_room);
	report_first(&report_fd, err ? err : ringmpsc_consumer_present(p));
	err = uv_side_run(&loop, &u.s, err);
	ksft_print_msg("libuv producer: %" PRIu64 " waits for room\n", u.waits);
	return err;
}

struct uv_consumer {
	struct uv_side s;	/* first: s->close casts back */
	struct ringmpsc_uv_consumer h;
	struct tally *t;
	uint64_t n;
};

static void uv_consumer_close(struct uv_side *s)
{
	ringmpsc_uv_consumer_close(&((struct uv_consumer *)s)->h, NULL);
}

static void uv_on_messages(struct ringmpsc_uv_consumer *h, int status)
{
	struct uv_consumer *u = h->data;
	long got = status ? status : ringmpsc_consume_batch(h->c, take, u->t,
							     BUDGET);

	u->t->wakeups++;
	u->s.count = u->t->next;
	if (got < 0 || u->t->next >= u->n)
		uv_side_done(&u->s, got < 0 ? (int)got : 0);
}

static int uv_consume(struct ringmpsc_consumer *c, struct tally *t,
		      uint64_t n, unsigned int flags)
{
	struct uv_consumer u = { .s.close = uv_consumer_close, .t = t, .n = n };
	uv_loop_t loop;
	int err = uv_loop_init(&loop);

	if (!err)
		err = ringmpsc_uv_consumer_init(&loop, &u.h, c);
	if (err)
		return err;
	u.h.data = &u;
	return uv_side_run(&loop, &u.s,
			   ringmpsc_uv_consumer_start(&u.h, uv_on_messages));
}

/* ---- the hand-off, in each pair of loops ---------------------------------- */

FIXTURE(handoff) {
	char name[64];
};

FIXTURE_VARIANT(handoff) {
	/* 0 or -errno; the producer's runs in its own process. */
	int (*produce)(struct ringmpsc_producer *p, uint64_t n, int report_fd,
		       unsigned int flags);
	int (*consume)(struct ringmpsc_consumer *c, struct tally *t, uint64_t n,
		       unsigned int flags);
	unsigned int producer_flags, consumer_flags;	/* io_uring polls */
	bool uring;
};

/* Each io_uring side with each kind of poll: multishot, and one-shot as
 * before 5.13.
 */
FIXTURE_VARIANT_ADD(handoff, uring) {
	.produce = uring_produce, .consume = uring_consume,
	.consumer_flags = RINGMPSC_URING_ONESHOT, .uring = true,
};

FIXTURE_VARIANT_ADD(handoff, uring_oneshot_producer) {
	.produce = uring_produce, .consume = uring_consume,
	.producer_flags = RINGMPSC_URING_ONESHOT, .uring = true,
};

FIXTURE_VARIANT_ADD(handoff, uv) {
	.produce = uv_produce, .consume = uv_consume,
};

FIXTURE_SETUP(handoff)
{
	struct ringmpsc_channel_attr attr = {
		.slot_size = sizeof(struct msg), .capacity = CAP,
		.max_producers = 1, .mode = 0600, .flags = RINGMPSC_CREATE_EXCL,
	};

	if (variant->uring) {
		struct io_uring ring;
		int err = io_uring_queue_init(1, &ring, 0);

		if (err == -ENOSYS || err == -EPERM)
			SKIP(return, "no io_uring: %s (CONFIG_IO_URING off, or sysctl kernel.io_uring_disabled)",
			     strerror(-err));
		ASSERT_EQ(0, err);
		io_uring_queue_exit(&ring);
	}
	rm_name(self->name, sizeof(self->name), "evloop");
	ASSERT_EQ(0, ringmpsc_create(self->name, &attr));
}

FIXTURE_TEARDOWN(handoff)
{
	ringmpsc_unlink(self->name);
}

/*
 * HANDOFFS messages from a producer process to the consumer, each side in
 * its loop, spinning off so that every idle moment is a sleep: the
 * producer is woken by the consumer's arrival (INV-STREAM-04), then by
 * its releases (INV-STREAM-02), the consumer by the commits; none is lost
 * (INV-STREAM-01), and every message arrives once, in order, and nothing
 * after the last (INV-STREAM-05).
 */
TEST_F_TIMEOUT(handoff, exactly_once_in_order, 280)
{
	uint64_t n = rm_handoffs(HANDOFFS), t0 = rm_now_ns();
	struct ringmpsc_consumer c;
	struct tally t = { 0 };
	int report[2], first = 1, status, err;
	pid_t pid;

	ASSERT_LT(0, n);
	ringmpsc_set_wait_spin_ns(0);	/* the fork inherits it */
	ASSERT_EQ(0, pipe(report));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringmpsc_producer p;

		close(report[0]);
		err = ringmpsc_producer_open(&p, self->name);
		if (!err)
			err = variant->produce(&p, n, report[1],
					       variant->producer_flags);
		else
			report_first(&report[1], err);
		_exit(-err);	/* closes the producer */
	}
	close(report[1]);
	ASSERT_EQ(sizeof(first), read(report[0], &first, sizeof(first)));
	close(report[0]);
	ASSERT_EQ(0, first) TH_LOG("the producer's first wait: %d, not asleep", first);

	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->name));
	err = variant->consume(&c, &t, n, variant->consumer_flags);
	EXPECT_EQ(0, err) TH_LOG("consumer: %s at message %" PRIu64,
				 strerror(-err), t.next);
	EXPECT_EQ(n, t.next);
	EXPECT_EQ(0, t.bad);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("producer: %s", WIFEXITED(status) ?
		       strerror(WEXITSTATUS(status)) : "killed");
	/* The producer is gone and sent no more than n. */
	EXPECT_EQ(0, ringmpsc_consume_batch(&c, take, &t, BUDGET));
	TH_LOG("%" PRIu64 " messages in %.1f s, consumer woken %" PRIu64
	       " times", n, (double)(rm_now_ns() - t0) / 1e9, t.wakeups);
	ringmpsc_consumer_close(&c);
}

TEST_HARNESS_MAIN
