// SPDX-License-Identifier: MIT
/*
 * ringbench: the options every workload shares, and their output: the
 * table on stdout and results.csv, one line per case or ratio.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "report.h"
#include "runner.h"

int g_runs = 9;
double g_secs = 0.15;
uint32_t g_cap = 4096;
const char *g_outdir = "build/bench";
FILE *g_csv;
const char *g_only_variant;

void csv_open(void)
{
	char path[512];

	mkdir(g_outdir, 0755);
	snprintf(path, sizeof(path), "%s/results.csv", g_outdir);
	g_csv = fopen(path, "w");
	if (!g_csv)
		die("open %s", path);
	fprintf(g_csv, "workload,contender,variant,msg_size,producers,runs,"
		"unit,min,median,max,gbps_median,sys_prod_per_M,sys_cons_per_M,"
		"verified,checksum,p99,p999,jain_min,jain_median,jain_max\n");
}

void print_tp(const char *wl, const char *name, const char *variant,
	      const struct tp_params *p, int err, const struct case_result *r)
{
	double gb;

	if (err == -EOPNOTSUPP)
		return;
	if (err == -ETIMEDOUT) {
		printf("  %-26s %-20s ABANDONED: a run outlasted the watchdog\n",
		       name, variant);
		fprintf(g_csv, "%s,%s,%s,%u,%u,0,Mmsg/s,,,,,,,timeout,\n", wl, name,
			variant, p->msg_size, p->nprod);
		return;
	}
	if (err) {
		printf("  %-26s %-20s ERROR %d (%s)\n", name, variant, err,
		       strerror(-err));
		fprintf(g_csv, "%s,%s,%s,%u,%u,0,Mmsg/s,,,,,,,error,\n", wl, name,
			variant, p->msg_size, p->nprod);
		return;
	}
	gb = r->median * p->msg_size / 1e9;
	printf("  %-26s %-20s %9.2f %9.2f %9.2f", name, variant, r->min / 1e6,
	       r->median / 1e6, r->max / 1e6);
	if (p->msg_size > 8)
		printf(" %7.2f GB/s", gb);
	if (r->sys_counted)
		printf("  sys/M p=%.1f c=%.1f", r->prod_sys_per_m, r->cons_sys_per_m);
	if (p->fairness && r->jain_median >= 0)
		printf("  Jain %.3f/%.3f/%.3f", r->jain_min, r->jain_median,
		       r->jain_max);
	else if (p->fairness)
		printf("  Jain: no window");
	printf("  %s sum=%016llx\n", r->verified ? "ok" : "FAILED",
	       (unsigned long long)r->checksum);
	fflush(stdout);
	fprintf(g_csv, "%s,%s,%s,%u,%u,%d,Mmsg/s,%.3f,%.3f,%.3f,%.3f,", wl, name,
		variant, p->msg_size, p->nprod, r->runs, r->min / 1e6,
		r->median / 1e6, r->max / 1e6, gb);
	if (r->sys_counted)
		fprintf(g_csv, "%.2f,%.2f,", r->prod_sys_per_m, r->cons_sys_per_m);
	else
		fprintf(g_csv, ",,");
	fprintf(g_csv, "%s,%016llx", r->verified ? "yes" : "NO",
		(unsigned long long)r->checksum);
	if (p->fairness && r->jain_median >= 0)
		fprintf(g_csv, ",,,%.4f,%.4f,%.4f", r->jain_min, r->jain_median,
			r->jain_max);
	fprintf(g_csv, "\n");
	fflush(g_csv);
}

void header(const char *title)
{
	printf("\n== %s\n  %-26s %-20s %9s %9s %9s  (M msgs/s)\n", title,
	       "contender", "variant", "min", "median", "max");
}

int find_row(const struct row *rows, int n, const char *name,
	     const char *variant)
{
	for (int j = 0; j < n; j++)
		if (!strcmp(rows[j].name, name) && !strcmp(rows[j].variant, variant))
			return j;
	return -1;
}

void print_ratio(const char *wl, const struct row *rows, int a, int b,
		 const struct case_result *res, double (*rates)[MAX_RUNS])
{
	char who[96], what[64];
	double q[MAX_RUNS];
	int runs;

	if (a < 0 || b < 0 || res[a].err || res[b].err)
		return;
	runs = res[a].runs;
	for (int i = 0; i < runs; i++)
		q[i] = rates[a][i] / rates[b][i];
	sort_doubles(q, runs);
	snprintf(who, sizeof(who), "%s / %s", rows[a].name, rows[b].name);
	if (strcmp(rows[a].variant, rows[b].variant))
		snprintf(what, sizeof(what), "%s / %s", rows[a].variant,
			 rows[b].variant);
	else
		snprintf(what, sizeof(what), "%s", rows[a].variant);
	printf("  %-36s %-20s %9.2f %9.2f %9.2f  ratio, per round\n", who, what,
	       q[0], median_of_sorted(q, runs), q[runs - 1]);
	fprintf(g_csv, "%s,%s/%s,%s/%s,%u,%u,%d,ratio,%.3f,%.3f,%.3f,,,,yes,\n",
		wl, rows[a].name, rows[b].name, rows[a].variant, rows[b].variant,
		rows[a].cs.p.msg_size, rows[a].cs.p.nprod, runs, q[0],
		median_of_sorted(q, runs), q[runs - 1]);
}

/* -f: the variant exactly, or every variant starting with what comes
 * before a trailing '*'.
 */
static bool variant_wanted(const char *variant)
{
	size_t len = strlen(g_only_variant);

	if (len && g_only_variant[len - 1] == '*')
		return !strncmp(variant, g_only_variant, len - 1);
	return !strcmp(variant, g_only_variant);
}

int tp_rows(const char *wl, struct row *rows, int n, int runs, double secs,
	    struct case_result *res, double (*rates)[MAX_RUNS])
{
	struct case_spec cs[MAX_CASES];
	int kept = 0;

	for (int j = 0; j < n; j++) {
		struct tp_params *p = &rows[j].cs.p;

		if (!p->capacity)
			p->capacity = g_cap;
		if (!p->msg_size)
			p->msg_size = 8;
		if (!p->nprod)
			p->nprod = 1;
		if (g_only_variant && !variant_wanted(rows[j].variant))
			continue;
		rows[kept] = rows[j];
		cs[kept++] = rows[j].cs;
	}
	if (!kept)
		return 0;
	if (run_cases(cs, kept, runs, secs, res, rates))
		die("run_cases: bad group");
	for (int j = 0; j < kept; j++)
		print_tp(wl, rows[j].name, rows[j].variant, &rows[j].cs.p,
			 res[j].err, &res[j]);
	return kept;
}

/* Run and print one case; returns the median (0 when not run). */
double tp(const char *wl, const struct contender *ct, const char *name,
		 const char *variant, struct tp_params p, int runs)
{
	struct row row = { name, variant, { ct, p } };
	struct case_result r;
	double rates[1][MAX_RUNS];

	if (!tp_rows(wl, &row, 1, runs, g_secs, &r, rates) || r.err)
		return 0;
	return r.median;
}

const char *bname(uint32_t b)
{
	static const char *const names[] = { "batch32", "batch64", "batch128",
					     "batch256" };

	if (b == 1)
		return "single";
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (b == 32u << i)
			return names[i];
	return "batch";
}

