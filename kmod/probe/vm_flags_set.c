// SPDX-License-Identifier: GPL-2.0
/* Build probe: are vma flags changed through vm_flags_set() (6.3+)? */
#include <linux/mm.h>

void rmpsc_probe(struct vm_area_struct *vma);
void rmpsc_probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_DONTDUMP);
	vm_flags_clear(vma, VM_MAYWRITE);
}
