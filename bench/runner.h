/* SPDX-License-Identifier: MIT */
#ifndef RINGBENCH_RUNNER_H
#define RINGBENCH_RUNNER_H

#include "bench.h"

#define MAX_RUNS 64

struct run_out {
	bool verified;
	uint64_t checksum, msgs, prod_sys, cons_sys;
	double secs;		/* start signal to the last verified message */
};

struct case_result {
	int runs;
	double min, median, max;	/* messages/s */
	uint64_t msgs_per_run;
	bool verified;
	uint64_t checksum;		/* of the last run */
	bool sys_counted;
	double prod_sys_per_m, cons_sys_per_m;
};

/* Run @runs measured runs of about @seconds each after a calibration run.
 * 0, or -EOPNOTSUPP when the contender does not apply, or an error.
 */
int run_case(const struct contender *ct, const struct tp_params *p,
	     int runs, double seconds, struct case_result *res);

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
