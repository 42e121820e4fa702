// SPDX-License-Identifier: MIT
/*
 * ringmpsc-spangen: one producer process of load spans (loadgen.h) into
 * a module channel, for the demo and for trying a collector:
 *
 *   ringmpsc-spangen [--channel NAME] [--id K] [--spans N] [--rate R]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invariants.h"
#include <ringmpsc.h>

#include "loadgen.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringmpsc-spangen [--channel NAME] [--id K] [--spans N] [--rate R]\n"
		"Record N load spans (default 10000) as producer K (default 0) into\n"
		"channel NAME (default spans) at R spans/s (default 0: flat out),\n"
		"for ringmpsc-collector(8) to export. Waits while the ring is full,\n"
		"also while no collector is attached.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' },
		{ "spans", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *channel = "spans";
	unsigned long id = 0, spans = 10000;
	double rate = 0;
	struct ringmpsc_producer p;
	char *end;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		errno = 0;
		end = NULL;
		switch (opt) {
		case 'c': channel = optarg; break;
		case 'i': id = strtoul(optarg, &end, 10); break;
		case 'n': spans = strtoul(optarg, &end, 10); break;
		case 'r': rate = strtod(optarg, &end); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (end && (errno || *end || end == optarg || id > 0xffffff)) {
			fprintf(stderr, "ringmpsc-spangen: bad number '%s'\n", optarg);
			return 2;
		}
	}
	err = ringmpsc_producer_open(&p, channel);
	if (err == -ENODEV || (err == -ENOENT && access(RINGMPSC_DEVICE, F_OK))) {
		fprintf(stderr, "ringmpsc-spangen: %s does not exist: the ringmpsc module is not loaded (modprobe ringmpsc as root)\n",
			RINGMPSC_DEVICE);
		return 1;
	}
	if (err) {
		fprintf(stderr, "ringmpsc-spangen: channel '%s': %s%s\n", channel,
			strerror(-err), err == -ENOENT ?
			" (start ringmpsc-collector first: it creates the channel)" : "");
		return 1;
	}
	err = loadgen_run(&p, (uint32_t)id, spans, rate);
	ringmpsc_producer_close(&p);
	return err;
}
