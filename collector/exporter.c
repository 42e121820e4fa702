// SPDX-License-Identifier: MIT
/* Choosing an exporter by name, and what the exporters share (exporter.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "config.h"
#include "exporter.h"
#include "log.h"

int exporter_create(struct exporter *e, const struct config *cfg,
		    struct loop *l, struct metrics *m, export_done_fn done,
		    void *done_ctx)
{
	static const struct {
		const char *name;
		int (*init)(struct exporter *e, const struct config *cfg);
	} kinds[] = {
#ifndef COLLECTOR_NO_OTLP
		{ "otlp", otlp_exporter_init },
#endif
		{ "file", file_exporter_init },
		{ "stdout", stdout_exporter_init },
	};

	memset(e, 0, sizeof(*e));
	e->loop = l;
	e->metrics = m;
	e->done = done;
	e->done_ctx = done_ctx;
	e->max_inflight = 1;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(cfg->exporter, kinds[i].name))
			return kinds[i].init(e, cfg);
#ifdef COLLECTOR_NO_OTLP
	if (!strcmp(cfg->exporter, "otlp")) {
		log_msg(LOG_ERROR, "this build has no OTLP exporter (static, without libcurl): use --exporter file or stdout");
		return -EINVAL;
	}
#endif
	log_msg(LOG_ERROR, "unknown exporter '%s' (otlp, file or stdout)",
		cfg->exporter);
	return -EINVAL;
}

int export_write_line(int fd, const struct jbuf *body)
{
	struct iovec iov[2] = {
		{ .iov_base = body->p, .iov_len = body->len },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	size_t left = body->len + 1;
	int i = 0;

	while (left) {
		ssize_t n = writev(fd, iov + i, 2 - i);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left -= (size_t)n;
		/* Skip what was written, iovec by iovec. */
		while (i < 2 && (size_t)n >= iov[i].iov_len) {
			n -= (ssize_t)iov[i].iov_len;
			iov[i].iov_len = 0;
			i++;
		}
		if (i < 2) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= (size_t)n;
		}
	}
	return 0;
}

void export_report(struct exporter *e, struct batch *b,
		   enum export_outcome outcome, const char *fmt, ...)
{
	struct export_result r = { .outcome = outcome, .retry_after_ns = -1 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.detail, sizeof(r.detail), fmt, ap);
	va_end(ap);
	e->done(e->done_ctx, b, &r);
}
