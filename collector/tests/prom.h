/* SPDX-License-Identifier: MIT */
/*
 * For the collector's C tests and benches: one value of the Prometheus
 * text file the collector writes (--metrics-file).
 */
#ifndef COLLECTOR_TESTS_PROM_H
#define COLLECTOR_TESTS_PROM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value of sample @name (with its labels) in @file, -1 if none. */
static inline double prom_value(const char *file, const char *name)
{
	char line[256];
	size_t len = strlen(name);
	double v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ')
			v = strtod(line + len + 1, NULL);
	fclose(f);
	return v;
}

#endif /* COLLECTOR_TESTS_PROM_H */
