// SPDX-License-Identifier: MIT
/*
 * Workload 4: wakeup latency. Side A on CPU 0, side B on CPU 1.
 *  - one-way: A stamps a message with CLOCK_MONOTONIC and sends it to B,
 *    which is blocked (ringmpsc_wait / read on an eventfd); B computes
 *    arrival - stamp. A waits until B is asleep again (its NEED_WAKEUP is
 *    set, plus 30 us) before the next sample.
 *  - ping-pong: A sends, B (blocked) wakes and answers, A (blocked) wakes:
 *    one round trip per sample, both sides sleeping in the kernel.
 *  - busy-spin: two cache lines, both sides spinning: the hardware limit.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ringmpsc.h"
#include "bench.h"
#include "runner.h"

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int lat_run(lat_fn fn, int samples, struct lat_result *r)
{
	double *ns = calloc((size_t)samples, sizeof(*ns));
	int err;

	if (!ns)
		return -ENOMEM;
	err = fn(samples, ns);
	if (!err) {
		qsort(ns, (size_t)samples, sizeof(*ns), cmp_d);
		r->samples = samples;
		r->min = ns[0];
		r->max = ns[samples - 1];
		r->p50 = ns[samples / 2];
		r->p99 = ns[(size_t)(samples * 0.99)];
		r->p999 = ns[(size_t)(samples * 0.999)];
	}
	free(ns);
	return err;
}

static void spin_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		cpu_relax();
}

/* Run @fn on CPU 1 in a thread while the caller runs on CPU 0. */
struct side {
	pthread_t th;
	void *(*fn)(void *);
	void *arg;
};

static void side_start(struct side *s, void *(*fn)(void *), void *arg)
{
	s->fn = fn;
	s->arg = arg;
	pin_cpu(0);
	thread_on_cpu(&s->th, 1, fn, arg);
}

/* ---- ringmpsc ----------------------------------------------------------- */

struct rm_lat {
	struct ringmpsc_local *a, *b;	/* a: A -> B, b: B -> A */
	int samples;
	double *ns;
	volatile int done;
	volatile uint64_t got;
	int err;
};

struct stamp_ctx {
	double *ns;
	uint64_t got;
};

static void on_stamp(void *ctx, uint32_t ring, const void *msg)
{
	struct stamp_ctx *s = ctx;
	uint64_t ts;

	(void)ring;
	memcpy(&ts, msg, 8);
	s->ns[s->got++] = (double)(now_ns() - ts);
}

static void *oneway_b(void *arg)
{
	struct rm_lat *L = arg;
	struct ringmpsc_consumer c;
	struct stamp_ctx sc = { L->ns, 0 };

	pin_cpu(1);
	if (ringmpsc_local_consumer(L->a, &c)) {
		L->err = -EIO;
		return NULL;
	}
	while (sc.got < (uint64_t)L->samples) {
		if (ringmpsc_consume(&c, on_stamp, &sc, 64) > 0) {
			__atomic_store_n(&L->got, sc.got, __ATOMIC_RELEASE);
			continue;
		}
		int e = ringmpsc_wait(&c, 1000);

		if (e && e != -ETIMEDOUT && e != -EINTR) {
			L->err = e;
			break;
		}
	}
	ringmpsc_consumer_close(&c);
	return NULL;
}

int lat_ringmpsc_oneway(int samples, double *ns)
{
	struct rm_lat L = { .samples = samples, .ns = ns };
	struct ringmpsc_producer p;
	struct side s;
	int err = ringmpsc_local_create(&L.a, 1, 8, 64, 0);

	if (err)
		return err;
	ringmpsc_local_producer(L.a, 0, &p);
	side_start(&s, oneway_b, &L);
	for (int i = 0; i < samples && !L.err; i++) {
		/* B is asleep: its NEED_WAKEUP is up, and it had time to block. */
		while (!(__atomic_load_n(p.peer_flags_p, __ATOMIC_ACQUIRE) &
			 RINGMPSC_NEED_WAKEUP) && !L.err)
			cpu_relax();
		spin_ns(30000);
		uint64_t ts = now_ns();

		if (ringmpsc_try_send(&p, &ts, 8)) {
			L.err = -EIO;
			break;
		}
		while (__atomic_load_n(&L.got, __ATOMIC_ACQUIRE) < (uint64_t)i + 1 &&
		       !L.err)
			cpu_relax();
	}
	pthread_join(s.th, NULL);
	ringmpsc_local_destroy(L.a);
	return L.err;
}

/* Receive one message on @c, blocking. */
static int rm_recv1(struct ringmpsc_consumer *c, uint64_t *m)
{
	for (;;) {
		const void *slot = NULL;
		int n = ringmpsc_peek(c, 0, &slot, 1);

		if (n > 0) {
			memcpy(m, slot, 8);
			return ringmpsc_release(c, 0, 1);
		}
		if (n < 0)
			return n;
		n = ringmpsc_wait(c, 1000);
		if (n && n != -ETIMEDOUT && n != -EINTR)
			return n;
	}
}

static void *pp_b(void *arg)
{
	struct rm_lat *L = arg;
	struct ringmpsc_consumer c;
	struct ringmpsc_producer p;
	uint64_t m;

	pin_cpu(1);
	if (ringmpsc_local_consumer(L->a, &c) ||
	    ringmpsc_local_producer(L->b, 0, &p)) {
		L->err = -EIO;
		return NULL;
	}
	for (int i = 0; i < L->samples; i++) {
		if (rm_recv1(&c, &m) || ringmpsc_send(&p, &m, 8, 1000)) {
			L->err = -EIO;
			break;
		}
	}
	ringmpsc_consumer_close(&c);
	return NULL;
}

int lat_ringmpsc_pingpong(int samples, double *ns)
{
	struct rm_lat L = { .samples = samples, .ns = ns };
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct side s;
	int err = ringmpsc_local_create(&L.a, 1, 8, 64, 0);

	if (!err)
		err = ringmpsc_local_create(&L.b, 1, 8, 64, 0);
	if (err)
		return err;
	ringmpsc_local_producer(L.a, 0, &p);
	ringmpsc_local_consumer(L.b, &c);
	side_start(&s, pp_b, &L);
	for (int i = 0; i < samples && !L.err; i++) {
		uint64_t t0 = now_ns(), m = (uint64_t)i, r;

		if (ringmpsc_send(&p, &m, 8, 1000) || rm_recv1(&c, &r) || r != m) {
			L.err = -EIO;
			break;
		}
		ns[i] = (double)(now_ns() - t0);
	}
	pthread_join(s.th, NULL);
	ringmpsc_consumer_close(&c);
	ringmpsc_local_destroy(L.a);
	ringmpsc_local_destroy(L.b);
	return L.err;
}

/* ---- raw primitives ----------------------------------------------------- */

struct raw {
	int fd[4];
	uint32_t f1 ALIGNED_LINE;
	uint32_t f2 ALIGNED_LINE;
	volatile uint64_t ping ALIGNED_LINE;
	volatile uint64_t pong ALIGNED_LINE;
	int samples;
	double *ns;
	volatile uint64_t got;
	int err;
};

static void *efd_oneway_b(void *arg)
{
	struct raw *R = arg;

	pin_cpu(1);
	for (int i = 0; i < R->samples; i++) {
		uint64_t ts;

		__atomic_store_n(&R->f1, 1, __ATOMIC_RELEASE);	/* about to block */
		if (read(R->fd[0], &ts, 8) != 8) {
			R->err = -EIO;
			break;
		}
		R->ns[i] = (double)(now_ns() - ts);
		__atomic_store_n(&R->got, (uint64_t)i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

int lat_eventfd_oneway(int samples, double *ns)
{
	struct raw *R = aligned_alloc(128, sizeof(*R));
	struct side s;
	int err;

	memset(R, 0, sizeof(*R));
	R->samples = samples;
	R->ns = ns;
	R->fd[0] = eventfd(0, EFD_CLOEXEC);
	side_start(&s, efd_oneway_b, R);
	for (int i = 0; i < samples && !R->err; i++) {
		while (!__atomic_load_n(&R->f1, __ATOMIC_ACQUIRE))
			cpu_relax();
		R->f1 = 0;
		spin_ns(30000);
		uint64_t ts = now_ns();

		if (write(R->fd[0], &ts, 8) != 8)
			R->err = -EIO;
		while (R->got < (uint64_t)i + 1 && !R->err)
			cpu_relax();
	}
	pthread_join(s.th, NULL);
	close(R->fd[0]);
	err = R->err;
	free(R);
	return err;
}

static void *efd_pp_b(void *arg)
{
	struct raw *R = arg;
	uint64_t v;

	pin_cpu(1);
	for (int i = 0; i < R->samples; i++)
		if (read(R->fd[0], &v, 8) != 8 || write(R->fd[1], &v, 8) != 8) {
			R->err = -EIO;
			break;
		}
	return NULL;
}

static void *pipe_pp_b(void *arg)
{
	struct raw *R = arg;
	char b;

	pin_cpu(1);
	for (int i = 0; i < R->samples; i++)
		if (read(R->fd[0], &b, 1) != 1 || write(R->fd[3], &b, 1) != 1) {
			R->err = -EIO;
			break;
		}
	return NULL;
}

static long futex(uint32_t *w, int op, uint32_t v)
{
	return syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

static void futex_post(uint32_t *w)
{
	__atomic_store_n(w, 1, __ATOMIC_SEQ_CST);
	futex(w, FUTEX_WAKE_PRIVATE, 1);
}

static void futex_take(uint32_t *w)
{
	while (!__atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST))
		futex(w, FUTEX_WAIT_PRIVATE, 0);
}

static void *futex_pp_b(void *arg)
{
	struct raw *R = arg;

	pin_cpu(1);
	for (int i = 0; i < R->samples; i++) {
		futex_take(&R->f1);
		futex_post(&R->f2);
	}
	return NULL;
}

static void *spin_pp_b(void *arg)
{
	struct raw *R = arg;

	pin_cpu(1);
	for (uint64_t i = 1; i <= (uint64_t)R->samples; i++) {
		while (R->ping != i)
			cpu_relax();
		R->pong = i;
	}
	return NULL;
}

enum raw_kind { RAW_EFD, RAW_PIPE, RAW_FUTEX, RAW_SPIN };

static int raw_pingpong(enum raw_kind k, int samples, double *ns)
{
	static void *(*const fns[])(void *) = { efd_pp_b, pipe_pp_b,
						 futex_pp_b, spin_pp_b };
	struct raw *R = aligned_alloc(128, sizeof(*R));
	struct side s;
	int err;

	memset(R, 0, sizeof(*R));
	R->samples = samples;
	R->ns = ns;
	if (k == RAW_EFD) {
		R->fd[0] = eventfd(0, EFD_CLOEXEC);
		R->fd[1] = eventfd(0, EFD_CLOEXEC);
	} else if (k == RAW_PIPE) {
		if (pipe(R->fd) || pipe(R->fd + 2))
			return -errno;
	}
	side_start(&s, fns[k], R);
	for (int i = 0; i < samples && !R->err; i++) {
		uint64_t t0 = now_ns(), v = 1;
		char b = 1;

		switch (k) {
		case RAW_EFD:
			if (write(R->fd[0], &v, 8) != 8 || read(R->fd[1], &v, 8) != 8)
				R->err = -EIO;
			break;
		case RAW_PIPE:
			if (write(R->fd[1], &b, 1) != 1 || read(R->fd[2], &b, 1) != 1)
				R->err = -EIO;
			break;
		case RAW_FUTEX:
			futex_post(&R->f1);
			futex_take(&R->f2);
			break;
		case RAW_SPIN:
			R->ping = (uint64_t)i + 1;
			while (R->pong != (uint64_t)i + 1)
				cpu_relax();
			break;
		}
		ns[i] = (double)(now_ns() - t0);
	}
	pthread_join(s.th, NULL);
	for (int i = 0; i < 4; i++)
		if (R->fd[i] > 2)
			close(R->fd[i]);
	err = R->err;
	free(R);
	return err;
}

int lat_eventfd_pingpong(int samples, double *ns)
{
	return raw_pingpong(RAW_EFD, samples, ns);
}

int lat_pipe_pingpong(int samples, double *ns)
{
	return raw_pingpong(RAW_PIPE, samples, ns);
}

int lat_futex_pingpong(int samples, double *ns)
{
	return raw_pingpong(RAW_FUTEX, samples, ns);
}

int lat_spin_pingpong(int samples, double *ns)
{
	return raw_pingpong(RAW_SPIN, samples, ns);
}
