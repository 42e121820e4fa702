// SPDX-License-Identifier: MIT
/*
 * eventfd + shared memory contender: the design a programmer writes first.
 * A single-producer ring of the bench's own in a shared mapping (head and
 * tail on lines of their own, load-acquire/store-release), and one
 * write(2) to an eventfd after every message; the consumer drains the
 * ring and, whenever it finds it empty, sleeps in read(2) on the eventfd.
 * Every message costs the producer a system call, whether the consumer
 * sleeps or not: what ringmpsc's NEED_WAKEUP flag avoids.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"

struct efd_ring {			/* shared memory */
	volatile uint64_t tail ALIGNED_LINE;	/* written by the producer */
	volatile uint64_t head ALIGNED_LINE;	/* written by the consumer */
	int efd;
	uint32_t capacity;		/* slots, a power of two */
	size_t bytes;
	unsigned char slots[] ALIGNED_LINE;
};

static bool er_supports(const struct tp_params *p)
{
	return p->nprod == 1 && p->batch == 1 && !p->idle_rings;
}

static int er_setup(struct tp_ctx *c)
{
	size_t bytes = sizeof(struct efd_ring) + (size_t)c->p.capacity * c->p.msg_size;
	struct efd_ring *r = shared_alloc(bytes);

	r->bytes = bytes;
	r->capacity = c->p.capacity;
	r->efd = eventfd(0, EFD_CLOEXEC);
	if (r->efd < 0) {
		shared_free(r, bytes);
		return -errno;
	}
	c->priv = r;
	return 0;
}

static void er_teardown(struct tp_ctx *c)
{
	struct efd_ring *r = c->priv;

	close(r->efd);
	shared_free(r, r->bytes);
}

static unsigned char *er_slot(struct efd_ring *r, uint64_t i, uint32_t size)
{
	return r->slots + (size_t)(i & (r->capacity - 1)) * size;
}

static void er_producer(struct tp_ctx *c, uint32_t id)
{
	struct efd_ring *r = c->priv;
	uint32_t size = c->p.msg_size;
	uint64_t head = 0, one = 1;
	struct pacer pc;

	wait_go(c);
	pacer_start(&pc, c->p.pace);
	for (uint64_t seq = 0; seq < c->per_prod && !c->error; seq++) {
		uint64_t stamp = pacer_wait(&pc, seq);
		unsigned char *slot = er_slot(r, seq, size);

		/* Pairs with the consumer's store-release of head. */
		while (seq - head >= r->capacity) {
			cpu_relax();
			head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		}
		if (c->p.stamped)
			fill_stamped(slot, id, seq, stamp);
		else
			fill_msgs(slot, id, seq, 1, size / 8, size);
		/* Pairs with the consumer's load-acquire of tail. */
		__atomic_store_n(&r->tail, seq + 1, __ATOMIC_RELEASE);
		if (write(r->efd, &one, sizeof(one)) != sizeof(one))
			c->error = -errno;
	}
}

static void er_consumer(struct tp_ctx *c)
{
	struct efd_ring *r = c->priv;
	uint32_t size = c->p.msg_size;
	uint64_t total = total_msgs(c), head = 0;

	start_clock(c);
	while (c->v.count < total && !c->error) {
		uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE), n;

		if (tail == head) {
			if (read(r->efd, &n, sizeof(n)) != sizeof(n))
				c->error = -errno;
			continue;
		}
		for (; head < tail; head++)
			check_sample(c, 0, er_slot(r, head, size), 1);
		__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
	}
	c->t_end = now_ns();
}

const struct contender ct_efd_shm = {
	.name = "eventfd+shm",
	.supports = er_supports,
	.setup = er_setup,
	.producer = er_producer,
	.consumer = er_consumer,
	.teardown = er_teardown,
};
