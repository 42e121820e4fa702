/* SPDX-License-Identifier: MIT */
/*
 * libringmpsc: look at the channels of the module without attaching to
 * them, as ipcs(1) or bpftool do: list the channels of the caller's IPC
 * namespace, inspect one by name. The results are the module's own
 * structs (<linux/ringmpsc.h>: struct ringmpsc_list_entry,
 * struct ringmpsc_stat, struct ringmpsc_stat_ring); see ringmpsc_query(3)
 * and spec.md section 7, "Queries", for what each field means and who may
 * see it.
 *
 * Every call returns a count or 0 on success and a negative errno on
 * failure: -ENODEV when /dev/ringmpsc does not exist (the module is not
 * loaded), -EACCES when the caller may not read the channel, -ENOENT when
 * there is no such channel.
 */
#ifndef RINGMPSC_QUERY_H
#define RINGMPSC_QUERY_H

#include <stdint.h>

#include <linux/ringmpsc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Up to @max channels into @out; returns how many there are in all, which
 * may be more than @max (call again with a larger array). @out may be
 * NULL when @max is 0. A channel the caller may not read has only its
 * name filled in (RINGMPSC_CHAN_F_READABLE clear in desc.flags). Channels
 * unlinked but still attached come last, with RINGMPSC_CHAN_F_LINKED
 * clear, for a caller who may read them.
 */
int ringmpsc_list(struct ringmpsc_list_entry *out, uint32_t max);

/* Every channel, in an array the caller frees with free(); returns how
 * many (0 with *@out NULL when there are none).
 */
int ringmpsc_list_all(struct ringmpsc_list_entry **out);

/* Channel @name: its description, counters and consumer pid in *@out, and
 * up to @max rings into @rings (NULL when @max is 0). Returns how many
 * rings were written (min(@max, max_producers)).
 */
int ringmpsc_stat(const char *name, struct ringmpsc_stat *out,
		  struct ringmpsc_stat_ring *rings, uint32_t max);

#ifdef __cplusplus
}
#endif

#endif /* RINGMPSC_QUERY_H */
