/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll set for every file descriptor the collector
 * waits on (the ring eventfd, libcurl's sockets, signals) and one timerfd
 * for all its timers (batch age, retries, the breaker's cool-down, the
 * rate limit, libcurl's timeouts, metrics, the stop deadline). Timers are
 * kept in a list sorted by deadline; there are a few dozen at most.
 */
#ifndef COLLECTOR_LOOP_H
#define COLLECTOR_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop_timer;
typedef void (*loop_timer_fn)(void *ctx);
typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);

struct loop_timer {
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC */
	loop_timer_fn fn;
	void *ctx;
	bool armed;
	struct loop_timer *next;
};

#define LOOP_MAX_FDS	256

struct loop_watch {
	int fd;
	loop_fd_fn fn;
	void *ctx;
};

struct loop {
	int epfd;
	int timerfd;
	uint64_t timerfd_at;		/* what timerfd is set to, 0: disarmed */
	struct loop_timer *timers;	/* sorted by deadline */
	struct loop_watch watches[LOOP_MAX_FDS];
	uint32_t nr_watches;
};

uint64_t mono_ns(void);

int loop_init(struct loop *l);
void loop_close(struct loop *l);
/* Watch @fd for @events (EPOLLIN, EPOLLOUT); again to change them. */
int loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx);
void loop_unwatch(struct loop *l, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *ctx);
/* (Re)arm @t for @deadline_ns; a timer fires once per arming. */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline_ns);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/*
 * Wait up to @timeout_ms (-1: until something happens, 0: do not wait)
 * for file descriptors and timers, and run their callbacks. Returns the
 * number of callbacks run, or a negative errno (not -EINTR).
 */
int loop_run_once(struct loop *l, int timeout_ms);

#endif /* COLLECTOR_LOOP_H */
