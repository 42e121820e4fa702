// SPDX-License-Identifier: MIT
/*
 * OTLP/JSON: a checked span record as a Span object, a resource as its
 * ResourceSpans head (otlp_json.h). Field names are the protobuf JSON
 * names (lowerCamelCase); 64-bit integers are strings, as the mapping
 * says; enums are numbers.
 */
#include "batch.h"
#include "otlp_json.h"
#include "record.h"

/*
 * Most bytes otlp_json_span() writes for any checked record: the names and punctuation of every field (under 256),
 * three ids in hex, four numbers, and per attribute its names and
 * punctuation (under 64), key and value. Reserved once a span.
 */
#define OTLP_JSON_ATTR_MAX						\
	(64 + JSON_STR_MAX(RINGMPSC_SPAN_KEY_MAX) +			\
	 JSON_STR_MAX(RINGMPSC_SPAN_STR_MAX))
#define OTLP_JSON_SPAN_MAX						\
	(256 + 3 * (2 * 16 + 2) + 4 * JSON_NUM_MAX +			\
	 JSON_STR_MAX(RINGMPSC_SPAN_NAME_MAX) +				\
	 JSON_STR_MAX(RINGMPSC_SPAN_STATUS_MAX) +			\
	 RINGMPSC_SPAN_ATTRS_MAX * OTLP_JSON_ATTR_MAX)

static void key_value_head(struct jbuf *b, const char *key, size_t key_len)
{
	jraw_lit(b, "{\"key\":");
	jraw_str(b, key, key_len);
	jraw_lit(b, ",\"value\":{");
}

void otlp_json_resource_head(struct jbuf *b, const char *service,
			     size_t service_len, uint32_t pid)
{
	if (service_len == 0) {
		service = OTLP_UNKNOWN_SERVICE;
		service_len = sizeof(OTLP_UNKNOWN_SERVICE) - 1;
	}
	if (!jbuf_reserve(b, 2 * OTLP_JSON_ATTR_MAX + JSON_STR_MAX(service_len) +
			  sizeof(OTLP_SCOPE_NAME RINGMPSC_VERSION_STRING) + 128))
		return;
	jraw_lit(b, "{\"resource\":{\"attributes\":[");
	key_value_head(b, "service.name", 12);
	jraw_lit(b, "\"stringValue\":");
	jraw_str(b, service, service_len);
	jraw_lit(b, "}},");
	key_value_head(b, "process.pid", 11);
	jraw_lit(b, "\"intValue\":\"");
	jraw_u64(b, pid);
	jraw_lit(b, "\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"" OTLP_SCOPE_NAME
		 "\",\"version\":\"" RINGMPSC_VERSION_STRING "\"},\"spans\":[");
}

static void attr_json(struct jbuf *b, const struct ringmpsc_span_attr *a)
{
	key_value_head(b, a->key, a->key_len);
	switch (a->type) {
	case RINGMPSC_SPAN_ATTR_STRING:
		jraw_lit(b, "\"stringValue\":");
		jraw_str(b, a->v.str, a->str_len);
		break;
	case RINGMPSC_SPAN_ATTR_INT:
		jraw_lit(b, "\"intValue\":\"");
		jraw_i64(b, a->v.i);
		jraw_putc(b, '"');
		break;
	case RINGMPSC_SPAN_ATTR_DOUBLE:
		jraw_lit(b, "\"doubleValue\":");
		jraw_double(b, a->v.d);
		break;
	default:	/* BOOL: record_check() allows no other type */
		if (a->v.b)
			jraw_lit(b, "\"boolValue\":true");
		else
			jraw_lit(b, "\"boolValue\":false");
		break;
	}
	jraw_lit(b, "}}");
}

static bool is_root(const struct ringmpsc_span *s)
{
	for (size_t i = 0; i < sizeof(s->parent_span_id); i++)
		if (s->parent_span_id[i])
			return false;
	return true;
}

/* The span, room reserved (OTLP_JSON_SPAN_MAX). */
static void span_raw(struct jbuf *b, const struct ringmpsc_span *s)
{
	jraw_lit(b, "{\"traceId\":");
	jraw_hex(b, s->trace_id, sizeof(s->trace_id));
	jraw_lit(b, ",\"spanId\":");
	jraw_hex(b, s->span_id, sizeof(s->span_id));
	if (!is_root(s)) {
		jraw_lit(b, ",\"parentSpanId\":");
		jraw_hex(b, s->parent_span_id, sizeof(s->parent_span_id));
	}
	jraw_lit(b, ",\"name\":");
	jraw_str(b, s->name, s->name_len);
	jraw_lit(b, ",\"kind\":");
	jraw_u64(b, s->kind);
	jraw_lit(b, ",\"startTimeUnixNano\":\"");
	jraw_u64(b, s->start_ns);
	jraw_lit(b, "\",\"endTimeUnixNano\":\"");
	jraw_u64(b, s->end_ns);
	jraw_putc(b, '"');
	if (s->nr_attrs) {
		jraw_lit(b, ",\"attributes\":[");
		for (uint32_t i = 0; i < s->nr_attrs; i++) {
			if (i)
				jraw_putc(b, ',');
			attr_json(b, &s->attrs[i]);
		}
		jraw_putc(b, ']');
	}
	if (s->dropped_attrs) {
		jraw_lit(b, ",\"droppedAttributesCount\":");
		jraw_u64(b, s->dropped_attrs);
	}
	if (s->status || s->status_msg_len) {
		jraw_lit(b, ",\"status\":{\"code\":");
		jraw_u64(b, s->status);
		if (s->status_msg_len) {
			jraw_lit(b, ",\"message\":");
			jraw_str(b, s->status_msg, s->status_msg_len);
		}
		jraw_putc(b, '}');
	}
	jraw_putc(b, '}');
}

void otlp_json_span(struct jbuf *b, const struct ringmpsc_span *s)
{
	size_t start = b->len;

	/* Every length below bounds a copy, and OTLP_JSON_SPAN_MAX the
	 * whole: only checked records get here.
	 */
	RINGMPSC_INV(record_check(s) == RECORD_OK, "INV-COLL-01");
	if (!jbuf_reserve(b, OTLP_JSON_SPAN_MAX))
		return;
	span_raw(b, s);
	RINGMPSC_INV(b->len - start < OTLP_JSON_SPAN_MAX, "INV-COLL-02");
	(void)start;	/* checked by the debug build only */
}

static void json_span(struct jbuf *frag, const struct ringmpsc_span *s,
		      bool first)
{
	if (!first)
		jbuf_putc(frag, ',');
	otlp_json_span(frag, s);
}

/* A resource's tail, and the comma before it unless it is the first. */
static size_t json_resource_cost(size_t service_len)
{
	(void)service_len;	/* in the fragment's head */
	return sizeof(OTLP_JSON_RESOURCE_TAIL) - 1 + 1;
}

#define JSON_FRAG_PREFIX	(sizeof(OTLP_JSON_REQUEST_HEAD) - 1)

/*
 * The first fragment becomes the body: the request head goes into the
 * room it left at its start, the other fragments and the tails after it,
 * and the two buffers trade places (the body's old one serves the
 * fragment next time). The first resource's spans, at one producer all
 * of them, are not copied: that copy was a tenth of the collector's
 * time per span.
 */
static void json_seal(struct jbuf *body, struct batch *b)
{
	struct jbuf *first = &b->res[0].frag, old_body = *body;

	/* batch_add() counted what the seal adds: b->bytes bounds it. */
	if (!jbuf_reserve(first, b->bytes - first->len)) {
		body->oom = true;
		return;
	}
	memcpy(first->p, OTLP_JSON_REQUEST_HEAD, JSON_FRAG_PREFIX);
	jraw_lit(first, OTLP_JSON_RESOURCE_TAIL);
	for (uint32_t i = 1; i < b->nr_resources; i++) {
		const struct jbuf *frag = &b->res[i].frag;

		jraw_putc(first, ',');
		jraw_put(first, frag->p + JSON_FRAG_PREFIX,
			 frag->len - JSON_FRAG_PREFIX);
		jraw_lit(first, OTLP_JSON_RESOURCE_TAIL);
	}
	jraw_lit(first, OTLP_JSON_REQUEST_TAIL);
	*body = *first;
	*first = old_body;
}

const struct otlp_encoding otlp_json_encoding = {
	.name = "json",
	.content_type = "application/json",
	.request_fixed = sizeof(OTLP_JSON_REQUEST_HEAD) - 1 +
			 sizeof(OTLP_JSON_REQUEST_TAIL) - 1,
	.frag_prefix = JSON_FRAG_PREFIX,
	.resource_cost = json_resource_cost,
	.resource_head = otlp_json_resource_head,
	.span = json_span,
	.seal = json_seal,
};
