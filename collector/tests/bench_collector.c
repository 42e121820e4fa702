// SPDX-License-Identifier: MIT
/*
 * bench_collector: what recording a span costs a producer, through
 * <ringmpsc/span.h> into a ring versus one send(2) of the same 512-byte
 * record on an AF_UNIX datagram socket (what statsd-style agents take),
 * with 1, 4 and 16 producer processes, one run. The consumer takes every
 * span (ring: peek, record check, release; socket: recv, record check),
 * as the collector's intake does, and like it, while spans keep coming,
 * looks at the rings again a little later rather than sleep on its
 * eventfd (main.c's busy_poll_ns(): a sleeping consumer costs each
 * producer's next commit a wake call); the export behind it is the same
 * for both and is left out. Prints, per case: spans/s through the consumer
 * and the producers' CPU ns per span (CLOCK_PROCESS_CPUTIME_ID).
 *
 *   bench_collector [SPANS_PER_PRODUCER]   (default 200000)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../invariants.h"
#include <ringmpsc.h>

#include "../loadgen.h"
#include "../record.h"

struct shared {
	double cpu_ns[16];	/* each producer's CPU time */
};

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A different span each time, cheaply: its sequence number in the ids. */
static void stamp(struct ringmpsc_span *s, uint64_t seq)
{
	memcpy(s->trace_id + 4, &seq, sizeof(seq));
	memcpy(s->span_id, &seq, 6);
	s->span_id[7] = 1;
}

static int ring_case(int producers, uint64_t spans, struct shared *sh,
		     double *rate)
{
	enum { CAPACITY = 4096 };
	const uint32_t half = CAPACITY / 2;
	struct ringmpsc_local *l;
	struct ringmpsc_consumer c;
	uint64_t total = (uint64_t)producers * spans, got = 0;
	double t0, prev;
	int err = ringmpsc_local_create(&l, (uint32_t)producers,
					RINGMPSC_SPAN_SIZE, CAPACITY, 0);

	if (err)
		return err;
	t0 = now_s(CLOCK_MONOTONIC);
	for (int i = 0; i < producers; i++) {
		if (fork() == 0) {
			struct ringmpsc_producer p;

			struct ringmpsc_span_writer w;
			struct ringmpsc_span s;
			double c0;

			if (ringmpsc_local_producer(l, (uint32_t)i, &p) ||
			    ringmpsc_span_writer_init(&w, &p, "load", (uint32_t)getpid(), -1))
				_exit(1);
			loadgen_span(&s, &w, (uint32_t)i, 0);
			c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
			for (uint64_t seq = 0; seq < spans; seq++) {
				stamp(&s, seq);
				/* One reserve, a copy into the slot, one commit. */
				if (ringmpsc_span_submit(&w, &s))
					_exit(1);
			}
			sh->cpu_ns[i] = (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e9;
			_exit(0);
		}
	}
	err = ringmpsc_local_consumer(l, &c);
	prev = now_s(CLOCK_MONOTONIC);
	while (!err && got < total) {
		uint32_t any = 0, most = 0;
		double now = now_s(CLOCK_MONOTONIC), t;

		for (uint32_t r = 0; r < c.nr_rings; r++) {
			const unsigned char *slots = NULL;
			struct ringmpsc_span s;
			int n = ringmpsc_peek(&c, r, (const void **)&slots, CAPACITY);

			for (int k = 0; k < n; k++)
				if (record_take(&s, slots + (size_t)k * c.slot_size))
					err = -EPROTO;
			if (n > 0) {
				ringmpsc_release(&c, r, (uint32_t)n);
				got += (uint32_t)n;
				any += (uint32_t)n;
				most = (uint32_t)n > most ? (uint32_t)n : most;
			}
		}
		if (!any) {
			ringmpsc_wait(&c, 100);
		} else if (most < half) {
			/* As the collector: when the busiest ring would be
			 * half full at this pass's rate, at most 2 ms.
			 */
			t = (now - prev) / most * half;
			nanosleep(&(struct timespec){
				.tv_nsec = (long)((t < 2e-3 ? t : 2e-3) * 1e9) }, NULL);
		}
		prev = now;
	}
	*rate = (double)got / (now_s(CLOCK_MONOTONIC) - t0);
	while (wait(NULL) > 0)
		;
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(l);
	return err;
}

static int socket_case(int producers, uint64_t spans, struct shared *sh,
		       double *rate)
{
	uint64_t total = (uint64_t)producers * spans, got = 0;
	int sv[2], err = 0;
	double t0;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		return -errno;
	t0 = now_s(CLOCK_MONOTONIC);
	for (int i = 0; i < producers; i++) {
		if (fork() == 0) {
			struct ringmpsc_span_writer w = { .pid = (uint32_t)getpid() };
			struct ringmpsc_span s;
			double c0;

			close(sv[0]);
			memcpy(w.service, "load", 4);
			w.service_len = 4;
			loadgen_span(&s, &w, (uint32_t)i, 0);
			c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
			for (uint64_t seq = 0; seq < spans; seq++) {
				stamp(&s, seq);
				/* A full socket queue blocks the sender. */
				if (send(sv[1], &s, sizeof(s), 0) != sizeof(s))
					_exit(1);
			}
			sh->cpu_ns[i] = (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e9;
			_exit(0);
		}
	}
	close(sv[1]);
	while (got < total) {
		struct ringmpsc_span s;
		ssize_t n = recv(sv[0], &s, sizeof(s), 0);

		if (n != sizeof(s)) {
			err = n < 0 ? -errno : -EPROTO;
			break;
		}
		if (record_check(&s))
			err = -EPROTO;
		got++;
	}
	*rate = (double)got / (now_s(CLOCK_MONOTONIC) - t0);
	close(sv[0]);
	while (wait(NULL) > 0)
		;
	return err;
}

int main(int argc, char **argv)
{
	static const int counts[] = { 1, 4, 16 };
	uint64_t spans = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sh == MAP_FAILED || !spans) {
		fprintf(stderr, "usage: bench_collector [SPANS_PER_PRODUCER]\n");
		return 2;
	}
	printf("%-9s %9s %14s %14s %12s %12s %8s %8s\n", "producers", "spans",
	       "ring spans/s", "socket spans/s", "ring ns/span", "sock ns/span",
	       "x rate", "x cost");
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		int n = counts[k];
		double ring_rate, sock_rate, ring_ns = 0, sock_ns = 0;
		int err = ring_case(n, spans, sh, &ring_rate);

		for (int i = 0; i < n; i++)
			ring_ns += sh->cpu_ns[i];
		if (!err)
			err = socket_case(n, spans, sh, &sock_rate);
		for (int i = 0; i < n; i++)
			sock_ns += sh->cpu_ns[i];
		if (err) {
			fprintf(stderr, "bench_collector: %d producers: %s\n", n,
				strerror(-err));
			return 1;
		}
		ring_ns /= (double)n * (double)spans;
		sock_ns /= (double)n * (double)spans;
		printf("%-9d %9llu %14.0f %14.0f %12.1f %12.1f %8.2f %8.3f\n", n,
		       (unsigned long long)spans * (unsigned)n, ring_rate, sock_rate,
		       ring_ns, sock_ns, ring_rate / sock_rate, ring_ns / sock_ns);
	}
	return 0;
}
