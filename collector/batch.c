// SPDX-License-Identifier: MIT
/*
 * Batches: spans encoded into per-resource OTLP/JSON fragments as they
 * arrive, the size accounting that keeps a request under max_bytes, and
 * the assembly of the request body (batch.h).
 */
#include <errno.h>
#include <string.h>

#include "batch.h"
#include "otlp_json.h"

#define REQUEST_FIXED	(sizeof(OTLP_JSON_REQUEST_HEAD) - 1 + \
			 sizeof(OTLP_JSON_REQUEST_TAIL) - 1)
#define RESOURCE_FIXED	(sizeof(OTLP_JSON_RESOURCE_TAIL) - 1 + 1)	/* + comma */

void batch_reset(struct batch *b)
{
	for (uint32_t i = 0; i < b->nr_resources; i++) {
		jbuf_reset(&b->res[i].json);
		b->res[i].nr_spans = 0;
	}
	jbuf_reset(&b->body);
	b->nr_resources = 0;
	b->nr_spans = 0;
	b->bytes = REQUEST_FIXED;
	b->attempts = 0;
	b->probe = false;
	b->segments = 0;
	b->opened_ns = b->first_try_ns = b->try_start_ns = 0;
	b->next = NULL;
}

void batch_free(struct batch *b)
{
	for (uint32_t i = 0; i < BATCH_MAX_RESOURCES; i++)
		jbuf_free(&b->res[i].json);
	jbuf_free(&b->body);
}

static struct batch_resource *resource_for(struct batch *b,
					   const struct ringmpsc_span *s)
{
	struct batch_resource *r;

	for (uint32_t i = 0; i < b->nr_resources; i++) {
		r = &b->res[i];
		if (r->pid == s->pid && r->service_len == s->service_len &&
		    !memcmp(r->service, s->service, s->service_len))
			return r;
	}
	return NULL;
}

int batch_add(struct batch *b, const struct ringmpsc_span *s, size_t max_bytes)
{
	struct batch_resource *r = resource_for(b, s);
	bool fresh = !r;
	size_t before;

	if (fresh) {
		if (b->nr_resources == BATCH_MAX_RESOURCES)
			return -E2BIG;
		r = &b->res[b->nr_resources];
		r->pid = s->pid;
		r->service_len = s->service_len;
		memcpy(r->service, s->service, s->service_len);
		jbuf_reset(&r->json);
		otlp_json_resource_head(&r->json, s->service, s->service_len,
					s->pid);
	}
	before = fresh ? 0 : r->json.len;
	if (r->nr_spans)
		jbuf_putc(&r->json, ',');
	otlp_json_span(&r->json, s);
	if (r->json.oom) {
		r->json.len = before;
		r->json.oom = false;
		return -ENOMEM;
	}
	/* What the body grows by: the span (and comma), or a whole new
	 * resource with its tail and separator.
	 */
	size_t grow = r->json.len - before + (fresh ? RESOURCE_FIXED : 0);

	if (b->nr_spans && b->bytes + grow > max_bytes) {
		r->json.len = before;
		return -E2BIG;
	}
	if (fresh)
		b->nr_resources++;
	r->nr_spans++;
	b->nr_spans++;
	b->bytes += grow;
	return 0;
}

int batch_seal(struct batch *b)
{
	jbuf_reset(&b->body);
	if (!jbuf_reserve(&b->body, b->bytes))
		return -ENOMEM;
	jbuf_puts(&b->body, OTLP_JSON_REQUEST_HEAD);
	for (uint32_t i = 0; i < b->nr_resources; i++) {
		if (i)
			jbuf_putc(&b->body, ',');
		jbuf_put(&b->body, b->res[i].json.p, b->res[i].json.len);
		jbuf_puts(&b->body, OTLP_JSON_RESOURCE_TAIL);
	}
	jbuf_puts(&b->body, OTLP_JSON_REQUEST_TAIL);
	/* The accounting of batch_add() is exact, less one comma that the
	 * first resource does not need: max_bytes holds for the body.
	 * INV-COLL-05.
	 */
	RINGMPSC_INV(b->body.len + 1 == b->bytes || b->nr_resources == 0,
		     "INV-COLL-05");
	return b->body.oom ? -ENOMEM : 0;
}
