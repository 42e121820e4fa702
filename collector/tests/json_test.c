// SPDX-License-Identifier: MIT
/*
 * json_test (host): the JSON writer's numbers (json.c), which the
 * collector formats by hand rather than with snprintf(): every double
 * reads back as the same double (strtod(), as correctly rounding as
 * JSON.parse), in JSON's number grammar; integers at their limits; and
 * the OTLP/JSON span of the largest record stays within the room
 * otlp_json_span() reserves for it.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../invariants.h"
#include <ringmpsc/span.h>

#include "kselftest_harness.h"

#include "../json.h"
#include "../otlp_json.h"
#include "../record.h"

/* @v as the collector writes it, NUL-terminated in @out. */
static const char *double_text(char *out, size_t size, double v)
{
	struct jbuf b = { 0 };

	jbuf_double(&b, v);
	snprintf(out, size, "%.*s", (int)b.len, b.p);
	jbuf_free(&b);
	return out;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (isdigit((unsigned char)*s))
			s++;
	else
		return false;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* Same bits back (-0 stays -0), and a JSON number. */
static bool round_trips(double v)
{
	char text[64];
	double back;

	double_text(text, sizeof(text), v);
	if (!json_number(text))
		return false;
	back = strtod(text, NULL);
	return !memcmp(&back, &v, sizeof(v));
}

TEST(double_short_forms)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0.0, "0" }, { -0.0, "-0" }, { 1.0, "1" }, { -3.0, "-3" },
		{ 0.5, "0.5" }, { 12345.5, "12345.5" }, { 0.1, "0.1" },
		{ -2.25, "-2.25" }, { 1e-7, "0.0000001" },
		{ 123456.789, "123456.789" }, { 1e15, "1000000000000000" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		/* Beyond 2^53 or past 17 decimals: the %.17g form. */
		{ 9007199254740992.0, "9007199254740992" },
		{ 1e300, "1.0000000000000001e+300" },
		{ 1e-300, "1e-300" },
		{ NAN, "\"NaN\"" }, { INFINITY, "\"Infinity\"" },
		{ -INFINITY, "\"-Infinity\"" },
	};
	char text[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double_text(text, sizeof(text), cases[i].v);
		EXPECT_STREQ(cases[i].text, text)
			TH_LOG("case %zu", i);
	}
}

TEST(double_round_trips)
{
	/* Edges, then doubles of every exponent (random bit patterns), then
	 * decimals of few digits (the fixed form's domain).
	 */
	static const double edges[] = {
		4.9406564584124654e-324, 2.2250738585072009e-308,
		2.2250738585072014e-308, 1.7976931348623157e308,
		0.1 + 0.2, 1e16, 1e17, 123456789012345678.0, 5e-324,
		0.30000000000000004, 1e-17, 1e-18, 1.5e-10, 4503599627370495.5,
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int bad = 0;

	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		EXPECT_TRUE(round_trips(edges[i]))
			TH_LOG("edge %zu: %.17g", i, edges[i]);
		EXPECT_TRUE(round_trips(-edges[i]));
	}
	for (int i = 0; i < 200000; i++) {
		double v, pow10 = 1;
		int digits;

		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (isfinite(v) && !round_trips(v) && bad++ < 5)
			TH_LOG("bits %016llx: not read back", (unsigned long long)x);
		digits = (int)(x % 12);
		while (digits--)
			pow10 *= 10;
		v = (double)(int64_t)(x >> 20) / pow10;
		if (!round_trips(v) && bad++ < 5)
			TH_LOG("decimal %.17g: not read back", v);
	}
	EXPECT_EQ(0, bad);
}

TEST(integers)
{
	struct jbuf b = { 0 };

	jbuf_u64(&b, 0);
	jbuf_putc(&b, ' ');
	jbuf_u64(&b, UINT64_MAX);
	jbuf_putc(&b, ' ');
	jbuf_i64(&b, INT64_MIN);
	jbuf_putc(&b, ' ');
	jbuf_i64(&b, -7);
	jbuf_putc(&b, ' ');
	jbuf_u64(&b, 100);
	jbuf_putc(&b, ' ');
	jbuf_u64(&b, 9);
	ASSERT_FALSE(b.oom);
	EXPECT_EQ(0, strncmp("0 18446744073709551615 -9223372036854775808 -7 100 9",
			     b.p, b.len));
	EXPECT_EQ(strlen("0 18446744073709551615 -9223372036854775808 -7 100 9"),
		  b.len);
	jbuf_free(&b);
}

/* Occurrences of @what in @b. */
static int count_of(const struct jbuf *b, const char *what)
{
	size_t n = strlen(what);
	int count = 0;

	for (size_t i = 0; i + n <= b->len; i++)
		if (!memcmp(b->p + i, what, n))
			count++;
	return count;
}

/* Every string of the record at its longest, of bytes that each become
 * six (\u0001): the encoder's reservation must hold it (the debug build
 * asserts so, INV-COLL-02); then each byte of it as it should be.
 */
TEST(largest_span_fits)
{
	static const uint8_t id[16] = { 1, 2, 3 };
	struct ringmpsc_span_writer w = { .pid = 1 };
	struct ringmpsc_span s;
	char ctl[RINGMPSC_SPAN_NAME_MAX + 1];
	struct jbuf b = { 0 };

	memset(ctl, 1, sizeof(ctl) - 1);
	ctl[sizeof(ctl) - 1] = '\0';
	ringmpsc_span_init(&s, &w, id, id, id, ctl, RINGMPSC_SPAN_KIND_SERVER);
	s.start_ns = UINT64_MAX - 1;
	s.end_ns = UINT64_MAX;
	for (int i = 0; i < RINGMPSC_SPAN_ATTRS_MAX; i++) {
		char key[RINGMPSC_SPAN_KEY_MAX + 1];

		memset(key, 1, sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		key[0] = (char)('a' + i);
		ASSERT_EQ(0, ringmpsc_span_attr_str(&s, key, ctl));
	}
	ringmpsc_span_set_status(&s, RINGMPSC_SPAN_STATUS_ERROR, ctl);
	s.dropped_attrs = UINT8_MAX;
	ASSERT_EQ(RECORD_OK, (int)record_check(&s));
	otlp_json_span(&b, &s);
	ASSERT_FALSE(b.oom);
	/* name, status message, 5 keys and 5 values, all escaped */
	EXPECT_EQ(RINGMPSC_SPAN_NAME_MAX + RINGMPSC_SPAN_STATUS_MAX +
		  RINGMPSC_SPAN_ATTRS_MAX *
		  (RINGMPSC_SPAN_KEY_MAX - 1 + RINGMPSC_SPAN_STR_MAX),
		  count_of(&b, "\\u0001"));
	jbuf_free(&b);
}

TEST_HARNESS_MAIN
