/* SPDX-License-Identifier: MIT */
/* ringbench: options every workload shares; the table and results.csv. */
#ifndef RINGBENCH_REPORT_H
#define RINGBENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "runner.h"

extern int g_runs;		/* -r: measured runs per case */
extern double g_secs;		/* -t: seconds per run */
extern uint32_t g_cap;		/* -c: ring slots */
extern const char *g_outdir;	/* -o */
extern FILE *g_csv;		/* results.csv */
extern const char *g_only_variant;	/* -f */

/* A row of a group of cases run interleaved, round by round. */
struct row {
	const char *name, *variant;
	struct case_spec cs;
};

void csv_open(void);
void header(const char *title);
void print_tp(const char *wl, const char *name, const char *variant,
	      const struct tp_params *p, int err, const struct case_result *r);
int find_row(const struct row *rows, int n, const char *name,
	     const char *variant);
/* Print the per-round ratio of row @a to row @b (same round, so the same
 * state of the machine): min / median / max over the rounds.
 */
void print_ratio(const char *wl, const struct row *rows, int a, int b,
		 const struct case_result *res, double (*rates)[MAX_RUNS]);
/* Run @rows interleaved, runs of @secs, and print them; the rows -f
 * leaves out are dropped. Returns how many rows remain.
 */
int tp_rows(const char *wl, struct row *rows, int n, int runs, double secs,
	    struct case_result *res, double (*rates)[MAX_RUNS]);
/* Run and print one case; returns the median (0 when not run). */
double tp(const char *wl, const struct contender *ct, const char *name,
	  const char *variant, struct tp_params p, int runs);
const char *bname(uint32_t batch);

/* extra.c: single-core memcpy GB/s, in cache (returned) and from DRAM */
double memcpy_bw(FILE *csv, int runs);

/* Workloads or parts with a file of their own. */
void big_messages(double memcpy_in_cache);	/* bigmsg.c, workload 2 */
void workload6(void);		/* fanin.c */
/* fanin.c: 1 busy ring of 64 live ones against 1 of 1, interleaved, in
 * threads or processes; the ratio per round.
 */
void idle_rings(const char *wl, bool processes, uint32_t batch, int runs);
void workload7(void);		/* loadlat.c */
/* loadlat.c: @rows (stamped, at most 7) at their maximum, then at each of
 * @loads % of it, interleaved: the table and results.csv under @wl, the
 * quantile curves to <-o>/@wl.dat, and after each load what @ratios prints
 * (print_p99_ratio(): per round, the p99 of row @a_name over @b_name's).
 */
typedef void (*lat_ratios_fn)(const char *wl, const struct row *rows, int n,
			      const struct case_result *res, int load);
void lat_sweep(const char *wl, struct row *rows, int n, const int *loads,
	       int nloads, lat_ratios_fn ratios);
void print_p99_ratio(const char *wl, const struct row *rows, int n,
		     const char *a_name, const char *b_name,
		     const struct case_result *res, int load);
void workload8(void);		/* module.c */

#endif
