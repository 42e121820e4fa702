// SPDX-License-Identifier: GPL-2.0
/*
 * mpsc_test: 4 producer processes x 1 million messages to one consumer
 * process through one module channel, with the library's fast paths.
 * Every message carries its producer, its sequence number and a checksum
 * of its payload; the consumer checks each one: exactly once and in order
 * per producer (INV-RING-07, INV-RING-08), whole (INV-RING-09), on a ring
 * that only that producer writes (INV-RING-04).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ringmpsc.h>

#include "helpers.h"

#define NPROD		4
#ifndef NMSG
#define NMSG		1000000ULL
#endif
#define SLOT		32
#define CAP		4096
#define BATCH		64
#define WAIT_MS		10000	/* any blocking wait longer than this fails */

struct msg {
	uint32_t producer;
	uint32_t magic;
	uint64_t seq;
	uint64_t payload;
	uint64_t check;
};
_Static_assert(sizeof(struct msg) == SLOT, "one message per slot");

#define MAGIC 0x6d707363	/* "mpsc" */

static uint64_t payload_of(uint32_t producer, uint64_t seq)
{
	return rm_mix(((uint64_t)producer << 48) ^ seq);
}

static uint64_t check_of(const struct msg *m)
{
	return rm_fnv(m, offsetof(struct msg, check));
}

static void fill(struct msg *m, uint32_t producer, uint64_t seq)
{
	m->producer = producer;
	m->magic = MAGIC;
	m->seq = seq;
	m->payload = payload_of(producer, seq);
	m->check = check_of(m);
}

/* Producer child: exit status 0 or the step that failed. */
static int producer_main(const char *name, uint32_t id, int go_fd)
{
	struct ringmpsc_producer p;
	uint64_t seq = 0;
	char c;
	int err;

	err = ringmpsc_producer_open(&p, name);
	if (err)
		return 10;
	/* wait for the consumer: EOF on the pipe */
	if (read(go_fd, &c, 1) != 0)
		return 11;
	while (seq < NMSG) {
		void *slots;
		uint32_t want = NMSG - seq < BATCH ? (uint32_t)(NMSG - seq) : BATCH;
		int n = ringmpsc_reserve(&p, want, &slots);

		if (n == -EAGAIN) {
			err = ringmpsc_wait_space(&p, 1, WAIT_MS);
			if (err)
				return err == -ETIMEDOUT ? 12 : 13;
			continue;
		}
		if (n <= 0)
			return 14;
		for (int i = 0; i < n; i++)
			fill((struct msg *)((char *)slots + (size_t)i * SLOT), id,
			     seq + i);
		if (ringmpsc_commit(&p, n))
			return 15;
		seq += n;
	}
	if (p.stats.messages != NMSG)
		return 16;
	ringmpsc_producer_close(&p);
	return 0;
}

struct cstate {
	uint64_t next[NPROD];		/* next expected seq per producer */
	int32_t owner[RINGMPSC_PRODUCERS_MAX];	/* producer of each ring */
	uint64_t total;
	uint64_t bad;
	char why[160];
};

static void bad(struct cstate *s, const char *what, uint32_t ring,
		const struct msg *m)
{
	if (!s->bad++)
		snprintf(s->why, sizeof(s->why),
			 "%s: ring %u producer %u magic %x seq %llu", what, ring,
			 m->producer, m->magic, (unsigned long long)m->seq);
}

static void check_batch(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct cstate *s = ctx;
	const struct msg *m = msgs;

	for (uint32_t i = 0; i < n; i++, m++) {
		s->total++;
		if (m->magic != MAGIC || m->producer >= NPROD) {
			bad(s, "garbage", ring, m);
			continue;
		}
		/* whole: INV-RING-09 */
		if (m->check != check_of(m) ||
		    m->payload != payload_of(m->producer, m->seq)) {
			bad(s, "checksum", ring, m);
			continue;
		}
		/* one ring, one producer: INV-RING-04 */
		if (s->owner[ring] < 0)
			s->owner[ring] = (int32_t)m->producer;
		else if (s->owner[ring] != (int32_t)m->producer)
			bad(s, "two producers in one ring", ring, m);
		/* exactly once, in order: INV-RING-07, INV-RING-08 */
		if (m->seq != s->next[m->producer]) {
			bad(s, m->seq < s->next[m->producer] ? "duplicate or reordered"
							      : "gap", ring, m);
			s->next[m->producer] = m->seq + 1;
			continue;
		}
		s->next[m->producer]++;
	}
}

FIXTURE(mpsc) {
	char name[64];
};

FIXTURE_SETUP(mpsc)
{
	struct ringmpsc_channel_attr attr = {
		.slot_size = SLOT, .capacity = CAP, .max_producers = NPROD,
		.mode = 0600, .flags = RINGMPSC_CREATE_EXCL,
	};

	rm_name(self->name, sizeof(self->name), "mpsc");
	ASSERT_EQ(0, ringmpsc_create(self->name, &attr));
}

FIXTURE_TEARDOWN(mpsc)
{
	ringmpsc_unlink(self->name);
}

TEST_F_TIMEOUT(mpsc, four_producers_million_each, 240)
{
	struct ringmpsc_consumer c;
	struct ringmpsc_stats st;
	static struct cstate s;
	pid_t pids[NPROD];
	int go[2], status, waits = 0;
	uint64_t t0, t1;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < RINGMPSC_PRODUCERS_MAX; i++)
		s.owner[i] = -1;
	ASSERT_EQ(0, pipe(go));
	/* Producers first, so that none inherits the consumer's fd. */
	for (i = 0; i < NPROD; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(go[1]);
			_exit(producer_main(self->name, i, go[0]));
		}
	}
	close(go[0]);
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, self->name));
	t0 = rm_now_ns();
	close(go[1]);

	while (s.total < NPROD * NMSG && !s.bad) {
		long n = ringmpsc_consume_batch(&c, check_batch, &s, 1024);

		ASSERT_LE(0, n) TH_LOG("consume: %s", strerror((int)-n));
		if (n == 0) {
			int err = ringmpsc_wait(&c, WAIT_MS);

			waits++;
			ASSERT_EQ(0, err) TH_LOG("wait after %llu messages: %s",
						 (unsigned long long)s.total,
						 strerror(-err));
		}
	}
	t1 = rm_now_ns();
	EXPECT_EQ(0, s.bad) TH_LOG("%llu bad messages, first: %s",
				   (unsigned long long)s.bad, s.why);
	EXPECT_EQ(NPROD * NMSG, s.total);
	for (i = 0; i < NPROD; i++)
		EXPECT_EQ(NMSG, s.next[i]) TH_LOG("producer %u", i);
	for (i = 0; i < NPROD; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("producer %u", i);
	}
	/* nothing more: the producers sent exactly NMSG each */
	EXPECT_EQ(0, ringmpsc_consume_batch(&c, check_batch, &s, 1024));
	EXPECT_EQ(NPROD * NMSG, c.stats.messages);
	EXPECT_EQ(0, c.stats.broken);
	ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
	EXPECT_EQ(NPROD, st.producer_attaches);
	EXPECT_EQ(NPROD, st.producer_detaches);
	EXPECT_EQ(1, st.consumer_attaches);
	ksft_print_msg("%llu messages in %.2f s (%.2f M msg/s), %d consumer waits, %llu wakeups\n",
		       (unsigned long long)s.total, (t1 - t0) / 1e9,
		       s.total / ((t1 - t0) / 1e3), waits,
		       (unsigned long long)st.consumer_wakeups);
	ringmpsc_consumer_close(&c);
}

TEST_HARNESS_MAIN
