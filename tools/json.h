/* SPDX-License-Identifier: MIT */
/*
 * ringmpsc(1): a JSON writer just big enough for the tool's output: one
 * document per call sequence, written to a FILE, with commas and nesting
 * kept here so the callers only name keys and values.
 */
#ifndef RINGMPSC_TOOLS_JSON_H
#define RINGMPSC_TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	8

struct json {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];	/* no member written yet at depth */
};

void json_init(struct json *j, FILE *out);
/* Containers: @key NULL inside an array or at the top. */
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *s);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_double(struct json *j, const char *key, double v);
/* Ends the document with a newline. */
void json_end(struct json *j);

/* @s as a JSON string body, for text output too: bytes that are not
 * UTF-8 and control characters as \u00XX.
 */
void json_write_string(FILE *out, const char *s);

#endif /* RINGMPSC_TOOLS_JSON_H */
