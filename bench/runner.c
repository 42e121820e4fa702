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

/* Messages per producer for runs of about @seconds, from a short warm-up
 * run. Small for many producers: an oversubscribed MP ring can be very
 * slow.
 */
static int calibrate(const struct case_spec *cs, double seconds,
		     uint64_t *per_prod)
{
	struct run_out o;
	uint64_t n = 20000 / cs->p.nprod;
	double r;

	r = run_once(cs->ct, &cs->p, n < 500 ? 500 : n, &o);
	if (r < 0)
		return (int)r;
	*per_prod = sized_for(r, seconds, cs->p.nprod);
	return 0;
}

/* What one case collects over its measured runs. */
struct case_acc {
	uint64_t per_prod;
	int resized;
	uint64_t msgs, sys_p, sys_c;
	bool counted;
};

/* One measured run of @cs into *@rate; 0 or a negative errno. */
static int measure(const struct case_spec *cs, double seconds,
		   struct case_acc *acc, struct case_result *res, double *rate)
{
	struct run_out o;
	double r;

	for (;;) {
		r = run_once(cs->ct, &cs->p, acc->per_prod, &o);
		if (r < 0)
			return (int)r;
		res->verified &= o.verified;	/* a repeated run counts too */
		/* Far shorter than asked: the warm-up ran slow (under -R, in
		 * the kernel's RT throttling pause) and a run this short is
		 * clock noise. Size again from this run and repeat it.
		 */
		if (o.secs >= seconds / 4 || acc->resized++ >= 3)
			break;
		acc->per_prod = sized_for(r, seconds, cs->p.nprod);
	}
	*rate = r;
	res->checksum = o.checksum;
	acc->msgs += o.msgs;
	if (o.prod_sys == UINT64_MAX || o.cons_sys == UINT64_MAX) {
		acc->counted = false;
	} else {
		acc->sys_p += o.prod_sys;
		acc->sys_c += o.cons_sys;
	}
	return 0;
}

static void summarise(const double *rates_in, int runs,
		      const struct case_acc *acc, const struct case_spec *cs,
		      struct case_result *res)
{
	double rates[MAX_RUNS];

	memcpy(rates, rates_in, sizeof(rates[0]) * (size_t)runs);
	sort_doubles(rates, runs);
	res->runs = runs;
	res->min = rates[0];
	res->max = rates[runs - 1];
	res->median = median_of_sorted(rates, runs);
	res->msgs_per_run = acc->per_prod * cs->p.nprod;
	res->sys_counted = acc->counted;
	res->prod_sys_per_m = acc->counted ? (double)acc->sys_p * 1e6 / (double)acc->msgs : -1;
	res->cons_sys_per_m = acc->counted ? (double)acc->sys_c * 1e6 / (double)acc->msgs : -1;
}

void sort_doubles(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
}

double median_of_sorted(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run_cases(const struct case_spec *cs, int n, int runs, double seconds,
	      struct case_result *res, double (*rates)[MAX_RUNS])
{
	struct case_acc acc[MAX_CASES];

	if (n > MAX_CASES || runs < 1 || runs > MAX_RUNS)
		return -EINVAL;
	for (int j = 0; j < n; j++) {
		memset(&res[j], 0, sizeof(res[j]));
		memset(&acc[j], 0, sizeof(acc[j]));
		res[j].verified = true;
		acc[j].counted = true;
		if (cs[j].ct->supports && !cs[j].ct->supports(&cs[j].p))
			res[j].err = -EOPNOTSUPP;
		else
			res[j].err = calibrate(&cs[j], seconds, &acc[j].per_prod);
	}
	/* Round by round: the cases of one round share the machine's state
	 * of the moment, which on a shared VM moves the figures by 2x
	 * within a minute (where the host runs the two vCPUs).
	 */
	for (int i = 0; i < runs; i++)
		for (int j = 0; j < n; j++)
			if (!res[j].err)
				res[j].err = measure(&cs[j], seconds, &acc[j],
						     &res[j], &rates[j][i]);
	for (int j = 0; j < n; j++)
		if (!res[j].err)
			summarise(rates[j], runs, &acc[j], &cs[j], &res[j]);
	return 0;
}

int run_case(const struct contender *ct, const struct tp_params *p,
	     int runs, double seconds, struct case_result *res)
{
	struct case_spec cs = { ct, *p };
	double rates[1][MAX_RUNS];
	int err = run_cases(&cs, 1, runs > MAX_RUNS ? MAX_RUNS : runs,
			    seconds, res, rates);

	return err ? err : res->err;
}
