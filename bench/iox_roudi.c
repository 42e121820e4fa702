// SPDX-License-Identifier: MIT
/*
 * RouDi, iceoryx's broker, for the iceoryx rows: ringbench starts its own
 * iox-roudi with a configuration sized for the run (roudi.toml beside the
 * results), waits until it is ready, and stops it at the end.
 *
 * After a crash: RouDi is told by the kernel when ringbench dies
 * (PR_SET_PDEATHSIG, SIGTERM), and on SIGTERM it removes its shared memory
 * and sockets itself. What a RouDi of ours that died on its own leaves
 * (two shared memory segments, a socket and locks in /tmp) is removed
 * when it is reaped, and so are the sockets of ringbench's iceoryx
 * processes (/tmp/ringbench-iox-PID) whose process is gone. A RouDi that
 * ringbench did not start is never touched: ours then cannot start, and
 * the iceoryx rows say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "iox_roudi.h"

/* Chunks a run can hold at once: the subscriber's queue (256 at most in
 * iceoryx 2.0) and, per publisher, one being written and one being pushed.
 */
#define IOX_CHUNKS	(2 * (256 + 2 * MAX_PRODUCERS))

static pid_t g_roudi = -1;
static pid_t g_owner;		/* the process that started it */
static int g_roudi_err = -ENOENT;
static char g_log[512];

int roudi_error(void)
{
	return g_roudi_err;
}

/* What a RouDi that did not shut down cleanly leaves behind. */
static void remove_roudi_leftovers(void)
{
	static const char *const files[] = {
		"/dev/shm/iceoryx_mgmt", "/tmp/roudi", "/tmp/roudi.lock",
		"/tmp/iox-unique-roudi.lock",
	};
	struct passwd *pw = getpwuid(geteuid());
	char path[300];

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	/* The payload segment is named after the user. */
	if (pw) {
		snprintf(path, sizeof(path), "/dev/shm/%s", pw->pw_name);
		unlink(path);
	}
}

static int write_config(const char *path, uint32_t max_payload)
{
	FILE *f = fopen(path, "w");
	uint32_t big = (max_payload + 63) / 64 * 64;

	if (!f)
		return -errno;
	fprintf(f, "# written by ringbench for its own RouDi\n"
		"[general]\nversion = 1\n\n[[segment]]\n\n"
		"[[segment.mempool]]\nsize = 64\ncount = %u\n", IOX_CHUNKS);
	if (big > 64)
		fprintf(f, "\n[[segment.mempool]]\nsize = %u\ncount = %u\n", big,
			IOX_CHUNKS);
	return fclose(f) ? -errno : 0;
}

static bool log_says_ready(void)
{
	char line[512];
	bool ready = false;
	FILE *f = fopen(g_log, "r");

	while (f && !ready && fgets(line, sizeof(line), f))
		ready = strstr(line, "RouDi is ready for clients") != NULL;
	if (f)
		fclose(f);
	return ready;
}

static void exec_roudi(const char *cfg)
{
	int fd = open(g_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	/* Die with ringbench, even by SIGKILL; it may already be gone. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != g_owner)
		_exit(127);
	/* No process monitoring: a producer starved of CPU for a while (64
	 * of them on one CPU, or under -R) must not be declared dead.
	 */
	execlp("iox-roudi", "iox-roudi", "-c", cfg, "-m", "off", "-l", "warning",
	       (char *)NULL);
	fprintf(stderr, "exec iox-roudi: %s\n", strerror(errno));
	_exit(127);
}

int roudi_start(const char *dir, uint32_t max_payload)
{
	char cfg[512];
	int status;

	snprintf(cfg, sizeof(cfg), "%s/roudi.toml", dir);
	snprintf(g_log, sizeof(g_log), "%s/roudi.log", dir);
	g_roudi_err = write_config(cfg, max_payload);
	if (g_roudi_err)
		return g_roudi_err;
	remove_stale_tmp(IOX_RUNTIME_PREFIX);
	g_owner = getpid();
	fflush(NULL);
	g_roudi = fork();
	if (g_roudi < 0)
		return g_roudi_err = -errno;
	if (g_roudi == 0)
		exec_roudi(cfg);
	for (int i = 0; i < 1000; i++) {	/* 10 s */
		if (log_says_ready()) {
			g_roudi_err = 0;
			return 0;
		}
		if (waitpid(g_roudi, &status, WNOHANG) == g_roudi) {
			g_roudi = -1;
			break;
		}
		usleep(10000);
	}
	fprintf(stderr, "ringbench: iox-roudi did not start (is another RouDi "
		"running? is package iceoryx installed?); see %s; no iceoryx rows\n",
		g_log);
	roudi_stop();
	return g_roudi_err = -EHOSTDOWN;
}

void roudi_stop(void)
{
	int status = 0;
	pid_t r = 0;

	if (g_roudi < 0 || getpid() != g_owner)
		return;		/* not ours, or a forked child's copy */
	kill(g_roudi, SIGTERM);
	for (int i = 0; i < 500 && r == 0; i++) {	/* 5 s, then SIGKILL */
		r = waitpid(g_roudi, &status, WNOHANG);
		if (r == 0)
			usleep(10000);
	}
	if (r == 0) {
		kill(g_roudi, SIGKILL);
		waitpid(g_roudi, &status, 0);
	}
	if (g_roudi_err == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		remove_roudi_leftovers();
	remove_stale_tmp(IOX_RUNTIME_PREFIX);
	g_roudi = -1;
	g_roudi_err = -ENOENT;
}
