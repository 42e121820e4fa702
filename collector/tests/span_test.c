// SPDX-License-Identifier: MIT
/*
 * span_test (host, local rings): the producer API of <ringmpsc/span.h>
 * (truncation at UTF-8 boundaries, attribute limits, the full-ring
 * policies, submit) and the collector's check of records written by
 * untrusted producers (INV-COLL-01).
 */
#include "../invariants.h"
#include <ringmpsc/span.h>

#include "kselftest_harness.h"

#include "../record.h"

/* The faults as int, as the harness compares them with int constants. */
static int check(const struct ringmpsc_span *s)
{
	return (int)record_check(s);
}

static int take(struct ringmpsc_span *out, const void *slot)
{
	return (int)record_take(out, slot);
}

static const uint8_t trace_id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t span_id[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

FIXTURE(ring) {
	struct ringmpsc_local *l;
	struct ringmpsc_producer p;
	struct ringmpsc_consumer c;
	struct ringmpsc_span_writer w;
};

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, ringmpsc_local_create(&self->l, 1, RINGMPSC_SPAN_SIZE, 8, 0));
	ASSERT_EQ(0, ringmpsc_local_producer(self->l, 0, &self->p));
	ASSERT_EQ(0, ringmpsc_local_consumer(self->l, &self->c));
	ASSERT_EQ(0, ringmpsc_span_writer_init(&self->w, &self->p, "svc", 42, 0));
}

FIXTURE_TEARDOWN(ring)
{
	ringmpsc_producer_close(&self->p);
	ringmpsc_consumer_close(&self->c);
	ringmpsc_local_destroy(self->l);
}

/* A writer refuses a channel whose slots are not spans. */
TEST(writer_wrong_slot_size)
{
	struct ringmpsc_local *l;
	struct ringmpsc_producer p;
	struct ringmpsc_span_writer w;

	ASSERT_EQ(0, ringmpsc_local_create(&l, 1, 64, 8, 0));
	ASSERT_EQ(0, ringmpsc_local_producer(l, 0, &p));
	EXPECT_EQ(-EMSGSIZE, ringmpsc_span_writer_init(&w, &p, NULL, 1, 0));
	ringmpsc_producer_close(&p);
	ringmpsc_local_destroy(l);
}

/* Strings longer than their field are cut before a whole character. */
TEST_F(ring, truncation_at_utf8_boundary)
{
	char name[80] = "";
	struct ringmpsc_span s;

	for (int i = 0; i < 23; i++)
		strcat(name, "\xe2\x82\xac");	/* 3 bytes each: 69 */
	ringmpsc_span_init(&s, &self->w, trace_id, span_id, NULL, name,
			   RINGMPSC_SPAN_KIND_SERVER);
	EXPECT_EQ(63, s.name_len);	/* 21 whole characters of 64 bytes */
	EXPECT_EQ(0, memcmp(s.name, name, 63));
	EXPECT_EQ(0, ringmpsc_span_attr_str(&s, "k", "0123456789012345678901234567890\xc3\xa9"));
	EXPECT_EQ(31, s.attrs[0].str_len);	/* the 2-byte é does not fit */
	EXPECT_EQ(RECORD_OK, check(&s));
}

/* Attributes beyond the limit, or with a bad key, are counted, not kept. */
TEST_F(ring, attribute_limits)
{
	struct ringmpsc_span s;

	ringmpsc_span_init(&s, &self->w, trace_id, span_id, NULL, "op",
			   RINGMPSC_SPAN_KIND_INTERNAL);
	for (int i = 0; i < RINGMPSC_SPAN_ATTRS_MAX; i++)
		EXPECT_EQ(0, ringmpsc_span_attr_int(&s, "n", i));
	EXPECT_EQ(-ENOSPC, ringmpsc_span_attr_bool(&s, "over", true));
	EXPECT_EQ(RINGMPSC_SPAN_ATTRS_MAX, s.nr_attrs);
	EXPECT_EQ(1, s.dropped_attrs);
	s.nr_attrs = 0;
	EXPECT_EQ(-ENOSPC, ringmpsc_span_attr_int(&s, "", 1));
	EXPECT_EQ(-ENOSPC, ringmpsc_span_attr_int(&s, "a-key-of-twenty-nine-bytes-xy", 1));
	EXPECT_EQ(3, s.dropped_attrs);
}

/* Full ring, policy drop: -EAGAIN at once, counted; policy wait: waits. */
TEST_F(ring, full_ring_policies)
{
	struct ringmpsc_span *s = NULL;

	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, ringmpsc_span_reserve(&self->w, &s));
		ringmpsc_span_init(s, &self->w, trace_id, span_id, NULL, "op",
				   RINGMPSC_SPAN_KIND_INTERNAL);
		ASSERT_EQ(0, ringmpsc_span_commit(&self->w));
	}
	EXPECT_EQ(-EAGAIN, ringmpsc_span_reserve(&self->w, &s));
	EXPECT_EQ(1, self->w.dropped);
	EXPECT_EQ(0, self->w.waits);
	self->w.full_timeout_ms = 20;
	EXPECT_EQ(-EAGAIN, ringmpsc_span_reserve(&self->w, &s));
	EXPECT_EQ(2, self->w.dropped);
	EXPECT_EQ(1, self->w.waits);
	EXPECT_EQ(8, self->w.written);
}

/* A span built anywhere is copied in with one reserve and one commit;
 * the collector's copy checks out and has every field.
 */
TEST_F(ring, submit_and_take)
{
	struct ringmpsc_span s, got;
	const void *slot = NULL;

	ringmpsc_span_init(&s, &self->w, trace_id, span_id, span_id, "op",
			   RINGMPSC_SPAN_KIND_CLIENT);
	s.start_ns = 10;
	s.end_ns = 20;
	ASSERT_EQ(0, ringmpsc_span_attr_double(&s, "d", 0.5));
	ringmpsc_span_set_status(&s, RINGMPSC_SPAN_STATUS_ERROR, "bad");
	ASSERT_EQ(0, ringmpsc_span_submit(&self->w, &s));
	ASSERT_EQ(1, ringmpsc_peek(&self->c, 0, &slot, 1));
	ASSERT_EQ(RECORD_OK, take(&got, slot));
	EXPECT_EQ(0, memcmp(got.trace_id, trace_id, 16));
	EXPECT_EQ(0, memcmp(got.parent_span_id, span_id, 8));
	EXPECT_EQ(3, got.service_len);
	EXPECT_EQ(0, memcmp(got.service, "svc", 3));
	EXPECT_EQ(42, got.pid);
	EXPECT_EQ(20, got.end_ns);
	EXPECT_EQ(1, got.nr_attrs);
	EXPECT_EQ(0.5, got.attrs[0].v.d);
	EXPECT_EQ(RINGMPSC_SPAN_STATUS_ERROR, got.status);
	EXPECT_EQ(3, got.status_msg_len);
}

/* Each way a hostile record can be wrong is caught by its own fault.
 * INV-COLL-01.
 */
TEST_F(ring, hostile_records_rejected)
{
	struct ringmpsc_span good, s;

	ringmpsc_span_init(&good, &self->w, trace_id, span_id, NULL, "op",
			   RINGMPSC_SPAN_KIND_SERVER);
	ASSERT_EQ(0, ringmpsc_span_attr_str(&good, "k", "v"));
	ASSERT_EQ(RECORD_OK, check(&good));
#define BAD(fault, change) do { s = good; change; EXPECT_EQ(fault, check(&s)); } while (0)
	BAD(RECORD_BAD_VERSION, s.version = 2);
	BAD(RECORD_BAD_VERSION, s.size = 256);
	BAD(RECORD_BAD_LENGTH, s.name_len = 0);
	BAD(RECORD_BAD_LENGTH, s.name_len = RINGMPSC_SPAN_NAME_MAX + 1);
	BAD(RECORD_BAD_LENGTH, s.service_len = RINGMPSC_SPAN_SERVICE_MAX + 1);
	BAD(RECORD_BAD_LENGTH, s.status_msg_len = RINGMPSC_SPAN_STATUS_MAX + 1);
	BAD(RECORD_BAD_LENGTH, s.nr_attrs = RINGMPSC_SPAN_ATTRS_MAX + 1);
	BAD(RECORD_BAD_LENGTH, s.attrs[0].key_len = RINGMPSC_SPAN_KEY_MAX + 1);
	BAD(RECORD_BAD_LENGTH, s.attrs[0].str_len = RINGMPSC_SPAN_STR_MAX + 1);
	BAD(RECORD_BAD_VALUE, s.kind = 6);
	BAD(RECORD_BAD_VALUE, s.status = 3);
	BAD(RECORD_BAD_VALUE, s.reserved = 1);
	BAD(RECORD_BAD_VALUE, s.attrs[0].type = 9);
	BAD(RECORD_BAD_ID, memset(s.trace_id, 0, 16));
	BAD(RECORD_BAD_ID, memset(s.span_id, 0, 8));
	BAD(RECORD_BAD_TIME, s.start_ns = 2; s.end_ns = 1);
#undef BAD
}

TEST_HARNESS_MAIN
