// SPDX-License-Identifier: MIT
/*
 * collector_crash_test (VM, module channel): producers record load spans
 * while ringmpsc-collector is killed with SIGKILL at random moments and
 * restarted, KILLS times (default 100, env COLLECTOR_CRASH_KILLS); then a
 * last collector runs until the producers are done and stops on SIGTERM.
 * Every span must be in the file exporter's output at least once
 * (INV-COLL-04); the duplicates are counted and reported. TAP output.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../invariants.h"
#include <ringmpsc.h>

#include "../collector.h"
#include "../loadgen.h"

#define PRODUCERS	2
#define SPANS		6000	/* per producer */
#define RATE		600.0	/* spans/s per producer: load through the kills */
#define OUT		"/tmp/collector-crash.jsonl"

static char channel[64];

static pid_t start_collector(void)
{
	char *argv[] = {
		"ringmpsc-collector", "--channel", channel,
		"--exporter", "file", "--file", OUT,
		"--batch-max-spans", "64", "--batch-max-delay-ms", "5",
		"--shutdown-timeout-ms", "20000", NULL,
	};
	pid_t pid = fork();

	if (pid == 0)
		_exit(collector_main((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv));
	return pid;
}

static pid_t start_producer(uint32_t id)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct ringmpsc_producer p;
		int err = ringmpsc_producer_open(&p, channel);

		if (err) {
			fprintf(stderr, "producer %u: %s\n", id, strerror(-err));
			_exit(1);
		}
		_exit(loadgen_run(&p, id, SPANS, RATE));
	}
	return pid;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static unsigned hexval(const char *s, int n, unsigned long long *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return 0;
		*out = *out << 4 | (unsigned)v;
	}
	return 1;
}

/* Count each (producer, seq) in the complete lines of OUT. */
static int count_spans(unsigned char counts[PRODUCERS][SPANS], unsigned long *torn)
{
	FILE *f = fopen(OUT, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		static const char key[] = "\"traceId\":\"";
		const char *p = line;

		if (len < 3 || strncmp(line, "{\"resourceSpans\":", 17) ||
		    strncmp(line + len - 3, "]}\n", 3)) {
			(*torn)++;	/* a write the SIGKILL cut: re-sent later */
			continue;
		}
		while ((p = strstr(p, key))) {
			unsigned long long producer, seq;

			p += sizeof(key) - 1;
			if (hexval(p, 8, &producer) && hexval(p + 8, 16, &seq) &&
			    producer < PRODUCERS && seq < SPANS &&
			    counts[producer][seq] < 255)
				counts[producer][seq]++;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

int main(void)
{
	static unsigned char counts[PRODUCERS][SPANS];
	struct ringmpsc_channel_attr attr = {
		.slot_size = RINGMPSC_SPAN_SIZE, .capacity = 256,
		.max_producers = PRODUCERS, .mode = 0600,
	};
	const char *env = getenv("COLLECTOR_CRASH_KILLS");
	int kills = env ? atoi(env) : 100, failed_starts = 0, status, err;
	unsigned long lost = 0, dup = 0, torn = 0;
	pid_t producers[PRODUCERS], col;

	printf("TAP version 13\n1..1\n");
	fflush(stdout);
	snprintf(channel, sizeof(channel), "collcrash-%d", (int)getpid());
	unlink(OUT);
	err = ringmpsc_create(channel, &attr);
	if (err) {
		if (err == -ENOENT || err == -ENODEV)
			printf("ok 1 - crash test # SKIP module not loaded\n");
		else
			printf("not ok 1 - create channel: %s\n", strerror(-err));
		return err == -ENOENT || err == -ENODEV ? 0 : 1;
	}
	for (uint32_t i = 0; i < PRODUCERS; i++)
		producers[i] = start_producer(i);
	srand((unsigned)getpid());
	for (int k = 0; k < kills; k++) {
		col = start_collector();
		/* 5..80 ms: before it attached, while it reads, exports,
		 * writes or releases.
		 */
		sleep_ms(5 + rand() % 76);
		kill(col, SIGKILL);
		waitpid(col, &status, 0);
		if (WIFEXITED(status))
			failed_starts++;	/* exited by itself: EBUSY and such */
	}
	col = start_collector();
	for (uint32_t i = 0; i < PRODUCERS; i++) {
		waitpid(producers[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			printf("# producer %u failed\n", i);
	}
	sleep_ms(500);	/* the last spans into a batch */
	kill(col, SIGTERM);
	waitpid(col, &status, 0);
	ringmpsc_unlink(channel);
	err = count_spans(counts, &torn);
	for (int p = 0; p < PRODUCERS; p++)
		for (int s = 0; s < SPANS; s++) {
			lost += counts[p][s] == 0;
			dup += counts[p][s] > 1 ? counts[p][s] - 1u : 0;
		}
	printf("# %d kills (%d collectors exited before the kill), %d spans, lost %lu, duplicates %lu, torn lines %lu, last collector exit %d\n",
	       kills, failed_starts, PRODUCERS * SPANS, lost, dup, torn,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("%s 1 - SIGKILL %d times under load: every span exported at least once (INV-COLL-04)\n",
	       !err && lost == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
	       "ok" : "not ok", kills);
	unlink(OUT);
	return !err && lost == 0 ? 0 : 1;
}
