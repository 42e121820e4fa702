// SPDX-License-Identifier: MIT
/* The built-in load producers (loadgen.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

#define LOADGEN_EPOCH_NS	1700000000000000000ull

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void span_id_of(uint8_t id[8], uint32_t producer, uint64_t seq)
{
	put_be(id, ((uint64_t)(producer + 1) << 40) | (seq & 0xffffffffffull), 8);
}

/* @v in decimal at @p, NUL-terminated; returns the end (at the NUL). */
static char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(p, tmp + n, sizeof(tmp) - n);
	p += sizeof(tmp) - n;
	*p = '\0';
	return p;
}

/*
 * The span's strings are formatted by hand: with snprintf() they were
 * half of what a span cost the producer, the same on the ring and the
 * socket side of bench_e2e, and hid what the transports cost.
 */
void loadgen_span(struct ringmpsc_span *s, const struct ringmpsc_span_writer *w,
		  uint32_t producer, uint64_t seq)
{
	static const char *const trailer = "RMPC";
	/* What a JSON encoder must escape or replace (INV-COLL-02): a
	 * quote, a backslash, a control character, a byte that is not
	 * UTF-8 (becomes U+FFFD), then a 3-byte character.
	 */
	static const char label_tail[] = "\"\\\x01\xff\xe2\x82\xac";
	uint8_t trace_id[16], span_id[8], parent[8];
	char name[8] = "op-", label[32] = "v", msg[8] = "err";

	put_be(trace_id, producer, 4);
	put_be(trace_id + 4, seq, 8);
	memcpy(trace_id + 12, trailer, 4);
	span_id_of(span_id, producer, seq);
	span_id_of(parent, producer, seq - 1);
	put_dec(name + 3, seq % 7);
	ringmpsc_span_init(s, w, trace_id, span_id, seq % 4 ? parent : NULL,
			   name, (enum ringmpsc_span_kind)(1 + seq % 5));
	s->start_ns = LOADGEN_EPOCH_NS + seq * 1000;
	s->end_ns = s->start_ns + 500 + seq % 1000;
	memcpy(put_dec(label + 1, seq), label_tail, sizeof(label_tail));
	ringmpsc_span_attr_int(s, "seq", (int64_t)seq);
	ringmpsc_span_attr_int(s, "producer", producer);
	ringmpsc_span_attr_str(s, "label", label);
	ringmpsc_span_attr_double(s, "half", (double)seq / 2);
	ringmpsc_span_attr_bool(s, "odd", seq & 1);
	put_dec(msg + 3, seq % 10);
	ringmpsc_span_set_status(s, (enum ringmpsc_span_status)(seq % 3),
				 seq % 3 == RINGMPSC_SPAN_STATUS_ERROR ? msg : NULL);
}

static uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int loadgen_run(struct ringmpsc_producer *p, uint32_t producer,
		uint64_t count, double rate)
{
	struct ringmpsc_span_writer w;
	char service[16];
	uint64_t start = mono_now_ns();
	int err;

	snprintf(service, sizeof(service), "load-%u", producer);
	err = ringmpsc_span_writer_init(&w, p, service, (uint32_t)getpid(), -1);
	if (err) {
		fprintf(stderr, "ringmpsc-collector: load producer %u: %s\n",
			producer, strerror(-err));
		return 1;
	}
	for (uint64_t seq = 0; !count || seq < count; seq++) {
		struct ringmpsc_span *s = NULL;

		if (rate > 0) {
			uint64_t due = start + (uint64_t)((double)seq * 1e9 / rate);
			uint64_t now = mono_now_ns();

			if (due > now) {
				struct timespec ts = {
					.tv_sec = (time_t)((due - now) / 1000000000u),
					.tv_nsec = (long)((due - now) % 1000000000u),
				};
				nanosleep(&ts, NULL);
			}
		}
		/* One reserve, the span written in place, one commit. */
		err = ringmpsc_span_reserve(&w, &s);
		while (err == -EPIPE) {
			/* A full ring and no collector attached (it is being
			 * restarted): wait for one, keep this span.
			 */
			struct timespec pause = { .tv_nsec = 10000000 };

			nanosleep(&pause, NULL);
			err = ringmpsc_span_reserve(&w, &s);
		}
		if (err) {
			fprintf(stderr, "ringmpsc-collector: load producer %u: %s\n",
				producer, strerror(-err));
			return 1;
		}
		loadgen_span(s, &w, producer, seq);
		err = ringmpsc_span_commit(&w);
		if (err)
			return 1;
	}
	return 0;
}
