/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringmpsc: differences between the kernels the module builds against.
 * Each RMPSC_HAVE_* comes from a compile probe in Kbuild, never from a
 * version number.
 */
#ifndef RMPSC_COMPAT_H
#define RMPSC_COMPAT_H

#include <linux/eventfd.h>
#include <linux/mm.h>

static inline void rmpsc_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef RMPSC_HAVE_EVENTFD_SIGNAL_1ARG
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

static inline void rmpsc_vm_flags_set(struct vm_area_struct *vma,
				      unsigned long flags)
{
#ifdef RMPSC_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void rmpsc_vm_flags_clear(struct vm_area_struct *vma,
					unsigned long flags)
{
#ifdef RMPSC_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

#endif /* RMPSC_COMPAT_H */
