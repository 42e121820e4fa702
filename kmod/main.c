// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: misc device /dev/ringmpsc, file operations and ioctl dispatch.
 *
 * Every ioctl argument is read here with copy_struct_from_user() using the
 * size the command number carries, so a larger future struct with zero
 * tail bytes is accepted (spec.md, section 5), and every result is copied
 * out here; the handlers work on kernel copies only.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "rmpsc.h"

static int ringmpsc_open(struct inode *inode, struct file *file)
{
	struct rmpsc_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

/* Last fd and last mapping are gone (each vma holds the file). */
static int ringmpsc_release(struct inode *inode, struct file *file)
{
	struct rmpsc_file *f = file->private_data;

	rmpsc_file_detach(f);
	if (f->mm)
		mmdrop(f->mm);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static int ringmpsc_mmap(struct file *file, struct vm_area_struct *vma)
{
	return rmpsc_mmap(file->private_data, vma);
}

/* Every command: its newest version (whose size is that of the struct
 * this module knows), the size of the oldest version still accepted if
 * that is smaller, and its handler.
 */
static const struct rmpsc_ioctl {
	unsigned int cmd;
	unsigned int minsize;
	long (*handler)(struct rmpsc_file *f, union rmpsc_ioc_arg *arg);
} rmpsc_ioctls[] = {
	{ RINGMPSC_IOC_CREATE, 0, rmpsc_ioc_create },
	{ RINGMPSC_IOC_ATTACH, 0, rmpsc_ioc_attach },
	{ RINGMPSC_IOC_INFO, RINGMPSC_INFO_SIZE_VER0, rmpsc_ioc_info },
	{ RINGMPSC_IOC_SET_EVENTFD, 0, rmpsc_ioc_set_eventfd },
	{ RINGMPSC_IOC_WAKE, 0, rmpsc_ioc_wake },
	{ RINGMPSC_IOC_RECYCLE, RINGMPSC_RECYCLE_SIZE_VER0, rmpsc_ioc_recycle },
	{ RINGMPSC_IOC_UNLINK, 0, rmpsc_ioc_unlink },
	{ RINGMPSC_IOC_STATS, 0, rmpsc_ioc_stats },
	{ RINGMPSC_IOC_LIST, 0, rmpsc_ioc_list },
	{ RINGMPSC_IOC_STAT, 0, rmpsc_ioc_stat },
};

/* The command of @cmd's number and direction, or NULL. */
static const struct rmpsc_ioctl *rmpsc_ioctl_find(unsigned int cmd)
{
	const struct rmpsc_ioctl *ioc;

	if (_IOC_TYPE(cmd) != RINGMPSC_IOC_MAGIC)
		return NULL;
	for (ioc = rmpsc_ioctls; ioc < rmpsc_ioctls + ARRAY_SIZE(rmpsc_ioctls);
	     ioc++)
		if (_IOC_NR(ioc->cmd) == _IOC_NR(cmd))
			return _IOC_DIR(ioc->cmd) == _IOC_DIR(cmd) ? ioc : NULL;
	return NULL;
}

static long ringmpsc_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct rmpsc_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct rmpsc_ioctl *ioc = rmpsc_ioctl_find(cmd);
	size_t usize = _IOC_SIZE(cmd), ksize;
	union rmpsc_ioc_arg a;
	long ret;

	if (!ioc)
		return -ENOTTY;
	ksize = _IOC_SIZE(ioc->cmd);
	/* Smaller than the first version of the struct. */
	if (usize < (ioc->minsize ?: ksize))
		return -EINVAL;

	memset(&a, 0, sizeof(a));
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(&a, ksize, uarg, usize);
		if (ret)
			return ret == -E2BIG ? -EINVAL : ret;
	}
	ret = ioc->handler(f, &a);
	if (ret || !(_IOC_DIR(cmd) & _IOC_READ))
		return ret;
	/* The result: the bytes we know, zeros for a larger user struct.
	 * A failed copy-out of ATTACH leaves the fd attached, as a failed
	 * copy-out of accept() leaves the socket. INV-MOD-04
	 */
	if (copy_to_user(uarg, &a, min(ksize, usize)))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

static void ringmpsc_show_fdinfo(struct seq_file *m, struct file *file)
{
	rmpsc_show_fdinfo(m, file->private_data);
}

static const struct file_operations ringmpsc_fops = {
	.owner		= THIS_MODULE,
	.open		= ringmpsc_open,
	.release	= ringmpsc_release,
	.mmap		= ringmpsc_mmap,
	.unlocked_ioctl	= ringmpsc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
	.show_fdinfo	= ringmpsc_show_fdinfo,
};

static struct miscdevice ringmpsc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ringmpsc",
	.fops	= &ringmpsc_fops,
	.mode	= 0666,
};

static int __init ringmpsc_init(void)
{
	return misc_register(&ringmpsc_misc);
}

/* Reached only when no channel exists and no fd is open: each linked
 * channel holds a module reference, each open file holds one via .owner.
 */
static void __exit ringmpsc_exit(void)
{
	misc_deregister(&ringmpsc_misc);
	rmpsc_registry_exit();
}

module_init(ringmpsc_init);
module_exit(ringmpsc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Multi-producer single-consumer channels over mmap'd rings");
MODULE_VERSION(RINGMPSC_VERSION_STRING);
