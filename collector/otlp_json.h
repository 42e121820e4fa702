/* SPDX-License-Identifier: MIT */
/*
 * OTLP/JSON encoding of spans (the protobuf JSON mapping of
 * opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest, with
 * trace and span ids as hex, as OTLP/HTTP JSON wants). A request is
 *
 *   OTLP_JSON_REQUEST_HEAD
 *     resource head (service.name, process.pid, scope) span,span,...
 *     OTLP_JSON_RESOURCE_TAIL
 *   , ... OTLP_JSON_REQUEST_TAIL
 *
 * with no newline anywhere, so that one request is one line of a
 * JSON-lines file too.
 */
#ifndef COLLECTOR_OTLP_JSON_H
#define COLLECTOR_OTLP_JSON_H

#include "invariants.h"
#include <ringmpsc/span.h>

#include "encoding.h"
#include "json.h"

#define OTLP_JSON_REQUEST_HEAD	"{\"resourceSpans\":["
#define OTLP_JSON_REQUEST_TAIL	"]}"
#define OTLP_JSON_RESOURCE_TAIL	"]}]}"

/* Open a resource: its attributes, its one scope, the spans array. */
void otlp_json_resource_head(struct jbuf *b, const char *service,
			     size_t service_len, uint32_t pid);
/* One span object of a checked record (record_check()). */
void otlp_json_span(struct jbuf *b, const struct ringmpsc_span *s);

#endif /* COLLECTOR_OTLP_JSON_H */
