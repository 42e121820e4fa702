// SPDX-License-Identifier: MIT
/* Self-metrics in the Prometheus text format (metrics.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
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

/* The metrics that are one number, in the order they are written. */
static const struct scalar {
	const char *name;
	const char *type;
	const char *help;
	size_t off;		/* of the uint64_t in struct metrics */
} scalars[] = {
#define S(name, type, field, help) { name, type, help, offsetof(struct metrics, field) }
	S("spans_received_total", "counter", spans_received,
	  "Span records taken from the rings, checked or not."),
	S("spans_exported_total", "counter", spans_exported,
	  "Spans in requests the exporter acknowledged."),
	S("spans_inherited_total", "counter", spans_inherited,
	  "Spans left unreleased by a previous collector, read again (each may be a duplicate)."),
	S("spans_held", "gauge", spans_held,
	  "Spans read from the rings and not yet released."),
	S("batches_exported_total", "counter", batches_exported,
	  "Requests acknowledged."),
	S("batches_dropped_total", "counter", batches_dropped,
	  "Requests given up on (rejected or out of retries)."),
	S("batches_inflight", "gauge", batches_inflight,
	  "Closed batches not yet done (queued, exporting, backing off)."),
	S("export_attempts_total", "counter", export_attempts,
	  "Export attempts started."),
	S("export_retries_total", "counter", export_retries,
	  "Export attempts that were retries."),
	S("export_failures_total", "counter", export_failures,
	  "Export attempts that failed and may be retried."),
	S("transport_errors_total", "counter", transport_errors,
	  "Attempts that got no HTTP status (refused, reset, timed out)."),
	S("retry_after_honoured_total", "counter", retry_after_honoured,
	  "Retries scheduled by the server's Retry-After."),
	S("breaker_opened_total", "counter", breaker_opened,
	  "Times the breaker opened."),
	S("breaker_rejected_total", "counter", breaker_rejected,
	  "Export starts the breaker held back."),
	S("ratelimit_holds_total", "counter", ratelimit_holds,
	  "Times intake stopped at the rate limit (policy hold)."),
	S("rings_broken_total", "counter", rings_broken,
	  "Rings found with corrupt indices; no longer read."),
	S("file_rotations_total", "counter", file_rotations,
	  "Rotations of the file exporter's output."),
#undef S
};

/* One labelled sample of family @name. */
static void labelled(FILE *f, const char *name, const char *label,
		     const char *value, uint64_t v)
{
	fprintf(f, PFX "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, value, v);
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
	char class[4];

	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		const struct scalar *c = &scalars[i];

		head(f, c->name, c->type, c->help);
		fprintf(f, PFX "%s %" PRIu64 "\n", c->name,
			*(const uint64_t *)((const char *)m + c->off));
	}
	head(f, "spans_corrupt_total", "counter",
	     "Span records rejected by the record check, by fault; skipped.");
	for (int i = 1; i < RECORD_FAULTS; i++)
		labelled(f, "spans_corrupt_total", "fault", record_fault_names[i],
			 m->spans_corrupt[i]);
	head(f, "spans_dropped_total", "counter",
	     "Spans given up on, by cause; their slots are released.");
	for (int i = 0; i < DROP_CAUSES; i++)
		labelled(f, "spans_dropped_total", "cause", drop_cause_names[i],
			 m->spans_dropped[i]);
	head(f, "http_responses_total", "counter",
	     "HTTP responses of the OTLP exporter, by status class.");
	for (int i = 1; i < 6; i++) {
		snprintf(class, sizeof(class), "%dxx", i);
		labelled(f, "http_responses_total", "class", class,
			 m->http_responses[i]);
	}
	head(f, "breaker_state", "gauge",
	     "Circuit breaker state: 1 for the state it is in.");
	for (uint64_t i = 0; i < 3; i++)
		labelled(f, "breaker_state", "state", breaker_state_names[i],
			 m->breaker_state == i);
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
