// SPDX-License-Identifier: MIT
/*
 * io_uring IORING_OP_MSG_RING contender (liburing): the producer owns one
 * ring and submits MSG_RING requests whose user_data (the 8-byte message)
 * the kernel posts as a CQE on the consumer's ring. The consumer reaps CQEs
 * from its completion queue in user space (no system call to receive);
 * the producer needs one io_uring_enter per batch. Flow control: a target
 * CQ that is full fails the request (-EOVERFLOW), so the producer keeps
 * at most cq_entries messages outstanding, using a counter the consumer
 * publishes. Successful MSG_RING requests post no CQE to the producer
 * (IOSQE_CQE_SKIP_SUCCESS); any CQE there is a failure.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define CQ_ENTRIES 4096

struct ur_state {
	struct io_uring cons;		/* target ring, consumer's */
	uint64_t consumed ALIGNED_LINE;	/* published by the consumer */
};

static bool ur_supports(const struct tp_params *p)
{
	return p->nprod == 1 && p->msg_size == 8 && !p->idle_rings && !p->fork &&
	       p->batch <= 256;
}

static int ur_setup(struct tp_ctx *c)
{
	struct ur_state *s = aligned_alloc(128, sizeof(*s));
	struct io_uring_params ip;
	int err;

	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	memset(&ip, 0, sizeof(ip));
	ip.flags = IORING_SETUP_CQSIZE;
	ip.cq_entries = CQ_ENTRIES;
	err = io_uring_queue_init_params(8, &s->cons, &ip);
	if (err) {
		free(s);
		return err;
	}
	c->priv = s;
	return 0;
}

static void ur_teardown(struct tp_ctx *c)
{
	struct ur_state *s = c->priv;

	io_uring_queue_exit(&s->cons);
	free(s);
}

static void ur_producer(struct tp_ctx *c, uint32_t id)
{
	struct ur_state *s = c->priv;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint32_t batch = c->p.batch;
	uint64_t seq = 0, n = c->per_prod;
	int target = s->cons.ring_fd;

	if (io_uring_queue_init(256, &ring, 0)) {
		c->error = -EIO;
		return;
	}
	wait_go(c);
	while (seq < n) {
		uint32_t k = n - seq < batch ? (uint32_t)(n - seq) : batch;

		/* Keep at most CQ_ENTRIES in flight. */
		while (seq + k - __atomic_load_n(&s->consumed, __ATOMIC_ACQUIRE) >
		       CQ_ENTRIES)
			cpu_relax();
		for (uint32_t i = 0; i < k; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_msg_ring(sqe, target, 0,
					       msg_value(id, seq + i), 0);
			sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
		}
		if (io_uring_submit(&ring) != (int)k) {
			c->error = -EIO;
			break;
		}
		seq += k;
	}
	if (io_uring_peek_cqe(&ring, &cqe) == 0)
		c->error = cqe->res ? cqe->res : -EIO;
	io_uring_queue_exit(&ring);
}

static void ur_consumer(struct tp_ctx *c)
{
	struct ur_state *s = c->priv;
	uint64_t total = total_msgs(c);
	uint32_t batch = c->p.batch;

	start_clock(c);
	while (c->v.count < total) {
		struct io_uring_cqe *cqe;
		unsigned head, k = 0;

		io_uring_for_each_cqe(&s->cons, head, cqe) {
			uint64_t m = cqe->user_data;

			check_run8(&c->v, 0, &m, 1);
			if (++k == batch)
				break;
		}
		if (!k) {
			cpu_relax();
			continue;
		}
		io_uring_cq_advance(&s->cons, k);
		__atomic_store_n(&s->consumed, c->v.count, __ATOMIC_RELEASE);
	}
	c->t_end = now_ns();
}

const struct contender ct_uring = {
	.name = "io_uring-MSG_RING",
	.supports = ur_supports,
	.setup = ur_setup,
	.producer = ur_producer,
	.consumer = ur_consumer,
	.teardown = ur_teardown,
};
