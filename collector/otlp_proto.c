// SPDX-License-Identifier: MIT
/*
 * OTLP/protobuf: the ExportTraceServiceRequest subset the collector sends,
 * in protobuf's wire format, written by hand from the field numbers of
 * opentelemetry-proto (collector/trace/v1, trace/v1, resource/v1,
 * common/v1). Fields go in field-number order with minimal varints, and
 * scalars at their default value are left out, as proto3 encoders do: a
 * decoder that encodes the message again gets these bytes back, which is
 * what the test receiver checks. Strings are UTF-8 as protobuf requires,
 * an invalid byte becoming U+FFFD as in the JSON encoding (INV-COLL-02).
 *
 * A resource's fragment is its spans, each a ScopeSpans.spans field; the
 * seal wraps each fragment in its ScopeSpans and ResourceSpans, whose
 * lengths it knows by then.
 */
#include <string.h>

#include "batch.h"
#include "encoding.h"
#include "record.h"

enum wire_type { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2 };

/* Field numbers, by message. */
enum {
	REQUEST_RESOURCE_SPANS = 1,	/* ExportTraceServiceRequest */
	RESOURCE_SPANS_RESOURCE = 1,	/* ResourceSpans */
	RESOURCE_SPANS_SCOPE_SPANS = 2,
	RESOURCE_ATTRIBUTES = 1,	/* Resource */
	SCOPE_SPANS_SCOPE = 1,		/* ScopeSpans */
	SCOPE_SPANS_SPANS = 2,
	SCOPE_NAME = 1,			/* InstrumentationScope */
	SCOPE_VERSION = 2,
	KEY_VALUE_KEY = 1,		/* KeyValue */
	KEY_VALUE_VALUE = 2,
	ANY_STRING = 1,			/* AnyValue, a oneof */
	ANY_BOOL = 2,
	ANY_INT = 3,
	ANY_DOUBLE = 4,
	SPAN_TRACE_ID = 1,		/* Span */
	SPAN_SPAN_ID = 2,
	SPAN_PARENT_SPAN_ID = 4,
	SPAN_NAME = 5,
	SPAN_KIND = 6,
	SPAN_START = 7,
	SPAN_END = 8,
	SPAN_ATTRIBUTES = 9,
	SPAN_DROPPED_ATTRIBUTES = 10,
	SPAN_STATUS = 15,
	STATUS_MESSAGE = 2,		/* Status */
	STATUS_CODE = 3,
};

/* Longest varint of a length below 4 GiB. */
#define LEN_VARINT_MAX	5

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_varint(struct jbuf *b, uint64_t v)
{
	uint8_t out[10];
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	jbuf_put(b, out, n);
}

static void put_tag(struct jbuf *b, uint32_t field, enum wire_type t)
{
	put_varint(b, (uint64_t)field << 3 | t);
}

static void put_fixed64(struct jbuf *b, uint32_t field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	put_tag(b, field, WIRE_I64);
	jbuf_put(b, le, sizeof(le));
}

static void put_uint(struct jbuf *b, uint32_t field, uint64_t v)
{
	put_tag(b, field, WIRE_VARINT);
	put_varint(b, v);
}

/* Start a length-delimited field; its content starts at the offset
 * returned, and end_len() puts the length in front of it.
 */
static size_t begin_len(struct jbuf *b, uint32_t field)
{
	put_tag(b, field, WIRE_LEN);
	return b->len;
}

static void end_len(struct jbuf *b, size_t start)
{
	size_t n = b->len - start, k = varint_len(n), end;

	if (!jbuf_reserve(b, k))
		return;
	memmove(b->p + start + k, b->p + start, n);
	end = b->len + k;
	b->len = start;
	put_varint(b, n);
	b->len = end;
}

static void put_bytes(struct jbuf *b, uint32_t field, const void *p, size_t n)
{
	put_tag(b, field, WIRE_LEN);
	put_varint(b, n);
	jbuf_put(b, p, n);
}

/* A string field of untrusted bytes: invalid UTF-8 becomes U+FFFD. */
static void put_string(struct jbuf *b, uint32_t field, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = begin_len(b, field);

	if (!jbuf_reserve(b, 3 * n))
		return;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq_len(u + i, n - i);

		if (len) {
			memcpy(b->p + b->len, u + i, len);
			b->len += len;
			i += len;
		} else {
			memcpy(b->p + b->len, "\xef\xbf\xbd", 3);
			b->len += 3;
			i++;
		}
	}
	end_len(b, start);
}

/* A KeyValue in field @field; its AnyValue is left open for the caller's
 * one member. Returns the two starts for end_key_value().
 */
static void begin_key_value(struct jbuf *b, uint32_t field, const char *key,
			    size_t key_len, size_t start[2])
{
	start[0] = begin_len(b, field);
	put_string(b, KEY_VALUE_KEY, key, key_len);
	start[1] = begin_len(b, KEY_VALUE_VALUE);
}

static void end_key_value(struct jbuf *b, const size_t start[2])
{
	end_len(b, start[1]);
	end_len(b, start[0]);
}

static void attribute(struct jbuf *b, const struct ringmpsc_span_attr *a)
{
	size_t kv[2];
	uint64_t bits;

	begin_key_value(b, SPAN_ATTRIBUTES, a->key, a->key_len, kv);
	/* The oneof member is written even at its default: it says which. */
	switch (a->type) {
	case RINGMPSC_SPAN_ATTR_STRING:
		put_string(b, ANY_STRING, a->v.str, a->str_len);
		break;
	case RINGMPSC_SPAN_ATTR_INT:
		put_uint(b, ANY_INT, (uint64_t)a->v.i);	/* int64: two's complement */
		break;
	case RINGMPSC_SPAN_ATTR_DOUBLE:
		memcpy(&bits, &a->v.d, sizeof(bits));
		put_fixed64(b, ANY_DOUBLE, bits);
		break;
	default:	/* BOOL: record_check() allows no other type */
		put_uint(b, ANY_BOOL, a->v.b ? 1 : 0);
		break;
	}
	end_key_value(b, kv);
}

static bool is_root(const struct ringmpsc_span *s)
{
	for (size_t i = 0; i < sizeof(s->parent_span_id); i++)
		if (s->parent_span_id[i])
			return false;
	return true;
}

static void proto_span(struct jbuf *frag, const struct ringmpsc_span *s,
		       bool first)
{
	size_t span, status;

	(void)first;
	/* Every length below bounds a copy: only checked records get here. */
	RINGMPSC_INV(record_check(s) == RECORD_OK, "INV-COLL-01");
	span = begin_len(frag, SCOPE_SPANS_SPANS);
	put_bytes(frag, SPAN_TRACE_ID, s->trace_id, sizeof(s->trace_id));
	put_bytes(frag, SPAN_SPAN_ID, s->span_id, sizeof(s->span_id));
	if (!is_root(s))
		put_bytes(frag, SPAN_PARENT_SPAN_ID, s->parent_span_id,
			  sizeof(s->parent_span_id));
	if (s->name_len)
		put_string(frag, SPAN_NAME, s->name, s->name_len);
	if (s->kind)
		put_uint(frag, SPAN_KIND, s->kind);
	put_fixed64(frag, SPAN_START, s->start_ns);
	put_fixed64(frag, SPAN_END, s->end_ns);
	for (uint32_t i = 0; i < s->nr_attrs; i++)
		attribute(frag, &s->attrs[i]);
	if (s->dropped_attrs)
		put_uint(frag, SPAN_DROPPED_ATTRIBUTES, s->dropped_attrs);
	if (s->status || s->status_msg_len) {
		status = begin_len(frag, SPAN_STATUS);
		if (s->status_msg_len)
			put_string(frag, STATUS_MESSAGE, s->status_msg,
				   s->status_msg_len);
		if (s->status)
			put_uint(frag, STATUS_CODE, s->status);
		end_len(frag, status);
	}
	end_len(frag, span);
}

static void proto_resource_head(struct jbuf *frag, const char *service,
				size_t service_len, uint32_t pid)
{
	/* The seal writes the resource: a fragment is spans only. */
	(void)frag;
	(void)service;
	(void)service_len;
	(void)pid;
}

/* Resource (content): service.name and process.pid, as the JSON has. */
static void resource(struct jbuf *b, const struct batch_resource *r)
{
	const char *service = r->service;
	size_t len = r->service_len, kv[2];

	if (!len) {
		service = OTLP_UNKNOWN_SERVICE;
		len = sizeof(OTLP_UNKNOWN_SERVICE) - 1;
	}
	begin_key_value(b, RESOURCE_ATTRIBUTES, "service.name", 12, kv);
	put_string(b, ANY_STRING, service, len);
	end_key_value(b, kv);
	begin_key_value(b, RESOURCE_ATTRIBUTES, "process.pid", 11, kv);
	put_uint(b, ANY_INT, r->pid);
	end_key_value(b, kv);
}

/* InstrumentationScope (content). */
static void scope(struct jbuf *b)
{
	put_string(b, SCOPE_NAME, OTLP_SCOPE_NAME, sizeof(OTLP_SCOPE_NAME) - 1);
	put_string(b, SCOPE_VERSION, RINGMPSC_VERSION_STRING,
		   sizeof(RINGMPSC_VERSION_STRING) - 1);
}

/* What the longest resource and scope content take: the service name
 * may triple (U+FFFD), the rest is fixed and small.
 */
#define RESOURCE_SCOPE_FIXED	160

static size_t proto_resource_cost(size_t service_len)
{
	/* Four tags of one byte and four lengths around the fragment. */
	return RESOURCE_SCOPE_FIXED + 3 * service_len + 4 * (1 + LEN_VARINT_MAX);
}

static void put_len_head(struct jbuf *b, uint32_t field, size_t n)
{
	put_tag(b, field, WIRE_LEN);
	put_varint(b, n);
}

static void proto_seal(struct jbuf *body, struct batch *b)
{
	struct jbuf head = { 0 };

	if (!jbuf_reserve(body, b->bytes))
		return;

	for (uint32_t i = 0; i < b->nr_resources; i++) {
		const struct batch_resource *r = &b->res[i];
		size_t res_len, scope_len, ss_len, rs_len;

		/* Resource then scope, into @head, to learn their lengths. */
		jbuf_reset(&head);
		resource(&head, r);
		res_len = head.len;
		scope(&head);
		scope_len = head.len - res_len;
		if (head.oom) {
			body->oom = true;
			break;
		}
		ss_len = 1 + varint_len(scope_len) + scope_len + r->frag.len;
		rs_len = 1 + varint_len(res_len) + res_len +
			 1 + varint_len(ss_len) + ss_len;
		put_len_head(body, REQUEST_RESOURCE_SPANS, rs_len);
		put_len_head(body, RESOURCE_SPANS_RESOURCE, res_len);
		jbuf_put(body, head.p, res_len);
		put_len_head(body, RESOURCE_SPANS_SCOPE_SPANS, ss_len);
		put_len_head(body, SCOPE_SPANS_SCOPE, scope_len);
		jbuf_put(body, head.p + res_len, scope_len);
		jbuf_put(body, r->frag.p, r->frag.len);
	}
	jbuf_free(&head);
}

const struct otlp_encoding otlp_proto_encoding = {
	.name = "protobuf",
	.content_type = "application/x-protobuf",
	.request_fixed = 0,
	.resource_cost = proto_resource_cost,
	.resource_head = proto_resource_head,
	.span = proto_span,
	.seal = proto_seal,
};
