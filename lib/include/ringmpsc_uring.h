/* SPDX-License-Identifier: MIT */
/*
 * libringmpsc + liburing: wait for a channel's consumer wakeup inside an
 * io_uring event loop, alongside other I/O. Header only; include it after
 * <liburing.h> is available (link with -luring).
 *
 * Protocol (spec.md, section 3), per wait:
 *
 *	if (ringmpsc_wait_prepare(c) == 0) {	// NEED_WAKEUP set, nothing due
 *		ringmpsc_uring_prep_wait(ring, c, TAG);
 *		io_uring_submit(ring);
 *		... reap the completion with user_data TAG ...
 *		ringmpsc_uring_wait_done(c, cqe);
 *	}
 *	ringmpsc_wait_finish(c);		// clear NEED_WAKEUP
 *	ringmpsc_consume(c, ...);
 *
 * A return of 1 from ringmpsc_wait_prepare() means there is work: do not
 * sleep; a negative one that no wakeup can be promised (INV-WAKE-06):
 * wait with a short timeout. The poll is one-shot; prepare a new one for
 * every wait.
 */
#ifndef RINGMPSC_URING_H
#define RINGMPSC_URING_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include <liburing.h>

#include "ringmpsc.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Queue a one-shot poll for readability of the consumer's eventfd, tagged
 * @user_data. Not submitted. 0, -EBUSY (submission queue full), or
 * -EOPNOTSUPP (the consumer has no eventfd).
 */
static inline int ringmpsc_uring_prep_wait(struct io_uring *ring,
					   const struct ringmpsc_consumer *c,
					   uint64_t user_data)
{
	struct io_uring_sqe *sqe;
	int fd = ringmpsc_consumer_eventfd(c);

	if (fd < 0)
		return fd;
	sqe = io_uring_get_sqe(ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data(sqe, (void *)(uintptr_t)user_data);
	return 0;
}

/*
 * After the poll completed: consume the eventfd count (the eventfd is
 * nonblocking, so a count already taken is fine) and return the poll's
 * result (>= 0 ready, negative errno from io_uring otherwise).
 */
static inline int ringmpsc_uring_wait_done(const struct ringmpsc_consumer *c,
					   const struct io_uring_cqe *cqe)
{
	uint64_t count;
	int fd = ringmpsc_consumer_eventfd(c);

	/* Failing with EAGAIN only means the count was already taken. */
	if (fd >= 0 && read(fd, &count, sizeof(count)) < 0)
		count = 0;
	(void)count;
	return cqe->res;
}

#ifdef __cplusplus
}
#endif

#endif /* RINGMPSC_URING_H */
