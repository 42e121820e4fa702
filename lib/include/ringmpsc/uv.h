/* SPDX-License-Identifier: MIT */
/*
 * <ringmpsc/uv.h>: a consumer or a producer of libringmpsc as a libuv
 * handle. Header only: link with -luv. Shaped like libuv's own handles
 * (init, start, stop, close with a callback, a data pointer, callbacks
 * that take the handle and a status, negative errno as UV_E*):
 *
 *   consumer  ringmpsc_uv_consumer_start(h, cb) calls cb(h, 0) whenever a
 *             ring may have messages, until stopped, as uv_read_start()
 *             does for data; cb consumes (with a budget: whatever it
 *             leaves brings cb back on the next loop iteration, not
 *             after a sleep).
 *   producer  ringmpsc_uv_producer_wait(h, n, flags, cb) calls cb(h, 0)
 *             once, when n slots are free, as a uv_write() callback
 *             completes a write; cb(h, -EPIPE) when no consumer is left
 *             to free them (module channels), cb(h, -errno) on errors.
 *
 * Inside, a uv_poll_t watches the side's eventfd, armed and disarmed with
 * the library's prepare/finish (spec.md section 8, INV-STREAM-01); a
 * uv_idle_t runs the callback without sleeping when there is work
 * already, and a uv_timer_t wakes the loop after a retry slice when the
 * library cannot promise a wakeup (ringmpsc_wait_retry_ms()). The handle
 * holds no messages: the consumer's callback reads them from the rings,
 * the producer's sends them itself (INV-STREAM-05). Close the uv handle,
 * and wait for its close callback, before closing the libringmpsc handle.
 */
#ifndef RINGMPSC_UV_H
#define RINGMPSC_UV_H

/* libuv's headers need POSIX 2008 declarations (pthread_rwlock_t), which
 * a strict -std=c11 build hides: ask for them if no libc header has fixed
 * the feature set yet, and say what to do if one has.
 */
#if !defined(__GLIBC__) && !defined(_POSIX_C_SOURCE) && \
	!defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && \
	!defined(_DEFAULT_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#if defined(__GLIBC__) && !defined(__USE_XOPEN2K8)
#error "<ringmpsc/uv.h>: include it before other headers, or define _POSIX_C_SOURCE=200809L (libuv needs POSIX 2008 declarations)"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include <ringmpsc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the consumer and the producer handles share: the three libuv
 * handles around one eventfd. Private to this header.
 */
struct ringmpsc__uv_src {
	uv_poll_t poll;
	uv_timer_t timer;
	uv_idle_t idle;
	/* Called after a wakeup (status 0) or a failed poll (status < 0). */
	void (*woken)(struct ringmpsc__uv_src *s, int status);
	void (*finish)(struct ringmpsc__uv_src *s);
	void (*closed)(struct ringmpsc__uv_src *s);
	unsigned int open_handles;
	bool active;
};

struct ringmpsc_uv_consumer;
struct ringmpsc_uv_producer;
typedef void (*ringmpsc_uv_consumer_cb)(struct ringmpsc_uv_consumer *h,
					int status);
typedef void (*ringmpsc_uv_producer_cb)(struct ringmpsc_uv_producer *h,
					int status);

struct ringmpsc_uv_consumer {
	struct ringmpsc__uv_src src;	/* first: the callbacks cast back */
	void *data;			/* the caller's */
	struct ringmpsc_consumer *c;
	ringmpsc_uv_consumer_cb cb;
	void (*close_cb)(struct ringmpsc_uv_consumer *h);
};

struct ringmpsc_uv_producer {
	struct ringmpsc__uv_src src;	/* first: the callbacks cast back */
	void *data;			/* the caller's */
	struct ringmpsc_producer *p;
	uint32_t n;			/* slots waited for */
	uint32_t flags;			/* RINGMPSC_WAIT_* */
	ringmpsc_uv_producer_cb cb;
	void (*close_cb)(struct ringmpsc_uv_producer *h);
};

static inline struct ringmpsc__uv_src *ringmpsc__uv_of(uv_handle_t *h)
{
	return (struct ringmpsc__uv_src *)h->data;
}

/* Any wakeup, from the poll, the retry timer or the idle handle. */
static inline void ringmpsc__uv_wake(struct ringmpsc__uv_src *s, int status)
{
	uv_idle_stop(&s->idle);
	uv_timer_stop(&s->timer);
	if (!s->active)
		return;
	s->finish(s);
	s->woken(s, status);
}

static inline void ringmpsc__uv_on_poll(uv_poll_t *h, int status, int events)
{
	(void)events;
	ringmpsc__uv_wake(ringmpsc__uv_of((uv_handle_t *)h), status);
}

static inline void ringmpsc__uv_on_timer(uv_timer_t *h)
{
	ringmpsc__uv_wake(ringmpsc__uv_of((uv_handle_t *)h), 0);
}

static inline void ringmpsc__uv_on_idle(uv_idle_t *h)
{
	ringmpsc__uv_wake(ringmpsc__uv_of((uv_handle_t *)h), 0);
}

static inline int ringmpsc__uv_init(uv_loop_t *loop, struct ringmpsc__uv_src *s,
				    int fd)
{
	int err;

	if (fd < 0)
		return fd;
	err = uv_poll_init(loop, &s->poll, fd);
	if (err)
		return err;
	uv_timer_init(loop, &s->timer);
	uv_idle_init(loop, &s->idle);
	s->poll.data = s;
	s->timer.data = s;
	s->idle.data = s;
	s->open_handles = 3;
	s->active = false;
	return 0;
}

static inline void ringmpsc__uv_stop(struct ringmpsc__uv_src *s)
{
	s->active = false;
	uv_poll_stop(&s->poll);
	uv_timer_stop(&s->timer);
	uv_idle_stop(&s->idle);
}

/*
 * Sleep according to @r, what the side's prepare returned: 1 work now (the
 * idle handle runs us on the next iteration), 0 until the eventfd is
 * readable, a negative errno with a retry for at most that slice. 0, or
 * @r when it is final.
 */
static inline int ringmpsc__uv_sleep(struct ringmpsc__uv_src *s, int r)
{
	int ms = r < 0 ? ringmpsc_wait_retry_ms(r) : 0;
	int err;

	if (r < 0 && ms < 0)
		return r;
	if (r == 1)
		return uv_idle_start(&s->idle, ringmpsc__uv_on_idle);
	/* Readable from the wakeup until the finish: level-triggered, so a
	 * poll started late still sees it. INV-STREAM-01
	 */
	err = uv_poll_start(&s->poll, UV_READABLE, ringmpsc__uv_on_poll);
	if (!err && r < 0)
		err = uv_timer_start(&s->timer, ringmpsc__uv_on_timer,
				     (uint64_t)ms, 0);
	return err;
}

static inline void ringmpsc__uv_on_close(uv_handle_t *h)
{
	struct ringmpsc__uv_src *s = ringmpsc__uv_of(h);

	if (--s->open_handles == 0 && s->closed)
		s->closed(s);
}

static inline void ringmpsc__uv_close(struct ringmpsc__uv_src *s)
{
	ringmpsc__uv_stop(s);
	uv_close((uv_handle_t *)&s->poll, ringmpsc__uv_on_close);
	uv_close((uv_handle_t *)&s->timer, ringmpsc__uv_on_close);
	uv_close((uv_handle_t *)&s->idle, ringmpsc__uv_on_close);
}

/* ---- consumer ---------------------------------------------------------- */

static inline void ringmpsc__uv_consumer_finish(struct ringmpsc__uv_src *s)
{
	ringmpsc_wait_finish(((struct ringmpsc_uv_consumer *)s)->c);
}

static inline void ringmpsc__uv_consumer_woken(struct ringmpsc__uv_src *s,
					       int status)
{
	struct ringmpsc_uv_consumer *h = (struct ringmpsc_uv_consumer *)s;

	if (status == 0) {
		h->cb(h, 0);
		if (!s->active)
			return;		/* stopped or closed by cb */
		status = ringmpsc__uv_sleep(s, ringmpsc_wait_prepare(h->c));
		if (status == 0)
			return;
	}
	ringmpsc__uv_stop(s);
	h->cb(h, status);
}

static inline void ringmpsc__uv_consumer_closed(struct ringmpsc__uv_src *s)
{
	struct ringmpsc_uv_consumer *h = (struct ringmpsc_uv_consumer *)s;

	if (h->close_cb)
		h->close_cb(h);
}

/* Watch consumer @c on @loop. 0 or a negative errno (-EOPNOTSUPP: @c has
 * no eventfd).
 */
static inline int ringmpsc_uv_consumer_init(uv_loop_t *loop,
					    struct ringmpsc_uv_consumer *h,
					    struct ringmpsc_consumer *c)
{
	h->c = c;
	h->cb = NULL;
	h->close_cb = NULL;
	h->src.woken = ringmpsc__uv_consumer_woken;
	h->src.finish = ringmpsc__uv_consumer_finish;
	h->src.closed = ringmpsc__uv_consumer_closed;
	return ringmpsc__uv_init(loop, &h->src, ringmpsc_consumer_eventfd(c));
}

/* Call @cb(h, 0) from the loop whenever a ring may have messages, never
 * from inside this call; @cb(h, -errno) once on an error, which stops h.
 */
static inline int ringmpsc_uv_consumer_start(struct ringmpsc_uv_consumer *h,
					     ringmpsc_uv_consumer_cb cb)
{
	int err;

	h->cb = cb;
	h->src.active = true;
	err = ringmpsc__uv_sleep(&h->src, ringmpsc_wait_prepare(h->c));
	if (err) {
		ringmpsc__uv_stop(&h->src);
		ringmpsc_wait_finish(h->c);
	}
	return err;
}

static inline void ringmpsc_uv_consumer_stop(struct ringmpsc_uv_consumer *h)
{
	ringmpsc__uv_stop(&h->src);
	ringmpsc_wait_finish(h->c);
}

/* Stop and close; @close_cb(h) (may be NULL) runs when libuv is done with
 * h: then h, and the consumer, may go.
 */
static inline void ringmpsc_uv_consumer_close(struct ringmpsc_uv_consumer *h,
					      void (*close_cb)(struct ringmpsc_uv_consumer *))
{
	h->close_cb = close_cb;
	ringmpsc_wait_finish(h->c);
	ringmpsc__uv_close(&h->src);
}

/* ---- producer ---------------------------------------------------------- */

static inline void ringmpsc__uv_producer_finish(struct ringmpsc__uv_src *s)
{
	ringmpsc_producer_wait_finish(((struct ringmpsc_uv_producer *)s)->p);
}

static inline void ringmpsc__uv_producer_woken(struct ringmpsc__uv_src *s,
					       int status)
{
	struct ringmpsc_uv_producer *h = (struct ringmpsc_uv_producer *)s;
	int r;

	if (status == 0) {
		r = ringmpsc_producer_wait_prepare(h->p, h->n, h->flags);
		if (r != 1) {
			status = ringmpsc__uv_sleep(s, r);
			if (status == 0)
				return;		/* not yet */
		}
	}
	/* Done, with room (0) or an error: one callback per wait. */
	ringmpsc__uv_stop(s);
	ringmpsc_producer_wait_finish(h->p);
	h->cb(h, status);
}

static inline void ringmpsc__uv_producer_closed(struct ringmpsc__uv_src *s)
{
	struct ringmpsc_uv_producer *h = (struct ringmpsc_uv_producer *)s;

	if (h->close_cb)
		h->close_cb(h);
}

/* Watch producer @p on @loop. 0 or a negative errno (-EOPNOTSUPP: @p has
 * no eventfd).
 */
static inline int ringmpsc_uv_producer_init(uv_loop_t *loop,
					    struct ringmpsc_uv_producer *h,
					    struct ringmpsc_producer *p)
{
	h->p = p;
	h->cb = NULL;
	h->close_cb = NULL;
	h->src.woken = ringmpsc__uv_producer_woken;
	h->src.finish = ringmpsc__uv_producer_finish;
	h->src.closed = ringmpsc__uv_producer_closed;
	return ringmpsc__uv_init(loop, &h->src, ringmpsc_producer_eventfd(p));
}

/*
 * Call @cb(h, 0) once from the loop when @n slots are free (and, with
 * RINGMPSC_WAIT_CONSUMER, a consumer is attached), never from inside this
 * call; @cb(h, -EPIPE) if the consumer leaves (or is absent) before then,
 * without the flag; @cb(h, -errno) on another error. A new wait replaces
 * one in progress. Returns 0, or the error that prevents the wait
 * (-EINVAL, -EOPNOTSUPP, -EPIPE), with no callback to follow.
 */
static inline int ringmpsc_uv_producer_wait(struct ringmpsc_uv_producer *h,
					    uint32_t n, uint32_t flags,
					    ringmpsc_uv_producer_cb cb)
{
	int err;

	h->n = n;
	h->flags = flags;
	h->cb = cb;
	h->src.active = true;
	err = ringmpsc__uv_sleep(&h->src,
				 ringmpsc_producer_wait_prepare(h->p, n, flags));
	if (err) {
		ringmpsc__uv_stop(&h->src);
		ringmpsc_producer_wait_finish(h->p);
	}
	return err;
}

/* Give up the wait in progress, if any: no callback follows. */
static inline void ringmpsc_uv_producer_stop(struct ringmpsc_uv_producer *h)
{
	ringmpsc__uv_stop(&h->src);
	ringmpsc_producer_wait_finish(h->p);
}

/* Stop and close; @close_cb(h) (may be NULL) runs when libuv is done with
 * h: then h, and the producer, may go.
 */
static inline void ringmpsc_uv_producer_close(struct ringmpsc_uv_producer *h,
					      void (*close_cb)(struct ringmpsc_uv_producer *))
{
	h->close_cb = close_cb;
	ringmpsc_producer_wait_finish(h->p);
	ringmpsc__uv_close(&h->src);
}

#ifdef __cplusplus
}
#endif

#endif /* RINGMPSC_UV_H */
