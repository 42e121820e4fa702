// SPDX-License-Identifier: MIT
/*
 * Reading ahead of the release (<ringmpsc.h>, ringmpsc_take(3)): a
 * consumer that keeps what it read past the call, and releases it later,
 * oldest first. The ring's shared head stays at the oldest message kept;
 * the consumer's private count of messages read past it (taken) is what
 * the next take and the waits start from (INV-RING-12). Out of line: a
 * call per run of messages, not per message.
 */
#include "internal.h"

int ringmpsc_take(struct ringmpsc_consumer *c, uint32_t ring,
		  const void **slots, uint32_t max)
{
	int err, n;
	struct ringmpsc_cring *r = ringmpsc__read_ring(c, ring, max, &err);

	if (!r)
		return err;
	n = ringmpsc__unread_run(c, ring, slots, max);
	if (n <= 0)
		return n;
	/* Private: only this consumer reads or writes it. What it counts
	 * stays below the tail we loaded (C) and unreleased. INV-RING-12
	 */
	r->taken += (uint32_t)n;
	RINGMPSC_INV(r->cached_tail - r->head >= r->taken &&
		     r->taken <= c->capacity, "INV-RING-12");
	return n;
}

int ringmpsc_release_taken(struct ringmpsc_consumer *c, uint32_t ring,
			   uint32_t n)
{
	/* The oldest taken slots; read at their take. INV-RING-12 */
	return ringmpsc__release_read(c, ring, n, true);
}
