/* SPDX-License-Identifier: MIT */
/*
 * Run-time checks of the collector's invariants (spec.md, section
 * "Collector", INV-COLL-*) in debug builds: built with COLLECTOR_DEBUG
 * (make COLLECTOR_DEBUG=1, and every collector test build), RINGMPSC_INV
 * reports the id, the condition, file and line of a violation and aborts;
 * otherwise it compiles to nothing. The same macro checks the library's
 * own invariants in the inline fast paths of <ringmpsc.h>, which is why
 * every collector file includes this header first.
 */
#ifndef COLLECTOR_INVARIANTS_H
#define COLLECTOR_INVARIANTS_H

#ifdef RINGMPSC_H
#error "include collector/invariants.h before ringmpsc.h"
#endif

#ifdef COLLECTOR_DEBUG
#include <stdio.h>
#include <stdlib.h>

static inline __attribute__((noreturn, cold)) void
collector__inv_failed(const char *id, const char *cond, const char *file,
		      int line)
{
	fprintf(stderr, "%s:%d: %s violated: %s\n", file, line, id, cond);
	abort();
}

#define RINGMPSC_INV(cond, id)						\
	(__builtin_expect(!!(cond), 1) ? (void)0 :			\
	 collector__inv_failed((id), #cond, __FILE__, __LINE__))
#else
#define RINGMPSC_INV(cond, id) ((void)0)
#endif

#endif /* COLLECTOR_INVARIANTS_H */
