// SPDX-License-Identifier: MIT
/* ringbench: run one throughput case (threads or processes), repeatedly. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
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

/* Involuntary context switches of the calling thread so far: the times
 * the scheduler took its CPU away while it wanted to run.
 */
static uint64_t thread_ivcsw(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? 0 : (uint64_t)ru.ru_nivcsw;
}

/* Add what this producer thread's pacers saw (t_pace) and its
 * involuntary context switches since @ivcsw to the run's record.
 */
static void add_pace_stats(struct tp_ctx *c, uint64_t ivcsw)
{
	uint64_t max = __atomic_load_n(&c->max_late_ticks, __ATOMIC_RELAXED);

	__atomic_fetch_add(&c->prod_ivcsw, thread_ivcsw() - ivcsw, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->late_msgs, t_pace.late, __ATOMIC_RELAXED);
	while (t_pace.max_late > max &&
	       !__atomic_compare_exchange_n(&c->max_late_ticks, &max,
					    t_pace.max_late, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void run_producer(const struct contender *ct, struct tp_ctx *c,
			 uint32_t id)
{
	uint64_t ivcsw;
	int fd;

	pin_cpu(0);
	if (ct->prod_init)
		ct->prod_init(c, id);
	memset(&t_pace, 0, sizeof(t_pace));
	ivcsw = thread_ivcsw();
	syscalls_begin(&fd);
	ct->producer(c, id);
	uint64_t n = syscalls_end(fd);

	add_pace_stats(c, ivcsw);
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

static void run_consumer(const struct contender *ct, struct tp_ctx *c)
{
	uint64_t ivcsw;
	int fd;

	pin_cpu(1);
	ivcsw = thread_ivcsw();
	syscalls_begin(&fd);
	ct->consumer(c);
	c->cons_syscalls = syscalls_end(fd);
	c->cons_ivcsw = thread_ivcsw() - ivcsw;
}

static void *cons_thread(void *arg)
{
	struct thr_arg *a = arg;

	run_consumer(a->ct, a->c);
	return NULL;
}

/* Fork a child that runs @fn(ct, c, id) and leaves with exit(), so that
 * the libraries' destructors run (an iceoryx runtime unregisters from
 * RouDi). Our stdio buffers are flushed first: the child must not write
 * them out a second time. The child dies with ringbench.
 */
static pid_t fork_child(void (*fn)(const struct contender *, struct tp_ctx *,
				   uint32_t),
			const struct contender *ct, struct tp_ctx *c, uint32_t id)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* A run whose ringbench was killed must not spin on. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		fn(ct, c, id);
		exit(0);
	}
	return pid;
}

static void consumer_child(const struct contender *ct, struct tp_ctx *c,
			   uint32_t id)
{
	(void)id;
	run_consumer(ct, c);
}

/* A child that did not exit with 0 fails the run (if nothing else did). */
static void reap(pid_t pid, struct tp_ctx *c)
{
	int status;

	if ((waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	     WEXITSTATUS(status)) && !c->error)
		c->error = -ECHILD;
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = { (time_t)(t_ns / 1000000000u),
			       (long)(t_ns % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Until the consumer gave the start signal; false if the run failed
 * before it.
 */
static bool wait_started(const struct tp_ctx *c)
{
	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE) && !c->error)
		sleep_until(now_ns() + 1000000);
	return !c->error;
}

static void count_snapshot(const struct tp_ctx *c, uint64_t *n)
{
	for (uint32_t i = 0; i < c->p.nprod; i++)
		n[i] = __atomic_load_n(&c->v.next[i], __ATOMIC_RELAXED);
}

static bool some_producer_done(const struct tp_ctx *c)
{
	for (uint32_t i = 0; i < c->p.nprod; i++)
		if (__atomic_load_n(&c->v.next[i], __ATOMIC_RELAXED) >= c->per_prod)
			return true;
	return false;
}

/*
 * p.fairness, on the main thread while the run goes on: the consumer's
 * per-producer counts of verified messages from 20% to 70% of the
 * expected @seconds of the run, cut short when some producer has sent
 * everything (from then on it no longer competes); from the start when
 * one was done before 20%. Jain's index of the counts, (sum x)^2 /
 * (n sum x^2): 1 when every producer got the same share, 1/n when one got
 * everything; -1 when the window held nothing.
 */
static double sample_fairness(struct tp_ctx *c, double seconds)
{
	uint64_t from[MAX_PRODUCERS] = { 0 }, to[MAX_PRODUCERS], start, end;
	bool started = false;
	double sum = 0, sq = 0;

	if (!wait_started(c))
		return -1;
	start = c->t_start + (uint64_t)(seconds * 0.2e9);
	end = c->t_start + (uint64_t)(seconds * 0.7e9);
	for (;;) {
		uint64_t t = now_ns(), next;

		if (!started && t >= start) {
			count_snapshot(c, from);
			started = true;
		}
		if (t >= end || some_producer_done(c))
			break;
		next = started ? end : start;	/* look every 2 ms until then */
		sleep_until(t + 2000000 < next ? t + 2000000 : next);
	}
	count_snapshot(c, to);
	for (uint32_t i = 0; i < c->p.nprod; i++) {
		double x = (double)(to[i] - from[i]);

		sum += x;
		sq += x * x;
	}
	return sq > 0 ? sum * sum / (c->p.nprod * sq) : -1;
}

double g_watchdog_secs = 10;

/*
 * The watchdog, on the main thread: a run that has not ended
 * max(g_watchdog_secs, 20 x @seconds) after its start is abandoned (c->error = -ETIMEDOUT, the
 * sides give up when they next find their channel full or empty) and its
 * forked producers are killed. What it catches: producers time-sharing a
 * CPU with other load, where an rte_ring MP producer preempted inside its
 * enqueue holds every other one up for a whole time slice per message.
 */
static void watch_run(struct tp_ctx *c, double seconds, const pid_t *pids,
		      uint32_t nr_pids)
{
	double floor = g_watchdog_secs;
	uint64_t limit = (uint64_t)((seconds * 20 > floor ? seconds * 20 : floor) * 1e9);

	if (!wait_started(c))
		return;
	/* No look before the run is due to end: each would wake this thread
	 * on a CPU where a side spins, and preempt it (workload 7 counts
	 * that as latency).
	 */
	sleep_until(c->t_start + (uint64_t)(seconds * 1e9));
	while (!c->t_end && !c->error) {
		if (now_ns() - c->t_start > limit) {
			c->error = -ETIMEDOUT;
			for (uint32_t i = 0; i < nr_pids; i++)
				kill(pids[i], SIGKILL);
			break;
		}
		sleep_until(now_ns() + 5000000);
	}
}

/* The steal time of CPU 0 and 1 so far (/proc/stat), in ms, and the
 * interrupts each has taken (/proc/interrupts, every source); 0 when
 * unreadable.
 */
static void cpu_marks(double steal[2], uint64_t irqs[2])
{
	FILE *f = fopen("/proc/stat", "r");
	char line[4096];
	int cpu;
	unsigned long long v[8], a, b;

	steal[0] = steal[1] = 0;
	irqs[0] = irqs[1] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7]) == 9 && cpu >= 0 && cpu < 2)
			steal[cpu] = (double)v[7] * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	if (f)
		fclose(f);
	f = fopen("/proc/interrupts", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon && sscanf(colon + 1, "%llu %llu", &a, &b) == 2) {
			irqs[0] += a;
			irqs[1] += b;
		}
	}
	if (f)
		fclose(f);
}

/* What the scheduler did to the run of @c that began at @window0 (ns),
 * when CPU 0 and 1 had stolen @steal0 ms and taken @irqs0 interrupts.
 */
static void sched_record(const struct tp_ctx *c, struct run_sched *s,
			 uint64_t window0, const double steal0[2],
			 const uint64_t irqs0[2])
{
	cpu_marks(s->steal_ms, s->irqs);
	s->window = (double)(now_ns() - window0) * 1e-9;
	for (int i = 0; i < 2; i++) {
		s->steal_ms[i] -= steal0[i];
		s->irqs[i] -= irqs0[i];
	}
	s->msgs = c->v.count;
	s->late = c->late_msgs;
	s->max_late = (double)c->max_late_ticks * g_ns_per_tick;
	s->prod_ivcsw = c->prod_ivcsw;
	s->cons_ivcsw = c->cons_ivcsw;
}

/* One run. Returns messages/s, or a negative errno. @seconds: what the run
 * was sized for (0 for a calibration run: no fairness window). The
 * latencies of a stamped run are copied to @hist (may be NULL).
 */
static double run_once(const struct contender *ct, const struct tp_params *p,
		       uint64_t per_prod, double seconds, struct hist *hist,
		       struct run_out *out)
{
	struct tp_ctx *c = shared_alloc(sizeof(*c));
	pthread_t th[MAX_PRODUCERS + 1];
	struct thr_arg args[MAX_PRODUCERS + 1];
	pid_t pids[MAX_PRODUCERS + 1];
	uint32_t nproc = 0;
	double rate, steal0[2];
	uint64_t irqs0[2], window0;
	int err;

	unpin();	/* workload 4 leaves the main thread on CPU 0 */
	memset(c, 0, sizeof(*c));
	c->p = *p;
	c->per_prod = per_prod;
	if (p->stamped)
		c->hist = shared_alloc(sizeof(*c->hist));
	err = ct->setup(c);
	if (err) {
		if (c->hist)
			shared_free(c->hist, sizeof(*c->hist));
		shared_free(c, sizeof(*c));
		return err;
	}
	if (p->stamped)
		cpu_marks(steal0, irqs0);
	window0 = now_ns();
	for (uint32_t i = 0; p->fork && i < p->nprod; i++)
		pids[nproc++] = fork_child(run_producer, ct, c, i);
	if (p->fork && ct->producers_forked)
		ct->producers_forked(c);
	for (uint32_t i = 0; !p->fork && i < p->nprod; i++) {
		args[i] = (struct thr_arg){ ct, c, i };
		thread_on_cpu(&th[i], 0, prod_thread, &args[i]);
	}
	if (ct->consumer_process) {
		pids[nproc++] = fork_child(consumer_child, ct, c, 0);
	} else {
		args[p->nprod] = (struct thr_arg){ ct, c, 0 };
		thread_on_cpu(&th[p->nprod], 1, cons_thread, &args[p->nprod]);
	}
	out->jain = p->fairness && seconds > 0 ? sample_fairness(c, seconds) : -1;
	watch_run(c, seconds, pids, p->fork ? p->nprod : 0);
	if (!ct->consumer_process)
		pthread_join(th[p->nprod], NULL);
	for (uint32_t i = 0; !p->fork && i < p->nprod; i++)
		pthread_join(th[i], NULL);
	for (uint32_t i = 0; i < nproc; i++)
		reap(pids[i], c);
	out->verified = c->v.count == total_msgs(c) && c->v.bad == 0 &&
			c->v.sum == expected_sum(c) && c->error == 0;
	out->checksum = c->v.sum;
	out->msgs = c->v.count;
	out->prod_sys = c->prod_syscalls;
	out->cons_sys = c->cons_syscalls;
	out->secs = (double)(c->t_end - c->t_start) * 1e-9;
	out->p99 = -1;
	memset(&out->sched, 0, sizeof(out->sched));
	if (p->stamped)
		sched_record(c, &out->sched, window0, steal0, irqs0);
	if (c->hist) {
		out->p99 = (double)hist_quantile(c->hist, 0.99);
		if (hist)
			memcpy(hist, c->hist, sizeof(*hist));
		shared_free(c->hist, sizeof(*c->hist));
	}
	rate = c->error == -ETIMEDOUT ? -ETIMEDOUT : (double)c->v.count / out->secs;
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

	r = run_once(cs->ct, &cs->p, n < 500 ? 500 : n, 0, NULL, &o);
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
	double jain[MAX_RUNS];
	int njain;
	struct hist run_hist;	/* the last run's latencies */
};

/* One measured run of @cs into *@rate; 0 or a negative errno. */
static int measure(const struct case_spec *cs, double seconds, int round,
		   struct case_acc *acc, struct case_result *res, double *rate)
{
	struct run_out o;
	double r;

	for (;;) {
		r = run_once(cs->ct, &cs->p, acc->per_prod, seconds,
			     cs->p.stamped ? &acc->run_hist : NULL, &o);
		if (r < 0)
			return (int)r;
		res->verified &= o.verified;	/* a repeated run counts too */
		/* Far shorter than asked: the warm-up ran slow (under -R, in
		 * the kernel's RT throttling pause) and a run this short is
		 * clock noise. Size again from this run and repeat it. A
		 * fairness window needs the run to last to its end: a
		 * calibration of a few hundred messages per producer says
		 * little when producers take turns on one CPU.
		 */
		if (o.secs >= seconds * (cs->p.fairness ? 0.8 : 0.25) ||
		    acc->resized++ >= 3)
			break;
		acc->per_prod = sized_for(r, seconds, cs->p.nprod);
	}
	/* Far longer than asked (the calibration caught a fast moment of
	 * a machine whose speed swings, as an emulated VM's does): the run
	 * counts, and the next ones are sized from it, so that they do not
	 * all run into the watchdog.
	 */
	if (o.secs > seconds * 4 && seconds > 0)
		acc->per_prod = sized_for(r, seconds, cs->p.nprod);
	*rate = r;
	res->checksum = o.checksum;
	res->p99[round] = o.p99;
	res->sched[round] = o.sched;
	if (o.jain >= 0)
		acc->jain[acc->njain++] = o.jain;
	if (cs->p.stamped)
		hist_merge(&res->hist, &acc->run_hist);
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
	res->jain_min = res->jain_median = res->jain_max = -1;
	if (acc->njain) {
		double j[MAX_RUNS];

		memcpy(j, acc->jain, sizeof(j[0]) * (size_t)acc->njain);
		sort_doubles(j, acc->njain);
		res->jain_min = j[0];
		res->jain_median = median_of_sorted(j, acc->njain);
		res->jain_max = j[acc->njain - 1];
	}
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
	static struct case_acc acc[MAX_CASES];	/* large: latencies */

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
				res[j].err = measure(&cs[j], seconds, i, &acc[j],
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
