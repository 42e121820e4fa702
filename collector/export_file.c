// SPDX-License-Identifier: MIT
/*
 * The JSON-lines file exporter: each batch is one line, an OTLP/JSON
 * ExportTraceServiceRequest (as the OpenTelemetry Collector's file
 * exporter writes), appended with one writev; beyond file_max_bytes the
 * file is rotated (PATH -> PATH.1 -> ... PATH.keep, the oldest removed).
 * A batch counts as exported once write(2) returned (with file_fsync,
 * once fdatasync(2) did): the collector dying then loses nothing; the
 * machine dying may lose what was not yet on disk, unless file_fsync.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "exporter.h"
#include "log.h"

struct file_exporter {
	const char *path;
	uint64_t max_bytes;
	uint32_t keep;
	bool fsync;
	int fd;
	uint64_t size;
};

/*
 * A collector killed inside a write may have left half a line (its batch
 * was not released and will be written again): end it, so that the next
 * line stands on its own.
 */
static int file_end_torn_line(struct file_exporter *f)
{
	char last;

	if (f->size == 0 || pread(f->fd, &last, 1, (off_t)f->size - 1) != 1 ||
	    last == '\n')
		return 0;
	if (write(f->fd, "\n", 1) != 1)
		return errno ? -errno : -EIO;
	f->size++;
	return 0;
}

static int file_open(struct file_exporter *f)
{
	struct stat st;

	f->fd = open(f->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return -errno;
	f->size = fstat(f->fd, &st) ? 0 : (uint64_t)st.st_size;
	return file_end_torn_line(f);
}

/* PATH.(i) -> PATH.(i+1) from the oldest down, PATH -> PATH.1, reopen. */
static int file_rotate(struct file_exporter *f)
{
	char from[PATH_MAX], to[PATH_MAX];

	close(f->fd);
	f->fd = -1;
	if (f->keep == 0) {
		unlink(f->path);
	} else {
		for (uint32_t i = f->keep; i > 1; i--) {
			snprintf(from, sizeof(from), "%s.%u", f->path, i - 1);
			snprintf(to, sizeof(to), "%s.%u", f->path, i);
			(void)rename(from, to);	/* ENOENT: fewer so far */
		}
		snprintf(to, sizeof(to), "%s.1", f->path);
		if (rename(f->path, to))
			log_msg(LOG_WARN, "rotate %s: %s", f->path, strerror(errno));
	}
	return file_open(f);
}

static int file_export(struct exporter *e, struct batch *b)
{
	struct file_exporter *f = e->priv;
	int err;

	if (f->fd < 0 && (err = file_open(f))) {
		export_report(e, b, EXPORT_RETRY, "open %s: %s", f->path,
			      strerror(-err));
		return 0;
	}
	err = export_write_line(f->fd, &b->body);
	if (!err && f->fsync && fdatasync(f->fd))
		err = -errno;
	if (err) {
		/* A short write leaves a partial line: the next one starts
		 * on a fresh line, and readers skip the broken one.
		 */
		if (write(f->fd, "\n", 1) < 0)
			err = err ? err : -errno;
		export_report(e, b, EXPORT_RETRY, "write %s: %s", f->path,
			      strerror(-err));
		return 0;
	}
	f->size += b->body.len + 1;
	export_report(e, b, EXPORT_OK, "%zu bytes", b->body.len + 1);
	if (f->size >= f->max_bytes) {
		err = file_rotate(f);
		e->metrics->file_rotations++;
		if (err)
			log_msg(LOG_WARN, "reopen %s: %s", f->path, strerror(-err));
	}
	return 0;
}

static int file_flush(struct exporter *e)
{
	struct file_exporter *f = e->priv;

	return f->fd >= 0 && fdatasync(f->fd) ? -errno : 0;
}

static void file_shutdown(struct exporter *e)
{
	struct file_exporter *f = e->priv;

	if (f->fd >= 0)
		close(f->fd);
	free(f);
	e->priv = NULL;
}

static const struct exporter_ops file_ops = {
	.name = "file",
	.export = file_export,
	.flush = file_flush,
	.shutdown = file_shutdown,
};

int file_exporter_init(struct exporter *e, const struct config *cfg)
{
	struct file_exporter *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -ENOMEM;
	f->path = cfg->file;
	f->max_bytes = cfg->file_max_bytes ? cfg->file_max_bytes : UINT64_MAX;
	f->keep = cfg->file_keep;
	f->fsync = cfg->file_fsync;
	err = file_open(f);
	if (err) {
		log_msg(LOG_ERROR, "cannot open %s for appending: %s", f->path,
			strerror(-err));
		free(f);
		return err;
	}
	e->ops = &file_ops;
	e->priv = f;
	return 0;
}
