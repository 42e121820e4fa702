// SPDX-License-Identifier: MIT
/* The circuit breaker's state machine (breaker.h). */
#include "breaker.h"

const char *const breaker_state_names[3] = {
	[BREAKER_CLOSED] = "closed",
	[BREAKER_OPEN] = "open",
	[BREAKER_HALF_OPEN] = "half_open",
};

void breaker_init(struct breaker *b, uint32_t failure_threshold,
		  uint64_t cooldown_ns)
{
	*b = (struct breaker){
		.failure_threshold = failure_threshold ? failure_threshold : 1,
		.cooldown_ns = cooldown_ns,
	};
}

bool breaker_allow(struct breaker *b, uint64_t now_ns, bool *probe,
		   uint64_t *retry_at_ns)
{
	*probe = false;
	*retry_at_ns = 0;
	if (b->state == BREAKER_OPEN) {
		if (now_ns < b->open_until_ns) {
			*retry_at_ns = b->open_until_ns;
			return false;
		}
		b->state = BREAKER_HALF_OPEN;
		b->probing = false;
	}
	if (b->state == BREAKER_HALF_OPEN) {
		if (b->probing)
			return false;
		b->probing = true;
		*probe = true;
	}
	return true;
}

static void trip(struct breaker *b, uint64_t now_ns)
{
	b->state = BREAKER_OPEN;
	b->open_until_ns = now_ns + b->cooldown_ns;
	b->probing = false;
	b->failures = 0;
	b->opened++;
}

void breaker_success(struct breaker *b, bool probe)
{
	if (b->state == BREAKER_HALF_OPEN && probe) {
		b->state = BREAKER_CLOSED;
		b->probing = false;
	}
	if (b->state == BREAKER_CLOSED)
		b->failures = 0;
}

void breaker_failure(struct breaker *b, bool probe, uint64_t now_ns)
{
	switch (b->state) {
	case BREAKER_CLOSED:
		if (++b->failures >= b->failure_threshold)
			trip(b, now_ns);
		break;
	case BREAKER_HALF_OPEN:
		if (probe)
			trip(b, now_ns);
		break;
	case BREAKER_OPEN:
		break;		/* an export that started before it opened */
	}
}

void breaker_probe_abandoned(struct breaker *b, bool probe)
{
	if (probe && b->state == BREAKER_HALF_OPEN)
		b->probing = false;
}
