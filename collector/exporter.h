/* SPDX-License-Identifier: MIT */
/*
 * The exporter interface: an operations table (export, flush, shutdown)
 * behind which the OTLP/HTTP, JSON-lines file and stdout exporters live.
 * export() starts sending a sealed batch's body and reports the outcome
 * through the exporter's done callback, before it returns (file, stdout)
 * or later from the event loop (OTLP). The caller (the pipeline) decides
 * what an outcome means: retries, the breaker, releasing the slots.
 */
#ifndef COLLECTOR_EXPORTER_H
#define COLLECTOR_EXPORTER_H

#include <stdint.h>

#include "batch.h"
#include "loop.h"
#include "metrics.h"

struct config;

enum export_outcome {
	EXPORT_OK,		/* acknowledged */
	EXPORT_RETRY,		/* failed; may succeed later */
	EXPORT_REJECTED,	/* refused for good; never retried */
};

struct export_result {
	enum export_outcome outcome;
	int64_t retry_after_ns;		/* the server's Retry-After, or -1 */
	int http_status;		/* 0: none (not HTTP, or no response) */
	char detail[128];		/* for the log */
};

struct exporter;
typedef void (*export_done_fn)(void *ctx, struct batch *b,
			       const struct export_result *r);

struct exporter_ops {
	const char *name;
	/* Start exporting b->body. 0: the outcome will be (or has been)
	 * reported; -errno: it was not started and will not be.
	 */
	int (*export)(struct exporter *e, struct batch *b);
	/* Push what is buffered to its destination. */
	int (*flush)(struct exporter *e);
	/* Abandon exports in flight (not reported: their slots stay in the
	 * rings) and free everything.
	 */
	void (*shutdown)(struct exporter *e);
};

struct exporter {
	const struct exporter_ops *ops;
	void *priv;
	uint32_t max_inflight;		/* exports it takes at once */
	struct loop *loop;
	struct metrics *metrics;
	export_done_fn done;
	void *done_ctx;
};

/* Set up the exporter cfg->exporter names. -errno, with a message logged. */
int exporter_create(struct exporter *e, const struct config *cfg,
		    struct loop *l, struct metrics *m, export_done_fn done,
		    void *done_ctx);

int otlp_exporter_init(struct exporter *e, const struct config *cfg);
int file_exporter_init(struct exporter *e, const struct config *cfg);
int stdout_exporter_init(struct exporter *e, const struct config *cfg);

/* For the line exporters: write @body and a newline to @fd, whole. */
int export_write_line(int fd, const struct jbuf *body);
/* Report @outcome for @b with a detail message. */
void export_report(struct exporter *e, struct batch *b,
		   enum export_outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* COLLECTOR_EXPORTER_H */
