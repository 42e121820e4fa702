// SPDX-License-Identifier: MIT
/*
 * The event loop: epoll, and the one timerfd that the sorted timer list
 * is multiplexed onto (loop.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_timerfd(void *ctx, int fd, uint32_t events);

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->epfd < 0 || l->timerfd < 0) {
		int err = -errno;

		loop_close(l);
		return err;
	}
	return loop_watch(l, l->timerfd, EPOLLIN, on_timerfd, l);
}

void loop_close(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	l->epfd = l->timerfd = -1;
}

static struct loop_watch *find_watch(struct loop *l, int fd)
{
	for (uint32_t i = 0; i < l->nr_watches; i++)
		if (l->watches[i].fd == fd)
			return &l->watches[i];
	return NULL;
}

int loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx)
{
	struct loop_watch *w = find_watch(l, fd);
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int op = w ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (!w) {
		if (l->nr_watches == LOOP_MAX_FDS)
			return -EMFILE;
		w = &l->watches[l->nr_watches];
	}
	if (epoll_ctl(l->epfd, op, fd, &ev))
		return -errno;
	if (op == EPOLL_CTL_ADD)
		l->nr_watches++;
	w->fd = fd;
	w->fn = fn;
	w->ctx = ctx;
	return 0;
}

void loop_unwatch(struct loop *l, int fd)
{
	struct loop_watch *w = find_watch(l, fd);

	if (!w)
		return;
	/* The fd may be closed already (libcurl closes its sockets first):
	 * then epoll has dropped it itself.
	 */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*w = l->watches[--l->nr_watches];
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->ctx = ctx;
}

/* Point the timerfd at the earliest deadline, if it changed. */
static void sync_timerfd(struct loop *l)
{
	uint64_t at = l->timers ? l->timers->deadline_ns : 0;
	struct itimerspec its = { 0 };

	if (at == l->timerfd_at)
		return;
	if (at) {
		/* Absolute; a deadline already past fires at once. */
		its.it_value.tv_sec = (time_t)(at / 1000000000u);
		its.it_value.tv_nsec = (long)(at % 1000000000u);
	}
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		l->timerfd_at = at;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **pp;

	if (!t->armed)
		return;
	for (pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
	sync_timerfd(l);
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline_ns)
{
	struct loop_timer **pp;

	loop_timer_cancel(l, t);
	t->deadline_ns = deadline_ns ? deadline_ns : 1;
	for (pp = &l->timers; *pp && (*pp)->deadline_ns <= t->deadline_ns;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	t->armed = true;
	sync_timerfd(l);
}

/* Run every timer that is due; a callback may arm timers again. */
static int run_timers(struct loop *l)
{
	uint64_t now = mono_ns();
	int ran = 0;

	while (l->timers && l->timers->deadline_ns <= now) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->armed = false;
		t->next = NULL;
		t->fn(t->ctx);
		ran++;
	}
	sync_timerfd(l);
	return ran;
}

static void on_timerfd(void *ctx, int fd, uint32_t events)
{
	struct loop *l = ctx;
	uint64_t expirations;

	(void)events;
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	/* The timerfd fired for the deadline it was set to; the list is
	 * run below whether or not it did.
	 */
	l->timerfd_at = 0;
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[32];
	int n, ran = 0;

	if (l->timers && l->timers->deadline_ns <= mono_ns())
		timeout_ms = 0;
	n = epoll_wait(l->epfd, evs, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		/* Looked up by fd each time: a callback may unwatch others. */
		struct loop_watch *w = find_watch(l, evs[i].data.fd);

		if (w) {
			w->fn(w->ctx, w->fd, evs[i].events);
			ran++;
		}
	}
	return ran + run_timers(l);
}
