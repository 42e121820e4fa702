// SPDX-License-Identifier: MIT
/*
 * Workload 7: one-way latency at fixed offered loads. 16-byte messages,
 * one producer process (CPU 0) to one consumer (CPU 1). First each
 * contender's maximum rate with stamped messages, in the same run; then
 * the producer sends at 10%, 50% and 90% of that maximum, every message
 * stamped with the TSC time it was due (bench.h, struct pacer), and the
 * consumer records receipt minus stamp in a log-linear histogram (hist.h).
 * The rows of one load run interleaved, round by round; percentiles are
 * over every measured run's messages, and each round's p99 gives the
 * per-round ratios. Quantile curves go to w7.dat ("CONTENDER LOAD
 * QUANTILE NS" per line) for the plot. ringmpsc's consumer runs three
 * ways: busy polling, sleeping in ringmpsc_wait(), and sleeping in an
 * epoll loop (<ringmpsc/epoll.h>), which is the event-loop consumer's
 * cost in throughput (the maximum) and in wakeup latency.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "report.h"
#include "runner.h"

#define LAT_ROWS	7

static const int w7_loads[] = { 10, 50, 90 };	/* % of the maximum */

static int lat_rows(struct row *rows)
{
	struct tp_params p = { .batch = 1, .msg_size = 16, .fork = true,
			       .stamped = true };
	struct tp_params blk = p, ep;
	int n = 0;

	blk.blocking = true;	/* and no spin: sleeps when empty */
	ep = blk;
	ep.evloop = true;	/* sleeps in an epoll loop instead */
	rows[n++] = (struct row){ "ringmpsc-polling", "max", { &ct_ringmpsc, p } };
	rows[n++] = (struct row){ "ringmpsc-blocking", "max", { &ct_ringmpsc, blk } };
	rows[n++] = (struct row){ "ringmpsc-epoll", "max", { &ct_ringmpsc, ep } };
#ifdef HAVE_ICEORYX
	rows[n++] = (struct row){ "iceoryx-polling", "max", { &ct_iceoryx, p } };
#endif
#ifdef HAVE_ZMQ
	rows[n++] = (struct row){ "zmq-ipc", "max", { &ct_zmq, p } };
#endif
	rows[n++] = (struct row){ "pipe", "max", { &ct_pipe, p } };
	rows[n++] = (struct row){ "eventfd+shm", "max", { &ct_efd_shm, p } };
	return n;
}

static void print_lat_row(const char *wl, const struct row *rw,
			  const struct case_result *r, int load)
{
	const struct hist *h = &r->hist;
	double us[4] = { hist_quantile(h, 0.5) / 1e3, hist_quantile(h, 0.99) / 1e3,
			 hist_quantile(h, 0.999) / 1e3, h->max / 1e3 };

	if (r->err) {
		printf("  %-20s %-12s ERROR %d\n", rw->name, rw->variant, r->err);
		return;
	}
	printf("  %-20s %-12s %8.3f %9.2f %9.2f %9.2f %10.1f  %llu msgs",
	       rw->name, rw->variant, r->median / 1e6, us[0], us[1], us[2],
	       us[3], (unsigned long long)h->count);
	/* A side that enters the kernel may sleep there: the system calls
	 * show which rows have a path that can sleep at this load.
	 */
	if (r->sys_counted)
		printf("  sys/M p=%.1f c=%.1f", r->prod_sys_per_m, r->cons_sys_per_m);
	printf(" %s\n", r->verified ? "ok" : "FAILED");
	fprintf(g_csv, "%s,%s,load%d,16,1,%d,us,%.3f,%.3f,%.3f,%.3f,,,%s,,%.3f,%.3f\n",
		wl, rw->name, load, r->runs, hist_quantile(h, 0) / 1e3, us[0], us[3],
		r->median * 16 / 1e9, r->verified ? "yes" : "NO", us[1], us[2]);
}

static int row_named(const struct row *rows, int n, const char *name)
{
	for (int j = 0; j < n; j++)
		if (!strcmp(rows[j].name, name))
			return j;
	return -1;
}

void print_p99_ratio(const char *wl, const struct row *rows, int n,
		     const char *a_name, const char *b_name,
		     const struct case_result *res, int load)
{
	int a = row_named(rows, n, a_name), b = row_named(rows, n, b_name), runs;
	double q[MAX_RUNS];

	if (a < 0 || b < 0 || res[a].err || res[b].err)
		return;
	runs = res[a].runs;
	for (int i = 0; i < runs; i++)
		q[i] = res[a].p99[i] / res[b].p99[i];
	sort_doubles(q, runs);
	printf("  p99 %s / %s, per round: %.3f / %.3f / %.3f\n", a_name, b_name,
	       q[0], median_of_sorted(q, runs), q[runs - 1]);
	fprintf(g_csv, "%s,p99 %s/%s,load%d,16,1,%d,ratio,%.3f,%.3f,%.3f,,,,yes,\n",
		wl, a_name, b_name, load, runs, q[0], median_of_sorted(q, runs),
		q[runs - 1]);
}

/*
 * Each round of each row: its p99, and what kept the two sides from
 * running as paced: the share of messages the producer sent late (behind
 * its schedule: it was preempted, or held by a full channel) and the worst
 * lateness, the involuntary context switches of the producer and the
 * consumer, and per CPU the interrupts and the steal time (the hypervisor
 * ran something else; /proc/stat counts it in 10 ms ticks) over the run.
 */
static void print_rounds(const struct row *rows, int n,
			 const struct case_result *res)
{
	printf("  by round: %-20s %10s | %7s %9s | %9s | %13s | %7s\n",
	       "contender", "p99 us", "late %", "worst us", "preempted",
	       "interrupts/s", "steal ms");
	for (int j = 0; j < n; j++) {
		if (res[j].err)
			continue;
		for (int i = 0; i < res[j].runs; i++) {
			const struct run_sched *s = &res[j].sched[i];
			double w = s->window > 0 ? s->window : 1;

			printf("  round %-2d  %-20s %10.2f | %7.2f %9.1f | %4llu/%-4llu | %6.0f/%-6.0f | %3.0f/%-3.0f\n",
			       i + 1, rows[j].name, res[j].p99[i] / 1e3,
			       s->msgs ? 100.0 * (double)s->late / (double)s->msgs : 0,
			       s->max_late / 1e3, (unsigned long long)s->prod_ivcsw,
			       (unsigned long long)s->cons_ivcsw,
			       (double)s->irqs[0] / w, (double)s->irqs[1] / w,
			       s->steal_ms[0], s->steal_ms[1]);
		}
	}
}

/* The rows still running at @load% of their maximum @max. */
static int at_load(struct row *rows, int n, double *max, int load,
		   char (*vname)[24])
{
	int kept = 0;

	for (int j = 0; j < n; j++) {
		if (!max[j])
			continue;
		rows[kept] = rows[j];
		max[kept] = max[j];
		rows[kept].cs.p.pace = (uint32_t)(max[j] * load / 100);
		snprintf(vname[kept], sizeof(vname[kept]), "%.3gM/s",
			 rows[kept].cs.p.pace / 1e6);
		rows[kept].variant = vname[kept];
		kept++;
	}
	return kept;
}

void lat_sweep(const char *wl, struct row *rows, int n, const int *loads,
	       int nloads, lat_ratios_fn ratios)
{
	static struct case_result res[LAT_ROWS];	/* large: histograms */
	static char vname[LAT_ROWS][24];
	struct case_spec cs[LAT_ROWS];
	double rates[LAT_ROWS][MAX_RUNS], max[LAT_ROWS];
	int runs = g_runs < 5 ? g_runs : 5;
	char path[512];
	FILE *dist;

	if (n > LAT_ROWS)
		die("lat_sweep: %d rows, at most %d", n, LAT_ROWS);
	snprintf(path, sizeof(path), "%s/%s.dat", g_outdir, wl);
	dist = fopen(path, "w");
	if (!dist)
		die("open %s", path);
	n = tp_rows(wl, rows, n, runs, g_secs, res, rates);
	for (int j = 0; j < n; j++)
		max[j] = res[j].err ? 0 : res[j].median;
	for (int l = 0; l < nloads; l++) {
		n = at_load(rows, n, max, loads[l], vname);
		printf("  at %d%% of each one's maximum:\n  %-20s %-12s %8s %9s "
		       "%9s %9s %10s  (M msgs/s sent; latency us)\n", loads[l],
		       "contender", "offered", "rate", "p50", "p99", "p99.9", "max");
		for (int j = 0; j < n; j++)
			cs[j] = rows[j].cs;
		if (n && run_cases(cs, n, runs, g_secs, res, rates))
			die("run_cases: bad group");
		for (int j = 0; j < n; j++) {
			char label[64];

			print_lat_row(wl, &rows[j], &res[j], loads[l]);
			snprintf(label, sizeof(label), "%s %d", rows[j].name, loads[l]);
			if (!res[j].err)
				hist_write_quantiles(&res[j].hist, dist, label);
		}
		ratios(wl, rows, n, res, loads[l]);
		print_rounds(rows, n, res);
	}
	fclose(dist);
}

static void w7_ratios(const char *wl, const struct row *rows, int n,
		      const struct case_result *res, int load)
{
	print_p99_ratio(wl, rows, n, "ringmpsc-epoll", "ringmpsc-polling", res, load);
	print_p99_ratio(wl, rows, n, "ringmpsc-epoll", "ringmpsc-blocking", res, load);
	print_p99_ratio(wl, rows, n, "ringmpsc-polling", "iceoryx-polling", res, load);
	print_p99_ratio(wl, rows, n, "ringmpsc-polling", "pipe", res, load);
	print_p99_ratio(wl, rows, n, "ringmpsc-blocking", "pipe", res, load);
	print_p99_ratio(wl, rows, n, "ringmpsc-blocking", "eventfd+shm", res, load);
}

void workload7(void)
{
	struct row rows[LAT_ROWS];

	printf("\n== workload 7: one-way latency at offered loads, 16-byte "
	       "messages, producer process (CPU 0) -> consumer (CPU 1)\n"
	       "  maximum rate of each, stamped messages:\n");
	lat_sweep("w7", rows, lat_rows(rows), w7_loads,
		  (int)(sizeof(w7_loads) / sizeof(w7_loads[0])), w7_ratios);
}
