// SPDX-License-Identifier: MIT
/*
 * evloop_uv: a libuv consumer of local rings, fed by producers that are
 * libuv loops too (<ringmpsc/uv.h>).
 *
 * The consumer's handle calls back whenever a ring may have messages; the
 * callback drains with a budget, and the handle sleeps in the loop when
 * the rings are empty. Each producer sends until its ring is full, then
 * asks its handle to call back when there is room, and goes on from
 * there: its loop never blocks in the library. A repeating timer in every
 * loop fails the run when a loop made no progress for the stall bound (a
 * lost wakeup); the run fails too on any lost, duplicated or reordered
 * message.
 */
#include <ringmpsc/uv.h>	/* first: libuv's feature macros */

#include <pthread.h>

#include "evloop.h"

#define BUDGET	64

struct producer {
	pthread_t th;
	const struct ev_opts *o;
	struct ringmpsc_local *l;
	uint32_t ring;
	struct ringmpsc_producer p;
	struct ringmpsc_uv_producer h;
	uv_timer_t watchdog;
	uint64_t seq, seen;	/* sent; sent at the last watchdog tick */
	uint64_t waits;
	int err;
};

struct consumer {
	const struct ev_opts *o;
	struct ringmpsc_consumer c;
	struct ringmpsc_uv_consumer h;
	uv_timer_t watchdog;
	struct ev_tally t;
	uint64_t seen, calls;
	int err;
};

static const char *prog = "evloop_uv";

/* ---- producer ------------------------------------------------------------ */

static void producer_done(struct producer *pr, int err)
{
	pr->err = err;
	ringmpsc_uv_producer_close(&pr->h, NULL);
	uv_close((uv_handle_t *)&pr->watchdog, NULL);
}

static void pump(struct producer *pr);

static void on_room(struct ringmpsc_uv_producer *h, int status)
{
	struct producer *pr = (struct producer *)h->data;

	if (status)
		producer_done(pr, status);
	else
		pump(pr);
}

/* Send until done or full; when full, wait for room in the loop. */
static void pump(struct producer *pr)
{
	int err = 0;

	while (pr->seq < pr->o->messages) {
		struct ev_msg m = ev_msg_for(pr->ring, pr->seq);

		err = ringmpsc_try_send(&pr->p, &m, sizeof(m));
		if (err)
			break;
		pr->seq++;
	}
	if (err == -EAGAIN) {
		pr->waits++;
		err = ringmpsc_uv_producer_wait(&pr->h, 1, 0, on_room);
		if (!err)
			return;
	}
	producer_done(pr, err);
}

static void producer_watchdog(uv_timer_t *t)
{
	struct producer *pr = (struct producer *)t->data;

	if (pr->seq == pr->seen)
		producer_done(pr, -ETIMEDOUT);	/* waited, nobody woke us */
	pr->seen = pr->seq;
}

static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	uv_loop_t loop;
	int err = uv_loop_init(&loop);

	if (!err)
		err = ringmpsc_local_producer(pr->l, pr->ring, &pr->p);
	if (!err)
		err = ringmpsc_uv_producer_init(&loop, &pr->h, &pr->p);
	if (err) {
		pr->err = err;
		return NULL;
	}
	pr->h.data = pr;
	uv_timer_init(&loop, &pr->watchdog);
	pr->watchdog.data = pr;
	uv_timer_start(&pr->watchdog, producer_watchdog,
		       (uint64_t)pr->o->stall_ms, (uint64_t)pr->o->stall_ms);
	pump(pr);
	uv_run(&loop, UV_RUN_DEFAULT);	/* until both handles are closed */
	uv_loop_close(&loop);
	ringmpsc_producer_close(&pr->p);
	return NULL;
}

/* ---- consumer ------------------------------------------------------------ */

static void consumer_done(struct consumer *cs, int err)
{
	cs->err = err;
	ringmpsc_uv_consumer_close(&cs->h, NULL);
	uv_close((uv_handle_t *)&cs->watchdog, NULL);
}

static void on_messages(struct ringmpsc_uv_consumer *h, int status)
{
	struct consumer *cs = (struct consumer *)h->data;
	long got;

	cs->calls++;
	if (status) {
		consumer_done(cs, status);
		return;
	}
	got = ringmpsc_consume_batch(&cs->c, ev_take, &cs->t, BUDGET);
	if (got < 0)
		consumer_done(cs, (int)got);
	else if (cs->t.received == cs->o->messages * cs->o->producers)
		consumer_done(cs, 0);
}

static void consumer_watchdog(uv_timer_t *t)
{
	struct consumer *cs = (struct consumer *)t->data;

	if (cs->t.received == cs->seen)
		consumer_done(cs, -ETIMEDOUT);
	cs->seen = cs->t.received;
}

int main(int argc, char **argv)
{
	struct ev_opts o = { 100000, 2, 4, 5000 };
	struct producer pr[EV_MAX_PRODUCERS];
	struct ringmpsc_local *l;
	static struct consumer cs;
	uv_loop_t *loop = uv_default_loop();
	uint64_t t0, waits = 0;
	int err, status;

	status = ev_parse(argc, argv, &o,
			  "A libuv consumer of local rings whose producers are libuv\n"
			  "loops that wait for room without blocking.");
	if (status)
		return status;
	cs.o = &o;
	err = ringmpsc_local_create(&l, o.producers, sizeof(struct ev_msg),
				    o.capacity, 0);
	if (!err)
		err = ringmpsc_local_consumer(l, &cs.c);
	if (!err)
		err = ringmpsc_uv_consumer_init(loop, &cs.h, &cs.c);
	if (err)
		return ev_fail(prog, "setup", err);
	cs.h.data = &cs;
	uv_timer_init(loop, &cs.watchdog);
	cs.watchdog.data = &cs;
	uv_timer_start(&cs.watchdog, consumer_watchdog, (uint64_t)o.stall_ms,
		       (uint64_t)o.stall_ms);
	err = ringmpsc_uv_consumer_start(&cs.h, on_messages);
	if (err)
		return ev_fail(prog, "ringmpsc_uv_consumer_start", err);
	t0 = ev_now_ns();
	for (uint32_t i = 0; i < o.producers; i++) {
		pr[i] = (struct producer){ .o = &o, .l = l, .ring = i };
		pthread_create(&pr[i].th, NULL, producer_main, &pr[i]);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	status = cs.err ? ev_fail(prog, "consumer", cs.err) : 0;
	for (uint32_t i = 0; i < o.producers; i++) {
		pthread_join(pr[i].th, NULL);
		waits += pr[i].waits;
		if (pr[i].err)
			status = ev_fail(prog, "producer", pr[i].err);
	}
	status |= ev_verdict(prog, &cs.t, &o, ev_now_ns() - t0);
	printf("%s: %u producers, capacity %u: consumer called back %" PRIu64
	       " times, producers waited for room %" PRIu64 " times\n", prog,
	       o.producers, o.capacity, cs.calls, waits);
	uv_loop_close(loop);
	ringmpsc_consumer_close(&cs.c);
	ringmpsc_local_destroy(l);
	return status;
}
