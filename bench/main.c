// SPDX-License-Identifier: MIT
/*
 * ringbench: ringmpsc against the peers a user would pick instead, side by
 * side in one run. See bench/README.md.
 *
 *   ringbench [-w LIST] [-r RUNS] [-t SECONDS] [-o DIR] [-q]
 *     -w  workloads to run, e.g. 1,2,3,4,5,6,7,8 (default all; 8 needs
 *         the module loaded)
 *     -r  runs per case (default 9; single-message rows are bimodal)
 *     -t  seconds per run (default 0.15)
 *     -o  output directory for results.csv and plot data (default build/bench)
 *     -q  quick: 3 runs of 0.05 s (smoke test)
 *     -c  ring capacity in slots for the ring contenders (default 4096)
 *     -f  only the rows whose variant is exactly this (e.g. single)
 *     -W  abandon a run after max(SECONDS, 20 x -t) (default 10)
 *     -S  do not count system calls (workload 5 then has no figures)
 *     -R  real-time scheduling for a busy shared machine: workloads 1, 2,
 *         5 and 7 under SCHED_FIFO, 3 under SCHED_RR, 4 and 6 unchanged
 *         (other tasks then get only the kernel's RT throttling share)
 *     -h  this help
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "iox_roudi.h"
#include "report.h"
#include "runner.h"

static bool g_rt;

/* SCHED_FIFO/SCHED_RR (priority 1) or back to SCHED_OTHER for this thread
 * and everything it creates afterwards.
 */
static void set_sched(int policy)
{
	struct sched_param sp = { .sched_priority = policy == SCHED_OTHER ? 0 : 1 };

	if (g_rt && sched_setscheduler(0, policy, &sp))
		fprintf(stderr, "ringbench: sched_setscheduler: %s\n", strerror(errno));
}

/* ---- workloads ---------------------------------------------------------- */

/* Single sends through the generic calls (row @name) and through
 * <ringmpsc/typed.h> (ringmpsc-typed...), consumed @drain per call (0: 1),
 * interleaved; the typed row's ratio to the generic one per round.
 */
static void typed_pair(const struct contender *ct, const char *name,
		       const char *v, uint32_t drain)
{
	struct tp_params p = { .batch = 1, .drain = drain };
	struct tp_params typed = { .batch = 1, .drain = drain, .typed = true };
	struct row rows[] = {
		{ name, v, { ct, p } },
		{ ct == &ct_onethread ? "ringmpsc-typed-1thread" : "ringmpsc-typed",
		  v, { ct, typed } },
	};
	struct case_result res[2];
	double rates[2][MAX_RUNS];

	if (tp_rows("w1", rows, 2, g_runs, g_secs, res, rates) == 2)
		print_ratio("w1", rows, 1, 0, res, rates);
}

static void workload1(void)
{
	static const uint32_t batches[] = { 1, 32, 64, 256 };

	header("workload 1: 1 producer -> 1 consumer, 8-byte messages "
	       "(each batch size: the rows run interleaved, round by round)");
	for (unsigned i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		uint32_t b = batches[i];
		const char *v = bname(b);
		struct tp_params p = { .batch = b };
		struct tp_params pf = { .batch = b, .fork = true };
		struct tp_params fence = { .batch = b, .fence = true };
		struct tp_params typed = { .batch = b, .typed = true };
		struct tp_params b512 = { .batch = 512 };
		struct row rows[MAX_CASES];
		struct case_result res[MAX_CASES];
		double rates[MAX_CASES][MAX_RUNS];
		int n = 0, me, procs;

		rows[n++] = (struct row){ "ringmpsc-threads", v, { &ct_ringmpsc, p } };
		rows[n++] = (struct row){ "ringmpsc-processes", v, { &ct_ringmpsc, pf } };
		if (b > 1)	/* what moving the lines costs, no protocol */
			rows[n++] = (struct row){ "ceiling-line-stream", v, { &ct_ceiling, p } };
		if (b == 1) {	/* the fallback without membarrier() */
			rows[n++] = (struct row){ "ringmpsc-threads", "single-fence",
						  { &ct_ringmpsc, fence } };
			/* compile-time geometry, <ringmpsc/typed.h> */
			rows[n++] = (struct row){ "ringmpsc-typed", v,
						  { &ct_ringmpsc, typed } };
		}
#ifdef HAVE_DPDK
		rows[n++] = (struct row){ "rte_ring-SP/SC", v, { &ct_rte_spsc, p } };
		rows[n++] = (struct row){ "rte_ring-MP/SC", v, { &ct_rte_mpsc, p } };
#endif
#ifdef HAVE_CK
		if (b == 1) {
			rows[n++] = (struct row){ "ck_ring-SPSC", v, { &ct_ck_spsc, p } };
			rows[n++] = (struct row){ "ck_ring-MPSC", v, { &ct_ck_mpsc, p } };
		}
#endif
		if (b == 1) {
			rows[n++] = (struct row){ "pipe", "single-8B", { &ct_pipe, p } };
			rows[n++] = (struct row){ "unix-seqpacket", "single-8B", { &ct_unix, p } };
			rows[n++] = (struct row){ "posix-mqueue", "single-8B", { &ct_mq, p } };
			rows[n++] = (struct row){ "eventfd", "single(count)", { &ct_eventfd, p } };
		}
		if (b == 256) {
			rows[n++] = (struct row){ "pipe", "4KiB-writes", { &ct_pipe, b512 } };
			rows[n++] = (struct row){ "unix-seqpacket", "4KiB-packets", { &ct_unix, b512 } };
		}
#ifdef HAVE_URING
		rows[n++] = (struct row){ "io_uring-MSG_RING", v, { &ct_uring, p } };
#endif
#ifdef HAVE_ICEORYX
		rows[n++] = (struct row){ "iceoryx-processes", v, { &ct_iceoryx, pf } };
#endif
#ifdef HAVE_ZMQ
		rows[n++] = (struct row){ "zmq-ipc-processes", v, { &ct_zmq, pf } };
#endif
		n = tp_rows("w1", rows, n, g_runs, g_secs, res, rates);
		me = find_row(rows, n, "ringmpsc-threads", v);
		procs = find_row(rows, n, "ringmpsc-processes", v);
		print_ratio("w1", rows, me, find_row(rows, n, "ceiling-line-stream", v),
			    res, rates);
		print_ratio("w1", rows, procs, find_row(rows, n, "iceoryx-processes", v),
			    res, rates);
		print_ratio("w1", rows, procs, find_row(rows, n, "zmq-ipc-processes", v),
			    res, rates);
		print_ratio("w1", rows, me, find_row(rows, n, "rte_ring-SP/SC", v), res, rates);
		print_ratio("w1", rows, me, find_row(rows, n, "rte_ring-MP/SC", v), res, rates);
		if (b == 1) {
			print_ratio("w1", rows, me, find_row(rows, n, "ck_ring-MPSC", v), res, rates);
			print_ratio("w1", rows, procs,
				    find_row(rows, n, "rte_ring-SP/SC", v), res, rates);
			print_ratio("w1", rows, me, find_row(rows, n, "ringmpsc-threads",
							      "single-fence"), res, rates);
			print_ratio("w1", rows, find_row(rows, n, "ringmpsc-typed", v),
				    me, res, rates);
		}
		if (b == 256)
			print_ratio("w1", rows, me, find_row(rows, n, "pipe", "4KiB-writes"),
				    res, rates);
	}
	/* Where <ringmpsc/typed.h> saves, and where it shows. */
	typed_pair(&ct_onethread, "ringmpsc-1thread", "single-1thread", 0);
	typed_pair(&ct_ringmpsc, "ringmpsc-threads", "single-drain256", 256);
	typed_pair(&ct_onethread, "ringmpsc-1thread", "single-drain256-1thread", 256);
	/* What it takes: the consumer's idle policy for single messages (a
	 * consumer polling tail keeps pulling the line away from the
	 * producer), and the ring size for batches.
	 */
	{
		struct tp_params p = { .batch = 1, .backoff = 64 };
		struct tp_params pf = { .batch = 1, .backoff = 64, .fork = true };
		const char *v = "single-backoff64";
		struct row rows[MAX_CASES];
		struct case_result res[MAX_CASES];
		double rates[MAX_CASES][MAX_RUNS];
		int n = 0;

		rows[n++] = (struct row){ "ringmpsc-threads", v, { &ct_ringmpsc, p } };
		rows[n++] = (struct row){ "ringmpsc-processes", v, { &ct_ringmpsc, pf } };
#ifdef HAVE_DPDK
		rows[n++] = (struct row){ "rte_ring-SP/SC", v, { &ct_rte_spsc, p } };
		rows[n++] = (struct row){ "rte_ring-MP/SC", v, { &ct_rte_mpsc, p } };
#endif
#ifdef HAVE_CK
		rows[n++] = (struct row){ "ck_ring-MPSC", v, { &ct_ck_mpsc, p } };
#endif
		n = tp_rows("w1", rows, n, g_runs, g_secs, res, rates);
		print_ratio("w1", rows, find_row(rows, n, "ringmpsc-threads", v),
			    find_row(rows, n, "rte_ring-SP/SC", v), res, rates);
	}
	for (uint32_t cap = 1024; cap <= 65536; cap *= 4) {
		char v[32];
		struct tp_params p = { .batch = 256, .capacity = cap };

		if (cap == g_cap)
			continue;
		snprintf(v, sizeof(v), "batch256-cap%u", cap);
		tp("w1", &ct_ringmpsc, "ringmpsc-threads", v, p, g_runs);
#ifdef HAVE_DPDK
		tp("w1", &ct_rte_spsc, "rte_ring-SP/SC", v, p, g_runs);
#endif
	}
}

static void workload2(void)
{
	static const uint32_t sizes[] = { 8, 64, 512, 4096 };

	double in_cache;

	header("workload 2: message size sweep, 1 -> 1, batches of 32");
	printf("  (memcpy bandwidth of this machine printed first)\n");
	in_cache = memcpy_bw(g_csv, g_runs);
	for (unsigned i = 0; i < 4; i++) {
		char v[32];
		struct tp_params p = { .batch = 32, .msg_size = sizes[i] };
		/* Same bytes of ring for every size: 2 MiB at most. */
		uint32_t cap = (2u << 20) / sizes[i];

		p.capacity = cap > g_cap ? g_cap : cap;
		snprintf(v, sizeof(v), "%uB", sizes[i]);
		tp("w2", &ct_ringmpsc, "ringmpsc-threads", v, p, g_runs);
		p.fork = true;
		tp("w2", &ct_ringmpsc, "ringmpsc-processes", v, p, g_runs);
		p.fork = false;
#ifdef HAVE_DPDK
		tp("w2", &ct_rte_spsc, "rte_ring-SP/SC-elem", v, p, g_runs);
#endif
		p.batch = sizes[i] >= 4096 ? 1 : 4096 / sizes[i];
		tp("w2", &ct_pipe, "pipe-4KiB-writes", v, p, g_runs);
	}
	big_messages(in_cache);
}

static void workload3(void)
{
	static const uint32_t np[] = { 1, 2, 4, 8, 16 };

	int rs = g_runs < 5 ? g_runs : 5;	/* bounded time: 16 producers */

	header("workload 3: producers (all pinned to CPU 0: >1 is oversubscribed)");
	for (unsigned i = 0; i < 5; i++) {
		char v[32];
		struct tp_params p = { .batch = 32, .nprod = np[i] };

		snprintf(v, sizeof(v), "%up-batch32", np[i]);
		tp("w3", &ct_ringmpsc, "ringmpsc-threads", v, p, rs);
#ifdef HAVE_DPDK
		tp("w3", &ct_rte_mpsc, "rte_ring-MP/SC", v, p, rs);
#endif
		p.batch = 1;
		snprintf(v, sizeof(v), "%up-single", np[i]);
		tp("w3", &ct_ringmpsc, "ringmpsc-threads", v, p, rs);
#ifdef HAVE_DPDK
		tp("w3", &ct_rte_mpsc, "rte_ring-MP/SC", v, p, rs);
#endif
#ifdef HAVE_CK
		tp("w3", &ct_ck_mpsc, "ck_ring-MPSC", v, p, rs);
#endif
	}
	/* The cost of idle rings: the two rows interleaved, round by round,
	 * and their ratio per round.
	 */
	idle_rings("w3", false, 1, rs);
	idle_rings("w3", false, 256, rs);
}

static void print_lat(const char *name, lat_fn fn, int samples)
{
	struct lat_result r;
	int err = lat_run(fn, samples, &r);

	if (err) {
		printf("  %-34s ERROR %d (%s)\n", name, err, strerror(-err));
		return;
	}
	printf("  %-34s %9.0f %9.0f %9.0f %9.0f %9.0f  (%d samples)\n", name,
	       r.min, r.p50, r.p99, r.p999, r.max, r.samples);
	fprintf(g_csv, "w4,%s,latency,8,1,%d,ns,%.0f,%.0f,%.0f,,,,yes,,%.0f,%.0f\n",
		name, r.samples, r.min, r.p50, r.max, r.p99, r.p999);
	fflush(stdout);
}

static void workload4(void)
{
	int n = 20000;

	printf("\n== workload 4: wakeup latency (ns), sides pinned to CPU 0 and 1\n"
	       "  %-34s %9s %9s %9s %9s %9s\n", "case", "min", "p50", "p99",
	       "p99.9", "max");
	print_lat("ringmpsc one-way (blocked consumer)", lat_ringmpsc_oneway, n);
	print_lat("eventfd one-way (blocked reader)", lat_eventfd_oneway, n);
	print_lat("ringmpsc ping-pong RTT (blocking)", lat_ringmpsc_pingpong, n);
	print_lat("eventfd ping-pong RTT", lat_eventfd_pingpong, n);
	print_lat("futex ping-pong RTT", lat_futex_pingpong, n);
	print_lat("pipe ping-pong RTT", lat_pipe_pingpong, n);
	print_lat("busy-spin cache line RTT", lat_spin_pingpong, n * 10);
}

static void workload5(void)
{
	extern void syscalls_workload(FILE *csv, int runs, double secs);

	printf("\n== workload 5: system calls per million messages "
	       "(perf raw_syscalls:sys_enter, per side)\n");
	syscalls_workload(g_csv, g_runs, g_secs);
}

static const char *rr_slice(void)
{
	static char buf[32] = "?";
	FILE *f = fopen("/proc/sys/kernel/sched_rr_timeslice_ms", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "?");
		buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	return buf;
}

static void machine_info(void)
{
	struct utsname u;
	char model[512] = "?", line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	time_t t = time(NULL);

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');

			snprintf(model, sizeof(model), "%s", c ? c + 2 : line);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	printf("ringbench: %s, %ld CPUs, Linux %s, %s", model,
	       sysconf(_SC_NPROCESSORS_ONLN), u.release, ctime(&t));
	printf("runs per case %d, ~%.2f s each, ring capacity %u slots; "
	       "producer on CPU 0, consumer on CPU 1;\nevery message verified "
	       "(per-producer sequence + checksum), only verified messages "
	       "counted\n", g_runs, g_secs, g_cap);
	if (g_rt)
		printf("-R: workloads 1, 2, 5 and 7 under SCHED_FIFO, 3 under SCHED_RR "
		       "(%s ms slices), 4 and 6 under SCHED_OTHER\n", rr_slice());
}

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: ringbench [-w 1,2,3,4,5,6,7,8] [-r runs] [-t secs] "
		"[-o dir] [-c capacity] [-f variant] [-W secs] [-S] [-q] [-R]\n"
		"  -w  workloads (default all): 1 throughput 1->1, 2 message sizes,\n"
		"      3 producer threads, 4 wakeup latency, 5 system calls,\n"
		"      6 fan-in across processes, 7 latency at offered loads,\n"
		"      8 the module's channels against local rings (needs\n"
		"      /dev/ringmpsc; make vm-bench runs it in the VM)\n"
		"  -r  measured runs per case (default 9)\n"
		"  -t  seconds per run (default 0.15)\n"
		"  -o  output directory (default build/bench)\n"
		"  -c  ring capacity in slots (default 4096)\n"
		"  -f  only rows whose variant is exactly this (or, ending in *,\n"
		"      starts with what comes before the *)\n"
		"  -W  abandon a run after max(secs, 20 x -t) (default 10)\n"
		"  -S  do not count system calls (a perf tracepoint per thread:\n"
		"      its enabling patches kernel text, which under qemu TCG\n"
		"      has crashed a 6.12 guest)\n"
		"  -q  quick smoke run: 3 runs of 0.05 s\n"
		"  -R  real-time scheduling (root) for a busy machine\n"
		"See bench/README.md for what every row measures.\n");
	return status;
}

int main(int argc, char **argv)
{
	const char *wl = "1,2,3,4,5,6,7,8";
	int opt;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help"))
			return usage(stdout, 0);
	while ((opt = getopt(argc, argv, "w:r:t:o:qc:Rf:W:Sh")) != -1) {
		switch (opt) {
		case 'w': wl = optarg; break;
		case 'r': g_runs = atoi(optarg); break;
		case 't': g_secs = atof(optarg); break;
		case 'o': g_outdir = optarg; break;
		case 'c': g_cap = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': g_runs = 3; g_secs = 0.05; break;
		case 'R': g_rt = true; break;
		case 'f': g_only_variant = optarg; break;
		case 'W': g_watchdog_secs = atof(optarg); break;
		case 'S': g_count_syscalls = false; break;
		case 'h': return usage(stdout, 0);
		default: return usage(stderr, 2);
		}
	}
	if (g_runs < 1 || g_runs > MAX_RUNS || g_secs <= 0 || g_watchdog_secs <= 0)
		die("bad -r/-t/-W");
	setvbuf(stdout, NULL, _IOLBF, 0);
	csv_open();
	tsc_calibrate();
	machine_info();
#ifdef HAVE_ICEORYX
	/* Samples of up to 256 8-byte messages (workload 1's batch256). */
	if (strpbrk(wl, "167")) {
		atexit(roudi_stop);
		roudi_start(g_outdir, 256 * 8);
	}
#endif
	set_sched(SCHED_FIFO);
	if (strchr(wl, '1'))
		workload1();
	if (strchr(wl, '2'))
		workload2();
	/* Round robin: oversubscribed producers must still time-share. */
	set_sched(SCHED_RR);
	if (strchr(wl, '3'))
		workload3();
	set_sched(SCHED_OTHER);
	if (strchr(wl, '4'))
		workload4();
	set_sched(SCHED_FIFO);
	if (strchr(wl, '5'))
		workload5();
	/* Fairness windows need the normal scheduler: under SCHED_RR 64
	 * producers would take turns of 100 ms each.
	 */
	set_sched(SCHED_OTHER);
	if (strchr(wl, '6'))
		workload6();
	/* Latency under load: under -R, what a quiet machine would give (a
	 * spinning side and a woken one alike keep their CPU).
	 */
	set_sched(SCHED_FIFO);
	if (strchr(wl, '7'))
		workload7();
	set_sched(SCHED_OTHER);
	if (strchr(wl, '8'))
		workload8();
	fclose(g_csv);
#ifdef HAVE_ICEORYX
	roudi_stop();
#endif
	return 0;
}
