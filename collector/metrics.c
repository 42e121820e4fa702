// SPDX-License-Identifier: MIT
/* Self-metrics in the Prometheus text format (metrics.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "breaker.h"
#include "metrics.h"

#define PFX "ringmpsc_collector_"

static const char *const drop_cause_names[DROP_CAUSES] = {
	[DROP_REJECTED] = "rejected",
	[DROP_RETRY_EXHAUSTED] = "retry_exhausted",
	[DROP_RATE_LIMIT] = "rate_limit",
	[DROP_ENCODE] = "encode",
};

static void hist_init(struct histogram *h, double first, double factor)
{
	double b = first;

	memset(h, 0, sizeof(*h));
	for (int i = 0; i < HIST_BUCKETS; i++, b *= factor)
		h->bounds[i] = b;
}

void metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
	hist_init(&m->batch_spans, 1, 2);		/* 1 .. 2048 spans */
	hist_init(&m->batch_bytes, 1024, 2);		/* 1 KiB .. 2 MiB */
	hist_init(&m->export_seconds, 0.0005, 2.5);	/* 0.5 ms .. 12 s */
}

void hist_observe(struct histogram *h, double v)
{
	for (int i = 0; i < HIST_BUCKETS; i++) {
		if (v <= h->bounds[i]) {
			h->counts[i]++;
			break;
		}
	}
	h->count++;
	h->sum += v;
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP " PFX "%s %s\n# TYPE " PFX "%s %s\n", name, help,
		name, type);
}

static void scalar(FILE *f, const char *name, const char *type,
		   const char *help, uint64_t v)
{
	head(f, name, type, help);
	fprintf(f, PFX "%s %" PRIu64 "\n", name, v);
}

static void hist_print(FILE *f, const char *name, const char *help,
		       const struct histogram *h)
{
	uint64_t cum = 0;

	head(f, name, "histogram", help);
	for (int i = 0; i < HIST_BUCKETS; i++) {
		cum += h->counts[i];
		fprintf(f, PFX "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
			h->bounds[i], cum);
	}
	fprintf(f, PFX "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	fprintf(f, PFX "%s_sum %.9g\n" PFX "%s_count %" PRIu64 "\n", name,
		h->sum, name, h->count);
}

void metrics_print(const struct metrics *m, FILE *f)
{
	scalar(f, "spans_received_total", "counter",
	       "Valid span records taken from the rings.", m->spans_received);
	head(f, "spans_corrupt_total", "counter",
	     "Span records rejected by the record check, by fault; skipped.");
	for (int i = 1; i < RECORD_FAULTS; i++)
		fprintf(f, PFX "spans_corrupt_total{fault=\"%s\"} %" PRIu64 "\n",
			record_fault_names[i], m->spans_corrupt[i]);
	scalar(f, "spans_exported_total", "counter",
	       "Spans in requests the exporter acknowledged.", m->spans_exported);
	head(f, "spans_dropped_total", "counter",
	     "Spans given up on, by cause; their slots are released.");
	for (int i = 0; i < DROP_CAUSES; i++)
		fprintf(f, PFX "spans_dropped_total{cause=\"%s\"} %" PRIu64 "\n",
			drop_cause_names[i], m->spans_dropped[i]);
	scalar(f, "spans_inherited_total", "counter",
	       "Spans left unreleased by a previous collector, read again (each may be a duplicate).",
	       m->spans_inherited);
	scalar(f, "spans_held", "gauge",
	       "Spans read from the rings and not yet released.", m->spans_held);
	scalar(f, "batches_exported_total", "counter",
	       "Requests acknowledged.", m->batches_exported);
	scalar(f, "batches_dropped_total", "counter",
	       "Requests given up on (rejected or out of retries).",
	       m->batches_dropped);
	scalar(f, "batches_inflight", "gauge",
	       "Closed batches not yet done (queued, exporting, backing off).",
	       m->batches_inflight);
	scalar(f, "export_attempts_total", "counter", "Export attempts started.",
	       m->export_attempts);
	scalar(f, "export_retries_total", "counter",
	       "Export attempts that were retries.", m->export_retries);
	scalar(f, "export_failures_total", "counter",
	       "Export attempts that failed and may be retried.",
	       m->export_failures);
	head(f, "http_responses_total", "counter",
	     "HTTP responses of the OTLP exporter, by status class.");
	for (int i = 1; i < 6; i++)
		fprintf(f, PFX "http_responses_total{class=\"%dxx\"} %" PRIu64 "\n",
			i, m->http_responses[i]);
	scalar(f, "transport_errors_total", "counter",
	       "Attempts that got no HTTP status (refused, reset, timed out).",
	       m->transport_errors);
	scalar(f, "retry_after_honoured_total", "counter",
	       "Retries scheduled by the server's Retry-After.",
	       m->retry_after_honoured);
	head(f, "breaker_state", "gauge",
	     "Circuit breaker state: 0 closed, 1 open, 2 half-open.");
	fprintf(f, PFX "breaker_state{state=\"%s\"} %" PRIu64 "\n",
		breaker_state_names[m->breaker_state < 3 ? m->breaker_state : 0],
		m->breaker_state);
	scalar(f, "breaker_opened_total", "counter", "Times the breaker opened.",
	       m->breaker_opened);
	scalar(f, "breaker_rejected_total", "counter",
	       "Export starts the breaker held back.", m->breaker_rejected);
	scalar(f, "ratelimit_holds_total", "counter",
	       "Times intake stopped at the rate limit (policy hold).",
	       m->ratelimit_holds);
	scalar(f, "rings_broken_total", "counter",
	       "Rings found with corrupt indices; no longer read.",
	       m->rings_broken);
	scalar(f, "file_rotations_total", "counter",
	       "Rotations of the file exporter's output.", m->file_rotations);
	hist_print(f, "batch_spans", "Spans per exported request.",
		   &m->batch_spans);
	hist_print(f, "batch_bytes", "Bytes per exported request body.",
		   &m->batch_bytes);
	hist_print(f, "export_seconds",
		   "Time from the start of an export attempt to its outcome.",
		   &m->export_seconds);
}

int metrics_write_file(const struct metrics *m, const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	metrics_print(m, f);
	if (fflush(f) || ferror(f))
		err = errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
