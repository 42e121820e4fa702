// SPDX-License-Identifier: MIT
/*
 * intake_test (host): the collector's datagram intake (--socket). The
 * collector runs in a child (collector_main()) with the file exporter;
 * producer processes send load spans, one datagram each, and a stray
 * short and long datagram; every span is exported once, in the file, the
 * two strays are counted corrupt (INV-COLL-01), and SIGTERM ends it with
 * exit 0 and the socket removed.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../invariants.h"
#include <ringmpsc/span.h>

#include "kselftest_harness.h"

#include "../collector.h"
#include "../loadgen.h"
#include "prom.h"

#define PRODUCERS	4
#define SPANS		2000
/* Far beyond what this takes on a loaded machine (well under a second
 * at load average 20 on 2 CPUs), within the harness's 30 s: only a
 * collector that lost spans waits that long.
 */
#define WAIT_S		20

static char dir[64], sock_path[96], file_path[96], prom_path[96];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double metric(const char *name)
{
	return prom_value(prom_path, name);
}

/* Occurrences of @needle in the exporter's file. */
static long count_in_file(const char *needle)
{
	struct stat st;
	long count = -1;
	char *buf;
	FILE *f = fopen(file_path, "r");

	if (!f || fstat(fileno(f), &st) || !(buf = calloc(1, (size_t)st.st_size + 1)))
		goto out;
	if (fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
		for (char *p = (count = 0, buf); (p = strstr(p, needle)); p++)
			count++;
	free(buf);
out:
	if (f)
		fclose(f);
	return count;
}

static int connect_intake(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	strcpy(a.sun_path, sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void producer(int i)
{
	struct ringmpsc_span_writer w = { .pid = (uint32_t)getpid() };
	struct ringmpsc_span s;
	int fd = connect_intake();

	w.service_len = (uint8_t)snprintf(w.service, sizeof(w.service),
					  "load-%d", i);
	if (fd < 0)
		_exit(1);
	for (uint64_t seq = 0; seq < SPANS; seq++) {
		loadgen_span(&s, &w, (uint32_t)i, seq);
		if (send(fd, &s, sizeof(s), 0) != sizeof(s))
			_exit(1);
	}
	_exit(0);
}

TEST(socket_intake_exports_every_record)
{
	char *argv[] = { "ringmpsc-collector", "--socket", sock_path,
			 "--exporter", "file", "--file", file_path,
			 "--metrics-file", prom_path,
			 "--metrics-interval-ms", "20", NULL };
	char junk[RINGMPSC_SPAN_SIZE + 8] = { 0 };
	const double want = PRODUCERS * SPANS + 2;
	struct stat st;
	int status, fd;
	double end;
	pid_t pid;

	snprintf(dir, sizeof(dir), "/tmp/intake_test.%d", (int)getpid());
	ASSERT_EQ(0, mkdir(dir, 0700));
	snprintf(sock_path, sizeof(sock_path), "%s/intake.sock", dir);
	snprintf(file_path, sizeof(file_path), "%s/spans.jsonl", dir);
	snprintf(prom_path, sizeof(prom_path), "%s/collector.prom", dir);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(collector_main(11, argv));
	end = now_s() + WAIT_S;
	while (stat(sock_path, &st) && now_s() < end)
		usleep(10000);
	ASSERT_EQ(0, stat(sock_path, &st));

	for (int i = 0; i < PRODUCERS; i++)
		if (fork() == 0)
			producer(i);
	fd = connect_intake();
	ASSERT_LE(0, fd);
	EXPECT_EQ(10, send(fd, junk, 10, 0));
	EXPECT_EQ((ssize_t)sizeof(junk), send(fd, junk, sizeof(junk), 0));
	close(fd);
	for (int i = 0; i < PRODUCERS; i++) {
		ASSERT_LT(0, wait(&status));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	while (metric("ringmpsc_collector_spans_received_total") != want &&
	       now_s() < end)
		usleep(10000);
	EXPECT_EQ(want, metric("ringmpsc_collector_spans_received_total"));

	/* SIGTERM: the open batch is flushed, exit 0. */
	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(PRODUCERS * SPANS, metric("ringmpsc_collector_spans_exported_total"));
	EXPECT_EQ(2, metric("ringmpsc_collector_spans_corrupt_total{fault=\"version\"}"));
	EXPECT_EQ(PRODUCERS * SPANS, count_in_file("\"traceId\""));
	EXPECT_NE(0, stat(sock_path, &st));	/* removed at exit */
	unlink(file_path);
	unlink(prom_path);
	rmdir(dir);
}

TEST(socket_and_local_are_exclusive)
{
	char *argv[] = { "ringmpsc-collector", "--socket", "/tmp/x.sock",
			 "--local", "1", NULL };
	int fd = open("/dev/null", O_WRONLY), saved = dup(STDERR_FILENO);

	/* Quiet: the error message is the point, not the output. */
	dup2(fd, STDERR_FILENO);
	EXPECT_EQ(2, collector_main(5, argv));
	dup2(saved, STDERR_FILENO);
	close(fd);
	close(saved);
}

TEST_HARNESS_MAIN
