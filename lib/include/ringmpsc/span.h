/* SPDX-License-Identifier: MIT */
/*
 * <ringmpsc/span.h>: record trace spans into a ringmpsc channel for
 * ringmpsc-collector(8), which ships them over OTLP. Header-only, on top
 * of the public API of <ringmpsc.h>: a span is one slot of 512 bytes,
 * written with one reserve and one commit, with no allocation and no
 * system call (unless the ring is full and the writer chose to wait).
 *
 * The slot layout below is a shared-memory format: the collector copies
 * each record out of the ring and checks it before use (spec.md, section
 * "Collector", INV-COLL-01); a record it rejects is counted and skipped.
 * Strings are bytes with an explicit length, no NUL needed, expected to be
 * UTF-8 (the collector replaces invalid sequences with U+FFFD). Setters
 * truncate what is longer than its field, at a UTF-8 character boundary.
 */
#ifndef RINGMPSC_SPAN_H
#define RINGMPSC_SPAN_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <ringmpsc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RINGMPSC_SPAN_VERSION	1	/* layout below; bumped on change */
#define RINGMPSC_SPAN_SIZE	512	/* bytes: the channel's slot_size */
#define RINGMPSC_SPAN_SERVICE_MAX 32	/* bytes of service.name */
#define RINGMPSC_SPAN_NAME_MAX	64	/* bytes of the span name */
#define RINGMPSC_SPAN_STATUS_MAX 31	/* bytes of the status message */
#define RINGMPSC_SPAN_ATTRS_MAX	5	/* attributes per span */
#define RINGMPSC_SPAN_KEY_MAX	28	/* bytes of an attribute key */
#define RINGMPSC_SPAN_STR_MAX	32	/* bytes of a string attribute value */

/* OTLP's SpanKind and Status.StatusCode, same numbers. */
enum ringmpsc_span_kind {
	RINGMPSC_SPAN_KIND_UNSPECIFIED = 0,
	RINGMPSC_SPAN_KIND_INTERNAL = 1,
	RINGMPSC_SPAN_KIND_SERVER = 2,
	RINGMPSC_SPAN_KIND_CLIENT = 3,
	RINGMPSC_SPAN_KIND_PRODUCER = 4,
	RINGMPSC_SPAN_KIND_CONSUMER = 5,
};

enum ringmpsc_span_status {
	RINGMPSC_SPAN_STATUS_UNSET = 0,
	RINGMPSC_SPAN_STATUS_OK = 1,
	RINGMPSC_SPAN_STATUS_ERROR = 2,
};

enum ringmpsc_span_attr_type {
	RINGMPSC_SPAN_ATTR_STRING = 1,
	RINGMPSC_SPAN_ATTR_INT = 2,
	RINGMPSC_SPAN_ATTR_DOUBLE = 3,
	RINGMPSC_SPAN_ATTR_BOOL = 4,
};

/* One attribute, 64 bytes. */
struct ringmpsc_span_attr {
	uint8_t type;			/* enum ringmpsc_span_attr_type */
	uint8_t key_len;		/* 1..RINGMPSC_SPAN_KEY_MAX */
	uint8_t str_len;		/* STRING: 0..RINGMPSC_SPAN_STR_MAX */
	uint8_t reserved;		/* 0 */
	char key[RINGMPSC_SPAN_KEY_MAX];
	union {
		int64_t i;		/* INT */
		double d;		/* DOUBLE */
		uint64_t b;		/* BOOL: 0 or 1 */
		char str[RINGMPSC_SPAN_STR_MAX];	/* STRING */
	} v;
};

/*
 * One span, one slot. Times are nanoseconds since the Unix epoch
 * (CLOCK_REALTIME, as OTLP wants). Bytes past a length are ignored and
 * need not be written; the reserved ones must be zero (a later version may
 * use them).
 */
struct ringmpsc_span {
	uint16_t version;		/*   0: RINGMPSC_SPAN_VERSION */
	uint16_t size;			/*   2: RINGMPSC_SPAN_SIZE */
	uint8_t kind;			/*   4: enum ringmpsc_span_kind */
	uint8_t status;			/*   5: enum ringmpsc_span_status */
	uint8_t name_len;		/*   6: 1..RINGMPSC_SPAN_NAME_MAX */
	uint8_t nr_attrs;		/*   7: 0..RINGMPSC_SPAN_ATTRS_MAX */
	uint8_t trace_id[16];		/*   8: not all zero */
	uint8_t span_id[8];		/*  24: not all zero */
	uint8_t parent_span_id[8];	/*  32: all zero for a root span */
	uint64_t start_ns;		/*  40 */
	uint64_t end_ns;		/*  48: >= start_ns */
	uint32_t pid;			/*  56: process.pid of the resource */
	uint8_t service_len;		/*  60: 0..RINGMPSC_SPAN_SERVICE_MAX */
	uint8_t dropped_attrs;		/*  61: attributes that did not fit */
	uint8_t status_msg_len;		/*  62: 0..RINGMPSC_SPAN_STATUS_MAX */
	uint8_t reserved;		/*  63: 0 */
	char service[RINGMPSC_SPAN_SERVICE_MAX];	/*  64: service.name */
	char name[RINGMPSC_SPAN_NAME_MAX];		/*  96 */
	struct ringmpsc_span_attr attrs[RINGMPSC_SPAN_ATTRS_MAX]; /* 160 */
	char status_msg[RINGMPSC_SPAN_STATUS_MAX];	/* 480 */
	uint8_t reserved2;		/* 511: 0 */
};

RINGMPSC_STATIC_ASSERT(sizeof(struct ringmpsc_span_attr) == 64, "attribute layout");
RINGMPSC_STATIC_ASSERT(sizeof(struct ringmpsc_span) == RINGMPSC_SPAN_SIZE, "span layout");
RINGMPSC_STATIC_ASSERT(offsetof(struct ringmpsc_span, attrs) == 160, "span layout");

/*
 * A writer: a producer handle of a channel whose slot_size is
 * RINGMPSC_SPAN_SIZE, the resource its spans carry, what to do when the
 * ring is full, and what that cost. Private to one thread.
 *
 * full_timeout_ms: 0 drops the span and counts it in dropped (no system
 * call ever); > 0 waits up to that long for space (ringmpsc_wait_space(),
 * which sleeps on an eventfd), then drops and counts; < 0 waits for ever.
 * A module channel with no collector attached fills up and then drops;
 * a waiting writer gives up at once then (-EPIPE, counted too).
 */
struct ringmpsc_span_writer {
	struct ringmpsc_producer *p;
	int full_timeout_ms;
	uint32_t pid;
	uint8_t service_len;
	char service[RINGMPSC_SPAN_SERVICE_MAX];
	uint64_t written;	/* spans committed */
	uint64_t dropped;	/* spans dropped: ring full (or no collector) */
	uint64_t waits;		/* times the writer slept for space */
};

/* Nanoseconds since the Unix epoch; the vDSO answers, no system call.
 * timespec_get() is C11's (and C++17's) CLOCK_REALTIME: no POSIX feature
 * macro is needed to include this header.
 */
static inline uint64_t ringmpsc_span_now_ns(void)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* How many of the first @max bytes of @s to keep: stop before a UTF-8
 * sequence that would be cut.
 */
static inline size_t ringmpsc__span_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	/* Back up over continuation bytes (10xxxxxx) to a lead byte, and
	 * drop that lead byte too: its sequence does not fit.
	 */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static inline uint8_t ringmpsc__span_copy(char *dst, size_t max,
					  const char *src, size_t len)
{
	size_t n = ringmpsc__span_utf8_cut(src, len, max);

	memcpy(dst, src, n);
	return (uint8_t)n;
}

/*
 * Start span @s: header, ids, name, kind; no attributes, status unset,
 * times zero. @parent_span_id NULL: a root span. @s may be a slot from
 * ringmpsc_span_reserve() or any memory (then ringmpsc_span_submit()).
 */
static inline void ringmpsc_span_init(struct ringmpsc_span *s,
				      const struct ringmpsc_span_writer *w,
				      const uint8_t trace_id[16],
				      const uint8_t span_id[8],
				      const uint8_t parent_span_id[8],
				      const char *name,
				      enum ringmpsc_span_kind kind)
{
	/* The 64-byte header, then what lengths cover: the rest of the
	 * slot is never read.
	 */
	memset(s, 0, 64);
	s->version = RINGMPSC_SPAN_VERSION;
	s->size = RINGMPSC_SPAN_SIZE;
	s->kind = (uint8_t)kind;
	memcpy(s->trace_id, trace_id, 16);
	memcpy(s->span_id, span_id, 8);
	if (parent_span_id)
		memcpy(s->parent_span_id, parent_span_id, 8);
	s->pid = w->pid;
	s->service_len = w->service_len;
	memcpy(s->service, w->service, w->service_len);
	s->name_len = ringmpsc__span_copy(s->name, RINGMPSC_SPAN_NAME_MAX,
					  name, strlen(name));
}

/* Take the next attribute entry for @key, or count it as dropped. */
static inline struct ringmpsc_span_attr *
ringmpsc__span_attr(struct ringmpsc_span *s, const char *key, uint8_t type)
{
	struct ringmpsc_span_attr *a;
	size_t key_len = strlen(key);

	if (s->nr_attrs >= RINGMPSC_SPAN_ATTRS_MAX || key_len == 0 ||
	    key_len > RINGMPSC_SPAN_KEY_MAX) {
		if (s->dropped_attrs < UINT8_MAX)
			s->dropped_attrs++;
		return NULL;
	}
	a = &s->attrs[s->nr_attrs++];
	a->type = type;
	a->key_len = (uint8_t)key_len;
	a->str_len = 0;
	a->reserved = 0;
	memcpy(a->key, key, key_len);
	return a;
}

/* Attributes. -ENOSPC: no room (RINGMPSC_SPAN_ATTRS_MAX), or a key empty
 * or longer than RINGMPSC_SPAN_KEY_MAX: counted in dropped_attrs, which
 * the collector exports as droppedAttributesCount. String values are
 * truncated to RINGMPSC_SPAN_STR_MAX bytes.
 */
static inline int ringmpsc_span_attr_str(struct ringmpsc_span *s,
					 const char *key, const char *value)
{
	struct ringmpsc_span_attr *a =
		ringmpsc__span_attr(s, key, RINGMPSC_SPAN_ATTR_STRING);

	if (!a)
		return -ENOSPC;
	a->str_len = ringmpsc__span_copy(a->v.str, RINGMPSC_SPAN_STR_MAX,
					 value, strlen(value));
	return 0;
}

/* A fixed-size value of @n bytes at @v, for the typed setters below. */
static inline int ringmpsc__span_attr_set(struct ringmpsc_span *s,
					  const char *key, uint8_t type,
					  const void *v, size_t n)
{
	struct ringmpsc_span_attr *a = ringmpsc__span_attr(s, key, type);

	if (!a)
		return -ENOSPC;
	memcpy(&a->v, v, n);
	return 0;
}

static inline int ringmpsc_span_attr_int(struct ringmpsc_span *s,
					 const char *key, int64_t value)
{
	return ringmpsc__span_attr_set(s, key, RINGMPSC_SPAN_ATTR_INT,
				       &value, sizeof(value));
}

static inline int ringmpsc_span_attr_double(struct ringmpsc_span *s,
					    const char *key, double value)
{
	return ringmpsc__span_attr_set(s, key, RINGMPSC_SPAN_ATTR_DOUBLE,
				       &value, sizeof(value));
}

static inline int ringmpsc_span_attr_bool(struct ringmpsc_span *s,
					  const char *key, bool value)
{
	uint64_t b = value ? 1 : 0;

	return ringmpsc__span_attr_set(s, key, RINGMPSC_SPAN_ATTR_BOOL,
				       &b, sizeof(b));
}

/* Status code and an optional message (NULL: none), truncated to
 * RINGMPSC_SPAN_STATUS_MAX bytes.
 */
static inline void ringmpsc_span_set_status(struct ringmpsc_span *s,
					    enum ringmpsc_span_status code,
					    const char *msg)
{
	s->status = (uint8_t)code;
	s->status_msg_len = msg ? ringmpsc__span_copy(s->status_msg,
						      RINGMPSC_SPAN_STATUS_MAX,
						      msg, strlen(msg)) : 0;
}

/*
 * Bind @w to producer @p. @service (NULL: none) becomes service.name,
 * truncated to RINGMPSC_SPAN_SERVICE_MAX bytes; @pid is process.pid
 * (the caller's getpid(), taken once: the header makes no system call).
 * -EMSGSIZE: @p's slots are not RINGMPSC_SPAN_SIZE bytes.
 */
static inline int ringmpsc_span_writer_init(struct ringmpsc_span_writer *w,
					    struct ringmpsc_producer *p,
					    const char *service, uint32_t pid,
					    int full_timeout_ms)
{
	memset(w, 0, sizeof(*w));
	if (p->slot_size != RINGMPSC_SPAN_SIZE)
		return -EMSGSIZE;
	w->p = p;
	w->pid = pid;
	w->full_timeout_ms = full_timeout_ms;
	if (service)
		w->service_len = ringmpsc__span_copy(w->service,
						     RINGMPSC_SPAN_SERVICE_MAX,
						     service, strlen(service));
	return 0;
}

/*
 * Reserve the next slot and point *@s at it: fill it in place with
 * ringmpsc_span_init() and the setters, then ringmpsc_span_commit() (or
 * ringmpsc_span_cancel()). Nothing is visible before the commit. When the
 * ring is full, the writer's policy applies: -EAGAIN (dropped, counted),
 * or a wait of full_timeout_ms, then -EAGAIN (counted) or -EPIPE (no
 * collector attached, counted). -EBUSY: a reservation is open.
 */
static inline int ringmpsc_span_reserve(struct ringmpsc_span_writer *w,
					struct ringmpsc_span **s)
{
	void *slot;
	int n, err;

	for (;;) {
		n = ringmpsc_reserve(w->p, 1, &slot);
		if (RINGMPSC_LIKELY(n > 0)) {
			*s = (struct ringmpsc_span *)slot;
			return 0;
		}
		if (n != -EAGAIN)
			return n;
		if (w->full_timeout_ms == 0)
			break;
		w->waits++;
		err = ringmpsc_wait_space(w->p, 1, w->full_timeout_ms);
		if (err == -ETIMEDOUT || err == -EPIPE) {
			w->dropped++;
			return err == -EPIPE ? -EPIPE : -EAGAIN;
		}
		if (err && err != -EINTR)
			return err;
	}
	w->dropped++;
	return -EAGAIN;
}

/* Publish the reserved span: one store-release of the ring's tail. */
static inline int ringmpsc_span_commit(struct ringmpsc_span_writer *w)
{
	int err = ringmpsc_commit(w->p, 1);

	if (!err)
		w->written++;
	return err;
}

/* Abandon the reserved span: nothing becomes visible. */
static inline void ringmpsc_span_cancel(struct ringmpsc_span_writer *w)
{
	(void)ringmpsc_commit(w->p, 0);
}

/*
 * Copy span @s, built anywhere (on the stack while the operation runs),
 * into the ring: one reserve, the bytes its lengths cover, one commit.
 * Returns as ringmpsc_span_reserve().
 */
static inline int ringmpsc_span_submit(struct ringmpsc_span_writer *w,
				       const struct ringmpsc_span *s)
{
	struct ringmpsc_span *slot = NULL;
	int err = ringmpsc_span_reserve(w, &slot);

	if (err)
		return err;
	/* Header, service and name; then the attributes in use and the
	 * status message. The bytes in between are never read.
	 */
	memcpy(slot, s, offsetof(struct ringmpsc_span, attrs));
	memcpy(slot->attrs, s->attrs,
	       (size_t)(s->nr_attrs <= RINGMPSC_SPAN_ATTRS_MAX ?
			s->nr_attrs : RINGMPSC_SPAN_ATTRS_MAX) *
	       sizeof(s->attrs[0]));
	memcpy(slot->status_msg, s->status_msg, sizeof(s->status_msg) + 1);
	return ringmpsc_span_commit(w);
}

#ifdef __cplusplus
}
#endif

#endif /* RINGMPSC_SPAN_H */
