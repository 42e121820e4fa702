// SPDX-License-Identifier: MIT
/*
 * The settings table, and reading it from the command line and from the
 * configuration file (config.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "encoding.h"
#include "invariants.h"
#include <ringmpsc.h>

enum opt_type { T_STR, T_U32, T_MODE, T_DOUBLE, T_BOOL, T_POLICY, T_HEADER,
		T_CONFIG, T_HELP, T_VERSION };

struct opt {
	const char *name;
	enum opt_type type;
	size_t off;
	const char *arg;
	const char *help;
};

#define F(field) offsetof(struct config, field)

static const struct opt opts[] = {
	{ "config", T_CONFIG, 0, "FILE", "read settings from FILE first (key = value lines)" },
	{ "channel", T_STR, F(channel), "NAME", "channel to consume; created if missing (default spans)" },
	{ "capacity", T_U32, F(capacity), "N", "slots per ring when creating the channel (default 1024: 512 KiB a ring)" },
	{ "max-producers", T_U32, F(max_producers), "N", "rings when creating the channel (default 64)" },
	{ "mode", T_MODE, F(mode), "OCTAL", "permissions when creating the channel (default 0622: anyone may record, only the owner collects)" },
	{ "unlink-at-exit", T_BOOL, F(unlink_at_exit), NULL, "at exit, unlink the channel if the collector leaves nothing unexported in it (a throw-away channel)" },
	{ "socket", T_STR, F(socket), "PATH", "no rings: take span records as datagrams on the AF_UNIX socket PATH (no at-least-once; to compare, or for producers that cannot map a ring)" },
	{ "local", T_U32, F(local), "N", "no module: local rings and N built-in load producers (to try the exporters)" },
	{ "local-spans", T_U32, F(local_spans), "N", "spans each load producer records, then exits; 0 = until stopped (default 0); the collector exits once they are all exported" },
	{ "local-rate", T_DOUBLE, F(local_rate), "R", "spans/s of each load producer, 0 = flat out (default 1000)" },
	{ "batch-max-spans", T_U32, F(batch_max_spans), "N", "close a batch at N spans (default 512)" },
	{ "batch-max-bytes", T_U32, F(batch_max_bytes), "N", "close a batch before its request exceeds N bytes (default 1048576)" },
	{ "batch-max-delay-ms", T_U32, F(batch_max_delay_ms), "MS", "close a batch MS after its first span (default 200)" },
	{ "max-batches", T_U32, F(max_batches), "N", "batches held at once, the open one included (default 8)" },
	{ "exporter", T_STR, F(exporter), "KIND", "otlp, file or stdout (default otlp)" },
	{ "endpoint", T_STR, F(endpoint), "URL", "OTLP/HTTP traces URL (default http://127.0.0.1:4318/v1/traces)" },
	{ "otlp-encoding", T_STR, F(otlp_encoding), "KIND", "json or protobuf: the body of OTLP/HTTP requests (default json)" },
	{ "header", T_HEADER, 0, "'K: V'", "extra HTTP header, repeatable (up to 8)" },
	{ "timeout-ms", T_U32, F(timeout_ms), "MS", "OTLP request timeout (default 10000)" },
	{ "max-requests", T_U32, F(max_requests), "N", "OTLP requests in flight (default 2)" },
	{ "file", T_STR, F(file), "PATH", "file exporter output, JSON lines (default spans.jsonl)" },
	{ "file-max-bytes", T_U32, F(file_max_bytes), "N", "rotate the file beyond N bytes (default 67108864)" },
	{ "file-keep", T_U32, F(file_keep), "N", "rotated files kept, PATH.1 .. PATH.N (default 3)" },
	{ "file-fsync", T_BOOL, F(file_fsync), "BOOL", "fdatasync each batch before it counts as exported (default false)" },
	{ "retry-max-attempts", T_U32, F(retry_max_attempts), "N", "attempts per batch, the first included (default 8)" },
	{ "retry-initial-ms", T_U32, F(retry_initial_ms), "MS", "backoff ceiling before the first retry (default 100)" },
	{ "retry-max-backoff-ms", T_U32, F(retry_max_backoff_ms), "MS", "largest backoff ceiling (default 5000)" },
	{ "retry-max-elapsed-ms", T_U32, F(retry_max_elapsed_ms), "MS", "give a batch up MS after its first attempt (default 60000)" },
	{ "breaker-failures", T_U32, F(breaker_failures), "N", "consecutive failures that open the breaker (default 5)" },
	{ "breaker-cooldown-ms", T_U32, F(breaker_cooldown_ms), "MS", "open time before the half-open probe (default 5000)" },
	{ "rate-limit", T_DOUBLE, F(rate_limit), "R", "export at most R spans/s, 0 = no limit (default 0)" },
	{ "rate-burst", T_DOUBLE, F(rate_burst), "N", "token bucket size (default: R/10, at least 1)" },
	{ "rate-policy", T_POLICY, F(rate_policy), "hold|drop", "over the rate: leave spans in the rings, or drop them (default hold)" },
	{ "shutdown-timeout-ms", T_U32, F(shutdown_timeout_ms), "MS", "on SIGTERM, flush for at most MS (default 5000)" },
	{ "metrics-file", T_STR, F(metrics_file), "PATH", "write Prometheus text metrics to PATH (atomically)" },
	{ "metrics-interval-ms", T_U32, F(metrics_interval_ms), "MS", "rewrite the metrics file every MS (default 1000)" },
	{ "verbose", T_BOOL, F(verbose), NULL, "log each export outcome" },
	{ "help", T_HELP, 0, NULL, "this text" },
	{ "version", T_VERSION, 0, NULL, "print the version" },
};

#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

void config_defaults(struct config *c)
{
	*c = (struct config){
		.channel = "spans",
		.capacity = 1024,
		.max_producers = 64,
		.mode = 0622,
		.local_rate = 1000,
		.batch_max_spans = 512,
		.batch_max_bytes = 1u << 20,
		.batch_max_delay_ms = 200,
		.max_batches = 8,
		.exporter = "otlp",
		.endpoint = "http://127.0.0.1:4318/v1/traces",
		.otlp_encoding = "json",
		.timeout_ms = 10000,
		.max_requests = 2,
		.file = "spans.jsonl",
		.file_max_bytes = 64u << 20,
		.file_keep = 3,
		.retry_max_attempts = 8,
		.retry_initial_ms = 100,
		.retry_max_backoff_ms = 5000,
		.retry_max_elapsed_ms = 60000,
		.breaker_failures = 5,
		.breaker_cooldown_ms = 5000,
		.rate_policy = RATELIMIT_HOLD,
		.shutdown_timeout_ms = 5000,
		.metrics_interval_ms = 1000,
	};
}

void config_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [OPTION...]\n"
		"Consume spans from a ringmpsc channel and export them: OTLP/HTTP\n"
		"(JSON or protobuf), a JSON-lines file, or stdout. Ring slots are released only\n"
		"once the spans in them are exported (or given up), so a crash of\n"
		"the collector loses nothing: the next one exports them again.\n"
		"SIGTERM/SIGINT: stop taking spans, flush, exit 0. Every option is\n"
		"also a key of the --config file. See ringmpsc-collector(8).\n\n",
		prog);
	for (size_t i = 0; i < NR_OPTS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name,
			 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, opts[i].help);
	}
}

static int parse_u32(const char *s, int base, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!s || !strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* Apply @value (NULL for a flag given without one) to setting @o. */
static int apply(struct config *c, const struct opt *o, const char *value)
{
	void *field = (char *)c + o->off;
	char *end;

	switch (o->type) {
	case T_STR:
		*(const char **)field = value;
		return value && *value ? 0 : -EINVAL;
	case T_U32:
		return parse_u32(value, 10, field);
	case T_MODE:
		return parse_u32(value, 8, field);
	case T_DOUBLE:
		errno = 0;
		*(double *)field = strtod(value, &end);
		return errno || end == value || *end || *(double *)field < 0 ?
		       -EINVAL : 0;
	case T_BOOL:
		return parse_bool(value, field);
	case T_POLICY:
		if (!strcmp(value, "hold"))
			c->rate_policy = RATELIMIT_HOLD;
		else if (!strcmp(value, "drop"))
			c->rate_policy = RATELIMIT_DROP;
		else
			return -EINVAL;
		return 0;
	case T_HEADER:
		if (c->nr_headers == CONFIG_MAX_HEADERS || !strchr(value, ':'))
			return -EINVAL;
		c->headers[c->nr_headers++] = value;
		return 0;
	default:
		return 0;
	}
}

static const struct opt *find_opt(const char *name)
{
	for (size_t i = 0; i < NR_OPTS; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int read_file(struct config *c, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int lineno = 0, err = 0;

	if (!f) {
		fprintf(stderr, "ringmpsc-collector: %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq, *key, *value;
		const struct opt *o;

		lineno++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq)
			*eq = '\0';
		key = trim(s);
		value = eq ? trim(eq + 1) : NULL;
		o = find_opt(key);
		if (!o || o->type >= T_CONFIG) {
			fprintf(stderr, "ringmpsc-collector: %s:%d: unknown key '%s'\n",
				path, lineno, key);
			err = -EINVAL;
		} else if ((!value && o->type != T_BOOL) ||
			   apply(c, o, value ? strdup(value) : NULL)) {
			fprintf(stderr, "ringmpsc-collector: %s:%d: bad value for %s (want %s)\n",
				path, lineno, key, o->arg ? o->arg : "true or false");
			err = -EINVAL;
		}
	}
	fclose(f);
	return err;
}

int config_parse(struct config *c, int argc, char **argv)
{
	struct option longopts[NR_OPTS + 1];
	int opt, err;

	for (size_t i = 0; i < NR_OPTS; i++) {
		longopts[i] = (struct option){
			.name = opts[i].name,
			.has_arg = opts[i].arg ? required_argument :
				   opts[i].type == T_BOOL ? optional_argument :
				   no_argument,
			.val = 256 + (int)i,
		};
	}
	memset(&longopts[NR_OPTS], 0, sizeof(longopts[0]));
	/* The file first, so that the command line wins. */
	for (int i = 1; i < argc; i++) {
		const char *file = NULL;

		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			file = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			file = argv[i] + 9;
		if (file && read_file(c, file))
			return -EINVAL;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		const struct opt *o;

		if (opt == 'h')
			opt = 256 + (int)(find_opt("help") - opts);
		if (opt == 'v')
			opt = 256 + (int)(find_opt("verbose") - opts);
		if (opt < 256) {
			fprintf(stderr, "Try '%s --help'.\n", argv[0]);
			return -EINVAL;
		}
		o = &opts[opt - 256];
		if (o->type == T_HELP) {
			config_usage(stdout, argv[0]);
			return 1;
		}
		if (o->type == T_VERSION) {
			printf("ringmpsc-collector %s\n", RINGMPSC_VERSION_STRING);
			return 1;
		}
		err = o->type == T_CONFIG ? 0 : apply(c, o, optarg);
		if (err) {
			fprintf(stderr, "ringmpsc-collector: bad value '%s' for --%s (want %s)\n",
				optarg ? optarg : "", o->name, o->arg ? o->arg : "true or false");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ringmpsc-collector: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (c->rate_burst <= 0)
		c->rate_burst = c->rate_limit / 10 >= 1 ? c->rate_limit / 10 : 1;
	return config_check(c);
}

static int bad(const char *what)
{
	fprintf(stderr, "ringmpsc-collector: %s\n", what);
	return -EINVAL;
}

int config_check(const struct config *c)
{
	if (c->capacity < 8 || (c->capacity & (c->capacity - 1)) ||
	    c->capacity > RINGMPSC_CAPACITY_MAX)
		return bad("--capacity must be a power of two from 8 (so that a ring's data is whole pages and can be mirrored)");
	if (c->max_producers == 0 || c->max_producers > RINGMPSC_PRODUCERS_MAX)
		return bad("--max-producers must be 1..1024");
	if (c->socket && c->local)
		return bad("--socket and --local are two intakes: choose one");
	if (c->local > RINGMPSC_PRODUCERS_MAX)
		return bad("--local must be 0..1024");
	if (c->batch_max_spans == 0)
		return bad("--batch-max-spans must be at least 1");
	if (c->batch_max_bytes < 16384)
		return bad("--batch-max-bytes must be at least 16384 (the largest span encodes to about 4 KiB)");
	if (c->max_batches < 2)
		return bad("--max-batches must be at least 2 (one filling, one exporting)");
	if (c->retry_max_attempts == 0)
		return bad("--retry-max-attempts must be at least 1");
	if (c->max_requests == 0)
		return bad("--max-requests must be at least 1");
	if (c->mode & ~0777u)
		return bad("--mode takes permission bits only (e.g. 0622)");
	if (!strcmp(c->exporter, "otlp") && strncmp(c->endpoint, "http://", 7) &&
	    strncmp(c->endpoint, "https://", 8))
		return bad("--endpoint must be an http:// or https:// URL");
	if (!otlp_encoding_find(c->otlp_encoding))
		return bad("--otlp-encoding must be json or protobuf");
	if (strcmp(c->otlp_encoding, "json") && strcmp(c->exporter, "otlp"))
		return bad("--otlp-encoding protobuf needs --exporter otlp (files and stdout take JSON lines)");
	return 0;
}
