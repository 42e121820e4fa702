/* SPDX-License-Identifier: MIT */
/*
 * The collector's messages: one line each on stderr, prefixed with the
 * program name; LOG_DEBUG lines only with --verbose.
 */
#ifndef COLLECTOR_LOG_H
#define COLLECTOR_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* COLLECTOR_LOG_H */
