/* SPDX-License-Identifier: MIT */
/*
 * Run-time checks of the collector's invariants (spec.md, section 9,
 * INV-COLL-*) and of the library's in the inline fast paths it uses:
 * with COLLECTOR_DEBUG (the default build, and every collector test),
 * lib/invariants.h turns RINGMPSC_INV into an assertion that names the
 * id; otherwise it compiles to nothing. Every collector file includes
 * this header first, before <ringmpsc.h>.
 */
#ifndef COLLECTOR_INVARIANTS_H
#define COLLECTOR_INVARIANTS_H

#ifdef COLLECTOR_DEBUG
#include "../lib/invariants.h"
#endif

#endif /* COLLECTOR_INVARIANTS_H */
