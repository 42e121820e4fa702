/* SPDX-License-Identifier: MIT */
/*
 * How a batch's request body is encoded: an ExportTraceServiceRequest in
 * OTLP/JSON (otlp_json.c) or in protobuf's wire format (otlp_proto.c).
 * A batch keeps one fragment per resource (producer process and service)
 * that grows span by span; the encoding says what goes into a fragment,
 * what a resource costs around it, and how the fragments become the body.
 */
#ifndef COLLECTOR_ENCODING_H
#define COLLECTOR_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "invariants.h"
#include <ringmpsc/span.h>

#include "json.h"

struct batch;

/* service.name of spans whose producer named no service (as the SDKs). */
#define OTLP_UNKNOWN_SERVICE	"unknown_service"
#define OTLP_SCOPE_NAME		"ringmpsc-collector"

struct otlp_encoding {
	const char *name;		/* as --otlp-encoding takes it */
	const char *content_type;	/* of an OTLP/HTTP request */
	size_t request_fixed;		/* body bytes of no resource */
	/* Bytes a fragment leaves free at its start, for the seal. */
	size_t frag_prefix;
	/* Body bytes a resource adds besides its fragment, at most. */
	size_t (*resource_cost)(size_t service_len);
	/* Start a resource's fragment. */
	void (*resource_head)(struct jbuf *frag, const char *service,
			      size_t service_len, uint32_t pid);
	/* Append checked record @s (record_check()) to a fragment;
	 * @first: the fragment's first span.
	 */
	void (*span)(struct jbuf *frag, const struct ringmpsc_span *s,
		     bool first);
	/* Write the body of @b from its fragments into the empty @body,
	 * at most b->bytes; may take a fragment's buffer for it.
	 */
	void (*seal)(struct jbuf *body, struct batch *b);
};

extern const struct otlp_encoding otlp_json_encoding;
extern const struct otlp_encoding otlp_proto_encoding;

/* The encoding called @name, or NULL. */
const struct otlp_encoding *otlp_encoding_find(const char *name);

#endif /* COLLECTOR_ENCODING_H */
