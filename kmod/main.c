// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: misc device /dev/ringmpsc, file operations and ioctl dispatch.
 *
 * Every ioctl argument is read with copy_struct_from_user() using the size
 * the command number carries, so a larger future struct with zero tail
 * bytes is accepted (spec.md, section 5).
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

union rmpsc_ioc_arg {
	struct ringmpsc_create create;
	struct ringmpsc_attach attach;
	struct ringmpsc_info info;
	struct ringmpsc_eventfd efd;
	struct ringmpsc_wake wake;
	struct ringmpsc_recycle recycle;
	struct ringmpsc_unlink unlink;
	struct ringmpsc_stats stats;
};

struct rmpsc_ioc_desc {
	unsigned int dir;	/* _IOC_READ / _IOC_WRITE of the command */
	unsigned int size;	/* size of the struct this module knows */
	unsigned int minsize;	/* size of the first version, if smaller */
};

static const struct rmpsc_ioc_desc rmpsc_ioc_table[] = {
	[_IOC_NR(RINGMPSC_IOC_CREATE)] = {
		_IOC_DIR(RINGMPSC_IOC_CREATE), sizeof(struct ringmpsc_create) },
	[_IOC_NR(RINGMPSC_IOC_ATTACH)] = {
		_IOC_DIR(RINGMPSC_IOC_ATTACH), sizeof(struct ringmpsc_attach) },
	[_IOC_NR(RINGMPSC_IOC_INFO)] = {
		_IOC_DIR(RINGMPSC_IOC_INFO), sizeof(struct ringmpsc_info) },
	[_IOC_NR(RINGMPSC_IOC_SET_EVENTFD)] = {
		_IOC_DIR(RINGMPSC_IOC_SET_EVENTFD),
		sizeof(struct ringmpsc_eventfd) },
	[_IOC_NR(RINGMPSC_IOC_WAKE)] = {
		_IOC_DIR(RINGMPSC_IOC_WAKE), sizeof(struct ringmpsc_wake) },
	[_IOC_NR(RINGMPSC_IOC_RECYCLE)] = {
		_IOC_DIR(RINGMPSC_IOC_RECYCLE),
		sizeof(struct ringmpsc_recycle), RINGMPSC_RECYCLE_SIZE_VER0 },
	[_IOC_NR(RINGMPSC_IOC_UNLINK)] = {
		_IOC_DIR(RINGMPSC_IOC_UNLINK), sizeof(struct ringmpsc_unlink) },
	[_IOC_NR(RINGMPSC_IOC_STATS)] = {
		_IOC_DIR(RINGMPSC_IOC_STATS), sizeof(struct ringmpsc_stats) },
};

/* Copy a result out: the bytes we know, zeros for a larger user struct. */
static long rmpsc_copy_out(void __user *uarg, const void *karg,
			   size_t ksize, size_t usize)
{
	if (copy_to_user(uarg, karg, min(ksize, usize)))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

static long ringmpsc_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct rmpsc_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct rmpsc_ioc_desc *d;
	union rmpsc_ioc_arg a;
	unsigned int nr = _IOC_NR(cmd);
	size_t usize = _IOC_SIZE(cmd);
	long ret;

	if (_IOC_TYPE(cmd) != RINGMPSC_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(rmpsc_ioc_table) || !rmpsc_ioc_table[nr].size ||
	    _IOC_DIR(cmd) != rmpsc_ioc_table[nr].dir)
		return -ENOTTY;
	d = &rmpsc_ioc_table[nr];
	/* Smaller than the first version of the struct. */
	if (usize < (d->minsize ?: d->size))
		return -EINVAL;

	memset(&a, 0, sizeof(a));
	if (d->dir & _IOC_WRITE) {
		ret = copy_struct_from_user(&a, d->size, uarg, usize);
		if (ret)
			return ret == -E2BIG ? -EINVAL : ret;
	}

	switch (nr) {
	case _IOC_NR(RINGMPSC_IOC_CREATE):
		return rmpsc_ioc_create(f, &a.create);
	case _IOC_NR(RINGMPSC_IOC_ATTACH):
		ret = rmpsc_ioc_attach(f, &a.attach);
		if (ret)
			return ret;
		/* Attached: a failed copy-out leaves the fd attached, as a
		 * failed copy-out of accept() leaves the socket. INV-MOD-04
		 */
		return rmpsc_copy_out(uarg, &a.attach, d->size, usize);
	case _IOC_NR(RINGMPSC_IOC_INFO):
		ret = rmpsc_ioc_info(f, &a.info);
		if (ret)
			return ret;
		return rmpsc_copy_out(uarg, &a.info, d->size, usize);
	case _IOC_NR(RINGMPSC_IOC_SET_EVENTFD):
		return rmpsc_ioc_set_eventfd(f, &a.efd);
	case _IOC_NR(RINGMPSC_IOC_WAKE):
		return rmpsc_ioc_wake(f, &a.wake);
	case _IOC_NR(RINGMPSC_IOC_RECYCLE):
		return rmpsc_ioc_recycle(f, &a.recycle);
	case _IOC_NR(RINGMPSC_IOC_UNLINK):
		return rmpsc_ioc_unlink(f, &a.unlink);
	case _IOC_NR(RINGMPSC_IOC_STATS):
		ret = rmpsc_ioc_stats(f, &a.stats);
		if (ret)
			return ret;
		return rmpsc_copy_out(uarg, &a.stats, d->size, usize);
	}
	return -ENOTTY;
}

static const struct file_operations ringmpsc_fops = {
	.owner		= THIS_MODULE,
	.open		= ringmpsc_open,
	.release	= ringmpsc_release,
	.mmap		= ringmpsc_mmap,
	.unlocked_ioctl	= ringmpsc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ringmpsc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ringmpsc",
	.fops	= &ringmpsc_fops,
	.mode	= 0666,
};

static int __init ringmpsc_init(void)
{
	int ret;

	ret = rmpsc_registry_init();
	if (ret)
		return ret;
	ret = misc_register(&ringmpsc_misc);
	if (ret)
		rmpsc_registry_exit();
	return ret;
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
