/* SPDX-License-Identifier: MIT */
/*
 * A token bucket on exported spans: tokens accrue at rate per second up
 * to burst; each span taken from a ring costs one. When the bucket is
 * empty the policy decides: HOLD leaves spans in their rings (producers
 * see the rings fill: back-pressure), DROP takes them and drops them,
 * counted. rate 0 disables the limit.
 */
#ifndef COLLECTOR_RATELIMIT_H
#define COLLECTOR_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

enum ratelimit_policy { RATELIMIT_HOLD, RATELIMIT_DROP };

struct ratelimit {
	double rate;			/* tokens per second; 0: unlimited */
	double burst;
	enum ratelimit_policy policy;
	double tokens;
	uint64_t last_ns;
};

void ratelimit_init(struct ratelimit *r, double rate, double burst,
		    enum ratelimit_policy policy, uint64_t now_ns);
/* Up to @want whole tokens, taken now. */
uint32_t ratelimit_take(struct ratelimit *r, uint64_t now_ns, uint32_t want);
/* When one whole token will be there (now if there is one). */
uint64_t ratelimit_next_ns(const struct ratelimit *r, uint64_t now_ns);

#endif /* COLLECTOR_RATELIMIT_H */
