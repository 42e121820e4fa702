// SPDX-License-Identifier: MIT
/*
 * Unit tests of the library's non-blocking API on local rings and on rings
 * in plain heap memory: setup and its errors, producer reserve/commit/send,
 * consumer peek/release/consume and take/release_taken, wrap handling (mirrored or not), budget
 * fairness, cached indices and counters. The INV- ids of spec.md that a
 * test verifies are named in its comment.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define LEN 16		/* message bytes in most tests */

/* What a consume handler saw. */
struct got {
	uint32_t n;		/* messages */
	uint32_t runs;		/* batch callbacks */
	uint32_t bad;		/* messages failing msg_bad_word() */
	uint32_t len;		/* message length to check, 0: seq only */
	uint32_t ring[256];
	uint64_t seq[256];
	uint32_t run_len[64];
	const void *run_ptr[64];
};

static void got_one(struct got *g, uint32_t ring, const void *msg)
{
	uint64_t seq;

	memcpy(&seq, msg, sizeof(seq));
	if (g->n < 256) {
		g->ring[g->n] = ring;
		g->seq[g->n] = seq;
	}
	g->n++;
	if (g->len && msg_bad_word(msg, ring, seq, g->len))
		g->bad++;
}

static void on_msg(void *ctx, uint32_t ring, const void *msg)
{
	got_one(ctx, ring, msg);
}

static void on_batch(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct got *g = ctx;
	const unsigned char *m = msgs;

	if (g->runs < 64) {
		g->run_len[g->runs] = n;
		g->run_ptr[g->runs] = msgs;
	}
	g->runs++;
	/* In these tests messages fill their slots: stride len (or LEN). */
	for (uint32_t i = 0; i < n; i++)
		got_one(g, ring, m + (size_t)i * (g->len ? g->len : LEN));
}

/*
 * Tests that build their own rings. Each takes well under a second (a few
 * under valgrind): the harness's default timeout (30 s) is theirs.
 */
TEST_PROCESS_FIXTURE(api)

/* One local ring of 8 slots of LEN bytes, its producer and its consumer. */
FIXTURE(ring8) {
	struct lfix f;
};

FIXTURE_SETUP(ring8)
{
	test_begin(_metadata);
	ASSERT_EQ(0, lfix_init(&self->f, 1, LEN, 8, 0));
}

FIXTURE_TEARDOWN(ring8)
{
	lfix_fini(&self->f);
	test_end(_metadata);
}

/* ---- setup ---------------------------------------------------------------- */

/* Bad attributes of a local ring set are rejected with -EINVAL and leave
 * *out alone; the limits themselves are accepted.
 */
TEST_F(api, local_create_args)
{
	static const struct { uint32_t n, slot, cap, flags; } bad[] = {
		{ 0, 16, 4, 0 },				/* no rings */
		{ RINGMPSC_PRODUCERS_MAX + 1, 16, 4, 0 },	/* too many */
		{ 1, 0, 4, 0 },					/* slot 0 */
		{ 1, 12, 4, 0 },				/* not x8 */
		{ 1, RINGMPSC_SLOT_MAX + 8, 4, 0 },		/* too big */
		{ 1, 16, 0, 0 },				/* cap 0 */
		{ 1, 16, 1, 0 },				/* below min */
		{ 1, 16, 3, 0 },				/* not 2^k */
		{ 1, 16, 96, 0 },				/* not 2^k */
		{ 1, 16, RINGMPSC_CAPACITY_MAX * 2, 0 },	/* too big */
		{ 1, 16, 4, 1u << 1 },				/* bad flag */
		{ 1, 16, 4, 1u << 31 },				/* bad flag */
	};
	static char sentinel;
	struct ringmpsc_local *l;
	struct ringmpsc_ring_mem m;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = (struct ringmpsc_local *)&sentinel;
		EXPECT_EQ(-EINVAL, ringmpsc_local_create(&l, bad[i].n, bad[i].slot,
							 bad[i].cap, bad[i].flags));
		EXPECT_EQ((struct ringmpsc_local *)&sentinel, l);
	}
	EXPECT_EQ(-EINVAL, ringmpsc_local_create(NULL, 1, 16, 4, 0));

	/* Smallest and largest slot, smallest capacity. */
	ASSERT_EQ(0, ringmpsc_local_create(&l, 1, RINGMPSC_SLOT_ALIGN,
					   RINGMPSC_CAPACITY_MIN, 0));
	ringmpsc_local_destroy(l);
	ASSERT_EQ(0, ringmpsc_local_create(&l, 2, RINGMPSC_SLOT_MAX,
					   RINGMPSC_CAPACITY_MIN,
					   RINGMPSC_LOCAL_NO_MIRROR));
	/* Ring index checks of the other calls. */
	EXPECT_EQ(-EINVAL, ringmpsc_local_ring_mem(l, 2, &m));
	EXPECT_EQ(-EINVAL, ringmpsc_local_ring_mem(l, 0, NULL));
	EXPECT_EQ(-EINVAL, ringmpsc_local_ring_mem(NULL, 0, &m));
	EXPECT_EQ(-EINVAL, ringmpsc_local_producer(l, 2, &p));
	EXPECT_EQ(-EINVAL, ringmpsc_local_producer(l, 0, NULL));
	EXPECT_EQ(-EINVAL, ringmpsc_local_consumer(l, NULL));
	EXPECT_EQ(-EINVAL, ringmpsc_local_consumer(NULL, &c));
	EXPECT_EQ(0, ringmpsc_local_ring_mem(l, 1, &m));
	EXPECT_EQ(RINGMPSC_SLOT_MAX, m.slot_size);
	EXPECT_EQ(RINGMPSC_CAPACITY_MIN, m.capacity);
	EXPECT_TRUE(!m.mirrored);
	ringmpsc_local_destroy(l);
	ringmpsc_local_destroy(NULL);	/* no-op */
	ringmpsc_consumer_close(NULL);
}

static int count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* The most rings a set may have works end to end; running out of file
 * descriptors half way fails with -EMFILE and leaks none; destroy closes
 * everything it opened.
 */
TEST_F(api, local_create_limits)
{
	const uint32_t nr = RINGMPSC_PRODUCERS_MAX;
	struct ringmpsc_local *l = NULL;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct ringmpsc_stats st;
	struct got g = { .len = LEN };
	struct rlimit old, low;
	int fds = count_fds();

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	low = old;
	low.rlim_cur = (rlim_t)fds + 64;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	EXPECT_EQ(-EMFILE, ringmpsc_local_create(&l, nr, LEN, 2, 0));
	EXPECT_EQ(fds, count_fds());
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));

	if (old.rlim_cur < (rlim_t)fds + nr + 16)
		SKIP(return, "RLIMIT_NOFILE too low for the largest ring set");
	ASSERT_EQ(0, ringmpsc_local_create(&l, nr, LEN, 2, 0));
	EXPECT_EQ(fds + (int)nr + 1, count_fds());	/* the eventfds */
	ASSERT_EQ(0, ringmpsc_local_producer(l, nr - 1, &p));
	ASSERT_EQ(0, ringmpsc_local_consumer(l, &c));
	EXPECT_EQ(nr, c.nr_rings);
	EXPECT_EQ(0, send_seq(&p, 0, LEN));
	EXPECT_EQ(1, ringmpsc_consume(&c, on_msg, &g, 4));
	EXPECT_EQ(nr - 1, g.ring[0]);
	EXPECT_EQ(0, g.bad);
	/* No module, no module counters. */
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_producer_channel_stats(&p, &st));
	EXPECT_EQ(-EOPNOTSUPP, ringmpsc_consumer_channel_stats(&c, &st));
	ringmpsc_producer_close(&p);
	ringmpsc_consumer_close(&c);
	/* Closed handles answer with errors, never crash. */
	EXPECT_EQ(0, ringmpsc_consume(&c, on_msg, &g, 4));
	EXPECT_EQ(-EMSGSIZE, ringmpsc_try_send(&p, &g, 8));	/* slot_size 0 */
	EXPECT_FALSE(ringmpsc_consumer_present(&p));
	EXPECT_EQ(-EBADF, ringmpsc_producer_wake_peer(&p));
	EXPECT_EQ(-EBADF, ringmpsc_consumer_wake_peer(&c, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_producer_channel_stats(&p, &st));
	EXPECT_EQ(-EINVAL, ringmpsc_wait_space(&p, 1, 0));
	ringmpsc_producer_close(&p);	/* twice: no-op */
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(l);
	EXPECT_EQ(fds, count_fds());
}

/* A local ring has one producer at a time (INV-LOCAL-01): binding a bound
 * ring is -EBUSY from this thread, from racing threads and from a forked
 * child, until the handle is closed or its process has exited; the next
 * producer continues at the tail its predecessor left.
 */
struct bind_race {
	struct ringmpsc_local *l;
	pthread_barrier_t go, done;
	int won;		/* threads that bound ring 0 */
	int busy;		/* threads told -EBUSY */
};

static void *bind_racer(void *arg)
{
	struct bind_race *r = arg;
	struct ringmpsc_producer p;
	int err;

	pthread_barrier_wait(&r->go);
	err = ringmpsc_local_producer(r->l, 0, &p);
	__atomic_add_fetch(err == 0 ? &r->won : &r->busy, 1, __ATOMIC_RELAXED);
	pthread_barrier_wait(&r->done);	/* all tried while it was bound */
	ringmpsc_producer_close(&p);	/* the loser's is closed already */
	return err == 0 || err == -EBUSY ? NULL : (void *)1;
}

TEST_F(api, local_bind_once)
{
	enum { RACERS = 4, ROUNDS = 50 };
	struct ringmpsc_producer p, p2;
	struct ringmpsc_local *l;
	pid_t pid;
	int status = -1;

	ASSERT_EQ(0, ringmpsc_local_create(&l, 2, LEN, 8, 0));
	ASSERT_EQ(0, ringmpsc_local_producer(l, 0, &p));
	EXPECT_EQ(-EBUSY, ringmpsc_local_producer(l, 0, &p2));
	EXPECT_EQ(NULL, p2.ops);		/* a closed handle */
	ringmpsc_producer_close(&p2);		/* does not free ring 0 */
	EXPECT_EQ(-EBUSY, ringmpsc_local_producer(l, 0, &p2));
	EXPECT_EQ(0, send_seq(&p, 0, LEN));
	EXPECT_EQ(0, send_seq(&p, 1, LEN));
	ringmpsc_producer_close(&p);
	ASSERT_EQ(0, ringmpsc_local_producer(l, 0, &p2));
	EXPECT_EQ(2, p2.tail);			/* where p left it */

	/* A forked child: ring 0 is still ours; ring 1 it binds and leaves
	 * bound when it exits, and then it is free again.
	 */
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringmpsc_producer q;

		if (ringmpsc_local_producer(l, 0, &q) != -EBUSY)
			_exit(1);
		_exit(ringmpsc_local_producer(l, 1, &q) ? 2 : 0);
	}
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, ringmpsc_local_producer(l, 1, &p));
	ringmpsc_producer_close(&p);
	ringmpsc_producer_close(&p2);

	/* Threads racing for ring 0: exactly one wins each round. */
	for (int round = 0; round < ROUNDS; round++) {
		struct bind_race r = { .l = l };
		pthread_t th[RACERS];
		void *ret;

		ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, RACERS));
		ASSERT_EQ(0, pthread_barrier_init(&r.done, NULL, RACERS));
		for (int i = 0; i < RACERS; i++)
			ASSERT_EQ(0, pthread_create(&th[i], NULL, bind_racer, &r));
		for (int i = 0; i < RACERS; i++) {
			ASSERT_EQ(0, pthread_join(th[i], &ret));
			EXPECT_EQ(NULL, ret);
		}
		pthread_barrier_destroy(&r.go);
		pthread_barrier_destroy(&r.done);
		EXPECT_EQ(1, r.won);
		EXPECT_EQ(RACERS - 1, r.busy);
	}
	ASSERT_EQ(0, ringmpsc_local_producer(l, 0, &p));	/* freed */
	ringmpsc_producer_close(&p);
	ringmpsc_local_destroy(l);
}

/* Data is mirrored exactly when capacity * slot_size is a page multiple
 * and not refused; a mirror really aliases the same memory.
 */
TEST_F(api, local_mirroring)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	static const struct { uint32_t slot, cap, flags; bool mirrored; } cases[] = {
		{ 2048, 2, 0, true },
		{ 1024, 4, 0, true },
		{ 16, 256, 0, true },
		{ 16, 2, 0, false },
		{ 24, 64, 0, false },
		{ 16, 256, RINGMPSC_LOCAL_NO_MIRROR, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ringmpsc_local *l;
		struct ringmpsc_ring_mem m;
		size_t bytes = (size_t)cases[i].slot * cases[i].cap;

		ASSERT_EQ(0, ringmpsc_local_create(&l, 2, cases[i].slot,
						   cases[i].cap, cases[i].flags));
		EXPECT_EQ(0, ringmpsc_local_ring_mem(l, 1, &m));
		EXPECT_EQ(cases[i].mirrored, m.mirrored);
		EXPECT_EQ(0, (uintptr_t)m.data % page);
		EXPECT_EQ(0, (uintptr_t)m.prod % page);
		EXPECT_EQ(0, (uintptr_t)m.cons % page);
		EXPECT_NE(m.cons, m.prod);
		if (m.mirrored) {
			unsigned char *d = m.data;

			d[0] = 0x5a;
			d[bytes - 1] = 0xa5;
			EXPECT_EQ(0x5a, d[bytes]);
			EXPECT_EQ(0xa5, d[2 * bytes - 1]);
		}
		ringmpsc_local_destroy(l);
	}
}

/* Binding to memory of a bad layout is refused: null regions, slot or
 * capacity out of the ABI's limits, misaligned words (-EINVAL); indices
 * already out of bounds (-EPROTO, INV-RING-10).
 */
TEST_F(api, ring_init_args)
{
	struct heap_ring h;
	struct ringmpsc_ring_mem m;
	struct ringmpsc_producer p;
	struct ringmpsc_cring r;

	ASSERT_EQ(0, heap_ring_init(&h, 8, 16, false));
	EXPECT_EQ(-EINVAL, ringmpsc_producer_init(NULL, &h.mem));
	EXPECT_EQ(-EINVAL, ringmpsc_producer_init(&p, NULL));
	EXPECT_EQ(-EINVAL, ringmpsc_cring_init(NULL, &h.mem));
	EXPECT_EQ(-EINVAL, ringmpsc_cring_init(&r, NULL));
	for (int k = 0; k < 11; k++) {
		m = h.mem;
		switch (k) {
		case 0: m.prod = NULL; break;
		case 1: m.cons = NULL; break;
		case 2: m.data = NULL; break;
		case 3: m.slot_size = 0; break;
		case 4: m.slot_size = 20; break;
		case 5: m.slot_size = RINGMPSC_SLOT_MAX + 8; break;
		case 6: m.capacity = 1; break;
		case 7: m.capacity = 12; break;
		case 8: m.capacity = RINGMPSC_CAPACITY_MAX * 2; break;
		case 9: m.tail_off = 4; break;
		case 10: m.cons_flags_off = 2; break;
		}
		EXPECT_EQ(-EINVAL, ringmpsc_producer_init(&p, &m));
		EXPECT_EQ(-EINVAL, ringmpsc_cring_init(&r, &m));
	}

	/* A producer continues from the ring's current indices. */
	*tail_word(&h.mem) = 1000;
	*head_word(&h.mem) = 995;
	EXPECT_EQ(0, ringmpsc_producer_init(&p, &h.mem));
	EXPECT_EQ(1000, p.tail);
	EXPECT_EQ(995, p.cached_head);
	EXPECT_EQ(-1, p.wait_fd);
	EXPECT_EQ(0, p.pending);
	/* The consumer continues from head, the only time it reads it
	 * (INV-LIFE-05), and trusts tail only after checking it.
	 */
	EXPECT_EQ(0, ringmpsc_cring_init(&r, &h.mem));
	EXPECT_EQ(995, r.head);
	EXPECT_EQ(995, r.cached_tail);
	EXPECT_TRUE(r.live && !r.broken && !r.detached);

	/* Corrupt indices: tail behind head, tail beyond head + capacity. */
	*tail_word(&h.mem) = 994;
	EXPECT_EQ(-EPROTO, ringmpsc_producer_init(&p, &h.mem));
	*tail_word(&h.mem) = 995 + 9;
	EXPECT_EQ(-EPROTO, ringmpsc_producer_init(&p, &h.mem));
	*tail_word(&h.mem) = 995 + 8;	/* exactly full is fine */
	EXPECT_EQ(0, ringmpsc_producer_init(&p, &h.mem));
	heap_ring_free(&h);
}

/* ---- producer -------------------------------------------------------------- */

/* reserve: 0 or more than capacity -> -EINVAL; a second reserve while one
 * is open -> -EBUSY; commit beyond the reservation -> -EINVAL and the
 * reservation stays open; commit with none open.
 */
TEST_F(ring8, reserve_errors)
{
	void *s = NULL;
	int n;

	EXPECT_EQ(-EINVAL, ringmpsc_reserve(&self->f.p[0], 0, &s));
	EXPECT_EQ(-EINVAL, ringmpsc_reserve(&self->f.p[0], 9, &s));
	EXPECT_EQ(-EINVAL, ringmpsc_reserve(&self->f.p[0], UINT32_MAX, &s));
	EXPECT_EQ(-EINVAL, ringmpsc_commit(&self->f.p[0], 1));	/* none open */
	EXPECT_EQ(0, ringmpsc_commit(&self->f.p[0], 0));
	n = ringmpsc_reserve(&self->f.p[0], 3, &s);
	EXPECT_EQ(3, n);
	EXPECT_EQ(self->f.mem[0].data, s);
	EXPECT_EQ(-EBUSY, ringmpsc_reserve(&self->f.p[0], 1, &s));
	EXPECT_EQ(-EBUSY, ringmpsc_try_send(&self->f.p[0], "x", 1));
	EXPECT_EQ(-EINVAL, ringmpsc_commit(&self->f.p[0], 4));
	EXPECT_EQ(0, *tail_word(&self->f.mem[0]));		/* nothing published */
	EXPECT_EQ(3, self->f.p[0].pending);			/* still open */
	EXPECT_EQ(0, ringmpsc_commit(&self->f.p[0], 3));
	EXPECT_EQ(3, *tail_word(&self->f.mem[0]));
	EXPECT_EQ(0, self->f.p[0].pending);
	EXPECT_EQ(3, self->f.p[0].stats.messages);
	EXPECT_EQ(1, self->f.p[0].stats.commits);
}

/* The ring never holds more than capacity (INV-RING-01): reserve returns
 * what is free, -EAGAIN when nothing is, and counts each full event.
 * A reservation lies in [tail, head + capacity) (INV-RING-06).
 */
TEST_F(ring8, reserve_full)
{
	const void *m = NULL;
	void *s = NULL;

	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, send_seq(&self->f.p[0], (uint64_t)i, LEN));
	EXPECT_EQ(3, ringmpsc_reserve(&self->f.p[0], 8, &s));	/* 8 - 5 free */
	EXPECT_EQ((unsigned char *)self->f.mem[0].data + 5 * LEN, s);
	EXPECT_EQ(0, ringmpsc_commit(&self->f.p[0], 3));
	EXPECT_EQ(-EAGAIN, ringmpsc_reserve(&self->f.p[0], 1, &s));
	EXPECT_EQ(-EAGAIN, send_seq(&self->f.p[0], 99, LEN));
	EXPECT_EQ(2, self->f.p[0].stats.full);
	EXPECT_EQ(8, *tail_word(&self->f.mem[0]) - *head_word(&self->f.mem[0]));

	/* Releasing two frees exactly two. */
	EXPECT_EQ(2, ringmpsc_peek(&self->f.c, 0, &m, 2));
	EXPECT_EQ(0, ringmpsc_release(&self->f.c, 0, 2));
	EXPECT_EQ(2, ringmpsc_reserve(&self->f.p[0], 8, &s));
	EXPECT_EQ(self->f.mem[0].data, s);	/* index 8 wraps to slot 0 */
	EXPECT_EQ(0, ringmpsc_commit(&self->f.p[0], 0));
}

/* commit(k) publishes the first k reserved slots and abandons the rest;
 * commit(0) abandons all. Nothing uncommitted is visible (INV-RING-03,
 * INV-RING-09).
 */
TEST_F(ring8, commit_partial)
{
	struct got g = { .len = LEN };
	void *s = NULL, *s2 = NULL;

	ASSERT_EQ(4, ringmpsc_reserve(&self->f.p[0], 4, &s));
	for (uint32_t i = 0; i < 4; i++)
		msg_fill((unsigned char *)s + i * LEN, 0, 100 + i, LEN);
	EXPECT_EQ((unsigned char *)s + 2 * LEN, ringmpsc_slot(&self->f.p[0], 2));
	EXPECT_EQ(0, ringmpsc_commit(&self->f.p[0], 2));
	EXPECT_EQ(2, *tail_word(&self->f.mem[0]));
	EXPECT_EQ(2, self->f.p[0].stats.messages);

	/* The next reservation starts right after the committed ones. */
	ASSERT_EQ(1, ringmpsc_reserve(&self->f.p[0], 1, &s2));
	EXPECT_EQ((unsigned char *)s + 2 * LEN, s2);
	msg_fill(s2, 0, 999, LEN);
	EXPECT_EQ(0, ringmpsc_commit(&self->f.p[0], 0));	/* abandon */
	EXPECT_EQ(2, *tail_word(&self->f.mem[0]));
	EXPECT_EQ(1, self->f.p[0].stats.commits);
	ASSERT_EQ(1, ringmpsc_reserve(&self->f.p[0], 1, &s2));
	EXPECT_EQ((unsigned char *)s + 2 * LEN, s2);	/* same slot again */
	EXPECT_EQ(0, ringmpsc_commit(&self->f.p[0], 0));

	EXPECT_EQ(2, ringmpsc_consume(&self->f.c, on_msg, &g, 64));
	EXPECT_EQ(2, g.n);
	EXPECT_EQ(100, g.seq[0]);
	EXPECT_EQ(101, g.seq[1]);
	EXPECT_EQ(0, g.bad);
	EXPECT_EQ(0, ringmpsc_consume(&self->f.c, on_msg, &g, 64));
}

/* Unmirrored data: reserve stops at the wrap and returns fewer; peek
 * likewise; messages keep their order across it (INV-RING-07).
 */
TEST_F(api, unmirrored_wrap)
{
	struct lfix f;
	struct got g = { .len = LEN };
	const void *m = NULL;
	void *s = NULL;
	int n;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 4, 0));
	ASSERT_TRUE(!f.mem[0].mirrored);
	for (uint64_t i = 0; i < 3; i++)
		ASSERT_EQ(0, send_seq(&f.p[0], i, LEN));
	ASSERT_EQ(3, ringmpsc_consume(&f.c, on_msg, &g, 64));

	n = ringmpsc_reserve(&f.p[0], 3, &s);
	EXPECT_EQ(1, n);					/* slot 3 only */
	EXPECT_EQ((unsigned char *)f.mem[0].data + 3 * LEN, s);
	msg_fill(s, 0, 3, LEN);
	EXPECT_EQ(0, ringmpsc_commit(&f.p[0], 1));
	n = ringmpsc_reserve(&f.p[0], 2, &s);
	EXPECT_EQ(2, n);
	EXPECT_EQ(f.mem[0].data, s);
	msg_fill(s, 0, 4, LEN);
	msg_fill((unsigned char *)s + LEN, 0, 5, LEN);
	EXPECT_EQ(0, ringmpsc_commit(&f.p[0], 2));

	n = ringmpsc_peek(&f.c, 0, &m, 4);
	EXPECT_EQ(1, n);					/* up to the wrap */
	EXPECT_EQ((unsigned char *)f.mem[0].data + 3 * LEN, m);
	EXPECT_EQ(0, msg_bad_word(m, 0, 3, LEN));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 1));
	n = ringmpsc_peek(&f.c, 0, &m, 4);
	EXPECT_EQ(2, n);
	EXPECT_EQ(f.mem[0].data, m);
	EXPECT_EQ(0, msg_bad_word(m, 0, 4, LEN));
	EXPECT_EQ(0, msg_bad_word((const unsigned char *)m + LEN, 0, 5, LEN));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 2));

	/* consume_batch hands the two sides of the wrap as two runs but
	 * publishes head once.
	 */
	for (uint64_t i = 6; i < 9; i++)		/* slots 2, 3, 0 */
		ASSERT_EQ(0, send_seq(&f.p[0], i, LEN));
	memset(&g, 0, sizeof(g));
	g.len = LEN;
	uint64_t batches = f.c.stats.batches;
	EXPECT_EQ(3, ringmpsc_consume_batch(&f.c, on_batch, &g, 64));
	EXPECT_EQ(2, g.runs);
	EXPECT_EQ(2, g.run_len[0]);
	EXPECT_EQ(1, g.run_len[1]);
	EXPECT_EQ(f.mem[0].data, g.run_ptr[1]);
	EXPECT_EQ(batches + 1, f.c.stats.batches);
	EXPECT_EQ(6, g.seq[0]);
	EXPECT_EQ(8, g.seq[2]);
	EXPECT_EQ(0, g.bad);
	lfix_fini(&f);
}

/* Mirrored data: a reservation and a peek are contiguous across the wrap,
 * and the bytes written past the end land at the start of the ring.
 */
TEST_F(api, mirrored_wrap)
{
	const uint32_t slot = 1024;
	struct lfix f;
	struct got g = { .len = slot };
	const void *m = NULL;
	void *s = NULL;

	ASSERT_EQ(0, lfix_init(&f, 1, slot, 4, 0));
	ASSERT_TRUE(f.mem[0].mirrored);
	for (uint64_t i = 0; i < 3; i++)
		ASSERT_EQ(0, send_seq(&f.p[0], i, slot));
	ASSERT_EQ(3, ringmpsc_consume(&f.c, on_msg, &g, 64));

	ASSERT_EQ(4, ringmpsc_reserve(&f.p[0], 4, &s));	/* slots 3,0,1,2 */
	EXPECT_EQ((unsigned char *)f.mem[0].data + 3 * slot, s);
	for (uint32_t i = 0; i < 4; i++)
		msg_fill((unsigned char *)s + (size_t)i * slot, 0, 3 + i, slot);
	EXPECT_EQ(0, ringmpsc_commit(&f.p[0], 4));
	/* Slot 0 through the first mapping holds message 4. */
	EXPECT_EQ(0, msg_bad_word(f.mem[0].data, 0, 4, slot));

	ASSERT_EQ(4, ringmpsc_peek(&f.c, 0, &m, 4));
	EXPECT_EQ((unsigned char *)f.mem[0].data + 3 * slot, m);
	for (uint32_t i = 0; i < 4; i++)
		EXPECT_EQ(0, msg_bad_word((const unsigned char *)m + (size_t)i * slot,
					  0, 3 + i, slot));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 4));

	/* try_send_many and consume_batch: one run across the wrap. */
	uint64_t buf[3 * 1024 / 8];

	for (uint32_t i = 0; i < 3; i++)
		msg_fill(buf + i * (slot / 8), 0, 7 + i, slot);
	EXPECT_EQ(3, ringmpsc_try_send_many(&f.p[0], buf, slot, 3));
	memset(&g, 0, sizeof(g));
	g.len = slot;
	EXPECT_EQ(3, ringmpsc_consume_batch(&f.c, on_batch, &g, 64));
	EXPECT_EQ(1, g.runs);
	EXPECT_EQ(7, g.seq[0]);
	EXPECT_EQ(9, g.seq[2]);
	EXPECT_EQ(0, g.bad);
	lfix_fini(&f);
}

/* try_send: -EMSGSIZE past the slot (nothing published), -EAGAIN when
 * full; a short message leaves the rest of its slot as it was (spec.md 5);
 * the typed helper sends sizeof(*msg).
 */
TEST_F(api, try_send)
{
	struct lfix f;
	struct { uint64_t a, b; } typed = { 0x1111, 0x2222 };
	unsigned char big[LEN + 1] = { 0 };
	const void *m = NULL;
	uint64_t w[2];

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 2, 0));
	EXPECT_EQ(-EMSGSIZE, ringmpsc_try_send(&f.p[0], big, LEN + 1));
	EXPECT_EQ(0, *tail_word(&f.mem[0]));
	EXPECT_EQ(0, RINGMPSC_TRY_SEND(&f.p[0], &typed));
	w[0] = 0x3333;
	EXPECT_EQ(0, ringmpsc_try_send(&f.p[0], w, 8));
	EXPECT_EQ(-EAGAIN, ringmpsc_try_send(&f.p[0], w, 8));
	EXPECT_EQ(1, f.p[0].stats.full);

	ASSERT_EQ(2, ringmpsc_peek(&f.c, 0, &m, 2));
	memcpy(w, m, LEN);
	EXPECT_EQ(0x1111, w[0]);
	EXPECT_EQ(0x2222, w[1]);
	memcpy(w, (const unsigned char *)m + LEN, LEN);
	EXPECT_EQ(0x3333, w[0]);
	EXPECT_EQ(0, w[1]);			/* untouched: zero */
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 2));

	/* Slot 0 again: a short message keeps the old second word. */
	w[0] = 0x4444;
	EXPECT_EQ(0, ringmpsc_try_send(&f.p[0], w, 8));
	ASSERT_EQ(1, ringmpsc_peek(&f.c, 0, &m, 2));
	memcpy(w, m, LEN);
	EXPECT_EQ(0x4444, w[0]);
	EXPECT_EQ(0x2222, w[1]);
	EXPECT_EQ(0, ringmpsc_try_send(&f.p[0], w, 0));	/* empty message */
	EXPECT_EQ(4, f.p[0].stats.messages);
	lfix_fini(&f);
}

/* try_send_many: bad arguments; partial when the ring has less room;
 * clamped to capacity; both sides of an unmirrored wrap with one tail
 * publication; messages shorter than a slot are spread one per slot.
 */
TEST_F(api, try_send_many)
{
	struct lfix f;
	struct got g = { .len = LEN };
	uint64_t buf[16 * 2];
	uint64_t tail0;

	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 8, 0));
	for (uint32_t i = 0; i < 16; i++)
		msg_fill(buf + 2 * i, 0, i, LEN);
	EXPECT_EQ(-EINVAL, ringmpsc_try_send_many(&f.p[0], buf, LEN, 0));
	EXPECT_EQ(-EMSGSIZE, ringmpsc_try_send_many(&f.p[0], buf, LEN + 8, 1));
	EXPECT_EQ(5, ringmpsc_try_send_many(&f.p[0], buf, LEN, 5));
	EXPECT_EQ(3, ringmpsc_try_send_many(&f.p[0], buf + 10, LEN, 5));
	EXPECT_EQ(-EAGAIN, ringmpsc_try_send_many(&f.p[0], buf, LEN, 1));
	EXPECT_EQ(8, f.p[0].stats.messages);
	EXPECT_EQ(2, f.p[0].stats.commits);
	EXPECT_EQ(8, *tail_word(&f.mem[0]));
	EXPECT_EQ(8, ringmpsc_consume(&f.c, on_msg, &g, 64));
	EXPECT_EQ(4, g.seq[4]);
	EXPECT_EQ(5, g.seq[5]);
	EXPECT_EQ(7, g.seq[7]);
	EXPECT_EQ(0, g.bad);

	/* More than capacity is clamped. */
	EXPECT_EQ(8, ringmpsc_try_send_many(&f.p[0], buf, LEN, 16));
	EXPECT_EQ(8, ringmpsc_consume(&f.c, on_msg, &g, 64));
	lfix_fini(&f);

	/* Unmirrored, tail at 2 of 4: two runs, one publication. */
	ASSERT_EQ(0, lfix_init(&f, 1, LEN, 4, 0));
	ASSERT_EQ(2, ringmpsc_try_send_many(&f.p[0], buf, LEN, 2));
	memset(&g, 0, sizeof(g));
	g.len = LEN;
	ASSERT_EQ(2, ringmpsc_consume(&f.c, on_msg, &g, 64));
	tail0 = f.p[0].stats.commits;
	EXPECT_EQ(4, ringmpsc_try_send_many(&f.p[0], buf + 4, LEN, 4));
	EXPECT_EQ(tail0 + 1, f.p[0].stats.commits);
	EXPECT_EQ(6, *tail_word(&f.mem[0]));
	EXPECT_EQ(4, ringmpsc_consume(&f.c, on_msg, &g, 64));
	EXPECT_EQ(6, g.n);
	for (uint32_t i = 0; i < 6 && i < g.n; i++)
		EXPECT_EQ(i, g.seq[i]);
	EXPECT_EQ(0, g.bad);

	/* 8-byte messages into 16-byte slots. */
	uint64_t small[3] = { 41, 42, 43 };
	const void *m = NULL;
	uint64_t w;

	EXPECT_EQ(3, ringmpsc_try_send_many(&f.p[0], small, 8, 3));
	ASSERT_EQ(2, ringmpsc_peek(&f.c, 0, &m, 4));	/* slots 2, 3 */
	memcpy(&w, (const unsigned char *)m + LEN, 8);
	EXPECT_EQ(42, w);
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 2));
	ASSERT_EQ(1, ringmpsc_peek(&f.c, 0, &m, 4));
	memcpy(&w, m, 8);
	EXPECT_EQ(43, w);
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 1));

	/* With a reservation open: -EBUSY, as reserve and try_send say, not
	 * -EAGAIN (which would have a caller retry forever).
	 */
	void *s = NULL;

	ASSERT_EQ(1, ringmpsc_reserve(&f.p[0], 1, &s));
	EXPECT_EQ(-EBUSY, ringmpsc_try_send_many(&f.p[0], buf, LEN, 2));
	EXPECT_EQ(0, ringmpsc_commit(&f.p[0], 0));
	lfix_fini(&f);
}

/* ---- consumer -------------------------------------------------------------- */

/* peek/release: -ENOENT for no such ring or a ring not live; 0 when
 * empty; at most max; peek does not consume (a message stays until
 * released, INV-RING-08); release beyond what the last peek handed out
 * -> -EINVAL;
 * release publishes head and frees room for the producer.
 */
TEST_F(api, peek_release)
{
	struct lfix f;
	const void *m = NULL, *m2 = NULL;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 8, 0));
	EXPECT_EQ(-ENOENT, ringmpsc_peek(&f.c, 2, &m, 1));
	EXPECT_EQ(-ENOENT, ringmpsc_peek(&f.c, UINT32_MAX, &m, 1));
	EXPECT_EQ(-ENOENT, ringmpsc_release(&f.c, 2, 1));
	EXPECT_EQ(0, ringmpsc_peek(&f.c, 0, &m, 8));
	EXPECT_EQ(1, f.c.stats.empty);
	EXPECT_EQ(-EINVAL, ringmpsc_release(&f.c, 0, 1));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 0, 0));

	for (uint64_t i = 0; i < 5; i++)
		ASSERT_EQ(0, send_seq(&f.p[1], i, LEN));
	EXPECT_EQ(-EINVAL, ringmpsc_peek(&f.c, 1, &m, 0));	/* not "empty" */
	EXPECT_EQ(0, ringmpsc_peek(&f.c, 0, &m, 8));
	EXPECT_EQ(3, ringmpsc_peek(&f.c, 1, &m, 3));
	EXPECT_EQ(0, msg_bad_word(m, 1, 0, LEN));
	EXPECT_EQ(5, ringmpsc_peek(&f.c, 1, &m2, 8));
	EXPECT_EQ(m2, m);
	EXPECT_EQ(-EINVAL, ringmpsc_release(&f.c, 1, 6));
	EXPECT_EQ(0, *head_word(&f.mem[1]));
	EXPECT_EQ(0, ringmpsc_release(&f.c, 1, 2));
	EXPECT_EQ(2, *head_word(&f.mem[1]));
	EXPECT_EQ(2, f.c.stats.messages);
	EXPECT_EQ(1, f.c.stats.batches);
	EXPECT_EQ(3, ringmpsc_peek(&f.c, 1, &m, 8));
	EXPECT_EQ(0, msg_bad_word(m, 1, 2, LEN));
	/* Release covers only what the last peek handed out (spec.md 6). */
	EXPECT_EQ(1, ringmpsc_peek(&f.c, 1, &m, 1));
	EXPECT_EQ(-EINVAL, ringmpsc_release(&f.c, 1, 2));
	EXPECT_EQ(2, *head_word(&f.mem[1]));

	/* The producer sees the released room: 8 - 3 in flight. */
	for (uint64_t i = 5; i < 10; i++)
		EXPECT_EQ(0, send_seq(&f.p[1], i, LEN));
	EXPECT_EQ(-EAGAIN, send_seq(&f.p[1], 10, LEN));

	/* A ring that is not live (a channel ring not mapped yet). */
	f.c.rings[0].live = false;
	EXPECT_EQ(-ENOENT, ringmpsc_peek(&f.c, 0, &m, 1));
	EXPECT_EQ(-ENOENT, ringmpsc_release(&f.c, 0, 0));
	ASSERT_EQ(0, send_seq(&f.p[0], 0, LEN));
	struct got g = { .len = LEN };

	EXPECT_EQ(8, ringmpsc_consume(&f.c, on_msg, &g, 64));	/* ring 1 only */
	for (uint32_t i = 0; i < g.n && i < 256; i++)
		EXPECT_EQ(1, g.ring[i]);
	f.c.rings[0].live = true;
	EXPECT_EQ(1, ringmpsc_consume(&f.c, on_msg, &g, 64));
	EXPECT_EQ(0, g.ring[8]);
	EXPECT_EQ(0, g.bad);
	lfix_fini(&f);
}

/* take reads past what it took before, in order, without releasing:
 * head stays at the oldest taken message until release_taken, which
 * frees exactly what it releases, oldest first (INV-RING-12, INV-RING-07).
 * While a ring has taken messages, peek is -EBUSY and consume passes it
 * over; the other rings are still served.
 */
TEST_F(api, take_release_taken)
{
	struct lfix f;
	struct got g = { .len = LEN };
	const void *m = NULL, *m2 = NULL;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 8, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_take(&f.c, 0, &m, 0));
	EXPECT_EQ(-ENOENT, ringmpsc_take(&f.c, 2, &m, 1));
	EXPECT_EQ(-ENOENT, ringmpsc_release_taken(&f.c, 2, 0));
	EXPECT_EQ(0, ringmpsc_take(&f.c, 0, &m, 8));
	EXPECT_EQ(-EINVAL, ringmpsc_release_taken(&f.c, 0, 1));
	EXPECT_EQ(0, ringmpsc_release_taken(&f.c, 0, 0));

	for (uint64_t i = 0; i < 5; i++)
		ASSERT_EQ(0, send_seq(&f.p[0], i, LEN));
	EXPECT_EQ(2, ringmpsc_take(&f.c, 0, &m, 2));
	EXPECT_EQ(0, msg_bad_word(m, 0, 0, LEN));
	EXPECT_EQ(3, ringmpsc_take(&f.c, 0, &m2, 8));
	EXPECT_EQ((const unsigned char *)m + 2 * LEN, m2);
	EXPECT_EQ(0, msg_bad_word(m2, 0, 2, LEN));
	EXPECT_EQ(0, ringmpsc_take(&f.c, 0, &m2, 8));	/* all taken */
	EXPECT_EQ(0, *head_word(&f.mem[0]));
	EXPECT_EQ(5, f.c.rings[0].taken);

	/* The other style is refused on this ring, not on the others. */
	EXPECT_EQ(-EBUSY, ringmpsc_peek(&f.c, 0, &m2, 8));
	EXPECT_EQ(-EINVAL, ringmpsc_release(&f.c, 0, 1));
	ASSERT_EQ(0, send_seq(&f.p[0], 5, LEN));
	ASSERT_EQ(0, send_seq(&f.p[1], 0, LEN));
	EXPECT_EQ(1, ringmpsc_consume(&f.c, on_msg, &g, 64));
	EXPECT_EQ(1, g.ring[0]);
	EXPECT_EQ(0, *head_word(&f.mem[0]));

	/* Oldest first, no more than taken. */
	EXPECT_EQ(-EINVAL, ringmpsc_release_taken(&f.c, 0, 6));
	EXPECT_EQ(0, ringmpsc_release_taken(&f.c, 0, 3));
	EXPECT_EQ(3, *head_word(&f.mem[0]));
	EXPECT_EQ(1, ringmpsc_take(&f.c, 0, &m2, 8));	/* seq 5 */
	EXPECT_EQ(0, msg_bad_word(m2, 0, 5, LEN));

	/* A full ring of taken messages: the producer gets room only from
	 * a release, exactly what it releases.
	 */
	for (uint64_t i = 6; i < 11; i++)
		ASSERT_EQ(0, send_seq(&f.p[0], i, LEN));
	EXPECT_EQ(-EAGAIN, send_seq(&f.p[0], 11, LEN));
	/* Unmirrored (8 x 16 bytes is no page): a run stops at the wrap. */
	EXPECT_EQ(2, ringmpsc_take(&f.c, 0, &m2, 8));
	EXPECT_EQ(0, msg_bad_word(m2, 0, 6, LEN));
	EXPECT_EQ(3, ringmpsc_take(&f.c, 0, &m2, 8));
	EXPECT_EQ(f.mem[0].data, m2);
	EXPECT_EQ(0, msg_bad_word(m2, 0, 8, LEN));
	EXPECT_EQ(-EAGAIN, send_seq(&f.p[0], 11, LEN));
	EXPECT_EQ(0, ringmpsc_release_taken(&f.c, 0, 1));
	EXPECT_EQ(0, send_seq(&f.p[0], 11, LEN));
	EXPECT_EQ(-EAGAIN, send_seq(&f.p[0], 12, LEN));
	EXPECT_EQ(0, ringmpsc_release_taken(&f.c, 0, 7));
	EXPECT_EQ(11, *head_word(&f.mem[0]));
	EXPECT_EQ(1 + 3 + 1 + 7, f.c.stats.messages);	/* consumed, released */

	/* Nothing taken: peek and consume again. */
	EXPECT_EQ(1, ringmpsc_peek(&f.c, 0, &m2, 8));
	EXPECT_EQ(0, msg_bad_word(m2, 0, 11, LEN));
	EXPECT_EQ(1, ringmpsc_consume(&f.c, on_msg, &g, 64));
	EXPECT_EQ(11, g.seq[1]);
	EXPECT_EQ(0, g.bad);
	lfix_fini(&f);
}

/* A tail that goes back behind what was taken is corrupt (INV-RING-10),
 * although it is not behind head: take reports -EPROTO and never reads
 * the ring again; what was taken can still be released.
 */
TEST_F(ring8, take_tail_behind_taken)
{
	const void *m = NULL;

	for (uint64_t i = 0; i < 6; i++)
		ASSERT_EQ(0, send_seq(&self->f.p[0], i, LEN));
	EXPECT_EQ(6, ringmpsc_take(&self->f.c, 0, &m, 8));
	*tail_word(&self->f.mem[0]) = 4;	/* head 0 <= 4 < 6 taken */
	EXPECT_EQ(-EPROTO, ringmpsc_take(&self->f.c, 0, &m, 8));
	EXPECT_EQ(1, self->f.c.stats.broken);
	*tail_word(&self->f.mem[0]) = 7;
	EXPECT_EQ(-EPROTO, ringmpsc_take(&self->f.c, 0, &m, 8));
	EXPECT_EQ(0, ringmpsc_release_taken(&self->f.c, 0, 6));
	EXPECT_EQ(6, *head_word(&self->f.mem[0]));
	EXPECT_EQ(1, self->f.c.stats.broken);
}

/* Keep @p's ring full with the next sequence numbers. */
static void refill(struct ringmpsc_producer *p, uint64_t *seq)
{
	while (send_seq(p, *seq, LEN) == 0)
		(*seq)++;
}

/* Check a call's messages against the expected sequences; count per ring. */
static void account(struct __test_metadata *_metadata, const struct got *g,
		    uint64_t next[], uint32_t per_ring[], uint32_t nr)
{
	for (uint32_t r = 0; r < nr; r++)
		per_ring[r] = 0;
	for (uint32_t i = 0; i < g->n && i < 256; i++) {
		EXPECT_EQ(next[g->ring[i]]++, g->seq[i]);
		per_ring[g->ring[i]]++;
	}
	EXPECT_EQ(0, g->bad);
}

/* consume: budget 0 -> -EINVAL; never more than budget messages from a
 * ring per call, so a full ring cannot starve the others: a ring with
 * messages is served within a bounded number of calls (every call, or
 * max(RINGMPSC_RESCAN_EVERY, RINGMPSC_RESCAN_PER_RING x rings) messages,
 * at least one per call, where the consumer favours the rings that were
 * busy at its last full scan), also when it gets its first message while
 * the others stay full; order and exactly-once hold throughout
 * (INV-RING-07/08).
 */
TEST_F(api, consume_fairness)
{
	enum { NR = 3, BUDGET = 4 };
#ifdef RINGMPSC_RESCAN_EVERY
	const uint32_t bound = RINGMPSC_RESCAN_PER_RING * NR > RINGMPSC_RESCAN_EVERY ?
			       RINGMPSC_RESCAN_PER_RING * NR : RINGMPSC_RESCAN_EVERY;
#else
	const uint32_t bound = 1;
#endif
	struct lfix f;
	struct got g;
	uint64_t sent[NR] = { 0 }, next[NR] = { 0 };
	uint32_t per[NR], calls;

	ASSERT_EQ(0, lfix_init(&f, NR, LEN, 64, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_consume(&f.c, on_msg, &g, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_consume_batch(&f.c, on_batch, &g, 0));

	/* A full ring next to a ring with one message: both served. */
	refill(&f.p[0], &sent[0]);
	ASSERT_EQ(0, send_seq(&f.p[2], sent[2]++, LEN));
	memset(&g, 0, sizeof(g));
	g.len = LEN;
	EXPECT_EQ(BUDGET + 1, ringmpsc_consume(&f.c, on_msg, &g, BUDGET));
	account(_metadata, &g, next, per, NR);
	EXPECT_EQ(BUDGET, per[0]);
	EXPECT_EQ(1, per[2]);

	/* All rings kept full: no ring gets more than its budget in a call,
	 * and none waits more than the bound between two turns.
	 */
	uint32_t gap[NR] = { 0 }, max_gap = 0;

	for (uint32_t call = 0; call < 4 * bound + 8; call++) {
		for (uint32_t r = 0; r < NR; r++)
			refill(&f.p[r], &sent[r]);
		memset(&g, 0, sizeof(g));
		g.len = LEN;
		EXPECT_LE(BUDGET, ringmpsc_consume(&f.c, on_msg, &g, BUDGET));
		account(_metadata, &g, next, per, NR);
		for (uint32_t r = 0; r < NR; r++) {
			EXPECT_TRUE(per[r] == 0 || per[r] == BUDGET);
			gap[r] = per[r] ? 0 : gap[r] + 1;
			if (gap[r] > max_gap)
				max_gap = gap[r];
		}
	}
	EXPECT_GT(bound, max_gap);

	/* Drain ring 1 while 0 and 2 stay full, then give it one message:
	 * it is served within the bound, never more than budget per ring.
	 */
	for (calls = 0; next[1] < sent[1] && calls < 1000; calls++) {
		refill(&f.p[0], &sent[0]);
		refill(&f.p[2], &sent[2]);
		memset(&g, 0, sizeof(g));
		g.len = LEN;
		EXPECT_LT(0, ringmpsc_consume(&f.c, on_msg, &g, BUDGET));
		account(_metadata, &g, next, per, NR);
	}
	EXPECT_EQ(sent[1], next[1]);
	ASSERT_EQ(0, send_seq(&f.p[1], sent[1]++, LEN));
	for (calls = 1; calls <= bound + 1; calls++) {
		refill(&f.p[0], &sent[0]);
		refill(&f.p[2], &sent[2]);
		memset(&g, 0, sizeof(g));
		g.len = LEN;
		EXPECT_LE(2 * BUDGET, ringmpsc_consume(&f.c, on_msg, &g, BUDGET));
		account(_metadata, &g, next, per, NR);
		EXPECT_TRUE(per[0] <= BUDGET && per[2] <= BUDGET);
		if (per[1])
			break;
	}
	EXPECT_GE(bound, calls);
	EXPECT_EQ(sent[1], next[1]);

	/* Drain everything: each message once, in order. */
	for (calls = 0; calls < 1000; calls++) {
		long n;

		memset(&g, 0, sizeof(g));
		g.len = LEN;
		n = ringmpsc_consume(&f.c, on_msg, &g, 64);
		account(_metadata, &g, next, per, NR);
		if (n == 0)
			break;
	}
	for (uint32_t r = 0; r < NR; r++)
		EXPECT_EQ(sent[r], next[r]);
	EXPECT_EQ(sent[0] + sent[1] + sent[2], f.c.stats.messages);
	lfix_fini(&f);
}

/* 64 rings, one busy, single messages (budget 1): the 63 idle rings are
 * looked at in full scans only, at most one per rescan bound of messages
 * (stats.empty counts each look that found a ring empty), and a ring that
 * gets its first message while the busy one stays busy is served within
 * that bound.
 */
TEST_F(api, consume_many_idle_rings)
{
	enum { NR = 64, CALLS = 4096 };
	struct ringmpsc_local *l;
	struct ringmpsc_producer busy, late;
	struct ringmpsc_consumer c;
	uint64_t sent = 0, late_sent = 0, looks;
	uint32_t bound, calls;
	struct got g;

	ASSERT_EQ(0, ringmpsc_local_create(&l, NR, LEN, 64, 0));
	ASSERT_EQ(0, ringmpsc_local_producer(l, 0, &busy));
	ASSERT_EQ(0, ringmpsc_local_producer(l, NR - 1, &late));
	ASSERT_EQ(0, ringmpsc_local_consumer(l, &c));
	bound = RINGMPSC_RESCAN_PER_RING * NR > RINGMPSC_RESCAN_EVERY ?
		RINGMPSC_RESCAN_PER_RING * NR : RINGMPSC_RESCAN_EVERY;

	looks = c.stats.empty;
	for (calls = 0; calls < CALLS; calls++) {
		refill(&busy, &sent);
		memset(&g, 0, sizeof(g));
		g.len = LEN;
		ASSERT_EQ(1, ringmpsc_consume(&c, on_msg, &g, 1));
		ASSERT_EQ(0, g.ring[0]);
	}
	/* The scans: the first call's and one per bound, each at most NR. */
	EXPECT_GE((CALLS / bound + 1) * NR, c.stats.empty - looks);

	ASSERT_EQ(0, send_seq(&late, late_sent++, LEN));
	for (calls = 1; calls <= bound + 1; calls++) {
		refill(&busy, &sent);
		memset(&g, 0, sizeof(g));
		g.len = LEN;
		ASSERT_LE(1, ringmpsc_consume(&c, on_msg, &g, 1));
		EXPECT_EQ(0, g.bad);
		if (g.n == 2) {
			EXPECT_EQ(NR - 1, g.ring[0] + g.ring[1]);
			break;
		}
	}
	EXPECT_GE(bound, calls);
	ringmpsc_producer_close(&busy);
	ringmpsc_producer_close(&late);
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(l);
}

/* Counters: exact values after a scripted exchange, and no wakeup is
 * requested while nobody sleeps (INV-WAKE-04).
 */
TEST_F(api, stats)
{
	struct lfix f;
	struct got g = { .len = LEN };
	uint64_t buf[4 * 2];
	const void *m = NULL;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 4, 0));
	for (uint32_t i = 0; i < 4; i++)
		msg_fill(buf + 2 * i, 0, i, LEN);
	EXPECT_EQ(3, ringmpsc_try_send_many(&f.p[0], buf, LEN, 3));	/* 1 commit */
	EXPECT_EQ(0, send_seq(&f.p[0], 3, LEN));				/* 1 commit */
	EXPECT_EQ(-EAGAIN, send_seq(&f.p[0], 4, LEN));			/* full */
	EXPECT_EQ(0, ringmpsc_peek(&f.c, 1, &m, 1));			/* empty */
	EXPECT_EQ(2, ringmpsc_consume(&f.c, on_msg, &g, 2));		/* 1 batch */
	EXPECT_EQ(2, ringmpsc_consume(&f.c, on_msg, &g, 8));		/* 1 batch */
	EXPECT_EQ(0, ringmpsc_consume(&f.c, on_msg, &g, 8));
	EXPECT_EQ(4, f.p[0].stats.messages);
	EXPECT_EQ(2, f.p[0].stats.commits);
	EXPECT_EQ(1, f.p[0].stats.full);
	EXPECT_EQ(0, f.p[0].stats.wakeups);
	EXPECT_EQ(4, f.c.stats.messages);
	EXPECT_EQ(2, f.c.stats.batches);
	/* Tail refreshes that found nothing: the peek, ring 1 in each
	 * consume, ring 0 at the end of the second and in the third.
	 */
	EXPECT_EQ(6, f.c.stats.empty);
	EXPECT_EQ(0, f.c.stats.wakeups);
	EXPECT_EQ(0, f.c.stats.broken);
	EXPECT_EQ(0, f.p[1].stats.messages);
	lfix_fini(&f);
}

/* Cached indices only lag the shared ones and are refreshed only when the
 * cache shows too little (INV-RING-11): the producer does not look at head
 * while its cache says there is room, the consumer not at tail while its
 * cache says there are messages.
 */
TEST_F(ring8, cached_indices)
{
	struct got g = { .len = LEN };
	const void *m = NULL;
	void *s = NULL;

	for (uint64_t i = 0; i < 4; i++)
		ASSERT_EQ(0, send_seq(&self->f.p[0], i, LEN));
	ASSERT_EQ(2, ringmpsc_consume(&self->f.c, on_msg, &g, 2));
	EXPECT_EQ(4, self->f.c.rings[0].cached_tail);
	ASSERT_EQ(0, send_seq(&self->f.p[0], 4, LEN));
	/* 2 still cached: no tail refresh, the 5th is not seen yet. */
	EXPECT_EQ(2, ringmpsc_peek(&self->f.c, 0, &m, 8));
	EXPECT_EQ(4, self->f.c.rings[0].cached_tail);
	EXPECT_EQ(0, ringmpsc_release(&self->f.c, 0, 2));
	EXPECT_EQ(1, ringmpsc_peek(&self->f.c, 0, &m, 8));
	EXPECT_EQ(5, self->f.c.rings[0].cached_tail);
	EXPECT_EQ(0, msg_bad_word(m, 0, 4, LEN));
	EXPECT_EQ(0, ringmpsc_release(&self->f.c, 0, 1));

	EXPECT_EQ(5, *head_word(&self->f.mem[0]));
	EXPECT_EQ(0, self->f.p[0].cached_head);	/* room left: not refreshed */
	EXPECT_GE(*head_word(&self->f.mem[0]), self->f.p[0].cached_head);
	for (uint64_t i = 5; i < 8; i++)
		ASSERT_EQ(0, send_seq(&self->f.p[0], i, LEN));
	EXPECT_EQ(0, self->f.p[0].cached_head);	/* 8 - 0 == capacity */
	ASSERT_EQ(1, ringmpsc_reserve(&self->f.p[0], 1, &s));
	EXPECT_EQ(5, self->f.p[0].cached_head);	/* refreshed on apparent full */
	EXPECT_EQ(0, ringmpsc_commit(&self->f.p[0], 0));
	EXPECT_EQ(0, g.bad);
}

/* Free-running 64-bit indices (INV-RING-02): the ring works the same with
 * counters just below 2^32 (no 32-bit truncation) and around 2^63, through
 * several wraps, mirrored and not.
 */
TEST_F(api, index_boundaries)
{
	static const uint64_t starts[] = {
		(1ull << 32) - 5, (1ull << 63) - 7, UINT64_MAX - (1ull << 20),
	};

	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		for (int mirrored = 0; mirrored < 2; mirrored++) {
			uint32_t slot = mirrored ? 1024 : LEN;
			struct lfix f;
			uint64_t sent = 0, next = 0;

			ASSERT_EQ(0, lfix_init_at(&f, 1, slot, 4, 0, starts[k]));
			ASSERT_EQ(mirrored, f.mem[0].mirrored);
			while (next < 37) {
				int n = 0;

				while (sent < 37 && send_seq(&f.p[0], sent, slot) == 0)
					sent++;
				for (;;) {
					const void *m = NULL;
					int got = ringmpsc_peek(&f.c, 0, &m, 3);

					if (got <= 0) {
						EXPECT_EQ(0, got);
						break;
					}
					for (int i = 0; i < got; i++, next++)
						EXPECT_EQ(0, msg_bad_word((const unsigned char *)m +
									  (size_t)i * slot,
									  0, next, slot));
					EXPECT_EQ(0, ringmpsc_release(&f.c, 0, (uint32_t)got));
					n += got;
				}
				ASSERT_LT(0, n);
			}
			EXPECT_EQ(starts[k] + 37, *tail_word(&f.mem[0]));
			EXPECT_EQ(starts[k] + 37, *head_word(&f.mem[0]));
			lfix_fini(&f);
		}
	}
}

/* reserve() prefetches the slots after a reservation for writing. That
 * range must lie inside the data area and inside the free space the
 * producer has seen released, never on slots the consumer may still be
 * reading (INV-RING-06, INV-RING-11). Checked exhaustively on small rings
 * through the header's own helper.
 */
TEST_F(api, prefetch_in_free_space)
{
	static const struct { uint32_t cap, slot; bool mirrored; } cfg[] = {
		{ 2, 2048, true }, { 4, 1024, false }, { 4, 1024, true },
		{ 16, 256, false }, { 64, 64, true }, { 64, 64, false },
	};
	uint32_t bad = 0, prefetched = 0;

	for (size_t k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
		const uint32_t cap = cfg[k].cap, slot = cfg[k].slot;
		const size_t bound = (size_t)cap * slot * (cfg[k].mirrored ? 2 : 1);
		struct heap_ring h;
		struct ringmpsc_producer p;

		ASSERT_EQ(0, heap_ring_init(&h, cap, slot, cfg[k].mirrored));
		ASSERT_EQ(0, ringmpsc_producer_init(&p, &h.mem));
		for (uint64_t tail = 0; tail < 2 * cap; tail++) {
			for (uint32_t used = 0; used < cap; used++) {
				uint32_t free_slots = cap - used;

				p.tail = (1ull << 40) + tail;
				p.cached_head = p.tail - used;
				for (uint32_t n = 1; n <= free_slots; n++) {
					uint32_t pos = (uint32_t)((p.tail + n) & (cap - 1));
					size_t len;

					if (!p.mirrored &&
					    n > cap - (uint32_t)(p.tail & (cap - 1)))
						break;	/* reserve never returns it */
					len = ringmpsc__prefetch_len(&p, n, free_slots);
					if (!len)
						continue;
					prefetched++;
					if ((size_t)pos * slot + len > bound ||
					    len > (size_t)(free_slots - n) * slot)
						bad++;
				}
			}
		}
		heap_ring_free(&h);
	}
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, prefetched);
}

/* The slow paths on local rings: a producer always sees its consumer as
 * present; refresh and recycle are no-ops (no module: no states); a wake
 * request writes the peer's eventfd; bad ring indices -> -EINVAL.
 */
TEST_F(api, local_slow_paths)
{
	struct lfix f;
	struct pollfd pfd;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 4, 0));
	EXPECT_TRUE(ringmpsc_consumer_present(&f.p[1]));
	EXPECT_EQ(f.l, f.p[1].backend);
	EXPECT_EQ(1, f.p[1].ring);
	EXPECT_EQ(0, ringmpsc_consumer_refresh(&f.c));
	EXPECT_EQ(0, ringmpsc_consumer_recycle(&f.c, 1));
	EXPECT_EQ(-EINVAL, ringmpsc_consumer_recycle(&f.c, 2));
	EXPECT_EQ(-EINVAL, ringmpsc_consumer_wake_peer(&f.c, 2));
	EXPECT_TRUE(f.c.rings[0].live && !f.c.rings[1].detached);

	/* Producer 1 -> the consumer's eventfd. */
	pfd = (struct pollfd){ .fd = ringmpsc_consumer_eventfd(&f.c), .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, ringmpsc_producer_wake_peer(&f.p[1]));
	EXPECT_EQ(1, f.p[1].stats.wakeups);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ringmpsc_wait_finish(&f.c);		/* drains it */
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* Consumer -> producer 1's eventfd, not producer 0's. */
	struct pollfd pp[2] = {
		{ .fd = f.p[0].wait_fd, .events = POLLIN },
		{ .fd = f.p[1].wait_fd, .events = POLLIN },
	};

	EXPECT_TRUE(pp[0].fd >= 0 && pp[1].fd >= 0 && pp[0].fd != pp[1].fd);
	EXPECT_EQ(0, ringmpsc_consumer_wake_peer(&f.c, 1));
	EXPECT_EQ(1, f.c.stats.wakeups);
	EXPECT_EQ(1, poll(pp, 2, 0));
	EXPECT_EQ(0, pp[0].revents);
	EXPECT_TRUE(pp[1].revents & POLLIN);
	lfix_fini(&f);
}

/* Without the module, every channel call says so with -ENODEV, never
 * -ENOENT, which means "no such channel" (the kselftests check that one
 * with the module loaded; this test is skipped where it is).
 */
TEST_F(api, channel_without_module)
{
	struct ringmpsc_channel_attr attr = { 16, 4, 2, 0600, 0 };
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;

	if (access(RINGMPSC_DEVICE, F_OK) == 0)
		SKIP(return, RINGMPSC_DEVICE " exists");
	EXPECT_EQ(-ENODEV, ringmpsc_create("lib-test", &attr));
	EXPECT_EQ(-ENODEV, ringmpsc_unlink("lib-test"));
	EXPECT_EQ(-ENODEV, ringmpsc_producer_open(&p, "lib-test"));
	EXPECT_EQ(-ENODEV, ringmpsc_consumer_open(&c, "lib-test"));
	/* ... and leaves closed handles behind. */
	ringmpsc_producer_close(&p);
	ringmpsc_consumer_close(&c);
}

/* The library names the release it was built as, the same string as the
 * headers this test was built with, and well formed.
 */
TEST_F(api, version)
{
	const char *v = ringmpsc_version();
	unsigned int major, minor, patch;
	char end;

	ASSERT_NE(NULL, v);
	EXPECT_STREQ(RINGMPSC_VERSION_STRING, v);
	ASSERT_EQ(3, sscanf(v, "%u.%u.%u%c", &major, &minor, &patch, &end));
	EXPECT_EQ(RINGMPSC_VERSION_MAJOR, major);
	EXPECT_EQ(RINGMPSC_VERSION_MINOR, minor);
	EXPECT_EQ(RINGMPSC_VERSION_PATCH, patch);
}

/* Local rings are shared with a child forked after creation: the child
 * produces, the parent consumes (the layout works across processes).
 */
TEST_F(api, local_fork)
{
	struct lfix f;
	struct got g = { .len = LEN };
	pid_t pid;
	int status = -1;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 8, 0));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int err = 0;

		for (uint64_t i = 0; i < 6 && !err; i++)
			err = send_seq(&f.p[1], i, LEN);
		_exit(err ? 1 : 0);
	}
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(6, ringmpsc_consume(&f.c, on_msg, &g, 64));
	EXPECT_EQ(1, g.ring[5]);
	EXPECT_EQ(5, g.seq[5]);
	EXPECT_EQ(0, g.bad);
	lfix_fini(&f);
}

/* A consumer that dies leaves the rings as they are: a new consumer
 * continues from the shared head, so what was released is not seen again
 * and what was only peeked is delivered again (INV-RING-08 at-least-once
 * across a crash, INV-LIFE-05).
 */
TEST_F(api, consumer_crash_redelivery)
{
	struct lfix f;
	struct got g = { .len = LEN };
	struct ringmpsc_consumer c2;
	pid_t pid;
	int status = -1;

	ASSERT_EQ(0, lfix_init(&f, 2, LEN, 8, 0));
	for (uint64_t i = 0; i < 6; i++) {
		ASSERT_EQ(0, send_seq(&f.p[0], i, LEN));
		ASSERT_EQ(0, send_seq(&f.p[1], i, LEN));
	}
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const void *m = NULL;

		/* Ring 0: release 2, peek 3 more. Ring 1: peek 4. Then die. */
		if (ringmpsc_peek(&f.c, 0, &m, 2) != 2 ||
		    ringmpsc_release(&f.c, 0, 2) ||
		    ringmpsc_peek(&f.c, 0, &m, 3) != 3 ||
		    ringmpsc_peek(&f.c, 1, &m, 4) != 4)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_EQ(2, *head_word(&f.mem[0]));
	EXPECT_EQ(0, *head_word(&f.mem[1]));

	ASSERT_EQ(0, ringmpsc_local_consumer(f.l, &c2));
	EXPECT_EQ(10, ringmpsc_consume(&c2, on_msg, &g, 64));
	for (uint32_t i = 0; i < g.n && i < 256; i++)
		EXPECT_EQ(g.ring[i] == 0 ? i + 2 : i - 4, g.seq[i]);
	EXPECT_EQ(0, g.ring[0]);
	EXPECT_EQ(1, g.ring[4]);
	EXPECT_EQ(0, g.bad);
	ringmpsc_consumer_close(&c2);
	lfix_fini(&f);
}

/* A producer killed at any point leaves only whole committed messages:
 * the consumer finds an unbroken sequence of intact messages ending where
 * the producer's last commit did, never a torn or uncommitted one
 * (INV-RING-09, INV-LIFE-04). 30 kills at varying times, 1 KiB messages.
 */
TEST_F(api, producer_killed)
{
	const uint32_t slot = 1024;

	for (int round = 0; round < 30; round++) {
		struct lfix f;
		struct got g = { 0 };
		uint64_t next = 0;
		pid_t pid;
		int status = -1;
		long n;

		ASSERT_EQ(0, lfix_init(&f, 1, slot, 64, 0));
		fflush(stdout);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive us */
			for (uint64_t i = 0;; ) {
				void *s = NULL;
				int k = ringmpsc_reserve(&f.p[0], 1 + i % 5, &s);

				if (k == -EAGAIN) {
					sched_yield();
					continue;
				}
				if (k < 0)
					_exit(1);
				for (int j = 0; j < k; j++)
					msg_fill((unsigned char *)s + (size_t)j * slot,
						 0, i + (uint32_t)j, slot);
				if (ringmpsc_commit(&f.p[0], (uint32_t)k))
					_exit(1);
				i += (uint32_t)k;
			}
		}
		/* Consume for a while, then kill it wherever it is. */
		for (int spin = 0; spin < 200 + round * 37; spin++) {
			memset(&g, 0, sizeof(g));
			g.len = slot;
			n = ringmpsc_consume_batch(&f.c, on_batch, &g, 16);
			EXPECT_LE(0, n);
			for (uint32_t i = 0; i < g.n && i < 256; i++)
				EXPECT_EQ(next + i, g.seq[i]);
			next += g.n;
			EXPECT_EQ(0, g.bad);
			if (spin % 16 == 0)
				sched_yield();
		}
		kill(pid, SIGKILL);
		EXPECT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status));
		/* Drain what it committed before dying. */
		do {
			memset(&g, 0, sizeof(g));
			g.len = slot;
			n = ringmpsc_consume_batch(&f.c, on_batch, &g, 64);
			for (uint32_t i = 0; i < g.n && i < 256; i++)
				EXPECT_EQ(next + i, g.seq[i]);
			next += g.n;
			EXPECT_EQ(0, g.bad);
		} while (n > 0);
		EXPECT_EQ(0, n);
		EXPECT_EQ(*tail_word(&f.mem[0]), next);
		lfix_fini(&f);
	}
}

TEST_HARNESS_MAIN
