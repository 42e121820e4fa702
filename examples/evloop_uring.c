// SPDX-License-Identifier: MIT
/*
 * evloop_uring: an io_uring producer that keeps sending with backpressure
 * while it does file I/O and serves a periodic timer, all in one
 * io_uring_submit_and_wait loop (<ringmpsc/uring.h>); the consumer is an
 * io_uring loop too, and slow now and then.
 *
 * Producer: sends every message; when the ring is full it prepares, keeps
 * a poll of its eventfd armed (multishot where the kernel has it) and
 * sleeps in io_uring with everything else; every 1000 messages it queues
 * a write of a log record to a file. A 10 ms timer must fire on time all
 * along, above all while the slow consumer keeps the producer waiting.
 * Consumer: drains with a budget, sleeps on its own poll (one-shot, as
 * on kernels before 5.13) when the rings are empty, and pauses every
 * 10000 messages as a slow consumer would.
 * The run fails on any lost, duplicated or reordered message, a short
 * file, a late timer, or a sleep that nothing ends within the stall bound.
 */
#include <ringmpsc/uring.h>	/* first: liburing's feature macros */

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evloop.h"

#define BUDGET		64	/* messages a consumer takes per call */
#define SEND_BUDGET	256	/* messages a producer sends per iteration */
#define TIMER_MS	10
/* Later than this, not counting the time the producer's thread waited for
 * a CPU (the machine's load), and the loop did not serve its timer.
 */
#define LATE_MS		50
#define LOG_EVERY	1000
#define LOG_INFLIGHT	64
#define SLOW_EVERY	10000
#define SLOW_MS		30

enum { TAG_POLL = 1, TAG_TIMER, TAG_WRITE };

struct producer {
	const struct ev_opts *o;
	struct ringmpsc_local *l;
	struct io_uring ring;
	struct ringmpsc_uring_poll w;
	struct __kernel_timespec period;
	uint64_t timer_due;	/* when the armed timer should fire */
	uint64_t delay_at_arm;	/* run_delay_ns() then */
	bool waiting;		/* the ring is full: we wait for room */
	bool woken;		/* the poll of our eventfd completed */
	uint64_t fires, fires_waiting;
	uint64_t latest_ns;	/* latest fire, beyond the thread's CPU wait */
	uint64_t latest_raw_ns;	/* ... and with it */
	uint64_t sleeps;
	int file;
	uint64_t log_queued, log_done;
	struct ev_msg log_buf[LOG_INFLIGHT];
};

struct consumer {
	pthread_t th;
	const struct ev_opts *o;
	struct ringmpsc_consumer c;
	struct ev_tally t;
	uint64_t sleeps, pauses;
	int err;
};

static const char *prog = "evloop_uring";

/*
 * How long this thread has waited for a CPU while runnable, ns
 * (/proc/thread-self/schedstat; 0 where the kernel does not keep it). A
 * timer that fires late because the machine is busy is not late because
 * of the loop.
 */
static uint64_t run_delay_ns(void)
{
	unsigned long long run, delay = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");

	if (f) {
		if (fscanf(f, "%llu %llu", &run, &delay) != 2)
			delay = 0;
		fclose(f);
	}
	return delay;
}

static struct io_uring_sqe *sqe_of(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {		/* full: make room */
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

static int arm_timer(struct producer *pr)
{
	struct io_uring_sqe *sqe = sqe_of(&pr->ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_timeout(sqe, &pr->period, 0, 0);
	io_uring_sqe_set_data64(sqe, TAG_TIMER);
	pr->timer_due = ev_now_ns() + TIMER_MS * 1000000ull;
	pr->delay_at_arm = run_delay_ns();
	return 0;
}

/* Queue the writes of the log records due after @seq messages (one per
 * LOG_EVERY), as far as the buffers in flight allow.
 */
static int queue_logs(struct producer *pr, uint64_t seq)
{
	while (pr->log_queued < seq / LOG_EVERY &&
	       pr->log_queued - pr->log_done < LOG_INFLIGHT) {
		struct ev_msg *rec = &pr->log_buf[pr->log_queued % LOG_INFLIGHT];
		struct io_uring_sqe *sqe = sqe_of(&pr->ring);

		if (!sqe)
			return -EBUSY;
		*rec = ev_msg_for(0, (pr->log_queued + 1) * LOG_EVERY);
		io_uring_prep_write(sqe, pr->file, rec, sizeof(*rec),
				    pr->log_queued * sizeof(*rec));
		io_uring_sqe_set_data64(sqe, TAG_WRITE);
		pr->log_queued++;
	}
	return 0;
}

/* Everything that completed: the poll, the timer, the writes. */
static int reap(struct producer *pr)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;
	int err = 0;

	io_uring_for_each_cqe(&pr->ring, head, cqe) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);

		seen++;
		if (ringmpsc_uring_poll_owns(&pr->w, cqe)) {
			int r = ringmpsc_uring_poll_complete(&pr->w, cqe);

			if (r < 0)
				err = r;
			pr->woken |= r > 0;
		} else if (tag == TAG_TIMER) {
			uint64_t now = ev_now_ns();
			uint64_t late = now > pr->timer_due ? now - pr->timer_due : 0;
			uint64_t cpu_wait = run_delay_ns() - pr->delay_at_arm;
			uint64_t own = late > cpu_wait ? late - cpu_wait : 0;

			pr->fires++;
			pr->fires_waiting += pr->waiting;
			if (own > pr->latest_ns)
				pr->latest_ns = own;
			if (late > pr->latest_raw_ns)
				pr->latest_raw_ns = late;
			if (!err)
				err = arm_timer(pr);
		} else if (tag == TAG_WRITE) {
			if (cqe->res != (int)sizeof(struct ev_msg))
				err = cqe->res < 0 ? cqe->res : -EIO;
			pr->log_done++;
		}
	}
	io_uring_cq_advance(&pr->ring, seen);
	return err;
}

/* One sleep of the loop: until a completion, at most @ms (-1: none). */
static int sleep_in_uring(struct producer *pr, int ms)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000LL };
	struct io_uring_cqe *cqe;
	int err = io_uring_submit_and_wait_timeout(&pr->ring, &cqe, 1,
						   ms < 0 ? NULL : &ts, NULL);

	return err == -ETIME || err == -EINTR ? 0 : (err < 0 ? err : 0);
}

static int produce(struct producer *pr)
{
	struct ringmpsc_producer p;
	uint64_t seq = 0, progress = ev_now_ns();
	int err = ringmpsc_local_producer(pr->l, 0, &p);

	if (!err)
		err = ringmpsc_uring_poll_init(&pr->w, ringmpsc_producer_eventfd(&p),
					       TAG_POLL, 0);
	if (!err)
		err = arm_timer(pr);
	while (!err && (seq < pr->o->messages ||
			pr->log_done < pr->o->messages / LOG_EVERY)) {
		int ms = -1;	/* sleep until a completion */
		uint32_t sent = 0;

		/* A bounded batch, so that the loop's other work (the timer,
		 * the writes) is served however fast the consumer drains.
		 */
		while (!pr->waiting && seq < pr->o->messages &&
		       sent++ < SEND_BUDGET) {
			struct ev_msg m = ev_msg_for(0, seq);

			err = ringmpsc_try_send(&p, &m, sizeof(m));
			if (err)
				break;
			seq++;
			progress = ev_now_ns();
		}
		if (err == -EAGAIN)
			err = 0;	/* full: wait for room below */
		else if (!err && !pr->waiting && seq < pr->o->messages)
			ms = 0;		/* batch done: serve the loop, go on */
		if (!err)
			err = queue_logs(pr, seq);
		if (!err && ms && !pr->waiting && seq < pr->o->messages) {
			int r = ringmpsc_producer_wait_prepare(&p, 1, 0);

			if (r < 0 && ringmpsc_wait_retry_ms(r) < 0) {
				err = r;
				break;
			}
			/* Armed: only the poll ends the wait, whatever else
			 * completes meanwhile (the timer, the writes).
			 */
			pr->waiting = r == 0;
			pr->sleeps += r == 0;
			ms = r == 1 ? 0 : r < 0 ? ringmpsc_wait_retry_ms(r) : -1;
			if (r != 1)
				err = ringmpsc_uring_poll_arm(&pr->ring, &pr->w);
			if (r < 0)
				ringmpsc_producer_wait_finish(&p);
		}
		if (!err && ms == 0)
			err = io_uring_submit(&pr->ring) < 0 ? -EIO : 0;
		else if (!err)
			err = sleep_in_uring(pr, ms);
		if (!err)
			err = reap(pr);
		if (pr->waiting && pr->woken) {
			ringmpsc_producer_wait_finish(&p);
			pr->waiting = false;
		} else if (!err && pr->waiting) {
			/* A multishot poll the kernel ended, or a one-shot
			 * fallback: still asleep, so poll again.
			 */
			err = ringmpsc_uring_poll_arm(&pr->ring, &pr->w);
		}
		pr->woken = false;
		/* Waiting for room and no wakeup for stall_ms (the timer
		 * fires every 10 ms meanwhile): a lost wakeup.
		 */
		if (!err && seq < pr->o->messages &&
		    ev_now_ns() - progress > pr->o->stall_ms * 1000000ull)
			err = -ETIMEDOUT;
	}
	/* Stop polling before the handle goes. */
	if (ringmpsc_uring_poll_armed(&pr->w) &&
	    !ringmpsc_uring_poll_cancel(&pr->ring, &pr->w)) {
		io_uring_submit(&pr->ring);
		while (ringmpsc_uring_poll_armed(&pr->w) && !sleep_in_uring(pr, 100) &&
		       !reap(pr))
			;
	}
	ringmpsc_producer_close(&p);
	return err;
}

/* The consumer: an io_uring loop of its own, slow now and then. */
static void *consumer_main(void *arg)
{
	struct consumer *cs = arg;
	struct ringmpsc_uring_poll w;
	struct io_uring ring;
	uint64_t want = cs->o->messages, next_pause = SLOW_EVERY;
	int err = io_uring_queue_init(8, &ring, 0);

	if (err) {
		cs->err = err;
		return NULL;
	}
	/* One-shot, as on kernels before 5.13: the producer's poll is
	 * multishot, so the run covers both.
	 */
	err = ringmpsc_uring_poll_init(&w, ringmpsc_consumer_eventfd(&cs->c), 7,
				       RINGMPSC_URING_ONESHOT);
	while (!err && cs->t.received < want) {
		struct __kernel_timespec ts = { cs->o->stall_ms / 1000,
						(cs->o->stall_ms % 1000) * 1000000LL };
		struct io_uring_cqe *cqe;
		long got = ringmpsc_consume_batch(&cs->c, ev_take, &cs->t, BUDGET);
		int r;

		if (got < 0) {
			err = (int)got;
			break;
		}
		if (cs->t.received >= next_pause) {
			usleep(SLOW_MS * 1000);		/* slow: the producer waits */
			next_pause += SLOW_EVERY;
			cs->pauses++;
		}
		if (got)
			continue;
		r = ringmpsc_wait_prepare(&cs->c);
		if (r == 1)
			continue;
		if (r < 0 && ringmpsc_wait_retry_ms(r) < 0) {
			err = r;
			break;
		}
		if (r < 0)
			ts = (struct __kernel_timespec){ 0, ringmpsc_wait_retry_ms(r) * 1000000LL };
		cs->sleeps++;
		err = ringmpsc_uring_poll_arm(&ring, &w);
		if (!err)
			err = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
		if (err == -ETIME && r == 0)
			err = -ETIMEDOUT;	/* armed, and nothing woke us */
		else if (err == -ETIME || err == -EINTR || err > 0)
			err = 0;
		while (!err && io_uring_peek_cqe(&ring, &cqe) == 0) {
			int c = ringmpsc_uring_poll_complete(&w, cqe);

			err = c < 0 ? c : 0;
			io_uring_cqe_seen(&ring, cqe);
		}
		ringmpsc_wait_finish(&cs->c);
	}
	cs->err = err;
	io_uring_queue_exit(&ring);	/* cancels the poll */
	return NULL;
}

static int make_log_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/evloop_uring.XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
	struct ev_opts o = { 100000, 1, 16, 5000 };
	static struct producer pr;
	struct consumer cs;
	struct stat st;
	uint64_t t0;
	int err, status;

	status = ev_parse(argc, argv, &o,
			  "An io_uring producer that sends with backpressure while doing\n"
			  "file I/O and serving a 10 ms timer, and a slow io_uring consumer.\n"
			  "Uses one producer (--producers is ignored).");
	if (status)
		return status;
	o.producers = 1;
	memset(&cs, 0, sizeof(cs));
	pr.o = cs.o = &o;
	pr.period = (struct __kernel_timespec){ 0, TIMER_MS * 1000000LL };
	err = ringmpsc_local_create(&pr.l, 1, sizeof(struct ev_msg), o.capacity, 0);
	if (!err)
		err = ringmpsc_local_consumer(pr.l, &cs.c);
	if (err)
		return ev_fail(prog, "local rings", err);
	pr.file = make_log_file();
	if (pr.file < 0)
		return ev_fail(prog, "log file", pr.file);
	err = io_uring_queue_init(64, &pr.ring, 0);
	if (err) {
		fprintf(stderr, "%s: io_uring_queue_init: %s (io_uring disabled? "
			"see /proc/sys/kernel/io_uring_disabled)\n", prog, strerror(-err));
		return 1;
	}
	t0 = ev_now_ns();
	pthread_create(&cs.th, NULL, consumer_main, &cs);
	err = produce(&pr);
	if (err)
		ev_fail(prog, "producer", err);
	pthread_join(cs.th, NULL);
	if (cs.err)
		ev_fail(prog, "consumer", cs.err);
	status = ev_verdict(prog, &cs.t, &o, ev_now_ns() - t0) || err || cs.err;
	if (fstat(pr.file, &st) || (uint64_t)st.st_size !=
	    o.messages / LOG_EVERY * sizeof(struct ev_msg)) {
		fprintf(stderr, "%s: log file has %lld bytes, want %llu\n", prog,
			(long long)st.st_size, (unsigned long long)
			(o.messages / LOG_EVERY * sizeof(struct ev_msg)));
		status = 1;
	}
	if (pr.latest_ns > LATE_MS * 1000000ull ||
	    (cs.pauses && !pr.fires_waiting)) {
		fprintf(stderr, "%s: timer not served while waiting: latest by "
			"%.1f ms besides waiting for a CPU (bound %d ms), %" PRIu64
			" fires while waiting\n", prog, (double)pr.latest_ns / 1e6,
			LATE_MS, pr.fires_waiting);
		status = 1;
	}
	printf("%s: producer slept %" PRIu64 " times, consumer %" PRIu64
	       " (paused %" PRIu64 " x %d ms); timer fired %" PRIu64 " times, %"
	       PRIu64 " while waiting, latest by %.2f ms (%.2f ms with the "
	       "thread's wait for a CPU); %" PRIu64 " log writes\n",
	       prog, pr.sleeps, cs.sleeps, cs.pauses, SLOW_MS, pr.fires,
	       pr.fires_waiting, (double)pr.latest_ns / 1e6,
	       (double)pr.latest_raw_ns / 1e6, pr.log_done);
	io_uring_queue_exit(&pr.ring);
	close(pr.file);
	ringmpsc_consumer_close(&cs.c);
	ringmpsc_local_destroy(pr.l);
	return status;
}
