/* SPDX-License-Identifier: MIT */
/*
 * ringmpsc(1): how list and stat are shown, as text for a terminal or as
 * JSON (the keys are ringmpsc(1)'s, stable); rates between two samples.
 */
#ifndef RINGMPSC_TOOLS_VIEW_H
#define RINGMPSC_TOOLS_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include <ringmpsc_query.h>

/* One STAT of a channel and when it was taken. */
struct sample {
	struct ringmpsc_stat st;
	struct ringmpsc_stat_ring rings[RINGMPSC_PRODUCERS_MAX];
	uint32_t nr;
	double t;			/* CLOCK_MONOTONIC, seconds */
};

/* @n channels of LIST. */
void view_list(const struct ringmpsc_list_entry *v, int n, bool json);
/* Sample @b of channel @name, with rates since @a (NULL: none). */
void view_stat(const char *name, const struct sample *a,
	       const struct sample *b, bool json);

#endif /* RINGMPSC_TOOLS_VIEW_H */
