// SPDX-License-Identifier: MIT
/*
 * Kernel IPC contenders, blocking file descriptors:
 *  - pipe: batch 1 = one 8-byte write(2)/read(2) per message; batch B =
 *    writes of B messages (B * size bytes, e.g. 4 KiB = 512 x 8 B) and
 *    reads of the same size, partial reads carried over. Several producers
 *    may share it (workload 6): writes up to PIPE_BUF do not interleave;
 *    a paced producer stamps its messages (workload 7);
 *  - AF_UNIX SOCK_SEQPACKET socketpair: the same, one packet per write;
 *  - POSIX message queue: one mq_send/mq_receive per message;
 *  - eventfd (EFD_SEMAPHORE): the counter is the message, so it carries no
 *    payload: each write adds 1, each read takes 1 and must return 1; the
 *    consumer counts them (no sequence can be checked: say so).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct fd_state {
	int rfd, wfd;
	mqd_t mq;
};

/* Several producers share the descriptor when their writes are atomic
 * (PIPE_BUF; a packet): each 8-byte message then names its producer.
 */
static bool fd_supports(const struct tp_params *p)
{
	if (p->idle_rings || (p->stamped && p->batch != 1))
		return false;
	return p->nprod == 1 ||
	       (p->msg_size == 8 && !p->stamped && p->batch * 8 <= PIPE_BUF);
}

static bool single_supports(const struct tp_params *p)
{
	return p->nprod == 1 && !p->idle_rings && p->batch == 1 && p->msg_size == 8;
}

static int pipe_setup(struct tp_ctx *c)
{
	struct fd_state *s = calloc(1, sizeof(*s));
	int fds[2];

	if (!s || pipe2(fds, O_CLOEXEC))
		return -errno;
	s->rfd = fds[0];
	s->wfd = fds[1];
	c->priv = s;
	return 0;
}

static int unix_setup(struct tp_ctx *c)
{
	struct fd_state *s = calloc(1, sizeof(*s));
	int fds[2], sz = 4 << 20;

	if (!s || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds))
		return -errno;
	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	s->wfd = fds[0];
	s->rfd = fds[1];
	c->priv = s;
	return 0;
}

static void fd_teardown(struct tp_ctx *c)
{
	struct fd_state *s = c->priv;

	close(s->rfd);
	if (s->wfd >= 0)
		close(s->wfd);
	free(s);
}

/* The producers hold the write end: when the last one dies (or is killed
 * by the watchdog) the consumer's read returns 0.
 */
static void fd_producers_forked(struct tp_ctx *c)
{
	struct fd_state *s = c->priv;

	close(s->wfd);
	s->wfd = -1;
}

static void fd_producer(struct tp_ctx *c, uint32_t id)
{
	struct fd_state *s = c->priv;
	uint32_t batch = c->p.batch, words = c->p.msg_size / 8;
	size_t sz = c->p.msg_size;
	uint64_t seq = 0, n = c->per_prod;
	unsigned char *buf = aligned_alloc(64, (size_t)batch * sz + 64);
	struct pacer pc;

	if (!buf)
		die("alloc");
	wait_go(c);
	pacer_start(&pc, c->p.pace);
	while (seq < n) {
		uint32_t k = n - seq < batch ? (uint32_t)(n - seq) : batch;
		ssize_t w;

		if (c->p.stamped)
			fill_stamped(buf, id, seq, pacer_wait(&pc, seq));
		else
			fill_msgs(buf, id, seq, k, words, sz);
		w = write(s->wfd, buf, k * sz);
		if (w != (ssize_t)(k * sz)) {
			c->error = -EIO;
			break;
		}
		seq += k;
	}
	free(buf);
}

static void fd_consumer(struct tp_ctx *c)
{
	struct fd_state *s = c->priv;
	uint32_t batch = c->p.batch;
	size_t sz = c->p.msg_size, want = (size_t)batch * sz, have = 0;
	uint64_t total = total_msgs(c);
	unsigned char *buf = aligned_alloc(64, 2 * want + 64);

	if (!buf)
		die("alloc");
	start_clock(c);
	while (c->v.count < total) {
		ssize_t r = read(s->rfd, buf + have, want);
		size_t whole;

		if (r <= 0) {
			/* keep the watchdog's -ETIMEDOUT, if it came first */
			if (!c->error)
				c->error = -EIO;
			break;
		}
		have += (size_t)r;
		whole = have / sz;
		if (c->p.nprod > 1) {
			for (size_t i = 0; i < whole; i++)
				check_one(&c->v, ((const uint64_t *)buf)[i]);
		} else {
			check_sample(c, 0, buf, (uint32_t)whole);
		}
		if (have % sz)
			memmove(buf, buf + whole * sz, have % sz);
		have %= sz;
	}
	c->t_end = now_ns();
	free(buf);
}

const struct contender ct_pipe = {
	.name = "pipe",
	.supports = fd_supports,
	.setup = pipe_setup,
	.producer = fd_producer,
	.consumer = fd_consumer,
	.teardown = fd_teardown,
	.producers_forked = fd_producers_forked,
};

const struct contender ct_unix = {
	.name = "unix-seqpacket",
	.supports = fd_supports,
	.setup = unix_setup,
	.producer = fd_producer,
	.consumer = fd_consumer,
	.teardown = fd_teardown,
	.producers_forked = fd_producers_forked,
};

/* ---- POSIX message queue ------------------------------------------------ */

static int mq_setup(struct tp_ctx *c)
{
	struct fd_state *s = calloc(1, sizeof(*s));
	struct mq_attr a = { .mq_maxmsg = 256, .mq_msgsize = 8 };
	char name[64];

	if (!s)
		return -ENOMEM;
	snprintf(name, sizeof(name), "/ringbench-%d", getpid());
	s->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	if (s->mq == (mqd_t)-1) {
		a.mq_maxmsg = 10;	/* fs.mqueue.msg_max default */
		s->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	}
	if (s->mq == (mqd_t)-1) {
		free(s);
		return -errno;
	}
	mq_unlink(name);
	c->priv = s;
	return 0;
}

static void mq_teardown(struct tp_ctx *c)
{
	struct fd_state *s = c->priv;

	mq_close(s->mq);
	free(s);
}

static void mq_producer(struct tp_ctx *c, uint32_t id)
{
	struct fd_state *s = c->priv;
	uint64_t n = c->per_prod;

	wait_go(c);
	for (uint64_t seq = 0; seq < n; seq++) {
		uint64_t m = msg_value(id, seq);

		if (mq_send(s->mq, (const char *)&m, 8, 0)) {
			c->error = -errno;
			break;
		}
	}
}

static void mq_consumer(struct tp_ctx *c)
{
	struct fd_state *s = c->priv;
	uint64_t total = total_msgs(c);

	start_clock(c);
	while (c->v.count < total) {
		uint64_t m;

		if (mq_receive(s->mq, (char *)&m, 8, NULL) != 8) {
			c->error = -EIO;
			break;
		}
		check_run8(&c->v, 0, &m, 1);
	}
	c->t_end = now_ns();
}

const struct contender ct_mq = {
	.name = "posix-mqueue",
	.supports = single_supports,
	.setup = mq_setup,
	.producer = mq_producer,
	.consumer = mq_consumer,
	.teardown = mq_teardown,
};

/* ---- eventfd ------------------------------------------------------------ */

static int efd_setup(struct tp_ctx *c)
{
	struct fd_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->rfd = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);
	if (s->rfd < 0) {
		free(s);
		return -errno;
	}
	s->wfd = dup(s->rfd);
	c->priv = s;
	return 0;
}

static void efd_producer(struct tp_ctx *c, uint32_t id)
{
	struct fd_state *s = c->priv;
	uint64_t one = 1;

	(void)id;
	wait_go(c);
	for (uint64_t seq = 0; seq < c->per_prod; seq++)
		if (write(s->wfd, &one, 8) != 8) {
			c->error = -errno;
			break;
		}
}

static void efd_consumer(struct tp_ctx *c)
{
	struct fd_state *s = c->priv;
	uint64_t total = total_msgs(c);

	start_clock(c);
	while (c->v.count < total) {
		uint64_t m;

		if (read(s->rfd, &m, 8) != 8) {
			c->error = -EIO;
			break;
		}
		/* No payload: the only check is that one unit arrived. The
		 * k-th unit stands for sequence k so that the checksum matches.
		 */
		c->v.bad |= m ^ 1;
		m = msg_value(0, c->v.next[0]);
		check_run8(&c->v, 0, &m, 1);
	}
	c->t_end = now_ns();
}

const struct contender ct_eventfd = {
	.name = "eventfd",
	.supports = single_supports,
	.setup = efd_setup,
	.producer = efd_producer,
	.consumer = efd_consumer,
	.teardown = fd_teardown,
};
