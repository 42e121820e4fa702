// SPDX-License-Identifier: MIT
/*
 * evloop_epoll: an epoll server that consumes several channels while it
 * serves a socket, fed by producers that are epoll loops too and sleep in
 * epoll_wait whenever their ring is full (<ringmpsc/epoll.h>).
 *
 * The server's one epoll instance watches the consumer eventfd of each
 * channel and a stream socket whose client thread sends a ping every
 * millisecond and expects its echo; the server prepares every consumer
 * before each epoll_wait and finishes every one after it. Rings are
 * small, so both sides sleep and wake all the time. The run fails on any
 * lost, duplicated or reordered message, an unanswered ping, or a sleep
 * that no wakeup ends within the stall bound.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringmpsc/epoll.h>

#include "evloop.h"

#define CHANNELS	2
#define BUDGET		64
#define SOCKET_TAG	((uint64_t)CHANNELS)

struct channel {
	struct ringmpsc_local *l;
	struct ringmpsc_consumer c;
	uint32_t base;		/* producer number of ring 0 */
	uint32_t nr;		/* its producers */
};

struct producer {
	pthread_t th;
	const struct ev_opts *o;
	struct ringmpsc_local *l;
	uint32_t ring, id;
	uint64_t sleeps;	/* epoll_waits that found the ring full */
	int err;
};

struct client {
	pthread_t th;
	int fd;
	atomic_int stop;
	uint64_t pings, echoes;
	uint64_t slowest_ns;
	int err;
};

static const char *prog = "evloop_epoll";

/* A producer: send every message, sleeping in its own epoll loop while the
 * ring is full. Backpressure: nothing is dropped, nothing spins.
 */
static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	struct ringmpsc_producer p;
	struct epoll_event ev;
	int epfd = epoll_create1(EPOLL_CLOEXEC), err, n, r, timeout;
	uint64_t seq = 0;

	err = epfd < 0 ? -errno : ringmpsc_local_producer(pr->l, pr->ring, &p);
	if (!err)
		err = ringmpsc_epoll_add(epfd, ringmpsc_producer_eventfd(&p), 0);
	while (!err && seq < pr->o->messages) {
		struct ev_msg m = ev_msg_for(pr->id, seq);

		err = ringmpsc_try_send(&p, &m, sizeof(m));
		if (err == 0) {
			seq++;
			continue;
		}
		if (err != -EAGAIN)
			break;
		timeout = pr->o->stall_ms;
		r = ringmpsc_producer_wait_prepare(&p, 1, 0);
		err = ringmpsc_epoll_timeout(r, &timeout);
		if (err)
			break;
		pr->sleeps += r == 0;
		n = epoll_wait(epfd, &ev, 1, timeout);
		ringmpsc_producer_wait_finish(&p);
		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n == 0 && r == 0)
			err = -ETIMEDOUT;	/* armed, and nobody woke us */
		else
			err = 0;
	}
	pr->err = err;
	ringmpsc_producer_close(&p);
	if (epfd >= 0)
		close(epfd);
	return NULL;
}

/* The socket's client: a ping a millisecond, each echo awaited. */
static void *client_main(void *arg)
{
	struct client *cl = arg;
	char b = 'p';

	while (!atomic_load(&cl->stop)) {
		uint64_t t = ev_now_ns();

		if (write(cl->fd, &b, 1) != 1 || read(cl->fd, &b, 1) != 1) {
			cl->err = errno ? errno : EIO;
			break;
		}
		t = ev_now_ns() - t;
		cl->slowest_ns = t > cl->slowest_ns ? t : cl->slowest_ns;
		cl->pings++;
		cl->echoes++;
		usleep(1000);
	}
	return NULL;
}

/* Echo what the client sent. */
static int serve_socket(int fd)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return n == 0 ? -EPIPE : -errno;
	return write(fd, buf, (size_t)n) == n ? 0 : -EIO;
}

/* The server: consume every channel, serve the socket, sleep when idle. */
static int serve(struct channel *ch, uint32_t nch, int sock,
		 const struct ev_opts *o, struct ev_tally *t, uint64_t *sleeps)
{
	uint64_t want = o->messages * o->producers;
	struct epoll_event evs[CHANNELS + 1];
	int epfd = epoll_create1(EPOLL_CLOEXEC), err = 0;

	if (epfd < 0)
		return ev_fail(prog, "epoll_create1", errno);
	for (uint32_t i = 0; i < nch && !err; i++)
		err = ringmpsc_epoll_add(epfd, ringmpsc_consumer_eventfd(&ch[i].c), i);
	if (!err)
		err = ringmpsc_epoll_add(epfd, sock, SOCKET_TAG);
	uint64_t progress = ev_now_ns(), before;

	while (!err && t->received < want) {
		int timeout = o->stall_ms, n;
		bool armed = true;

		before = t->received;

		for (uint32_t i = 0; i < nch && !err; i++) {
			long got;

			t->base = ch[i].base;
			got = ringmpsc_consume_batch(&ch[i].c, ev_take, t, BUDGET);
			if (got < 0)
				err = (int)got;
		}
		for (uint32_t i = 0; i < nch && !err; i++) {
			int r = ringmpsc_wait_prepare(&ch[i].c);

			armed = armed && r == 0;
			err = ringmpsc_epoll_timeout(r, &timeout);
		}
		if (err)
			break;
		*sleeps += armed;
		n = epoll_wait(epfd, evs, CHANNELS + 1, timeout);
		for (uint32_t i = 0; i < nch; i++)
			ringmpsc_wait_finish(&ch[i].c);
		if (n < 0 && errno != EINTR)
			err = -errno;
		for (int i = 0; i < n && !err; i++)
			if (evs[i].data.u64 == SOCKET_TAG)
				err = serve_socket(sock);
		/* Every ring armed and no message for stall_ms, though the
		 * socket kept the loop busy: a lost wakeup.
		 */
		if (t->received != before)
			progress = ev_now_ns();
		else if (!err && armed &&
			 ev_now_ns() - progress > o->stall_ms * 1000000ull)
			err = -ETIMEDOUT;
	}
	close(epfd);
	return err ? ev_fail(prog, "serve", err) : 0;
}

int main(int argc, char **argv)
{
	struct ev_opts o = { 100000, 4, 8, 5000 };
	struct channel ch[CHANNELS];
	struct producer pr[EV_MAX_PRODUCERS];
	struct client cl = { .err = 0 };
	struct ev_tally t;
	uint64_t t0, sleeps = 0, psleeps = 0;
	uint32_t nch, id = 0;
	int sv[2], err, status;

	status = ev_parse(argc, argv, &o,
			  "An epoll server consuming several channels while serving a\n"
			  "socket; its producers sleep in epoll loops when their ring is full.");
	if (status)
		return status;
	memset(&t, 0, sizeof(t));
	memset(ch, 0, sizeof(ch));
	nch = o.producers < CHANNELS ? o.producers : CHANNELS;
	for (uint32_t i = 0; i < nch; i++) {
		ch[i].nr = o.producers / nch + (i < o.producers % nch);
		ch[i].base = id;
		id += ch[i].nr;
		err = ringmpsc_local_create(&ch[i].l, ch[i].nr,
					    sizeof(struct ev_msg), o.capacity, 0);
		if (!err)
			err = ringmpsc_local_consumer(ch[i].l, &ch[i].c);
		if (err)
			return ev_fail(prog, "local rings", err);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return ev_fail(prog, "socketpair", errno);
	cl.fd = sv[1];
	t0 = ev_now_ns();
	pthread_create(&cl.th, NULL, client_main, &cl);
	for (uint32_t i = 0, k = 0; i < nch; i++)
		for (uint32_t r = 0; r < ch[i].nr; r++, k++) {
			pr[k] = (struct producer){ .o = &o, .l = ch[i].l,
						   .ring = r, .id = k };
			pthread_create(&pr[k].th, NULL, producer_main, &pr[k]);
		}
	status = serve(ch, nch, sv[0], &o, &t, &sleeps);
	atomic_store(&cl.stop, 1);
	for (uint32_t k = 0; k < o.producers; k++) {
		pthread_join(pr[k].th, NULL);
		psleeps += pr[k].sleeps;
		if (pr[k].err) {
			status = 1;
			ev_fail(prog, "producer", pr[k].err);
		}
	}
	pthread_join(cl.th, NULL);
	if (cl.err || !cl.pings || cl.echoes != cl.pings)
		status = ev_fail(prog, "socket client", cl.err ? cl.err : EPROTO);
	status |= ev_verdict(prog, &t, &o, ev_now_ns() - t0);
	printf("%s: %u channels, %u producers, capacity %u: server slept %"
	       PRIu64 " times, producers %" PRIu64 "; %" PRIu64
	       " pings echoed, slowest %.1f ms\n", prog, nch, o.producers,
	       o.capacity, sleeps, psleeps, cl.echoes, (double)cl.slowest_ns / 1e6);
	for (uint32_t i = 0; i < nch; i++) {
		ringmpsc_consumer_close(&ch[i].c);
		ringmpsc_local_destroy(ch[i].l);
	}
	close(sv[0]);
	close(sv[1]);
	return status;
}
