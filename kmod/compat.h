/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringmpsc: differences between the kernels the module builds against.
 * Each RMPSC_HAVE_* comes from a compile probe in Kbuild, never from a
 * version number.
 */
#ifndef RMPSC_COMPAT_H
#define RMPSC_COMPAT_H

#include <linux/eventfd.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/refcount.h>

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

/*
 * A linked channel pins its IPC namespace. put_ipc_ns() is exported only
 * by newer kernels; elsewhere the reference is dropped only if it is not
 * the last one (the namespace then outlives its last task: a bounded leak
 * that happens only if a namespace dies with channels still linked).
 */
static inline void rmpsc_put_ipc_ns(struct ipc_namespace *ns)
{
#ifdef RMPSC_HAVE_PUT_IPC_NS
	put_ipc_ns(ns);
#else
	if (!refcount_dec_not_one(&ns->ns.count))
		pr_info_once("ringmpsc: kept a dead IPC namespace\n");
#endif
}

#endif /* RMPSC_COMPAT_H */
