/* SPDX-License-Identifier: MIT */
/*
 * The daemon as a function, so that a test can run it in a child process
 * it forks (and kills) without an exec: ringmpsc-collector's main() is
 * only a call to it.
 */
#ifndef COLLECTOR_COLLECTOR_H
#define COLLECTOR_COLLECTOR_H

/* Run the collector with command line @argv; returns the exit status. */
int collector_main(int argc, char **argv);

#endif /* COLLECTOR_COLLECTOR_H */
