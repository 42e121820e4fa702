// SPDX-License-Identifier: MIT
/*
 * ZeroMQ contender: ipc:// PUSH/PULL, the simple many-to-one pattern.
 * Every producer is a process with its own context and a PUSH socket
 * connected to the consumer's PULL socket, which is bound in a process of
 * its own (a context must not cross fork()). batch 1: one ZeroMQ message
 * per message; batch B: B messages in one ZeroMQ message of B * size
 * bytes. Lossless: a PUSH socket blocks at its high-water mark (1000
 * messages, the default) until the consumer reads; PULL fair-queues the
 * producers and keeps each one's messages in order. Both sides block in
 * the library (zmq_send, zmq_msg_recv); each context has one I/O thread,
 * on its side's CPU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bench.h"

/* /tmp/ringbench-zmq-PID-RUN: the consumer's socket */
#define ZMQ_PREFIX	"ringbench-zmq-"

struct zmq_state {			/* shared memory */
	char endpoint[112];
	char path[96];
	volatile uint32_t bound;	/* the consumer listens */
};

static bool zmq_supports(const struct tp_params *p)
{
	return p->fork && !p->idle_rings && (!p->stamped || p->batch == 1);
}

static int zmq_setup(struct tp_ctx *c)
{
	static unsigned run;
	struct zmq_state *s = shared_alloc(sizeof(*s));

	if (!run)
		remove_stale_tmp(ZMQ_PREFIX);
	snprintf(s->path, sizeof(s->path), "/tmp/" ZMQ_PREFIX "%d-%u", getpid(),
		 run++);
	snprintf(s->endpoint, sizeof(s->endpoint), "ipc://%s", s->path);
	c->priv = s;
	return 0;
}

static void zmq_teardown(struct tp_ctx *c)
{
	struct zmq_state *s = c->priv;

	unlink(s->path);
	shared_free(s, sizeof(*s));
}

static void zmq_producer(struct tp_ctx *c, uint32_t id)
{
	struct zmq_state *s = c->priv;
	uint32_t batch = c->p.batch, size = c->p.msg_size, words = size / 8;
	uint64_t seq = 0, n = c->per_prod;
	uint64_t buf[512 * 2];
	void *ctx = zmq_ctx_new();
	void *sock = ctx ? zmq_socket(ctx, ZMQ_PUSH) : NULL;
	struct pacer pc;

	if (batch * size > sizeof(buf))
		c->error = -EMSGSIZE;
	while (!__atomic_load_n(&s->bound, __ATOMIC_ACQUIRE) && !c->error)
		usleep(1000);
	if (!sock || zmq_connect(sock, s->endpoint))
		c->error = -errno;
	wait_go(c);
	pacer_start(&pc, c->p.pace);
	while (seq < n && !c->error) {
		uint32_t k = n - seq < batch ? (uint32_t)(n - seq) : batch;

		if (c->p.stamped)
			fill_stamped(buf, id, seq, pacer_wait(&pc, seq));
		else if (words == 1)
			fill_run8(buf, id, seq, k);
		else
			fill_msgs(buf, id, seq, k, words, size);
		if (zmq_send(sock, buf, k * size, 0) != (int)(k * size)) {
			if (errno == EINTR)
				continue;
			c->error = -errno;
			break;
		}
		seq += k;
	}
	/* Closed only once the consumer has every message: a PULL socket
	 * drops what a peer that disconnects still had in flight (seen under
	 * -R, where the producer runs ahead and exits first).
	 */
	while (!c->t_end && !c->error)
		usleep(1000);
	if (sock && c->error)
		zmq_setsockopt(sock, ZMQ_LINGER, &(int){ 0 }, sizeof(int));
	if (sock)
		zmq_close(sock);
	if (ctx)
		zmq_ctx_term(ctx);
}

static void zmq_consumer(struct tp_ctx *c)
{
	struct zmq_state *s = c->priv;
	uint32_t size = c->p.msg_size, most = c->p.batch * size;
	uint64_t total = total_msgs(c), aligned[512 * 2];
	void *ctx = zmq_ctx_new();
	void *sock = ctx ? zmq_socket(ctx, ZMQ_PULL) : NULL;
	zmq_msg_t m;

	/* Wake up now and then to notice a run that failed elsewhere. */
	if (sock)
		zmq_setsockopt(sock, ZMQ_RCVTIMEO, &(int){ 1000 }, sizeof(int));
	if (!sock || zmq_bind(sock, s->endpoint))
		c->error = -errno;
	__atomic_store_n(&s->bound, 1, __ATOMIC_RELEASE);
	zmq_msg_init(&m);
	start_clock(c);
	while (c->v.count < total && !c->error) {
		int len = zmq_msg_recv(&m, sock, 0);
		const void *data = zmq_msg_data(&m);
		uint32_t prod;

		if (len < 0) {
			if (errno != EINTR && errno != EAGAIN)
				c->error = -errno;
			continue;
		}
		if (len == 0 || len % size || (uint32_t)len > most ||
		    (uint32_t)len > sizeof(aligned)) {
			c->error = -EPROTO;
			break;
		}
		if ((uintptr_t)data % 8) {	/* a short message lives in m */
			memcpy(aligned, data, (size_t)len);
			data = aligned;
		}
		prod = msg_producer(&c->v, *(const uint64_t *)data);
		if (prod == MAX_PRODUCERS) {
			c->error = -EPROTO;
			break;
		}
		check_sample(c, prod, data, (uint32_t)len / size);
	}
	c->t_end = now_ns();
	zmq_msg_close(&m);
	if (sock)
		zmq_close(sock);
	if (ctx)
		zmq_ctx_term(ctx);
}

const struct contender ct_zmq = {
	.name = "zmq-ipc",
	.supports = zmq_supports,
	.setup = zmq_setup,
	.producer = zmq_producer,
	.consumer = zmq_consumer,
	.teardown = zmq_teardown,
	.consumer_process = true,
};
