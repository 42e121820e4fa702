/* SPDX-License-Identifier: MIT */
/*
 * <ringmpsc/uring.h>: a consumer or a producer of libringmpsc as a source
 * of io_uring completions (liburing), so that a loop that sleeps in
 * io_uring_submit_and_wait*() sleeps on the ring too. Header only: link
 * with -luring. Include it before any other header, or build with
 * _GNU_SOURCE: liburing 2.3 needs POSIX and GNU declarations that a strict
 * -std=c11 build otherwise hides once a libc header has been included.
 *
 * A struct ringmpsc_uring_poll is a poll of the side's eventfd: multishot
 * where the kernel has it (5.13 and later), so that it stays armed across
 * wakeups; one-shot otherwise, re-armed on every completion. The wakeup
 * protocol is the library's (spec.md section 8); per sleep:
 *
 *	r = ringmpsc_wait_prepare(c);	   (or ringmpsc_producer_wait_prepare)
 *	if (r == 1)
 *		... work, no sleep ...
 *	ringmpsc_uring_poll_arm(ring, &w);	queues a poll if none is armed
 *	io_uring_submit_and_wait_timeout(ring, &cqe, 1, ts, NULL);
 *				(ts: none after 0, ringmpsc_wait_retry_ms(r)
 *				 after a negative r, see ringmpsc.h)
 *	for each cqe:
 *		if (ringmpsc_uring_poll_owns(&w, cqe))
 *			ringmpsc_uring_poll_complete(&w, cqe);
 *	ringmpsc_wait_finish(c);	   (or ringmpsc_producer_wait_finish)
 *
 * The eventfd stays readable from the wakeup until the finish (it is
 * level-triggered), so a poll armed after the wakeup still completes, and
 * a multishot poll armed all along completes once per wakeup: no order of
 * arm, wakeup and prepare loses one (INV-STREAM-01). Before closing the
 * handle, cancel the poll and reap its last completion.
 */
#ifndef RINGMPSC_URING_H
#define RINGMPSC_URING_H

/* A libc header already chose a strict feature set: liburing would fail
 * inside with obscure errors, so say what to do instead.
 */
#if defined(__GLIBC__) && !defined(__USE_ATFILE)
#error "<ringmpsc/uring.h>: include it before other headers, or define _GNU_SOURCE (liburing needs POSIX 2008 declarations)"
#endif

#include <liburing.h>	/* first: see above */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include <ringmpsc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ringmpsc_uring_poll_init() flags; the others are its own state. */
#define RINGMPSC_URING_ONESHOT	(1U << 0)	/* never ask for multishot */
#define RINGMPSC__URING_ARMED	(1U << 8)	/* a poll is in flight */
#define RINGMPSC__URING_MULTI	(1U << 9)	/* ... and it is multishot */

struct ringmpsc_uring_poll {
	uint64_t user_data;	/* tags every completion of this poll */
	int fd;			/* the side's eventfd */
	unsigned int flags;
};

/*
 * Set up @w to poll eventfd @fd (ringmpsc_consumer_eventfd() or
 * ringmpsc_producer_eventfd()), its completions tagged @user_data. 0, or
 * @fd when it is a negative errno (-EOPNOTSUPP: the handle has none),
 * -EINVAL for unknown flags.
 */
static inline int ringmpsc_uring_poll_init(struct ringmpsc_uring_poll *w,
					   int fd, uint64_t user_data,
					   unsigned int flags)
{
	if (fd < 0)
		return fd;
	if (flags & ~RINGMPSC_URING_ONESHOT)
		return -EINVAL;
	w->user_data = user_data;
	w->fd = fd;
	w->flags = flags;
	return 0;
}

/* Is a poll in flight (queued, submitted, or multishot and still armed)? */
static inline bool ringmpsc_uring_poll_armed(const struct ringmpsc_uring_poll *w)
{
	return w->flags & RINGMPSC__URING_ARMED;
}

/*
 * Queue a poll of the eventfd unless one is in flight; the caller
 * submits. 0, or -EBUSY when the submission queue is full (submit, then
 * call again).
 */
static inline int ringmpsc_uring_poll_arm(struct io_uring *ring,
					  struct ringmpsc_uring_poll *w)
{
	struct io_uring_sqe *sqe;

	if (w->flags & RINGMPSC__URING_ARMED)
		return 0;
	sqe = io_uring_get_sqe(ring);
	if (!sqe)
		return -EBUSY;
	if (w->flags & RINGMPSC_URING_ONESHOT) {
		io_uring_prep_poll_add(sqe, w->fd, POLLIN);
		w->flags &= ~RINGMPSC__URING_MULTI;
	} else {
		io_uring_prep_poll_multishot(sqe, w->fd, POLLIN);
		w->flags |= RINGMPSC__URING_MULTI;
	}
	io_uring_sqe_set_data64(sqe, w->user_data);
	w->flags |= RINGMPSC__URING_ARMED;
	return 0;
}

static inline bool ringmpsc_uring_poll_owns(const struct ringmpsc_uring_poll *w,
					    const struct io_uring_cqe *cqe)
{
	return io_uring_cqe_get_data64(cqe) == w->user_data;
}

/*
 * Account for a completion of @w's poll (ringmpsc_uring_poll_owns()). 1:
 * the eventfd became readable: call the side's finish and look at the
 * ring. 0: nothing to do (the poll was cancelled, or ended and is armed
 * again by the next ringmpsc_uring_poll_arm(); a kernel without multishot
 * poll refuses it once, and @w polls one-shot from then on). Negative: the
 * poll failed with that errno.
 */
static inline int ringmpsc_uring_poll_complete(struct ringmpsc_uring_poll *w,
					       const struct io_uring_cqe *cqe)
{
	bool multi = w->flags & RINGMPSC__URING_MULTI;

	/* A multishot poll that posts IORING_CQE_F_MORE is still armed. */
	if (!multi || !(cqe->flags & IORING_CQE_F_MORE))
		w->flags &= ~(RINGMPSC__URING_ARMED | RINGMPSC__URING_MULTI);
	if (cqe->res >= 0)
		return 1;
	if (cqe->res == -EINVAL && multi) {
		/* Before 5.13 a poll takes no flags: poll one-shot. */
		w->flags |= RINGMPSC_URING_ONESHOT;
		return 0;
	}
	return cqe->res == -ECANCELED ? 0 : cqe->res;
}

/*
 * Queue the removal of @w's poll, if one is in flight; the caller submits
 * and reaps the poll's last completion (-ECANCELED, or a readiness) before
 * closing the handle. The removal's own completion is tagged ~user_data.
 * 0 or -EBUSY (submission queue full).
 */
static inline int ringmpsc_uring_poll_cancel(struct io_uring *ring,
					     struct ringmpsc_uring_poll *w)
{
	struct io_uring_sqe *sqe;

	if (!(w->flags & RINGMPSC__URING_ARMED))
		return 0;
	sqe = io_uring_get_sqe(ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_remove(sqe, w->user_data);
	/* The removal's own completion must not look like the poll's. */
	io_uring_sqe_set_data64(sqe, ~w->user_data);
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* RINGMPSC_URING_H */
