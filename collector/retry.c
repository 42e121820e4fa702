// SPDX-License-Identifier: MIT
/* Exponential backoff with full jitter, and the retry budget (retry.h). */
#include "retry.h"

uint64_t retry_random(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint64_t retry_delay_ns(const struct retry_policy *p, uint32_t attempts,
			int64_t retry_after_ns, uint64_t *rand_state)
{
	uint64_t ceiling = p->initial_ns;

	if (retry_after_ns >= 0)
		return (uint64_t)retry_after_ns;
	/* initial * 2^(attempts - 1), without overflowing. */
	for (uint32_t i = 1; i < attempts && ceiling < p->max_backoff_ns; i++)
		ceiling *= 2;
	if (ceiling > p->max_backoff_ns)
		ceiling = p->max_backoff_ns;
	return ceiling ? retry_random(rand_state) % (ceiling + 1) : 0;
}

bool retry_allowed(const struct retry_policy *p, uint32_t attempts,
		   uint64_t first_ns, uint64_t at_ns)
{
	return attempts < p->max_attempts && at_ns - first_ns <= p->max_elapsed_ns;
}
