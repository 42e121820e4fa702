/* SPDX-License-Identifier: MIT */
/*
 * A growing byte buffer and the JSON values the collector writes into it.
 * Strings come from untrusted producers: every byte is escaped as JSON
 * requires and invalid UTF-8 becomes U+FFFD, so whatever a record holds
 * the output is valid JSON (INV-COLL-02). Allocation failure is sticky
 * (jbuf.oom) and checked once by the caller.
 */
#ifndef COLLECTOR_JSON_H
#define COLLECTOR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jbuf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

void jbuf_free(struct jbuf *b);
void jbuf_reset(struct jbuf *b);		/* empty, keeps the memory */
bool jbuf_reserve(struct jbuf *b, size_t more);
void jbuf_put(struct jbuf *b, const void *s, size_t n);
void jbuf_puts(struct jbuf *b, const char *s);
void jbuf_putc(struct jbuf *b, char c);
/* A JSON string: quotes, escapes, U+FFFD for invalid UTF-8. */
void jbuf_str(struct jbuf *b, const char *s, size_t n);
void jbuf_u64(struct jbuf *b, uint64_t v);
void jbuf_i64(struct jbuf *b, int64_t v);
/* A double as JSON: shortest round-trip text; NaN and infinities as the
 * strings protobuf's JSON mapping uses ("NaN", "Infinity", "-Infinity").
 */
void jbuf_double(struct jbuf *b, double v);
/* Lowercase hex of @n bytes, in quotes (OTLP/JSON trace and span ids). */
void jbuf_hex(struct jbuf *b, const uint8_t *p, size_t n);

/* Bytes of a valid UTF-8 sequence at @s (at most @n bytes), 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif /* COLLECTOR_JSON_H */
