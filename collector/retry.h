/* SPDX-License-Identifier: MIT */
/*
 * Retry policy: exponential backoff with full jitter (a delay drawn
 * uniformly from [0, min(max, initial * 2^attempt))), bounded by a number
 * of attempts and a total time since the first attempt. A server's
 * Retry-After (429, 503) replaces the drawn delay. Pure functions of
 * their arguments and a caller-owned random state, so tests can pin them.
 */
#ifndef COLLECTOR_RETRY_H
#define COLLECTOR_RETRY_H

#include <stdbool.h>
#include <stdint.h>

struct retry_policy {
	uint32_t max_attempts;		/* attempts in all, >= 1 */
	uint64_t initial_ns;		/* backoff ceiling before the 1st retry */
	uint64_t max_backoff_ns;	/* the ceiling stops growing here */
	uint64_t max_elapsed_ns;	/* from the first attempt */
};

/* xorshift64*: enough to spread retries, seeded per process. */
uint64_t retry_random(uint64_t *state);

/*
 * The delay before attempt @attempts + 1, after @attempts failed ones:
 * Retry-After when the server sent one (@retry_after_ns >= 0), else full
 * jitter.
 */
uint64_t retry_delay_ns(const struct retry_policy *p, uint32_t attempts,
			int64_t retry_after_ns, uint64_t *rand_state);

/* May another attempt start at @at_ns, after @attempts, the first of
 * which began at @first_ns?
 */
bool retry_allowed(const struct retry_policy *p, uint32_t attempts,
		   uint64_t first_ns, uint64_t at_ns);

#endif /* COLLECTOR_RETRY_H */
