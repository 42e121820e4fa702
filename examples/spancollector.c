// SPDX-License-Identifier: MIT
/*
 * spancollector: a trace-span collector built on ringmpsc.
 *
 * One consumer process collects fixed-size span records from several
 * producer processes through a module channel (or, with --local, through
 * local rings shared across fork). Each record carries the producer's
 * sequence number and a checksum, so the collector verifies order and
 * integrity of everything it receives.
 *
 *   spancollector [--local] [--producers N] [--seconds S] [--name NAME]
 *
 * Prints one line per producer (sent, received, rate) and a verdict;
 * exits non-zero if any record is lost, duplicated, reordered or corrupt.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ringmpsc.h>

#define MAX_PRODUCERS	64
#define BATCH		32

struct span_record {
	uint64_t seq;		/* per producer, from 0 */
	uint64_t trace_id;
	uint64_t span_id;
	uint64_t start_ns;
	uint32_t duration_ns;
	uint32_t pid;
	char name[16];
	uint64_t check;		/* checksum of the fields above */
};

_Static_assert(sizeof(struct span_record) == 64, "one cache line");

struct producer_tally {
	uint32_t pid;
	uint64_t next_seq;	/* = records received in order */
	uint64_t sent;		/* reported by the producer at exit */
};

struct collector {
	struct producer_tally tally[MAX_PRODUCERS];
	uint32_t nr_tally;
	uint64_t received;
	uint64_t bad;		/* lost, duplicated, reordered or corrupt */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t span_check(const struct span_record *r)
{
	const uint64_t *w = (const uint64_t *)r;
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < offsetof(struct span_record, check) / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ull;
	return h;
}

static struct producer_tally *tally_for(struct collector *col, uint32_t pid)
{
	for (uint32_t i = 0; i < col->nr_tally; i++)
		if (col->tally[i].pid == pid)
			return &col->tally[i];
	if (col->nr_tally == MAX_PRODUCERS)
		return NULL;
	col->tally[col->nr_tally].pid = pid;
	return &col->tally[col->nr_tally++];
}

static void collect(void *ctx, uint32_t ring, const void *msgs, uint32_t n)
{
	struct collector *col = ctx;
	const struct span_record *r = msgs;
	struct producer_tally *t = NULL;

	(void)ring;
	for (uint32_t i = 0; i < n; i++, r++) {
		if (!t || t->pid != r->pid)
			t = tally_for(col, r->pid);
		if (!t || r->check != span_check(r) || r->seq != t->next_seq) {
			col->bad++;
			continue;
		}
		t->next_seq++;
	}
	col->received += n;
}

static int open_producer(struct ringmpsc_producer *p, const char *name,
			 struct ringmpsc_local *local, uint32_t ring)
{
	return local ? ringmpsc_local_producer(local, ring, p)
		     : ringmpsc_producer_open(p, name);
}

/* Producer process: send spans for @seconds, then report the count. */
static int run_producer(const char *name, struct ringmpsc_local *local,
			uint32_t ring, double seconds, int report_fd)
{
	struct span_record batch[BATCH];
	struct ringmpsc_producer p;
	uint64_t seq = 0, end = now_ns() + (uint64_t)(seconds * 1e9);
	uint32_t pid = (uint32_t)getpid();
	int err = open_producer(&p, name, local, ring);

	if (err) {
		fprintf(stderr, "producer %u: open: %s\n", pid, strerror(-err));
		return 1;
	}
	while (now_ns() < end) {
		for (int i = 0; i < BATCH; i++) {
			struct span_record *r = &batch[i];

			memset(r, 0, sizeof(*r));
			r->seq = seq + (uint64_t)i;
			r->trace_id = ((uint64_t)pid << 32) | (r->seq >> 8);
			r->span_id = r->seq * 2654435761u;
			r->start_ns = now_ns();
			r->duration_ns = (uint32_t)(r->seq % 100000);
			r->pid = pid;
			snprintf(r->name, sizeof(r->name), "op-%u", (unsigned)(r->seq % 7));
			r->check = span_check(r);
		}
		err = ringmpsc_try_send_many(&p, batch, sizeof(batch[0]), BATCH);
		if (err == -EAGAIN)
			err = ringmpsc_wait_space(&p, BATCH, 1000);
		else if (err > 0)
			seq += (uint64_t)err;
		if (err < 0 && err != -ETIMEDOUT) {
			fprintf(stderr, "producer %u: send: %s\n", pid, strerror(-err));
			break;
		}
		/* A partial batch is simply regenerated from seq next time. */
	}
	if (write(report_fd, &(uint64_t[2]){ pid, seq }, 16) != 16)
		err = -EIO;
	ringmpsc_producer_close(&p);
	return err < 0 && err != -ETIMEDOUT && err != -EAGAIN ? 1 : 0;
}

static int open_consumer(struct ringmpsc_consumer *c, const char *name,
			 struct ringmpsc_local *local)
{
	return local ? ringmpsc_local_consumer(local, c)
		     : ringmpsc_consumer_open(c, name);
}

static int drain(struct ringmpsc_consumer *c, struct collector *col, int timeout_ms)
{
	long n = ringmpsc_consume_batch(c, collect, col, 256);

	if (n == 0)
		n = ringmpsc_wait(c, timeout_ms);
	if (n < 0 && n != -ETIMEDOUT && n != -EINTR) {
		fprintf(stderr, "consumer: %s\n", strerror((int)-n));
		return (int)n;
	}
	return 0;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--local] [--producers N] [--seconds S] [--name NAME]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", no_argument, NULL, 'l' },
		{ "producers", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ 0 }
	};
	const char *name = "spancollector";
	struct ringmpsc_local *local = NULL;
	struct ringmpsc_consumer c;
	struct collector col = { 0 };
	uint32_t nprod = 4;
	double seconds = 3;
	bool use_local = false, ok;
	int fds[2], opt, err, running, status;
	uint64_t start, report[2], sent_total = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': use_local = true; break;
		case 'p': nprod = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'n': name = optarg; break;
		default: return usage(argv[0]);
		}
	}
	if (nprod == 0 || nprod > MAX_PRODUCERS || seconds <= 0)
		return usage(argv[0]);

	if (use_local) {
		err = ringmpsc_local_create(&local, nprod, sizeof(struct span_record),
					    4096, 0);
	} else {
		struct ringmpsc_channel_attr attr = {
			.slot_size = sizeof(struct span_record), .capacity = 4096,
			.max_producers = nprod, .mode = 0600,
			.flags = RINGMPSC_CREATE_EXCL,
		};

		ringmpsc_unlink(name);	/* a leftover of an earlier run */
		err = ringmpsc_create(name, &attr);
	}
	if (err) {
		fprintf(stderr, "create %s: %s\n", name, strerror(-err));
		return 1;
	}
	err = open_consumer(&c, name, local);
	if (err || pipe(fds)) {
		fprintf(stderr, "consumer open: %s\n", strerror(err ? -err : errno));
		return 1;
	}

	start = now_ns();
	for (uint32_t i = 0; i < nprod; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			close(fds[0]);
			_exit(run_producer(name, local, i, seconds, fds[1]));
		}
	}
	close(fds[1]);

	/* Collect until every producer has exited, then drain what is left. */
	for (running = (int)nprod; running > 0;) {
		if (drain(&c, &col, 100))
			return 1;
		while (waitpid(-1, &status, WNOHANG) > 0)
			running--;
	}
	while (ringmpsc_consume_batch(&c, collect, &col, 256) > 0)
		;
	double elapsed = (double)(now_ns() - start) / 1e9;

	while (read(fds[0], report, sizeof(report)) == sizeof(report)) {
		struct producer_tally *t = tally_for(&col, (uint32_t)report[0]);

		if (t)
			t->sent = report[1];
		sent_total += report[1];
	}
	ok = col.bad == 0 && col.nr_tally == nprod && col.received == sent_total;
	printf("%-8s %12s %12s %10s\n", "pid", "sent", "received", "k/s");
	for (uint32_t i = 0; i < col.nr_tally; i++) {
		struct producer_tally *t = &col.tally[i];

		printf("%-8u %12" PRIu64 " %12" PRIu64 " %10.2f\n", t->pid, t->sent,
		       t->next_seq, (double)t->next_seq / elapsed / 1e3);
		ok = ok && t->sent == t->next_seq;
	}
	printf("total: %" PRIu64 " spans from %u producers in %.2f s: %.2f M spans/s, %.1f MB/s\n",
	       col.received, nprod, elapsed, (double)col.received / elapsed / 1e6,
	       (double)col.received * sizeof(struct span_record) / elapsed / 1e6);
	printf("verification: %s (%" PRIu64 " bad records)\n", ok ? "OK" : "FAILED", col.bad);

	ringmpsc_consumer_close(&c);
	if (local)
		ringmpsc_local_destroy(local);
	else
		ringmpsc_unlink(name);
	return ok ? 0 : 1;
}
