// SPDX-License-Identifier: MIT
/*
 * The export pipeline (pipeline.h): queueing, dispatch through the
 * breaker, outcomes, retries with backoff, and the counters they move.
 */
#include <errno.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "pipeline.h"

static void dispatch(struct pipeline *p);

static void on_breaker_timer(void *ctx)
{
	dispatch(ctx);
}

static void enqueue(struct pipeline *p, struct batch *b)
{
	b->state = BATCH_QUEUED;
	b->next = NULL;
	if (p->tail)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	p->queued++;
}

static struct batch *dequeue(struct pipeline *p)
{
	struct batch *b = p->head;

	p->head = b->next;
	if (!p->head)
		p->tail = NULL;
	b->next = NULL;
	p->queued--;
	return b;
}

static void finish(struct pipeline *p, struct batch *b)
{
	b->state = BATCH_DONE;
	p->m->batches_inflight--;
	p->batch_done(p->ctx, b);
}

static void give_up(struct pipeline *p, struct batch *b, enum drop_cause cause)
{
	p->m->spans_dropped[cause] += b->nr_spans;
	p->m->batches_dropped++;
	finish(p, b);
}

static void on_retry_timer(void *ctx)
{
	struct batch *b = ctx;
	struct pipeline *p = b->owner;

	p->backoff--;
	enqueue(p, b);
	dispatch(p);
}

static void sync_breaker_metrics(struct pipeline *p)
{
	p->m->breaker_state = p->breaker.state;
	p->m->breaker_opened = p->breaker.opened;
}

static void on_done(void *ctx, struct batch *b, const struct export_result *r)
{
	struct pipeline *p = ctx;
	uint64_t now = mono_ns(), delay;

	p->exporting--;
	hist_observe(&p->m->export_seconds, (double)(now - b->try_start_ns) / 1e9);
	if (p->verbose)
		log_msg(LOG_DEBUG, "batch %llu (%u spans), attempt %u: %s: %s",
			(unsigned long long)b->seq, b->nr_spans, b->attempts,
			r->outcome == EXPORT_OK ? "exported" :
			r->outcome == EXPORT_RETRY ? "failed" : "rejected",
			r->detail);
	switch (r->outcome) {
	case EXPORT_OK:
		breaker_success(&p->breaker, b->probe);
		p->m->spans_exported += b->nr_spans;
		p->m->batches_exported++;
		hist_observe(&p->m->batch_spans, b->nr_spans);
		hist_observe(&p->m->batch_bytes, (double)b->body.len);
		finish(p, b);
		break;
	case EXPORT_REJECTED:
		/* The request, not the backend, is at fault: the breaker
		 * learns nothing, and no retry can succeed.
		 */
		breaker_probe_abandoned(&p->breaker, b->probe);
		log_msg(LOG_WARN, "batch of %u spans rejected for good: %s",
			b->nr_spans, r->detail);
		give_up(p, b, DROP_REJECTED);
		break;
	case EXPORT_RETRY:
		breaker_failure(&p->breaker, b->probe, now);
		p->m->export_failures++;
		delay = retry_delay_ns(&p->retry, b->attempts, r->retry_after_ns,
				       &p->rand_state);
		if (!retry_allowed(&p->retry, b->attempts, b->first_try_ns,
				   now + delay)) {
			log_msg(LOG_WARN, "batch of %u spans dropped after %u attempts: %s",
				b->nr_spans, b->attempts, r->detail);
			give_up(p, b, DROP_RETRY_EXHAUSTED);
			break;
		}
		if (r->retry_after_ns >= 0)
			p->m->retry_after_honoured++;
		b->state = BATCH_BACKOFF;
		p->backoff++;
		loop_timer_init(&b->retry_timer, on_retry_timer, b);
		loop_timer_arm(p->loop, &b->retry_timer, now + delay);
		break;
	}
	sync_breaker_metrics(p);
	dispatch(p);
}

/* Start queued batches while the exporter has room and the breaker lets. */
static void dispatch(struct pipeline *p)
{
	while (p->head && p->exporting < p->exp.max_inflight) {
		uint64_t now = mono_ns(), retry_at;
		struct batch *b;
		bool probe;
		int err;

		if (!breaker_allow(&p->breaker, now, &probe, &retry_at)) {
			p->m->breaker_rejected++;
			/* Open: ask again after the cool-down. Half-open with
			 * the probe out: its outcome dispatches again.
			 */
			if (retry_at)
				loop_timer_arm(p->loop, &p->breaker_timer, retry_at);
			break;
		}
		b = dequeue(p);
		b->probe = probe;
		b->state = BATCH_EXPORTING;
		b->try_start_ns = now;
		if (!b->attempts)
			b->first_try_ns = now;
		else
			p->m->export_retries++;
		b->attempts++;
		p->m->export_attempts++;
		p->exporting++;
		err = p->exp.ops->export(&p->exp, b);
		if (err) {
			/* Not started: as a failed attempt, without the
			 * breaker (the backend was never asked).
			 */
			struct export_result r = { .outcome = EXPORT_RETRY,
						   .retry_after_ns = -1 };

			breaker_probe_abandoned(&p->breaker, probe);
			b->probe = false;
			p->exporting--;
			p->m->export_failures++;
			if (!retry_allowed(&p->retry, b->attempts, b->first_try_ns, now)) {
				give_up(p, b, DROP_RETRY_EXHAUSTED);
				continue;
			}
			(void)r;
			b->state = BATCH_BACKOFF;
			p->backoff++;
			loop_timer_init(&b->retry_timer, on_retry_timer, b);
			loop_timer_arm(p->loop, &b->retry_timer,
				       now + retry_delay_ns(&p->retry, b->attempts, -1,
							    &p->rand_state));
		}
	}
	sync_breaker_metrics(p);
}

int pipeline_init(struct pipeline *p, const struct config *cfg,
		  struct loop *l, struct metrics *m,
		  void (*batch_done)(void *ctx, struct batch *b), void *ctx)
{
	*p = (struct pipeline){
		.loop = l,
		.m = m,
		.retry = {
			.max_attempts = cfg->retry_max_attempts,
			.initial_ns = (uint64_t)cfg->retry_initial_ms * 1000000u,
			.max_backoff_ns = (uint64_t)cfg->retry_max_backoff_ms * 1000000u,
			.max_elapsed_ns = (uint64_t)cfg->retry_max_elapsed_ms * 1000000u,
		},
		.rand_state = mono_ns() ^ ((uint64_t)getpid() << 32),
		.verbose = cfg->verbose,
		.batch_done = batch_done,
		.ctx = ctx,
	};
	breaker_init(&p->breaker, cfg->breaker_failures,
		     (uint64_t)cfg->breaker_cooldown_ms * 1000000u);
	loop_timer_init(&p->breaker_timer, on_breaker_timer, p);
	return exporter_create(&p->exp, cfg, l, m, on_done, p);
}

void pipeline_submit(struct pipeline *p, struct batch *b)
{
	b->owner = p;
	b->attempts = 0;
	p->m->batches_inflight++;
	enqueue(p, b);
	dispatch(p);
}

bool pipeline_idle(const struct pipeline *p)
{
	return !p->head && !p->exporting && !p->backoff;
}

void pipeline_shutdown(struct pipeline *p)
{
	loop_timer_cancel(p->loop, &p->breaker_timer);
	if (!p->exp.ops)
		return;
	if (p->exp.ops->flush(&p->exp))
		log_msg(LOG_WARN, "%s exporter: flush failed", p->exp.ops->name);
	p->exp.ops->shutdown(&p->exp);
	p->exp.ops = NULL;
}
