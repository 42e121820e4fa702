// SPDX-License-Identifier: MIT
/* ringbench: run one throughput case (threads or processes), repeatedly. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "runner.h"

/* Messages per producer for a run of @seconds at @rate msgs/s. */
static uint64_t sized_for(double rate, double seconds, uint32_t nprod)
{
	uint64_t n = (uint64_t)(rate * seconds / nprod);

	return n < 200 ? 200 : n;
}

struct thr_arg {
	const struct contender *ct;
	struct tp_ctx *c;
	uint32_t id;
};

static void run_producer(const struct contender *ct, struct tp_ctx *c,
			 uint32_t id)
{
	int fd;

	pin_cpu(0);
	if (ct->prod_init)
		ct->prod_init(c, id);
	syscalls_begin(&fd);
	ct->producer(c, id);
	uint64_t n = syscalls_end(fd);

	if (n == UINT64_MAX || c->prod_syscalls == UINT64_MAX)
		c->prod_syscalls = UINT64_MAX;
	else
		__atomic_fetch_add(&c->prod_syscalls, n, __ATOMIC_RELAXED);
}

static void *prod_thread(void *arg)
{
	struct thr_arg *a = arg;

	run_producer(a->ct, a->c, a->id);
	return NULL;
}

static void *cons_thread(void *arg)
{
	struct thr_arg *a = arg;
	int fd;

	pin_cpu(1);
	syscalls_begin(&fd);
	a->ct->consumer(a->c);
	a->c->cons_syscalls = syscalls_end(fd);
	return NULL;
}

/* One run. Returns messages/s, or a negative errno. */
static double run_once(const struct contender *ct, const struct tp_params *p,
		       uint64_t per_prod, struct run_out *out)
{
	struct tp_ctx *c = shared_alloc(sizeof(*c));
	pthread_t th[MAX_PRODUCERS + 1];
	struct thr_arg args[MAX_PRODUCERS + 1];
	pid_t pids[MAX_PRODUCERS];
	double rate;
	int err;

	unpin();	/* workload 4 leaves the main thread on CPU 0 */
	memset(c, 0, sizeof(*c));
	c->p = *p;
	c->per_prod = per_prod;
	err = ct->setup(c);
	if (err) {
		shared_free(c, sizeof(*c));
		return err;
	}
	if (p->fork) {
		for (uint32_t i = 0; i < p->nprod; i++) {
			pids[i] = fork();
			if (pids[i] < 0)
				die("fork");
			if (pids[i] == 0) {
				run_producer(ct, c, i);
				_exit(0);
			}
		}
		args[0] = (struct thr_arg){ ct, c, 0 };
		thread_on_cpu(&th[0], 1, cons_thread, &args[0]);
		pthread_join(th[0], NULL);
		for (uint32_t i = 0; i < p->nprod; i++)
			waitpid(pids[i], NULL, 0);
	} else {
		for (uint32_t i = 0; i < p->nprod; i++) {
			args[i] = (struct thr_arg){ ct, c, i };
			thread_on_cpu(&th[i], 0, prod_thread, &args[i]);
		}
		args[p->nprod] = (struct thr_arg){ ct, c, 0 };
		thread_on_cpu(&th[p->nprod], 1, cons_thread, &args[p->nprod]);
		for (uint32_t i = 0; i <= p->nprod; i++)
			pthread_join(th[i], NULL);
	}
	out->verified = c->v.count == total_msgs(c) && c->v.bad == 0 &&
			c->v.sum == expected_sum(c) && c->error == 0;
	out->checksum = c->v.sum;
	out->msgs = c->v.count;
	out->prod_sys = c->prod_syscalls;
	out->cons_sys = c->cons_syscalls;
	out->secs = (double)(c->t_end - c->t_start) * 1e-9;
	rate = (double)c->v.count / out->secs;
	ct->teardown(c);
	shared_free(c, sizeof(*c));
	return rate;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int run_case(const struct contender *ct, const struct tp_params *p,
	     int runs, double seconds, struct case_result *res)
{
	double rates[MAX_RUNS];
	struct run_out o;
	uint64_t per_prod, sys_p = 0, sys_c = 0, msgs = 0;
	int resized = 0;
	bool counted = true;
	double r;

	memset(res, 0, sizeof(*res));
	res->verified = true;
	if (ct->supports && !ct->supports(p))
		return -EOPNOTSUPP;
	if (runs > MAX_RUNS)
		runs = MAX_RUNS;
	/* Calibrate: a short warm-up run sizes the measured runs. Small for
	 * many producers: an oversubscribed MP ring can be very slow.
	 */
	per_prod = 20000 / p->nprod;
	if (per_prod < 500)
		per_prod = 500;
	r = run_once(ct, p, per_prod, &o);
	if (r < 0)
		return (int)r;
	per_prod = sized_for(r, seconds, p->nprod);
	for (int i = 0; i < runs; i++) {
		r = run_once(ct, p, per_prod, &o);
		if (r < 0)
			return (int)r;
		res->verified &= o.verified;	/* a repeated run counts too */
		/* Far shorter than asked: the warm-up ran slow (under -R, in
		 * the kernel's RT throttling pause) and a run this short is
		 * clock noise. Size again from this run and repeat it.
		 */
		if (o.secs < seconds / 4 && resized++ < 3) {
			per_prod = sized_for(r, seconds, p->nprod);
			i--;
			continue;
		}
		rates[i] = r;
		res->checksum = o.checksum;
		msgs += o.msgs;
		if (o.prod_sys == UINT64_MAX || o.cons_sys == UINT64_MAX)
			counted = false;
		else {
			sys_p += o.prod_sys;
			sys_c += o.cons_sys;
		}
	}
	qsort(rates, (size_t)runs, sizeof(rates[0]), cmp_double);
	res->runs = runs;
	res->min = rates[0];
	res->max = rates[runs - 1];
	res->median = runs % 2 ? rates[runs / 2]
			       : (rates[runs / 2 - 1] + rates[runs / 2]) / 2;
	res->msgs_per_run = per_prod * p->nprod;
	res->sys_counted = counted;
	res->prod_sys_per_m = counted ? (double)sys_p * 1e6 / (double)msgs : -1;
	res->cons_sys_per_m = counted ? (double)sys_c * 1e6 / (double)msgs : -1;
	return 0;
}
