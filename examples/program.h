/* SPDX-License-Identifier: MIT */
/*
 * What a ringmpsc program tells its user when it cannot set up a channel:
 * the error, and what to do about it (load the module, use --local, pick
 * another name). Header only, for the programs in this tree; the library
 * itself never prints (it returns -errno, man ringmpsc(7)).
 */
#ifndef RINGMPSC_PROGRAM_H
#define RINGMPSC_PROGRAM_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ringmpsc.h>

/*
 * Is the module missing? The library says -ENODEV; libraries before it
 * said -ENOENT, which also means "no such channel", so that one counts
 * only when the device is really absent.
 */
static inline bool program_module_missing(int err)
{
	return err == -ENODEV ||
	       (err == -ENOENT && access(RINGMPSC_DEVICE, F_OK) != 0);
}

/*
 * "@prog: @what @name: <error>", then what the user can do. @local_option
 * is the option that runs without the module ("--local"), or NULL.
 */
static inline void program_setup_error(const char *prog, const char *what,
				       const char *name, int err,
				       const char *local_option)
{
	fprintf(stderr, "%s: %s %s: %s\n", prog, what, name, strerror(-err));
	if (program_module_missing(err)) {
		fprintf(stderr,
			"%s: the ringmpsc module is not loaded (no %s). Load it:\n"
			"  insmod kmod/ringmpsc.ko      (in the source tree, as root)\n"
			"  modprobe ringmpsc            (installed: make dkms-install)\n",
			prog, RINGMPSC_DEVICE);
		if (local_option)
			fprintf(stderr, "%s: or run with %s: local rings, no module.\n",
				prog, local_option);
	} else if (err == -EACCES || err == -EPERM) {
		fprintf(stderr,
			"%s: the mode of channel %s does not let you in: run as its\n"
			"  owner, or use a channel of your own.\n", prog, name);
	} else if (err == -EEXIST || err == -EBUSY) {
		fprintf(stderr,
			"%s: channel %s is in use (another instance running?); pick\n"
			"  another name.\n", prog, name);
	}
}

#endif /* RINGMPSC_PROGRAM_H */
