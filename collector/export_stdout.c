// SPDX-License-Identifier: MIT
/*
 * The stdout exporter: each batch one line of OTLP/JSON on standard
 * output, for a pipe into another tool or a look by eye. Exported once
 * written; a closed pipe (EPIPE) is retried like any failure.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "exporter.h"

static int stdout_export(struct exporter *e, struct batch *b)
{
	int err = export_write_line(STDOUT_FILENO, &b->body);

	if (err)
		export_report(e, b, EXPORT_RETRY, "stdout: %s", strerror(-err));
	else
		export_report(e, b, EXPORT_OK, "%zu bytes", b->body.len + 1);
	return 0;
}

static int stdout_flush(struct exporter *e)
{
	(void)e;
	return 0;	/* nothing buffered: every line is one writev */
}

static void stdout_shutdown(struct exporter *e)
{
	(void)e;
}

static const struct exporter_ops stdout_ops = {
	.name = "stdout",
	.export = stdout_export,
	.flush = stdout_flush,
	.shutdown = stdout_shutdown,
};

int stdout_exporter_init(struct exporter *e, const struct config *cfg)
{
	(void)cfg;
	e->ops = &stdout_ops;
	return 0;
}
