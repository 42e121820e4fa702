/* SPDX-License-Identifier: MIT */
/*
 * A circuit breaker per exporter. CLOSED: exports go through; after
 * failure_threshold consecutive failures it OPENs: nothing is sent for
 * cooldown; then HALF_OPEN: one probe export goes through; its success
 * closes the breaker, its failure opens it again for another cool-down.
 * Permanent rejections (the request was bad, not the backend) count as
 * neither.
 */
#ifndef COLLECTOR_BREAKER_H
#define COLLECTOR_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct breaker {
	uint32_t failure_threshold;
	uint64_t cooldown_ns;
	enum breaker_state state;
	uint32_t failures;		/* consecutive, while closed */
	uint64_t open_until_ns;
	bool probing;			/* the half-open probe is out */
	uint64_t opened;		/* times it opened */
};

extern const char *const breaker_state_names[3];

void breaker_init(struct breaker *b, uint32_t failure_threshold,
		  uint64_t cooldown_ns);
/*
 * May an export start now? In HALF_OPEN the first caller gets the probe
 * (*@probe = true) and the rest wait. When the answer is no,
 * *@retry_at_ns says when to ask again (0: when the probe ends).
 */
bool breaker_allow(struct breaker *b, uint64_t now_ns, bool *probe,
		   uint64_t *retry_at_ns);
void breaker_success(struct breaker *b, bool probe);
void breaker_failure(struct breaker *b, bool probe, uint64_t now_ns);
/* A probe that neither succeeded nor failed (dropped, shut down). */
void breaker_probe_abandoned(struct breaker *b, bool probe);

#endif /* COLLECTOR_BREAKER_H */
