/* SPDX-License-Identifier: MIT */
#ifndef RINGBENCH_RUNNER_H
#define RINGBENCH_RUNNER_H

#include "bench.h"

#define MAX_RUNS 64
#define MAX_CASES 16

/* p.stamped: what the scheduler did to one run, to judge a bad round. */
struct run_sched {
	uint64_t msgs;		/* sent in the run */
	uint64_t late;		/* of them, sent PACE_LATE_NS or more late */
	double max_late;	/* ns: the producer's worst lateness */
	uint64_t prod_ivcsw, cons_ivcsw; /* involuntary context switches */
	double window;		/* s: from before the fork to after the reap */
	double steal_ms[2];	/* CPU 0 and 1, over the window: time the
				 * hypervisor ran something else */
	uint64_t irqs[2];	/* CPU 0 and 1: interrupts taken */
};

struct run_out {
	bool verified;
	uint64_t checksum, msgs, prod_sys, cons_sys;
	double secs;		/* start signal to the last verified message */
	double jain;		/* p.fairness: Jain's index in the window, or -1 */
	double p99;		/* p.stamped: this run's p99 latency, ns */
	struct run_sched sched;	/* p.stamped */
};

struct case_result {
	int runs;
	double min, median, max;	/* messages/s */
	uint64_t msgs_per_run;
	bool verified;
	uint64_t checksum;		/* of the last run */
	bool sys_counted;
	double prod_sys_per_m, cons_sys_per_m;
	int err;	/* 0, -EOPNOTSUPP (does not apply), or the error */
	/* p.fairness: Jain's index over the rounds whose window held
	 * messages (-1: none did)
	 */
	double jain_min, jain_median, jain_max;
	double p99[MAX_RUNS];		/* p.stamped: per round, ns */
	struct run_sched sched[MAX_RUNS];	/* p.stamped: per round */
	struct hist hist;		/* p.stamped: every measured run's */
};

struct case_spec {
	const struct contender *ct;
	struct tp_params p;
};

/* Run @runs measured runs of about @seconds each after a calibration run.
 * 0, or -EOPNOTSUPP when the contender does not apply, or an error.
 */
/* -W: the watchdog abandons a run after max(this, 20 x its seconds). */
extern double g_watchdog_secs;

int run_case(const struct contender *ct, const struct tp_params *p,
	     int runs, double seconds, struct case_result *res);

/* The same for @n cases interleaved: every case calibrated, then @runs
 * rounds of one run of each, so that the figures of one round can be
 * compared (res[j].err per case). rates[j][i]: case j, round i.
 */
int run_cases(const struct case_spec *cs, int n, int runs, double seconds,
	      struct case_result *res, double (*rates)[MAX_RUNS]);

void sort_doubles(double *v, int n);
double median_of_sorted(const double *v, int n);

/* latency.c: workload 4 */
struct lat_result {
	int samples;
	double p50, p99, p999, min, max;	/* ns */
};
typedef int (*lat_fn)(int samples, double *ns_out);
int lat_run(lat_fn fn, int samples, struct lat_result *r);
int lat_ringmpsc_oneway(int samples, double *ns);
int lat_ringmpsc_pingpong(int samples, double *ns);
int lat_eventfd_pingpong(int samples, double *ns);
int lat_futex_pingpong(int samples, double *ns);
int lat_pipe_pingpong(int samples, double *ns);
int lat_spin_pingpong(int samples, double *ns);
int lat_eventfd_oneway(int samples, double *ns);

#endif
