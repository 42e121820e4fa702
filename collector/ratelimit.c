// SPDX-License-Identifier: MIT
/* The token bucket (ratelimit.h). */
#include "ratelimit.h"

void ratelimit_init(struct ratelimit *r, double rate, double burst,
		    enum ratelimit_policy policy, uint64_t now_ns)
{
	*r = (struct ratelimit){
		.rate = rate,
		.burst = burst >= 1 ? burst : 1,
		.policy = policy,
		.last_ns = now_ns,
	};
	r->tokens = r->burst;
}

static void refill(struct ratelimit *r, uint64_t now_ns)
{
	if (now_ns <= r->last_ns)
		return;
	r->tokens += (double)(now_ns - r->last_ns) * r->rate / 1e9;
	if (r->tokens > r->burst)
		r->tokens = r->burst;
	r->last_ns = now_ns;
}

uint32_t ratelimit_take(struct ratelimit *r, uint64_t now_ns, uint32_t want)
{
	uint32_t got;

	if (r->rate <= 0)
		return want;
	refill(r, now_ns);
	got = r->tokens >= want ? want : (uint32_t)r->tokens;
	r->tokens -= got;
	return got;
}

uint64_t ratelimit_next_ns(const struct ratelimit *r, uint64_t now_ns)
{
	double missing;

	if (r->rate <= 0 || r->tokens >= 1)
		return now_ns;
	missing = 1 - r->tokens;
	return r->last_ns + (uint64_t)(missing * 1e9 / r->rate) + 1;
}
