// SPDX-License-Identifier: GPL-2.0
/*
 * crash_test: processes die with SIGKILL at random moments and nothing
 * committed is lost, nothing partial is seen.
 *
 * Producers: killed while sending, 60 times in a row on a one-ring
 * channel. Each reports the count it has committed in a shared page after
 * each commit; every message below that count must arrive exactly once,
 * whole and in order; the ring goes DETACHED, is drained, recycled with a
 * new generation and given to the next producer (INV-LIFE-02, -03, -04,
 * INV-RING-09).
 *
 * Consumers: killed mid-stream, six in a row, while two producers send;
 * each new consumer continues from the shared head: nothing committed is
 * lost, and only messages the dead consumer had seen but not released come
 * again (INV-LIFE-05, INV-RING-08).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ringmpsc.h>

#include "helpers.h"

#define SLOT		64
#define WAIT_MS		5000
#define MAGIC		0x63726173	/* "cras" */

struct msg {
	uint32_t tag;		/* iteration (producer kills) or producer id */
	uint32_t magic;
	uint64_t seq;
	uint64_t payload[5];
	uint64_t check;		/* FNV of everything above */
};
_Static_assert(sizeof(struct msg) == SLOT, "one message per slot");

static void fill(volatile struct msg *m, uint32_t tag, uint64_t seq)
{
	struct msg t;
	int k;

	t.tag = tag;
	t.magic = MAGIC;
	t.seq = seq;
	for (k = 0; k < 5; k++)
		t.payload[k] = rm_mix(((uint64_t)tag << 40) ^ (seq << 3) ^ k);
	t.check = rm_fnv(&t, offsetof(struct msg, check));
	/* word by word, so that a kill can land in the middle of a slot */
	m->tag = t.tag;
	m->magic = t.magic;
	m->seq = t.seq;
	for (k = 0; k < 5; k++)
		m->payload[k] = t.payload[k];
	m->check = t.check;
}

/* 0 if whole and right, else a reason. */
static const char *verify(const struct msg *m, uint32_t tag)
{
	int k;

	if (m->magic != MAGIC)
		return "bad magic (partial or garbage)";
	if (m->check != rm_fnv(m, offsetof(struct msg, check)))
		return "bad checksum (partial message)";
	if (m->tag != tag)
		return "wrong tag";
	for (k = 0; k < 5; k++)
		if (m->payload[k] != rm_mix(((uint64_t)tag << 40) ^ (m->seq << 3) ^ k))
			return "bad payload";
	return NULL;
}

/* ---- producers killed ------------------------------------------------- */

#define PKILL_ITERS	60

struct pshared {
	uint64_t committed;	/* written by the producer after each commit */
	uint32_t attached;
};

static int killed_producer(const char *name, uint32_t iter,
			   struct pshared *sh)
{
	struct ringmpsc_producer p;
	uint64_t seq = 0;
	unsigned int rnd = iter * 7919 + 1;
	int err;

	err = ringmpsc_producer_open(&p, name);
	if (err)
		return 10;
	__atomic_store_n(&sh->attached, 1, __ATOMIC_RELEASE);
	for (;;) {
		void *slots;
		int n;

		rnd = rnd * 1103515245 + 12345;
		n = ringmpsc_reserve(&p, 1 + (rnd >> 16) % 16, &slots);
		if (n == -EAGAIN) {
			err = ringmpsc_wait_space(&p, 1, WAIT_MS);
			if (err)
				return 11;
			continue;
		}
		if (n <= 0)
			return 12;
		for (int i = 0; i < n; i++)
			fill((struct msg *)((char *)slots + (size_t)i * SLOT),
			     iter, seq + i);
		if (ringmpsc_commit(&p, n))
			return 13;
		seq += n;
		/* after the commit: what is reported is committed */
		__atomic_store_n(&sh->committed, seq, __ATOMIC_RELEASE);
	}
}

struct pcheck {
	uint32_t iter;
	uint64_t next;		/* next expected seq of this iteration */
	int first_gen_seen;
	uint32_t gen;		/* generation of the ring at the first message */
	struct ringmpsc_consumer *c;
	uint64_t bad;
	char why[160];
};

static void pcheck_batch(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct pcheck *s = ctx;
	const struct msg *m = msgs;

	for (uint32_t i = 0; i < n; i++, m++) {
		const char *why = verify(m, s->iter);

		if (!why && m->seq != s->next)
			why = m->seq < s->next ? "duplicate" : "gap";
		if (why) {
			if (!s->bad++)
				snprintf(s->why, sizeof(s->why),
					 "iter %u seq %llu (want %llu): %s",
					 s->iter, (unsigned long long)m->seq,
					 (unsigned long long)s->next, why);
			continue;
		}
		if (!s->first_gen_seen) {
			s->first_gen_seen = 1;
			s->gen = s->c->rings[ring].generation;
		}
		s->next++;
	}
}

FIXTURE(pk) {
	char name[64];
};

FIXTURE_SETUP(pk)
{
	struct ringmpsc_channel_attr attr = {
		.slot_size = SLOT, .capacity = 256, .max_producers = 1,
		.mode = 0600, .flags = RINGMPSC_CREATE_EXCL,
	};

	rm_name(self->name, sizeof(self->name), "pkill");
	ASSERT_EQ(0, ringmpsc_create(self->name, &attr));
}

FIXTURE_TEARDOWN(pk)
{
	ringmpsc_unlink(self->name);
}

TEST_F_TIMEOUT(pk, producer_sigkill_60_times, 240)
{
	struct ringmpsc_consumer c;
	struct ringmpsc_stats st;
	struct pshared *sh;
	static struct pcheck s;
	unsigned int rnd = 12345, iter, attached_iters = 0, early = 0;
	uint32_t base_gen = 0;
	uint64_t base_recycles = 0, total = 0;
	int have_base = 0;

	sh = mmap(NULL, RM_PAGE, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->name));

	for (iter = 0; iter < PKILL_ITERS; iter++) {
		uint64_t deadline, committed, recycles_before;
		int status;
		pid_t pid;

		ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
		recycles_before = st.recycles;
		memset(&s, 0, sizeof(s));
		s.iter = iter;
		s.c = &c;
		sh->committed = 0;
		sh->attached = 0;

		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(killed_producer(self->name, iter, sh));

		/* Consume while the producer runs; kill it at a random point:
		 * a quarter at a random time after fork (some during attach),
		 * the rest after a random number of commits.
		 */
		rnd = rnd * 1103515245 + 12345;
		if ((rnd >> 16) % 4 == 0) {
			deadline = rm_now_ns() + ((rnd >> 8) % 3000) * 1000ull;
		} else {
			uint64_t target = 1 + (rnd >> 8) % 4000;
			uint64_t give_up = rm_now_ns() + 10000000000ull;

			while (__atomic_load_n(&sh->committed, __ATOMIC_ACQUIRE) < target) {
				ASSERT_LE(0, ringmpsc_consume_batch(&c, pcheck_batch, &s, 64));
				ASSERT_GT(give_up, rm_now_ns())
					TH_LOG("iter %u: producer stuck at %llu", iter,
					       (unsigned long long)sh->committed);
			}
			deadline = rm_now_ns() + ((rnd >> 4) % 300) * 1000ull;
		}
		while (rm_now_ns() < deadline)
			ASSERT_LE(0, ringmpsc_consume_batch(&c, pcheck_batch, &s, 64));
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		/* it must have died by our signal, not exited on an error */
		ASSERT_TRUE(WIFSIGNALED(status))
			TH_LOG("iter %u: producer exited with %d", iter,
			       WEXITSTATUS(status));
		committed = __atomic_load_n(&sh->committed, __ATOMIC_ACQUIRE);
		if (!sh->attached)
			early++;

		/* Drain: every producer that attached is detached, drained
		 * and its ring recycled (INV-LIFE-02, INV-LIFE-04).
		 */
		deadline = rm_now_ns() + 10000000000ull;
		for (;;) {
			long n = ringmpsc_consume_batch(&c, pcheck_batch, &s, 256);

			ASSERT_LE(0, n);
			ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
			if (n == 0 && st.producer_detaches == st.producer_attaches &&
			    st.recycles == st.producer_attaches)
				break;
			ASSERT_GT(deadline, rm_now_ns())
				TH_LOG("iter %u: ring not recycled: attaches %llu detaches %llu recycles %llu",
				       iter, (unsigned long long)st.producer_attaches,
				       (unsigned long long)st.producer_detaches,
				       (unsigned long long)st.recycles);
			if (n == 0)
				ringmpsc_wait(&c, 10);
		}
		ASSERT_EQ(0, s.bad) TH_LOG("%s", s.why);
		/* everything reported committed arrived; at most the one batch
		 * committed but not yet reported more (INV-LIFE-04)
		 */
		ASSERT_LE(committed, s.next)
			TH_LOG("iter %u: lost messages: committed %llu, got %llu",
			       iter, (unsigned long long)committed,
			       (unsigned long long)s.next);
		ASSERT_GE(committed + 16, s.next);
		total += s.next;
		if (st.recycles > recycles_before)
			attached_iters++;
		/* a new producer's messages come with a new generation:
		 * one more per recycle (INV-LIFE-03)
		 */
		if (s.first_gen_seen) {
			if (!have_base) {
				have_base = 1;
				base_gen = s.gen;
				base_recycles = recycles_before;
			}
			ASSERT_EQ(base_gen + (recycles_before - base_recycles), s.gen)
				TH_LOG("iter %u", iter);
		}
	}
	/* most kills landed while sending */
	EXPECT_LE(PKILL_ITERS / 2, attached_iters);
	EXPECT_EQ(0, c.stats.broken);
	ksft_print_msg("%u kills, %u after attach, %u before it, %llu messages verified\n",
		       PKILL_ITERS, attached_iters, early, (unsigned long long)total);
	ringmpsc_consumer_close(&c);
	munmap(sh, RM_PAGE);
}

/* ---- consumers killed ------------------------------------------------- */

#define CK_PRODUCERS	2
#define CK_MSGS		20000
#define CK_ROUNDS	6

struct cshared {
	/* per producer, written by the consumer of the moment */
	int64_t max_seen[CK_PRODUCERS];	/* highest seq handed to us, -1 */
	int64_t released[CK_PRODUCERS];	/* all below are released */
	uint64_t redelivered;		/* duplicates seen, in the window */
	uint32_t attached;		/* the doomed consumer of the round */
	uint32_t error;			/* a consumer child found a fault */
	char why[160];
};

struct ccheck {
	struct cshared *sh;
	int slow;			/* doomed consumer: dawdle in the handler */
	int64_t lo[CK_PRODUCERS];	/* window of the first message */
	int64_t hi[CK_PRODUCERS];
	int64_t last[CK_PRODUCERS];	/* last seq we got, -1 before any */
	uint64_t got;
};

static void cfail(struct cshared *sh, uint32_t p, uint64_t seq, const char *why)
{
	if (!sh->error++)
		snprintf(sh->why, sizeof(sh->why), "producer %u seq %llu: %s", p,
			 (unsigned long long)seq, why);
}

static void ccheck_batch(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct ccheck *s = ctx;
	struct cshared *sh = s->sh;
	const struct msg *m = msgs;

	for (uint32_t i = 0; i < n; i++, m++) {
		uint32_t p = m->tag;
		const char *why;
		int64_t seq = (int64_t)m->seq;

		if (p >= CK_PRODUCERS) {
			cfail(sh, p, m->seq, "bad tag");
			continue;
		}
		why = verify(m, p);
		if (!why && seq >= CK_MSGS)
			why = "message never sent";
		if (why) {
			cfail(sh, p, m->seq, why);
			continue;
		}
		if (s->last[p] < 0) {
			/* First message from this producer for this consumer:
			 * it continues at the shared head, which lies between
			 * what the last consumer surely released and what it
			 * had seen. Below: released twice. Above: lost.
			 * INV-LIFE-05, INV-RING-08.
			 */
			if (seq < s->lo[p] || seq > s->hi[p]) {
				cfail(sh, p, m->seq,
				      seq < s->lo[p] ? "released message delivered again"
						     : "committed messages lost");
				continue;
			}
			if (seq <= sh->max_seen[p])
				sh->redelivered += sh->max_seen[p] - seq + 1;
		} else if (seq != s->last[p] + 1) {
			cfail(sh, p, m->seq,
			      seq <= s->last[p] ? "duplicate" : "gap");
			continue;
		}
		s->last[p] = seq;
		s->got++;
		if (seq > sh->max_seen[p])
			__atomic_store_n(&sh->max_seen[p], seq, __ATOMIC_RELEASE);
		/* Seen but not released yet: linger here now and then, so
		 * that some kills land between peek and release and the
		 * at-least-once path is taken.
		 */
		if (s->slow && seq % 64 == 0)
			usleep(3000);
	}
}

static void ccheck_init(struct ccheck *s, struct cshared *sh)
{
	memset(s, 0, sizeof(*s));
	s->sh = sh;
	for (int p = 0; p < CK_PRODUCERS; p++) {
		s->lo[p] = sh->released[p];
		s->hi[p] = sh->max_seen[p] + 1;
		s->last[p] = -1;
	}
}

/* One consume step; publishes what is released. <0 on a fault. */
static long ccheck_step(struct ringmpsc_consumer *c, struct ccheck *s)
{
	long n = ringmpsc_consume_batch(c, ccheck_batch, s, 128);

	if (n < 0)
		return n;
	/* consume_batch has published head for all it handed us */
	for (int p = 0; p < CK_PRODUCERS; p++)
		if (s->last[p] >= 0)
			__atomic_store_n(&s->sh->released[p], s->last[p] + 1,
					 __ATOMIC_RELEASE);
	return n;
}

/* Consumer child: runs until killed. */
static int doomed_consumer(const char *name, struct cshared *sh)
{
	struct ringmpsc_consumer c;
	struct ccheck s;

	if (ringmpsc_consumer_open(&c, name))
		return 40;
	/* Attached: the parent's kill timer may start. */
	__atomic_store_n(&sh->attached, 1, __ATOMIC_RELEASE);
	ccheck_init(&s, sh);
	s.slow = 1;
	for (;;) {
		long n = ccheck_step(&c, &s);

		if (n < 0)
			return 41;
		if (sh->error)
			return 42;
		if (n == 0)
			ringmpsc_wait(&c, 100);
	}
}

static int steady_producer(const char *name, uint32_t id)
{
	struct ringmpsc_producer p;
	struct msg m;
	uint64_t seq;
	int err;

	if (ringmpsc_producer_open(&p, name))
		return 50;
	for (seq = 0; seq < CK_MSGS; seq++) {
		fill(&m, id, seq);
		for (;;) {
			err = ringmpsc_send(&p, &m, sizeof(m), WAIT_MS * 2);
			if (err != -EPIPE)
				break;
			/* no consumer right now: the next one will come */
			usleep(2000);
		}
		if (err)
			return err == -ETIMEDOUT ? 51 : 52;
	}
	ringmpsc_producer_close(&p);
	return 0;
}

FIXTURE(ck) {
	char name[64];
};

FIXTURE_SETUP(ck)
{
	struct ringmpsc_channel_attr attr = {
		.slot_size = SLOT, .capacity = 256, .max_producers = CK_PRODUCERS,
		.mode = 0600, .flags = RINGMPSC_CREATE_EXCL,
	};

	rm_name(self->name, sizeof(self->name), "ckill");
	ASSERT_EQ(0, ringmpsc_create(self->name, &attr));
}

FIXTURE_TEARDOWN(ck)
{
	ringmpsc_unlink(self->name);
}

TEST_F_TIMEOUT(ck, consumer_sigkill_no_loss, 240)
{
	struct cshared *sh;
	struct ringmpsc_consumer c;
	struct ccheck s;
	pid_t prod[CK_PRODUCERS];
	unsigned int rnd = 777, round;
	uint64_t deadline;
	int status, p;

	sh = mmap(NULL, RM_PAGE, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	for (p = 0; p < CK_PRODUCERS; p++) {
		sh->max_seen[p] = -1;
		sh->released[p] = 0;
	}
	/* This process never holds a consumer fd while children are forked. */
	for (p = 0; p < CK_PRODUCERS; p++) {
		prod[p] = fork();
		ASSERT_LE(0, prod[p]);
		if (prod[p] == 0)
			_exit(steady_producer(self->name, p));
	}
	for (round = 0; round < CK_ROUNDS; round++) {
		pid_t pid;

		__atomic_store_n(&sh->attached, 0, __ATOMIC_RELAXED);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(doomed_consumer(self->name, sh));
		/* The kill lands 20-220 ms after the consumer attached, not
		 * after the fork: a slow kernel may take longer than that to
		 * attach, and a consumer killed before it attached tests
		 * nothing.
		 */
		deadline = rm_now_ns() + 30 * 1000000000ull;
		while (!__atomic_load_n(&sh->attached, __ATOMIC_ACQUIRE) &&
		       rm_now_ns() < deadline && !waitpid(pid, &status, WNOHANG))
			usleep(1000);
		ASSERT_TRUE(__atomic_load_n(&sh->attached, __ATOMIC_ACQUIRE))
			TH_LOG("round %u: the consumer did not attach: %s",
			       round, sh->why);
		rnd = rnd * 1103515245 + 12345;
		usleep(20000 + (rnd >> 8) % 200000);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status))
			TH_LOG("round %u: consumer exited with %d: %s", round,
			       WEXITSTATUS(status), sh->why);
		ASSERT_EQ(0, sh->error) TH_LOG("round %u: %s", round, sh->why);
	}
	/* The last consumer drains everything. */
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->name));
	ccheck_init(&s, sh);
	deadline = rm_now_ns() + 120 * 1000000000ull;
	for (;;) {
		long n = ccheck_step(&c, &s);
		int done = 1;

		ASSERT_LE(0, n);
		ASSERT_EQ(0, sh->error) TH_LOG("%s", sh->why);
		for (p = 0; p < CK_PRODUCERS; p++)
			if (sh->max_seen[p] != CK_MSGS - 1)
				done = 0;
		if (done)
			break;
		ASSERT_GT(deadline, rm_now_ns());
		if (n == 0)
			ringmpsc_wait(&c, 100);
	}
	for (p = 0; p < CK_PRODUCERS; p++) {
		ASSERT_EQ(prod[p], waitpid(prod[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("producer %d", p);
	}
	/* nothing after the last message */
	EXPECT_LE(0, ccheck_step(&c, &s));
	EXPECT_EQ(0, sh->error) TH_LOG("%s", sh->why);
	{
		struct ringmpsc_stats st;

		ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
		EXPECT_EQ(CK_ROUNDS + 1, st.consumer_attaches);
		/* the kills landed between peek and release at least once */
		EXPECT_LT(0, sh->redelivered);
		ksft_print_msg("%d consumers killed, %llu messages delivered again (peeked, not released)\n",
			       CK_ROUNDS, (unsigned long long)sh->redelivered);
	}
	ringmpsc_consumer_close(&c);
	munmap(sh, RM_PAGE);
}

TEST_HARNESS_MAIN
