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

void jraw_str(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	/* A local cursor: stores through b->p (a char *) would otherwise
	 * make the compiler reload b->len for every byte.
	 */
	char *o = b->p + b->len;

	*o++ = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t len;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c < 0x80) {
			*o++ = '\\';
			switch (c) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			default:
				memcpy(o, "u00", 3);
				o[3] = hex[c >> 4];
				o[4] = hex[c & 15];
				o += 5;
			}
			i++;
			continue;
		}
		len = utf8_seq_len(u + i, n - i);
		if (len) {
			memcpy(o, u + i, len);
			o += len;
			i += len;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

void jbuf_str(struct jbuf *b, const char *s, size_t n)
{
	if (jbuf_reserve(b, JSON_STR_MAX(n)))
		jraw_str(b, s, n);
}

/* "00" to "99": two digits a step, half the divisions of one a step. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Decimal digits, by hand: snprintf() was a fifth of the collector's
 * time (a few numbers in every span).
 */
void jraw_u64(struct jbuf *b, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	while (v >= 100) {
		n -= 2;
		memcpy(tmp + n, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		n -= 2;
		memcpy(tmp + n, digit_pairs + 2 * v, 2);
	} else {
		tmp[--n] = (char)('0' + v);
	}
	jraw_put(b, tmp + n, sizeof(tmp) - n);
}

void jraw_i64(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		jraw_putc(b, '-');
		/* -INT64_MIN overflows; its magnitude as unsigned does not. */
		jraw_u64(b, -(uint64_t)v);
		return;
	}
	jraw_u64(b, (uint64_t)v);
}

void jbuf_u64(struct jbuf *b, uint64_t v)
{
	if (jbuf_reserve(b, JSON_NUM_MAX))
		jraw_u64(b, v);
}

void jbuf_i64(struct jbuf *b, int64_t v)
{
	if (jbuf_reserve(b, JSON_NUM_MAX))
		jraw_i64(b, v);
}

/* Integers below this are exact in a double (2^53). */
#define EXACT_INT_LIMIT	9007199254740992.0
/* Fraction digits the fixed form tries before giving up. */
#define FIXED_MAX_DECIMALS 17

/*
 * @a (finite, > 0) as m / 10^d with the fewest decimals d that read back
 * as @a, if there is such a form with m < 2^53: m and 10^d (d <= 22) are
 * exact doubles, so m / 10^d, one correctly rounded division, is the
 * double nearest m * 10^-d, which is what a reader (strtod, JSON.parse)
 * makes of the text: equal to @a means lossless. false: no such form.
 */
static bool fixed_form(double a, uint64_t *m, unsigned int *d)
{
	static const double pow10[FIXED_MAX_DECIMALS + 1] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
		1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
	};

	for (unsigned int k = 0; k <= FIXED_MAX_DECIMALS; k++) {
		double t = a * pow10[k];
		uint64_t r;

		if (t >= EXACT_INT_LIMIT)
			return false;
		/* The nearest integer, or one next to it: the check decides. */
		r = (uint64_t)(t + 0.5);
		if (r && (double)r / pow10[k] == a) {
			*m = r;
			*d = k;
			return true;
		}
	}
	return false;
}

/* m / 10^d as decimal text: "0.00m", "m", or digits with a point. */
static void put_fixed(struct jbuf *b, uint64_t m, unsigned int d)
{
	char digits[20];
	size_t start, n;

	start = sizeof(digits);
	do {
		digits[--start] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	n = sizeof(digits) - start;
	if (d == 0) {
		jraw_put(b, digits + start, n);
	} else if (n > d) {
		jraw_put(b, digits + start, n - d);
		jraw_putc(b, '.');
		jraw_put(b, digits + start + n - d, d);
	} else {
		jraw_put(b, "0.", 2);
		for (size_t z = n; z < d; z++)
			jraw_putc(b, '0');
		jraw_put(b, digits + start, n);
	}
}

void jraw_double(struct jbuf *b, double v)
{
	uint64_t m;
	unsigned int d;
	int n;

	if (isnan(v)) {
		jraw_lit(b, "\"NaN\"");
		return;
	}
	if (isinf(v)) {
		if (v > 0)
			jraw_lit(b, "\"Infinity\"");
		else
			jraw_lit(b, "\"-Infinity\"");
		return;
	}
	if (signbit(v))
		jraw_putc(b, '-');
	if (v == 0) {
		jraw_putc(b, '0');	/* "-0" reads back as -0 */
		return;
	}
	/* Most values a program records (counts, money, ratios with few
	 * digits) have a short fixed form; snprintf's "%.17g" costs
	 * microseconds and is kept for the rest: 17 significant digits
	 * always read back as the same double.
	 */
	if (fixed_form(fabs(v), &m, &d)) {
		put_fixed(b, m, d);
		return;
	}
	n = snprintf(b->p + b->len, JSON_NUM_MAX - 1, "%.17g", fabs(v));
	b->len += (size_t)n;
}

void jbuf_double(struct jbuf *b, double v)
{
	if (jbuf_reserve(b, JSON_NUM_MAX))
		jraw_double(b, v);
}

void jraw_hex(struct jbuf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *o = b->p + b->len;

	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 15];
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

void jbuf_hex(struct jbuf *b, const uint8_t *p, size_t n)
{
	if (jbuf_reserve(b, 2 * n + 2))
		jraw_hex(b, p, n);
}
