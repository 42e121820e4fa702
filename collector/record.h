/* SPDX-License-Identifier: MIT */
/*
 * The span record in a ring slot (<ringmpsc/span.h>) as the collector
 * takes it: copied out of shared memory first, then checked, so that a
 * producer rewriting its slot meanwhile cannot change what was checked
 * (INV-COLL-01).
 */
#ifndef COLLECTOR_RECORD_H
#define COLLECTOR_RECORD_H

#include "invariants.h"
#include <ringmpsc/span.h>

/* Why a record was rejected; each has its own counter. */
enum record_fault {
	RECORD_OK = 0,
	RECORD_BAD_VERSION,	/* version or size not ours */
	RECORD_BAD_LENGTH,	/* a length beyond its field */
	RECORD_BAD_VALUE,	/* kind, status, attribute type, reserved bytes */
	RECORD_BAD_ID,		/* all-zero trace or span id */
	RECORD_BAD_TIME,	/* end before start */
	RECORD_FAULTS
};

extern const char *const record_fault_names[RECORD_FAULTS];

/* Copy slot @slot into @out and check the copy. */
enum record_fault record_take(struct ringmpsc_span *out, const void *slot);
/* Check a record already in private memory. */
enum record_fault record_check(const struct ringmpsc_span *s);

#endif /* COLLECTOR_RECORD_H */
