// SPDX-License-Identifier: MIT
/*
 * ringmpsc(1): the views of view.h. Names are escaped on the way out (a
 * name may hold any byte but '/' and NUL): as \xHH on a terminal, as
 * JSON escapes in JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "json.h"
#include "view.h"

/* A ring's rates between two samples, when both saw one generation. */
struct rates {
	bool valid;
	double produced, consumed;	/* messages per second */
};

static const char *const ring_state_names[] = {
	[RINGMPSC_RING_UNUSED] = "unused",
	[RINGMPSC_RING_FREE] = "free",
	[RINGMPSC_RING_ACTIVE] = "active",
	[RINGMPSC_RING_DETACHED] = "detached",
};

/* @s for a terminal: bytes that are not printable ASCII as \xHH. */
static void print_name(const char *s, int width)
{
	int n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			n += printf("%c", c);
		else
			n += printf("\\x%02x", c);
	}
	printf("%*s", width > n ? width - n : 0, "");
}

static void format_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&sec, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%" PRIu64, ns);
}

static void json_desc(struct json *j, const struct ringmpsc_chan_desc *d)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%04o", d->mode);
	json_u64(j, "uid", d->uid);
	json_u64(j, "gid", d->gid);
	json_str(j, "mode", buf);
	json_u64(j, "slot_size", d->slot_size);
	json_u64(j, "capacity", d->capacity);
	json_u64(j, "max_producers", d->max_producers);
	json_bool(j, "consumer_attached",
		  d->consumer_state == RINGMPSC_CONSUMER_PRESENT);
	json_open(j, "rings_by_state", '{');
	json_u64(j, "unused", d->rings_unused);
	json_u64(j, "free", d->rings_free);
	json_u64(j, "active", d->rings_active);
	json_u64(j, "detached", d->rings_detached);
	json_close(j, '}');
	format_time(d->created_ns, buf, sizeof(buf));
	json_str(j, "created", buf);
	json_u64(j, "bytes_allocated", d->bytes_allocated);
}

void view_list(const struct ringmpsc_list_entry *v, int n, bool json)
{
	struct json j;
	char when[64];
	int i;

	if (json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "channels", '[');
		for (i = 0; i < n; i++) {
			bool readable = v[i].desc.flags & RINGMPSC_CHAN_F_READABLE;

			json_open(&j, NULL, '{');
			json_str(&j, "name", v[i].name);
			json_bool(&j, "readable", readable);
			if (readable) {
				json_bool(&j, "linked", v[i].desc.flags &
					  RINGMPSC_CHAN_F_LINKED);
				json_desc(&j, &v[i].desc);
			}
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	} else {
		printf("%-24s %6s %5s %5s %8s %7s %-22s %-8s %s\n", "NAME", "UID",
		       "MODE", "SLOT", "CAPACITY", "RINGS", "ACTIVE/DETACHED/FREE",
		       "CONSUMER", "CREATED");
		for (i = 0; i < n; i++) {
			const struct ringmpsc_chan_desc *d = &v[i].desc;
			char rings[48];

			if (d->flags & RINGMPSC_CHAN_F_READABLE &&
			    !(d->flags & RINGMPSC_CHAN_F_LINKED)) {
				/* Its name is free again: mark it. */
				print_name(v[i].name, 0);
				printf(" (unlinked)\n%24s", "");
			} else {
				print_name(v[i].name, 24);
			}
			if (!(d->flags & RINGMPSC_CHAN_F_READABLE)) {
				printf(" (no read permission)\n");
				continue;
			}
			snprintf(rings, sizeof(rings), "%u/%u/%u", d->rings_active,
				 d->rings_detached, d->rings_free);
			format_time(d->created_ns, when, sizeof(when));
			printf(" %6u %5.4o %5u %8u %7u %-22s %-8s %s\n", d->uid,
			       d->mode, d->slot_size, d->capacity,
			       d->max_producers, rings,
			       d->consumer_state == RINGMPSC_CONSUMER_PRESENT ?
			       "yes" : "no", when);
		}
	}
}

/* Rates of ring @i from @a to @b (@a NULL: none). */
static struct rates ring_rates(const struct sample *a, const struct sample *b,
			       uint32_t i)
{
	struct rates r = { 0 };
	const struct ringmpsc_stat_ring *x, *y;
	double dt;

	if (!a || i >= a->nr || b->t <= a->t)
		return r;
	x = &a->rings[i];
	y = &b->rings[i];
	/* Indices restart at a recycle: no rate across generations. */
	if (x->state == RINGMPSC_RING_UNUSED || y->state == RINGMPSC_RING_UNUSED ||
	    x->generation != y->generation ||
	    ((x->flags | y->flags) & RINGMPSC_STAT_RING_F_CORRUPT) ||
	    y->tail < x->tail || y->head < x->head)
		return r;
	dt = b->t - a->t;
	r.valid = true;
	r.produced = (double)(y->tail - x->tail) / dt;
	r.consumed = (double)(y->head - x->head) / dt;
	return r;
}

static void json_stat(const char *name, const struct sample *a,
		      const struct sample *b)
{
	const struct ringmpsc_counters *c = &b->st.counters;
	struct json j;
	uint32_t i;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "name", name);
	json_bool(&j, "linked", b->st.desc.flags & RINGMPSC_CHAN_F_LINKED);
	json_desc(&j, &b->st.desc);
	json_u64(&j, "consumer_pid", b->st.consumer_pid);
	if (a)
		json_double(&j, "interval_ms", (b->t - a->t) * 1e3);
	json_open(&j, "counters", '{');
	json_u64(&j, "producer_attaches", c->producer_attaches);
	json_u64(&j, "producer_detaches", c->producer_detaches);
	json_u64(&j, "consumer_attaches", c->consumer_attaches);
	json_u64(&j, "consumer_detaches", c->consumer_detaches);
	json_u64(&j, "recycles", c->recycles);
	json_u64(&j, "discards", c->discards);
	json_u64(&j, "consumer_wakeups", c->consumer_wakeups);
	json_u64(&j, "producer_wakeups", c->producer_wakeups);
	json_u64(&j, "refused_perm", c->refused_perm);
	json_u64(&j, "refused_busy", c->refused_busy);
	json_u64(&j, "refused_full", c->refused_full);
	json_u64(&j, "refused_nomem", c->refused_nomem);
	json_close(&j, '}');
	json_open(&j, "rings", '[');
	for (i = 0; i < b->nr; i++) {
		const struct ringmpsc_stat_ring *r = &b->rings[i];
		struct rates rt = ring_rates(a, b, i);

		json_open(&j, NULL, '{');
		json_u64(&j, "index", i);
		json_str(&j, "state", r->state < 4 ? ring_state_names[r->state] : "?");
		json_u64(&j, "generation", r->generation);
		json_u64(&j, "producer_pid", r->producer_pid);
		json_u64(&j, "head", r->head);
		json_u64(&j, "tail", r->tail);
		json_u64(&j, "backlog", r->backlog);
		json_bool(&j, "corrupt", r->flags & RINGMPSC_STAT_RING_F_CORRUPT);
		if (rt.valid) {
			json_double(&j, "produced_per_sec", rt.produced);
			json_double(&j, "consumed_per_sec", rt.consumed);
			json_double(&j, "produced_bytes_per_sec",
				    rt.produced * b->st.desc.slot_size);
		}
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

static void text_stat(const char *name, const struct sample *a,
		      const struct sample *b)
{
	const struct ringmpsc_chan_desc *d = &b->st.desc;
	const struct ringmpsc_counters *c = &b->st.counters;
	char when[64];
	uint32_t i;

	format_time(d->created_ns, when, sizeof(when));
	printf("channel   ");
	print_name(name, 0);
	printf("\nowner     uid %u gid %u mode %04o, created %s\n", d->uid,
	       d->gid, d->mode, when);
	printf("rings     %u x %u slots of %u bytes: %u active, %u detached, %u free, %u unused; %" PRIu64 " bytes allocated\n",
	       d->max_producers, d->capacity, d->slot_size, d->rings_active,
	       d->rings_detached, d->rings_free, d->rings_unused,
	       (uint64_t)d->bytes_allocated);
	if (d->consumer_state == RINGMPSC_CONSUMER_PRESENT)
		printf("consumer  attached, pid %u\n", b->st.consumer_pid);
	else
		printf("consumer  none\n");
	printf("attaches  producer %llu (detached %llu), consumer %llu (detached %llu)\n",
	       (unsigned long long)c->producer_attaches,
	       (unsigned long long)c->producer_detaches,
	       (unsigned long long)c->consumer_attaches,
	       (unsigned long long)c->consumer_detaches);
	printf("recycles  %llu (%llu of them discarding messages)\n",
	       (unsigned long long)c->recycles, (unsigned long long)c->discards);
	printf("wakeups   consumer %llu, producers %llu\n",
	       (unsigned long long)c->consumer_wakeups,
	       (unsigned long long)c->producer_wakeups);
	printf("refused   permission %llu, consumer busy %llu, no ring %llu, no memory %llu\n\n",
	       (unsigned long long)c->refused_perm,
	       (unsigned long long)c->refused_busy,
	       (unsigned long long)c->refused_full,
	       (unsigned long long)c->refused_nomem);
	printf("%5s %-9s %6s %8s %12s %12s %10s", "RING", "STATE", "GEN", "PID",
	       "HEAD", "TAIL", "BACKLOG");
	printf(a ? " %10s %10s %12s\n" : "\n", "MSG/S IN", "MSG/S OUT",
	       "BYTES/S IN");
	for (i = 0; i < b->nr; i++) {
		const struct ringmpsc_stat_ring *r = &b->rings[i];
		struct rates rt = ring_rates(a, b, i);

		if (r->state == RINGMPSC_RING_UNUSED)
			continue;
		printf("%5u %-9s %6u ", i,
		       r->state < 4 ? ring_state_names[r->state] : "?",
		       r->generation);
		if (r->producer_pid)
			printf("%8u", r->producer_pid);
		else
			printf("%8s", "-");
		printf(" %12llu %12llu ", (unsigned long long)r->head,
		       (unsigned long long)r->tail);
		if (r->flags & RINGMPSC_STAT_RING_F_CORRUPT)
			printf("%10s", "corrupt");
		else
			printf("%10llu", (unsigned long long)r->backlog);
		if (rt.valid)
			printf(" %10.0f %10.0f %12.0f", rt.produced, rt.consumed,
			       rt.produced * d->slot_size);
		printf("\n");
	}
	fflush(stdout);
}

void view_stat(const char *name, const struct sample *a,
	       const struct sample *b, bool json)
{
	if (json)
		json_stat(name, a, b);
	else
		text_stat(name, a, b);
}
