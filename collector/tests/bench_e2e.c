// SPDX-License-Identifier: MIT
/*
 * bench_e2e: spans/s end to end, from producer processes through the
 * collector into its file exporter, and what a span costs a producer
 * (CPU ns), with 1, 4 and 16 producers, in one run: the same collector
 * (collector_main() in a child process) fed through its rings (--local:
 * its own load producers, <ringmpsc/span.h>, flat out) and through its
 * datagram intake (--socket: producers that send(2) each record on an
 * AF_UNIX socket, as statsd-style agents take them). Both producers
 * build every span with loadgen_span(); the file goes to /dev/shm, so
 * the disk does not set the pace.
 *
 * Each row is ROUNDS rounds, a ring run then a socket run each, so that
 * both paths of a round see the same load; the ratios are taken per
 * round, and every column is given as median [min-max]. "coll ns/span"
 * is the collector's own CPU per span (user + system): on a shared
 * machine the spans/s of one collector are that cost times the share of
 * a CPU it gets, so this column tells a slower path from a busier
 * machine.
 *
 *   bench_e2e [SPANS_PER_PRODUCER [ROUNDS]]   (default 50000, 5)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../invariants.h"
#include <ringmpsc/span.h>

#include "../collector.h"
#include "../loadgen.h"
#include "prom.h"

struct shared {
	double producer_cpu_ns;		/* all producers of a ring case */
	double collector_cpu_ns;	/* the collector process itself */
};

struct result {
	double rate;			/* spans/s, end to end */
	double ns;			/* producer CPU per span */
	double coll_ns;			/* collector CPU per span */
};

#define MAX_ROUNDS	64
#define MAX_PRODUCERS	16

static char dir[64], sock_path[96], file_path[96], prom_path[96];

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_ns(const struct rusage *ru)
{
	return ((double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec) * 1e9 +
	       ((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) * 1e3;
}

static double metric(const char *name)
{
	return prom_value(prom_path, name);
}

/* Run the collector in a child with @argv (NULL-terminated), quiet. */
static pid_t start_collector(char **argv, struct shared *sh)
{
	pid_t pid = fork();
	int argc = 0, status, fd;
	struct rusage ru;

	if (pid)
		return pid;
	fd = open("/dev/null", O_WRONLY);
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
	while (argv[argc])
		argc++;
	status = collector_main(argc, argv);
	/* Its load producers (--local), all reaped by now, and itself. */
	getrusage(RUSAGE_CHILDREN, &ru);
	sh->producer_cpu_ns = cpu_ns(&ru);
	getrusage(RUSAGE_SELF, &ru);
	sh->collector_cpu_ns = cpu_ns(&ru);
	_exit(status);
}

static const char *u32(char *buf, uint64_t v)
{
	sprintf(buf, "%llu", (unsigned long long)v);
	return buf;
}

#define COMMON_ARGS							\
	"--exporter", "file", "--file", file_path,			\
	"--file-max-bytes", "16777216", "--file-keep", "1",		\
	"--metrics-file", prom_path, "--metrics-interval-ms", "10",	\
	"--capacity", "4096"

static int ring_case(int producers, uint64_t spans, struct shared *sh,
		     struct result *out)
{
	char n[24], s[24];
	char *argv[] = { "ringmpsc-collector", "--local", (char *)u32(n, (uint64_t)producers),
			 "--local-spans", (char *)u32(s, spans), "--local-rate", "0",
			 COMMON_ARGS, NULL };
	double t0 = now_s(CLOCK_MONOTONIC);
	pid_t pid = start_collector(argv, sh);
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	out->rate = (double)producers * (double)spans /
		    (now_s(CLOCK_MONOTONIC) - t0);
	out->ns = sh->producer_cpu_ns / ((double)producers * (double)spans);
	out->coll_ns = sh->collector_cpu_ns / ((double)producers * (double)spans);
	return metric("ringmpsc_collector_spans_exported_total") ==
	       (double)producers * (double)spans ? 0 : -EPROTO;
}

/* A producer of the socket case: @spans records, each one send(2). */
static void send_spans(int producer, uint64_t spans)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ringmpsc_span_writer w = { .pid = (uint32_t)getpid() };
	struct ringmpsc_span s;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	strcpy(a.sun_path, sock_path);
	w.service_len = (uint8_t)snprintf(w.service, sizeof(w.service),
					  "load-%d", producer);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		_exit(1);
	for (uint64_t seq = 0; seq < spans; seq++) {
		loadgen_span(&s, &w, (uint32_t)producer, seq);
		/* A full socket queue blocks the sender: nothing lost. */
		if (send(fd, &s, sizeof(s), 0) != sizeof(s))
			_exit(1);
	}
	_exit(0);
}

static int socket_case(int producers, uint64_t spans, struct shared *sh,
		       struct result *out)
{
	char *argv[] = { "ringmpsc-collector", "--socket", sock_path,
			 COMMON_ARGS, NULL };
	double total = (double)producers * (double)spans, t0, end, sum = 0;
	pid_t kids[MAX_PRODUCERS];
	struct stat st;
	pid_t pid;
	int status, err = 0;

	unlink(prom_path);
	pid = start_collector(argv, sh);
	for (int i = 0; i < 500 && stat(sock_path, &st); i++)
		usleep(10000);
	t0 = now_s(CLOCK_MONOTONIC);
	for (int i = 0; i < producers; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			send_spans(i, spans);
	}
	/* Each producer's whole process, from fork to exit, as the ring
	 * case counts its producers (RUSAGE_CHILDREN of the collector):
	 * the same costs on both sides, startup and exit included.
	 */
	for (int i = 0; i < producers; i++) {
		struct rusage ru;

		if (kids[i] < 0 || wait4(kids[i], &status, 0, &ru) != kids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			err = -EIO;
		else
			sum += cpu_ns(&ru);
	}
	/* Done when the metrics file says everything was exported. */
	end = now_s(CLOCK_MONOTONIC) + 600;
	while (!err && metric("ringmpsc_collector_spans_exported_total") != total) {
		if (now_s(CLOCK_MONOTONIC) > end)
			err = -ETIMEDOUT;
		usleep(2000);
	}
	out->rate = total / (now_s(CLOCK_MONOTONIC) - t0);
	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		err = err ? err : -EIO;
	out->ns = sum / total;
	out->coll_ns = sh->collector_cpu_ns / total;
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Print "median [min-max]" of @n values (sorted in place), with
 * @decimals, as a column.
 */
static void print_spread(double *v, int n, int decimals)
{
	char all[80];

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	snprintf(all, sizeof(all), "%.*f [%.*f-%.*f]", decimals, v[n / 2],
		 decimals, v[0], decimals, v[n - 1]);
	printf(" %-26s", all);
}

/* One row: @rounds rounds of a ring run and a socket run. */
static int run_row(int n, uint64_t spans, int rounds, struct shared *sh)
{
	enum { RING_RATE, SOCK_RATE, X_RATE, RING_NS, SOCK_NS, X_COST,
	       RING_COLL, SOCK_COLL, NR_COLS };
	static const int decimals[NR_COLS] = { 0, 0, 2, 1, 1, 3, 0, 0 };
	double col[NR_COLS][MAX_ROUNDS];

	for (int k = 0; k < rounds; k++) {
		struct result ring, sock;
		int err = ring_case(n, spans, sh, &ring);

		if (!err)
			err = socket_case(n, spans, sh, &sock);
		if (err) {
			fprintf(stderr, "bench_e2e: %d producers: %s\n", n,
				strerror(-err));
			return err;
		}
		col[RING_RATE][k] = ring.rate;
		col[SOCK_RATE][k] = sock.rate;
		col[X_RATE][k] = ring.rate / sock.rate;
		col[RING_NS][k] = ring.ns;
		col[SOCK_NS][k] = sock.ns;
		col[X_COST][k] = ring.ns / sock.ns;
		col[RING_COLL][k] = ring.coll_ns;
		col[SOCK_COLL][k] = sock.coll_ns;
	}
	printf("%-9d %9llu", n, (unsigned long long)spans * (unsigned)n);
	for (int c = 0; c < NR_COLS; c++)
		print_spread(col[c], rounds, decimals[c]);
	printf("\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const int counts[] = { 1, 4, 16 };
	static const char *const heads[] = {
		"ring spans/s", "socket spans/s", "x rate", "ring ns/span",
		"sock ns/span", "x cost", "ring coll ns/span",
		"sock coll ns/span",
	};
	uint64_t spans = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000;
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 5;
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double load[3];

	if (sh == MAP_FAILED || !spans || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: bench_e2e [SPANS_PER_PRODUCER [ROUNDS (1-%d)]]\n",
			MAX_ROUNDS);
		return 2;
	}
	snprintf(dir, sizeof(dir), "/dev/shm/bench_e2e.%d", (int)getpid());
	if (mkdir(dir, 0700)) {
		snprintf(dir, sizeof(dir), "/tmp/bench_e2e.%d", (int)getpid());
		if (mkdir(dir, 0700)) {
			perror("bench_e2e: mkdir");
			return 1;
		}
	}
	snprintf(sock_path, sizeof(sock_path), "%s/intake.sock", dir);
	snprintf(file_path, sizeof(file_path), "%s/spans.jsonl", dir);
	snprintf(prom_path, sizeof(prom_path), "%s/collector.prom", dir);
	if (getloadavg(load, 3) == 3)
		printf("load average %.2f %.2f %.2f; %ld rounds a row, median [min-max]\n",
		       load[0], load[1], load[2], rounds);
	printf("%-9s %9s", "producers", "spans");
	for (size_t c = 0; c < sizeof(heads) / sizeof(heads[0]); c++)
		printf(" %-26s", heads[c]);
	printf("\n");
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
		if (run_row(counts[k], spans, (int)rounds, sh))
			break;
	if (getloadavg(load, 3) == 3)
		printf("load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
	for (const char *p = file_path; p; p = p == file_path ? prom_path : NULL)
		unlink(p);
	snprintf(file_path + strlen(file_path), 8, ".1");
	unlink(file_path);
	rmdir(dir);
	return 0;
}
