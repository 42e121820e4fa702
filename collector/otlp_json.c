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

static void key_value_head(struct jbuf *b, const char *key, size_t key_len)
{
	jbuf_puts(b, "{\"key\":");
	jbuf_str(b, key, key_len);
	jbuf_puts(b, ",\"value\":{");
}

void otlp_json_resource_head(struct jbuf *b, const char *service,
			     size_t service_len, uint32_t pid)
{
	if (service_len == 0) {
		service = OTLP_UNKNOWN_SERVICE;
		service_len = sizeof(OTLP_UNKNOWN_SERVICE) - 1;
	}
	jbuf_puts(b, "{\"resource\":{\"attributes\":[");
	key_value_head(b, "service.name", 12);
	jbuf_puts(b, "\"stringValue\":");
	jbuf_str(b, service, service_len);
	jbuf_puts(b, "}},");
	key_value_head(b, "process.pid", 11);
	jbuf_puts(b, "\"intValue\":\"");
	jbuf_u64(b, pid);
	jbuf_puts(b, "\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"" OTLP_SCOPE_NAME
		  "\",\"version\":\"" RINGMPSC_VERSION_STRING "\"},\"spans\":[");
}

static void attr_json(struct jbuf *b, const struct ringmpsc_span_attr *a)
{
	key_value_head(b, a->key, a->key_len);
	switch (a->type) {
	case RINGMPSC_SPAN_ATTR_STRING:
		jbuf_puts(b, "\"stringValue\":");
		jbuf_str(b, a->v.str, a->str_len);
		break;
	case RINGMPSC_SPAN_ATTR_INT:
		jbuf_puts(b, "\"intValue\":\"");
		jbuf_i64(b, a->v.i);
		jbuf_putc(b, '"');
		break;
	case RINGMPSC_SPAN_ATTR_DOUBLE:
		jbuf_puts(b, "\"doubleValue\":");
		jbuf_double(b, a->v.d);
		break;
	default:	/* BOOL: record_check() allows no other type */
		jbuf_puts(b, a->v.b ? "\"boolValue\":true" : "\"boolValue\":false");
		break;
	}
	jbuf_puts(b, "}}");
}

static bool is_root(const struct ringmpsc_span *s)
{
	for (size_t i = 0; i < sizeof(s->parent_span_id); i++)
		if (s->parent_span_id[i])
			return false;
	return true;
}

void otlp_json_span(struct jbuf *b, const struct ringmpsc_span *s)
{
	/* Every length below bounds a copy: only checked records get here. */
	RINGMPSC_INV(record_check(s) == RECORD_OK, "INV-COLL-01");
	jbuf_puts(b, "{\"traceId\":");
	jbuf_hex(b, s->trace_id, sizeof(s->trace_id));
	jbuf_puts(b, ",\"spanId\":");
	jbuf_hex(b, s->span_id, sizeof(s->span_id));
	if (!is_root(s)) {
		jbuf_puts(b, ",\"parentSpanId\":");
		jbuf_hex(b, s->parent_span_id, sizeof(s->parent_span_id));
	}
	jbuf_puts(b, ",\"name\":");
	jbuf_str(b, s->name, s->name_len);
	jbuf_puts(b, ",\"kind\":");
	jbuf_u64(b, s->kind);
	jbuf_puts(b, ",\"startTimeUnixNano\":\"");
	jbuf_u64(b, s->start_ns);
	jbuf_puts(b, "\",\"endTimeUnixNano\":\"");
	jbuf_u64(b, s->end_ns);
	jbuf_putc(b, '"');
	if (s->nr_attrs) {
		jbuf_puts(b, ",\"attributes\":[");
		for (uint32_t i = 0; i < s->nr_attrs; i++) {
			if (i)
				jbuf_putc(b, ',');
			attr_json(b, &s->attrs[i]);
		}
		jbuf_putc(b, ']');
	}
	if (s->dropped_attrs) {
		jbuf_puts(b, ",\"droppedAttributesCount\":");
		jbuf_u64(b, s->dropped_attrs);
	}
	if (s->status || s->status_msg_len) {
		jbuf_puts(b, ",\"status\":{\"code\":");
		jbuf_u64(b, s->status);
		if (s->status_msg_len) {
			jbuf_puts(b, ",\"message\":");
			jbuf_str(b, s->status_msg, s->status_msg_len);
		}
		jbuf_putc(b, '}');
	}
	jbuf_putc(b, '}');
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

static void json_seal(struct jbuf *body, const struct batch *b)
{
	jbuf_puts(body, OTLP_JSON_REQUEST_HEAD);
	for (uint32_t i = 0; i < b->nr_resources; i++) {
		if (i)
			jbuf_putc(body, ',');
		jbuf_put(body, b->res[i].frag.p, b->res[i].frag.len);
		jbuf_puts(body, OTLP_JSON_RESOURCE_TAIL);
	}
	jbuf_puts(body, OTLP_JSON_REQUEST_TAIL);
}

const struct otlp_encoding otlp_json_encoding = {
	.name = "json",
	.content_type = "application/json",
	.request_fixed = sizeof(OTLP_JSON_REQUEST_HEAD) - 1 +
			 sizeof(OTLP_JSON_REQUEST_TAIL) - 1,
	.resource_cost = json_resource_cost,
	.resource_head = otlp_json_resource_head,
	.span = json_span,
	.seal = json_seal,
};
