/* SPDX-License-Identifier: MIT */
/*
 * Run-time checks of the invariants named in spec.md, for debug builds and
 * tests. Include this before ringmpsc.h (or build with
 * "-include lib/invariants.h"): RINGMPSC_INV(cond, "INV-...") then reports
 * the id, the condition, file and line of a violation and aborts. NDEBUG
 * turns the checks off again; without this header they compile to nothing.
 */
#ifndef RINGMPSC_INVARIANTS_H
#define RINGMPSC_INVARIANTS_H

#ifdef RINGMPSC_H
#error "include lib/invariants.h before ringmpsc.h"
#endif

#ifndef NDEBUG
#include <stdio.h>
#include <stdlib.h>

static inline __attribute__((noreturn, cold)) void
ringmpsc__inv_failed(const char *id, const char *cond, const char *file,
		     int line)
{
	fprintf(stderr, "%s:%d: %s violated: %s\n", file, line, id, cond);
	abort();
}

#define RINGMPSC_INV(cond, id)						\
	(__builtin_expect(!!(cond), 1) ? (void)0 :			\
	 ringmpsc__inv_failed((id), #cond, __FILE__, __LINE__))
#else
#define RINGMPSC_INV(cond, id) ((void)0)
#endif

#endif /* RINGMPSC_INVARIANTS_H */
