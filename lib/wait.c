// SPDX-License-Identifier: MIT
/*
 * Waits: the sleeping half of the wakeup protocol (spec.md sections 3 and
 * 8), for the blocking calls and for event loops (prepare/finish). Set
 * NEED_WAKEUP, the sleeper's barrier, re-check, sleep on the eventfd (or
 * let the caller's loop do it), clear the flag. The publishing half is
 * inline in ringmpsc.h (with the diagram of the pair); the barrier is in
 * asym_barrier.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/*
 * Spinning (spec.md section 3): before arming NEED_WAKEUP, and paying for
 * membarrier() and the peer's wake call, a waiter polls its ring for up to
 * spin_ns. A peer that publishes within that time costs neither side a
 * system call. Process-wide, set with ringmpsc_set_wait_spin_ns().
 */
static uint32_t spin_ns = RINGMPSC_WAIT_SPIN_NS;

uint32_t ringmpsc_set_wait_spin_ns(uint32_t ns)
{
	/* Process-private, any thread: relaxed, it is only a bound. */
	return __atomic_exchange_n(&spin_ns, ns, __ATOMIC_RELAXED);
}

struct spin {
	int64_t end;
	uint32_t rounds;
};

/* Start a spin; false when spinning is off. */
static bool spin_start(struct spin *s)
{
	uint32_t ns = __atomic_load_n(&spin_ns, __ATOMIC_RELAXED);

	s->end = now_ns() + ns;
	s->rounds = 0;
	return ns != 0;
}

/* Pause once; false when the bound is spent (the clock is read every 32
 * pauses: a pause is tens of ns, a clock read as much).
 */
static bool spin_more(struct spin *s)
{
	ringmpsc_cpu_relax();
	return ++s->rounds % 32 || now_ns() < s->end;
}

/* Milliseconds left before @deadline (-1: none), never negative. */
static int remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left > 0 ? (int)(left > INT32_MAX ? INT32_MAX : left) : 0;
}

static int64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static bool expired(int64_t deadline)
{
	return deadline >= 0 && now_ms() >= deadline;
}

/* How long one sleep may last. When a wakeup can be missed (the sleeper's
 * barrier failed, or a ring is not mapped), sleep in short slices and
 * re-check rather than risk sleeping forever. INV-WAKE-06.
 */
static int sleep_ms(int64_t deadline, int unarmed_err)
{
	int left = remaining_ms(deadline);

	if (!unarmed_err)
		return left;
	return left < 0 || left > RINGMPSC_WAIT_SLICE_MS ?
	       RINGMPSC_WAIT_SLICE_MS : left;
}

/* Sleep on @fd until signalled or @timeout_ms passes; consume the count.
 * 0 when signalled, -ETIMEDOUT, -EINTR, or another negative errno.
 */
static int sleep_on(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t count;
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	/* Nonblocking: a racing reader may have taken the count already. */
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/*
 * Drop the count of @fd: what signalled it happened before this read, and
 * its effect on the ring (an index, a state) before its signal, so the
 * check that follows sees it. Done before arming, so that a loop is not
 * woken by what its last check already saw, and at the finish.
 * Nonblocking: EAGAIN (nothing pending) is fine.
 */
static void drain_eventfd(int fd)
{
	uint64_t count;
	ssize_t n = 0;

	if (fd >= 0)
		n = read(fd, &count, sizeof(count));
	(void)n;
}

static void set_flag(uint32_t *flag, uint32_t v)
{
	/* (E) when setting NEED_WAKEUP. Single writer: only this side stores
	 * its own flag (INV-RING-04). Ordering against the re-check is the
	 * caller's barrier (G). INV-WAKE-01.
	 */
	RINGMPSC_WRITE_ONCE(*flag, v);
}

/*
 * Is a producer's wait over? 1: @n slots are free (and, with
 * RINGMPSC_WAIT_CONSUMER, a consumer is attached); -EPIPE: fewer are free,
 * no consumer is attached to free them, and the caller does not wait for
 * one; 0: not yet. Loads head as (A) and the consumer's presence.
 */
static int producer_check(struct ringmpsc_producer *p, uint32_t n,
			  uint32_t flags)
{
	bool room = ringmpsc__free(p, n) >= n;
	bool present = ringmpsc_consumer_present(p);

	if (room && (present || !(flags & RINGMPSC_WAIT_CONSUMER)))
		return 1;
	if (!present && !(flags & RINGMPSC_WAIT_CONSUMER))
		return -EPIPE;
	return 0;
}

/*
 * Set NEED_WAKEUP unless the wait is over (spec.md section 3, the pair
 * with the producer asleep; section 8). 1 or -EPIPE: over, flag clear.
 * 0: armed, and *@unarmed_err says whether the eventfd may stay silent
 * anyway: the barrier failed (INV-WAKE-06), or -ENOTCONN: only a
 * consumer's arrival is awaited and the module does not announce one
 * (INV-STREAM-04).
 */
static int producer_arm(struct ringmpsc_producer *p, uint32_t n,
			uint32_t flags, bool spin, int *unarmed_err)
{
	int r = producer_check(p, n, flags);
	struct spin s;

	if (spin && !r && spin_start(&s))
		while (!r && spin_more(&s))
			r = producer_check(p, n, flags);
	if (r)
		return r;
	drain_eventfd(p->wait_fd);
	set_flag(p->flags_p, RINGMPSC_NEED_WAKEUP);
	/* (G): the flag is visible before we look at head again; pairs
	 * with the consumer's barrier (F) after its head release (D).
	 * INV-WAKE-01, INV-WAKE-02.
	 */
	*unarmed_err = ringmpsc__sleeper_barrier();
	/* The re-check. A departure or an arrival the module signals after
	 * our drain is either seen here or still in the eventfd's count,
	 * which only the finish consumes. INV-STREAM-01
	 */
	r = producer_check(p, n, flags);
	if (r) {
		set_flag(p->flags_p, 0);
		return r;
	}
	if (!*unarmed_err && ringmpsc__free(p, n) >= n &&
	    !ringmpsc__consumer_arrival_announced(p))
		*unarmed_err = -ENOTCONN;
	return 0;
}

int ringmpsc_wait_space(struct ringmpsc_producer *p, uint32_t n, int timeout_ms)
{
	int64_t deadline = deadline_after(timeout_ms);
	int err, unarmed_err = 0;

	if (n == 0 || n > p->capacity)
		return -EINVAL;
	if (p->wait_fd < 0)
		return -EOPNOTSUPP;
	for (;;) {
		err = producer_arm(p, n, 0, timeout_ms != 0, &unarmed_err);
		if (err)
			return err > 0 ? 0 : err;
		err = sleep_on(p->wait_fd, sleep_ms(deadline, unarmed_err));
		set_flag(p->flags_p, 0);
		if (err == -ETIMEDOUT && !expired(deadline))
			continue;	/* an unarmed slice ended */
		if (err == -ETIMEDOUT)
			return ringmpsc__free(p, n) >= n ? 0 : -ETIMEDOUT;
		if (err)
			return err;
	}
}

int ringmpsc_send(struct ringmpsc_producer *p, const void *msg, size_t len,
		  int timeout_ms)
{
	int64_t deadline = deadline_after(timeout_ms);
	int err;

	for (;;) {
		err = ringmpsc_try_send(p, msg, len);
		if (err != -EAGAIN)
			return err;
		err = ringmpsc_wait_space(p, 1, remaining_ms(deadline));
		if (err)
			return err;
	}
}

int ringmpsc_consumer_eventfd(const struct ringmpsc_consumer *c)
{
	return c->wait_fd >= 0 ? c->wait_fd : -EOPNOTSUPP;
}

int ringmpsc_producer_eventfd(const struct ringmpsc_producer *p)
{
	return p->wait_fd >= 0 ? p->wait_fd : -EOPNOTSUPP;
}

int ringmpsc_producer_wait_prepare(struct ringmpsc_producer *p, uint32_t n,
				   uint32_t flags)
{
	int unarmed_err = 0, r;

	if (!p || !p->ops)
		return -EBADF;		/* closed */
	if (n == 0 || n > p->capacity || (flags & ~RINGMPSC_WAIT_CONSUMER))
		return -EINVAL;
	if (p->wait_fd < 0)
		return -EOPNOTSUPP;
	r = producer_arm(p, n, flags, true, &unarmed_err);
	if (r == 0 && unarmed_err) {
		set_flag(p->flags_p, 0);
		return unarmed_err;
	}
	return r;
}

void ringmpsc_producer_wait_finish(struct ringmpsc_producer *p)
{
	if (!p || !p->ops)
		return;
	set_flag(p->flags_p, 0);
	drain_eventfd(p->wait_fd);
}

int ringmpsc_wait_retry_ms(int err)
{
	switch (err) {
	case -EINVAL:
	case -EOPNOTSUPP:
	case -EPIPE:
	case -EBADF:
		return -1;
	case -ENOTCONN:
		return RINGMPSC_WAIT_ATTACH_SLICE_MS;
	default:
		return err < 0 ? RINGMPSC_WAIT_SLICE_MS : -1;
	}
}

static void set_consumer_flags(struct ringmpsc_consumer *c, uint32_t v)
{
	for (uint32_t i = 0; i < c->nr_rings; i++)
		if (c->rings[i].live && !c->rings[i].broken)
			set_flag(c->rings[i].flags_p, v);
}

/* Anything for the consumer to do? Reloads every tail. */
static bool consumer_has_work(struct ringmpsc_consumer *c)
{
	/* Pairs with the module's store-release of ring_epoch. INV-LIFE-01 */
	if (ringmpsc_smp_load_acquire(c->ring_epoch_p) != c->ring_epoch)
		return true;
	for (uint32_t i = 0; i < c->nr_rings; i++) {
		struct ringmpsc_cring *r = &c->rings[i];

		if (!r->live)
			continue;
		/* A departed producer's ring, drained, waits for the consume
		 * that recycles it (INV-LIFE-02): work. The module's signal
		 * of the detach (INV-WAKE-05) cannot be relied on here: a
		 * refresh before this check may have seen the detach, and
		 * the eventfd is drained before arming. Not while messages
		 * of it are taken: their release comes first.
		 */
		if (r->detached && !r->taken)
			return true;
		if (r->broken)
			continue;
		/* Work is what is unread: taken messages wait for their
		 * taker's release, not for the ring. INV-RING-12
		 */
		if (r->cached_tail - r->head != r->taken)
			return true;
		/* The re-check, as (C): pairs with the producer's
		 * store-release of tail (B). INV-RING-05. Any other value is
		 * work, a corrupt one too: consume checks it and reports
		 * -EPROTO to the caller (INV-RING-10), so it is not judged
		 * (and marked broken, silently) here.
		 */
		if (ringmpsc_smp_load_acquire(r->tail_p) != r->head + r->taken)
			return true;
	}
	return false;
}

/* Set NEED_WAKEUP in every ring unless there is work. 1: work, flags
 * clear; 0: armed, and *@unarmed_err says whether a wakeup can still be
 * missed: the barrier failed (INV-WAKE-06), or a live ring could not be
 * mapped (INV-WAKE-03); or a negative errno.
 */
static int consumer_arm(struct ringmpsc_consumer *c, bool spin,
			int *unarmed_err)
{
	struct spin s;

	if (c->wait_fd < 0)
		return -EOPNOTSUPP;
	/* Map rings that became live, so that our flag is set in them too;
	 * one that failed to map before is tried again. A failure (the only
	 * error a refresh has) stays in c->map_err, which leaves us unarmed.
	 */
	if (c->map_err)
		(void)ringmpsc_consumer_refresh(c);
	else
		(void)ringmpsc__refresh_if_changed(c);
	if (consumer_has_work(c))
		return 1;
	if (spin && spin_start(&s))
		while (spin_more(&s))
			if (consumer_has_work(c))
				return 1;
	drain_eventfd(c->wait_fd);
	set_consumer_flags(c, RINGMPSC_NEED_WAKEUP);
	/* (G): our flags are visible before we look at any tail again;
	 * pairs with the producer's barrier (F) after its tail commit (B).
	 * INV-WAKE-01, INV-WAKE-02.
	 */
	*unarmed_err = ringmpsc__sleeper_barrier();
	if (!*unarmed_err)
		*unarmed_err = c->map_err;
	if (consumer_has_work(c)) {
		set_consumer_flags(c, 0);
		return 1;
	}
	return 0;
}

int ringmpsc_wait_prepare(struct ringmpsc_consumer *c)
{
	int unarmed_err = 0;
	int err = consumer_arm(c, true, &unarmed_err);

	if (err == 0 && unarmed_err) {
		set_consumer_flags(c, 0);
		return unarmed_err;
	}
	return err;
}

void ringmpsc_wait_finish(struct ringmpsc_consumer *c)
{
	set_consumer_flags(c, 0);
	drain_eventfd(c->wait_fd);
}

int ringmpsc_wait(struct ringmpsc_consumer *c, int timeout_ms)
{
	int64_t deadline = deadline_after(timeout_ms);
	int unarmed_err = 0;
	int err;

	for (;;) {
		err = consumer_arm(c, timeout_ms != 0, &unarmed_err);
		if (err)
			return err > 0 ? 0 : err;
		err = sleep_on(c->wait_fd, sleep_ms(deadline, unarmed_err));
		set_consumer_flags(c, 0);
		if (err != -ETIMEDOUT)
			return err;
		if (consumer_has_work(c))
			return 0;
		if (expired(deadline))
			return -ETIMEDOUT;
		/* an unarmed slice ended: arm again */
	}
}
