/* SPDX-License-Identifier: MIT */
/*
 * <ringmpsc/epoll.h>: a consumer or a producer of libringmpsc in a
 * poll(2)/epoll(7) loop. Header only. The eventfd of each side is an
 * ordinary level-triggered fd; what a loop adds is the prepare before it
 * sleeps and the finish after (spec.md section 8). Per iteration:
 *
 *	int timeout = ...;			the loop's own, -1: none
 *	r = ringmpsc_wait_prepare(c);		(or ..._producer_wait_prepare)
 *	err = ringmpsc_epoll_timeout(r, &timeout);
 *	if (err)
 *		... final: report it (-EPIPE: no consumer) ...
 *	n = epoll_wait(epfd, events, max, timeout);
 *	ringmpsc_wait_finish(c);		(or ..._producer_wait_finish)
 *	... consume (send), serve the other fds ...
 *
 * Do the finish after every epoll_wait, whichever fd woke it: a side left
 * armed makes its peer ask for wakeups nobody waits for. A loop with
 * several handles prepares each before the one epoll_wait and finishes
 * each after it.
 */
#ifndef RINGMPSC_EPOLL_H
#define RINGMPSC_EPOLL_H

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>

#include <ringmpsc.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Watch @fd (ringmpsc_consumer_eventfd() or ringmpsc_producer_eventfd())
 * in epoll instance @epfd, level-triggered, its events tagged @data. 0 or
 * a negative errno (@fd itself when it is one: -EOPNOTSUPP, no eventfd).
 * Level-triggered because a wakeup keeps the eventfd readable until the
 * finish, whenever the loop looks (INV-STREAM-01).
 */
static inline int ringmpsc_epoll_add(int epfd, int fd, uint64_t data)
{
	struct epoll_event ev;

	if (fd < 0)
		return fd;
	ev.events = EPOLLIN;
	ev.data.u64 = data;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Stop watching @fd; before the handle that owns it is closed. */
static inline int ringmpsc_epoll_del(int epfd, int fd)
{
	struct epoll_event ev = { 0, { 0 } };	/* before 2.6.9: non-NULL */

	if (fd < 0)
		return fd;
	return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev) ? -errno : 0;
}

/*
 * Fold @prepared, what a wait_prepare returned, into *@timeout_ms, the
 * timeout of the next poll/epoll_wait (-1: none): 0 when there is work or
 * room now, at most the retry slice after an error that allows one
 * (ringmpsc_wait_retry_ms()), unchanged when armed. 0, or @prepared when
 * it is a final error (-EPIPE, -EINVAL, -EBADF, -EOPNOTSUPP) that the
 * caller reports instead of sleeping.
 */
static inline int ringmpsc_epoll_timeout(int prepared, int *timeout_ms)
{
	int ms;

	if (prepared == 0)
		return 0;
	ms = prepared > 0 ? 0 : ringmpsc_wait_retry_ms(prepared);
	if (ms < 0)
		return prepared;
	if (*timeout_ms < 0 || *timeout_ms > ms)
		*timeout_ms = ms;
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* RINGMPSC_EPOLL_H */
