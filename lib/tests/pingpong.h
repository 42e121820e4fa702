/* SPDX-License-Identifier: MIT */
/*
 * Ping-pong between two processes over two 2-slot local rings: the child
 * sends one message and sleeps in ringmpsc_wait for the reply, the parent
 * sleeps until the message comes and replies; nearly every step is a
 * sleep and an eventfd wakeup, so a lost wakeup shows as a timeout
 * (INV-WAKE-03). Each side can be set to publish with a full fence (as
 * without membarrier()) and the child can be denied membarrier() by
 * seccomp, so that every pairing of the barriers is exercised. The
 * waiters do not spin before they sleep (ringmpsc_set_wait_spin_ns(0)):
 * a spin would catch most replies awake and leave the sleep untested.
 */
#ifndef RINGMPSC_TEST_PINGPONG_H
#define RINGMPSC_TEST_PINGPONG_H

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define PINGPONG_BLOCK_MS 60000	/* a blocking call that times out failed */

struct pingpong {
	uint64_t trips;
	bool parent_fence;	/* parent publishes with a full fence */
	bool child_fence;	/* child publishes with a full fence */
	int (*child_setup)(struct ringmpsc_consumer *c); /* in the child, or NULL */
	/* results */
	double seconds;
	uint64_t parent_wakeups;	/* replies that found the child asleep */
};

static inline int pong_wait(struct ringmpsc_consumer *c, uint64_t seq)
{
	for (;;) {
		const void *m = NULL;
		int n = ringmpsc_peek(c, 0, &m, 1);
		int err;

		if (n < 0)
			return n;
		if (n == 1) {
			if (msg_bad_word(m, 0, seq, 16))
				return -EBADMSG;
			return ringmpsc_release(c, 0, 1);
		}
		err = ringmpsc_wait(c, PINGPONG_BLOCK_MS);
		if (err)
			return err;
	}
}

static inline void use_fence(struct ringmpsc_producer *p,
			     struct ringmpsc_consumer *c)
{
	p->asym_barrier = false;
	c->rings[0].asym_barrier = false;
}

static inline void pingpong_child(struct pingpong *pp, struct lfix *up,
				  struct lfix *down)
{
	uint64_t buf[2], i;
	int err = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (pp->child_fence)
		use_fence(&up->p[0], &down->c);
	if (pp->child_setup)
		err = pp->child_setup(&down->c);
	for (i = 0; i < pp->trips && !err; i++) {
		msg_fill(buf, 0, i, 16);
		err = ringmpsc_send(&up->p[0], buf, 16, PINGPONG_BLOCK_MS);
		if (!err)
			err = pong_wait(&down->c, i);
	}
	if (err)
		test_diag("child: trip %llu: error %d", (unsigned long long)i, err);
	_exit(err ? 1 : 0);
}

/* Run it; 0 when every round trip completed in order and the child exited
 * cleanly.
 */
static inline int pingpong_run(struct pingpong *pp)
{
	struct lfix up, down;
	uint64_t buf[2], t0, i;
	pid_t pid;
	int status = -1, err;

	err = lfix_init(&up, 1, 16, 2, 0);
	if (!err)
		err = lfix_init(&down, 1, 16, 2, 0);
	if (err)
		return err;
	ringmpsc_set_wait_spin_ns(0);	/* every wait sleeps; the child too */
	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		pingpong_child(pp, &up, &down);
	if (pp->parent_fence)
		use_fence(&down.p[0], &up.c);
	for (i = 0; i < pp->trips && !err; i++) {
		err = pong_wait(&up.c, i);
		if (!err) {
			msg_fill(buf, 0, i, 16);
			err = ringmpsc_send(&down.p[0], buf, 16, PINGPONG_BLOCK_MS);
		}
	}
	if (err) {
		test_diag("parent: trip %llu: error %d", (unsigned long long)i, err);
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		err = err ? err : -ECHILD;
	pp->seconds = (double)(now_ns() - t0) / 1e9;
	pp->parent_wakeups = down.p[0].stats.wakeups;
	lfix_fini(&up);
	lfix_fini(&down);
	return err;
}

#endif /* RINGMPSC_TEST_PINGPONG_H */
