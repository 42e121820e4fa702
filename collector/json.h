/* SPDX-License-Identifier: MIT */
/*
 * A growing byte buffer and the JSON values the collector writes into it.
 * Strings come from untrusted producers: every byte is escaped as JSON
 * requires and invalid UTF-8 becomes U+FFFD, so whatever a record holds
 * the output is valid JSON (INV-COLL-02). Allocation failure is sticky
 * (jbuf.oom) and checked once by the caller.
 *
 * Two kinds of appends: jbuf_*() make room for what they write; jraw_*()
 * do not, for a writer that reserved room for a whole value at once
 * (jbuf_reserve() of a bound from the sizes below), which is how a span
 * is encoded: one check of room per span, not one per field.
 */
#ifndef COLLECTOR_JSON_H
#define COLLECTOR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jbuf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

/* Most bytes a JSON string of @n bytes becomes: every byte \u00XX,
 * and the quotes.
 */
#define JSON_STR_MAX(n)	(6 * (size_t)(n) + 2)
/* Most bytes of a number: an int64, a double ("%.17g", a sign). */
#define JSON_NUM_MAX	40

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
/* A double as JSON, text that reads back as the same double: the fixed
 * form with the fewest decimals when there is one of 16 digits at most,
 * else 17 significant digits; NaN and infinities as the
 * strings protobuf's JSON mapping uses ("NaN", "Infinity", "-Infinity").
 */
void jbuf_double(struct jbuf *b, double v);
/* Lowercase hex of @n bytes, in quotes (OTLP/JSON trace and span ids). */
void jbuf_hex(struct jbuf *b, const uint8_t *p, size_t n);

/* The same without making room: the caller reserved it. */
static inline void jraw_put(struct jbuf *b, const void *s, size_t n)
{
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void jraw_putc(struct jbuf *b, char c)
{
	b->p[b->len++] = c;
}

/* A string literal: its length is known when compiling (no strlen()). */
#define jraw_lit(b, lit)	jraw_put((b), "" lit, sizeof(lit) - 1)

void jraw_str(struct jbuf *b, const char *s, size_t n);	/* JSON_STR_MAX(n) */
void jraw_u64(struct jbuf *b, uint64_t v);		/* JSON_NUM_MAX */
void jraw_i64(struct jbuf *b, int64_t v);		/* JSON_NUM_MAX */
void jraw_double(struct jbuf *b, double v);		/* JSON_NUM_MAX */
void jraw_hex(struct jbuf *b, const uint8_t *p, size_t n);	/* 2n + 2 */

/* Bytes of a valid UTF-8 sequence at @s (at most @n bytes), 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif /* COLLECTOR_JSON_H */
