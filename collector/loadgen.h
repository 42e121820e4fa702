/* SPDX-License-Identifier: MIT */
/*
 * Built-in load producers (--local N): processes forked by the collector
 * that record spans into its local rings through <ringmpsc/span.h>, as an
 * application would. Each span is a function of (producer, sequence
 * number), written into its trace id, so that a receiver can recompute
 * every field it should have received (collector/tests/receiver checks
 * them field for field); the formula is in loadgen_span().
 */
#ifndef COLLECTOR_LOADGEN_H
#define COLLECTOR_LOADGEN_H

#include "invariants.h"
#include <ringmpsc/span.h>

/* Fill @s with span @seq of producer @producer. */
void loadgen_span(struct ringmpsc_span *s, const struct ringmpsc_span_writer *w,
		  uint32_t producer, uint64_t seq);
/*
 * Record @count spans (0: until killed) at @rate spans/s (0: as fast as
 * the ring takes them) through @p. A full ring is waited on, also while
 * no collector is attached (no span dropped). Returns an exit status.
 */
int loadgen_run(struct ringmpsc_producer *p, uint32_t producer,
		uint64_t count, double rate);

#endif /* COLLECTOR_LOADGEN_H */
