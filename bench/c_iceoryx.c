// SPDX-License-Identifier: MIT
/*
 * Eclipse iceoryx contender, through its C binding (iceoryx 2.0). Every
 * producer is a process with its own runtime and one publisher; the
 * consumer is a process with one subscriber of the same service (iceoryx
 * allows one runtime per process, so neither side can be a thread of
 * ringbench). The broker, RouDi, is started by iox_roudi.c.
 *
 * A sample is a chunk loaned from RouDi's mempool, written in place and
 * published (zero-copy). batch 1: one message per chunk; batch B: B
 * messages in one chunk of B * size bytes (iceoryx has no batch call: a
 * bigger sample is how a user batches). Lossless: the publisher waits for
 * the subscriber (ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER with
 * QueueFullPolicy_BLOCK_PRODUCER; iceoryx's publisher then loops on
 * sched_yield()), and the subscriber's queue holds 256 chunks, the most
 * iceoryx 2.0 allows. The consumer polls iox_sub_take_chunk().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <iceoryx_binding_c/config.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>

#include "bench.h"
#include "iox_roudi.h"

#define IOX_SERVICE	"ringbench"
#define IOX_EVENT	"messages"
#define IOX_CONNECT_MS	10000

struct iox_state {			/* shared memory */
	char instance[64];		/* one service instance per run */
	volatile uint32_t joined;	/* producers registered with RouDi */
	volatile uint32_t left;		/* producers unregistered */
};

/* This process's run, for its exit handler. */
static struct iox_state *g_state;

static bool iox_supports(const struct tp_params *p)
{
	return p->fork && !p->idle_rings && (!p->stamped || p->batch == 1);
}

static int iox_setup(struct tp_ctx *c)
{
	static unsigned run;
	struct iox_state *s;

	if (roudi_error())
		return roudi_error();
	s = shared_alloc(sizeof(*s));
	snprintf(s->instance, sizeof(s->instance), "%d-%u", getpid(), run++);
	c->priv = s;
	return 0;
}

static void iox_teardown(struct tp_ctx *c)
{
	shared_free(c->priv, sizeof(struct iox_state));
}

/* This process's runtime: one per process, unregistered at exit(). */
static void runtime_init(void)
{
	char name[64];

	snprintf(name, sizeof(name), IOX_RUNTIME_PREFIX "%d", getpid());
	iox_set_loglevel(Iceoryx_LogLevel_Error);
	iox_runtime_init(name);
}

/*
 * Producers talk to RouDi one at a time, in the order of their ids: RouDi
 * takes requests on a socket that queues 5, and 64 processes registering
 * or unregistering at once overflow it (iceoryx then retries, printing
 * every failure, and may give up: a process that never unregistered keeps
 * its ports in RouDi, which has room for 512 publishers).
 */
static void wait_turn(volatile uint32_t *turn, uint32_t id)
{
	while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != id)
		usleep(100);
}

static void pass_turn(volatile uint32_t *turn)
{
	__atomic_fetch_add(turn, 1, __ATOMIC_RELEASE);
}

/* At exit(), after the runtime's destructor unregistered this process
 * (registered before the runtime existed, so it runs after it).
 */
static void left_roudi(void)
{
	pass_turn(&g_state->left);
}

/* RouDi connects publisher and subscriber in its discovery loop (every
 * 100 ms); what is published before is not delivered.
 */
static bool wait_connected(iox_pub_t pub)
{
	for (int ms = 0; ms < IOX_CONNECT_MS; ms++) {
		if (iox_pub_has_subscribers(pub))
			return true;
		usleep(1000);
	}
	return false;
}

static void iox_producer(struct tp_ctx *c, uint32_t id)
{
	struct iox_state *s = c->priv;
	uint32_t batch = c->p.batch, size = c->p.msg_size, words = size / 8;
	uint64_t seq = 0, n = c->per_prod;
	iox_pub_storage_t storage;
	iox_pub_options_t opt;
	struct pacer pc;
	iox_pub_t pub;

	g_state = c->priv;
	atexit(left_roudi);
	wait_turn(&s->joined, id);
	runtime_init();
	iox_pub_options_init(&opt);
	opt.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
	pub = iox_pub_init(&storage, IOX_SERVICE, s->instance, IOX_EVENT, &opt);
	pass_turn(&s->joined);
	if (!wait_connected(pub))
		c->error = -ETIMEDOUT;
	wait_go(c);
	pacer_start(&pc, c->p.pace);
	while (seq < n && !c->error) {
		uint32_t k = n - seq < batch ? (uint32_t)(n - seq) : batch;
		uint64_t stamp = c->p.stamped ? pacer_wait(&pc, seq) : 0;
		void *chunk;

		if (iox_pub_loan_chunk(pub, &chunk, k * size) != AllocationResult_SUCCESS) {
			c->error = -ENOMEM;	/* RouDi's mempool is too small */
			break;
		}
		if (c->p.stamped)
			fill_stamped(chunk, id, seq, stamp);
		else if (words == 1)
			fill_run8(chunk, id, seq, k);
		else
			fill_msgs(chunk, id, seq, k, words, size);
		iox_pub_publish_chunk(pub, chunk);
		seq += k;
	}
	wait_turn(&s->left, id);
	iox_pub_deinit(pub);
}

static void iox_consumer(struct tp_ctx *c)
{
	const struct iox_state *s = c->priv;
	uint64_t total = total_msgs(c);
	iox_sub_storage_t storage;
	iox_sub_options_t opt;
	iox_sub_t sub;

	runtime_init();
	iox_sub_options_init(&opt);
	opt.queueCapacity = iox_cfg_max_subscriber_queue_capacity();
	opt.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	sub = iox_sub_init(&storage, IOX_SERVICE, s->instance, IOX_EVENT, &opt);
	start_clock(c);
	while (c->v.count < total && !c->error) {
		const void *chunk;
		uint32_t prod;

		if (iox_sub_take_chunk(sub, &chunk) != ChunkReceiveResult_SUCCESS) {
			idle_poll(c);
			continue;
		}
		/* The chunk holds what its producer sent in one call: a batch,
		 * or what was left of its messages.
		 */
		prod = msg_producer(&c->v, *(const uint64_t *)chunk);
		if (prod < MAX_PRODUCERS && c->v.next[prod] < c->per_prod) {
			uint64_t left = c->per_prod - c->v.next[prod];

			check_sample(c, prod, chunk,
				     left < c->p.batch ? (uint32_t)left : c->p.batch);
		} else {
			c->v.bad |= 1;	/* no such producer, or one too many */
			c->error = -EPROTO;
		}
		iox_sub_release_chunk(sub, chunk);
	}
	c->t_end = now_ns();
	iox_sub_deinit(sub);
}

const struct contender ct_iceoryx = {
	.name = "iceoryx",
	.supports = iox_supports,
	.setup = iox_setup,
	.producer = iox_producer,
	.consumer = iox_consumer,
	.teardown = iox_teardown,
	.consumer_process = true,
};
