// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: misc device /dev/ringmpsc.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <linux/ringmpsc.h>

static int ringmpsc_open(struct inode *inode, struct file *file)
{
	return 0;
}

static int ringmpsc_release(struct inode *inode, struct file *file)
{
	return 0;
}

static const struct file_operations ringmpsc_fops = {
	.owner		= THIS_MODULE,
	.open		= ringmpsc_open,
	.release	= ringmpsc_release,
	.llseek		= noop_llseek,
};

static struct miscdevice ringmpsc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ringmpsc",
	.fops	= &ringmpsc_fops,
	.mode	= 0666,
};

module_misc_device(ringmpsc_misc);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Multi-producer single-consumer channels over mmap'd rings");
