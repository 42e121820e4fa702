// SPDX-License-Identifier: GPL-2.0
/* Build probe: does eventfd_signal() take only the context (6.8+)? */
#include <linux/eventfd.h>

void rmpsc_probe(struct eventfd_ctx *ctx);
void rmpsc_probe(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
