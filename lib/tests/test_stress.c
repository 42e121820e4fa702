// SPDX-License-Identifier: MIT
/*
 * Stress: 1 to 8 producers, as threads or as forked processes over local
 * rings, each sending N messages (RINGMPSC_STRESS_N, default 10 million;
 * the blocking and multi-process 2-slot variants a tenth) through rings of
 * 2 to 4096 slots, mirrored and not, while one consumer checks every
 * message: per-producer order and exactly-once by sequence number
 * (INV-RING-07/08), the whole message intact (INV-RING-09, INV-RING-03;
 * in the TSan build also the release/acquire pairing, INV-RING-05),
 * and a per-producer checksum against the producer's own. Producers mix
 * try_send, try_send_many (partial batches) and reserve/commit (partial
 * commits); the consumer mixes consume_batch with various budgets and
 * peek/release. Tiny rings force the full and wrap paths on nearly every
 * message. The blocking variants sleep in ringmpsc_send/wait_space and
 * ringmpsc_wait with long timeouts: any timeout is a lost wakeup
 * (INV-WAKE-03). A ping-pong test makes every step a sleep and a wakeup.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pingpong.h"
#include "util.h"

#define BLOCK_MS 60000		/* a blocking call that times out failed */
#ifndef SPINS
#define SPINS 100		/* polls before a sched_yield() */
#endif

struct cfg {
	const char *name;
	uint32_t producers;
	uint32_t capacity;
	uint32_t slot;
	uint32_t len;		/* message bytes, <= slot */
	uint32_t flags;		/* RINGMPSC_LOCAL_* */
	bool procs;		/* fork()ed producers, else threads */
	bool blocking;
	uint32_t div;		/* messages = N / div (blocking variants) */
};

/*
 * Every polling configuration sends N per producer except the
 * multi-process 2-slot one (N / 10): a 2- or 4-slot ring needs a handoff
 * between producer and consumer every few messages, which costs a context
 * switch when the CPUs are shared, and this machine's two are. The
 * blocking ones (N / 10) make a system call nearly every message.
 */
static const struct cfg cfgs[] = {
	/* name              P  cap   slot  len flags                 procs  block div */
	{ "thr-1p-cap2",      1, 2,    16,   16, 0,                    false, false, 1 },
	{ "proc-1p-cap4",     1, 4,    16,   16, 0,                    true,  false, 1 },
	{ "thr-2p-cap4-m",    2, 4,    1024, 32, 0,                    false, false, 1 },
	{ "thr-4p-cap64",     4, 64,   24,   24, 0,                    false, false, 1 },
	{ "thr-8p-cap4096-m", 8, 4096, 16,   16, 0,                    false, false, 1 },
	{ "proc-5p-cap1024",  5, 1024, 16,   16, RINGMPSC_LOCAL_NO_MIRROR, true, false, 1 },
	{ "proc-8p-cap256-m", 8, 256,  16,   16, 0,                    true,  false, 1 },
	{ "proc-2p-cap2-m",   2, 2,    2048, 64, 0,                    true,  false, 10 },
	{ "thr-3p-cap4-block", 3, 4,   16,   16, 0,                    false, true,  10 },
	{ "proc-2p-cap8-block", 2, 8,  1024, 16, 0,                    true,  true,  10 },
	{ "proc-8p-cap64-m-block", 8, 64, 64, 64, 0,                   true,  true,  10 },
};

/* What a producer reports (in shared memory, for forked producers). */
struct presult {
	uint64_t sent;
	uint64_t sum;
	uint64_t wakeups;	/* consumer wakeups it asked for */
	uint64_t full;
	atomic_int err;	/* the above are final */
};

struct prod_arg {
	pthread_t th;
	struct ringmpsc_local *l;
	uint32_t ring;
	uint32_t mode;		/* 0 try_send, 1 try_send_many, 2 reserve */
	uint64_t count;
	const struct cfg *cfg;
	struct presult *res;
	const atomic_int *stop;	/* the consumer gave up */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Polling wait: spin briefly (the peer may be running on the other CPU),
 * then give the CPU away (it may be waiting for ours).
 */
static void backoff(uint32_t *spins, uint32_t limit)
{
	if (++*spins < limit) {
		cpu_relax();
		return;
	}
	*spins = 0;
	sched_yield();
}

/* Wait for room: back off (polling variants) or sleep (blocking ones). */
static int no_room(struct ringmpsc_producer *p, const struct prod_arg *a,
		   uint32_t *spins)
{
	const struct cfg *cfg = a->cfg;

	if (atomic_load_explicit(a->stop, memory_order_relaxed))
		return -ECANCELED;
	if (!cfg->blocking) {
		/* Producers do not spin: on two shared CPUs the consumer
		 * needs the time, and on an idle one sched_yield() returns
		 * at once anyway.
		 */
		backoff(spins, 0);
		return 0;
	}
	return ringmpsc_wait_space(p, 1, BLOCK_MS);
}

static void produce(struct prod_arg *a)
{
	const struct cfg *cfg = a->cfg;
	const uint32_t len = cfg->len;
	struct ringmpsc_producer p;
	uint64_t seq = 0, sum = 0;
	uint32_t spins = 0;
	uint64_t batch[32 * 64 / 8];	/* up to 32 messages of <= 64 bytes */
	int err = ringmpsc_local_producer(a->l, a->ring, &p);

	while (!err && seq < a->count) {
		uint64_t left = a->count - seq;
		uint32_t k = 1 + (uint32_t)(seq % 31);	/* batch sizes vary */
		int n;

		if (k > left)
			k = (uint32_t)left;
		if (k > cfg->capacity)
			k = cfg->capacity;
		if (len > 64 && a->mode == 1)
			k = 1;
		switch (a->mode) {
		case 0:
			msg_fill(batch, a->ring, seq, len);
			if (cfg->blocking) {
				err = ringmpsc_send(&p, batch, len, BLOCK_MS);
				n = err ? err : 1;
			} else {
				err = ringmpsc_try_send(&p, batch, len);
				n = err ? err : 1;
				err = 0;
			}
			break;
		case 1:
			for (uint32_t i = 0; i < k; i++)
				msg_fill((unsigned char *)batch + (size_t)i * len,
					 a->ring, seq + i, len);
			n = ringmpsc_try_send_many(&p, batch, len, k);
			break;
		default: {
			void *slots = NULL;
			uint32_t commit;

			n = ringmpsc_reserve(&p, k, &slots);
			if (n <= 0)
				break;
			for (int i = 0; i < n; i++)
				msg_fill((unsigned char *)slots + (size_t)i * cfg->slot,
					 a->ring, seq + (uint32_t)i, len);
			/* Now and then publish fewer than reserved. */
			commit = (uint32_t)n;
			if (n > 1 && seq % 5 == 0)
				commit--;
			err = ringmpsc_commit(&p, commit);
			n = err ? err : (int)commit;
			break;
		}
		}
		if (err)
			break;
		if (n == -EAGAIN) {
			err = no_room(&p, a, &spins);
			continue;
		}
		spins = 0;
		if (n < 0) {
			err = n;
			break;
		}
		for (int i = 0; i < n; i++)
			sum += msg_sum(a->ring, seq + (uint32_t)i);
		seq += (uint32_t)n;
	}
	a->res->sent = seq;
	a->res->sum = sum;
	a->res->wakeups = p.stats.wakeups;
	a->res->full = p.stats.full;
	atomic_store_explicit(&a->res->err, err, memory_order_release);
}

static void *produce_thread(void *arg)
{
	produce(arg);
	return NULL;
}

/* The consumer's view of every producer. */
struct cstate {
	const struct cfg *cfg;
	uint64_t next[LFIX_MAX];
	uint64_t sum[LFIX_MAX];
	uint64_t bad;
	uint64_t total;
};

static void check_msgs(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct cstate *s = ctx;
	const unsigned char *m = msgs;
	const uint32_t len = s->cfg->len, slot = s->cfg->slot;

	for (uint32_t i = 0; i < n; i++, m += slot) {
		uint64_t w[2];
		uint32_t bad;

		if (ring >= s->cfg->producers) {
			s->bad++;
			return;
		}
		bad = msg_bad_word(m, ring, s->next[ring], len);
		if (bad) {
			if (s->bad++ < 5) {
				memcpy(w, m, sizeof(w));
				test_diag("ring %u: message %llu: word %u wrong "
					  "(seq %llu)", ring,
					  (unsigned long long)s->next[ring], bad - 1,
					  (unsigned long long)w[0]);
			}
			/* Resynchronise on what arrived, to count once. */
			memcpy(w, m, sizeof(w));
			s->next[ring] = w[0];
		}
		memcpy(w, m, sizeof(w));
		s->sum[ring] += w[1];
		s->next[ring]++;
	}
	s->total += n;
}

/* Budgets of successive consume calls; 0 means a peek/release pass. */
static const uint32_t budgets[] = { 64, 1, 7, 0, 256, 3, 1000, 0, 16 };

static long consume_once(struct ringmpsc_consumer *c, struct cstate *s,
			 uint64_t iter)
{
	uint32_t b = budgets[iter % (sizeof(budgets) / sizeof(budgets[0]))];
	long total = 0;

	if (b)
		return ringmpsc_consume_batch(c, check_msgs, s, b);
	for (uint32_t r = 0; r < c->nr_rings; r++) {
		const void *m = NULL;
		int n = ringmpsc_peek(c, r, &m, 1 + (uint32_t)(iter % 13));
		uint32_t take;

		if (n < 0)
			return n;
		if (n == 0)
			continue;
		/* Release all, or one fewer now and then (seen again). */
		take = (uint32_t)n;
		if (n > 1 && iter % 3 == 0)
			take--;
		check_msgs(s, r, m, take);
		if (ringmpsc_release(c, r, take))
			return -EINVAL;
		total += take;
	}
	return total;
}

static void run_cfg(struct __test_metadata *_metadata, const struct cfg *cfg,
		    uint64_t n_per)
{
	const uint64_t count = n_per / cfg->div ? n_per / cfg->div : 1;
	const uint32_t np = cfg->producers;
	const uint64_t want = count * np;
	struct ringmpsc_local *l = NULL;
	struct ringmpsc_consumer c;
	struct cstate s = { .cfg = cfg };
	struct prod_arg args[LFIX_MAX];
	struct presult *res;
	atomic_int *stop;
	pid_t pids[LFIX_MAX] = { 0 };
	uint64_t t0, iter = 0, idle = 0, timeouts = 0;
	uint32_t spins = 0;
	int cerr = 0;
	double secs;

	/* Results and the stop word, shared with forked producers. */
	res = mmap(NULL, sizeof(*res) * (LFIX_MAX + 1), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	memset(res, 0, sizeof(*res) * (LFIX_MAX + 1));
	stop = &res[LFIX_MAX].err;
	ASSERT_EQ(0, ringmpsc_local_create(&l, np, cfg->slot, cfg->capacity,
					   cfg->flags));
	ASSERT_EQ(0, ringmpsc_local_consumer(l, &c));
	t0 = now_ns();
	fflush(stdout);
	for (uint32_t i = 0; i < np; i++) {
		args[i] = (struct prod_arg){
			.l = l, .ring = i, .count = count, .cfg = cfg,
			.mode = (i + (uint32_t)(cfg - cfgs)) % 3, .res = &res[i],
			.stop = stop,
		};
		if (cfg->procs) {
			pids[i] = fork();
			ASSERT_LE(0, pids[i]);
			if (pids[i] == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				produce(&args[i]);
				_exit(res[i].err ? 1 : 0);
			}
		} else {
			ASSERT_EQ(0, pthread_create(&args[i].th, NULL, produce_thread,
						    &args[i]));
		}
	}

	while (s.total < want && !s.bad) {
		long n = consume_once(&c, &s, iter++);

		if (n < 0) {
			cerr = (int)n;
			break;
		}
		if (n > 0) {
			idle = 0;
			spins = 0;
			continue;
		}
		/* Nothing: a producer that failed will never send the rest. */
		if (++idle % 256 == 0) {
			bool failed = false;

			for (uint32_t i = 0; i < np; i++)
				if (atomic_load_explicit(&res[i].err, memory_order_acquire))
					failed = true;
			if (failed || ms_since(t0) > 1000u * 600)
				break;
		}
		if (cfg->blocking) {
			int err = ringmpsc_wait(&c, BLOCK_MS);

			if (err == -ETIMEDOUT)
				timeouts++;
			if (err) {
				cerr = err;
				break;
			}
		} else {
			backoff(&spins, SPINS);
		}
	}
	secs = (double)(now_ns() - t0) / 1e9;
	if (s.total < want)
		atomic_store_explicit(stop, 1, memory_order_relaxed);

	for (uint32_t i = 0; i < np; i++) {
		if (cfg->procs) {
			int status = -1;

			if (s.total < want)	/* stuck: do not wait forever */
				kill(pids[i], SIGKILL);
			EXPECT_EQ(pids[i], waitpid(pids[i], &status, 0));
			EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		} else {
			pthread_join(args[i].th, NULL);
		}
	}
	/* Nothing beyond what was sent. */
	if (!cerr && !s.bad)
		EXPECT_EQ(0, ringmpsc_consume_batch(&c, check_msgs, &s, 64));

	EXPECT_EQ(0, cerr);
	EXPECT_EQ(0, timeouts);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(want, s.total);
	EXPECT_EQ(want, c.stats.messages);
	EXPECT_EQ(0, c.stats.broken);
	uint64_t pw = 0, full = 0;

	for (uint32_t i = 0; i < np; i++) {
		EXPECT_EQ(0, res[i].err);
		EXPECT_EQ(count, res[i].sent);
		EXPECT_EQ(count, s.next[i]);		/* in order, each once */
		EXPECT_EQ(res[i].sum, s.sum[i]);	/* checksum */
		pw += res[i].wakeups;
		full += res[i].full;
	}
	test_diag("%-22s %u x %llu msgs (%s build), %.2fs, %.1f M msg/s, "
		  "full %llu, wakeups %llu/%llu", cfg->name, np,
		  (unsigned long long)count, RINGMPSC_TEST_BUILD, secs,
		  (double)want / secs / 1e6, (unsigned long long)full,
		  (unsigned long long)pw, (unsigned long long)c.stats.wakeups);
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(l);
	munmap(res, sizeof(*res) * (LFIX_MAX + 1));
}

static uint64_t n_per_producer(void)
{
	return test_env_count("RINGMPSC_STRESS_N", 10000000);
}

/* One variant per configuration of cfgs[], by name. */
FIXTURE(stress) {};
FIXTURE_VARIANT(stress) {
	const char *cfg;
};

FIXTURE_SETUP(stress)
{
	test_begin(_metadata);
}

FIXTURE_TEARDOWN(stress)
{
	test_end(_metadata);
}

FIXTURE_VARIANT_ADD(stress, thr_1p_cap2) { "thr-1p-cap2" };
FIXTURE_VARIANT_ADD(stress, proc_1p_cap4) { "proc-1p-cap4" };
FIXTURE_VARIANT_ADD(stress, thr_2p_cap4_mirrored) { "thr-2p-cap4-m" };
FIXTURE_VARIANT_ADD(stress, thr_4p_cap64) { "thr-4p-cap64" };
FIXTURE_VARIANT_ADD(stress, thr_8p_cap4096_mirrored) { "thr-8p-cap4096-m" };
FIXTURE_VARIANT_ADD(stress, proc_5p_cap1024_nomirror) { "proc-5p-cap1024" };
FIXTURE_VARIANT_ADD(stress, proc_8p_cap256_mirrored) { "proc-8p-cap256-m" };
FIXTURE_VARIANT_ADD(stress, proc_2p_cap2_mirrored) { "proc-2p-cap2-m" };
FIXTURE_VARIANT_ADD(stress, thr_3p_cap4_blocking) { "thr-3p-cap4-block" };
FIXTURE_VARIANT_ADD(stress, proc_2p_cap8_blocking) { "proc-2p-cap8-block" };
FIXTURE_VARIANT_ADD(stress, proc_8p_cap64_mirrored_blocking) { "proc-8p-cap64-m-block" };

/*
 * The consumer gives up after 600 s without the last message and reports
 * what it got; the harness ends a test that outlives that by far.
 */
TEST_F_TIMEOUT(stress, run, 900)
{
	const struct cfg *cfg = NULL;

	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		if (!strcmp(cfgs[i].name, variant->cfg))
			cfg = &cfgs[i];
	ASSERT_NE(NULL, cfg);
	run_cfg(_metadata, cfg, n_per_producer());
}

TEST_PROCESS_FIXTURE(pingpong)

/* Ping-pong (pingpong.h): N / 100 round trips (100000 by default, at
 * least 300), every step a sleep and a wakeup (INV-WAKE-03).
 */
TEST_F_TIMEOUT(pingpong, wakeups, 300)
{
	struct pingpong pp = {
		.trips = n_per_producer() / 100 > 300 ? n_per_producer() / 100 : 300,
	};

	EXPECT_EQ(0, pingpong_run(&pp));
	test_diag("pingpong: %llu round trips in %.2fs, %llu parent wakeups sent",
		  (unsigned long long)pp.trips, pp.seconds,
		  (unsigned long long)pp.parent_wakeups);
	/* The parent's replies found the child asleep most of the time (not
	 * asserted for short runs: under valgrind the child may win every
	 * race).
	 */
	if (pp.trips >= 10000)
		EXPECT_LT(0, pp.parent_wakeups);
}

TEST_HARNESS_MAIN
