/* SPDX-License-Identifier: MIT */
/*
 * Configuration: every setting has a long option and the same name as a
 * key of the configuration file ("key = value" lines, '#' comments);
 * options given on the command line override the file. The table in
 * config.c is the one list of settings: --help, the parser and the file
 * reader all walk it.
 */
#ifndef COLLECTOR_CONFIG_H
#define COLLECTOR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ratelimit.h"

#define CONFIG_MAX_HEADERS	8

struct config {
	/* source */
	const char *channel;
	const char *socket;		/* datagram intake instead of rings */
	uint32_t capacity;		/* slots per ring when creating */
	uint32_t max_producers;		/* rings when creating */
	uint32_t mode;			/* channel permissions when creating */
	bool unlink_at_exit;		/* unlink the channel once all is out */
	uint32_t local;			/* > 0: local rings and that many load
					 * producer processes (no module) */
	uint32_t local_spans;		/* spans per load producer, 0: no end */
	double local_rate;		/* spans/s per load producer, 0: flat out */
	/* batching */
	uint32_t batch_max_spans;
	uint32_t batch_max_bytes;
	uint32_t batch_max_delay_ms;
	uint32_t max_batches;		/* closed batches not yet done, + 1 open */
	/* exporter */
	const char *exporter;		/* otlp, file, stdout */
	const char *endpoint;
	const char *otlp_encoding;	/* json, protobuf (encoding.h) */
	const char *headers[CONFIG_MAX_HEADERS];
	uint32_t nr_headers;
	uint32_t timeout_ms;
	uint32_t max_requests;		/* OTLP requests in flight */
	const char *file;
	uint32_t file_max_bytes;
	uint32_t file_keep;
	bool file_fsync;
	/* resilience */
	uint32_t retry_max_attempts;
	uint32_t retry_initial_ms;
	uint32_t retry_max_backoff_ms;
	uint32_t retry_max_elapsed_ms;
	uint32_t breaker_failures;
	uint32_t breaker_cooldown_ms;
	double rate_limit;		/* spans/s, 0: none */
	double rate_burst;
	enum ratelimit_policy rate_policy;
	uint32_t shutdown_timeout_ms;
	/* observability */
	const char *metrics_file;
	uint32_t metrics_interval_ms;
	bool verbose;
};

void config_defaults(struct config *c);
/*
 * Parse @argv (and the file --config names, first). 0: run; 1: --help or
 * --version was printed, exit 0; -EINVAL: a message was printed, exit 2.
 */
int config_parse(struct config *c, int argc, char **argv);
/* Check settings against each other. -EINVAL with a message. */
int config_check(const struct config *c);
void config_usage(FILE *f, const char *prog);

#endif /* COLLECTOR_CONFIG_H */
