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
 *   bench_e2e [SPANS_PER_PRODUCER]   (default 50000)
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
	double producer_cpu_ns;		/* all producers of a case */
};

struct result {
	double rate;			/* spans/s, end to end */
	double ns;			/* producer CPU per span */
};

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

	if (pid)
		return pid;
	fd = open("/dev/null", O_WRONLY);
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
	while (argv[argc])
		argc++;
	status = collector_main(argc, argv);
	/* Its load producers (--local), all reaped by now. */
	if (sh) {
		struct rusage ru;

		getrusage(RUSAGE_CHILDREN, &ru);
		sh->producer_cpu_ns = cpu_ns(&ru);
	}
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
	return metric("ringmpsc_collector_spans_exported_total") ==
	       (double)producers * (double)spans ? 0 : -EPROTO;
}

/* A producer of the socket case: @spans records, each one send(2). */
static void send_spans(int producer, uint64_t spans, double *cpu)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ringmpsc_span_writer w = { .pid = (uint32_t)getpid() };
	struct ringmpsc_span s;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	double c0;

	strcpy(a.sun_path, sock_path);
	w.service_len = (uint8_t)snprintf(w.service, sizeof(w.service),
					  "load-%d", producer);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		_exit(1);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (uint64_t seq = 0; seq < spans; seq++) {
		loadgen_span(&s, &w, (uint32_t)producer, seq);
		/* A full socket queue blocks the sender: nothing lost. */
		if (send(fd, &s, sizeof(s), 0) != sizeof(s))
			_exit(1);
	}
	*cpu = (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e9;
	_exit(0);
}

static int socket_case(int producers, uint64_t spans, double *cpu,
		       struct result *out)
{
	char *argv[] = { "ringmpsc-collector", "--socket", sock_path,
			 COMMON_ARGS, NULL };
	double total = (double)producers * (double)spans, t0, end, sum = 0;
	struct stat st;
	pid_t pid;
	int status, err = 0;

	unlink(prom_path);
	pid = start_collector(argv, NULL);
	for (int i = 0; i < 500 && stat(sock_path, &st); i++)
		usleep(10000);
	t0 = now_s(CLOCK_MONOTONIC);
	for (int i = 0; i < producers; i++)
		if (fork() == 0)
			send_spans(i, spans, &cpu[i]);
	for (int i = 0; i < producers; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			err = -EIO;
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
	for (int i = 0; i < producers; i++)
		sum += cpu[i];
	out->ns = sum / total;
	return err;
}

int main(int argc, char **argv)
{
	static const int counts[] = { 1, 4, 16 };
	uint64_t spans = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000;
	struct shared *sh = mmap(NULL, sizeof(*sh) + 16 * sizeof(double),
				 PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double *cpu = (double *)(sh + 1);
	double load[3];

	if (sh == MAP_FAILED || !spans) {
		fprintf(stderr, "usage: bench_e2e [SPANS_PER_PRODUCER]\n");
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
	printf("%-9s %9s %14s %14s %12s %12s %8s %8s\n", "producers", "spans",
	       "ring spans/s", "socket spans/s", "ring ns/span", "sock ns/span",
	       "x rate", "x cost");
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		int n = counts[k];
		struct result ring, sock;
		int err = ring_case(n, spans, sh, &ring);

		if (!err)
			err = socket_case(n, spans, cpu, &sock);
		if (err) {
			fprintf(stderr, "bench_e2e: %d producers: %s\n", n,
				strerror(-err));
			break;
		}
		printf("%-9d %9llu %14.0f %14.0f %12.1f %12.1f %8.2f %8.3f\n", n,
		       (unsigned long long)spans * (unsigned)n, ring.rate,
		       sock.rate, ring.ns, sock.ns, ring.rate / sock.rate,
		       ring.ns / sock.ns);
		fflush(stdout);
	}
	if (getloadavg(load, 3) == 3)
		printf("load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
	for (const char *p = file_path; p; p = p == file_path ? prom_path : NULL)
		unlink(p);
	snprintf(file_path + strlen(file_path), 8, ".1");
	unlink(file_path);
	rmdir(dir);
	return 0;
}
