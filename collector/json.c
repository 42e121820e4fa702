// SPDX-License-Identifier: MIT
/*
 * The JSON writer: buffer growth, string escaping with UTF-8 validation,
 * numbers and hex ids (json.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void jbuf_free(struct jbuf *b)
{
	free(b->p);
	*b = (struct jbuf){ 0 };
}

void jbuf_reset(struct jbuf *b)
{
	b->len = 0;
	b->oom = false;
}

bool jbuf_reserve(struct jbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len >= more)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void jbuf_put(struct jbuf *b, const void *s, size_t n)
{
	if (!jbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void jbuf_puts(struct jbuf *b, const char *s)
{
	jbuf_put(b, s, strlen(s));
}

void jbuf_putc(struct jbuf *b, char c)
{
	if (jbuf_reserve(b, 1))
		b->p[b->len++] = c;
}

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;	/* continuation byte, C0/C1 overlong lead, > U+10FFFF */
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond Unicode. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void jbuf_str(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;

	/* Worst case: every byte becomes \u00XX or U+FFFD (3 bytes). */
	if (!jbuf_reserve(b, 6 * n + 2))
		return;
	b->p[b->len++] = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t len;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			b->p[b->len++] = (char)c;
			i++;
			continue;
		}
		if (c < 0x80) {
			b->p[b->len++] = '\\';
			switch (c) {
			case '"': b->p[b->len++] = '"'; break;
			case '\\': b->p[b->len++] = '\\'; break;
			case '\n': b->p[b->len++] = 'n'; break;
			case '\r': b->p[b->len++] = 'r'; break;
			case '\t': b->p[b->len++] = 't'; break;
			default:
				memcpy(b->p + b->len, "u00", 3);
				b->p[b->len + 3] = hex[c >> 4];
				b->p[b->len + 4] = hex[c & 15];
				b->len += 5;
			}
			i++;
			continue;
		}
		len = utf8_seq_len(u + i, n - i);
		if (len) {
			memcpy(b->p + b->len, u + i, len);
			b->len += len;
			i += len;
		} else {
			memcpy(b->p + b->len, "\xef\xbf\xbd", 3);	/* U+FFFD */
			b->len += 3;
			i++;
		}
	}
	b->p[b->len++] = '"';
}

/* Decimal digits, by hand: snprintf() was a fifth of the collector's
 * time (a few numbers in every span).
 */
void jbuf_u64(struct jbuf *b, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jbuf_put(b, tmp + n, sizeof(tmp) - n);
}

void jbuf_i64(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		jbuf_putc(b, '-');
		/* -INT64_MIN overflows; its magnitude as unsigned does not. */
		jbuf_u64(b, -(uint64_t)v);
		return;
	}
	jbuf_u64(b, (uint64_t)v);
}

void jbuf_double(struct jbuf *b, double v)
{
	char tmp[32];
	int n;

	if (isnan(v)) {
		jbuf_puts(b, "\"NaN\"");
		return;
	}
	if (isinf(v)) {
		jbuf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	/* 17 significant digits always read back as the same double. */
	n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	jbuf_put(b, tmp, (size_t)n);
}

void jbuf_hex(struct jbuf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (!jbuf_reserve(b, 2 * n + 2))
		return;
	b->p[b->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		b->p[b->len++] = hex[p[i] >> 4];
		b->p[b->len++] = hex[p[i] & 15];
	}
	b->p[b->len++] = '"';
}
