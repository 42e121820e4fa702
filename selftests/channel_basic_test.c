// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end check of module channels through libringmpsc: create, attach
 * as producer and consumer, exchange messages across fork, producer
 * detach and recycle (INV-LIFE-01..04), consumer departure and return
 * (INV-LIFE-05, INV-LIFE-06), mmap by role, unlink and release (INV-LIFE-07).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <linux/ringmpsc.h>
#include "ringmpsc.h"

#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#include "kselftest_harness.h"

#define NR_PRODUCERS	3
#define NR_MSGS		5000

struct msg {
	uint32_t producer;
	uint32_t pad;
	uint64_t seq;
};

static void chan_name(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "basic-%s-%d", tag, (int)getpid());
}

static int create(const char *name, uint32_t cap, uint32_t nprod,
		  uint32_t flags)
{
	struct ringmpsc_channel_attr a = {
		.slot_size = sizeof(struct msg),
		.capacity = cap,
		.max_producers = nprod,
		.mode = 0600,
		.flags = flags,
	};

	return ringmpsc_create(name, &a);
}

struct tally {
	uint64_t next[NR_PRODUCERS];
	uint64_t total;
	int bad;
};

static void on_msg(void *ctx, uint32_t ring, const void *m)
{
	struct tally *t = ctx;
	const struct msg *msg = m;

	/* Per-producer FIFO, exactly once. INV-RING-07, INV-RING-08 */
	if (msg->producer >= NR_PRODUCERS || msg->seq != t->next[msg->producer])
		t->bad++;
	else
		t->next[msg->producer]++;
	t->total++;
}

/* Drain until @want messages arrived or @ms passed. */
static void drain(struct ringmpsc_consumer *c, struct tally *t, uint64_t want,
		  int ms)
{
	int idle = 0;

	while (t->total < want && idle < ms) {
		long n = ringmpsc_consume(c, on_msg, t, 64);

		if (n > 0)
			continue;
		if (ringmpsc_wait(c, 10) == -ETIMEDOUT)
			idle += 10;
	}
}

TEST(create_excl_and_unlink)
{
	char name[64];

	chan_name(name, sizeof(name), "excl");
	ASSERT_EQ(0, create(name, 64, 2, RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(-EEXIST, create(name, 64, 2, RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(0, create(name, 64, 2, 0));
	EXPECT_EQ(-EINVAL, create("a/b", 64, 2, 0));
	EXPECT_EQ(-EINVAL, create("", 64, 2, 0));
	EXPECT_EQ(-EINVAL, create(name, 63, 2, 0));
	EXPECT_EQ(0, ringmpsc_unlink(name));
	EXPECT_EQ(-ENOENT, ringmpsc_unlink(name));
}

TEST(open_roles)
{
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c, c2;
	struct ringmpsc_stats st;
	char name[64];

	chan_name(name, sizeof(name), "roles");
	ASSERT_EQ(0, create(name, 64, 1, 0));
	ASSERT_EQ(0, ringmpsc_producer_open(&p, name));
	EXPECT_EQ(0u, p.ring);
	EXPECT_FALSE(ringmpsc_consumer_present(&p));
	/* One ring, taken. */
	{
		struct ringmpsc_producer p2;

		EXPECT_EQ(-EMFILE, ringmpsc_producer_open(&p2, name));
	}
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	EXPECT_TRUE(ringmpsc_consumer_present(&p));
	/* Either side's handle reads the channel's counters. */
	ASSERT_EQ(0, ringmpsc_producer_channel_stats(&p, &st));
	EXPECT_EQ(1u, st.producer_attaches);
	EXPECT_EQ(1u, st.consumer_attaches);
	/* INV-LIFE-06 */
	EXPECT_EQ(-EBUSY, ringmpsc_consumer_open(&c2, name));
	EXPECT_EQ(1u, c.nr_rings);
	EXPECT_TRUE(c.rings[0].live);
	ringmpsc_consumer_close(&c);
	EXPECT_FALSE(ringmpsc_consumer_present(&p));
	ringmpsc_producer_close(&p);
	EXPECT_EQ(0, ringmpsc_unlink(name));
	EXPECT_EQ(-ENOENT, ringmpsc_consumer_open(&c, name));
}

TEST(fork_producers_exactly_once)
{
	struct ringmpsc_consumer c;
	struct ringmpsc_stats st;
	struct tally t = { 0 };
	pid_t pids[NR_PRODUCERS];
	uint64_t generations;
	char name[64];
	int status, i;

	chan_name(name, sizeof(name), "fork");
	ASSERT_EQ(0, create(name, 256, NR_PRODUCERS, 0));
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	for (i = 0; i < NR_PRODUCERS; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			struct ringmpsc_producer p;
			struct msg m = { .producer = i };

			if (ringmpsc_producer_open(&p, name))
				_exit(2);
			for (m.seq = 0; m.seq < NR_MSGS; m.seq++)
				if (ringmpsc_send(&p, &m, sizeof(m), 10000))
					_exit(3);
			ringmpsc_producer_close(&p);
			_exit(0);
		}
	}
	drain(&c, &t, (uint64_t)NR_PRODUCERS * NR_MSGS, 20000);
	for (i = 0; i < NR_PRODUCERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	EXPECT_EQ(0, t.bad);
	EXPECT_EQ((uint64_t)NR_PRODUCERS * NR_MSGS, t.total);
	/* Every producer left: each ring is drained and recycled. */
	for (i = 0; i < 100; i++) {
		ringmpsc_consume(&c, on_msg, &t, 64);
		ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
		if (st.recycles == NR_PRODUCERS)
			break;
		usleep(10000);
	}
	EXPECT_EQ(NR_PRODUCERS, st.producer_attaches);
	EXPECT_EQ(NR_PRODUCERS, st.producer_detaches);
	EXPECT_EQ(NR_PRODUCERS, st.recycles);
	EXPECT_EQ(1u, st.consumer_attaches);
	/*
	 * A producer that starts after an earlier one was recycled may take
	 * that ring again, so which ring was used how often is up to the
	 * scheduler; every recycle adds one generation somewhere.
	 */
	generations = 0;
	for (i = 0; i < NR_PRODUCERS; i++) {
		EXPECT_FALSE(c.rings[i].live);
		generations += c.rings[i].generation;
	}
	EXPECT_EQ(NR_PRODUCERS, generations);
	ringmpsc_consumer_close(&c);
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

/* Messages of a producer that left are delivered to a consumer that
 * arrives later; the drained ring is recycled with a new generation and a
 * new producer starts from zero. INV-LIFE-02..05
 */
TEST(detach_then_recycle)
{
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct tally t = { 0 };
	struct msg m = { 0 };
	char name[64];

	chan_name(name, sizeof(name), "recycle");
	ASSERT_EQ(0, create(name, 16, 1, RINGMPSC_CREATE_PREALLOC));
	ASSERT_EQ(0, ringmpsc_producer_open(&p, name));
	for (m.seq = 0; m.seq < 10; m.seq++)
		ASSERT_EQ(0, ringmpsc_try_send(&p, &m, sizeof(m)));
	ringmpsc_producer_close(&p);

	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	EXPECT_TRUE(c.rings[0].live);
	EXPECT_TRUE(c.rings[0].detached);
	EXPECT_EQ(0u, c.rings[0].generation);
	/* Not drained: the module refuses. INV-LIFE-02 */
	EXPECT_EQ(-ENOTEMPTY, ringmpsc_consumer_recycle(&c, 0));
	ASSERT_EQ(0, ringmpsc_consumer_refresh(&c));
	c.ring_epoch = 0;
	ASSERT_EQ(0, ringmpsc_consumer_refresh(&c));
	EXPECT_TRUE(c.rings[0].detached);
	EXPECT_EQ(10, ringmpsc_consume(&c, on_msg, &t, 64));
	EXPECT_EQ(0, t.bad);
	/* The next pass finds it drained and recycles it. */
	EXPECT_EQ(0, ringmpsc_consume(&c, on_msg, &t, 64));
	EXPECT_FALSE(c.rings[0].live);
	EXPECT_EQ(1u, c.rings[0].generation);

	/* A new producer on the same ring, new generation, from 0; the
	 * consumer reads it through the mappings it made before the recycle:
	 * the pages were zeroed in place, not replaced. INV-MOD-01
	 */
	ASSERT_EQ(0, ringmpsc_producer_open(&p, name));
	EXPECT_EQ(0u, p.tail);
	m.seq = 10;
	ASSERT_EQ(0, ringmpsc_try_send(&p, &m, sizeof(m)));
	ASSERT_EQ(1, ringmpsc_consume(&c, on_msg, &t, 64));
	EXPECT_EQ(0, t.bad);
	EXPECT_TRUE(c.rings[0].live);
	EXPECT_FALSE(c.rings[0].detached);
	ringmpsc_producer_close(&p);
	ringmpsc_consumer_close(&c);
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

/* A RECYCLE refused because the ring is not drained leaves it detached:
 * the pass that drains it recycles it, with no other state change.
 * INV-LIFE-02
 */
TEST(recycle_retried_after_enotempty)
{
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct tally t = { 0 };
	struct msg m = { 0 };
	char name[64];
	int i;

	chan_name(name, sizeof(name), "retry");
	ASSERT_EQ(0, create(name, 16, 1, RINGMPSC_CREATE_PREALLOC));
	ASSERT_EQ(0, ringmpsc_producer_open(&p, name));
	for (m.seq = 0; m.seq < 10; m.seq++)
		ASSERT_EQ(0, ringmpsc_try_send(&p, &m, sizeof(m)));
	ringmpsc_producer_close(&p);

	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	ASSERT_TRUE(c.rings[0].detached);
	EXPECT_EQ(-ENOTEMPTY, ringmpsc_consumer_recycle(&c, 0));
	EXPECT_TRUE(c.rings[0].detached);
	EXPECT_TRUE(c.rings[0].live);
	for (i = 0; i < 10 && c.rings[0].live; i++)
		ringmpsc_consume(&c, on_msg, &t, 4);
	EXPECT_EQ(10u, t.total);
	EXPECT_EQ(0, t.bad);
	EXPECT_FALSE(c.rings[0].live);
	EXPECT_EQ(1u, c.rings[0].generation);
	ringmpsc_consumer_close(&c);
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

/* A failed open leaves a closed handle, whatever it held: closing it is
 * harmless, and so is closing it twice.
 */
TEST(failed_producer_open_closes_cleanly)
{
	struct ringmpsc_producer p;
	char name[64];

	chan_name(name, sizeof(name), "noopen");
	memset(&p, 0xa5, sizeof(p));
	EXPECT_EQ(-ENOENT, ringmpsc_producer_open(&p, name));
	EXPECT_EQ(NULL, p.backend);
	EXPECT_EQ(-1, p.wait_fd);
	EXPECT_EQ(NULL, p.ops);
	ringmpsc_producer_close(&p);
	ringmpsc_producer_close(&p);
	/* A zeroed handle that was never opened. */
	memset(&p, 0, sizeof(p));
	ringmpsc_producer_close(&p);
	/* A channel whose one ring is taken: EMFILE, same result. */
	ASSERT_EQ(0, create(name, 8, 1, 0));
	{
		struct ringmpsc_producer p1;

		ASSERT_EQ(0, ringmpsc_producer_open(&p1, name));
		memset(&p, 0xa5, sizeof(p));
		EXPECT_EQ(-EMFILE, ringmpsc_producer_open(&p, name));
		EXPECT_EQ(NULL, p.backend);
		ringmpsc_producer_close(&p);
		ringmpsc_producer_close(&p1);
	}
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

/* A consumer leaves with messages queued; a new one continues from head.
 * Producers see it gone. INV-LIFE-05, INV-WAKE-05
 */
TEST(consumer_leaves_and_returns)
{
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct tally t = { 0 };
	struct msg m = { 0 };
	char name[64];
	int n;

	chan_name(name, sizeof(name), "cons");
	ASSERT_EQ(0, create(name, 8, 1, 0));
	ASSERT_EQ(0, ringmpsc_producer_open(&p, name));
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	for (m.seq = 0; m.seq < 8; m.seq++)
		ASSERT_EQ(0, ringmpsc_try_send(&p, &m, sizeof(m)));
	EXPECT_EQ(3, ringmpsc_consume(&c, on_msg, &t, 3));
	ringmpsc_consumer_close(&c);
	EXPECT_FALSE(ringmpsc_consumer_present(&p));
	/* Full ring, no consumer: a blocking send gives up. */
	m.seq = 8;
	for (n = 0; n < 3; n++, m.seq++)
		ASSERT_EQ(0, ringmpsc_try_send(&p, &m, sizeof(m)));
	EXPECT_EQ(-EAGAIN, ringmpsc_try_send(&p, &m, sizeof(m)));
	EXPECT_EQ(-EPIPE, ringmpsc_send(&p, &m, sizeof(m), 1000));

	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	EXPECT_EQ(8, ringmpsc_consume(&c, on_msg, &t, 64));
	EXPECT_EQ(11u, t.total);
	EXPECT_EQ(0, t.bad);
	ringmpsc_consumer_close(&c);
	ringmpsc_producer_close(&p);
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

/* The mmap rules of section 6 of spec.md, through a raw fd. */
TEST(mmap_by_role)
{
	struct ringmpsc_attach att = { 0 };
	struct ringmpsc_info info;
	size_t pg = sysconf(_SC_PAGESIZE);
	char name[64];
	void *ctrl, *prod, *cons;
	int fd, fd2;

	chan_name(name, sizeof(name), "mmap");
	ASSERT_EQ(0, create(name, 1024, 2, RINGMPSC_CREATE_PREALLOC));
	fd = open(RINGMPSC_DEVICE, O_RDWR);
	ASSERT_GE(fd, 0);
	/* Not attached yet. */
	EXPECT_EQ(-1, ioctl(fd, RINGMPSC_IOC_INFO, &info));
	EXPECT_EQ(ENOTCONN, errno);
	att.name = (uintptr_t)name;
	att.role = RINGMPSC_ROLE_PRODUCER;
	ASSERT_EQ(0, ioctl(fd, RINGMPSC_IOC_ATTACH, &att));
	EXPECT_EQ(-1, ioctl(fd, RINGMPSC_IOC_ATTACH, &att));
	EXPECT_EQ(EISCONN, errno);
	ASSERT_EQ(0, ioctl(fd, RINGMPSC_IOC_INFO, &info));
	EXPECT_EQ(RINGMPSC_RING_F_MIRRORED, info.ring_flags);
	EXPECT_EQ(2 * info.off.data_size, info.off.data_map_size);

	/* Control area: read-only, cannot be upgraded. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, info.off.ctrl_size,
				   PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	ctrl = mmap(NULL, info.off.ctrl_size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, ctrl);
	EXPECT_EQ(-1, mprotect(ctrl, info.off.ctrl_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(RINGMPSC_CTRL_MAGIC,
		  ((struct ringmpsc_ctrl_header *)ctrl)->magic);
	/* Wrong size, private mapping. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * info.off.ctrl_size, PROT_READ,
				   MAP_SHARED, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, info.off.ctrl_size, PROT_READ,
				   MAP_PRIVATE, fd, 0));
	/* Another producer's ring. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED, fd,
				   info.off.ring_base +
				   (1 - info.ring) * info.off.ring_stride));
	EXPECT_EQ(EACCES, errno);
	/* Own PROD rw, own CONS read-only. */
	prod = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    info.off.ring_base + info.ring * info.off.ring_stride);
	ASSERT_NE(MAP_FAILED, prod);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, info.off.ring_base +
				   info.ring * info.off.ring_stride +
				   info.off.cons_off));
	EXPECT_EQ(EACCES, errno);
	cons = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, info.off.ring_base +
		    info.ring * info.off.ring_stride + info.off.cons_off);
	ASSERT_NE(MAP_FAILED, cons);
	EXPECT_EQ(-1, mprotect(cons, pg, PROT_READ | PROT_WRITE));

	/* The data mirror: the second copy aliases the first. */
	{
		unsigned char *d = mmap(NULL, info.off.data_map_size,
					PROT_READ | PROT_WRITE, MAP_SHARED, fd,
					info.off.ring_base +
					info.ring * info.off.ring_stride +
					info.off.data_off);

		ASSERT_NE(MAP_FAILED, d);
		d[5] = 0x5a;
		EXPECT_EQ(0x5a, d[info.off.data_size + 5]);
		munmap(d, info.off.data_map_size);
	}

	/* The ring stays ACTIVE while a mapping holds the file. */
	fd2 = open(RINGMPSC_DEVICE, O_RDWR);
	ASSERT_GE(fd2, 0);
	close(fd);
	EXPECT_EQ(RINGMPSC_RING_ACTIVE,
		  ((struct ringmpsc_ctrl_ring *)((char *)ctrl +
			info.off.ctrl_ring_off + info.ring *
			info.off.ctrl_ring_stride))->state);
	munmap(prod, pg);
	munmap(cons, pg);
	munmap(ctrl, info.off.ctrl_size);
	close(fd2);
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

struct seq_check {
	uint64_t next;
	int bad;
};

static void on_seq(void *ctx, uint32_t ring, const void *m)
{
	struct seq_check *s = ctx;
	const struct msg *msg = m;

	if (msg->seq != s->next)
		s->bad++;
	s->next = msg->seq + 1;
}

/* A producer killed at a random moment: everything it committed arrives
 * once and in order, nothing else; its ring is then recycled and reused.
 * INV-LIFE-04, INV-RING-09
 */
TEST(producer_sigkill)
{
	struct ringmpsc_consumer c;
	struct ringmpsc_stats st;
	char name[64];
	int round, status, i;

	chan_name(name, sizeof(name), "kill");
	ASSERT_EQ(0, create(name, 64, 1, 0));
	ASSERT_EQ(0, ringmpsc_consumer_open(&c, name));
	srand(getpid());
	for (round = 0; round < 20; round++) {
		struct seq_check sc = { 0 };
		int ready[2];
		char byte;
		pid_t pid;

		ASSERT_EQ(0, pipe(ready));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			struct ringmpsc_producer p;
			struct msg m = { 0 };

			if (ringmpsc_producer_open(&p, name))
				_exit(2);
			if (write(ready[1], "r", 1) != 1)
				_exit(4);
			for (;; m.seq++)
				if (ringmpsc_send(&p, &m, sizeof(m), 10000))
					_exit(3);
		}
		/* Once it is attached, let it send for a while. */
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &byte, 1));
		close(ready[0]);
		for (i = rand() % 40; i >= 0; i--) {
			ringmpsc_consume(&c, on_seq, &sc, 32);
			usleep(500);
		}
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status));
		/* Drain until the module took the ring back. */
		for (i = 0; i < 2000; i++) {
			ringmpsc_consume(&c, on_seq, &sc, 64);
			ASSERT_EQ(0, ringmpsc_consumer_channel_stats(&c, &st));
			if (st.recycles == (uint64_t)round + 1)
				break;
			ringmpsc_wait(&c, 5);
		}
		EXPECT_EQ((uint64_t)round + 1, st.recycles);
		EXPECT_EQ(0, sc.bad);
		EXPECT_FALSE(c.rings[0].live);
	}
	EXPECT_EQ(20u, st.producer_detaches);
	ringmpsc_consumer_close(&c);
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

/* A linked channel keeps the module loaded, even with no fd open.
 * INV-MOD-03
 */
TEST(channel_pins_module)
{
	char name[64];

	if (access("/sys/module/ringmpsc/refcnt", R_OK))
		SKIP(return, "module not loadable here");
	chan_name(name, sizeof(name), "pin");
	ASSERT_EQ(0, create(name, 8, 1, 0));
	EXPECT_EQ(-1, syscall(SYS_delete_module, "ringmpsc", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

/* Names are per IPC namespace: a child in a new one neither sees nor
 * collides with the parent's channel.
 */
TEST(ipc_namespace_scope)
{
	struct ringmpsc_consumer c;
	char name[64];
	int status;
	pid_t pid;

	chan_name(name, sizeof(name), "ns");
	ASSERT_EQ(0, create(name, 8, 1, RINGMPSC_CREATE_EXCL));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(10);
		if (ringmpsc_consumer_open(&c, name) != -ENOENT)
			_exit(11);
		if (create(name, 8, 1, RINGMPSC_CREATE_EXCL))
			_exit(12);
		if (ringmpsc_consumer_open(&c, name))
			_exit(13);
		ringmpsc_consumer_close(&c);
		if (ringmpsc_unlink(name))
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 10)
		SKIP(goto out, "unshare(CLONE_NEWIPC): not permitted");
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Ours is untouched. */
	EXPECT_EQ(-EEXIST, create(name, 8, 1, RINGMPSC_CREATE_EXCL));
out:
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

static int module_refcnt(void)
{
	char buf[32] = "";
	int fd = open("/sys/module/ringmpsc/refcnt", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 0;
	close(fd);
	return atoi(buf);
}

/* A channel left linked in an IPC namespace whose tasks all exited can
 * never be named again: the module reaps it (and its module reference)
 * at the next CREATE or UNLINK, here an UNLINK of a name that does not
 * exist.
 */
TEST(dead_namespace_reaped)
{
	int before, status, fd;
	char name[64];
	pid_t pid;

	before = module_refcnt();
	if (before < 0)
		SKIP(return, "module not loadable here");
	chan_name(name, sizeof(name), "orphan");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(10);
		_exit(create(name, 8, 1, RINGMPSC_CREATE_PREALLOC) ? 11 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 10)
		SKIP(return, "unshare(CLONE_NEWIPC): not permitted");
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Opening the device does not scan the registry. */
	fd = open(RINGMPSC_DEVICE, O_RDWR);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(before + 1, module_refcnt());
	chan_name(name, sizeof(name), "orphan-none");
	EXPECT_EQ(-ENOENT, ringmpsc_unlink(name));
	EXPECT_EQ(before, module_refcnt());
}

static int write_param(const char *param, const char *val)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/module/ringmpsc/parameters/%s",
		 param);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EIO;
}

/* Limits give errors, never kernel warnings (the runner checks dmesg). */
TEST(limits)
{
	char name[64], name2[64];

	if (write_param("channels_per_user", "1"))
		SKIP(return, "cannot set module parameters");
	chan_name(name, sizeof(name), "lim1");
	chan_name(name2, sizeof(name2), "lim2");
	EXPECT_EQ(0, create(name, 8, 1, 0));
	EXPECT_EQ(-EMFILE, create(name2, 8, 1, 0));
	EXPECT_EQ(0, write_param("channels_per_user", "64"));
	EXPECT_EQ(0, write_param("producers_per_channel", "4"));
	EXPECT_EQ(-EMFILE, create(name2, 8, 5, 0));
	EXPECT_EQ(0, write_param("producers_per_channel", "1024"));
	EXPECT_EQ(0, write_param("bytes_per_channel", "65536"));
	EXPECT_EQ(-ENOSPC, create(name2, 4096, 4, 0));
	EXPECT_EQ(0, write_param("bytes_per_channel", "67108864"));
	EXPECT_EQ(0, ringmpsc_unlink(name));
}

/* Nothing is left: the module can be unloaded (the runner does it). */
TEST(no_references_left)
{
	char buf[32] = "";
	int fd = open("/sys/module/ringmpsc/refcnt", O_RDONLY);

	if (fd < 0)
		SKIP(return, "module not loadable here");
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_EQ(0, atoi(buf));
}

TEST_HARNESS_MAIN
