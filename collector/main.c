// SPDX-License-Identifier: MIT
/*
 * ringmpsc-collector: the daemon. Wires the pieces into one event loop:
 * the channel's consumer eventfd drives the source (rings -> batches),
 * batches go to the pipeline (breaker, retries, exporter), done batches
 * release their ring slots; timers close batches by age, refill the rate
 * limit, write the metrics file and bound the stop on SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "encoding.h"
#include "intake_socket.h"
#include "invariants.h"
#include <ringmpsc.h>

#include "collector.h"
#include "loadgen.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "pipeline.h"
#include "source.h"

/* Spans one intake pass takes before the loop serves sockets and timers. */
#define PUMP_BUDGET		16384
/* When the library cannot promise a wakeup (INV-WAKE-06): poll. */
#define UNARMED_POLL_NS		10000000ull
/*
 * While spans keep coming, look at the rings again a little later
 * instead of sleeping on the eventfd: a consumer asleep makes the next
 * commit of each producer pay a wake call (a system call, more than the
 * span itself costs), and a collector that exports in batches gains
 * nothing from waking for each span. The next look comes when, at the
 * rate the last pass saw, the busiest ring would be half full, and at
 * most this late.
 */
#define BUSY_POLL_MAX_NS	2000000ull
/*
 * A pass that finds nothing does not arm the wait at once either: right
 * after a release, a producer that slept on its full ring is only
 * waking up. Armed then, the flag stays set until this process runs
 * again, and every commit of that producer until then pays a wake call
 * (measured: one span in ten, on a busy machine). Empty passes look
 * again after this, twice as long after each, up to BUSY_POLL_MAX_NS;
 * then the wait is armed: an idle collector sleeps after about 4 ms.
 */
#define IDLE_POLL_FIRST_NS	16000ull

struct collector {
	struct config cfg;
	struct loop loop;
	struct metrics m;
	struct ratelimit rl;
	struct pipeline pipe;
	struct source src;
	struct ringmpsc_consumer c;
	struct ringmpsc_local *local;
	pid_t *children;
	uint32_t children_left;
	bool child_failed;
	bool drained;		/* load producers gone and their rings read */
	bool stopping;
	bool quit;
	struct loop_timer pump_timer, age_timer, metrics_timer, stop_timer;
	uint64_t last_pass_ns;	/* the last intake pass began */
	uint64_t idle_poll_ns;	/* after empty passes: the next look, 0: none */
	int sock;		/* --socket: the datagram intake */
};

static void pump(void *ctx);

static void pump_soon(struct collector *col, uint64_t at_ns)
{
	struct loop_timer *t = &col->pump_timer;

	if (!t->armed || t->deadline_ns > at_ns)
		loop_timer_arm(&col->loop, t, at_ns);
}

static void check_finished(struct collector *col)
{
	if (!pipeline_idle(&col->pipe))
		return;
	if (col->stopping ||
	    (col->drained && !source_held(&col->src))) {
		log_msg(LOG_DEBUG, "finished: held %llu queued %u exporting %u backoff %u",
			(unsigned long long)source_held(&col->src), col->pipe.queued,
			col->pipe.exporting, col->pipe.backoff);
		col->quit = true;
	}
}

static void on_submit(void *ctx, struct batch *b)
{
	struct collector *col = ctx;

	pipeline_submit(&col->pipe, b);
}

static void on_batch_done(void *ctx, struct batch *b)
{
	struct collector *col = ctx;

	source_batch_done(&col->src, b);
	/* A batch came free: the source may go on (not from here: this
	 * may run inside an intake pass).
	 */
	if (!col->stopping)
		pump_soon(col, 0);
	check_finished(col);
}

static void on_age(void *ctx)
{
	struct collector *col = ctx;
	struct batch *b = col->src.open;
	uint64_t due = b ? b->opened_ns +
		(uint64_t)col->cfg.batch_max_delay_ms * 1000000u : 0;

	/* Armed for a batch that closed by size since: wait for this one. */
	if (b && due > mono_ns()) {
		loop_timer_arm(&col->loop, &col->age_timer, due);
		return;
	}
	source_close_open(&col->src);
	check_finished(col);
}

/* Sleep until a producer commits, or poll when that cannot be promised.
 * The slots batches hold are taken, not unread: they do not keep the
 * wait from arming (INV-RING-12); their release is the exporter's event.
 */
static void wait_for_spans(struct collector *col, uint64_t now)
{
	int armed = ringmpsc_wait_prepare(&col->c);

	if (armed == 0)
		return;		/* the eventfd wakes us */
	ringmpsc_wait_finish(&col->c);
	pump_soon(col, armed < 0 ? now + UNARMED_POLL_NS : 0);
}

/* How long after a pass that took spans to look again, the previous
 * pass having begun at @prev_ns (BUSY_POLL_MAX_NS).
 */
static uint64_t busy_poll_ns(const struct collector *col, uint64_t now,
			     uint64_t prev_ns)
{
	uint64_t half = col->c.capacity / 2, most = col->src.pass_most, t;

	if (most >= half)
		return 0;
	/* most > 0: the pass took spans; they came in since @prev_ns. */
	t = (now - prev_ns) / most * half;
	return t < BUSY_POLL_MAX_NS ? t : BUSY_POLL_MAX_NS;
}

static void pump(void *ctx)
{
	struct collector *col = ctx;
	uint64_t now = mono_ns(), received, prev;
	enum source_stop why;

	if (col->stopping || col->quit)
		return;
	prev = col->last_pass_ns;
	col->last_pass_ns = now;
	loop_timer_cancel(&col->loop, &col->pump_timer);
	received = col->m.spans_received;
	if (col->cfg.socket)
		why = socket_intake_take(&col->src, col->sock, now, PUMP_BUDGET);
	else
		why = source_take(&col->src, now, PUMP_BUDGET);
	if (col->src.open && !col->age_timer.armed)
		loop_timer_arm(&col->loop, &col->age_timer, col->src.open->opened_ns +
			       (uint64_t)col->cfg.batch_max_delay_ms * 1000000u);
	switch (why) {
	case SOURCE_BUDGET:
		pump_soon(col, 0);
		break;
	case SOURCE_RATE:
		/* Come back when half the bucket has refilled: one wakeup
		 * per burst/2 spans, not per span, and the other half left
		 * as slack for a late timer (a full bucket wastes tokens).
		 */
		pump_soon(col, ratelimit_next_ns(&col->rl, now) +
			  (uint64_t)(col->rl.burst / 2 / col->rl.rate * 1e9));
		break;
	case SOURCE_NO_BATCH:
		break;		/* a done batch pumps again */
	case SOURCE_EMPTY:
		if (col->cfg.socket)
			break;		/* read to EAGAIN: its edge wakes us */
		if (col->local && !col->children_left) {
			/* The producers are gone: nothing more will come. */
			col->drained = true;
			source_close_open(&col->src);
			check_finished(col);
			break;
		}
		if (col->m.spans_received != received) {
			col->idle_poll_ns = 0;
			pump_soon(col, now + busy_poll_ns(col, now, prev));
		} else if (col->idle_poll_ns < BUSY_POLL_MAX_NS) {
			col->idle_poll_ns = col->idle_poll_ns ?
					    2 * col->idle_poll_ns : IDLE_POLL_FIRST_NS;
			if (col->idle_poll_ns > BUSY_POLL_MAX_NS)
				col->idle_poll_ns = BUSY_POLL_MAX_NS;
			pump_soon(col, now + col->idle_poll_ns);
		} else {
			wait_for_spans(col, now);
		}
		break;
	}
}

static void on_socket_event(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	pump(ctx);
}

static void on_ring_event(void *ctx, int fd, uint32_t events)
{
	struct collector *col = ctx;

	(void)fd;
	(void)events;
	ringmpsc_wait_finish(&col->c);
	pump(col);
}

static void write_metrics(struct collector *col)
{
	int err;

	if (!col->cfg.metrics_file)
		return;
	err = metrics_write_file(&col->m, col->cfg.metrics_file);
	if (err)
		log_msg(LOG_WARN, "cannot write %s: %s", col->cfg.metrics_file,
			strerror(-err));
}

static void on_metrics(void *ctx)
{
	struct collector *col = ctx;

	write_metrics(col);
	loop_timer_arm(&col->loop, &col->metrics_timer,
		       mono_ns() + (uint64_t)col->cfg.metrics_interval_ms * 1000000u);
}

static void on_stop_deadline(void *ctx)
{
	struct collector *col = ctx;

	log_msg(LOG_WARN, "stop deadline: %llu spans not exported stay in the rings for the next collector",
		(unsigned long long)source_held(&col->src));
	col->quit = true;
}

/* SIGTERM, SIGINT: take no more spans, flush, exit 0. INV-COLL-06. */
static void begin_stop(struct collector *col)
{
	if (col->stopping)
		return;
	log_msg(LOG_INFO, "stopping: flushing %llu spans (at most %u ms)",
		(unsigned long long)source_held(&col->src),
		col->cfg.shutdown_timeout_ms);
	col->stopping = true;
	loop_timer_cancel(&col->loop, &col->pump_timer);
	loop_timer_cancel(&col->loop, &col->age_timer);
	source_close_open(&col->src);
	loop_timer_arm(&col->loop, &col->stop_timer,
		       mono_ns() + (uint64_t)col->cfg.shutdown_timeout_ms * 1000000u);
	check_finished(col);
}

static void reap_children(struct collector *col)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (uint32_t i = 0; i < col->cfg.local; i++) {
			if (col->children[i] != pid)
				continue;
			col->children[i] = 0;
			col->children_left--;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				log_msg(LOG_ERROR, "load producer %u failed", i);
				col->child_failed = true;
			}
		}
	}
	if (!col->children_left)
		pump_soon(col, 0);
}

static void on_signal(void *ctx, int fd, uint32_t events)
{
	struct collector *col = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap_children(col);
		else
			begin_stop(col);
	}
}

static int start_load(struct collector *col)
{
	const struct config *cfg = &col->cfg;
	int err = ringmpsc_local_create(&col->local, cfg->local,
					RINGMPSC_SPAN_SIZE, cfg->capacity, 0);

	if (err) {
		log_msg(LOG_ERROR, "local rings: %s", strerror(-err));
		return err;
	}
	col->children = calloc(cfg->local, sizeof(*col->children));
	if (!col->children)
		return -ENOMEM;
	for (uint32_t i = 0; i < cfg->local; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			err = -errno;
			log_msg(LOG_ERROR, "fork: %s", strerror(errno));
			return err;
		}
		if (pid == 0) {
			struct ringmpsc_producer p;
			sigset_t none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			/* Local rings die with the collector: so do we. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			err = ringmpsc_local_producer(col->local, i, &p);
			if (err) {
				fprintf(stderr, "ringmpsc-collector: load producer %u: %s\n",
					i, strerror(-err));
				_exit(1);
			}
			_exit(loadgen_run(&p, i, cfg->local_spans, cfg->local_rate));
		}
		col->children[i] = pid;
		col->children_left++;
	}
	return ringmpsc_local_consumer(col->local, &col->c);
}

/* Attach to the channel, creating it if it does not exist. */
static int open_channel(struct collector *col)
{
	const struct config *cfg = &col->cfg;
	struct ringmpsc_channel_attr attr = {
		.slot_size = RINGMPSC_SPAN_SIZE,
		.capacity = cfg->capacity,
		.max_producers = cfg->max_producers,
		.mode = cfg->mode,
	};
	int err = ringmpsc_consumer_open(&col->c, cfg->channel);

	if (err == -ENOENT && access(RINGMPSC_DEVICE, F_OK) == 0) {
		err = ringmpsc_create(cfg->channel, &attr);
		if (err == 0 || err == -EEXIST)
			err = ringmpsc_consumer_open(&col->c, cfg->channel);
	}
	if (err == -ENODEV || (err == -ENOENT && access(RINGMPSC_DEVICE, F_OK))) {
		log_msg(LOG_ERROR, "%s does not exist: the ringmpsc module is not loaded (modprobe ringmpsc as root), or try --local N without it",
			RINGMPSC_DEVICE);
	} else if (err == -EACCES || err == -EPERM) {
		log_msg(LOG_ERROR, "channel '%s': permission denied: run as the channel's owner (or root), or ask for a channel of your own with --channel",
			cfg->channel);
	} else if (err == -ENOSPC || err == -EMFILE) {
		log_msg(LOG_ERROR, "channel '%s': %s: over the module's limits (bytes_per_channel, bytes_per_user, channels_per_user in /sys/module/ringmpsc/parameters): lower --capacity or --max-producers",
			cfg->channel, strerror(-err));
	} else if (err == -EBUSY) {
		log_msg(LOG_ERROR, "channel '%s' already has a consumer: is another collector running?",
			cfg->channel);
	} else if (err) {
		log_msg(LOG_ERROR, "channel '%s': %s", cfg->channel, strerror(-err));
	} else if (col->c.slot_size != RINGMPSC_SPAN_SIZE) {
		log_msg(LOG_ERROR, "channel '%s' has %u-byte slots, spans need %u: not a span channel",
			cfg->channel, col->c.slot_size, RINGMPSC_SPAN_SIZE);
		ringmpsc_consumer_close(&col->c);
		err = -EMSGSIZE;
	}
	return err;
}

static int open_socket(struct collector *col)
{
	int fd = socket_intake_open(col->cfg.socket);

	if (fd < 0) {
		log_msg(LOG_ERROR, "--socket %s: %s", col->cfg.socket,
			strerror(-fd));
		return fd;
	}
	col->sock = fd;
	/* Edge-triggered: a pass stops early only for a reason (budget,
	 * no batch) that pumps again by itself.
	 */
	return loop_watch(&col->loop, fd, EPOLLIN | EPOLLET, on_socket_event,
			  col) ? -errno : 0;
}

static int setup(struct collector *col)
{
	const struct config *cfg = &col->cfg;
	sigset_t sigs;
	int sfd, efd, err;

	metrics_init(&col->m);
	err = loop_init(&col->loop);
	if (err)
		return err;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || loop_watch(&col->loop, sfd, EPOLLIN, on_signal, col))
		return -errno;
	if (cfg->socket)
		err = open_socket(col);
	else
		err = cfg->local ? start_load(col) : open_channel(col);
	if (err)
		return err;
	ratelimit_init(&col->rl, cfg->rate_limit, cfg->rate_burst,
		       cfg->rate_policy, mono_ns());
	err = pipeline_init(&col->pipe, cfg, &col->loop, &col->m,
			    on_batch_done, col);
	if (err)
		return err;
	err = source_init(&col->src, cfg->socket ? NULL : &col->c, &col->m, &col->rl,
			  cfg->max_batches, cfg->batch_max_spans,
			  cfg->batch_max_bytes,
			  otlp_encoding_find(cfg->otlp_encoding), on_submit, col);
	if (err)
		return err;
	if (!cfg->local && !cfg->socket)
		source_count_inherited(&col->src);
	if (col->m.spans_inherited)
		log_msg(LOG_INFO, "%llu spans left unreleased by a previous collector: exporting them (some may be duplicates)",
			(unsigned long long)col->m.spans_inherited);
	loop_timer_init(&col->pump_timer, pump, col);
	loop_timer_init(&col->age_timer, on_age, col);
	loop_timer_init(&col->metrics_timer, on_metrics, col);
	loop_timer_init(&col->stop_timer, on_stop_deadline, col);
	efd = cfg->socket ? -1 : ringmpsc_consumer_eventfd(&col->c);
	if (efd >= 0 && loop_watch(&col->loop, efd, EPOLLIN, on_ring_event, col))
		return -errno;
	if (cfg->metrics_file)
		on_metrics(col);
	pump_soon(col, 0);
	return 0;
}

int collector_main(int argc, char **argv)
{
	static struct collector col;
	int err;

	config_defaults(&col.cfg);
	err = config_parse(&col.cfg, argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	if (col.cfg.verbose)
		log_threshold = LOG_DEBUG;
	err = setup(&col);
	if (err) {
		if (err == -ENOMEM)
			log_msg(LOG_ERROR, "out of memory");
		return 1;
	}
	while (!col.quit) {
		err = loop_run_once(&col.loop, -1);
		if (err < 0) {
			log_msg(LOG_ERROR, "event loop: %s", strerror(-err));
			break;
		}
	}
	pipeline_shutdown(&col.pipe);
	write_metrics(&col);
	log_msg(LOG_INFO, "exported %llu spans in %llu batches; %llu dropped; %llu left in the rings",
		(unsigned long long)col.m.spans_exported,
		(unsigned long long)col.m.batches_exported,
		(unsigned long long)(col.m.spans_dropped[DROP_REJECTED] +
				     col.m.spans_dropped[DROP_RETRY_EXHAUSTED] +
				     col.m.spans_dropped[DROP_RATE_LIMIT] +
				     col.m.spans_dropped[DROP_ENCODE]),
		(unsigned long long)source_held(&col.src));
	if (col.cfg.socket)
		(void)unlink(col.cfg.socket);
	if (col.cfg.unlink_at_exit && !col.cfg.local && !col.cfg.socket) {
		if (source_held(&col.src))
			log_msg(LOG_WARN, "channel '%s' kept: it holds spans not exported",
				col.cfg.channel);
		else if (ringmpsc_unlink(col.cfg.channel))
			log_msg(LOG_WARN, "cannot unlink channel '%s'", col.cfg.channel);
	}
	source_free(&col.src);
	ringmpsc_consumer_close(&col.c);
	if (col.local)
		ringmpsc_local_destroy(col.local);
	loop_close(&col.loop);
	return err < 0 || col.child_failed ? 1 : 0;
}
