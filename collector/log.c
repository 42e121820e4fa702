// SPDX-License-Identifier: MIT
/* Messages on stderr (log.h). */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

enum log_level log_threshold = LOG_INFO;

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[512];
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent processes do not mix. */
	fprintf(stderr, "ringmpsc-collector: %s: %s\n", names[level], line);
}
