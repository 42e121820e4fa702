/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringmpsc: tracepoints of a channel's life (spec.md section 7,
 * "Tracepoints"): create, unlink, attach and detach of either side,
 * recycle (and discard) of a ring, the WAKE ioctl. trace.c instantiates
 * them; everything else only calls trace_ringmpsc_*().
 *
 * Names are copied into a dynamic array rather than with __string() and
 * __assign_str(), whose arguments differ between the kernels we build for.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ringmpsc

#if !defined(RMPSC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define RMPSC_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>

#include "rmpsc.h"

#define rmpsc_trace_role(role)						\
	__print_symbolic(role, { RINGMPSC_ROLE_PRODUCER, "producer" },	\
			 { RINGMPSC_ROLE_CONSUMER, "consumer" })

/* Every event carries the channel's name. */
#define rmpsc_trace_name_field	__dynamic_array(char, name, strlen(ch->name) + 1)
#define rmpsc_trace_name_assign						\
	memcpy(__get_dynamic_array(name), ch->name,			\
	       __get_dynamic_array_len(name))

TRACE_EVENT(ringmpsc_create,
	    TP_PROTO(struct rmpsc_chan *ch),
	    TP_ARGS(ch),
	    TP_STRUCT__entry(rmpsc_trace_name_field
			     __field(u32, slot_size)
			     __field(u32, capacity)
			     __field(u32, max_producers)
			     __field(u32, mode)),
	    TP_fast_assign(rmpsc_trace_name_assign;
			   __entry->slot_size = ch->slot_size;
			   __entry->capacity = ch->capacity;
			   __entry->max_producers = ch->nr_rings;
			   __entry->mode = ch->mode;),
	    TP_printk("name=%s slot_size=%u capacity=%u max_producers=%u mode=%03o",
		      __get_str(name), __entry->slot_size, __entry->capacity,
		      __entry->max_producers, __entry->mode)
);

TRACE_EVENT(ringmpsc_unlink,
	    TP_PROTO(struct rmpsc_chan *ch),
	    TP_ARGS(ch),
	    TP_STRUCT__entry(rmpsc_trace_name_field),
	    TP_fast_assign(rmpsc_trace_name_assign;),
	    TP_printk("name=%s", __get_str(name))
);

/* A side of @ch attaches or leaves; the consumer's ring is -1. */
DECLARE_EVENT_CLASS(ringmpsc_side,
		    TP_PROTO(struct rmpsc_chan *ch, u32 role, u32 ring,
			     u32 generation),
		    TP_ARGS(ch, role, ring, generation),
		    TP_STRUCT__entry(rmpsc_trace_name_field
				     __field(u32, role)
				     __field(u32, ring)
				     __field(u32, generation)),
		    TP_fast_assign(rmpsc_trace_name_assign;
				   __entry->role = role;
				   __entry->ring = ring;
				   __entry->generation = generation;),
		    TP_printk("name=%s role=%s ring=%d generation=%u",
			      __get_str(name), rmpsc_trace_role(__entry->role),
			      (int)__entry->ring, __entry->generation)
);

DEFINE_EVENT(ringmpsc_side, ringmpsc_attach,
	     TP_PROTO(struct rmpsc_chan *ch, u32 role, u32 ring, u32 generation),
	     TP_ARGS(ch, role, ring, generation)
);

DEFINE_EVENT(ringmpsc_side, ringmpsc_detach,
	     TP_PROTO(struct rmpsc_chan *ch, u32 role, u32 ring, u32 generation),
	     TP_ARGS(ch, role, ring, generation)
);

/* Ring @ring is FREE again with @generation; @dropped messages went. */
TRACE_EVENT(ringmpsc_recycle,
	    TP_PROTO(struct rmpsc_chan *ch, u32 ring, u32 generation,
		     u64 dropped),
	    TP_ARGS(ch, ring, generation, dropped),
	    TP_STRUCT__entry(rmpsc_trace_name_field
			     __field(u32, ring)
			     __field(u32, generation)
			     __field(u64, dropped)),
	    TP_fast_assign(rmpsc_trace_name_assign;
			   __entry->ring = ring;
			   __entry->generation = generation;
			   __entry->dropped = dropped;),
	    TP_printk("name=%s ring=%u generation=%u dropped=%llu",
		      __get_str(name), __entry->ring, __entry->generation,
		      __entry->dropped)
);

/* The WAKE ioctl of a @role; @ring is the consumer's target ring. */
TRACE_EVENT(ringmpsc_wake,
	    TP_PROTO(struct rmpsc_chan *ch, u32 role, u32 ring),
	    TP_ARGS(ch, role, ring),
	    TP_STRUCT__entry(rmpsc_trace_name_field
			     __field(u32, role)
			     __field(u32, ring)),
	    TP_fast_assign(rmpsc_trace_name_assign;
			   __entry->role = role;
			   __entry->ring = ring;),
	    TP_printk("name=%s role=%s ring=%u", __get_str(name),
		      rmpsc_trace_role(__entry->role), __entry->ring)
);

#endif /* RMPSC_TRACE_H */

/* The header is in kmod/, not include/trace/events/ (Kbuild: -I$(src)). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
