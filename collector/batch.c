// SPDX-License-Identifier: MIT
/*
 * Batches: spans encoded into per-resource fragments as they arrive, the
 * size accounting that keeps a request under max_bytes, and the assembly
 * of the request body (batch.h), in the batch's encoding.
 */
#include <errno.h>
#include <string.h>

#include "batch.h"

void batch_reset(struct batch *b)
{
	for (uint32_t i = 0; i < b->nr_resources; i++) {
		jbuf_reset(&b->res[i].frag);
		b->res[i].nr_spans = 0;
	}
	jbuf_reset(&b->body);
	b->nr_resources = 0;
	b->nr_spans = 0;
	b->bytes = b->enc->request_fixed;
	b->attempts = 0;
	b->probe = false;
	b->segments = 0;
	b->opened_ns = b->first_try_ns = b->try_start_ns = 0;
	b->next = NULL;
}

void batch_free(struct batch *b)
{
	for (uint32_t i = 0; i < BATCH_MAX_RESOURCES; i++)
		jbuf_free(&b->res[i].frag);
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
	size_t prefix = b->enc->frag_prefix, before, grow;

	if (fresh) {
		if (b->nr_resources == BATCH_MAX_RESOURCES)
			return -E2BIG;
		r = &b->res[b->nr_resources];
		r->pid = s->pid;
		r->service_len = s->service_len;
		memcpy(r->service, s->service, s->service_len);
		jbuf_reset(&r->frag);
		if (jbuf_reserve(&r->frag, prefix))
			r->frag.len = prefix;
		b->enc->resource_head(&r->frag, s->service, s->service_len,
				      s->pid);
	}
	before = fresh ? prefix : r->frag.len;
	b->enc->span(&r->frag, s, r->nr_spans == 0);
	if (r->frag.oom) {
		r->frag.len = before;
		r->frag.oom = false;
		return -ENOMEM;
	}
	/* What the body grows by: the span, or a whole new resource. */
	grow = r->frag.len - before +
	       (fresh ? b->enc->resource_cost(s->service_len) : 0);
	if (b->nr_spans && b->bytes + grow > max_bytes) {
		r->frag.len = before;
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
	b->enc->seal(&b->body, b);
	/* The accounting of batch_add() bounds the body (exact for JSON but
	 * one comma): max_bytes holds for it. INV-COLL-05.
	 */
	RINGMPSC_INV(b->body.len <= b->bytes, "INV-COLL-05");
	return b->body.oom ? -ENOMEM : 0;
}
