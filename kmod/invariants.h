/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringmpsc: run-time checks of the invariants named in spec.md. Active in
 * debug builds (RINGMPSC_DEBUG); a violated invariant is a module bug, so
 * it warns once. Limits and bad user input never reach these.
 */
#ifndef RMPSC_INVARIANTS_H
#define RMPSC_INVARIANTS_H

#include <linux/bug.h>
#include <linux/build_bug.h>

#ifdef RINGMPSC_DEBUG
#define RMPSC_INV(cond, id) \
	WARN_ONCE(!(cond), "ringmpsc: %s violated: %s\n", id, #cond)
#else
#define RMPSC_INV(cond, id) BUILD_BUG_ON_INVALID(cond)
#endif

#endif /* RMPSC_INVARIANTS_H */
