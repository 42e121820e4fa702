// SPDX-License-Identifier: MIT
/*
 * Checking span records written by untrusted producers (record.h): every
 * length within its field, every enumerated value known, reserved bytes
 * zero, ids not zero. Nothing downstream reads a field this has not
 * bounded.
 */
#include <string.h>

#include "record.h"

const char *const record_fault_names[RECORD_FAULTS] = {
	[RECORD_OK] = "ok",
	[RECORD_BAD_VERSION] = "version",
	[RECORD_BAD_LENGTH] = "length",
	[RECORD_BAD_VALUE] = "value",
	[RECORD_BAD_ID] = "id",
	[RECORD_BAD_TIME] = "time",
};

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static enum record_fault attr_check(const struct ringmpsc_span_attr *a)
{
	if (a->key_len == 0 || a->key_len > RINGMPSC_SPAN_KEY_MAX)
		return RECORD_BAD_LENGTH;
	if (a->reserved)
		return RECORD_BAD_VALUE;
	switch (a->type) {
	case RINGMPSC_SPAN_ATTR_STRING:
		return a->str_len <= RINGMPSC_SPAN_STR_MAX ? RECORD_OK
							   : RECORD_BAD_LENGTH;
	case RINGMPSC_SPAN_ATTR_BOOL:
		return a->v.b <= 1 ? RECORD_OK : RECORD_BAD_VALUE;
	case RINGMPSC_SPAN_ATTR_INT:
	case RINGMPSC_SPAN_ATTR_DOUBLE:
		return RECORD_OK;
	default:
		return RECORD_BAD_VALUE;
	}
}

enum record_fault record_check(const struct ringmpsc_span *s)
{
	enum record_fault f;

	if (s->version != RINGMPSC_SPAN_VERSION || s->size != RINGMPSC_SPAN_SIZE)
		return RECORD_BAD_VERSION;
	if (s->name_len == 0 || s->name_len > RINGMPSC_SPAN_NAME_MAX ||
	    s->service_len > RINGMPSC_SPAN_SERVICE_MAX ||
	    s->status_msg_len > RINGMPSC_SPAN_STATUS_MAX ||
	    s->nr_attrs > RINGMPSC_SPAN_ATTRS_MAX)
		return RECORD_BAD_LENGTH;
	if (s->kind > RINGMPSC_SPAN_KIND_CONSUMER ||
	    s->status > RINGMPSC_SPAN_STATUS_ERROR ||
	    s->reserved || s->reserved2)
		return RECORD_BAD_VALUE;
	if (all_zero(s->trace_id, sizeof(s->trace_id)) ||
	    all_zero(s->span_id, sizeof(s->span_id)))
		return RECORD_BAD_ID;
	if (s->end_ns < s->start_ns)
		return RECORD_BAD_TIME;
	for (uint32_t i = 0; i < s->nr_attrs; i++) {
		f = attr_check(&s->attrs[i]);
		if (f != RECORD_OK)
			return f;
	}
	return RECORD_OK;
}

enum record_fault record_take(struct ringmpsc_span *out, const void *slot)
{
	/* The slot is read once, as plain bytes: a producer that writes it
	 * after its commit (a broken or hostile one) can change what we
	 * copy, never what we checked. The slot is below the tail we
	 * load-acquired (INV-RING-05), so an honest producer's bytes are all
	 * there. INV-COLL-01.
	 */
	memcpy(out, slot, sizeof(*out));
	return record_check(out);
}
